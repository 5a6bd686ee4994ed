//! `reckon import`: propose account and service mappings for one integration from the vendor's
//! usage and the PSA ([`crate::ops::import`]), show them as a diff of the integration file, and
//! write them on request.

use std::io::Write;

use crate::error::{Error, ExitStatus};
use crate::ops::import::{self, Written};
use crate::period::Period;
use crate::render;

/// Arguments of `import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The integration to import mappings into (its file is `integrations/NAME.yaml`).
    #[arg(long = "integration", value_name = "NAME")]
    pub integration: String,
    /// The usage period whose vendor accounts to read (default: the previous calendar month).
    #[arg(long)]
    pub period: Option<Period>,
    /// Write the proposed entries into the integration file (default: only show the diff).
    #[arg(long)]
    pub write: bool,
}

/// Reads, proposes, prints, and writes when asked.
pub async fn run(context: &super::Context, args: &Args) -> Result<ExitStatus, Error> {
    let loaded = super::load(context)?;
    let workspace = &loaded.workspace;
    let period = super::period(context, args.period);
    let (psa, reading) = super::connect(context, workspace)?;
    let import = import::propose(workspace, &psa, &args.integration, period).await?;
    drop(reading);
    let (file, proposal, original) = (&import.integration.file, &import.proposal, &import.original);
    // The diff names the file as git would: relative to the workspace.
    let shown = file
        .strip_prefix(&context.dir)
        .unwrap_or(file)
        .display()
        .to_string();
    let mut out = render::escape::stdout(render::escape::Sink::Text {
        color: context.style.color,
    });
    let header = render::import::Header {
        integration: &import.integration.name,
        file: &shown,
        period: period.to_string(),
        accounts: import.accounts.len(),
        companies: import.companies.len(),
    };
    render::import::report(&mut out, &header, proposal, original, context.style)
        .map_err(super::output_error)?;
    super::print_requests(&psa);
    if !proposal.changes_file(original) {
        return Ok(ExitStatus::Success);
    }
    if !args.write {
        writeln!(
            out,
            "\nRun with --write to add these lines to {}.",
            file.display()
        )
        .map_err(super::output_error)?;
        return Ok(ExitStatus::Success);
    }
    if let Written::RolledBack(problems) = import::write(&context.dir, &import)? {
        let mut err = std::io::stderr().lock();
        let _ = render::diagnostics::text(&mut err, &problems, render::Style::default());
        return Err(Error::refused(
            format!(
                "the imported file would not validate; {} was left unchanged",
                file.display()
            ),
            "fix the problems above and run import again",
        ));
    }
    let notes = proposal
        .unmatched_accounts
        .iter()
        .chain(&proposal.unmatched_services)
        .filter(|u| !u.already_noted)
        .count();
    writeln!(
        out,
        "\nWrote {} account and {} service mapping(s) and {notes} note(s) to {}.",
        proposal.accounts.len(),
        proposal.services.len(),
        file.display()
    )
    .map_err(super::output_error)?;
    Ok(ExitStatus::Success)
}
