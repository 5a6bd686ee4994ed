//! Usage sources: where usage comes from.
//!
//! One trait, [`UsageSource`], and one module per source kind (`csv`; `keeper`, Keeper Commander's
//! billing report); `command` runs the program a source may read from. A source turns its input into
//! [`UsageRow`]s at its edge and checks them with [`crate::usage::check_rows`], so every source
//! refuses the same dangerous data (rows outside the month, duplicates, negative counts, an empty
//! month) with the file and line.
//!
//! Where `command:` sources may not run (a pull-request job, whose YAML anyone with push access
//! writes), [`deny_commands`] makes every `command:` source an error instead.

pub mod command;
pub mod csv;
pub mod keeper;

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::config::model::{
    CommandInput, CommandProblem, Integration, SourceInput, SourceKind, VendorProduct,
};
use crate::config::{Workspace, shown_path};
use crate::diagnostic::{Diagnostic, Diagnostics, Location, RowProblems};
use crate::period::Period;
use crate::usage::{RowProblem, UsageRow, check_rows};

/// A month of usage rows from one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageData {
    /// The rows, in source order.
    pub rows: Vec<UsageRow>,
    /// The file they were read from, as shown to users.
    pub origin: PathBuf,
}

/// A usage source for one integration.
pub trait UsageSource: Send + Sync {
    /// The usage rows for `period`, checked.
    fn usage(&self, period: Period) -> impl Future<Output = Result<UsageData, SourceError>> + Send;
}

/// Usage that could not be read, or must not be billed from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The data has problems; each names its file and line.
    #[error("usage data has {} problem(s)", .0.error_count())]
    Invalid(Diagnostics),
}

impl SourceError {
    /// One problem in `file`, at `line` when known.
    pub fn at(file: &std::path::Path, line: Option<u64>, message: impl Into<String>) -> Self {
        let mut diagnostics = Diagnostics::default();
        diagnostics.push(Diagnostic::error(
            file,
            line.map(|line| Location { line, column: 1 }),
            message,
        ));
        Self::Invalid(diagnostics)
    }
}

/// Turns row problems into a [`SourceError`], or passes the data through when there are none.
pub fn checked(data: UsageData, period: Period) -> Result<UsageData, SourceError> {
    let problems = check_rows(&data.rows, period);
    if problems.is_empty() {
        return Ok(data);
    }
    let mut diagnostics = RowProblems::new(&data.origin);
    for RowProblem { line, message } in problems {
        let location = (line > 0).then_some(Location { line, column: 1 });
        diagnostics.push(
            Diagnostic::error(&data.origin, location, message)
                .with_hint("fix or re-export the usage data; nothing was planned or applied"),
        );
    }
    Err(SourceError::Invalid(diagnostics.finish()))
}

impl SourceKind {
    /// How this kind of source reads a vendor product named in a service mapping: validation
    /// asks the source kind, so `config` needs no source module. A `keeper-commander` source
    /// knows Keeper's catalogue ([`keeper::catalogue`]); a CSV file's products are whatever it
    /// says.
    pub fn vendor_product(self, sku: &str) -> VendorProduct {
        match self {
            SourceKind::Csv => VendorProduct::AsWritten,
            SourceKind::KeeperCommander => keeper::catalogue::vendor_product(sku),
        }
    }

    /// Why `source.command` (`argv`, as written) cannot be run for this kind of source, if it
    /// cannot (validation allows `command` on keeper-commander sources only).
    pub fn command_problem(self, argv: &[String]) -> Option<CommandProblem> {
        match self {
            SourceKind::Csv => None,
            SourceKind::KeeperCommander => keeper::command_problem(argv),
        }
    }
}

/// Whether `command:` sources are refused in this process. Process-wide and never cleared, so no
/// command path (plan, apply, watch's reloads, import, usage) can run a program once it is set.
static COMMANDS_DENIED: AtomicBool = AtomicBool::new(false);

/// Refuse to run `command:` sources from now on (`--no-commands`, `RECKON_DENY_COMMANDS=1`).
pub fn deny_commands() {
    COMMANDS_DENIED.store(true, Ordering::SeqCst);
}

/// The usage source configured for `integration`.
pub fn source_for(workspace: &Workspace, integration: &Integration, period: Period) -> AnySource {
    let root = &workspace.root;
    match (&integration.source.kind, &integration.source.input) {
        (SourceKind::Csv, SourceInput::File(template)) => {
            let relative = template.expand(period);
            AnySource::Csv(csv::CsvSource::new(
                root.join(&relative),
                shown_path(root, &relative),
                root.clone(),
            ))
        }
        (SourceKind::KeeperCommander, SourceInput::File(template)) => {
            let relative = template.expand(period);
            AnySource::Keeper(keeper::KeeperSource::new(keeper::ReportInput::File {
                path: root.join(&relative),
                shown: shown_path(root, &relative),
                workspace: root.clone(),
            }))
        }
        (_, SourceInput::Command(command)) if COMMANDS_DENIED.load(Ordering::SeqCst) => {
            AnySource::Denied(denied_command(integration, command, period))
        }
        // Validation allows `command` only on keeper-commander sources.
        (_, SourceInput::Command(command)) => {
            let kept = PathBuf::from(format!(
                ".reckon/keeper-commander/{}-{period}.out",
                integration.name
            ));
            AnySource::Keeper(keeper::KeeperSource::new(keeper::ReportInput::Command {
                argv: command.argv.expand(period),
                dir: root.clone(),
                timeout: command.timeout,
                limits: command::Limits {
                    stdout: command.max_stdout,
                    stderr: command.max_stderr,
                },
                keep_as: shown_path(root, &kept),
                config: (command.origin.file.clone(), command.origin.location),
            }))
        }
    }
}

/// The error for a `command:` source where commands are denied: it names the integration and
/// the program, and says how to get the report without running it here.
fn denied_command(
    integration: &Integration,
    command: &CommandInput,
    period: Period,
) -> SourceError {
    let program = command.argv.expand(period).into_iter().next();
    let mut diagnostics = Diagnostics::default();
    diagnostics.push(
        Diagnostic::error(
            &command.origin.file,
            command.origin.location,
            format!(
                "integration `{}` reads usage by running a program (`{}`), and running programs \
                 is denied here (--no-commands or RECKON_DENY_COMMANDS=1); nothing was run",
                integration.name,
                program.unwrap_or_default()
            ),
        )
        .with_hint(
            "plan it where commands are allowed (the scheduled or main-branch CI job, or your \
             own machine), or export the report beforehand and point `source.path:` at the file",
        ),
    );
    SourceError::Invalid(diagnostics)
}

/// Every source kind, for dispatch without trait objects.
#[derive(Debug)]
pub enum AnySource {
    /// A `command:` source where commands are denied: reading it is this error.
    Denied(SourceError),
    /// The generic CSV file.
    Csv(csv::CsvSource),
    /// Keeper Commander's billing report.
    Keeper(keeper::KeeperSource),
}

impl UsageSource for AnySource {
    async fn usage(&self, period: Period) -> Result<UsageData, SourceError> {
        match self {
            Self::Denied(error) => Err(error.clone()),
            Self::Csv(source) => source.usage(period).await,
            Self::Keeper(source) => source.usage(period).await,
        }
    }
}
