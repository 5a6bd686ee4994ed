//! `reckon report margin`: per account and per PSA service, the revenue the PSA bills, the
//! vendor's cost of the period's usage and the margin, lowest margin first. Reads what `plan`
//! reads (usage and the PSA) and writes nothing.

use crate::error::{Error, ExitStatus};
use crate::ops::plan::{self as planning, Request};
use crate::period::Period;
use crate::plan::money::MarginReport;
use crate::render;
use crate::render::escape::{self, Sink};

/// Output formats for `report margin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned tables.
    Text,
    /// One JSON document, amounts as exact decimal strings (null when unknown).
    Json,
    /// A self-contained HTML page with sortable tables.
    Html,
}

/// Arguments of `report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which report.
    #[command(subcommand)]
    pub report: Report,
}

/// The reports.
#[derive(Debug, clap::Subcommand)]
pub enum Report {
    /// Billed revenue, vendor cost and margin per account and per PSA service, lowest first.
    Margin(MarginArgs),
}

/// Arguments of `report margin`.
#[derive(Debug, clap::Args)]
pub struct MarginArgs {
    /// Billing period YYYY-MM (default: the previous calendar month).
    #[arg(long)]
    pub period: Option<Period>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Only this integration (repeatable).
    #[arg(long = "integration", value_name = "NAME")]
    pub integrations: Vec<String>,
}

/// Plans (reading only), then prints the report.
pub async fn run(context: &super::Context, args: &Args) -> Result<ExitStatus, Error> {
    let Report::Margin(args) = &args.report;
    let loaded = super::load(context)?;
    let workspace = &loaded.workspace;
    let (psa, reading) = super::connect(context, workspace)?;
    let period = super::period(context, args.period);
    let request = Request {
        period,
        today: context.today,
        only: &args.integrations,
        approve: &[],
    };
    let plan = planning::plan(workspace, &psa, &request).await?;
    drop(reading);
    let report = MarginReport::of(&plan);
    let period = period.to_string();
    let plain = Sink::Text { color: false };
    match args.format {
        Format::Text => render::margin::text(&mut escape::stdout(plain), &period, &report),
        Format::Json => render::margin::json(&mut escape::stdout(Sink::Json), &period, &report),
        Format::Html => render::html::margin(&mut escape::stdout(plain), &period, &report),
    }
    .map_err(super::output_error)?;
    super::print_requests(&psa);
    Ok(ExitStatus::Success)
}
