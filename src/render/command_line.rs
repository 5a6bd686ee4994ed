//! Commands printed for the user to paste: they repeat the `-C DIR`, `--period` and
//! `--integration` this run was given, so pasting one acts on the same workspace, month and
//! integrations (a hint without `--period` would apply a different month).
//!
//! Renders text only; which command to suggest is the caller's.

use std::path::Path;

use crate::period::Period;

/// What the user typed that a suggested command must repeat.
#[derive(Debug, Clone, Default)]
pub struct Invocation {
    /// `-C DIR`, when given (and not `.`).
    pub dir: Option<String>,
}

impl Invocation {
    /// The invocation of a run started with `-C dir`.
    pub fn new(dir: &Path) -> Self {
        let dir = (dir != Path::new(".") && !dir.as_os_str().is_empty())
            .then(|| dir.to_string_lossy().into_owned());
        Self { dir }
    }

    /// `reckon [-C DIR] ARGS`, each argument quoted for a POSIX shell where it needs it.
    pub fn command<S: AsRef<str>>(&self, args: &[S]) -> String {
        let mut words = vec!["reckon".to_owned()];
        if let Some(dir) = &self.dir {
            words.extend(["-C".to_owned(), quote(dir)]);
        }
        words.extend(args.iter().map(|a| quote(a.as_ref())));
        words.join(" ")
    }

    /// `hint` with `-C DIR` added to each quoted `` `reckon …` `` command that has none: hints
    /// made below the command line know nothing of `-C`.
    pub fn pasteable(&self, hint: &str) -> String {
        let Some(dir) = &self.dir else {
            return hint.to_owned();
        };
        let with_dir = format!("`reckon -C {} ", quote(dir));
        let mut out = String::new();
        let mut rest = hint;
        while let Some(at) = rest.find("`reckon ") {
            out.push_str(&rest[..at]);
            let after = &rest[at + "`reckon ".len()..];
            if after.starts_with("-C ") {
                out.push_str("`reckon ");
            } else {
                out.push_str(&with_dir);
            }
            rest = after;
        }
        out.push_str(rest);
        out
    }
}

/// `--period P` (when given) and one `--integration NAME` per name: the scope flags a
/// suggested `plan` or `apply` must repeat.
pub fn scope(period: Option<Period>, integrations: &[String]) -> Vec<String> {
    let mut args = Vec::new();
    if let Some(period) = period {
        args.extend(["--period".to_owned(), period.to_string()]);
    }
    for name in integrations {
        args.extend(["--integration".to_owned(), name.clone()]);
    }
    args
}

/// `word` as a POSIX shell reads it back: as it is when it is plainly safe, else in single
/// quotes (a `'` inside written `'\''`).
pub fn quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:=,+@%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_repeat_the_directory_and_quote_what_a_shell_would_split() {
        let here = Invocation::new(Path::new("."));
        assert_eq!(here.command(&["apply", "p.json"]), "reckon apply p.json");
        let there = Invocation::new(Path::new("my ws"));
        assert_eq!(
            there.command(&["apply", "--approve", "k/a → b/c", "it's"]),
            "reckon -C 'my ws' apply --approve 'k/a → b/c' 'it'\\''s'"
        );
    }

    #[test]
    fn hints_from_below_gain_the_directory_once() {
        let there = Invocation::new(Path::new("ws"));
        assert_eq!(
            there.pasteable("run `reckon unlock X` or `reckon -C other plan`"),
            "run `reckon -C ws unlock X` or `reckon -C other plan`"
        );
        assert_eq!(
            Invocation::new(Path::new(".")).pasteable("`reckon x`"),
            "`reckon x`"
        );
    }

    #[test]
    fn scope_lists_the_period_and_each_integration() {
        let period: Period = "2026-10".parse().expect("period");
        assert_eq!(
            scope(Some(period), &["keeper".into(), "pax8".into()]),
            [
                "--period",
                "2026-10",
                "--integration",
                "keeper",
                "--integration",
                "pax8"
            ]
        );
        assert!(scope(None, &[]).is_empty());
    }
}
