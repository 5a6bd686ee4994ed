//! The `keeper-commander` usage source: Keeper Commander's daily, per-company billing report
//! (`keeper msp-billing-report --month YYYY-MM -d -c`), read from a file or by running Commander.
//!
//! This file only fetches the report text and hands it to [`report::parse`]; the checks every
//! source shares ([`checked`]) then refuse rows outside the month, duplicates, negative counts
//! and an empty month. A command's output is kept under `.reckon/` so that errors can point at a
//! line of a file the user can open.

pub mod catalogue;
pub mod report;

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::command::{self, CommandError};
use super::{SourceError, UsageData, UsageSource, checked};
use crate::diagnostic::{Diagnostic, Diagnostics, Location};
use crate::period::Period;

/// Where the report comes from.
#[derive(Debug, Clone)]
pub enum ReportInput {
    /// A report file already exported.
    File {
        /// The file to read.
        path: PathBuf,
        /// The same file as shown to users.
        shown: PathBuf,
        /// The workspace it must stay inside once links are resolved.
        workspace: PathBuf,
    },
    /// Run Commander (or anything that prints the report).
    Command {
        /// Program and arguments, `{period}` already expanded.
        argv: Vec<String>,
        /// The workspace directory, where it runs.
        dir: PathBuf,
        /// Its time limit.
        timeout: Duration,
        /// How much it may print.
        limits: command::Limits,
        /// Where its output is kept (shown path; relative to the current directory like `dir`).
        keep_as: PathBuf,
        /// The integration file and position of `command:`, for errors about running it.
        config: (PathBuf, Option<Location>),
    },
}

/// Keeper Commander's billing report as a usage source.
#[derive(Debug, Clone)]
pub struct KeeperSource {
    input: ReportInput,
}

impl KeeperSource {
    /// The source reading `input`.
    pub fn new(input: ReportInput) -> Self {
        Self { input }
    }
}

impl UsageSource for KeeperSource {
    async fn usage(&self, period: Period) -> Result<UsageData, SourceError> {
        let (text, origin) = match &self.input {
            ReportInput::File {
                path,
                shown,
                workspace,
            } => (read_file(path, shown, workspace, period)?, shown.clone()),
            ReportInput::Command {
                argv,
                dir,
                timeout,
                limits,
                keep_as,
                config,
            } => {
                let printed = command::output(argv, dir, *timeout, *limits)
                    .await
                    .map_err(|error| command_error(&error, config))?;
                if !report::looks_like_report(&printed.stdout) {
                    return Err(no_report(argv, &printed, config));
                }
                let origin = keep(&printed.stdout, dir, keep_as, argv);
                (printed.stdout, origin)
            }
        };
        report::check_statement_month(&text, &origin, period)?;
        let rows = report::parse(&text, &origin)?;
        checked(UsageData { rows, origin }, period)
    }
}

fn read_file(
    path: &Path,
    shown: &Path,
    workspace: &Path,
    period: Period,
) -> Result<String, SourceError> {
    let within = crate::fsio::Within::Workspace(workspace);
    crate::config::read_text(path, shown, within, crate::fsio::limit::USAGE).map_err(|d| {
        let mut diagnostics = Diagnostics::default();
        diagnostics.push(d.with_hint(format!(
            "export the report for {period} with `keeper msp-billing-report --month {period} \
             -d -c --format csv --output {}`",
            shown.display()
        )));
        SourceError::Invalid(diagnostics)
    })
}

/// At most this many lines of a non-report's standard output are shown.
const STDOUT_LINES_SHOWN: usize = 20;

/// The error for a run that exited 0 without printing a report: Commander exits 0 when it cannot
/// log in (`LoginCommand` logs the reason and returns, commands/utils.py:1801-1804; `do_command`
/// then returns nothing, cli.py:436-437; the batch loop's status stays 0, cli.py:853-855), and
/// prints at most `Registering new device...` on stdout (api.py:80). Shows what it printed on
/// both streams, where Commander's own words are.
fn no_report(
    argv: &[String],
    printed: &command::Printed,
    (file, location): &(PathBuf, Option<Location>),
) -> SourceError {
    let stdout = printed.stdout.trim();
    let shown_stdout = if stdout.is_empty() {
        "it printed nothing on standard output".to_owned()
    } else {
        let lines: Vec<&str> = stdout.lines().take(STDOUT_LINES_SHOWN).collect();
        let more = stdout.lines().count().saturating_sub(STDOUT_LINES_SHOWN);
        let more = if more > 0 {
            format!("\n    … {more} more line(s)")
        } else {
            String::new()
        };
        format!(
            "on standard output it printed:\n{}{more}",
            command::indented(&command::tail(&lines.join("\n")))
        )
    };
    let stderr = command::tail(&printed.stderr);
    let shown_stderr = if stderr.is_empty() {
        "and nothing on standard error".to_owned()
    } else {
        format!("and on standard error:\n{}", command::indented(&stderr))
    };
    let mut diagnostics = Diagnostics::default();
    diagnostics.push(
        Diagnostic::error(
            file,
            *location,
            format!(
                "keeper-commander source: `{}` exited 0 but printed no report; {shown_stdout}\n{shown_stderr}",
                command::display(argv)
            ),
        )
        .with_hint(
            "Commander exits 0 when it cannot log in: it must log in unattended. Log in once \
             by hand with persistent login on (`keeper shell`, then `this-device \
             persistent-login on` and `this-device register`), or give it its config file \
             (`keeper --config /path/config.json msp-billing-report …`); nothing was planned \
             or applied",
        ),
    );
    SourceError::Invalid(diagnostics)
}

/// Saves the command's output at `keep_as` (inside the workspace `dir`) and returns it as the
/// origin of the rows; when it cannot be saved, the rows are attributed to the command itself.
/// Never written through a link: the folders and the file are checked on the way.
fn keep(text: &str, dir: &Path, keep_as: &Path, argv: &[String]) -> PathBuf {
    let relative = keep_as.strip_prefix(dir).unwrap_or(keep_as);
    let saved = relative
        .parent()
        .map_or(Ok(dir.to_path_buf()), |folder| {
            crate::fsio::write::ensure_dir(dir, folder)
        })
        .and_then(|_| crate::fsio::write::replace(keep_as, text.as_bytes()));
    match saved {
        Ok(()) => keep_as.to_path_buf(),
        Err(_) => PathBuf::from(format!("output of `{}`", command::display(argv))),
    }
}

fn command_error(
    error: &CommandError,
    (file, location): &(PathBuf, Option<Location>),
) -> SourceError {
    let hint = match error {
        CommandError::NotFound(_) => {
            "install Keeper Commander (`pip install keepercommander`) and put `keeper` on PATH, \
             or give its full path as the first element of `source.command`"
        }
        CommandError::TimedOut { .. } => {
            "raise `source.timeout`, or export the report to a file and read it with `source.path`"
        }
        CommandError::Failed { .. } => {
            "run the command by hand to see what it needs (often a fresh `keeper login`)"
        }
        CommandError::TooMuchOutput { .. } => {
            "check that the command prints only the report (a month of Commander's report is \
             megabytes), or raise `source.max_stdout` / `source.max_stderr`"
        }
        CommandError::Interrupted(_) => "run it again when ready",
        CommandError::Spawn { .. } | CommandError::NotText(_) => {
            "check the program named in `source.command`"
        }
    };
    let mut diagnostics = Diagnostics::default();
    diagnostics.push(
        Diagnostic::error(file, *location, format!("keeper-commander source: {error}"))
            .with_hint(format!("{hint}; nothing was planned or applied")),
    );
    SourceError::Invalid(diagnostics)
}
