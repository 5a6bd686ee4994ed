//! `reckon init` scaffolds a workspace that validates and plans.

use crate::support::reckon;

#[test]
fn init_output_validates_and_plans() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = reckon(dir.path(), &["init", "ws"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ws = dir.path().join("ws");
    let validate = reckon(&ws, &["validate"]);
    assert_eq!(validate.code, 0, "{}{}", validate.stdout, validate.stderr);
    let plan = reckon(&ws, &["plan"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stdout
            .contains("~ update keeper/Example Dental/Business Plus"),
        "{}",
        plan.stdout
    );
    assert!(ws.join(".gitignore").exists() && ws.join("schemas/workspace.schema.json").exists());
}

#[test]
fn init_refuses_an_existing_workspace() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_eq!(reckon(dir.path(), &["init"]).code, 0);
    let again = reckon(dir.path(), &["init"]);
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("already has a reckon.yaml"),
        "{}",
        again.stderr
    );
}

#[test]
fn usage_errors_exit_1_not_the_changes_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = reckon(dir.path(), &["plan", "--detailed-exitcode", "--bogus"]);
    assert_eq!(run.code, 1, "2 means 'plan has changes'");
    assert!(
        run.stderr.contains("unexpected argument '--bogus'"),
        "{}",
        run.stderr
    );
    assert_eq!(reckon(dir.path(), &["--help"]).code, 0);
}
