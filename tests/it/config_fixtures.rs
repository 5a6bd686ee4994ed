//! Data-driven config tests: every `tests/fixtures/config/valid/*` workspace validates, every
//! `invalid/*` workspace exits 1 with its rendered errors pinned by an insta snapshot.

use std::path::{Path, PathBuf};

use crate::support::{reckon, reckon_with_env, repo};

fn fixtures(kind: &str) -> (PathBuf, Vec<String>) {
    let dir = repo().join("tests/fixtures/config").join(kind);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixtures folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    (dir, names)
}

#[test]
fn valid_fixtures_validate() {
    let (dir, names) = fixtures("valid");
    assert!(names.len() >= 5);
    for name in names {
        let run = reckon(&dir, &["-C", &name, "validate"]);
        assert_eq!(run.code, 0, "{name}: {}{}", run.stdout, run.stderr);
    }
}

#[test]
fn invalid_fixtures_fail_with_pinned_errors() {
    let (dir, names) = fixtures("invalid");
    assert!(names.len() >= 15, "the corpus covers every rule");
    for name in names {
        let run = reckon(&dir, &["-C", &name, "validate"]);
        assert_eq!(run.code, 1, "{name} must be rejected:\n{}", run.stdout);
        assert!(
            run.stdout.contains(&format!("{name}/")),
            "{name}: errors name the file:\n{}",
            run.stdout
        );
        assert!(
            !run.stdout.contains("panicked") && !run.stderr.contains("panicked"),
            "{name}"
        );
        insta::assert_snapshot!(format!("invalid_{name}"), run.stdout);
    }
}

#[test]
fn a_literal_secret_is_never_echoed() {
    let (dir, _) = fixtures("invalid");
    for format in ["text", "json", "github"] {
        let run = reckon(
            &dir,
            &["-C", "literal-credential", "validate", "--format", format],
        );
        assert!(
            !run.stdout.contains("hunter2") && !run.stderr.contains("hunter2"),
            "{format}"
        );
    }
}

#[test]
fn json_and_github_formats_carry_file_line_and_column() {
    let (dir, _) = fixtures("invalid");
    let run = reckon(
        &dir,
        &["-C", "account-mapped-twice", "validate", "--format", "json"],
    );
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(report["valid"], false);
    let first = &report["diagnostics"][0];
    assert_eq!(
        first["file"],
        "account-mapped-twice/integrations/keeper.yaml"
    );
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64()),
        (Some(10), Some(15))
    );
    let github = reckon(
        &dir,
        &[
            "-C",
            "account-mapped-twice",
            "validate",
            "--format",
            "github",
        ],
    );
    assert!(
        github.stdout.starts_with(
            "::error file=account-mapped-twice/integrations/keeper.yaml,line=10,col=15::"
        ),
        "{}",
        github.stdout
    );
}

#[test]
fn unset_credentials_warn_in_validate_and_fail_commands_that_connect() {
    let (dir, _) = fixtures("valid");
    let ws = dir.join("autotask-credentials");
    let validate = reckon(&ws, &["validate"]);
    assert_eq!(validate.code, 0);
    assert!(validate.stdout.contains("warning: reckon.yaml:3:13: psa.username: environment variable RECKON_FIXTURE_AT_USER is not set"), "{}", validate.stdout);
    let plan = reckon(&ws, &["plan", "--period", "2026-10"]);
    assert_eq!(plan.code, 1);
    assert!(
        plan.stderr.contains(
            "environment variable RECKON_FIXTURE_AT_USER is not set (needed for psa.username)"
        ),
        "{}",
        plan.stderr
    );
    // A credential file others can read is a warning of its own (git checks files out 644).
    let code = ws.join("secrets/code.txt");
    std::fs::set_permissions(&code, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    let with_env = reckon_with_env(
        &ws,
        &["validate"],
        &[
            ("RECKON_FIXTURE_AT_USER", "u"),
            ("RECKON_FIXTURE_AT_SECRET", "s"),
        ],
    );
    assert!(!with_env.stdout.contains("warning"), "{}", with_env.stdout);
}

#[test]
fn hostile_files_never_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ws = dir.path();
    std::fs::create_dir_all(ws.join("integrations")).expect("mkdir");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated", b"psa:\n  kind: sand".to_vec()),
        ("binary", (0u8..=255).cycle().take(4096).collect()),
        ("deep-flow", "[".repeat(50_000).into_bytes()),
        (
            "deep-block",
            (0..2000)
                .map(|i| format!("{}a:\n", " ".repeat(i)))
                .collect::<String>()
                .into_bytes(),
        ),
        (
            "huge",
            format!("psa: {}\n", "x".repeat(5_000_000)).into_bytes(),
        ),
        ("empty", Vec::new()),
        (
            "aliases",
            b"a: &a [1,2]\nb: &b [*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b]\nd: [*c,*c,*c,*c]\n".to_vec(),
        ),
    ];
    for (name, bytes) in cases {
        for target in ["reckon.yaml", "integrations/x.yaml"] {
            std::fs::write(
                ws.join("reckon.yaml"),
                "psa: {kind: sandbox, path: p.yaml}\n",
            )
            .expect("write");
            std::fs::write(ws.join(target), &bytes).expect("write");
            let run = reckon(ws, &["validate"]);
            assert_eq!(run.code, 1, "{name} in {target}");
            assert!(
                !run.stderr.contains("panicked"),
                "{name} in {target}: {}",
                run.stderr
            );
            assert!(
                run.stdout
                    .contains(&format!("{}", Path::new(target).display())),
                "{name}: {}",
                run.stdout
            );
        }
    }
}
