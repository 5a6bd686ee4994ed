//! GitOps safety end to end on copies of examples/quickstart: saved plans refuse to go stale,
//! the lock lets exactly one apply write, the journal survives a crash mid-apply.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::{copy_of, journal, lock_id, reckon, reckon_with_env, records};

const PSA: &str = "sandbox/psa.yaml";

fn psa_state(dir: &Path) -> String {
    std::fs::read_to_string(dir.join(PSA)).expect("sandbox file")
}

/// Writes a lock held by this test process: it is alive, so the lock is genuinely held.
fn hold_lock(dir: &Path, id: &str, host: &str, command: &str) {
    std::fs::create_dir_all(dir.join(".reckon")).expect("mkdir");
    let lock = serde_json::json!({
        "id": id, "user": "ann", "host": host, "pid": std::process::id(),
        "time": "2026-11-02T09:00:00Z", "command": command
    });
    std::fs::write(dir.join(".reckon/lock"), lock.to_string()).expect("lock");
}

#[test]
fn saved_plan_applies_exactly_and_converges() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let plan = reckon(dir, &["plan", "--period", "2026-10", "--out", "plan.json"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stderr.contains("Saved the plan to plan.json"),
        "{}",
        plan.stderr
    );

    // No --auto-approve and no terminal: the file is the approval.
    let apply = reckon(dir, &["apply", "plan.json"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        apply.stdout.contains("Apply complete: 4 applied."),
        "{}",
        apply.stdout
    );

    let again = reckon(dir, &["plan", "--period", "2026-10", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.stdout);

    let journal = journal(dir);
    assert_eq!(records(&journal, "intent").len(), 4);
    assert_eq!(records(&journal, "outcome").len(), 4);
    let first = records(&journal, "intent")[0];
    assert_eq!(first["before"], "8");
    assert_eq!(first["after"], "10");
    assert_eq!(first["period"], "2026-10");
    assert_eq!(first["effective_date"], "2026-11-01");
}

#[test]
fn planning_flags_cannot_be_combined_with_a_plan_file() {
    let ws = copy_of("examples/quickstart");
    for flag in [["--period", "2026-10"], ["--approve", "keeper/a/b → c/d"]] {
        let run = reckon(ws.path(), &["apply", "plan.json", flag[0], flag[1]]);
        assert_ne!(run.code, 0);
        assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
    }
}

#[test]
fn a_line_edited_between_plan_and_apply_makes_the_plan_stale() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let plan = reckon(dir, &["plan", "--period", "2026-10", "--out", "plan.json"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    // Someone edits C-1001-1 (Business Plus, 10) by hand in the PSA.
    let edited = psa_state(dir).replacen("quantity: \"10\"", "quantity: \"11\"", 1);
    std::fs::write(dir.join(PSA), &edited).expect("edit");

    let apply = reckon(dir, &["apply", "plan.json"]);
    assert_eq!(apply.code, 1, "{}", apply.stdout);
    assert!(apply.stderr.contains("stale plan"), "{}", apply.stderr);
    assert!(
        apply
            .stderr
            .contains("contract C-1001 line C-1001-1): planned against 10, now 11"),
        "{}",
        apply.stderr
    );
    assert_eq!(psa_state(dir), edited, "nothing written");
    assert!(records(&journal(dir), "intent").is_empty());
}

#[test]
fn a_config_change_between_plan_and_apply_makes_the_plan_stale() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let plan = reckon(dir, &["plan", "--period", "2026-10", "--out", "plan.json"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let before = psa_state(dir);
    let integration = dir.join("integrations/keeper.yaml");
    let mut text = std::fs::read_to_string(&integration).expect("read");
    text.push_str("# reviewed\n");
    std::fs::write(&integration, text).expect("edit");

    let apply = reckon(dir, &["apply", "plan.json"]);
    assert_eq!(apply.code, 1);
    assert!(
        apply.stderr.contains("stale plan: the configuration"),
        "{}",
        apply.stderr
    );
    assert_eq!(psa_state(dir), before, "nothing written");
}

#[test]
fn a_lock_held_by_a_live_process_refuses_apply_until_unlocked_with_its_id() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    hold_lock(dir, "feedc0ffee01", "ci-runner-7", "apply plan.json");
    let before = psa_state(dir);

    let apply = reckon(dir, &["apply", "--period", "2026-10", "--auto-approve"]);
    assert_eq!(apply.code, 1);
    assert!(
        apply
            .stderr
            .contains("the workspace is locked: lock feedc0ffee01 held by ann@ci-runner-7"),
        "{}",
        apply.stderr
    );
    assert!(
        apply.stderr.contains("reckon unlock feedc0ffee01"),
        "{}",
        apply.stderr
    );
    assert_eq!(psa_state(dir), before, "nothing written");

    let wrong = reckon(dir, &["unlock", "abc"]);
    assert_eq!(wrong.code, 1);
    assert!(dir.join(".reckon/lock").exists());
    let unlock = reckon(dir, &["unlock", "feedc0ffee01"]);
    assert_eq!(unlock.code, 0, "{}", unlock.stderr);

    let apply = reckon(dir, &["apply", "--period", "2026-10", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    assert!(!dir.join(".reckon/lock").exists(), "released after apply");
}

#[test]
fn two_concurrent_applies_write_each_line_once() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_reckon"))
            .args(["apply", "--period", "2026-10", "--auto-approve"])
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn")
    };
    let (a, b) = (spawn(), spawn());
    let outputs = [
        a.wait_with_output().expect("a"),
        b.wait_with_output().expect("b"),
    ];
    let wrote: Vec<bool> = outputs
        .iter()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("Apply complete: 4 applied."))
        .collect();
    assert_eq!(
        wrote.iter().filter(|w| **w).count(),
        1,
        "exactly one writes"
    );
    // The other either found the lock held or ran after and found nothing to do.
    for output in &outputs {
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stdout.contains("Apply complete: 4 applied.")
                || stderr.contains("the workspace is locked")
                || stdout.contains("No changes."),
            "{stdout}\n{stderr}"
        );
    }
    assert_eq!(records(&journal(dir), "intent").len(), 4);
}

#[test]
fn a_crash_mid_apply_is_reported_and_a_reapply_converges_without_a_double_write() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    one_write_at_a_time(dir);
    let crashed = reckon_with_env(
        dir,
        &["apply", "--period", "2026-10", "--auto-approve"],
        &[("RECKON_TEST_CRASH_AFTER_WRITES", "1")],
    );
    assert_ne!(crashed.code, 0, "aborted: {}", crashed.stdout);
    let journal_after_crash = journal(dir);
    assert_eq!(records(&journal_after_crash, "intent").len(), 1);
    assert!(records(&journal_after_crash, "outcome").is_empty());

    let plan = reckon(dir, &["plan", "--period", "2026-10"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stdout.contains(
            "Warning: apply interrupted: outcome unknown for keeper/Acme Dental/1TB → Acme Dental/KEEPER-1TB (contract C-1001 line C-1001-2, 8 → 10"
        ),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("the line now holds 10"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("0 to create, 3 to update"),
        "{}",
        plan.stdout
    );
    let json = reckon(dir, &["plan", "--period", "2026-10", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(json["interrupted"][0]["line"], "C-1001-2");
    assert_eq!(json["interrupted"][0]["found"], "10");
    let markdown = reckon(
        dir,
        &["plan", "--period", "2026-10", "--format", "markdown"],
    );
    assert!(
        markdown.stdout.contains("> **Warning:** apply interrupted"),
        "{}",
        markdown.stdout
    );

    // The crashed run still holds the lock; it is released with its id.
    let id = lock_id(dir);
    let held = reckon(dir, &["apply", "--period", "2026-10", "--auto-approve"]);
    assert!(
        held.stderr.contains("that process is no longer running"),
        "{}",
        held.stderr
    );
    assert_eq!(reckon(dir, &["unlock", &id]).code, 0);

    let reapply = reckon(dir, &["apply", "--period", "2026-10", "--auto-approve"]);
    assert_eq!(reapply.code, 0, "{}\n{}", reapply.stdout, reapply.stderr);
    assert!(
        reapply.stdout.contains("Apply complete: 3 applied."),
        "{}",
        reapply.stdout
    );

    let journal = journal(dir);
    let intents_for_crashed_line = records(&journal, "intent")
        .into_iter()
        .filter(|r| r["line"] == "C-1001-2")
        .count();
    assert_eq!(intents_for_crashed_line, 1, "no double write");
    assert_eq!(records(&journal, "resolved").len(), 1);
    assert_eq!(records(&journal, "resolved")[0]["found"], "10");

    let clean = reckon(dir, &["plan", "--period", "2026-10", "--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);
    assert!(!clean.stdout.contains("interrupted"), "{}", clean.stdout);
}

const ACME_1TB: &str = "keeper/Acme Dental/1TB → Acme Dental/KEEPER-1TB";

/// Quickstart with `max_increase_percent: 20`: Acme 1TB (8 → 10, +25 %) and Cedar (0 → 7)
/// need approval; Acme Business Plus (+20 %) and Delta (−1) do not.
/// The sandbox writes one line at a time (`psa.write_concurrency: 1`), so a crash after N
/// writes leaves the rest unwritten, as a crash among a real PSA's one-by-one writes does; by
/// default its writes share one rewrite of the file and land together.
fn one_write_at_a_time(dir: &Path) {
    let config = dir.join("reckon.yaml");
    let text = std::fs::read_to_string(&config).expect("read");
    let text = text.replacen(
        "  integer_quantities: true\n",
        "  integer_quantities: true\n  write_concurrency: 1\n",
        1,
    );
    assert!(text.contains("write_concurrency: 1"), "{text}");
    std::fs::write(&config, text).expect("write");
}

fn with_threshold() -> tempfile::TempDir {
    let ws = copy_of("examples/quickstart");
    let config = ws.path().join("reckon.yaml");
    let mut text = std::fs::read_to_string(&config).expect("read");
    text.push_str("  max_increase_percent: 20\n");
    std::fs::write(&config, text).expect("write");
    ws
}

fn approve_in_file(dir: &Path, period: &str, quantity: &str) {
    let text = format!(
        "approvals:\n  - address: \"{ACME_1TB}\"\n    period: \"{period}\"\n    quantity: \"{quantity}\"\n    note: approved by ann, new storage tier\n"
    );
    std::fs::write(dir.join("approvals.yaml"), text).expect("approvals");
}

fn line_changes(dir: &Path, line: &str) -> bool {
    // A written line gains a dated `changes:` entry right after its quantity.
    let state = psa_state(dir);
    let at = state.find(&format!("id: {line}")).expect("line exists");
    let rest = &state[at..];
    let end = rest[1..].find("- id:").map_or(rest.len(), |e| e + 1);
    rest[..end].contains("changes:")
}

#[test]
fn a_change_beyond_a_threshold_is_held_without_approval() {
    let ws = with_threshold();
    let dir = ws.path();
    let plan = reckon(dir, &["plan", "--period", "2026-10"]);
    assert!(
        plan.stdout
            .contains("needs approval: increase of 25% (8 → 10) exceeds max_increase_percent 20"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("2 held for approval."),
        "{}",
        plan.stdout
    );
    let json = reckon(dir, &["plan", "--period", "2026-10", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(json["changes"][0]["approval"]["status"], "needed");
    let markdown = reckon(
        dir,
        &["plan", "--period", "2026-10", "--format", "markdown"],
    );
    assert!(
        markdown.stdout.contains("~ update **(needs approval)**"),
        "{}",
        markdown.stdout
    );

    let apply = reckon(dir, &["apply", "--period", "2026-10", "--auto-approve"]);
    assert_eq!(apply.code, 1, "held changes fail the run");
    assert!(
        apply
            .stdout
            .contains("Apply incomplete: 2 applied, 2 held for approval."),
        "{}",
        apply.stdout
    );
    assert!(!line_changes(dir, "C-1001-2"), "Acme 1TB not written");
    assert!(line_changes(dir, "C-1001-1"), "Acme Business Plus written");
}

#[test]
fn an_approval_in_approvals_yaml_lets_the_change_through() {
    let ws = with_threshold();
    let dir = ws.path();
    approve_in_file(dir, "2026-10", "10");
    let plan = reckon(dir, &["plan", "--period", "2026-10", "--out", "plan.json"]);
    assert!(
        plan.stdout.contains("approved by approvals.yaml:2"),
        "{}",
        plan.stdout
    );
    let apply = reckon(dir, &["apply", "plan.json"]);
    assert!(
        apply
            .stdout
            .contains("Apply incomplete: 3 applied, 1 held for approval."),
        "{}",
        apply.stdout
    );
    assert!(line_changes(dir, "C-1001-2"), "Acme 1TB written");
}

#[test]
fn an_approval_for_another_period_or_quantity_is_ignored() {
    for (period, quantity) in [("2026-09", "10"), ("2026-10", "9")] {
        let ws = with_threshold();
        let dir = ws.path();
        approve_in_file(dir, period, quantity);
        let apply = reckon(dir, &["apply", "--period", "2026-10", "--auto-approve"]);
        assert_eq!(apply.code, 1);
        assert!(
            apply.stdout.contains(&format!("held update {ACME_1TB}")),
            "{period} {quantity}: {}",
            apply.stdout
        );
        assert!(
            !line_changes(dir, "C-1001-2"),
            "{period} {quantity}: not written"
        );
    }
}

#[test]
fn approve_on_the_command_line_approves_one_address_for_this_run() {
    let ws = with_threshold();
    let dir = ws.path();
    let apply = reckon(
        dir,
        &[
            "apply",
            "--period",
            "2026-10",
            "--auto-approve",
            "--approve",
            ACME_1TB,
        ],
    );
    assert!(
        apply
            .stdout
            .contains("Apply incomplete: 3 applied, 1 held for approval."),
        "{}",
        apply.stdout
    );
    assert!(line_changes(dir, "C-1001-2"));
}

#[test]
fn usage_that_would_zero_every_line_is_refused_without_allow_empty() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let csv = dir.join("usage/keeper-2026-10.csv");
    let zeroed = crate::support::set_csv_field(
        &std::fs::read_to_string(&csv).expect("csv"),
        &[],
        "quantity",
        "0",
    );
    std::fs::write(&csv, zeroed).expect("write");
    let config = dir.join("reckon.yaml");
    let mut text = std::fs::read_to_string(&config).expect("read");
    text.push_str("  allow_decrease_to_zero: true\n");
    std::fs::write(&config, text).expect("write");
    let before = psa_state(dir);

    let apply = reckon(dir, &["apply", "--period", "2026-10", "--auto-approve"]);
    assert_eq!(apply.code, 1, "{}", apply.stdout);
    assert!(
        apply
            .stderr
            .contains("the plan sets every line it covers to zero"),
        "{}",
        apply.stderr
    );
    assert_eq!(psa_state(dir), before, "nothing written");

    let forced = reckon(
        dir,
        &[
            "apply",
            "--period",
            "2026-10",
            "--auto-approve",
            "--allow-empty",
        ],
    );
    assert_eq!(forced.code, 0, "{}\n{}", forced.stdout, forced.stderr);
}

#[test]
fn status_shows_the_last_apply_lock_unknown_outcomes_and_pending_approvals() {
    let ws = with_threshold();
    let dir = ws.path();
    one_write_at_a_time(dir);
    let fresh = reckon(dir, &["status"]);
    assert_eq!(fresh.code, 0, "{}", fresh.stderr);
    assert!(
        fresh.stdout.contains("keeper: never applied"),
        "{}",
        fresh.stdout
    );
    assert!(fresh.stdout.contains("Lock: not held"), "{}", fresh.stdout);

    approve_in_file(dir, "2026-10", "10");
    // Writes run in address order: Acme 1TB (approved), Acme Business Plus, then crash.
    let crashed = reckon_with_env(
        dir,
        &["apply", "--period", "2026-10", "--auto-approve"],
        &[("RECKON_TEST_CRASH_AFTER_WRITES", "2")],
    );
    assert_ne!(crashed.code, 0);
    let status = reckon(dir, &["status"]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert!(
        status
            .stdout
            .contains("keeper: last applied 2026-10 from commit"),
        "{}",
        status.stdout
    );
    assert!(
        status
            .stdout
            .contains("interrupted (1 applied, 0 failed, 1 unknown)"),
        "{}",
        status.stdout
    );
    assert!(
        status.stdout.contains("that process is no longer running"),
        "{}",
        status.stdout
    );
    assert!(
        status.stdout.contains(
            "keeper/Acme Dental/Business Plus → Acme Dental/KEEPER-BP (contract C-1001 line C-1001-1): 10 → 12"
        ),
        "{}",
        status.stdout
    );
    // The approved Acme 1TB change was applied, so its approval is no longer pending.
    assert!(
        status.stdout.contains("Pending approvals: none"),
        "{}",
        status.stdout
    );
}

#[test]
fn github_format_annotates_yaml_lines_and_writes_the_step_summary() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let integration = dir.join("integrations/keeper.yaml");
    let text = std::fs::read_to_string(&integration).expect("read");
    std::fs::write(
        &integration,
        text.replacen("psa: \"29683365\"", "psa: \"99999999\"", 1),
    )
    .expect("edit");
    let summary = dir.join("summary.md");
    let summary_env = summary.to_str().expect("utf8 path");
    let plan = reckon_with_env(
        dir,
        &["plan", "--period", "2026-10", "--format", "github"],
        &[("GITHUB_STEP_SUMMARY", summary_env)],
    );
    // A mapping to a company that does not exist is an error: the whole plan, then exit 1.
    assert_eq!(plan.code, 1, "{}", plan.stderr);
    assert!(
        plan.stdout.contains(
            "::error file=integrations/keeper.yaml,line=12,col=15,title=company-not-found::"
        ),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("title=company-not-found::"),
        "{}",
        plan.stdout
    );
    let written = std::fs::read_to_string(&summary).expect("step summary");
    assert!(
        written.starts_with("### reckon plan for 2026-10"),
        "{written}"
    );

    // Validation errors are annotations too.
    let config = dir.join("reckon.yaml");
    let mut text = std::fs::read_to_string(&config).expect("read");
    text.push_str("  bogus: 1\n");
    std::fs::write(&config, text).expect("write");
    let invalid = reckon(dir, &["apply", "--period", "2026-10", "--format", "github"]);
    assert_eq!(invalid.code, 1);
    assert!(
        invalid.stdout.starts_with("::error file=reckon.yaml,line="),
        "{}",
        invalid.stdout
    );
}

#[test]
fn validate_checks_approvals_yaml() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    std::fs::write(
        dir.join("approvals.yaml"),
        "approvals:\n  - address: x\n    period: October\n    quantity: \"7\"\n",
    )
    .expect("write");
    let run = reckon(dir, &["validate"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .contains("approvals.yaml:3:13: period `October` is not YYYY-MM"),
        "{}",
        run.stdout
    );
}

#[test]
fn lock_timeout_waits_for_the_holder_to_release() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    hold_lock(dir, "feedc0ffee02", "ci", "apply");
    let waiting = Command::new(env!("CARGO_BIN_EXE_reckon"))
        .args([
            "apply",
            "--period",
            "2026-10",
            "--auto-approve",
            "--lock-timeout",
            "60s",
        ])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // The holder finishes; the waiting apply (60 s budget) then takes the lock and writes.
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(reckon(dir, &["unlock", "feedc0ffee02"]).code, 0);
    let output = waiting.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("Apply complete: 4 applied."), "{stdout}");
}

#[test]
fn plan_with_thresholds_is_pinned() {
    let ws = with_threshold();
    let dir = ws.path();
    approve_in_file(dir, "2026-10", "10");
    let text = reckon(dir, &["plan", "--period", "2026-10"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    insta::assert_snapshot!("safety_plan_thresholds_text", text.stdout);
    let markdown = reckon(
        dir,
        &["plan", "--period", "2026-10", "--format", "markdown"],
    );
    insta::assert_snapshot!("safety_plan_thresholds_markdown", markdown.stdout);
}
