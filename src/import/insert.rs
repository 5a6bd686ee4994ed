//! Appending entries to a block list in a YAML file by text insertion, so everything the user
//! wrote — comments, blank lines, quoting, key order — stays byte-for-byte as it was.
//!
//! Deliberately not a YAML round trip: parsing and re-serialising would drop comments and
//! reformat the file. This module understands just enough of YAML's block layout (indentation,
//! `key:` lines, `- ` items) to find the end of one list; the caller re-validates the result.
//! Pure text in, text out.

/// Why the entries could not be inserted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InsertError {
    /// The key holds something other than a block list (a flow list `[…]`, a scalar).
    #[error(
        "line {line}: `{key}` has its value on the same line (e.g. `[]`); reckon only appends \
         to lists written in block style, one `- ` item per line"
    )]
    NotABlockList {
        /// The key, e.g. `map`.
        key: String,
        /// 1-based line of the key.
        line: usize,
    },
}

/// One line of the file, with its ending kept.
struct Line<'a> {
    /// The whole line, including its `\n` or `\r\n`.
    text: &'a str,
    /// Leading spaces.
    indent: usize,
    /// The line without indentation and ending.
    body: &'a str,
}

impl Line<'_> {
    /// A line that carries YAML content (not blank, not only a comment).
    fn is_content(&self) -> bool {
        !self.body.is_empty() && !self.body.starts_with('#')
    }

    /// A list item line (`- x` or a lone `-`).
    fn is_item(&self) -> bool {
        self.body == "-" || self.body.starts_with("- ")
    }

    /// The value after `key:` on this line (comment stripped), when this line is that key.
    fn value_of(&self, key: &str) -> Option<&str> {
        let rest = self.body.strip_prefix(key)?.strip_prefix(':')?;
        if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
            return None;
        }
        let value = match rest.find(" #") {
            Some(at) => &rest[..at],
            None => rest,
        };
        Some(value.trim())
    }
}

fn lines(text: &str) -> Vec<Line<'_>> {
    text.split_inclusive('\n')
        .map(|text| {
            let without_ending = text.trim_end_matches(['\n', '\r']);
            let body = without_ending.trim_start_matches(' ');
            Line {
                text,
                indent: without_ending.len() - body.len(),
                body: body.trim_end(),
            }
        })
        .collect()
}

/// Appends `items` to the block list at `path` (e.g. `["accounts", "map"]`), after its last
/// entry, creating the keys that are missing. Each item is a list of lines relative to the item's
/// own indentation (`- vendor: "1"`, `  psa: "2"`, or comments); they are indented like the
/// list's existing items. Returns `text` unchanged when `items` is empty.
pub fn append_to_list(
    text: &str,
    path: &[&str],
    items: &[Vec<String>],
) -> Result<String, InsertError> {
    if items.is_empty() || path.is_empty() {
        return Ok(text.to_owned());
    }
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let all = lines(text);
    let (after, new_lines) = placement(&all, path, items)?;
    let mut out = String::with_capacity(text.len() + 256);
    for line in &all[..after] {
        out.push_str(line.text);
    }
    if !out.is_empty() && !out.ends_with('\n') {
        out.push_str(newline);
    }
    for line in new_lines {
        out.push_str(&line);
        out.push_str(newline);
    }
    for line in &all[after..] {
        out.push_str(line.text);
    }
    Ok(out)
}

/// Where to insert (the index of the first line after the insertion) and the lines to insert.
fn placement(
    all: &[Line<'_>],
    path: &[&str],
    items: &[Vec<String>],
) -> Result<(usize, Vec<String>), InsertError> {
    let mut start = 0;
    let mut end = all.len();
    let mut parent_indent: Option<usize> = None;
    for (depth, key) in path.iter().enumerate() {
        let Some(child_indent) = child_indent(all, start, end, parent_indent) else {
            // An empty parent (`accounts:` with nothing under it): create the rest beneath it.
            let indent = parent_indent.map_or(0, |p| p + 2);
            return Ok((start, create(&path[depth..], indent, items)));
        };
        let found = (start..end).find(|&i| {
            let line = &all[i];
            line.is_content() && line.indent == child_indent && line.value_of(key).is_some()
        });
        let Some(at) = found else {
            let after = last_content(all, start, end).map_or(start, |i| i + 1);
            return Ok((after, create(&path[depth..], child_indent, items)));
        };
        let block_end = block_end(all, at);
        let is_last = depth + 1 == path.len();
        // A value on the key's own line (`map: []`, `accounts: {…}`) would have to be rewritten,
        // and existing lines are never rewritten.
        if all[at].value_of(key).is_some_and(|v| !v.is_empty()) {
            return Err(InsertError::NotABlockList {
                key: (*key).to_owned(),
                line: at + 1,
            });
        }
        if is_last {
            let item_indent = (at + 1..block_end)
                .find(|&i| all[i].is_content())
                .map_or(all[at].indent + 2, |i| all[i].indent);
            let after = last_content(all, at + 1, block_end).map_or(at + 1, |i| i + 1);
            return Ok((after, indented(items, item_indent)));
        }
        start = at + 1;
        end = block_end;
        parent_indent = Some(all[at].indent);
    }
    Ok((all.len(), Vec::new()))
}

/// The indentation of the keys directly inside `start..end`, if it holds any content.
fn child_indent(
    all: &[Line<'_>],
    start: usize,
    end: usize,
    parent: Option<usize>,
) -> Option<usize> {
    (start..end)
        .map(|i| &all[i])
        .find(|line| line.is_content())
        .map(|line| line.indent)
        .filter(|&indent| parent.is_none_or(|p| indent > p))
}

/// The line index just past the block of the key on line `at`: the next content line indented
/// no deeper than the key, except list items at the key's own indentation (YAML allows
/// `map:` followed by `- …` at the same column).
fn block_end(all: &[Line<'_>], at: usize) -> usize {
    let indent = all[at].indent;
    (at + 1..all.len())
        .find(|&i| {
            let line = &all[i];
            line.is_content()
                && (line.indent < indent || (line.indent == indent && !line.is_item()))
        })
        .unwrap_or(all.len())
}

fn last_content(all: &[Line<'_>], start: usize, end: usize) -> Option<usize> {
    (start..end).rev().find(|&i| all[i].is_content())
}

/// `key:` lines for the missing part of the path, then the items beneath the last one.
fn create(path: &[&str], indent: usize, items: &[Vec<String>]) -> Vec<String> {
    let mut out = Vec::new();
    let mut indent = indent;
    for key in path {
        out.push(format!("{}{key}:", " ".repeat(indent)));
        indent += 2;
    }
    out.extend(indented(items, indent));
    out
}

fn indented(items: &[Vec<String>], indent: usize) -> Vec<String> {
    let pad = " ".repeat(indent);
    items
        .iter()
        .flatten()
        .map(|line| format!("{pad}{line}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(vendor: &str, psa: &str) -> Vec<String> {
        vec![
            format!("- vendor: \"{vendor}\""),
            format!("  psa: \"{psa}\""),
        ]
    }

    fn map(text: &str, items: &[Vec<String>]) -> String {
        append_to_list(text, &["accounts", "map"], items).expect("inserted")
    }

    #[test]
    fn appends_after_the_last_entry_keeping_comments_and_following_keys() {
        let text = "# head\naccounts:\n  auto_match: none\n  map:\n    - vendor: \"1\"   # one\n      psa: \"10\"\n    # trailing note\n\n  exclude: [\"9\"]\nservices: []\n";
        let out = map(text, &[entry("2", "20")]);
        assert_eq!(
            out,
            "# head\naccounts:\n  auto_match: none\n  map:\n    - vendor: \"1\"   # one\n      psa: \"10\"\n    - vendor: \"2\"\n      psa: \"20\"\n    # trailing note\n\n  exclude: [\"9\"]\nservices: []\n"
        );
    }

    #[test]
    fn follows_items_written_at_the_key_s_own_indentation() {
        let text = "accounts:\n  map:\n  - vendor: \"1\"\n    psa: \"10\"\n  exclude: []\n";
        let out = map(text, &[entry("2", "20")]);
        assert_eq!(
            out,
            "accounts:\n  map:\n  - vendor: \"1\"\n    psa: \"10\"\n  - vendor: \"2\"\n    psa: \"20\"\n  exclude: []\n"
        );
    }

    #[test]
    fn creates_the_list_when_the_key_is_missing() {
        let text = "vendor: keeper\naccounts:\n    auto_match: exact-name\nservices: []\n";
        let out = map(text, &[entry("2", "20")]);
        assert_eq!(
            out,
            "vendor: keeper\naccounts:\n    auto_match: exact-name\n    map:\n      - vendor: \"2\"\n        psa: \"20\"\nservices: []\n"
        );
    }

    #[test]
    fn creates_the_parent_at_the_end_when_it_is_missing_and_adds_a_final_newline() {
        let out = map("vendor: keeper", &[entry("2", "20")]);
        assert_eq!(
            out,
            "vendor: keeper\naccounts:\n  map:\n    - vendor: \"2\"\n      psa: \"20\"\n"
        );
    }

    #[test]
    fn fills_an_empty_list_key() {
        let out = map("accounts:\n  map:\n  exclude: []\n", &[entry("2", "20")]);
        assert_eq!(
            out,
            "accounts:\n  map:\n    - vendor: \"2\"\n      psa: \"20\"\n  exclude: []\n"
        );
    }

    #[test]
    fn keeps_crlf_line_endings() {
        let out = map(
            "accounts:\r\n  map:\r\n    - vendor: \"1\"\r\n      psa: \"10\"\r\n",
            &[entry("2", "20")],
        );
        assert_eq!(
            out,
            "accounts:\r\n  map:\r\n    - vendor: \"1\"\r\n      psa: \"10\"\r\n    - vendor: \"2\"\r\n      psa: \"20\"\r\n"
        );
    }

    #[test]
    fn refuses_flow_lists_instead_of_rewriting_them() {
        let error = append_to_list(
            "accounts:\n  map: []\n",
            &["accounts", "map"],
            &[entry("2", "20")],
        )
        .expect_err("flow list");
        assert_eq!(
            error,
            InsertError::NotABlockList {
                key: "map".into(),
                line: 2
            }
        );
    }

    #[test]
    fn a_top_level_list_is_found_too_and_nothing_to_add_changes_nothing() {
        let text = "services:\n  - vendor: A\n    psa: X\n";
        let out = append_to_list(text, &["services"], &[entry("B", "Y")]).expect("inserted");
        assert_eq!(
            out,
            "services:\n  - vendor: A\n    psa: X\n  - vendor: \"B\"\n    psa: \"Y\"\n"
        );
        assert_eq!(
            append_to_list(text, &["services"], &[]).expect("no-op"),
            text
        );
    }

    #[test]
    fn a_key_inside_another_block_is_not_mistaken_for_the_target() {
        let text =
            "source:\n  map:\n    - x\naccounts:\n  map:\n    - vendor: \"1\"\n      psa: \"10\"\n";
        let out = map(text, &[entry("2", "20")]);
        assert!(
            out.starts_with("source:\n  map:\n    - x\naccounts:"),
            "{out}"
        );
        assert!(
            out.ends_with("      psa: \"10\"\n    - vendor: \"2\"\n      psa: \"20\"\n"),
            "{out}"
        );
    }
}
