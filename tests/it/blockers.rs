//! What the planner blocks, end to end through the real binary on copies of
//! examples/quickstart: a truncated month is never applied unattended, a mapping that points at
//! nothing fails CI, an edited saved plan is refused, an absurd quantity is held.

use std::path::Path;

use crate::support::{copy_of, reckon};

const PSA: &str = "sandbox/psa.yaml";
const USAGE: &str = "usage/keeper-2026-10.csv";

fn psa_state(dir: &Path) -> String {
    std::fs::read_to_string(dir.join(PSA)).expect("sandbox file")
}

/// Keeps only the usage rows up to `last_day` of October (a report cut short).
fn truncate_usage(dir: &Path, last_day: u32) {
    let csv = dir.join(USAGE);
    let text = std::fs::read_to_string(&csv).expect("csv");
    let cut = format!("2026-10-{:02}", last_day + 1);
    let kept: String = text
        .lines()
        .filter(|line| line.starts_with("date,") || line[..10] < *cut)
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(&csv, kept).expect("write");
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("read");
    assert!(text.contains(from), "{from} in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).expect("write");
}

#[test]
fn a_truncated_month_is_shown_and_never_applied_without_allow_partial() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    truncate_usage(dir, 3);
    let before = psa_state(dir);

    let plan = reckon(dir, &["plan", "--period", "2026-10"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stdout.contains(
            "Warning: incomplete usage data: keeper's usage ends 2026-10-03 and the period runs to 2026-10-31"
        ),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("Incomplete usage data: keeper."),
        "{}",
        plan.stdout
    );

    let apply = reckon(dir, &["apply", "--period", "2026-10", "--auto-approve"]);
    assert_eq!(apply.code, 1, "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        apply
            .stderr
            .contains("refusing to apply: incomplete usage data")
            && apply.stderr.contains("--allow-partial"),
        "{}",
        apply.stderr
    );
    assert_eq!(psa_state(dir), before, "nothing written");
    assert!(
        !dir.join(".reckon/journal.jsonl").exists()
            || std::fs::read_to_string(dir.join(".reckon/journal.jsonl"))
                .expect("journal")
                .is_empty(),
        "no write was even started"
    );

    let forced = reckon(
        dir,
        &[
            "apply",
            "--period",
            "2026-10",
            "--auto-approve",
            "--allow-partial",
        ],
    );
    assert_ne!(
        psa_state(dir),
        before,
        "{}\n{}",
        forced.stdout,
        forced.stderr
    );
}

#[test]
fn a_mapping_to_a_company_that_does_not_exist_fails_plan_and_apply_writes_nothing_for_it() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let first = reckon(dir, &["apply", "--period", "2026-10", "--auto-approve"]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    edit(
        &dir.join("integrations/keeper.yaml"),
        "psa: \"29683365\"",
        "psa: \"99999999\"",
    );

    let plan = reckon(dir, &["plan", "--period", "2026-10", "--detailed-exitcode"]);
    assert_eq!(plan.code, 1, "{}\n{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout.contains("! error company-not-found keeper:"),
        "{}",
        plan.stdout
    );
    assert!(
        !plan.stdout.contains("Contracts match usage"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains(" 1 error, "), "{}", plan.stdout);

    let json = reckon(dir, &["plan", "--period", "2026-10", "--format", "json"]);
    assert_eq!(json.code, 1, "{}", json.stderr);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let broken = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["kind"] == "company-not-found")
        .expect("the finding");
    assert_eq!(broken["severity"], "error");
    assert_eq!(doc["summary"]["errors"], 1);
    assert_eq!(doc["blockers"][0]["kind"], "errors");

    // Acme Dental's usage moves elsewhere now: the plan has changes, but none is written.
    edit(
        &dir.join(USAGE),
        "2026-10-31,3901,Brightside Logistics,Business Plus,5",
        "2026-10-31,3901,Brightside Logistics,Business Plus,100",
    );
    let before = psa_state(dir);
    let apply = reckon(dir, &["apply", "--period", "2026-10", "--auto-approve"]);
    assert_eq!(apply.code, 1, "{}\n{}", apply.stdout, apply.stderr);
    assert!(apply.stdout.contains("not applied"), "{}", apply.stdout);
    assert!(
        apply
            .stdout
            .contains("Apply incomplete: 0 applied, 1 blocked by errors."),
        "{}",
        apply.stdout
    );
    assert_eq!(psa_state(dir), before, "nothing written for keeper");
}

#[test]
fn fail_on_turns_a_warning_into_a_failing_error() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let config = dir.join("reckon.yaml");
    let mut text = std::fs::read_to_string(&config).expect("read");
    text.push_str("  fail_on: [unmapped-account]\n");
    std::fs::write(&config, text).expect("write");
    let plan = reckon(dir, &["plan", "--period", "2026-10"]);
    assert_eq!(plan.code, 1, "{}\n{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout.contains("! error unmapped-account"),
        "{}",
        plan.stdout
    );

    let mut text = std::fs::read_to_string(&config).expect("read");
    text.push_str("  fail_on: [unmaped-account]\n");
    std::fs::write(&config, text.replace("  fail_on: [unmapped-account]\n", "")).expect("write");
    let invalid = reckon(dir, &["validate"]);
    assert_ne!(invalid.code, 0);
    let said = format!("{}{}", invalid.stdout, invalid.stderr);
    assert!(
        said.contains(
            "reckon.yaml:19:13: policy.fail_on: `unmaped-account` is not a kind of finding"
        ),
        "{said}"
    );
}

#[test]
fn a_saved_plan_with_an_edited_quantity_is_refused() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let plan = reckon(dir, &["plan", "--period", "2026-10", "--out", "plan.json"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    edit(
        &dir.join("plan.json"),
        "\"quantity\": \"10\"",
        "\"quantity\": \"9999\"",
    );
    let before = psa_state(dir);
    let apply = reckon(dir, &["apply", "plan.json"]);
    assert_eq!(apply.code, 1, "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        apply.stderr.contains("the plan file was modified"),
        "{}",
        apply.stderr
    );
    assert!(apply.stderr.contains("→ 9999"), "{}", apply.stderr);
    assert_eq!(psa_state(dir), before, "nothing written");
}

#[test]
fn a_saved_plan_with_its_approval_marks_removed_is_refused() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let config = dir.join("reckon.yaml");
    let mut text = std::fs::read_to_string(&config).expect("read");
    text.push_str("  max_increase_percent: 20\n");
    std::fs::write(&config, text).expect("write");
    let plan = reckon(dir, &["plan", "--period", "2026-10", "--out", "plan.json"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let saved = std::fs::read_to_string(dir.join("plan.json")).expect("plan");
    let mut doc: serde_json::Value = serde_json::from_str(&saved).expect("JSON");
    let mut removed = 0;
    for change in doc["changes"].as_array_mut().expect("changes") {
        if change
            .as_object_mut()
            .expect("change")
            .remove("needs_approval")
            .is_some()
        {
            removed += 1;
        }
    }
    assert!(removed > 0, "the plan holds a change for approval: {saved}");
    std::fs::write(
        dir.join("plan.json"),
        serde_json::to_string_pretty(&doc).expect("JSON"),
    )
    .expect("write");
    let before = psa_state(dir);
    let apply = reckon(dir, &["apply", "plan.json"]);
    assert_eq!(apply.code, 1, "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        apply.stderr.contains("the plan file was modified")
            && apply.stderr.contains("needs approval"),
        "{}",
        apply.stderr
    );
    assert_eq!(psa_state(dir), before, "nothing written");
}

#[test]
fn an_absurd_quantity_is_held_by_the_sanity_bound() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    // 10^9 seats for Acme Dental on the last day: a daily average of about 32 million.
    edit(
        &dir.join(USAGE),
        "2026-10-31,3862,Acme Dental,Business Plus,",
        "2026-10-31,3862,Acme Dental,Business Plus,1000000000",
    );
    let before = psa_state(dir);
    let apply = reckon(dir, &["apply", "--period", "2026-10", "--auto-approve"]);
    assert_eq!(apply.code, 1, "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        apply.stdout.contains("exceeds policy.max_quantity 100000"),
        "{}",
        apply.stdout
    );
    let after = psa_state(dir);
    assert!(
        !after.contains("32258"),
        "the absurd quantity was not written:\n{after}"
    );
    assert_ne!(after, before, "the other changes still go");
}
