//! `reckon accounts` and `reckon services`: the vendor's accounts and services with the PSA
//! company or service each bills, for reviewing and filtering mappings from a terminal.

use std::collections::BTreeMap;

use crate::error::{Error, ExitStatus};
use crate::inventory::{self, matches_search};
use crate::ops::plan as planning;
use crate::period::Period;
use crate::psa::{AnyPsa, Psa};
use crate::render;
use crate::usage::AccountUsage;

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

/// What both listings need: the workspace, the period's measured usage and a PSA client.
struct Listing {
    loaded: crate::config::Loaded,
    usage: BTreeMap<String, Vec<AccountUsage>>,
    psa: AnyPsa,
    /// The PSA's requests on stderr, until the listing is read.
    reading: Option<super::progress::ReadingGuard>,
}

impl Listing {
    async fn gather(context: &super::Context, args: &Args) -> Result<Self, Error> {
        let loaded = super::load(context)?;
        let workspace = &loaded.workspace;
        let integrations = planning::select(workspace, &args.integrations)?;
        let period = super::period(context, args.period);
        let usage = planning::measure(workspace, period, &integrations).await?;
        let (psa, reading) = super::connect(context, workspace)?;
        Ok(Self {
            loaded,
            usage,
            psa,
            reading: Some(reading),
        })
    }
}

/// Lists vendor accounts.
pub async fn accounts(context: &super::Context, args: &Args) -> Result<ExitStatus, Error> {
    let mut listing = Listing::gather(context, args).await?;
    let integrations = planning::select(&listing.loaded.workspace, &args.integrations)?;
    let companies = listing.psa.companies().await?;
    listing.reading = None;
    let mut rows = inventory::accounts(&integrations, &listing.usage, &companies);
    rows.retain(|r| !args.unmapped || r.status.needs_mapping());
    if let Some(text) = &args.search {
        rows.retain(|r| {
            let fields = [
                Some(r.account.as_str()),
                r.name.as_deref(),
                r.psa_company.as_deref(),
                r.psa_company_name.as_deref(),
            ];
            matches_search(text, &fields)
        });
    }
    let mut out = render::escape::stdout(render::escape::Sink::Text {
        color: context.style.color,
    });
    render::inventory::accounts(&mut out, &rows).map_err(super::output_error)?;
    super::print_requests(&listing.psa);
    Ok(ExitStatus::Success)
}

/// Lists vendor services.
pub async fn services(context: &super::Context, args: &Args) -> Result<ExitStatus, Error> {
    let mut listing = Listing::gather(context, args).await?;
    let integrations = planning::select(&listing.loaded.workspace, &args.integrations)?;
    let catalogue = listing.psa.services().await?;
    listing.reading = None;
    let mut rows = inventory::services(&integrations, &listing.usage, &catalogue);
    rows.retain(|r| !args.unmapped || r.psa_service.is_none());
    if let Some(text) = &args.search {
        rows.retain(|r| {
            let fields = [
                Some(r.service.as_str()),
                r.psa_service.as_deref(),
                r.psa_service_name.as_deref(),
            ];
            matches_search(text, &fields)
        });
    }
    let mut out = render::escape::stdout(render::escape::Sink::Text {
        color: context.style.color,
    });
    render::inventory::services(&mut out, &rows).map_err(super::output_error)?;
    super::print_requests(&listing.psa);
    Ok(ExitStatus::Success)
}
