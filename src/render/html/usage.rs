//! The usage table as a review page: every account and SKU of the vendor data with its measured
//! usage, rounded quantity and daily chart, sortable and filterable; the PSA is not read.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::chart::Chart;
use super::{Column, escape, filters, page, table_head};
use crate::period::Period;
use crate::usage::{UsageLine, display_usage};

const COLUMNS: [Column; 10] = [
    Column::text("Integration"),
    Column::text("Account id"),
    Column::text("Account"),
    Column::text("Service"),
    Column::number("Days"),
    Column::number("Total"),
    Column::number("Usage"),
    Column::number("Quantity"),
    Column::text("Mapped to"),
    Column::fixed("Daily usage"),
];

/// Writes the usage lines of `period` as one self-contained HTML page.
pub fn usage(out: &mut dyn Write, period: Period, lines: &[UsageLine]) -> io::Result<()> {
    let mut html = String::with_capacity(4096 + lines.len() * 400);
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
        "<table id=\"usage-lines\" data-sortable data-selftest-search=\"{}\">\n<caption>Every account \
         and vendor service with usage in {period}. Charts: solid = daily count, dashed = daily \
         average, dotted = quantity.</caption>",
        escape(&lines[0].account_name.to_lowercase())
    );
    table_head(&mut html, &COLUMNS, "Usage");
    html.push_str("<tbody>\n");
    for line in lines {
        row(&mut html, period, line);
    }
    html.push_str("</tbody>\n</table>\n</section>\n");
    page(out, &format!("reckon usage for {period}"), &html)
}

/// One row; end tags omitted (valid HTML) to keep a 20,000-row page small.
fn row(html: &mut String, period: Period, l: &UsageLine) {
    let _ = write!(
        html,
        "<tr><td>{}<td>{}<th scope=row>{}<td>{}<td>{}<td>{}<td>{}<td>{}<td>{}<td>",
        escape(&l.integration),
        escape(&l.account),
        escape(&l.account_name),
        escape(&l.service),
        l.days_with_data,
        l.total.normalize(),
        display_usage(l.usage),
        l.quantity.normalize(),
        l.mapped_to
            .as_deref()
            .map_or(Cow::Borrowed("\u{2014}"), escape),
    );
    Chart {
        period,
        daily: &l.daily,
        billed: l.quantity,
    }
    .write(html);
    html.push('\n');
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
        assert!(html.contains("<th scope=row>&lt;script&gt;alert(1)&lt;/script&gt;<td>"));
        assert!(html.contains("<td>&lt;b&gt;1&lt;/b&gt;<th"));
        assert!(html.contains("<td>A&amp;B<td>"));
        assert!(html.contains("<td>&lt;i&gt;<td><details>"));
        assert_eq!(html.matches("<tr><td>").count(), 2);
    }
}
