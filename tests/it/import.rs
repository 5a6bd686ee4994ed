//! `reckon import` on temp copies of examples/quickstart: the proposal is a diff, `--write`
//! only adds lines (every comment and existing line stays byte-for-byte), a second run is a
//! no-op, and a vendor account that appears after setup is both an unmapped finding in `plan`
//! and a proposal (or a commented suggestion) in `import`.

use std::path::Path;

use similar::{ChangeTag, TextDiff};

use crate::support::{copy_of, reckon};

const KEEPER: &str = "integrations/keeper.yaml";

fn import(dir: &Path, extra: &[&str]) -> crate::support::Run {
    let mut args = vec!["import", "--integration", "keeper", "--period", "2026-10"];
    args.extend_from_slice(extra);
    reckon(dir, &args)
}

/// Every line of `before` is still in `after`, in order and byte-for-byte; lines were only added.
fn only_added(before: &str, after: &str) -> Vec<String> {
    let diff = TextDiff::from_lines(before, after);
    let mut added = Vec::new();
    for change in diff.iter_all_changes() {
        match change.tag() {
            ChangeTag::Delete => panic!("line removed or changed: {:?}\n{after}", change.value()),
            ChangeTag::Insert => added.push(change.value().to_owned()),
            ChangeTag::Equal => {}
        }
    }
    added
}

#[test]
fn import_shows_a_diff_writes_only_additions_and_is_idempotent() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let original = std::fs::read_to_string(dir.join(KEEPER)).expect("keeper.yaml");

    let dry = import(dir, &[]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    insta::assert_snapshot!("import_quickstart_dry_run", dry.stdout);
    let unchanged = std::fs::read_to_string(dir.join(KEEPER)).expect("keeper.yaml");
    assert_eq!(unchanged, original, "without --write nothing is written");

    let write = import(dir, &["--write"]);
    assert_eq!(write.code, 0, "{}", write.stderr);
    assert!(
        write
            .stdout
            .contains("Wrote 2 account and 0 service mapping(s) and 2 note(s)"),
        "{}",
        write.stdout
    );
    let written = std::fs::read_to_string(dir.join(KEEPER)).expect("keeper.yaml");
    let added = only_added(&original, &written);
    assert!(
        added
            .iter()
            .all(|l| l.starts_with("    ") || l.starts_with("  "))
    );
    for comment in original.lines().filter(|l| l.contains('#')) {
        assert!(written.contains(comment), "comment lost: {comment}");
    }
    // Unmatched names are comments, never mappings: 5120 is still unmapped in the plan.
    assert!(
        written.contains("# reckon import: vendor account \"5120\""),
        "{written}"
    );

    let again = import(dir, &["--write"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stdout.contains("Nothing to import"),
        "{}",
        again.stdout
    );
    let after_second = std::fs::read_to_string(dir.join(KEEPER)).expect("keeper.yaml");
    assert_eq!(after_second, written, "a second run adds nothing");

    // The explicit mappings bill exactly what exact-name matching billed.
    let plan = reckon(dir, &["plan", "--period", "2026-10"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stdout
            .contains("Plan: 0 to create, 4 to update, 1 unchanged. 4 warnings."),
        "{}",
        plan.stdout
    );
}

#[test]
fn a_vendor_account_added_after_setup_is_a_finding_and_an_import_proposal() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let usage = dir.join("usage/keeper-2026-10.csv");
    let mut csv = std::fs::read_to_string(&usage).expect("usage");
    // Two customers added at the vendor mid-month: one named exactly like a PSA company, one not.
    csv.push_str("2026-10-15,6000,Fjord Consulting AS,Business Plus,4\n");
    csv.push_str("2026-10-15,6001,Fjord Consulting,Business Plus,62\n");
    std::fs::write(&usage, csv).expect("usage");
    std::fs::write(
        dir.join(KEEPER),
        std::fs::read_to_string(dir.join(KEEPER))
            .expect("keeper")
            .replace("auto_match: exact-name", "auto_match: none"),
    )
    .expect("auto_match off");

    let plan = reckon(dir, &["plan", "--period", "2026-10", "--format", "json"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout).expect("json");
    let unmapped: Vec<(&str, &str)> = plan["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["kind"] == "unmapped-account")
        .map(|f| {
            (
                f["vendor_account"].as_str().expect("account"),
                f["usage"].as_str().expect("usage"),
            )
        })
        .collect();
    // 4 users on one day of 31: a daily average of 0.129…
    assert!(
        unmapped
            .iter()
            .any(|(id, usage)| *id == "6000" && usage.starts_with("0.129")),
        "{unmapped:?}"
    );
    assert!(unmapped.iter().any(|(id, _)| *id == "6001"), "{unmapped:?}");

    let run = import(dir, &["--write"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("+ 6001 \"Fjord Consulting\" → 29683369 \"Fjord Consulting\""),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("? 6000 \"Fjord Consulting AS\""),
        "{}",
        run.stdout
    );
    let written = std::fs::read_to_string(dir.join(KEEPER)).expect("keeper.yaml");
    assert!(
        written.contains("    - vendor: \"6001\"   # Fjord Consulting\n      psa: \"29683369\""),
        "{written}"
    );
    assert!(
        written.contains("    # - {vendor: \"6000\", psa: \"29683369\"}   # Fjord Consulting\n"),
        "{written}"
    );

    let plan = reckon(dir, &["plan", "--period", "2026-10"]);
    assert!(
        plan.stdout.contains(
            "~ update keeper/Fjord Consulting/Business Plus → Fjord Consulting/KEEPER-BP\n      quantity 3 → 2"
        ),
        "the imported mapping bills 6001: {}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("vendor account \"Fjord Consulting AS\" (id 6000)"),
        "the suggestion is only a comment: {}",
        plan.stdout
    );
}

#[test]
fn import_refuses_an_unknown_integration() {
    let ws = copy_of("examples/quickstart");
    let run = reckon(ws.path(), &["import", "--integration", "nope"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("no integration named nope"),
        "{}",
        run.stderr
    );
}
