//! `reckon completions SHELL`, `reckon man`, `reckon version [--format json]`.

use crate::support::reckon;

#[test]
fn completions_are_printed_for_each_shell() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (shell, marker) in [
        ("bash", "complete -F _reckon"),
        ("zsh", "#compdef reckon"),
        ("fish", "complete -c reckon"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let run = reckon(dir.path(), &["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        assert!(run.stdout.contains(marker), "{shell}: {}", run.stdout);
        assert!(run.stdout.contains("apply"), "{shell}");
    }
}

#[test]
fn the_man_page_is_roff_naming_every_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = reckon(dir.path(), &["man"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with(".ie"), "{}", &run.stdout[..80]);
    assert!(run.stdout.contains(".TH reckon 1"), "{}", run.stdout);
    for command in ["plan", "apply", "validate", "completions"] {
        assert!(run.stdout.contains(command), "{command}");
    }
}

#[test]
fn version_names_the_build_and_its_commit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = reckon(dir.path(), &["version"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stdout
            .starts_with(&format!("reckon {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{}",
        text.stdout
    );
    let json = reckon(dir.path(), &["version", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    let commit = json["commit"].as_str().expect("commit");
    assert!(!commit.is_empty());
    assert!(text.stdout.contains(commit));
}
