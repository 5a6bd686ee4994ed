//! `ops::import`: what `reckon import` proposes mappings from — one integration's vendor
//! accounts and SKUs with usage in a period, and the PSA's companies and services — the
//! proposal itself ([`crate::import::propose`]), and writing it so that a failed import never
//! leaves a broken file. Showing the diff is the front end's.

use std::collections::BTreeSet;
use std::path::Path;

use super::plan::{measure, select};
use crate::config::model::Integration;
use crate::config::{self, Workspace};
use crate::diagnostic::Diagnostics;
use crate::error::Error;
use crate::import::{self, Inputs, Proposal, VendorAccount};
use crate::observed::Company;
use crate::period::Period;
use crate::psa::Psa;

/// What the vendor and the PSA hold for one integration, and the mappings proposed from it.
#[derive(Debug)]
pub struct Import<'w> {
    /// The integration imported into.
    pub integration: &'w Integration,
    /// Vendor accounts with usage, unique by id, sorted.
    pub accounts: Vec<VendorAccount>,
    /// PSA companies.
    pub companies: Vec<Company>,
    /// The integration file's text as read.
    pub original: String,
    /// The entries to add and the file text with them added.
    pub proposal: Proposal,
}

/// How writing a proposal ended.
#[derive(Debug)]
pub enum Written {
    /// The file holds the new entries and the workspace still validates.
    Done,
    /// The new file did not validate (these problems); the original was put back.
    RolledBack(Diagnostics),
}

/// Reads `name`'s usage for `period` and the PSA's companies and services, and proposes
/// mappings into the integration's file as it is now.
pub async fn propose<'w, P: Psa>(
    workspace: &'w Workspace,
    psa: &P,
    name: &str,
    period: Period,
) -> Result<Import<'w>, Error> {
    let selected = select(workspace, std::slice::from_ref(&name.to_owned()))?;
    let [integration] = selected.as_slice() else {
        return Err(Error::refused(
            "import works on one integration",
            "pass one --integration",
        ));
    };
    let integration: &'w Integration = integration;
    let usage = measure(workspace, period, &selected).await?;
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
    let (companies, services) = tokio::try_join!(psa.companies(), psa.services())?;
    let original = read(&integration.file)?;
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
            format!("cannot add entries to {}: {e}", integration.file.display()),
            "write the list in block style (`map:` then one `- vendor: …` item per line)",
        )
    })?;
    Ok(Import {
        integration,
        accounts,
        companies,
        original,
        proposal,
    })
}

/// Writes the proposal into the integration file atomically (temp file, then rename) and
/// reloads the workspace in `root`; if the result does not validate, puts the original back.
pub fn write(root: &Path, import: &Import<'_>) -> Result<Written, Error> {
    let file = &import.integration.file;
    atomic_write(file, &import.proposal.text)?;
    match config::load(root) {
        Ok(_) => Ok(Written::Done),
        Err(problems) => {
            atomic_write(file, &import.original)?;
            Ok(Written::RolledBack(problems))
        }
    }
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

fn atomic_write(file: &Path, text: &str) -> Result<(), Error> {
    crate::fsio::write::replace(file, text.as_bytes()).map_err(|source| Error::Io {
        context: format!("cannot write {}", file.display()),
        source,
    })
}
