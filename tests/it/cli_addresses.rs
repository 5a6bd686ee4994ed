//! Plan addresses anyone can type: `->` works wherever `→` does, and an approval that matches
//! no line of the plan is a warning with the nearest address instead of silence.

use std::path::Path;

use crate::support::{copy_of, reckon};

const TYPED: &str = "keeper/Acme Dental/1TB -> Acme Dental/KEEPER-1TB";

/// Quickstart with `max_increase_percent: 20`: Acme 1TB (8 → 10) needs approval.
fn with_threshold() -> tempfile::TempDir {
    let ws = copy_of("examples/quickstart");
    let config = ws.path().join("reckon.yaml");
    let mut text = std::fs::read_to_string(&config).expect("read");
    text.push_str("  max_increase_percent: 20\n");
    std::fs::write(&config, text).expect("write");
    ws
}

fn approve_in_file(dir: &Path, address: &str) {
    let text = format!(
        "approvals:\n  - address: \"{address}\"\n    period: \"2026-10\"\n    quantity: \"10\"\n"
    );
    std::fs::write(dir.join("approvals.yaml"), text).expect("approvals");
}

#[test]
fn an_ascii_arrow_on_the_command_line_approves_the_change() {
    let ws = with_threshold();
    let apply = reckon(
        ws.path(),
        &[
            "apply",
            "--period",
            "2026-10",
            "--auto-approve",
            "--approve",
            TYPED,
        ],
    );
    assert!(
        apply.stdout.contains("approved by --approve"),
        "{}",
        apply.stdout
    );
    assert!(
        apply
            .stdout
            .contains("Apply incomplete: 3 applied, 1 held for approval."),
        "{}",
        apply.stdout
    );
    assert!(
        !apply.stderr.contains("matches no line"),
        "{}",
        apply.stderr
    );
}

#[test]
fn an_ascii_arrow_in_approvals_yaml_approves_and_is_not_pending_once_applied() {
    let ws = with_threshold();
    let dir = ws.path();
    approve_in_file(dir, TYPED);
    let validate = reckon(dir, &["validate"]);
    assert_eq!(validate.code, 0, "{}", validate.stdout);
    assert!(!validate.stdout.contains("warning"), "{}", validate.stdout);
    let plan = reckon(dir, &["plan", "--period", "2026-10"]);
    assert!(
        plan.stdout.contains("approved by approvals.yaml:2"),
        "{}",
        plan.stdout
    );
    let apply = reckon(dir, &["apply", "--period", "2026-10", "--auto-approve"]);
    assert!(
        apply.stdout.contains("3 applied, 1 held"),
        "{}",
        apply.stdout
    );
    let status = reckon(dir, &["status"]);
    assert!(
        status.stdout.contains("Pending approvals: none"),
        "{}",
        status.stdout
    );
}

#[test]
fn an_approval_matching_no_line_is_a_warning_naming_the_nearest_address() {
    let ws = with_threshold();
    let dir = ws.path();
    approve_in_file(dir, "keeper/Acme Dental/1TB → Acme Dental/KEEPER-1T");
    let plan = reckon(dir, &["plan", "--period", "2026-10"]);
    assert!(
        plan.stderr.contains(
            "warning: approvals.yaml:2:14: approval for \"keeper/Acme Dental/1TB → Acme Dental/KEEPER-1T\" matches no line of the 2026-10 plan"
        ),
        "{}",
        plan.stderr
    );
    assert!(
        plan.stderr.contains(
            "the nearest address in the plan is \"keeper/Acme Dental/1TB → Acme Dental/KEEPER-1TB\""
        ),
        "{}",
        plan.stderr
    );
    let apply = reckon(
        dir,
        &[
            "apply",
            "--period",
            "2026-10",
            "--auto-approve",
            "--approve",
            "keeper/Acme Dental/1TB -> Acme Dentl/KEEPER-1TB",
        ],
    );
    assert!(
        apply.stderr.contains(
            "warning: --approve: approval for \"keeper/Acme Dental/1TB → Acme Dentl/KEEPER-1TB\" matches no line"
        ),
        "{}",
        apply.stderr
    );
}

#[test]
fn validate_warns_about_approvals_that_can_never_match() {
    let ws = with_threshold();
    let dir = ws.path();
    approve_in_file(dir, "keepr/Acme Dental/1TB → Acme Dental/KEEPER-1TB");
    let validate = reckon(dir, &["validate"]);
    assert!(
        validate
            .stdout
            .contains("names integration `keepr`, which does not exist (did you mean `keeper`?)"),
        "{}",
        validate.stdout
    );
    let status = reckon(dir, &["status"]);
    assert!(
        status.stdout.contains("Pending approvals: none"),
        "{}",
        status.stdout
    );
}
