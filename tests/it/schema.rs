//! The checked-in JSON Schemas must be what `reckon schema` generates.

use crate::support::{reckon, repo};

#[test]
fn checked_in_schemas_are_current() {
    for (name, generated) in reckon::schema::generate() {
        let path = repo().join("schemas").join(name);
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            checked_in == generated,
            "{} is stale: run `cargo run -- schema` and commit the result",
            path.display()
        );
    }
}

#[test]
fn schema_command_writes_both_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let run = reckon(
        dir.path(),
        &["schema", "--out", out.to_str().expect("utf8")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let workspace = std::fs::read_to_string(out.join("workspace.schema.json")).expect("written");
    let schema: serde_json::Value = serde_json::from_str(&workspace).expect("JSON");
    assert_eq!(
        schema["additionalProperties"], false,
        "deny_unknown_fields reaches the schema"
    );
    assert!(out.join("integration.schema.json").exists());
}
