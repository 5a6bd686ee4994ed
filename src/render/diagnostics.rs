//! Diagnostics (validation errors, bad usage rows) as text, JSON or GitHub annotations.

use std::io::{self, Write};

use serde::Serialize;

use super::{Paint, Style};
use crate::diagnostic::{Diagnostic, Diagnostics, Severity};

/// `error: file:line:col: message` plus an indented hint, one problem after another.
pub fn text(out: &mut dyn Write, diagnostics: &Diagnostics, style: Style) -> io::Result<()> {
    for diagnostic in diagnostics.sorted() {
        one_text(out, diagnostic, style)?;
    }
    Ok(())
}

/// One diagnostic in text form.
pub fn one_text(out: &mut dyn Write, d: &Diagnostic, style: Style) -> io::Result<()> {
    let label = match d.severity {
        Severity::Error => style.paint(Paint::Red, "error"),
        Severity::Warning => style.paint(Paint::Yellow, "warning"),
    };
    writeln!(out, "{label}: {}: {}", place(d), d.message)?;
    if let Some(hint) = &d.hint {
        writeln!(out, "  {}", style.hint(hint))?;
    }
    Ok(())
}

/// `file:line:col`, or just the file when the position is unknown.
pub fn place(d: &Diagnostic) -> String {
    match d.location {
        Some(at) => format!("{}:{}:{}", d.file.display(), at.line, at.column),
        None => d.file.display().to_string(),
    }
}

#[derive(Serialize)]
struct Report<'a> {
    valid: bool,
    error_count: usize,
    warning_count: usize,
    diagnostics: Vec<&'a Diagnostic>,
}

/// `{"valid", "error_count", "warning_count", "diagnostics": [...]}`.
pub fn json(out: &mut dyn Write, diagnostics: &Diagnostics) -> io::Result<()> {
    let report = Report {
        valid: !diagnostics.has_errors(),
        error_count: diagnostics.error_count(),
        warning_count: diagnostics.warning_count(),
        diagnostics: diagnostics.sorted(),
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}

/// GitHub Actions workflow commands: `::error file=…,line=…,col=…::message`.
pub fn github(out: &mut dyn Write, diagnostics: &Diagnostics) -> io::Result<()> {
    for d in diagnostics.sorted() {
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut properties = format!("file={}", escape_property(&d.file.display().to_string()));
        if let Some(at) = d.location {
            properties.push_str(&format!(",line={},col={}", at.line, at.column));
        }
        let message = match &d.hint {
            Some(hint) => format!("{} (hint: {hint})", d.message),
            None => d.message.clone(),
        };
        writeln!(out, "::{level} {properties}::{}", escape_data(&message))?;
    }
    Ok(())
}

pub use super::escape::annotation_data as escape_data;
use super::escape::annotation_property as escape_property;

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::diagnostic::Location;

    #[test]
    fn github_annotations_escape_newlines_and_property_separators() {
        let mut diagnostics = Diagnostics::default();
        diagnostics.push(Diagnostic::error(
            Path::new("a,b.yaml"),
            Some(Location { line: 3, column: 5 }),
            "100% wrong\nreally",
        ));
        let mut out = Vec::new();
        github(&mut out, &diagnostics).expect("write");
        assert_eq!(
            String::from_utf8(out).expect("utf8"),
            "::error file=a%2Cb.yaml,line=3,col=5::100%25 wrong%0Areally\n"
        );
    }
}
