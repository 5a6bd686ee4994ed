//! `reckon apply`: plan, confirm, and write the planned quantities to the PSA — or apply a saved
//! plan file exactly, after checking it is not stale. Either way under the workspace lock and
//! with every write journalled.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use crate::apply;
use crate::error::{Error, ExitStatus};
use crate::fingerprint;
use crate::period::Period;
use crate::plan::{self, Plan};
use crate::psa::{self, AnyPsa, Psa};
use crate::reconcile;
use crate::render;
use crate::saved_plan::{self, SavedPlan};
use crate::state::{self, journal, lock};

/// Arguments of `apply`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A plan saved with `reckon plan --out FILE`: apply exactly it, without a prompt (the file
    /// is the approval), refusing if it is stale.
    #[arg(value_name = "PLAN_FILE", conflicts_with_all = ["period", "auto_approve", "integrations"])]
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
    /// Approve the change at ADDRESS (as printed in the plan) beyond a policy threshold, for
    /// this run only (repeatable).
    #[arg(long = "approve", value_name = "ADDRESS")]
    pub approve: Vec<String>,
    /// Apply even when the plan would set every line it covers to zero (empty usage data).
    #[arg(long)]
    pub allow_empty: bool,
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
    let psa = psa::connect(workspace)?;
    let state_dir = state::dir(&workspace.root).map_err(|source| Error::Io {
        context: "cannot create the workspace's .reckon folder".into(),
        source,
    })?;
    let held_lock = lock::Lock::acquire(&state_dir, &lock_command(args), args.lock_timeout)
        .await
        .map_err(super::lock_error)?;
    let mut writer = journal::Writer::open(&state_dir).map_err(journal_error)?;
    close_interrupted(workspace, &psa, &mut writer).await?;
    let mut out = render::escape::stdout(render::escape::Sink::Text {
        color: context.style.color,
    });
    let (plan, commit) = match &args.plan_file {
        Some(path) => {
            let saved = checked_saved_plan(workspace, &psa, path).await?;
            render::text::plan(&mut out, &saved.plan, context.style)
                .map_err(super::output_error)?;
            (saved.plan, saved.git.map(|g| g.commit))
        }
        None => {
            let period = super::period(context, args.period);
            let plan = reconcile::plan(workspace, &psa, period, &args.integrations).await?;
            render::text::plan(&mut out, &plan, context.style).map_err(super::output_error)?;
            if plan.has_changes() && !args.auto_approve {
                confirm(&mut out, &psa.describe())?;
            }
            let commit = fingerprint::git_state(&workspace.root).map(|g| g.commit);
            (plan, commit)
        }
    };
    let mut plan = plan;
    plan::approval::approve(&mut plan, &cli_grants(&args.approve));
    if args.format == Format::Github {
        // Workflow commands by design, each value escaped by `render::github`.
        render::github::plan(&mut std::io::stdout().lock(), &plan)
            .and_then(|()| super::step_summary(&plan))
            .map_err(super::output_error)?;
    }
    if !plan.has_changes() {
        super::print_requests(&psa);
        return Ok(ExitStatus::Success);
    }
    if plan.zeroes_every_line() && !args.allow_empty {
        return Err(Error::refused(
            "refusing to apply: the plan sets every line it covers to zero; nothing was written",
            "this is what empty or truncated usage data looks like; check it, and pass \
             --allow-empty only if every line really should be zero",
        ));
    }
    writeln!(out).map_err(super::output_error)?;
    let mut journal = journal::ApplyJournal::new(
        writer,
        held_lock.info().id.clone(),
        commit,
        plan.period,
        journal::crash_hook(),
    );
    let report = apply::execute(&plan, &psa, &mut journal, |result| {
        let _ = render::apply::result(
            &mut render::escape::stdout(render::escape::Sink::Text {
                color: context.style.color,
            }),
            result,
            context.style,
        );
    })
    .await;
    if args.format == Format::Github {
        render::github::apply(&mut std::io::stdout().lock(), &report)
            .map_err(super::output_error)?;
    }
    for change in plan.held() {
        render::apply::held(&mut out, change, context.style).map_err(super::output_error)?;
    }
    render::apply::summary(&mut out, &report, plan.held().count(), context.style)
        .map_err(super::output_error)?;
    super::print_requests(&psa);
    Ok(if report.failed() == 0 && plan.held().next().is_none() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// `--approve ADDRESS` grants: this run's period, whatever quantity its plan says.
fn cli_grants(addresses: &[String]) -> Vec<plan::approval::Grant> {
    addresses
        .iter()
        .map(|address| plan::approval::Grant {
            address: address.clone(),
            period: None,
            quantity: None,
            source: "--approve".into(),
        })
        .collect()
}

/// How the lock file describes this run.
fn lock_command(args: &Args) -> String {
    match (&args.plan_file, args.period) {
        (Some(path), _) => format!("apply {}", path.display()),
        (None, Some(period)) => format!("apply --period {period}"),
        (None, None) => "apply".into(),
    }
}

/// Re-reads the lines of writes an earlier, interrupted apply never recorded the outcome of,
/// and records what they hold now, closing them (the plan that follows starts from live values).
async fn close_interrupted(
    workspace: &crate::config::Workspace,
    psa: &AnyPsa,
    writer: &mut journal::Writer,
) -> Result<(), Error> {
    for (intent, found) in reconcile::reread_unknown_outcomes(workspace, psa).await? {
        eprintln!(
            "note: an earlier apply was interrupted writing {} ({} → {}); the line now holds {}",
            render::escape::text(&intent.address),
            intent
                .before
                .map_or_else(|| "new".into(), |q| q.to_string()),
            intent.after,
            found.map_or_else(|| "an unreadable value".into(), |q| q.to_string()),
        );
        writer
            .append(&journal::Record::Resolved(journal::Resolved {
                apply: intent.apply,
                seq: intent.seq,
                time: journal::now(),
                found,
            }))
            .map_err(journal_error)?;
    }
    Ok(())
}

/// Loads the plan file and refuses it when it belongs to another PSA, the config or usage
/// changed since, or any line it touches no longer holds what it was planned against.
async fn checked_saved_plan(
    workspace: &crate::config::Workspace,
    psa: &AnyPsa,
    path: &std::path::Path,
) -> Result<SavedPlan, Error> {
    let saved = SavedPlan::read(path).map_err(|e| {
        Error::refused(
            e.to_string(),
            "make a new one with `reckon plan --out FILE`",
        )
    })?;
    let replan = format!(
        "nothing was applied; make a fresh plan with `reckon plan --period {} --out {}`",
        saved.plan.period,
        path.display()
    );
    if saved.plan.psa != workspace.psa.kind() {
        return Err(Error::refused(
            format!(
                "stale plan: it was made for a {} PSA, the workspace now uses {}",
                saved.plan.psa,
                workspace.psa.kind()
            ),
            replan,
        ));
    }
    let config_now = fingerprint::config_hash(&workspace.root).map_err(hash_error)?;
    if config_now != saved.config_hash {
        return Err(Error::refused(
            "stale plan: the configuration (reckon.yaml, integrations/, approvals.yaml) changed since the plan was made",
            replan,
        ));
    }
    let usage_now = fingerprint::usage_hash(workspace, saved.plan.period).map_err(hash_error)?;
    if usage_now != saved.usage_hash {
        return Err(Error::refused(
            format!(
                "stale plan: the usage data for {} changed since the plan was made",
                saved.plan.period
            ),
            replan,
        ));
    }
    let stale = saved_plan::stale_lines(psa, &saved.plan).await?;
    if !stale.is_empty() {
        let lines: Vec<String> = stale.iter().map(|s| format!("  {s}")).collect();
        return Err(Error::refused(
            format!(
                "stale plan: {} line(s) changed in the PSA since the plan was made:\n{}",
                stale.len(),
                lines.join("\n")
            ),
            replan,
        ));
    }
    Ok(saved)
}

fn hash_error(source: std::io::Error) -> Error {
    Error::Io {
        context: "cannot read the workspace files to check the saved plan".into(),
        source,
    }
}

fn journal_error(source: std::io::Error) -> Error {
    Error::Io {
        context: "cannot write the apply journal .reckon/journal.jsonl; nothing was applied".into(),
        source,
    }
}

/// The plan as a saved plan file, with the fingerprints apply checks it against.
pub fn save(
    workspace: &crate::config::Workspace,
    plan: &Plan,
    path: &std::path::Path,
) -> Result<(), Error> {
    let saved = SavedPlan {
        reckon_version: env!("CARGO_PKG_VERSION").to_owned(),
        git: fingerprint::git_state(&workspace.root),
        config_hash: fingerprint::config_hash(&workspace.root).map_err(hash_error)?,
        usage_hash: fingerprint::usage_hash(workspace, plan.period).map_err(hash_error)?,
        plan: plan.clone(),
    };
    saved.write(path).map_err(|e| {
        Error::refused(
            e.to_string(),
            "check the --out path and its folder's permissions",
        )
    })
}

/// Asks for exactly `yes` on a terminal; refuses without one.
fn confirm(out: &mut dyn Write, target: &str) -> Result<(), Error> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::refused(
            "apply needs confirmation, and standard input is not a terminal",
            "review the plan and run `reckon apply --auto-approve` in automation, or apply a saved plan file",
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
