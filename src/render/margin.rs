//! `reckon report margin` as text and JSON: per account and per PSA service, billed revenue,
//! vendor cost and margin, lowest margin first (the HTML page is [`super::html::margin`]).
//! Formats only: the figures are [`crate::plan::money::MarginReport`]'s.

use std::io::{self, Write};

use serde::Serialize;

use super::json::decimal;
use super::money::{heading, total, unbilled_line};
use super::table::{self, Align};
use crate::money::Currency;
use crate::plan::money::{MarginReport, Total, Totals};

/// Two aligned tables, then the vendor cost nobody is billed for.
pub fn text(out: &mut dyn Write, period: &str, report: &MarginReport) -> io::Result<()> {
    let summary = &report.summary;
    writeln!(out, "reckon margin for {period}: {}.", heading(summary))?;
    if !summary.any {
        writeln!(
            out,
            "No prices or costs are known: set billing.currency, prices on the PSA lines and \
             the vendor's rates (see the README's money section)."
        )?;
    }
    for (title, rows) in [
        ("ACCOUNT", &summary.by_account),
        ("PSA SERVICE", &summary.by_service),
    ] {
        writeln!(out)?;
        let headers = [
            (title, Align::Left),
            ("LINES", Align::Right),
            ("BILLED", Align::Right),
            ("VENDOR COST", Align::Right),
            ("MARGIN", Align::Right),
            ("AFTER APPLY", Align::Right),
        ];
        let cells: Vec<Vec<String>> = rows
            .iter()
            .chain(std::iter::once(&summary.total))
            .map(|row| cells(row, summary.currency.as_ref()))
            .collect();
        table::write(out, &headers, &cells)?;
    }
    if let Some(line) = unbilled_line(summary) {
        writeln!(out)?;
        writeln!(out, "{line}")?;
    }
    Ok(())
}

fn cells(row: &Totals, currency: Option<&Currency>) -> Vec<String> {
    let shown = |t: &Total| total(t, currency, row.count);
    vec![
        row.name.clone(),
        row.count.to_string(),
        shown(&row.revenue_before),
        shown(&row.vendor_cost),
        shown(&row.billed_margin),
        shown(&row.revenue_after),
    ]
}

#[derive(Serialize)]
struct ReportDoc<'a> {
    period: &'a str,
    currency: Option<String>,
    by_account: Vec<RowDoc<'a>>,
    by_service: Vec<RowDoc<'a>>,
    total: RowDoc<'a>,
    unbilled: Vec<AmountDoc>,
}

/// Exact decimal strings; null when any change of the group lacks the figure.
#[derive(Serialize)]
struct RowDoc<'a> {
    name: &'a str,
    lines: usize,
    billed_revenue: Option<String>,
    vendor_cost: Option<String>,
    margin: Option<String>,
    revenue_after_apply: Option<String>,
}

#[derive(Serialize)]
struct AmountDoc {
    amount: String,
    currency: Option<String>,
}

/// The report as pretty JSON.
pub fn json(out: &mut dyn Write, period: &str, report: &MarginReport) -> io::Result<()> {
    let summary = &report.summary;
    let doc = ReportDoc {
        period,
        currency: summary.currency.as_ref().map(ToString::to_string),
        by_account: summary.by_account.iter().map(row).collect(),
        by_service: summary.by_service.iter().map(row).collect(),
        total: row(&summary.total),
        unbilled: summary
            .unbilled
            .iter()
            .map(|m| AmountDoc {
                amount: decimal(m.amount),
                currency: m.currency.as_ref().map(ToString::to_string),
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

fn row(t: &Totals) -> RowDoc<'_> {
    RowDoc {
        name: &t.name,
        lines: t.count,
        billed_revenue: t.revenue_before.exact().map(decimal),
        vendor_cost: t.vendor_cost.exact().map(decimal),
        margin: t.billed_margin.exact().map(decimal),
        revenue_after_apply: t.revenue_after.exact().map(decimal),
    }
}
