//! File path templates such as `usage/keeper-{period}.csv`, and command lines whose arguments
//! may hold `{period}`.
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

/// A validated command line: the program and its arguments, each of which may contain
/// `{period}`. Run without a shell, so nothing in it is interpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandTemplate(Vec<String>);

/// Why a command template was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandTemplateError {
    /// The list is empty or its first element (the program) is blank.
    #[error("the command is empty; write the program and its arguments as a list")]
    Empty,
    /// An argument has a placeholder other than `{period}`, or an unpaired brace.
    #[error(
        "argument {index} `{argument}` has a placeholder other than `{{period}}` or an unpaired brace"
    )]
    Argument {
        /// 1-based position in the list.
        index: usize,
        /// The argument as written.
        argument: String,
    },
}

impl CommandTemplate {
    /// Checks every argument's placeholders and wraps the list.
    pub fn parse(argv: &[String]) -> Result<Self, CommandTemplateError> {
        if argv.first().is_none_or(|program| program.trim().is_empty()) {
            return Err(CommandTemplateError::Empty);
        }
        for (i, argument) in argv.iter().enumerate() {
            check_placeholders(argument).map_err(|_| CommandTemplateError::Argument {
                index: i + 1,
                argument: argument.clone(),
            })?;
        }
        Ok(Self(argv.to_vec()))
    }

    /// The argument list for `period`; the first element is the program.
    pub fn expand(&self, period: Period) -> Vec<String> {
        let period = period.to_string();
        self.0
            .iter()
            .map(|a| a.replace("{period}", &period))
            .collect()
    }

    /// The command as written, for messages.
    pub fn as_slice(&self) -> &[String] {
        &self.0
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
    fn command_arguments_expand_and_are_checked() {
        let argv: Vec<String> = ["keeper", "mbr", "--month", "{period}"]
            .map(String::from)
            .to_vec();
        let command = CommandTemplate::parse(&argv).expect("valid");
        let period: Period = "2026-10".parse().expect("period");
        assert_eq!(command.expand(period)[3], "2026-10");
        assert_eq!(
            CommandTemplate::parse(&["keeper".into(), "{month}".into()]),
            Err(CommandTemplateError::Argument {
                index: 2,
                argument: "{month}".into()
            })
        );
        assert_eq!(
            CommandTemplate::parse(&[]),
            Err(CommandTemplateError::Empty)
        );
        assert_eq!(
            CommandTemplate::parse(&[" ".into()]),
            Err(CommandTemplateError::Empty)
        );
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
