//! `reckon show PLAN_FILE`: a saved plan renders exactly as the `plan` that saved it, in every
//! format whose output is deterministic (text adds the provenance above it), and `apply` given
//! the JSON plan instead of a saved plan says so in one line with the command to use.

use std::path::Path;

use crate::support::{PLAN_TIME, copy_of, reckon};

/// `plan --format FORMAT --out FILE`, then `show FILE --format FORMAT`: (plan's, show's) stdout.
fn plan_then_show(dir: &Path, format: &str, file: &Path) -> (String, String) {
    let file = file.to_str().expect("utf-8 path");
    let plan = reckon(
        dir,
        &[
            "plan", "--period", "2026-10", "--format", format, "--out", file,
        ],
    );
    assert!(plan.code == 0 || plan.code == 1, "{}", plan.stderr);
    let show = reckon(dir, &["show", file, "--format", format]);
    assert_eq!(show.code, 0, "{}", show.stderr);
    (plan.stdout, show.stdout)
}

/// The provenance block `show` prints above the text plan, for a workspace outside git.
fn provenance_block(file: &Path) -> String {
    format!(
        "Saved plan {}:\n  period  2026-10\n  PSA     sandbox (sandbox/psa.yaml)\n  \
         commit  not in git\n  made    {PLAN_TIME}\n  by      tester@testhost\n  \
         reckon  {}\n\n",
        file.display(),
        env!("CARGO_PKG_VERSION")
    )
}

fn assert_round_trips(dir: &Path, out: &Path) {
    for format in ["json", "markdown", "html"] {
        let (plan, show) = plan_then_show(dir, format, &out.join(format!("{format}.plan")));
        assert!(!plan.is_empty());
        assert_eq!(show, plan, "show --format {format} differs from plan");
    }
    let file = out.join("text.plan");
    let (plan, show) = plan_then_show(dir, "text", &file);
    assert_eq!(show, format!("{}{plan}", provenance_block(&file)));
}

#[test]
fn show_renders_a_saved_plan_exactly_as_plan_did_in_every_format() {
    let ws = copy_of("examples/quickstart");
    let out = tempfile::tempdir().expect("tempdir");
    assert_round_trips(ws.path(), out.path());
    // What makes it exact: the unchanged line, the findings and the charts' daily series were
    // kept, not only the actions apply needs.
    let (plan, _) = plan_then_show(ws.path(), "text", &out.path().join("p"));
    assert!(
        plan.contains("Findings:") && plan.contains("1 unchanged"),
        "{plan}"
    );
    let saved = std::fs::read_to_string(out.path().join("p")).expect("saved plan");
    assert!(saved.contains("\"daily\": \"2026-10-01 "), "{saved}");
    assert!(saved.contains("\"action\": \"no-op\""), "{saved}");
}

#[test]
fn show_keeps_errors_blocked_changes_and_incomplete_data() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    // Usage that stops on 3 October, and a mapping to a company the PSA does not have.
    let usage = dir.join("usage/keeper-2026-10.csv");
    let text = std::fs::read_to_string(&usage).expect("usage");
    let kept: String = text
        .lines()
        .filter(|l| !l.starts_with("2026-10-") || &l[8..10] <= "03")
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&usage, kept).expect("truncate");
    let keeper = dir.join("integrations/keeper.yaml");
    let yaml = std::fs::read_to_string(&keeper).expect("keeper.yaml");
    let yaml = yaml.replacen("psa: \"29683365\"", "psa: \"99999999\"", 1);
    std::fs::write(&keeper, yaml).expect("write");
    let out = tempfile::tempdir().expect("tempdir");
    let (plan, _) = plan_then_show(dir, "text", &out.path().join("p"));
    assert!(
        plan.contains("incomplete usage data") && plan.contains("! error company-not-found"),
        "{plan}"
    );
    assert_round_trips(dir, out.path());
}

#[test]
fn apply_given_the_json_plan_says_so_in_one_line_with_the_command_to_use() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let json = reckon(dir, &["plan", "--period", "2026-10", "--format", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let file = dir.join("plan.json");
    std::fs::write(&file, &json.stdout).expect("write");
    let apply = reckon(dir, &["apply", "plan.json"]);
    assert_eq!(apply.code, 1, "{}", apply.stdout);
    let first = apply.stderr.lines().next().unwrap_or_default();
    assert!(
        first.contains(
            "plan.json is the JSON plan of `reckon plan --format json`, not a saved plan"
        ) && first.contains("`reckon plan --out FILE`"),
        "{}",
        apply.stderr
    );
    assert!(!apply.stderr.contains("invalid type"), "{}", apply.stderr);
    let show = reckon(dir, &["show", "plan.json"]);
    assert_eq!(show.code, 1);
    assert!(show.stderr.contains("is the JSON plan"), "{}", show.stderr);
    let psa = std::fs::read_to_string(dir.join("sandbox/psa.yaml")).expect("sandbox");
    let original = std::fs::read_to_string(
        crate::support::repo().join("examples/quickstart/sandbox/psa.yaml"),
    )
    .expect("original");
    assert_eq!(psa, original, "nothing written");
}

#[test]
fn the_json_plan_and_the_saved_plan_agree_on_format_version_as_a_number() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let json = reckon(
        dir,
        &[
            "plan",
            "--period",
            "2026-10",
            "--format",
            "json",
            "--out",
            "saved.json",
        ],
    );
    assert_eq!(json.code, 0, "{}", json.stderr);
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).expect("json plan");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("saved.json")).expect("saved"))
            .expect("saved plan");
    assert!(
        plan["format_version"].is_u64(),
        "{}",
        plan["format_version"]
    );
    assert!(
        saved["format_version"].is_u64(),
        "{}",
        saved["format_version"]
    );
    assert_eq!(plan["provenance"], saved["provenance"]);
}
