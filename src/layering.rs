//! Keeps the pure core pure: the planner (`plan`), the billing maths (`usage`) and the validated
//! model (`config::model`) must not reach the async runtime, the network, the file system, the
//! PSA adapters or the usage sources. Scans their source text, so a new `use` (or a fully
//! qualified path) of a forbidden module fails here rather than in a review.

use std::path::{Path, PathBuf};

/// Paths the pure core must not name.
const FORBIDDEN: [&str; 7] = [
    "tokio",
    "reqwest",
    "std::fs",
    "crate::psa",
    "crate::sources",
    "super::psa",
    "super::sources",
];

/// The pure core's source files: every file under `src/plan/`, `src/usage.rs` (and
/// `src/usage/` if it grows one), `src/config/model.rs`.
fn pure_core() -> Vec<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![src.join("usage.rs"), src.join("config/model.rs")];
    for dir in ["plan", "usage"] {
        collect(&src.join(dir), &mut files);
    }
    files.retain(|f| f.exists());
    files
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// The forbidden paths `text` names outside comments, as `line: path`: in code, and in `use`
/// statements also inside braces (`use crate::{config, psa};`).
fn violations(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut statement: Option<(usize, String)> = None;
    for (number, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        for path in FORBIDDEN {
            if names(code, path) {
                found.push(format!("{}: {path}", number + 1));
            }
        }
        let trimmed = code.trim_start();
        if statement.is_none() && (trimmed.starts_with("use ") || trimmed.starts_with("pub use ")) {
            statement = Some((number + 1, String::new()));
        }
        if let Some((start, text)) = &mut statement {
            text.push_str(code);
            if code.contains(';') {
                let start = *start;
                for path in grouped(text) {
                    let entry = format!("{start}: {path}");
                    if !found.contains(&entry) {
                        found.push(entry);
                    }
                }
                statement = None;
            }
        }
    }
    found
}

/// Whether `code` names `path` as a whole path segment (`tokio::`, `use tokio;`, not `tokiox`).
fn names(code: &str, path: &str) -> bool {
    code.match_indices(path).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        let after = code[at + path.len()..].chars().next();
        let starts = before.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':'));
        let ends = after.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        starts && ends
    })
}

/// The forbidden modules a whole `use` statement names, braces included.
fn grouped(statement: &str) -> Vec<&'static str> {
    let words: Vec<&str> = statement
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    let has = |w: &str| words.contains(&w);
    let mut found = Vec::new();
    if has("crate") || has("super") {
        for module in ["psa", "sources"] {
            if has(module) {
                found.push(if module == "psa" {
                    "crate::psa"
                } else {
                    "crate::sources"
                });
            }
        }
    }
    if has("std") && has("fs") {
        found.push("std::fs");
    }
    found
}

#[test]
fn the_pure_core_imports_no_runtime_network_file_system_psa_or_source() {
    let files = pure_core();
    assert!(
        files.len() >= 5,
        "the scan found the core's files: {files:?}"
    );
    let mut problems = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read a source file");
        for violation in violations(&text) {
            problems.push(format!("{}:{violation}", file.display()));
        }
    }
    assert!(
        problems.is_empty(),
        "the pure core reaches out:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_scan_catches_uses_and_qualified_paths_but_not_comments_or_lookalikes() {
    assert_eq!(violations("use tokio::sync::mpsc;"), ["1: tokio"]);
    assert_eq!(violations("let t = std::fs::read(p);"), ["1: std::fs"]);
    assert_eq!(violations("use crate::psa::Psa;"), ["1: crate::psa"]);
    assert_eq!(
        violations("use crate::{config,\n    sources};"),
        ["1: crate::sources"]
    );
    assert_eq!(violations("use std::{fs, io};"), ["1: std::fs"]);
    assert!(violations("// tokio is not used here").is_empty());
    assert!(violations("use crate::psa_like::X;").is_empty());
    assert!(violations("use mytokio::X;").is_empty());
}
