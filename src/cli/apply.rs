//! `reckon apply`: plan, confirm, and write the planned quantities to the PSA — or apply a saved
//! plan file exactly, after checking it is not stale. Either way under the workspace lock and
//! with every write journalled.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use crate::apply::{ActionResult, ApplyReport};
use crate::error::{Error, ExitStatus};
use crate::ops::apply::{self as ops_apply, Applied, Policy, Progress, Source, Stopped};
use crate::ops::{Refusal, plan::Request};
use crate::period::Period;
use crate::plan::{Interrupted, Plan};
use crate::psa::Psa;
use crate::render::{self, Style};
use crate::state::lock;

/// Arguments of `apply`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A plan saved with `reckon plan --out FILE`: apply exactly it, without a prompt (the file
    /// is the approval), refusing if it is stale.
    #[arg(
        value_name = "PLAN_FILE",
        conflicts_with_all = ["period", "auto_approve", "integrations", "approve"]
    )]
    pub plan_file: Option<PathBuf>,
    /// Billing period YYYY-MM (default: the previous calendar month).
    #[arg(long)]
    pub period: Option<Period>,
    /// Apply without asking for confirmation (required when not on a terminal).
    #[arg(long)]
    pub auto_approve: bool,
    /// Apply only this integration's lines (repeatable).
    #[arg(long = "integration", value_name = "NAME")]
    pub integrations: Vec<String>,
    /// How long to wait for another apply's lock, e.g. 30s or 2m (default 0: fail at once).
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = lock::parse_timeout)]
    pub lock_timeout: Duration,
    /// Approve the change at ADDRESS (as printed in the plan, with → or ->, e.g.
    /// "keeper/Acme/1TB -> Acme/KEEPER-1TB") beyond a policy threshold, for this run only
    /// (repeatable).
    #[arg(long = "approve", value_name = "ADDRESS")]
    pub approve: Vec<String>,
    /// Apply even when the plan would set every line it covers to zero (empty usage data).
    #[arg(long)]
    pub allow_empty: bool,
    /// Apply even when an integration's usage covers fewer days than the period (its data
    /// stops early, or the period has not ended yet).
    #[arg(long)]
    pub allow_partial: bool,
    /// Output format: text, or text plus GitHub Actions annotations (and the markdown plan
    /// appended to `$GITHUB_STEP_SUMMARY` when set).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Output formats for `apply`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Terraform-style text.
    Text,
    /// Text plus GitHub Actions annotations.
    Github,
}

/// Locks, plans (or loads and checks the saved plan), asks, applies, reports. Exit 1 if any
/// action failed.
pub async fn run(context: &super::Context, args: &Args) -> Result<ExitStatus, Error> {
    let result = lock_and_apply(context, args).await;
    if args.format == Format::Github {
        super::annotate_problems(&result);
    }
    result
}

async fn lock_and_apply(context: &super::Context, args: &Args) -> Result<ExitStatus, Error> {
    let loaded = super::load(context)?;
    let workspace = &loaded.workspace;
    super::interrupt::watch(workspace.root.join(crate::state::STATE_DIR))?;
    let (psa, reading) = super::connect(context, workspace)?;
    let chosen = args
        .plan_file
        .is_none()
        .then(|| super::period::choose(context, args.period));
    let source = match &args.plan_file {
        Some(path) => Source::Saved {
            path,
            today: context.today,
        },
        None => Source::Fresh(Request {
            period: chosen.map_or(Period::previous_to(context.today), |c| c.period),
            today: context.today,
            only: &args.integrations,
            approve: &args.approve,
        }),
    };
    let policy = Policy {
        lock_command: lock_command(args),
        lock_timeout: args.lock_timeout,
        allow_empty: args.allow_empty,
        allow_partial: args.allow_partial,
    };
    let mut terminal = Terminal {
        out: render::escape::stdout(render::escape::Sink::Text {
            color: context.style.color,
        }),
        style: context.style,
        ask: args.plan_file.is_none() && !args.auto_approve,
        unattended: unattended_command(context, args),
        github: args.format == Format::Github,
        target: psa.describe(),
        file: None,
        shown: None,
        meter: super::progress::Meter::for_stderr(context.logging),
        reading: Some(reading),
        approvals: args.plan_file.is_none().then(|| Approvals {
            root: workspace.root.clone(),
            approve: args.approve.clone(),
            style: context.err_style,
        }),
    };
    let status = match ops_apply::apply(workspace, &psa, source, &policy, &mut terminal).await {
        Ok(Applied { plan, report: None }) => exit_status(&plan, 0),
        Ok(Applied {
            plan,
            report: Some(report),
        }) => terminal.summary(&plan, &report)?,
        // Nothing to write but held or blocked changes: shown as an apply of none, as a run
        // that holds some of its changes is.
        Err(Stopped::Refused(refusal @ (Refusal::AllHeld { .. } | Refusal::AllBlocked { .. }))) => {
            match terminal.shown.take() {
                Some(plan) => {
                    writeln!(terminal.out).map_err(super::output_error)?;
                    terminal.summary(&plan, &ApplyReport::default())?
                }
                None => return Err(refusal.into()),
            }
        }
        Err(stopped) => {
            let error = stopped.into();
            return Err(match chosen {
                Some(chosen) => super::period::explain_missing_usage(workspace, chosen, error),
                None => error,
            });
        }
    };
    super::print_requests(&psa);
    Ok(if super::interrupt::interrupted() {
        ExitStatus::Interrupted
    } else {
        status
    })
}

/// How the lock file describes this run.
fn lock_command(args: &Args) -> String {
    match (&args.plan_file, args.period) {
        (Some(path), _) => format!("apply {}", path.display()),
        (None, Some(period)) => format!("apply --period {period}"),
        (None, None) => "apply".into(),
    }
}

/// `reckon apply`'s front end: renders each step of the run on the terminal.
struct Terminal<W: Write> {
    out: W,
    style: Style,
    /// Ask for `yes` before writing (a fresh plan without --auto-approve).
    ask: bool,
    /// This run as a command that needs no prompt, for the hint when there is no terminal.
    unattended: String,
    /// `--format github`: annotations and the step summary too.
    github: bool,
    /// The PSA, as the question names it.
    target: String,
    /// A saved plan's file as saved: what is shown as text instead of the fresh plan.
    file: Option<Plan>,
    /// The plan shown, for the closing lines when nothing could be written.
    shown: Option<Plan>,
    /// A fresh plan's approvals, checked against it when it is shown.
    approvals: Option<Approvals>,
    /// Writes done of the total, on stderr.
    meter: super::progress::Meter,
    /// The PSA's requests on stderr while the run reads (recovery, planning), until the plan
    /// is shown; the writes are the meter's.
    reading: Option<super::progress::ReadingGuard>,
}

/// Where a fresh plan's approvals come from, for warning about those that match nothing.
struct Approvals {
    root: PathBuf,
    approve: Vec<String>,
    style: Style,
}

impl<W: Write> Progress for Terminal<W> {
    fn resolved(&mut self, write: &Interrupted) {
        if let Some(reading) = &self.reading {
            reading.clear();
        }
        eprintln!(
            "note: an earlier apply was interrupted writing {}",
            render::apply::recovered(write)
        );
    }

    fn saved(&mut self, file: &Plan) {
        self.file = Some(file.clone());
    }

    fn show(&mut self, plan: &Plan) -> Result<(), Error> {
        self.reading = None;
        let text = self.file.as_ref().unwrap_or(plan);
        render::text::plan(&mut self.out, text, self.style).map_err(super::output_error)?;
        self.shown = Some(plan.clone());
        if let Some(a) = &self.approvals {
            super::approvals::warn_unmatched(a.style, &a.root, plan, &a.approve);
        }
        if self.github {
            // Workflow commands by design, each value escaped by `render::github`: written past
            // the guard, after what it holds.
            self.out.flush().map_err(super::output_error)?;
            render::github::plan(&mut std::io::stdout().lock(), plan)
                .and_then(|()| super::step_summary(plan))
                .map_err(super::output_error)?;
        }
        Ok(())
    }

    fn confirm(&mut self, _plan: &Plan) -> Result<(), Error> {
        if self.ask {
            confirm(&mut self.out, &self.target, &self.unattended)?;
        }
        Ok(())
    }

    fn budget(&mut self, budget: &crate::ops::budget::Budget) {
        eprintln!("note: {}", budget.describe());
        if let Some(warning) = budget.warning() {
            eprintln!("warning: {warning}");
        }
    }

    fn applying(&mut self) -> Result<(), Error> {
        super::interrupt::writing();
        if let Some(plan) = &self.shown {
            self.meter.start(plan.applicable().count());
        }
        writeln!(self.out).map_err(super::output_error)
    }

    fn sent(&mut self) {
        self.meter.sent();
    }

    fn result(&mut self, result: &ActionResult) {
        let _ = render::apply::result(&mut self.out, result, self.style);
        let _ = self.out.flush();
        self.meter
            .record(result.outcome != crate::apply::Outcome::Applied);
    }
}

impl<W: Write> Terminal<W> {
    /// The held and blocked changes and the closing line.
    fn summary(&mut self, plan: &Plan, report: &ApplyReport) -> Result<ExitStatus, Error> {
        self.meter.finish();
        if self.github {
            self.out.flush().map_err(super::output_error)?;
            render::github::apply(&mut std::io::stdout().lock(), report)
                .map_err(super::output_error)?;
        }
        for change in plan.held() {
            render::apply::held(&mut self.out, change, self.style).map_err(super::output_error)?;
        }
        for change in plan.blocked() {
            render::apply::blocked(&mut self.out, change, self.style)
                .map_err(super::output_error)?;
        }
        render::apply::summary(&mut self.out, report, plan, self.style)
            .map_err(super::output_error)?;
        Ok(exit_status(plan, report.failed()))
    }
}

/// 1 when a write failed, a change was held or blocked, or an error finding stands; else 0.
fn exit_status(plan: &Plan, failed: usize) -> ExitStatus {
    if failed == 0 && plan.held().next().is_none() && !plan.has_errors() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    }
}

/// `reckon [-C DIR] apply [--period P] [--integration N]… [--approve A]… --auto-approve`:
/// this run without its prompt.
fn unattended_command(context: &super::Context, args: &Args) -> String {
    let mut words = vec!["apply".to_owned()];
    words.extend(crate::render::command_line::scope(
        args.period,
        &args.integrations,
    ));
    for address in &args.approve {
        words.extend(["--approve".to_owned(), address.clone()]);
    }
    words.push("--auto-approve".into());
    context.invocation.command(&words)
}

/// Asks for exactly `yes` on a terminal; refuses without one (`unattended` is the command to
/// suggest instead).
fn confirm(out: &mut dyn Write, target: &str, unattended: &str) -> Result<(), Error> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::refused(
            "apply needs confirmation, and standard input is not a terminal",
            format!(
                "review the plan and run `{unattended}` in automation, or apply a saved plan file"
            ),
        ));
    }
    write!(
        out,
        "\nApply these changes to {target}? Only 'yes' will be accepted: "
    )
    .and_then(|()| out.flush())
    .map_err(super::output_error)?;
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|source| Error::Io {
            context: "cannot read the answer".into(),
            source,
        })?;
    if answer.trim_end_matches(['\r', '\n']) == "yes" {
        Ok(())
    } else {
        Err(Error::Refused {
            message: "apply cancelled; nothing was written".into(),
            hint: None,
        })
    }
}
