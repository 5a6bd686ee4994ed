//! The keeper-commander source end to end: Commander's real report layouts (CSV with its title
//! preamble, JSON) through `plan` and `apply` on the two Keeper examples, every malformed-report
//! case refused with file:line and nothing applied, and the `command:` form run against a fake
//! `keeper` script (tests/fixtures/keeper/fake-keeper).

use std::path::Path;

use serde_json::Value;

use crate::support::{copy_of, reckon, reckon_with_env, repo};

const AUTOTASK: &str = "examples/keeper-autotask";
const CONNECTWISE: &str = "examples/keeper-connectwise";
const CSV: &str = "reports/keeper-2026-10.csv";
const JSON: &str = "reports/keeper-2026-10.json";

fn plan_json(dir: &Path) -> Value {
    let run = reckon(dir, &["plan", "--period", "2026-10", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).expect("JSON plan")
}

/// The change for `account`'s `sku`, as (usage, quantity, current).
fn change(plan: &Value, account: &str, sku: &str) -> (String, String, String) {
    let change = plan["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["vendor_account"] == account && c["vendor_service"] == sku)
        .unwrap_or_else(|| panic!("no change for {account} {sku}: {plan:#}"));
    let text = |key: &str| change[key].as_str().unwrap_or("null").to_owned();
    (text("usage"), text("quantity"), text("current"))
}

#[test]
fn commander_csv_plans_whole_numbers_for_an_integer_psa() {
    let ws = copy_of(AUTOTASK);
    let plan = plan_json(ws.path());
    // The reference's worked example: 10 users on days 1–15, 14 on days 16–31.
    let (usage, quantity, current) = change(&plan, "3862", "Business Plus");
    assert!(usage.starts_with("12.0645161290"), "{usage}");
    assert_eq!((quantity.as_str(), current.as_str()), ("12", "10"));
    // A company that started on the 16th bills 224 / 31, not Commander's 14.00 average.
    let (usage, quantity, _) = change(&plan, "4120", "Business Plus");
    assert!(usage.starts_with("7.2258064516"), "{usage}");
    assert_eq!(quantity, "7");
    assert_eq!(change(&plan, "3862", "1TB").1, "10", "storage rounds up");
    assert_eq!(
        change(&plan, "4250", "Enterprise").1,
        "19",
        "a missing day is 0"
    );
    let aram = change(&plan, "3862", "Advanced Reporting & Alerts Module");
    assert_eq!(
        aram.1, "1",
        "mapped by its code enterprise_audit_and_reporting"
    );
    let unmapped: Vec<&Value> = plan["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["kind"] == "unmapped-service")
        .collect();
    assert_eq!(unmapped.len(), 1, "{plan:#}");
    assert_eq!(unmapped[0]["vendor_service"], "Enterprise BreachWatch");
    assert_eq!(unmapped[0]["usage"], "20");

    let text = reckon(ws.path(), &["plan", "--period", "2026-10"]);
    insta::assert_snapshot!("keeper_autotask_plan", text.stdout);
}

#[test]
fn commander_json_plans_decimals_with_product_ids() {
    let ws = copy_of(CONNECTWISE);
    let plan = plan_json(ws.path());
    assert_eq!(change(&plan, "3862", "Business Plus").1, "12.06");
    assert_eq!(change(&plan, "4120", "Business Plus").1, "7.23");
    assert_eq!(change(&plan, "3901", "KeeperChat").1, "2.35");
    assert_eq!(change(&plan, "3862", "1TB").1, "9.36");
    let acme = plan["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["vendor_account"] == "3862" && c["vendor_service"] == "Business Plus")
        .expect("Acme");
    assert_eq!(
        acme["psa_service"], "KPR-BUSPLUS",
        "mapped from the code businessPlus"
    );
}

#[test]
fn a_company_renamed_in_keeper_keeps_its_mapping_and_shows_its_new_name() {
    // From October 20th on, company 4120 is called "Cedar & Partners Law".
    let ws = with_report(AUTOTASK, CSV, |t| {
        let renamed = |l: &str| l.starts_with("2026-10-2") || l.starts_with("2026-10-3");
        t.lines()
            .map(|l| {
                let l = if renamed(l) {
                    l.replace("Cedar Law LLP", "Cedar & Partners Law")
                } else {
                    l.to_owned()
                };
                l + "\r\n"
            })
            .collect()
    });
    let plan = plan_json(ws.path());
    let cedar = plan["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["vendor_account"] == "4120")
        .expect("Cedar Law is still planned");
    assert_eq!(cedar["vendor_account_name"], "Cedar & Partners Law");
    assert_eq!(cedar["quantity"], "7", "all 16 days count: 224 / 31");
}

#[test]
fn apply_writes_the_plan_and_the_next_plan_is_empty() {
    let ws = copy_of(AUTOTASK);
    let apply = reckon(
        ws.path(),
        &["apply", "--period", "2026-10", "--auto-approve"],
    );
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        apply.stdout.contains("Apply complete: 4 applied."),
        "{}",
        apply.stdout
    );
    let again = reckon(
        ws.path(),
        &["plan", "--period", "2026-10", "--detailed-exitcode"],
    );
    assert_eq!(again.code, 0, "{}", again.stdout);
}

#[test]
fn a_saved_plan_is_stale_once_the_keeper_report_changes() {
    let ws = copy_of(AUTOTASK);
    let dir = ws.path();
    let plan = reckon(dir, &["plan", "--period", "2026-10", "--out", "plan.json"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let report = dir.join(CSV);
    let text = std::fs::read_to_string(&report).expect("report");
    std::fs::write(&report, text.replacen(",1TB,8,", ",1TB,9,", 1)).expect("edit");
    let sandbox = std::fs::read_to_string(dir.join("sandbox/psa.yaml")).expect("sandbox");
    let apply = reckon(dir, &["apply", "plan.json"]);
    assert_eq!(apply.code, 1, "{}", apply.stdout);
    assert!(
        apply
            .stderr
            .contains("stale plan: the usage data for 2026-10 changed"),
        "{}",
        apply.stderr
    );
    let after = std::fs::read_to_string(dir.join("sandbox/psa.yaml")).expect("sandbox");
    assert_eq!(sandbox, after);
}

#[test]
fn usage_shows_days_licence_days_daily_average_and_quantity() {
    let ws = copy_of(AUTOTASK);
    let run = reckon(
        ws.path(),
        &["usage", "--period", "2026-10", "--integration", "keeper"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("keeper_autotask_usage", run.stdout);
}

/// Plan and apply on `ws` both fail with `expected` on stderr, and the sandbox is untouched.
fn assert_refused(ws: &Path, expected: &str) {
    let sandbox = ws.join("sandbox/psa.yaml");
    let before = std::fs::read_to_string(&sandbox).expect("sandbox");
    let plan = reckon(ws, &["plan", "--period", "2026-10"]);
    assert_eq!(plan.code, 1, "{}", plan.stdout);
    assert!(
        plan.stderr.contains(expected),
        "want {expected:?} in:\n{}",
        plan.stderr
    );
    assert!(
        plan.stderr.contains("nothing was planned or applied"),
        "{}",
        plan.stderr
    );
    let apply = reckon(ws, &["apply", "--period", "2026-10", "--auto-approve"]);
    assert_eq!(apply.code, 1, "{}", apply.stdout);
    assert!(apply.stderr.contains(expected), "{}", apply.stderr);
    let after = std::fs::read_to_string(&sandbox).expect("sandbox");
    assert_eq!(before, after, "nothing may be applied");
}

/// A copy of `example` whose report has `edit` applied.
fn with_report(example: &str, report: &str, edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let ws = copy_of(example);
    let path = ws.path().join(report);
    let text = std::fs::read_to_string(&path).expect("report");
    std::fs::write(&path, edit(text)).expect("write report");
    ws
}

/// The CSV report's line 5 is `2026-10-01,Acme Dental,3862,1TB,8,$1.0`; it has 298 lines.
#[test]
fn csv_row_outside_the_month_is_refused() {
    let ws = with_report(AUTOTASK, CSV, |t| {
        t + "2026-11-01,Acme Dental,3862,Business Plus,14,3.75\r\n"
    });
    assert_refused(
        ws.path(),
        "reports/keeper-2026-10.csv:299:1: row dated 2026-11-01 is outside the billing period 2026-10",
    );
}

#[test]
fn csv_duplicate_row_is_refused() {
    let ws = with_report(AUTOTASK, CSV, |t| {
        t + "2026-10-01,Acme Dental,3862,1TB,8,$1.0\r\n"
    });
    assert_refused(
        ws.path(),
        "reports/keeper-2026-10.csv:299:1: duplicate row for 2026-10-01 / account 3862 / 1TB (first at line 5)",
    );
}

#[test]
fn csv_negative_count_is_refused() {
    let ws = with_report(AUTOTASK, CSV, |t| {
        t.replacen(
            "2026-10-01,Acme Dental,3862,1TB,8,",
            "2026-10-01,Acme Dental,3862,1TB,-8,",
            1,
        )
    });
    assert_refused(
        ws.path(),
        "reports/keeper-2026-10.csv:5:1: negative count -8 for account 3862 1TB",
    );
}

#[test]
fn csv_non_numeric_count_is_refused() {
    let ws = with_report(AUTOTASK, CSV, |t| {
        t.replacen(
            "2026-10-01,Acme Dental,3862,1TB,8,",
            "2026-10-01,Acme Dental,3862,1TB,eight,",
            1,
        )
    });
    assert_refused(
        ws.path(),
        "reports/keeper-2026-10.csv:5:1: licenses `eight` is not a number",
    );
}

#[test]
fn a_report_without_rows_for_the_month_is_refused() {
    let ws = with_report(AUTOTASK, CSV, |t| {
        t.lines().take(4).map(|l| format!("{l}\n")).collect()
    });
    assert_refused(
        ws.path(),
        "reports/keeper-2026-10.csv: no usage rows for 2026-10",
    );
}

#[test]
fn a_statement_for_another_month_is_refused_at_its_title() {
    let ws = with_report(AUTOTASK, CSV, |t| {
        t.replace("October 2026", "September 2026")
            .replace("2026-10-", "2026-09-")
    });
    assert_refused(
        ws.path(),
        "reports/keeper-2026-10.csv:2:1: the report is the statement for September 2026, not for 2026-10",
    );
}

#[test]
fn a_summary_report_is_refused_with_the_export_to_make() {
    let ws = with_report(AUTOTASK, CSV, |_| {
        "\r\nConsumption Billing Statement: October 2026\r\n\r\n\
         company,company_id,product,licenses,rate,avg_per_day,initial_licenses,final_licenses,max_licenses\r\n\
         Acme Dental,3862,Business Plus,374,3.75,12.06,10,14,14\r\n"
            .to_owned()
    });
    assert_refused(
        ws.path(),
        "reports/keeper-2026-10.csv:4:1: this is a summary report (exported without `-d`",
    );
}

/// The JSON report's first item starts on line 2 and spans 8 lines:
/// `{ date, company, company_id, product: "1TB", licenses: 8, rate }`.
#[test]
fn json_non_numeric_count_is_refused() {
    let ws = with_report(CONNECTWISE, JSON, |t| {
        t.replacen("\"licenses\": 8,", "\"licenses\": \"eight\",", 1)
    });
    assert_refused(
        ws.path(),
        "reports/keeper-2026-10.json:2:1: licenses `eight` is not a number",
    );
}

#[test]
fn json_negative_count_as_a_string_is_refused() {
    let ws = with_report(CONNECTWISE, JSON, |t| {
        t.replacen("\"licenses\": 8,", "\"licenses\": \"-8\",", 1)
    });
    assert_refused(
        ws.path(),
        "reports/keeper-2026-10.json:2:1: negative count -8 for account 3862 1TB",
    );
}

#[test]
fn json_row_outside_the_month_and_a_duplicate_are_both_reported() {
    let ws = with_report(CONNECTWISE, JSON, |t| {
        let lines: Vec<&str> = t.lines().skip(1).take(8).collect();
        let first_item = lines.join("\n").trim_end_matches(',').to_owned();
        let moved = first_item.replace("2026-10-01", "2026-09-30");
        t.replacen("[\n", &format!("[\n{first_item},\n{moved},\n"), 1)
    });
    let expected_duplicate = "reports/keeper-2026-10.json:18:1: duplicate row for 2026-10-01 / account 3862 / 1TB (first at line 2)";
    assert_refused(
        ws.path(),
        "reports/keeper-2026-10.json:10:1: row dated 2026-09-30 is outside the billing period 2026-10",
    );
    assert_refused(ws.path(), expected_duplicate);
}

#[test]
fn json_item_without_licenses_is_refused() {
    let ws = with_report(CONNECTWISE, JSON, |t| t.replacen("\"licenses\": 8,", "", 1));
    assert_refused(
        ws.path(),
        "reports/keeper-2026-10.json:2:1: licenses is missing",
    );
}

#[test]
fn an_empty_json_report_is_refused() {
    let ws = with_report(CONNECTWISE, JSON, |_| "[]\n".to_owned());
    assert_refused(
        ws.path(),
        "reports/keeper-2026-10.json: no usage rows for 2026-10",
    );
}

#[test]
fn a_mapping_to_a_product_keeper_does_not_have_is_a_warning_with_the_nearest() {
    let ws = copy_of(AUTOTASK);
    let file = ws.path().join("integrations/keeper.yaml");
    let text = std::fs::read_to_string(&file).expect("integration");
    std::fs::write(
        &file,
        text.replace("vendor: KeeperChat", "vendor: Keeper Chat"),
    )
    .expect("w");
    let run = reckon(ws.path(), &["validate"]);
    assert_eq!(
        run.code, 0,
        "a warning does not fail validate: {}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "warning: integrations/keeper.yaml:39:13: Keeper has no product \"Keeper Chat\"; \
             this mapping will never match usage"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("hint: did you mean `KeeperChat`?"),
        "{}",
        run.stdout
    );
}

/// A copy of the ConnectWise example reading its report by running the fake `keeper`.
fn with_command(extra: &str) -> tempfile::TempDir {
    let ws = copy_of(CONNECTWISE);
    let file = ws.path().join("integrations/keeper.yaml");
    let text = std::fs::read_to_string(&file).expect("integration");
    let program = repo().join("tests/fixtures/keeper/fake-keeper");
    let command = format!(
        "command: [\"{}\", msp-billing-report, --month, \"{{period}}\", -d, -c, --format, json]{extra}",
        program.display()
    );
    let text = text.replace("path: reports/keeper-{period}.json", &command);
    std::fs::write(&file, text).expect("write integration");
    ws
}

fn report_env(ws: &Path) -> String {
    ws.join(JSON).display().to_string()
}

#[test]
fn a_command_source_runs_commander_and_plans_its_output() {
    let ws = with_command("");
    let report = report_env(ws.path());
    let run = reckon_with_env(
        ws.path(),
        &["plan", "--period", "2026-10", "--format", "json"],
        &[("FAKE_KEEPER_REPORT", &report)],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let plan: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(change(&plan, "3862", "Business Plus").1, "12.06");
    assert_eq!(change(&plan, "4120", "Business Plus").1, "7.23");
    let kept = ws
        .path()
        .join(".reckon/keeper-commander/keeper-2026-10.out");
    assert_eq!(
        std::fs::read_to_string(kept).expect("output kept"),
        std::fs::read_to_string(ws.path().join(JSON)).expect("report")
    );
}

#[test]
fn a_failing_command_shows_its_stderr_and_applies_nothing() {
    let ws = with_command("");
    let sandbox = std::fs::read_to_string(ws.path().join("sandbox/psa.yaml")).expect("read");
    let run = reckon_with_env(
        ws.path(),
        &["apply", "--period", "2026-10", "--auto-approve"],
        &[("FAKE_KEEPER_MODE", "fail")],
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains("integrations/keeper.yaml:8:12: keeper-commander source: `")
            && run.stderr.contains("failed (exit status: 3):\n    Logging in to Keeper Commander\n    Session token expired: run 'keeper login' again"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("hint: run the command by hand"),
        "{}",
        run.stderr
    );
    let after = std::fs::read_to_string(ws.path().join("sandbox/psa.yaml")).expect("read");
    assert_eq!(sandbox, after);
}

#[test]
fn a_command_that_hangs_is_stopped_at_its_timeout() {
    let ws = with_command("\n  timeout: 1s");
    let run = reckon_with_env(
        ws.path(),
        &["plan", "--period", "2026-10"],
        &[("FAKE_KEEPER_MODE", "hang")],
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr
            .contains("did not finish within 1s and was stopped"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("hint: raise `source.timeout`"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_missing_keeper_binary_says_how_to_install_it() {
    let ws = copy_of(CONNECTWISE);
    let file = ws.path().join("integrations/keeper.yaml");
    let text = std::fs::read_to_string(&file).expect("integration");
    let text = text.replace(
        "path: reports/keeper-{period}.json",
        "command: [keeper-commander-not-installed, msp-billing-report, --month, \"{period}\", -d, -c]",
    );
    std::fs::write(&file, text).expect("write");
    let run = reckon(ws.path(), &["plan", "--period", "2026-10"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains(
            "integrations/keeper.yaml:8:12: keeper-commander source: program `keeper-commander-not-installed` not found"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("pip install keepercommander"),
        "{}",
        run.stderr
    );
}
