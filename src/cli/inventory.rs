//! `reckon accounts` and `reckon services`: the vendor's accounts and services with the PSA
//! company or service each bills, for reviewing and filtering mappings from a terminal.

use crate::error::{Error, ExitStatus};
use crate::inventory::{self, matches_search};
use crate::period::Period;
use crate::psa::{self, Psa};
use crate::reconcile;
use crate::render;

/// Arguments of `accounts` and `services`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this integration (repeatable).
    #[arg(long = "integration", value_name = "NAME")]
    pub integrations: Vec<String>,
    /// Only rows without a PSA mapping (accounts: not excluded either).
    #[arg(long)]
    pub unmapped: bool,
    /// Only rows where an id or name contains TEXT (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// The usage period whose accounts and services to list (default: the previous month).
    #[arg(long)]
    pub period: Option<Period>,
}

/// Lists vendor accounts.
pub async fn accounts(context: &super::Context, args: &Args) -> Result<ExitStatus, Error> {
    let loaded = super::load(context)?;
    let workspace = &loaded.workspace;
    let integrations = reconcile::select(workspace, &args.integrations)?;
    let usage = reconcile::measure(
        workspace,
        super::period(context, args.period),
        &integrations,
    )
    .await?;
    let psa = psa::connect(workspace)?;
    let companies = psa.companies().await?;
    let mut rows = inventory::accounts(&integrations, &usage, &companies);
    rows.retain(|r| !args.unmapped || r.status.needs_mapping());
    if let Some(text) = &args.search {
        rows.retain(|r| {
            matches_search(
                text,
                &[
                    Some(&r.account),
                    r.name.as_deref(),
                    r.psa_company.as_deref(),
                    r.psa_company_name.as_deref(),
                ],
            )
        });
    }
    let mut out = std::io::stdout().lock();
    render::inventory::accounts(&mut out, &rows).map_err(super::output_error)?;
    super::print_requests(&psa);
    Ok(ExitStatus::Success)
}

/// Lists vendor services.
pub async fn services(context: &super::Context, args: &Args) -> Result<ExitStatus, Error> {
    let loaded = super::load(context)?;
    let workspace = &loaded.workspace;
    let integrations = reconcile::select(workspace, &args.integrations)?;
    let usage = reconcile::measure(
        workspace,
        super::period(context, args.period),
        &integrations,
    )
    .await?;
    let psa = psa::connect(workspace)?;
    let catalogue = psa.services().await?;
    let mut rows = inventory::services(&integrations, &usage, &catalogue);
    rows.retain(|r| !args.unmapped || r.psa_service.is_none());
    if let Some(text) = &args.search {
        rows.retain(|r| {
            matches_search(
                text,
                &[
                    Some(&r.service),
                    r.psa_service.as_deref(),
                    r.psa_service_name.as_deref(),
                ],
            )
        });
    }
    let mut out = std::io::stdout().lock();
    render::inventory::services(&mut out, &rows).map_err(super::output_error)?;
    super::print_requests(&psa);
    Ok(ExitStatus::Success)
}
