//! `reckon apply`: plan, confirm, and write the planned quantities to the PSA.

use std::io::{BufRead, IsTerminal, Write};

use crate::apply;
use crate::error::{Error, ExitStatus};
use crate::period::Period;
use crate::psa::{self, Psa};
use crate::reconcile;
use crate::render;

/// Arguments of `apply`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Billing period YYYY-MM (default: the previous calendar month).
    #[arg(long)]
    pub period: Option<Period>,
    /// Apply without asking for confirmation (required when not on a terminal).
    #[arg(long)]
    pub auto_approve: bool,
    /// Apply only this integration's lines (repeatable).
    #[arg(long = "integration", value_name = "NAME")]
    pub integrations: Vec<String>,
}

/// Plans, asks, applies, reports. Exit 1 if any action failed.
pub async fn run(context: &super::Context, args: &Args) -> Result<ExitStatus, Error> {
    let loaded = super::load(context)?;
    let workspace = &loaded.workspace;
    let psa = psa::connect(workspace)?;
    let period = super::period(context, args.period);
    let plan = reconcile::plan(workspace, &psa, period, &args.integrations).await?;
    let mut out = std::io::stdout().lock();
    render::text::plan(&mut out, &plan, context.style).map_err(super::output_error)?;
    if !plan.has_changes() {
        super::print_requests(&psa);
        return Ok(ExitStatus::Success);
    }
    if !args.auto_approve {
        confirm(&mut out, &psa.describe())?;
    }
    writeln!(out).map_err(super::output_error)?;
    let report = apply::execute(&plan, &psa, |result| {
        let _ = render::apply::result(&mut std::io::stdout().lock(), result, context.style);
    })
    .await;
    render::apply::summary(&mut out, &report, context.style).map_err(super::output_error)?;
    super::print_requests(&psa);
    Ok(if report.failed() == 0 {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// Asks for exactly `yes` on a terminal; refuses without one.
fn confirm(out: &mut dyn Write, target: &str) -> Result<(), Error> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::refused(
            "apply needs confirmation, and standard input is not a terminal",
            "review the plan and run `reckon apply --auto-approve` in automation",
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
