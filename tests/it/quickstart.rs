//! The main job end to end on examples/quickstart: plan shows changes and findings, apply writes
//! them, the next plan is empty; JSON and markdown plans are pinned.

use crate::support::{copy_of, reckon};

const PERIOD: &[&str] = &["--period", "2026-10"];

fn args<'a>(command: &[&'a str]) -> Vec<&'a str> {
    let mut all = command.to_vec();
    all.extend_from_slice(PERIOD);
    all
}

#[test]
fn plan_apply_plan_converges() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();

    let plan = reckon(dir, &args(&["plan", "--detailed-exitcode"]));
    assert_eq!(plan.code, 2, "changes pending: {}", plan.stderr);
    insta::assert_snapshot!("quickstart_plan_text", plan.stdout);

    let apply = reckon(dir, &args(&["apply", "--auto-approve"]));
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        apply.stdout.contains("Apply complete: 4 applied."),
        "{}",
        apply.stdout
    );

    let again = reckon(dir, &args(&["plan", "--detailed-exitcode"]));
    assert_eq!(again.code, 0, "{}", again.stdout);
    assert!(
        again.stdout.contains("No changes. 4 warnings."),
        "{}",
        again.stdout
    );

    let psa = std::fs::read_to_string(dir.join("sandbox/psa.yaml")).expect("sandbox");
    assert!(psa.contains("effective_date: \"2026-11-01\""), "{psa}");
}

#[test]
fn json_plan_is_pinned() {
    let ws = copy_of("examples/quickstart");
    let run = reckon(ws.path(), &args(&["plan", "--format", "json"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    assert_eq!(json["format_version"], 1);
    assert_eq!(json["has_changes"], true);
    insta::assert_snapshot!("quickstart_plan_json", run.stdout);
}

#[test]
fn markdown_plan_is_pinned() {
    let ws = copy_of("examples/quickstart");
    let run = reckon(ws.path(), &args(&["plan", "--format", "markdown"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("quickstart_plan_markdown", run.stdout);
}

#[test]
fn usage_lists_every_account_except_excluded_ones() {
    let ws = copy_of("examples/quickstart");
    let run = reckon(ws.path(), &args(&["usage", "--format", "json"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).expect("JSON array");
    assert!(
        rows.iter().all(|r| r["account"] != "4999"),
        "excluded account listed"
    );
    let cedar = rows
        .iter()
        .find(|r| r["account"] == "4120")
        .expect("Cedar Law");
    assert_eq!(cedar["days_with_data"], 16);
    assert_eq!(cedar["total"], "224");
    assert_eq!(cedar["quantity"], "7");
    let text = reckon(ws.path(), &args(&["usage"]));
    insta::assert_snapshot!("quickstart_usage_text", text.stdout);
}

#[test]
fn apply_without_a_terminal_refuses_and_writes_nothing() {
    let ws = copy_of("examples/quickstart");
    let before = std::fs::read_to_string(ws.path().join("sandbox/psa.yaml")).expect("read");
    let run = reckon(ws.path(), &args(&["apply"]));
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("standard input is not a terminal"),
        "{}",
        run.stderr
    );
    let after = std::fs::read_to_string(ws.path().join("sandbox/psa.yaml")).expect("read");
    assert_eq!(before, after);
}

#[test]
fn a_line_edited_out_of_band_fails_only_that_action() {
    let ws = copy_of("examples/quickstart");
    let psa = ws.path().join("sandbox/psa.yaml");
    // Simulate a human editing Delta Dental's line between reckon's read and its write: the
    // sandbox refuses a write whose expected quantity no longer matches.
    let plan = reckon(ws.path(), &args(&["plan", "--format", "json"]));
    assert_eq!(plan.code, 0);
    let text = std::fs::read_to_string(&psa).expect("read");
    std::fs::write(&psa, text.replace("quantity: \"20\"", "quantity: \"21\"")).expect("edit");
    let apply = reckon(ws.path(), &args(&["apply", "--auto-approve"]));
    assert_eq!(
        apply.code, 0,
        "a fresh plan sees 21 and plans 21 → 19: {}",
        apply.stdout
    );
    assert!(
        apply.stdout.contains("quantity 21 → 19"),
        "{}",
        apply.stdout
    );
}

#[test]
fn unknown_integration_is_a_clear_error() {
    let ws = copy_of("examples/quickstart");
    let run = reckon(ws.path(), &args(&["plan", "--integration", "pax8"]));
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("error: no integration named pax8"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("hint: the workspace has: keeper"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_missing_usage_file_names_the_period_and_path() {
    let ws = copy_of("examples/quickstart");
    let run = reckon(ws.path(), &["plan", "--period", "2026-09"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("usage/keeper-2026-09.csv: file not found"),
        "{}",
        run.stderr
    );
}
