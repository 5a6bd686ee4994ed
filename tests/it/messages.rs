//! Messages without internals (issue 15 item 11): every error fixture's rendered output, and the
//! errors of hostile inputs that reached users with Rust, serde or tokio wording before, are
//! scanned for such text.

use std::path::Path;

use crate::support::{Run, copy_of, reckon, repo};

/// Words that only a Rust developer should see.
const INTERNAL: &[&str] = &[
    "Decimal type",
    "fixed-point number",
    "limits breached",
    "panicked",
    "JoinError",
    "tokio",
    "serde",
    "Some(",
    "None)",
    "Ok(",
    "Err(",
    "Error {",
    "Error(",
    "struct ",
    "enum ",
    "RUST_BACKTRACE",
];

/// The internal wording in `text`: listed words, Rust paths (`std::io`) and `Debug` structs
/// (`Depth { depth: 65 }`).
fn internals(text: &str) -> Vec<String> {
    // A GitHub workflow command (`::error file=…::message`) is scanned from its message on.
    let text: String = text
        .lines()
        .map(|line| {
            line.strip_prefix("::")
                .and_then(|command| command.split_once("::"))
                .map_or(line, |(_, message)| message)
        })
        .collect::<Vec<_>>()
        .join("\n");
    let text = text.as_str();
    let mut found: Vec<String> = INTERNAL
        .iter()
        .filter(|word| text.contains(*word))
        .map(|word| (*word).to_owned())
        .collect();
    let chars: Vec<char> = text.chars().collect();
    for (i, window) in chars.windows(4).enumerate() {
        let path = window[1] == ':' && window[2] == ':';
        if path && window[0].is_alphabetic() && window[3].is_alphabetic() {
            found.push(context(&chars, i));
        }
        let debug_struct = window[0].is_alphanumeric() && window[1..] == [' ', '{', ' '];
        let typename = chars[..=i]
            .iter()
            .rev()
            .take_while(|c| c.is_alphanumeric())
            .last()
            .is_some_and(|c| c.is_uppercase());
        let field = chars[i + 4..]
            .iter()
            .take_while(|c| c.is_alphanumeric() || **c == '_')
            .count();
        if debug_struct && typename && chars.get(i + 4 + field) == Some(&':') && field > 0 {
            found.push(context(&chars, i));
        }
    }
    found
}

fn context(chars: &[char], at: usize) -> String {
    chars[at.saturating_sub(20)..(at + 20).min(chars.len())]
        .iter()
        .collect()
}

fn assert_plain(run: &Run, what: &str) {
    for text in [&run.stdout, &run.stderr] {
        let found = internals(text);
        assert!(found.is_empty(), "{what}: {found:?} in\n{text}");
    }
}

#[test]
fn the_scan_finds_what_it_looks_for() {
    for bad in [
        "YAML document too large or too complex: limits breached: Depth { depth: 65 }",
        "invalid value: string \"1e99\", expected a Decimal type representing a fixed-point number",
        "reading stopped: task 1 panicked with message \"Addition overflowed\"",
        "error: std::io::Error",
    ] {
        assert!(!internals(bad).is_empty(), "{bad}");
    }
    let plain = "::error file=reckon.yaml,line=1,col=2::psa: {kind: sandbox} at 10:15";
    assert_eq!(internals(plain), Vec::<String>::new());
}

#[test]
fn error_fixtures_render_without_internals() {
    let dir = repo().join("tests/fixtures/config/invalid");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 15);
    for name in names {
        for format in ["text", "json", "github"] {
            let run = reckon(&dir, &["-C", &name, "validate", "--format", format]);
            assert_eq!(run.code, 1, "{name}");
            assert_plain(&run, &format!("{name} --format {format}"));
        }
    }
}

fn write(dir: &Path, file: &str, text: &str) {
    std::fs::write(dir.join(file), text).expect("write");
}

#[test]
fn hostile_inputs_fail_in_plain_words() {
    let original_psa =
        std::fs::read_to_string(repo().join("examples/quickstart/sandbox/psa.yaml")).expect("psa");
    // A complex key is parsed before any field is known: it reaches the parser's depth limit.
    let deep = format!("? {}{}\n: 1\n", "[".repeat(70), "]".repeat(70));
    let cases: Vec<(&str, &str, String, Vec<&str>)> = vec![
        (
            "a decimal the sandbox cannot read",
            "sandbox/psa.yaml",
            original_psa.replacen("quantity: \"10\"", "quantity: 1e99", 1),
            vec!["plan", "--period", "2026-10"],
        ),
        (
            "a deeply nested reckon.yaml",
            "reckon.yaml",
            deep,
            vec!["validate"],
        ),
        (
            "a usage quantity of Decimal::MAX twice",
            "usage/keeper-2026-10.csv",
            "date,account_id,account_name,sku,quantity\n\
             2026-10-02,4120,Cedar Law LLP,Business Plus,79228162514264337593543950335\n\
             2026-10-03,4120,Cedar Law LLP,Business Plus,79228162514264337593543950335\n"
                .to_owned(),
            vec!["plan", "--period", "2026-10"],
        ),
        (
            "a saved plan that is not JSON",
            "plan.json",
            "{\"format\": \"reckon-saved-plan\", \"format_version\": 1, \"changes\": [{\"quantity\": 1e99}]}"
                .to_owned(),
            vec!["apply", "plan.json"],
        ),
    ];
    for (what, file, text, args) in cases {
        let ws = copy_of("examples/quickstart");
        let dir = ws.path();
        write(dir, file, &text);
        let run = reckon(dir, &args);
        assert_eq!(run.code, 1, "{what}: {}{}", run.stdout, run.stderr);
        assert_plain(&run, what);
    }
}
