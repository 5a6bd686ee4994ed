//! Money on the review page: the money summary of the plan page (the whole, per integration
//! and per service), and the `reckon report margin` page (per account and per service), whose
//! cells carry their exact amount in `data-v`. Amounts are shown rounded to the currency's minor unit; an unknown figure reads
//! `unknown`, never 0.

use std::fmt::Write as _;
use std::io::{self, Write};

use rust_decimal::Decimal;

use super::{escape, page};
use crate::money::Currency;
use crate::plan::money::{MarginReport, Summary, Totals};
use crate::render::money::{amount, heading, total, unbilled_line};

/// `<td class=n data-v=31.5>$31.50`, or `<td class=n>unknown`.
pub(super) fn money_cell(html: &mut String, value: Option<Decimal>, currency: Option<&Currency>) {
    match value {
        Some(v) => {
            let _ = write!(
                html,
                "<td class=n data-v={}>{}",
                v.normalize(),
                escape(&amount(Some(v), currency))
            );
        }
        None => html.push_str("<td class=n>unknown"),
    }
}

/// The plan page's money summary: the whole, per integration and per PSA service, and the
/// vendor cost nobody is billed for. Per account it is `reckon report margin`'s page: a row per
/// account would grow the plan page by the size of the book.
pub(super) fn summary_table(html: &mut String, summary: &Summary) {
    let currency = summary.currency.as_ref();
    let _ = writeln!(
        html,
        "<table class=\"net\">\n<caption>{}</caption>\n<thead><tr><th scope=\"col\">Group</th>\
         <th scope=\"col\" class=\"n\">Revenue now</th><th scope=\"col\" class=\"n\">Revenue after</th>\
         <th scope=\"col\" class=\"n\">Vendor cost</th><th scope=\"col\" class=\"n\">Margin after</th>\
         </tr></thead>\n<tbody>",
        escape(&heading(summary))
    );
    let groups = [
        ("", std::slice::from_ref(&summary.total)),
        ("integration ", summary.by_integration.as_slice()),
        ("service ", summary.by_service.as_slice()),
    ];
    for (what, rows) in groups {
        for row in rows {
            let _ = writeln!(
                html,
                "<tr><th scope=\"row\">{what}{}</th><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                escape(&row.name),
                escape(&total(&row.revenue_before, currency, row.count)),
                escape(&total(&row.revenue_after, currency, row.count)),
                escape(&total(&row.vendor_cost, currency, row.count)),
                escape(&total(&row.margin, currency, row.count)),
            );
        }
    }
    html.push_str("</tbody>\n</table>\n");
    if let Some(line) = unbilled_line(summary) {
        let _ = writeln!(
            html,
            "<p class=\"note\"><strong>{}</strong></p>",
            escape(&line)
        );
    }
}

/// The margin tables' header: already in order (lowest margin first), so static.
const HEAD: &str = "<thead><tr><th scope=\"col\">Account / service</th>\
    <th scope=\"col\" class=\"n\">Lines</th><th scope=\"col\" class=\"n\">Billed revenue</th>\
    <th scope=\"col\" class=\"n\">Vendor cost</th><th scope=\"col\" class=\"n\">Margin</th>\
    <th scope=\"col\" class=\"n\">Revenue after apply</th></tr></thead>\n";

/// The `reckon report margin` page for `period`: one sortable table per view.
pub fn margin(out: &mut dyn Write, period: &str, report: &MarginReport) -> io::Result<()> {
    let summary = &report.summary;
    let mut html = format!(
        "<header>\n<h1>reckon margin for {}</h1>\n<p class=\"lede\">{}. Lowest margin first; \
         billed revenue is what the PSA lines bill now.</p>\n</header>\n",
        escape(period),
        escape(&heading(summary))
    );
    for (title, rows) in [
        ("Per account", &summary.by_account),
        ("Per PSA service", &summary.by_service),
    ] {
        let _ = writeln!(html, "<section>\n<h2>{title}</h2>\n<table class=\"net\">");
        html.push_str(HEAD);
        html.push_str("<tbody>\n");
        for row in rows.iter().chain(std::iter::once(&summary.total)) {
            margin_row(&mut html, row, summary.currency.as_ref());
        }
        html.push_str("</tbody>\n</table>\n</section>\n");
    }
    if let Some(line) = unbilled_line(summary) {
        let _ = writeln!(
            html,
            "<p class=\"note\"><strong>{}</strong></p>",
            escape(&line)
        );
    }
    page(out, &format!("reckon margin for {period}"), &html)
}

fn margin_row(html: &mut String, row: &Totals, currency: Option<&Currency>) {
    let _ = write!(
        html,
        "<tr><th scope=row>{}<td class=n>{}",
        escape(&row.name),
        row.count
    );
    money_cell(html, row.revenue_before.exact(), currency);
    money_cell(html, row.vendor_cost.exact(), currency);
    money_cell(html, row.billed_margin.exact(), currency);
    money_cell(html, row.revenue_after.exact(), currency);
    html.push('\n');
}
