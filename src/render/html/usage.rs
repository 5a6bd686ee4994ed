//! The usage table as a review page: every account and SKU of the vendor data with its measured
//! usage, rounded quantity and daily chart, sortable and filterable; the PSA is not read.
//!
//! Like the plan page, the table is compact data the page's script renders a page at a time
//! ([`super::data`]); without JavaScript a `<noscript>` table lists every row without charts.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::data::{Cell, Rows};
use super::{Column, Kind, escape, filters, page, pager, series, table_head};
use crate::money::Money;
use crate::period::Period;
use crate::usage::{UsageLine, display_usage};

/// The table's columns; [`COST`] go between these and [`CHART`] when the source states any
/// vendor rate.
const COLUMNS: [Column; 9] = [
    Column::text("Integration"),
    Column::text("Account id"),
    Column::of("Account", Kind::RowHeader),
    Column::text("Service"),
    Column::of("Days", Kind::Number),
    Column::of("Total", Kind::Number),
    Column::of("Usage", Kind::Number),
    Column::of("Quantity", Kind::Number),
    Column::text("Mapped to"),
];
/// The vendor's cost per unit and of the month's usage (usage × rate), in its currency.
const COST: [Column; 2] = [
    Column::of("Rate", Kind::Number),
    Column::of("Vendor cost", Kind::Number),
];
const CHART: Column = Column::of("Daily usage", Kind::Chart);
/// The column a chart draws as the billed quantity ("Quantity").
const BILLED: usize = 7;

/// Writes the usage lines of `period` as one self-contained HTML page.
pub fn usage(out: &mut dyn Write, period: Period, lines: &[UsageLine]) -> io::Result<()> {
    let mut html = String::with_capacity(4096 + lines.len() * 150);
    let accounts: BTreeSet<(&str, &str)> = lines
        .iter()
        .map(|l| (l.integration.as_str(), l.account.as_str()))
        .collect();
    let integrations: BTreeSet<&str> = lines.iter().map(|l| l.integration.as_str()).collect();
    let unmapped = lines.iter().filter(|l| l.mapped_to.is_none()).count();
    // "Usage" is the billing model's result, so name each integration's model once up front.
    let models: BTreeSet<String> = lines
        .iter()
        .map(|l| format!("{} ({})", l.integration, l.billing_model))
        .collect();
    let _ = writeln!(
        html,
        "<header>\n<h1>reckon usage for {period}</h1>\n<p class=\"lede\">Measured from the vendor \
         data; the PSA was not read. Integrations (billing model): {}. Total is the sum of the daily \
         counts; Usage is the billing model's result, before rounding to Quantity.</p>\n</header>\n\
         <section aria-labelledby=\"summary\">\n<h2 id=\"summary\">Summary</h2>\n<dl class=\"counts\">\
         <div><dt>rows</dt><dd>{}</dd></div><div><dt>accounts</dt><dd>{}</dd></div>\
         <div><dt>rows without an explicit mapping</dt><dd>{unmapped}</dd></div></dl>\n\
         <p class=\"note\">\u{201c}Mapped to\u{201d} shows accounts.map entries only; accounts matched \
         by exact name appear in the plan.</p>\n</section>",
        escape(&models.into_iter().collect::<Vec<_>>().join(", ")),
        lines.len(),
        accounts.len()
    );
    let _ = writeln!(
        html,
        "<section aria-labelledby=\"lines\">\n<h2 id=\"lines\">Usage ({})</h2>",
        lines.len()
    );
    if lines.is_empty() {
        html.push_str("<p>No usage rows match.</p>\n</section>\n");
        return page(out, &format!("reckon usage for {period}"), &html);
    }
    filters(
        &mut html,
        &[(
            "Integration",
            0,
            integrations.into_iter().map(str::to_owned).collect(),
        )],
        &[("Account", 2)],
        lines.len(),
    );
    let _ = writeln!(
        html,
        "<table id=\"usage-lines\" class=\"data\" data-rows=\"usage-data\" data-billed=\"{BILLED}\" \
         data-first=\"{}\" data-last=\"{}\" data-selftest-search=\"{}\" hidden>\n<caption>Every \
         account and vendor service with usage in {period}. Charts: solid = daily count, dashed = \
         daily average, dotted = quantity.</caption>",
        period.first_day(),
        period.last_day(),
        escape(&lines[0].account_name.to_lowercase())
    );
    let costs = lines.iter().any(|l| l.vendor_unit_cost.is_some());
    let mut columns = COLUMNS.to_vec();
    if costs {
        columns.extend(COST);
    }
    columns.push(CHART);
    table_head(&mut html, &columns, "Usage");
    html.push_str("<tbody></tbody>\n</table>\n");
    pager(&mut html);
    let mut rows = Rows::default();
    for line in lines {
        row(&mut rows, period, line, costs);
    }
    rows.write(&mut html, "usage-data");
    without_script(&mut html, lines, costs);
    html.push_str("</section>\n");
    page(out, &format!("reckon usage for {period}"), &html)
}

/// One row as data, in [`COLUMNS`] order (then [`COST`] when `costs`, then [`CHART`]).
fn row(rows: &mut Rows, period: Period, l: &UsageLine, costs: bool) {
    rows.start();
    rows.cell(Cell::Shared(&l.integration));
    rows.cell(Cell::Shared(&l.account));
    rows.cell(Cell::Shared(&l.account_name));
    rows.cell(Cell::Shared(&l.service));
    rows.cell(Cell::Own(&l.days_with_data.to_string()));
    rows.cell(Cell::Own(&l.total.normalize().to_string()));
    rows.cell(Cell::Own(&display_usage(l.usage).to_string()));
    rows.cell(Cell::Own(&l.quantity.normalize().to_string()));
    match &l.mapped_to {
        Some(mapped) => rows.cell(Cell::Shared(mapped)),
        None => rows.cell(Cell::Missing),
    }
    if costs {
        let (rate, cost) = cost_texts(l);
        rows.cell(Cell::Shared(&rate));
        if cost == UNKNOWN {
            rows.cell(Cell::Shared(&cost));
        } else {
            rows.cell(Cell::Own(&cost));
        }
    }
    match series::encode(period, &l.daily) {
        Some(daily) => rows.cell(Cell::Own(&daily)),
        None => rows.cell(Cell::Missing),
    }
    rows.end();
}

const UNKNOWN: &str = "unknown";

/// `$3.75` and `$27.10` (the vendor's sign or code kept: the usage is not the PSA's), or
/// `unknown` for a figure the source does not give, never 0.
fn cost_texts(l: &UsageLine) -> (String, String) {
    let shown = |m: Option<&Money>| m.map_or_else(|| UNKNOWN.to_owned(), ToString::to_string);
    (
        shown(l.vendor_unit_cost.as_ref()),
        shown(l.vendor_cost.as_ref()),
    )
}

/// Every row as plain HTML (no charts) for a browser without JavaScript; end tags omitted
/// (valid HTML) to keep a 20,000-row page small.
fn without_script(html: &mut String, lines: &[UsageLine], costs: bool) {
    html.push_str(
        "<noscript>\n<table class=\"static\">\n<thead><tr><th scope=\"col\">Integration</th>\
         <th scope=\"col\">Account id</th><th scope=\"col\">Account</th><th scope=\"col\">Service</th>\
         <th scope=\"col\" class=\"n\">Usage</th><th scope=\"col\" class=\"n\">Quantity</th>\
         <th scope=\"col\">Mapped to</th>",
    );
    if costs {
        html.push_str(
            "<th scope=\"col\" class=\"n\">Rate</th><th scope=\"col\" class=\"n\">Vendor cost</th>",
        );
    }
    html.push_str("</tr></thead>\n<tbody>\n");
    for l in lines {
        let _ = write!(
            html,
            "<tr><td>{}<td>{}<th scope=row>{}<td>{}<td class=n>{}<td class=n>{}<td>{}",
            escape(&l.integration),
            escape(&l.account),
            escape(&l.account_name),
            escape(&l.service),
            display_usage(l.usage),
            l.quantity.normalize(),
            l.mapped_to.as_deref().map_or("\u{2014}".into(), escape),
        );
        if costs {
            let (rate, cost) = cost_texts(l);
            let _ = write!(
                html,
                "<td class=n>{}<td class=n>{}",
                escape(&rate),
                escape(&cost)
            );
        }
        html.push('\n');
    }
    html.push_str("</tbody>\n</table>\n</noscript>\n");
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use rust_decimal_macros::dec;

    use super::*;

    #[test]
    fn vendor_names_render_as_text_and_every_line_is_a_row() {
        let line = UsageLine {
            integration: "keeper".into(),
            account: "<b>1</b>".into(),
            account_name: "<script>alert(1)</script>".into(),
            service: "A&B".into(),
            days_with_data: 1,
            total: dec!(4),
            usage: dec!(4),
            quantity: dec!(4),
            mapped_to: Some("<i>".into()),
            billing_model: crate::usage::BillingModel::DailyAverage,
            vendor_unit_cost: None,
            vendor_cost: None,
            daily: vec![(
                NaiveDate::from_ymd_opt(2026, 10, 3).expect("test value"),
                dec!(4),
            )],
        };
        let mut out = Vec::new();
        usage(
            &mut out,
            "2026-10".parse().expect("test value"),
            &[line.clone(), line],
        )
        .expect("test value");
        let html = String::from_utf8(out).expect("test value");
        assert_eq!(
            html.matches("<script>").count(),
            1,
            "only the page's own script"
        );
        assert!(!html.contains("<script>alert"), "{html}");
        // The data: names once, escaped for a <script> element.
        assert_eq!(
            html.matches("\\u003cscript\\u003ealert(1)\\u003c/script\\u003e")
                .count(),
            1,
            "{html}"
        );
        // Both rows alike: every column is written once, in `k`.
        assert!(
            html.contains(",\"4\":\"1\",\"5\":\"4\",\"6\":\"4\",\"7\":\"4\",\"8\":4,\"9\":\"0*2,4,0*28\"},\n\"r\":[[],[]]"),
            "{html}"
        );
        // Without JavaScript: every row as HTML text.
        assert!(html.contains(
            "<tr><td>keeper<td>&lt;b&gt;1&lt;/b&gt;<th scope=row>&lt;script&gt;alert(1)&lt;/script&gt;\
             <td>A&amp;B<td class=n>4<td class=n>4<td>&lt;i&gt;\n"
        ));
        assert_eq!(html.matches("<tr><td>keeper").count(), 2);
        assert!(
            !html.contains(">Vendor cost</button>"),
            "no rate, no cost columns"
        );
    }

    #[test]
    fn the_vendors_rate_and_cost_show_per_account_and_product_or_unknown() {
        let usd = crate::money::Currency::parse("USD");
        let line = |sku: &str, rate: Option<rust_decimal::Decimal>| UsageLine {
            integration: "keeper".into(),
            account: "4120".into(),
            account_name: "Cedar Law LLP".into(),
            service: sku.into(),
            days_with_data: 16,
            total: dec!(224),
            usage: dec!(224) / dec!(31),
            quantity: dec!(7),
            mapped_to: None,
            billing_model: crate::usage::BillingModel::DailyAverage,
            vendor_unit_cost: rate.map(|r| Money::new(r, usd.clone())),
            vendor_cost: rate.map(|r| Money::new(dec!(224) / dec!(31) * r, usd.clone())),
            daily: Vec::new(),
        };
        let mut out = Vec::new();
        usage(
            &mut out,
            "2026-10".parse().expect("test value"),
            &[
                line("Business Plus", Some(dec!(3.75))),
                line("KeeperChat", None),
            ],
        )
        .expect("test value");
        let html = String::from_utf8(out).expect("test value");
        assert!(
            html.contains("<button type=\"button\">Vendor cost</button>"),
            "{html}"
        );
        // 7.2258 a day at $3.75: $27.0967…, shown $27.10; no rate: unknown, not 0.
        assert!(html.contains("\"$27.10\""), "{html}");
        assert!(
            html.contains("<td class=n>$3.75<td class=n>$27.10\n"),
            "{html}"
        );
        assert!(
            html.contains("<td class=n>unknown<td class=n>unknown\n"),
            "{html}"
        );
    }
}
