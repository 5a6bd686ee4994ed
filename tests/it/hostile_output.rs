//! Vendor names crafted for CI logs, terminals and pull-request comments never reach an output
//! raw: no line of stdout or stderr starts a GitHub workflow command, no escape sequence or bidi
//! override reaches the terminal, and markdown pings nobody (issue 15 item 5).

use std::path::Path;

use crate::support::{Run, copy_of, reckon};

/// A newline and a workflow command, a title change, a screen clear, concealed text, a C1 CSI,
/// a right-to-left override, a mention and an issue reference.
const HOSTILE: &str = "Acme\n::error file=x::pwned\u{1b}]0;owned\u{7}\u{1b}[2J\u{1b}[8m\u{9b}31m \
                       \u{202e}gnp.exe @someone #123";
const HOSTILE_UNMAPPED: &str = "Rogue\n::add-mask::x\n::stop-commands::t0k3n\n##[error]legacy";

/// The quickstart workspace with Acme Dental (mapped by id) renamed to [`HOSTILE`] and an
/// unmapped account named [`HOSTILE_UNMAPPED`], so the names reach changes and findings.
fn hostile_workspace() -> tempfile::TempDir {
    let ws = copy_of("examples/quickstart");
    let usage = ws.path().join("usage/keeper-2026-10.csv");
    let text = std::fs::read_to_string(&usage).expect("usage");
    let quoted = format!("\"{HOSTILE}\"");
    let mut text = text.replace("Acme Dental", &quoted);
    text.push_str(&format!(
        "2026-10-01,7777,\"{HOSTILE_UNMAPPED}\",Business Plus,3\n"
    ));
    std::fs::write(&usage, text).expect("write usage");
    ws
}

fn run(dir: &Path, args: &[&str]) -> Run {
    let run = reckon(dir, args);
    assert!(
        run.code == 0 || run.code == 2,
        "{args:?}: {}\n{}",
        run.stdout,
        run.stderr
    );
    run
}

/// Characters that must never reach a terminal or a CI log raw.
fn raw_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            (c.is_control() && c != '\n' && c != '\t')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect()
}

/// Lines a GitHub runner would execute: `::` after leading white space, or `##[` anywhere.
fn commands(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|line| line.trim_start().starts_with("::") || line.contains("##["))
        .collect()
}

#[test]
fn the_text_plan_shows_hostile_names_escaped_and_starts_no_command() {
    let ws = hostile_workspace();
    let plan = run(ws.path(), &["plan", "--period", "2026-10"]);
    for output in [&plan.stdout, &plan.stderr] {
        assert_eq!(commands(output), Vec::<&str>::new(), "{output}");
        assert_eq!(raw_controls(output), Vec::<char>::new(), "{output}");
    }
    assert!(
        plan.stdout
            .contains("~ update keeper/Acme\\n::error file=x::pwned\\u{1b}]0;owned\\u{7}"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("\\u{202e}gnp.exe"), "{}", plan.stdout);
}

#[test]
fn markdown_pings_nobody_and_links_no_issue() {
    let ws = hostile_workspace();
    let plan = run(
        ws.path(),
        &["plan", "--period", "2026-10", "--format", "markdown"],
    );
    assert!(!plan.stdout.contains("@someone"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("#123"), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("@\u{2060}someone #\u{2060}123"),
        "{}",
        plan.stdout
    );
    assert_eq!(commands(&plan.stdout), Vec::<&str>::new());
    assert_eq!(raw_controls(&plan.stdout), Vec::<char>::new());
}

#[test]
fn json_keeps_the_exact_name_and_stays_valid() {
    let ws = hostile_workspace();
    let plan = run(
        ws.path(),
        &["plan", "--period", "2026-10", "--format", "json"],
    );
    assert_eq!(raw_controls(&plan.stdout), Vec::<char>::new());
    assert_eq!(commands(&plan.stdout), Vec::<&str>::new());
    let value: serde_json::Value = serde_json::from_str(&plan.stdout).expect("valid JSON");
    assert!(
        holds(&value, HOSTILE),
        "the JSON plan carries the name unchanged: {}",
        plan.stdout
    );
}

/// Whether `value` has a string equal to `wanted` somewhere.
fn holds(value: &serde_json::Value, wanted: &str) -> bool {
    match value {
        serde_json::Value::String(s) => s == wanted,
        serde_json::Value::Array(items) => items.iter().any(|v| holds(v, wanted)),
        serde_json::Value::Object(map) => map.values().any(|v| holds(v, wanted)),
        _ => false,
    }
}

#[test]
fn github_output_holds_only_reckons_own_annotations() {
    let ws = hostile_workspace();
    let plan = run(
        ws.path(),
        &["plan", "--period", "2026-10", "--format", "github"],
    );
    let annotations = commands(&plan.stdout);
    assert!(!annotations.is_empty(), "{}", plan.stdout);
    for line in annotations {
        assert!(
            line.starts_with("::warning title=") || line.starts_with("::error title="),
            "a command reckon did not write: {line}"
        );
        assert!(!line.contains("##["), "{line}");
    }
    assert_eq!(
        raw_controls(&plan.stdout),
        Vec::<char>::new(),
        "{}",
        plan.stdout
    );
}

#[test]
fn apply_and_the_usage_table_start_no_command_either() {
    let ws = hostile_workspace();
    for args in [
        &["usage", "--period", "2026-10"][..],
        &["accounts", "--period", "2026-10"][..],
        &["apply", "--period", "2026-10", "--auto-approve"][..],
    ] {
        let out = run(ws.path(), args);
        for output in [&out.stdout, &out.stderr] {
            assert_eq!(commands(output), Vec::<&str>::new(), "{args:?}: {output}");
            assert_eq!(
                raw_controls(output),
                Vec::<char>::new(),
                "{args:?}: {output}"
            );
        }
    }
}
