//! `reckon usage`: the measured usage per account and vendor service, without reading the PSA.

use crate::error::{Error, ExitStatus};
use crate::ops::plan as planning;
use crate::period::Period;
use crate::render;
use crate::usage::UsageLine;

/// Output formats for `usage`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// An aligned table.
    Text,
    /// An array of `{"integration", "account", "account_name", "service", "days_with_data",
    /// "total", "usage", "quantity"}` with decimals as strings.
    Json,
    /// A self-contained HTML review page with a daily chart per row.
    Html,
}

/// Sort orders for `usage`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Sort {
    /// Integration, account id, service.
    Account,
    /// Account name.
    Name,
    /// Vendor service, then account.
    Service,
    /// Highest usage first.
    Usage,
}

/// Arguments of `usage`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Billing period YYYY-MM (default: the previous calendar month).
    #[arg(long)]
    pub period: Option<Period>,
    /// Only this integration (repeatable).
    #[arg(long = "integration", value_name = "NAME")]
    pub integrations: Vec<String>,
    /// Only accounts whose id equals, or whose name contains, TEXT (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    pub account: Option<String>,
    /// Sort order.
    #[arg(long, value_enum, default_value_t = Sort::Account)]
    pub sort: Sort,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Measures and prints.
pub async fn run(context: &super::Context, args: &Args) -> Result<ExitStatus, Error> {
    let loaded = super::load(context)?;
    let workspace = &loaded.workspace;
    let chosen = super::period::choose(context, args.period);
    let period = chosen.period;
    let integrations = planning::select(workspace, &args.integrations)?;
    let usage = planning::measure(workspace, period, &integrations)
        .await
        .map_err(|e| super::period::explain_missing_usage(workspace, chosen, e))?;
    let mut lines = planning::usage_lines(workspace, &integrations, &usage);
    if let Some(filter) = &args.account {
        let needle = filter.to_lowercase();
        lines.retain(|l| l.account == *filter || l.account_name.to_lowercase().contains(&needle));
    }
    sort(&mut lines, args.sort);
    let mut out = render::escape::stdout(match args.format {
        Format::Json => render::escape::Sink::Json,
        Format::Text | Format::Html => render::escape::Sink::Text { color: false },
    });
    match args.format {
        Format::Text => render::usage::text(&mut out, &lines),
        Format::Json => render::usage::json(&mut out, &lines),
        Format::Html => render::html::usage(&mut out, period, &lines),
    }
    .map_err(super::output_error)?;
    Ok(ExitStatus::Success)
}

fn sort(lines: &mut [UsageLine], order: Sort) {
    match order {
        Sort::Account => {}
        Sort::Name => {
            lines.sort_by(|a, b| (&a.account_name, &a.service).cmp(&(&b.account_name, &b.service)))
        }
        Sort::Service => {
            lines.sort_by(|a, b| (&a.service, &a.account).cmp(&(&b.service, &b.account)))
        }
        Sort::Usage => lines.sort_by(|a, b| {
            b.usage
                .cmp(&a.usage)
                .then_with(|| a.account.cmp(&b.account))
        }),
    }
}
