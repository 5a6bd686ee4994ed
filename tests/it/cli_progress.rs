//! Progress of `apply` on stderr, never on stdout: in CI (no terminal) a line every few seconds
//! and always the last one.

use crate::support::{copy_of, reckon, reckon_with_env};

#[test]
fn apply_reports_writes_done_of_the_total_on_stderr_only() {
    let ws = copy_of("examples/quickstart");
    let args = ["apply", "--period", "2026-10", "--auto-approve"];
    let every = reckon_with_env(ws.path(), &args, &[("RECKON_PROGRESS_SECONDS", "0")]);
    assert_eq!(every.code, 0, "{}", every.stderr);
    let lines: Vec<&str> = every
        .stderr
        .lines()
        .filter(|l| l.starts_with("apply: "))
        .collect();
    assert_eq!(
        lines,
        [
            "apply: 1 of 4 written, 0 failed",
            "apply: 2 of 4 written, 0 failed",
            "apply: 3 of 4 written, 0 failed",
            "apply: 4 of 4 written, 0 failed",
        ],
        "{}",
        every.stderr
    );
    assert!(!every.stdout.contains("apply: "), "{}", every.stdout);

    let ws = copy_of("examples/quickstart");
    let default = reckon(ws.path(), &args);
    let lines: Vec<&str> = default
        .stderr
        .lines()
        .filter(|l| l.starts_with("apply: "))
        .collect();
    // Every 5 s by default (four sandbox writes usually take less: one line), and always
    // the closing line.
    assert!(!lines.is_empty() && lines.len() <= 4, "{}", default.stderr);
    assert_eq!(lines.last(), Some(&"apply: 4 of 4 written, 0 failed"));
}
