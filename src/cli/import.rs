//! `reckon import`: propose account and service mappings for one integration from the vendor's
//! usage and the PSA, show them as a diff of the integration file, and write them on request.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use crate::config;
use crate::error::{Error, ExitStatus};
use crate::import::{self, Inputs, VendorAccount};
use crate::period::Period;
use crate::psa::{self, Psa};
use crate::reconcile;
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
    let selected = reconcile::select(workspace, std::slice::from_ref(&args.integration))?;
    let [integration] = selected.as_slice() else {
        return Err(Error::refused(
            "import works on one integration",
            "pass one --integration",
        ));
    };
    let period = super::period(context, args.period);
    let usage = reconcile::measure(workspace, period, &selected).await?;
    let rows = usage.get(&integration.name).map_or(&[][..], Vec::as_slice);
    let mut accounts: Vec<VendorAccount> = rows
        .iter()
        .map(|r| VendorAccount {
            id: r.account_id.clone(),
            name: r.account_name.clone(),
        })
        .collect();
    accounts.sort();
    accounts.dedup_by(|a, b| a.id == b.id);
    let skus: BTreeSet<String> = rows.iter().map(|r| r.sku.clone()).collect();
    let psa = psa::connect(workspace)?;
    let (companies, services) = tokio::try_join!(psa.companies(), psa.services())?;
    let file = &integration.file;
    let original = read(file)?;
    let proposal = import::propose(&Inputs {
        integration,
        accounts: &accounts,
        skus: &skus,
        companies: &companies,
        services: &services,
        text: &original,
    })
    .map_err(|e| {
        Error::refused(
            format!("cannot add entries to {}: {e}", file.display()),
            "write the list in block style (`map:` then one `- vendor: …` item per line)",
        )
    })?;
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
        integration: &integration.name,
        file: &shown,
        period: period.to_string(),
        accounts: accounts.len(),
        companies: companies.len(),
    };
    render::import::report(&mut out, &header, &proposal, &original, context.style)
        .map_err(super::output_error)?;
    super::print_requests(&psa);
    if !proposal.changes_file(&original) {
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
    write_checked(&context.dir, file, &original, &proposal.text)?;
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

fn read(file: &Path) -> Result<String, Error> {
    config::read_text(
        file,
        file,
        crate::fsio::Within::Anywhere,
        crate::fsio::limit::CONFIG,
    )
    .map_err(|d| {
        Error::refused(
            format!("cannot read {}: {}", file.display(), d.message),
            "check the file exists and is readable",
        )
    })
}

/// Writes `text` atomically (temp file, then rename) and reloads the workspace; if the result
/// does not validate, puts the original back so a failed import never leaves a broken file.
fn write_checked(root: &Path, file: &Path, original: &str, text: &str) -> Result<(), Error> {
    atomic_write(file, text)?;
    match config::load(root) {
        Ok(_) => Ok(()),
        Err(diagnostics) => {
            atomic_write(file, original)?;
            let mut err = std::io::stderr().lock();
            let _ = render::diagnostics::text(&mut err, &diagnostics, render::Style::default());
            Err(Error::refused(
                format!(
                    "the imported file would not validate; {} was left unchanged",
                    file.display()
                ),
                "fix the problems above and run import again",
            ))
        }
    }
}

fn atomic_write(file: &Path, text: &str) -> Result<(), Error> {
    crate::fsio::write::replace(file, text.as_bytes()).map_err(|source| Error::Io {
        context: format!("cannot write {}", file.display()),
        source,
    })
}
