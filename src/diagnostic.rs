//! Problems found in the user's files, each pointing at a file, line and column.
//!
//! Config loading and usage-file reading collect every problem as a [`Diagnostic`] before
//! failing, so one run shows them all. Rendering lives in `render::diagnostics`; this module only
//! holds the data.

use std::path::{Path, PathBuf};

use serde::Serialize;

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Stops the command: nothing is planned or written.
    Error,
    /// Worth a look; the command goes on.
    Warning,
}

/// A 1-based line and column in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    /// 1-based line.
    pub line: u64,
    /// 1-based column, in characters.
    pub column: u64,
}

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The file, relative to the workspace root where possible.
    pub file: PathBuf,
    /// Where in the file, when known.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// What is wrong, in plain words.
    pub message: String,
    /// What to do about it, when there is something useful to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Diagnostic {
    /// An error in `file` at `location`.
    pub fn error(file: &Path, location: Option<Location>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            file: file.to_path_buf(),
            location,
            message: message.into(),
            hint: None,
        }
    }

    /// A warning in `file` at `location`.
    pub fn warning(file: &Path, location: Option<Location>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(file, location, message)
        }
    }

    /// Adds a hint saying what to do.
    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Whether this problem stops the command.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// All problems found in one load, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// Records one problem.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Whether any problem is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.0.iter().filter(|d| d.is_error()).count()
    }

    /// Number of warnings.
    pub fn warning_count(&self) -> usize {
        self.0.len() - self.error_count()
    }

    /// Every problem, sorted by file, then position, errors before warnings at one place.
    pub fn sorted(&self) -> Vec<&Diagnostic> {
        let mut all: Vec<&Diagnostic> = self.0.iter().collect();
        all.sort_by(|a, b| {
            (&a.file, a.location, a.severity).cmp(&(&b.file, b.location, b.severity))
        });
        all
    }

    /// Moves every problem of `other` into this set.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// Whether there is no problem at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Extend<Diagnostic> for Diagnostics {
    fn extend<I: IntoIterator<Item = Diagnostic>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

/// A serde message with the names of Rust types replaced by plain words, for any format
/// reckon reads (YAML here, JSON in saved plans and reports).
pub fn plain_words(message: &str) -> String {
    message.replace(
        "a Decimal type representing a fixed-point number",
        "a decimal number written as text, such as \"12\" or \"12.5\" (no exponent, at most \
         28 significant digits)",
    )
}

/// The most row problems shown for one file: past this, a count stands for the rest, so a
/// million bad rows print a screenful, not 84 MB.
pub const MAX_ROW_PROBLEMS: usize = 50;

/// Row problems of one file, bounded: the first [`MAX_ROW_PROBLEMS`] are kept, the rest only
/// counted, and [`RowProblems::finish`] adds one problem saying how many were left out.
#[derive(Debug)]
pub struct RowProblems {
    file: PathBuf,
    kept: Diagnostics,
    left_out: u64,
}

impl RowProblems {
    /// No problems yet, in `file`.
    pub fn new(file: &Path) -> Self {
        Self {
            file: file.to_path_buf(),
            kept: Diagnostics::default(),
            left_out: 0,
        }
    }

    /// Records one problem, or only counts it once [`MAX_ROW_PROBLEMS`] are kept.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        if self.kept.0.len() < MAX_ROW_PROBLEMS {
            self.kept.push(diagnostic);
        } else {
            self.left_out = self.left_out.saturating_add(1);
        }
    }

    /// Whether any problem was recorded.
    pub fn has_errors(&self) -> bool {
        self.kept.has_errors()
    }

    /// The kept problems, plus one saying how many more there were.
    pub fn finish(self) -> Diagnostics {
        let mut all = self.kept;
        if self.left_out > 0 {
            all.push(
                Diagnostic::error(
                    &self.file,
                    None,
                    format!(
                        "{} more problem(s) in this file are not shown: only the first \
                         {MAX_ROW_PROBLEMS} are",
                        self.left_out
                    ),
                )
                .with_hint("fix the problems shown (they often share one cause) and run again"),
            );
        }
        all
    }
}

/// The known name nearest to `unknown`, if one is close enough to be a likely typo.
pub fn nearest<'a>(unknown: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let unknown_lower = unknown.to_lowercase();
    known
        .into_iter()
        .map(|name| (edit_distance(&unknown_lower, &name.to_lowercase()), name))
        .filter(|(distance, name)| *distance <= (name.chars().count() / 3).max(2))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, name)| name)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous_diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous_diagonal + usize::from(ca != *cb);
            previous_diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_finds_typos_but_not_unrelated_words() {
        let known = ["services", "accounts", "source", "vendor", "billing_model"];
        assert_eq!(nearest("servces", known), Some("services"));
        assert_eq!(nearest("acounts", known), Some("accounts"));
        assert_eq!(nearest("billing-model", known), Some("billing_model"));
        assert_eq!(nearest("zebra", known), None);
    }

    #[test]
    fn row_problems_keep_the_first_fifty_and_count_the_rest() {
        let file = Path::new("u.csv");
        let mut problems = RowProblems::new(file);
        for line in 1..=1000 {
            problems.push(Diagnostic::error(
                file,
                Some(Location { line, column: 1 }),
                "bad",
            ));
        }
        let all = problems.finish();
        assert_eq!(all.error_count(), MAX_ROW_PROBLEMS + 1);
        let summary = all.sorted()[0];
        assert_eq!(summary.location, None);
        assert!(
            summary.message.starts_with("950 more problem(s)"),
            "{}",
            summary.message
        );
    }

    #[test]
    fn edit_distance_counts_insertions_deletions_and_substitutions() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
