//! `psa.kind: autotask` end to end: the reckon binary against the Autotask simulator — plan →
//! apply → plan converges, a dropped connection after a committed write does not double count,
//! `check` reports each step, the request count of a 1,000-company plan is at the page minimum,
//! and no credential ever appears in any output.

use std::path::Path;
use std::time::Duration;

use chrono::NaiveDate;

use crate::sim::autotask::{
    Fault, INTEGRATION_CODE, SECRET, Sim, USERNAME, autotask_psa_block, seed_from_sandbox,
};
use crate::support::{Run, copy_of, journal, lock_id, reckon_with_env, records};

pub const ENV: &[(&str, &str)] = &[
    ("AUTOTASK_USERNAME", USERNAME),
    ("AUTOTASK_SECRET", SECRET),
    ("AUTOTASK_INTEGRATION_CODE", INTEGRATION_CODE),
];

pub fn effective() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).expect("date")
}

/// Runs reckon with the simulator's credentials, checking that none of them is printed.
pub fn run(dir: &Path, args: &[&str]) -> Run {
    let run = reckon_with_env(dir, args, ENV);
    for credential in [SECRET, INTEGRATION_CODE, USERNAME] {
        assert!(
            !run.stdout.contains(credential) && !run.stderr.contains(credential),
            "a credential leaked from {args:?}:\n{}\n{}",
            run.stdout,
            run.stderr
        );
    }
    run
}

/// The psa block of examples/keeper-autotask (a sandbox shaped like Autotask).
const SANDBOX_BLOCK: &str =
    "psa:\n  kind: sandbox\n  path: sandbox/psa.yaml\n  integer_quantities: true\n";

/// Replaces the workspace's sandbox `psa:` block with one pointing at `sim`.
fn point_at(dir: &Path, sim: &Sim) {
    let path = dir.join("reckon.yaml");
    let yaml = std::fs::read_to_string(&path).expect("reckon.yaml");
    assert!(yaml.contains(SANDBOX_BLOCK), "{yaml}");
    let pointed = yaml.replace(SANDBOX_BLOCK, &autotask_psa_block(&sim.base_url()));
    std::fs::write(path, pointed).expect("write reckon.yaml");
}

/// examples/keeper-autotask in a temp dir, its sandbox PSA moved into `sim` (same ids) and its
/// `psa:` block pointed at `sim`; the sandbox file is deleted so nothing can read it.
pub(crate) fn keeper_autotask(sim: &Sim) -> tempfile::TempDir {
    let ws = copy_of("examples/keeper-autotask");
    seed_from_sandbox(sim, &ws.path().join("sandbox/psa.yaml")).expect("seeded");
    std::fs::remove_dir_all(ws.path().join("sandbox")).expect("no sandbox");
    point_at(ws.path(), sim);
    ws
}

/// A workspace of examples/quickstart's shape pointed at `sim`, without its sandbox.
pub fn bare_workspace(sim: &Sim) -> tempfile::TempDir {
    let ws = copy_of("examples/quickstart");
    std::fs::remove_dir_all(ws.path().join("sandbox")).expect("no sandbox");
    point_at(ws.path(), sim);
    ws
}

/// Lines of examples/keeper-autotask (see its sandbox/psa.yaml).
pub const ACME_BP: i64 = 7101;
pub const ACME_1TB: i64 = 7102;
pub const CEDAR_BP: i64 = 7301;
pub const DELTA_ENTERPRISE: i64 = 7401;

/// `apply plan.json` re-reads the planned lines and then recomputes the plan from the same
/// inputs (the decisions must match the file): the cost in requests of verifying a saved plan.
#[test]
fn a_saved_plan_is_verified_against_the_simulator_and_applied() {
    let sim = Sim::start();
    let ws = keeper_autotask(&sim);
    let dir = ws.path();
    let plan = run(dir, &["plan", "--period", "2026-10", "--out", "plan.json"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    let before = sim.total_requests();
    let apply = run(dir, &["apply", "plan.json"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        apply.stdout.contains("Apply complete: 4 applied."),
        "{}",
        apply.stdout
    );
    // One plan's reads (6, bundles included; the picklists are cached by the plan) verify every
    // line at once; the tenant's budget is read once (ThresholdInformation); one batched units
    // read checks the lines, each write is one adjustment, and one batched units read confirms
    // them.
    let used = sim.total_requests() - before;
    assert_eq!(used, 13, "{}", apply.stderr);
    assert!(
        apply.stderr.contains(
            "note: this apply makes about 6 PSA requests; the tenant has 9985 of 10000 left this hour"
        ),
        "{}",
        apply.stderr
    );
    assert!(
        apply.stderr.contains(
            "PSA requests used: 13 (Companies/query 1, Services/query 1, Contracts/query 1, \
             ContractServices/query 1, ContractServiceUnits/query 3, ContractServiceBundles/query 1, \
             ThresholdInformation 1, ContractServiceAdjustments 4)"
        ),
        "{}",
        apply.stderr
    );
    assert_eq!(sim.units(ACME_BP, effective()), 12);
}

#[test]
fn plan_apply_plan_converges_against_the_simulator() {
    let sim = Sim::start();
    let ws = keeper_autotask(&sim);
    let dir = ws.path();

    let plan = run(dir, &["plan", "--period", "2026-10", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}\n{}", plan.stdout, plan.stderr);
    insta::assert_snapshot!("autotask_plan_text", plan.stdout);
    // The same workspace on its sandbox plans exactly the same changes and findings.
    let sandbox = copy_of("examples/keeper-autotask");
    let on_sandbox = reckon_with_env(sandbox.path(), &["plan", "--period", "2026-10"], &[]);
    assert_eq!(
        plan.stdout.replace("the autotask PSA", "the sandbox PSA"),
        on_sandbox.stdout
    );
    assert!(
        // 6 reads, and the two picklist reads of a first run (cached for the next ones).
        plan.stderr.contains("PSA requests used: 8 ("),
        "{}",
        plan.stderr
    );

    let apply = run(dir, &["apply", "--period", "2026-10", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        apply.stdout.contains("Apply complete: 4 applied."),
        "{}",
        apply.stdout
    );

    let again = run(dir, &["plan", "--period", "2026-10", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);

    let at = effective();
    assert_eq!(sim.units(ACME_BP, at), 12);
    assert_eq!(sim.units(ACME_1TB, at), 10);
    assert_eq!(sim.units(CEDAR_BP, at), 7);
    assert_eq!(sim.units(DELTA_ENTERPRISE, at), 19);
    // October keeps its units: the change starts on the effective date.
    let october = NaiveDate::from_ymd_opt(2026, 10, 15).expect("date");
    assert_eq!(sim.units(ACME_BP, october), 10);
    let changes: Vec<i64> = sim
        .adjustments()
        .iter()
        .map(|a| a["unitChange"].as_i64().expect("integer unitChange"))
        .collect();
    assert_eq!(changes.iter().map(|c| c.abs()).sum::<i64>(), 2 + 2 + 7 + 1);
    assert_eq!(changes.len(), 4);
}

#[test]
fn a_connection_dropped_after_a_committed_write_is_not_applied_twice() {
    let sim = Sim::start();
    let ws = keeper_autotask(&sim);
    let dir = ws.path();
    sim.inject("ContractServiceAdjustments", Fault::DropAfterCommit);
    sim.inject("ContractServiceAdjustments", Fault::ServerError);

    let apply = run(dir, &["apply", "--period", "2026-10", "--auto-approve"]);
    // The dropped write is confirmed by re-reading; the 500 (nothing committed) is reported.
    assert_eq!(apply.code, 1, "{}\n{}", apply.stdout, apply.stderr);
    assert!(apply.stdout.contains("3 applied"), "{}", apply.stdout);
    assert!(apply.stdout.contains("HTTP 500"), "{}", apply.stdout);

    let rerun = run(dir, &["apply", "--period", "2026-10", "--auto-approve"]);
    assert_eq!(rerun.code, 0, "{}\n{}", rerun.stdout, rerun.stderr);
    let again = run(dir, &["plan", "--period", "2026-10", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);

    let at = effective();
    assert_eq!(sim.units(ACME_BP, at), 12);
    assert_eq!(sim.units(ACME_1TB, at), 10);
    assert_eq!(sim.units(CEDAR_BP, at), 7);
    assert_eq!(sim.units(DELTA_ENTERPRISE, at), 19);
    assert_eq!(
        sim.adjustments().len(),
        4,
        "one committed adjustment per line"
    );
}

#[test]
fn a_crash_mid_concurrent_apply_is_re_read_and_no_line_is_adjusted_twice() {
    let sim = Sim::start();
    let ws = keeper_autotask(&sim);
    let dir = ws.path();
    // 30 ms a request: all four writes (intents recorded together) are under way when the
    // first one finishes and the hook aborts the process.
    sim.set_latency(Duration::from_millis(30));
    let crash_env: Vec<(&str, &str)> = ENV
        .iter()
        .copied()
        .chain([("RECKON_TEST_CRASH_AFTER_WRITES", "1")])
        .collect();
    let crashed = reckon_with_env(
        dir,
        &["apply", "--period", "2026-10", "--auto-approve"],
        &crash_env,
    );
    assert_ne!(crashed.code, 0, "aborted: {}", crashed.stdout);
    sim.wait_idle();
    let after_crash = journal(dir);
    assert_eq!(
        records(&after_crash, "intent").len(),
        4,
        "every write started had its intent"
    );
    assert!(records(&after_crash, "outcome").is_empty());

    let plan = run(dir, &["plan", "--period", "2026-10"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert_eq!(
        plan.stdout
            .matches("apply interrupted: outcome unknown")
            .count(),
        4,
        "{}",
        plan.stdout
    );
    assert_eq!(run(dir, &["unlock", &lock_id(dir)]).code, 0);
    let reapply = run(dir, &["apply", "--period", "2026-10", "--auto-approve"]);
    assert_eq!(reapply.code, 0, "{}\n{}", reapply.stdout, reapply.stderr);
    assert_eq!(records(&journal(dir), "resolved").len(), 4);

    let at = effective();
    assert_eq!(sim.units(ACME_BP, at), 12);
    assert_eq!(sim.units(ACME_1TB, at), 10);
    assert_eq!(sim.units(CEDAR_BP, at), 7);
    assert_eq!(sim.units(DELTA_ENTERPRISE, at), 19);
    let mut adjusted: Vec<i64> = sim
        .adjustments()
        .iter()
        .map(|a| a["contractServiceID"].as_i64().expect("line"))
        .collect();
    adjusted.sort_unstable();
    assert_eq!(
        adjusted,
        [ACME_BP, ACME_1TB, CEDAR_BP, DELTA_ENTERPRISE],
        "one adjustment per line"
    );
}

#[test]
fn a_usage_problem_is_reported_even_while_the_psa_is_failing() {
    // Usage and the PSA are read at once; a usage problem must win (and stop the PSA reads)
    // rather than whichever failure happens to come first.
    let sim = Sim::start();
    let ws = keeper_autotask(&sim);
    let report = ws.path().join("reports/keeper-2026-10.csv");
    let mut text = std::fs::read_to_string(&report).expect("report");
    text.push_str("2026-10-31,Acme Dental,1001,Enterprise,minus two,,\r\n");
    std::fs::write(&report, text).expect("write report");
    // A wrong secret: the PSA answers 401 at once, likely before the report is parsed.
    let wrong_secret = [
        ("AUTOTASK_USERNAME", USERNAME),
        ("AUTOTASK_SECRET", "not-the-secret"),
        ("AUTOTASK_INTEGRATION_CODE", INTEGRATION_CODE),
    ];

    let plan = reckon_with_env(ws.path(), &["plan", "--period", "2026-10"], &wrong_secret);
    assert_eq!(plan.code, 1, "{}\n{}", plan.stdout, plan.stderr);
    assert!(
        plan.stderr.contains("reports/keeper-2026-10.csv:"),
        "{}",
        plan.stderr
    );
    assert!(!plan.stderr.contains("401"), "{}", plan.stderr);
}

#[test]
fn check_reports_each_step_and_names_the_credentials_on_401() {
    let sim = Sim::start();
    sim.add_company("Acme Dental");
    let ws = bare_workspace(&sim);

    let ok = run(ws.path(), &["check"]);
    assert_eq!(ok.code, 0, "{}\n{}", ok.stdout, ok.stderr);
    let base = sim.base_url();
    let shown = ok.stdout.replace(&base, "[sim]");
    insta::assert_snapshot!("autotask_check_ok", shown);

    let wrong = reckon_with_env(
        ws.path(),
        &["check"],
        &[
            ("AUTOTASK_USERNAME", USERNAME),
            ("AUTOTASK_SECRET", "not-the-secret"),
            ("AUTOTASK_INTEGRATION_CODE", INTEGRATION_CODE),
        ],
    );
    assert_eq!(wrong.code, 1, "{}\n{}", wrong.stdout, wrong.stderr);
    assert!(
        wrong.stdout.contains("HTTP 401")
            && wrong.stdout.contains("psa.secret")
            && !wrong.stdout.contains("not-the-secret"),
        "{}",
        wrong.stdout
    );
}

#[test]
fn a_thousand_companies_plan_within_ten_percent_of_the_page_minimum() {
    let sim = Sim::start_with_periods(NaiveDate::from_ymd_opt(2026, 10, 1).expect("date"), 2);
    let ws = bare_workspace(&sim);
    let dir = ws.path();
    let skus = ["Business Plus", "1TB", "KeeperChat"];
    let services: Vec<i64> = skus.iter().map(|s| sim.add_service(s)).collect();
    let mut csv = String::from("date,account_id,account_name,sku,quantity\n");
    for n in 0..1000 {
        let name = format!("Client {n:04}");
        let company = sim.add_company(&name);
        let contract = sim.add_contract(company, &format!("{name} – Managed Services"));
        for (sku, service) in skus.iter().zip(&services) {
            sim.add_line(contract, *service, 4);
            csv.push_str(&format!("2026-10-31,{},{name},{sku},4\n", 10_000 + n));
        }
    }
    std::fs::write(dir.join("usage/keeper-2026-10.csv"), csv).expect("csv");
    let integration = format!(
        "vendor: keeper\nsource:\n  kind: csv\n  path: usage/keeper-{{period}}.csv\nbilling_model: end-of-period\naccounts:\n  auto_match: exact-name\nservices:\n  - {{vendor: Business Plus, psa: \"{}\"}}\n  - {{vendor: 1TB, psa: \"{}\"}}\n  - {{vendor: KeeperChat, psa: \"{}\"}}\n",
        services[0], services[1], services[2]
    );
    std::fs::write(dir.join("integrations/keeper.yaml"), integration).expect("integration");

    let plan = run(dir, &["plan", "--period", "2026-10", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);

    // Minimum: every entity read once, in pages of 500 —
    // Companies ⌈1000/500⌉ + Services ⌈3/500⌉ + Contracts ⌈1000/500⌉
    // + ContractServices ⌈3000/500⌉ + ContractServiceUnits covering the date ⌈3000/500⌉
    // + ContractServiceBundles per 500 contracts ⌈1000/500⌉ (none found, so no
    // ServiceBundleServices) + the 2 picklist reads of a first run = 21.
    let pages = |rows: u64| rows.div_ceil(500);
    let minimum =
        pages(1000) + pages(3) + pages(1000) + pages(3000) + pages(3000) + pages(1000) + 2;
    assert_eq!(minimum, 21);
    let used = sim.total_requests();
    assert!(
        used * 10 <= minimum * 11,
        "{used} requests for a minimum of {minimum}: {:?}",
        sim.requests()
    );
    assert!(
        plan.stderr
            .contains(&format!("PSA requests used: {used} (")),
        "{}",
        plan.stderr
    );
    eprintln!("1,000 companies × 3 lines: {used} requests (minimum {minimum})");
}
