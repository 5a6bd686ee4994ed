//! Every problem of one YAML file in one run, each naming its field. serde-saphyr stops at the
//! first problem; so a problem on a one-line `key: value` is recorded, that line is blanked
//! (lines keep their numbers) and the file parsed again, until it parses or a problem cannot be
//! stepped over. A "missing field", or a problem on a line that is no `key: value`, after a
//! blanked line may be its consequence and is not reported.
//!
//! Reads nothing: text in, problems out.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::diagnostic::{Diagnostic, Location};
use crate::yaml;

/// The most problems collected from one file (each costs a parse).
const MAX_PROBLEMS: usize = 50;

/// `text` parsed as `T`, or every problem that could be collected, in file order.
pub fn parse_all<T: DeserializeOwned>(text: &str, shown: &Path) -> Result<T, Vec<Diagnostic>> {
    let mut working = text.to_owned();
    let mut problems: Vec<Diagnostic> = Vec::new();
    while problems.len() < MAX_PROBLEMS {
        let problem = match yaml::from_str::<T>(&working, shown) {
            Ok(value) if problems.is_empty() => return Ok(value),
            Ok(_) => break,
            Err(problem) => problem,
        };
        if !problems.is_empty() && problem.message.starts_with("missing field") {
            break;
        }
        let blanked = problem.location.and_then(|at| blank_line(&working, at));
        // After a blanked line, a problem that cannot itself be stepped over may be its
        // consequence (a block left empty): only the first such problem is reported.
        if blanked.is_none() && !problems.is_empty() {
            break;
        }
        problems.push(name_field(text, problem));
        match blanked {
            Some(next) => working = next,
            None => break,
        }
    }
    problems.sort_by_key(|d| d.location);
    Err(problems)
}

/// `text` with the one-line `key: value` at `at` replaced by a comment, or `None` when that
/// line is not one (a block's start, a sequence item, a flow collection).
fn blank_line(text: &str, at: Location) -> Option<String> {
    let index = usize::try_from(at.line).ok()?.checked_sub(1)?;
    let lines: Vec<&str> = text.split('\n').collect();
    let line = lines.get(index)?;
    let trimmed = line.trim_start();
    let (key, value) = trimmed.split_once(':')?;
    let value = value.trim();
    let scalar = !value.is_empty()
        && !value.starts_with(['{', '[', '|', '>', '&', '*'])
        && !key.starts_with('-')
        && !key.is_empty();
    if !scalar {
        return None;
    }
    let indent = line.len() - trimmed.len();
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    out[index] = format!("{}#", " ".repeat(indent));
    Some(out.join("\n"))
}

/// `problem` with its field named: `policy.create_missing_lines: invalid boolean "no"; use
/// true or false` instead of serde's "invalid boolean (true or false expected)".
fn name_field(text: &str, mut problem: Diagnostic) -> Diagnostic {
    let Some(at) = problem.location else {
        return problem;
    };
    let Some((path, value)) = field_at(text, at) else {
        return problem;
    };
    let leaf = path.rsplit('.').next().unwrap_or(&path).to_owned();
    if problem.message.starts_with("invalid boolean") {
        problem.message = format!("{path}: invalid boolean \"{value}\"; use true or false");
    } else if !problem.message.contains(&leaf) {
        problem.message = format!("{path}: {}", problem.message);
    }
    problem
}

/// The dotted key path of the `key: value` line at `at` (parents found by indentation; a
/// sequence item's keys as `parent.key`) and its value as written.
fn field_at(text: &str, at: Location) -> Option<(String, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let index = usize::try_from(at.line).ok()?.checked_sub(1)?;
    let (indent, key, value) = key_of(lines.get(index)?)?;
    let mut path = vec![key];
    let mut limit = indent;
    for line in lines[..index].iter().rev() {
        if let Some((i, parent, rest)) = key_of(line)
            && i < limit
            && rest.is_empty()
        {
            path.push(parent);
            limit = i;
        }
        if limit == 0 {
            break;
        }
    }
    path.reverse();
    Some((path.join("."), value))
}

/// A `key: value` line's indentation (a `- ` counts as indentation), key and value.
fn key_of(line: &str) -> Option<(usize, String, String)> {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') {
        return None;
    }
    let item = trimmed.strip_prefix("- ").unwrap_or(trimmed);
    let indent = line.len() - item.len();
    let (key, value) = item.split_once(':')?;
    let key = key.trim().trim_matches(['"', '\'']);
    if key.is_empty() || key.contains(' ') {
        return None;
    }
    let value = value.split(" #").next().unwrap_or_default().trim();
    Some((
        indent,
        key.to_owned(),
        value.trim_matches(['"', '\'']).to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        name: String,
        policy: Policy,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Policy {
        create_missing_lines: bool,
        #[serde(default)]
        strict: bool,
    }

    #[test]
    fn every_problem_is_collected_and_names_its_field() {
        let text = "name: x\ncolour: red\npolicy:\n  create_missing_lines: no\n  strictt: true\n";
        let problems = parse_all::<Doc>(text, Path::new("reckon.yaml")).expect_err("invalid");
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(
            messages[0].contains("unknown field `colour`"),
            "{messages:?}"
        );
        assert_eq!(
            messages[1],
            "policy.create_missing_lines: invalid boolean \"no\"; use true or false"
        );
        assert!(
            messages[2].contains("unknown field `strictt`"),
            "{messages:?}"
        );
    }

    #[test]
    fn a_valid_file_parses() {
        let text = "name: x\npolicy:\n  create_missing_lines: false\n";
        assert!(parse_all::<Doc>(text, Path::new("reckon.yaml")).is_ok());
    }
}
