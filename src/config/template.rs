//! File path templates such as `usage/keeper-{period}.csv`.
//!
//! A template is checked once, at load time: only the `{period}` placeholder is allowed, braces
//! must pair, and the path must stay inside the workspace. Pure: expanding a template does no I/O.

use std::path::{Component, Path, PathBuf};

use crate::period::Period;

/// A validated, workspace-relative path that may contain `{period}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTemplate(String);

/// Why a template was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A placeholder other than `{period}`.
    #[error("unknown placeholder `{{{0}}}` in path; the only placeholder is `{{period}}`")]
    UnknownPlaceholder(String),
    /// An opening or closing brace without its pair.
    #[error("unbalanced brace in path `{0}`; write the placeholder as `{{period}}`")]
    Unbalanced(String),
    /// The path is empty.
    #[error("path is empty")]
    Empty,
    /// The path is absolute or climbs out with `..`.
    #[error("path `{0}` escapes the workspace; use a path relative to the workspace, without `..`")]
    Escapes(String),
}

impl PathTemplate {
    /// Checks `text` and wraps it.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        check_placeholders(text)?;
        check_inside_workspace(&text.replace("{period}", "2000-01"))
            .map_err(|_| TemplateError::Escapes(text.to_owned()))?;
        Ok(Self(text.to_owned()))
    }

    /// The path for `period`, relative to the workspace.
    pub fn expand(&self, period: Period) -> PathBuf {
        PathBuf::from(self.0.replace("{period}", &period.to_string()))
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the path changes with the period.
    pub fn has_period(&self) -> bool {
        self.0.contains("{period}")
    }
}

fn check_placeholders(text: &str) -> Result<(), TemplateError> {
    let mut rest = text;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err(TemplateError::Unbalanced(text.to_owned()));
        }
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| TemplateError::Unbalanced(text.to_owned()))?;
        let name = &after[..close];
        if name.contains('{') {
            return Err(TemplateError::Unbalanced(text.to_owned()));
        }
        if name != "period" {
            return Err(TemplateError::UnknownPlaceholder(name.to_owned()));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

/// Refuses absolute paths and any path whose `..` components climb above the workspace.
pub fn check_inside_workspace(text: &str) -> Result<(), TemplateError> {
    if text.trim().is_empty() {
        return Err(TemplateError::Empty);
    }
    let escapes = || TemplateError::Escapes(text.to_owned());
    let mut depth: usize = 0;
    for component in Path::new(text).components() {
        match component {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => depth = depth.checked_sub(1).ok_or_else(escapes)?,
            Component::RootDir | Component::Prefix(_) => return Err(escapes()),
        }
    }
    if text.starts_with('~') {
        Err(escapes())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_every_period_placeholder() {
        let template = PathTemplate::parse("usage/{period}/keeper-{period}.csv").expect("valid");
        let period: Period = "2026-10".parse().expect("period");
        assert_eq!(
            template.expand(period),
            PathBuf::from("usage/2026-10/keeper-2026-10.csv")
        );
    }

    #[test]
    fn rejects_unknown_and_unbalanced_placeholders() {
        assert_eq!(
            PathTemplate::parse("usage/{month}.csv"),
            Err(TemplateError::UnknownPlaceholder("month".into()))
        );
        for bad in [
            "usage/{period.csv",
            "usage/period}.csv",
            "usage/{{period}}.csv",
        ] {
            assert!(
                matches!(PathTemplate::parse(bad), Err(TemplateError::Unbalanced(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn rejects_paths_that_leave_the_workspace() {
        for bad in ["../usage.csv", "/etc/passwd", "a/../../b.csv", "~/x.csv"] {
            assert!(
                matches!(PathTemplate::parse(bad), Err(TemplateError::Escapes(_))),
                "{bad}"
            );
        }
        assert!(PathTemplate::parse("a/../b.csv").is_ok());
        assert!(PathTemplate::parse("./usage/x.csv").is_ok());
    }
}
