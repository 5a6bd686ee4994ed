//! The command line: clap definitions and dispatch. Each command's file parses its flags, calls
//! [`crate::ops`] (or a library module), and renders the result; it decides nothing more.

mod apply;
mod approvals;
mod check;
mod import;
mod init;
mod interrupt;
mod inventory;
mod meta;
mod period;
mod plan;
mod progress;
mod report;
mod schema;
mod show;
mod status;
mod unlock;
mod usage;
mod validate;
mod watch;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{self, Loaded};
use crate::error::{Error, ExitStatus};
use crate::period::Period;
use crate::render::{self, Style};

/// reckon: reconcile vendor usage with PSA contract quantities, the GitOps way.
///
/// Mappings live as YAML in a git repository; `plan` shows what each contract line should say,
/// `apply` writes it.
#[derive(Debug, Parser)]
#[command(name = "reckon", version, about, long_about = None)]
pub struct Cli {
    /// Run as if started in DIR (the workspace directory).
    #[arg(
        short = 'C',
        long = "dir",
        global = true,
        default_value = ".",
        value_name = "DIR"
    )]
    pub dir: PathBuf,
    /// Never colour output (also honoured: the NO_COLOR environment variable).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Log to stderr what reckon does: -v each PSA request, source read and stage timing; -vv
    /// more detail (RECKON_LOG, e.g. RECKON_LOG=reckon=debug, overrides). Never credentials.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Refuse to run `command:` usage sources (for jobs running untrusted YAML, such as a pull
    /// request's); also set by RECKON_DENY_COMMANDS=1 (or true, yes, on; 0, false, no, off: not).
    #[arg(
        long,
        global = true,
        env = "RECKON_DENY_COMMANDS",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub no_commands: bool,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// reckon's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the workspace files; reads nothing else and writes nothing.
    Validate(validate::Args),
    /// Write the JSON Schemas of reckon.yaml and integration files.
    Schema(schema::Args),
    /// Create a commented starter workspace that validates.
    Init(init::Args),
    /// Show what apply would change in the PSA for a billing period.
    Plan(plan::Args),
    /// Write the planned quantities to the PSA.
    Apply(apply::Args),
    /// Show a plan saved with `plan --out FILE` as `plan` showed it, with where it came from.
    Show(show::Args),
    /// Show the measured usage per account and vendor service, without reading the PSA.
    Usage(usage::Args),
    /// Reports from the plan's figures: `report margin` (revenue, vendor cost, margin).
    Report(report::Args),
    /// Test the PSA connection (credentials, API, one read); writes nothing.
    Check(check::Args),
    /// Propose account and service mappings from the vendor's accounts and the PSA; --write adds them.
    Import(import::Args),
    /// Re-plan whenever the workspace or usage files change (and on a timer); --apply writes.
    Watch(watch::Args),
    /// List vendor accounts with the PSA company each bills (or none).
    Accounts(inventory::Args),
    /// List vendor services with the PSA service each feeds (or none).
    Services(inventory::Args),
    /// Show the sync state: last apply per integration, lock, unknown outcomes, pending approvals.
    Status(status::Args),
    /// Remove the workspace's apply lock left by a crashed run (needs the lock's id).
    Unlock(unlock::Args),
    /// Print a shell completion script: `reckon completions bash > /etc/bash_completion.d/reckon`.
    Completions(meta::CompletionsArgs),
    /// Print the man page (roff): `reckon man > reckon.1`.
    Man,
    /// Print reckon's version and the git commit it was built from.
    Version(meta::VersionArgs),
}

/// Whether Ctrl-C or SIGTERM stopped the run (its exit code is then 130, error or not).
pub fn interrupted() -> bool {
    interrupt::interrupted()
}

/// Things every command may need, decided once.
pub struct Context {
    /// The workspace directory.
    pub dir: PathBuf,
    /// Colour for stdout.
    pub style: Style,
    /// Colour for stderr.
    pub err_style: Style,
    /// Today's date (the only clock read, so everything below can be tested with a fixed date).
    pub today: chrono::NaiveDate,
    /// What printed commands must repeat (`-C DIR`).
    pub invocation: render::command_line::Invocation,
    /// `-v` or `RECKON_LOG` logs to stderr (a redrawn progress line would cut them).
    pub logging: bool,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<ExitStatus, Error> {
    let no_color = cli.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    if cli.no_commands {
        crate::sources::deny_commands();
    }
    let context = Context {
        dir: cli.dir.clone(),
        style: Style {
            color: !no_color && std::io::stdout().is_terminal(),
        },
        err_style: Style {
            color: !no_color && std::io::stderr().is_terminal(),
        },
        today: chrono::Local::now().date_naive(),
        invocation: render::command_line::Invocation::new(&cli.dir),
        logging: cli.verbose > 0
            || std::env::var_os("RECKON_LOG")
                .is_some_and(|v| !v.to_string_lossy().trim().is_empty()),
    };
    match cli.command {
        Command::Validate(args) => validate::run(&context, &args),
        Command::Schema(args) => schema::run(&context, &args),
        Command::Init(args) => init::run(&context, &args),
        Command::Plan(args) => block_on(plan::run(&context, &args)),
        Command::Apply(args) => block_on(apply::run(&context, &args)),
        Command::Show(args) => show::run(&context, &args),
        Command::Usage(args) => block_on(usage::run(&context, &args)),
        Command::Report(args) => block_on(report::run(&context, &args)),
        Command::Check(args) => block_on(check::run(&context, &args)),
        Command::Import(args) => block_on(import::run(&context, &args)),
        Command::Watch(args) => block_on(watch::run(&context, &args)),
        Command::Accounts(args) => block_on(inventory::accounts(&context, &args)),
        Command::Services(args) => block_on(inventory::services(&context, &args)),
        Command::Unlock(args) => block_on(unlock::run(&context, &args)),
        Command::Status(args) => block_on(status::run(&context, &args)),
        Command::Completions(args) => meta::completions(&args),
        Command::Man => meta::man(),
        Command::Version(args) => meta::version(&args),
    }
}

fn block_on<F: Future<Output = Result<ExitStatus, Error>>>(future: F) -> Result<ExitStatus, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| Error::Io {
            context: "cannot start the async runtime".into(),
            source,
        })?;
    runtime.block_on(future)
}

/// Loads the workspace, printing its warnings to stderr.
pub fn load(context: &Context) -> Result<Loaded, Error> {
    let loaded = config::load(&context.dir).map_err(Error::Config)?;
    if !loaded.warnings.is_empty() {
        let mut stderr = render::escape::stderr(context.err_style.color);
        let _ = render::diagnostics::text(&mut stderr, &loaded.warnings, context.err_style);
    }
    Ok(loaded)
}

/// `--period`, or the month before today (then said so on stderr).
pub fn period(context: &Context, given: Option<Period>) -> Period {
    period::choose(context, given).period
}

/// Maps a write error on stdout (other than a closed pipe, handled in main) to an [`Error`].
pub fn output_error(source: std::io::Error) -> Error {
    Error::Io {
        context: "cannot write output".into(),
        source,
    }
}

/// Connects to the workspace's PSA, its requests (pages per endpoint) shown on stderr as they
/// are made until the guard is dropped: drop it when the reading is done, before printing more
/// to stderr.
pub fn connect(
    context: &Context,
    workspace: &config::model::Workspace,
) -> Result<(crate::psa::AnyPsa, progress::ReadingGuard), Error> {
    let reading = progress::reading(workspace.psa.kind(), context.logging);
    Ok((crate::psa::connect(workspace)?, reading))
}

/// Prints the PSA request count to stderr when the adapter counts requests (rate-limited APIs).
pub fn print_requests<P: crate::psa::Psa>(psa: &P) {
    let count = psa.requests_used();
    if count.total() == 0 {
        return;
    }
    let parts: Vec<String> = count
        .by_endpoint
        .iter()
        .map(|(e, n)| format!("{e} {n}"))
        .collect();
    eprintln!(
        "PSA requests used: {} ({})",
        count.total(),
        parts.join(", ")
    );
}

/// A lock problem as a refusal saying who holds it and what to do.
pub fn lock_error(error: crate::state::lock::LockError) -> Error {
    crate::ops::Refusal::from(error).into()
}

/// With `--format github`: the problems behind a failed command as annotations on stdout
/// (validation errors point at their YAML lines).
pub fn annotate_problems(result: &Result<ExitStatus, Error>) {
    if let Err(error) = result {
        let mut out = std::io::stdout().lock();
        let _ = match error.diagnostics() {
            Some(problems) => render::diagnostics::github(&mut out, problems),
            None => writeln!(
                out,
                "::error title=reckon::{}",
                render::diagnostics::escape_data(&error.to_string())
            ),
        };
    }
}

/// Appends the markdown plan to `$GITHUB_STEP_SUMMARY` when that is set (GitHub Actions).
pub fn step_summary(plan: &crate::plan::Plan) -> std::io::Result<()> {
    step_summary_within(plan, render::markdown::DEFAULT_MAX_BYTES)
}

/// [`step_summary`] with the markdown in at most `max_bytes` bytes.
pub fn step_summary_within(plan: &crate::plan::Plan, max_bytes: usize) -> std::io::Result<()> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    let mut markdown = Vec::new();
    render::markdown::plan_within(&mut markdown, plan, max_bytes)?;
    render::github::append_step_summary(std::path::Path::new(&path), &markdown)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::Cli;

    #[test]
    fn a_saved_plan_is_its_own_approval_so_approve_conflicts_with_it() {
        let error = Cli::try_parse_from(["reckon", "apply", "plan.json", "--approve", "a/b → c/d"])
            .expect_err("--approve with a plan file");
        assert_eq!(error.kind(), clap::error::ErrorKind::ArgumentConflict);
        assert!(Cli::try_parse_from(["reckon", "apply", "--approve", "a/b → c/d"]).is_ok());
        assert!(Cli::try_parse_from(["reckon", "apply", "plan.json"]).is_ok());
    }
}
