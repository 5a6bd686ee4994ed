//! The `reckon usage` table: per integration, account and SKU, the days with data, the total,
//! the billing model's result and the quantity rounded for the workspace's PSA. For a
//! daily-average integration (Keeper) those are days with data, licence-days, the daily average
//! to 4 places and the rounded quantity.

use std::io::{self, Write};

use serde::Serialize;

use super::json::decimal;
use super::table::{self, Align};
use crate::usage::{BillingModel, UsageLine, display_usage};

#[derive(Serialize)]
struct UsageDoc<'a> {
    integration: &'a str,
    account: &'a str,
    account_name: &'a str,
    service: &'a str,
    days_with_data: u32,
    total: String,
    usage: String,
    quantity: String,
    /// Present when any line has a vendor cost.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    cost: Option<CostDoc>,
}

/// The vendor's cost: exact decimal strings, null when unknown.
#[derive(Serialize)]
struct CostDoc {
    vendor_unit_cost: Option<String>,
    vendor_cost: Option<String>,
    vendor_currency: Option<String>,
}

/// Whether any line has a vendor cost (the cost columns are shown only then).
fn any_cost(lines: &[UsageLine]) -> bool {
    lines.iter().any(|l| l.vendor_unit_cost.is_some())
}

/// `$3.75`, or `unknown`.
fn shown(money: Option<&crate::money::Money>) -> String {
    money.map_or_else(|| "unknown".to_owned(), ToString::to_string)
}

/// An aligned text table.
pub fn text(out: &mut dyn Write, lines: &[UsageLine]) -> io::Result<()> {
    if lines.is_empty() {
        return writeln!(out, "No usage rows match.");
    }
    let (total, usage) = column_names(lines);
    let costs = any_cost(lines);
    let mut headers = vec![
        ("INTEGRATION", Align::Left),
        ("ACCOUNT", Align::Left),
        ("NAME", Align::Left),
        ("SERVICE", Align::Left),
        ("DAYS", Align::Right),
        (total, Align::Right),
        (usage, Align::Right),
        ("QUANTITY", Align::Right),
    ];
    if costs {
        headers.extend([("RATE", Align::Right), ("VENDOR COST", Align::Right)]);
    }
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| {
            let mut row = vec![
                l.integration.clone(),
                l.account.clone(),
                l.account_name.clone(),
                l.service.clone(),
                l.days_with_data.to_string(),
                l.total.normalize().to_string(),
                format!("{:.4}", display_usage(l.usage)),
                l.quantity.to_string(),
            ];
            if costs {
                row.push(shown(l.vendor_unit_cost.as_ref()));
                row.push(shown(l.vendor_cost.as_ref()));
            }
            row
        })
        .collect();
    table::write(out, &headers, &rows)
}

/// The total and usage column headers: named after the billing model when every line shares
/// one (for daily counts of seats, the total is licence-days and the usage their daily average).
fn column_names(lines: &[UsageLine]) -> (&'static str, &'static str) {
    let model = lines.first().map(|l| l.billing_model);
    if lines.iter().any(|l| Some(l.billing_model) != model) {
        return ("TOTAL", "USAGE");
    }
    match model {
        Some(BillingModel::DailyAverage) => ("LICENCE-DAYS", "DAILY AVG"),
        Some(BillingModel::Peak) => ("TOTAL", "PEAK"),
        Some(BillingModel::EndOfPeriod) => ("TOTAL", "LAST"),
        Some(BillingModel::Sum) | None => ("TOTAL", "USAGE"),
    }
}

/// A JSON array; decimals as strings.
pub fn json(out: &mut dyn Write, lines: &[UsageLine]) -> io::Result<()> {
    let costs = any_cost(lines);
    let docs: Vec<UsageDoc<'_>> = lines
        .iter()
        .map(|l| UsageDoc {
            integration: &l.integration,
            account: &l.account,
            account_name: &l.account_name,
            service: &l.service,
            days_with_data: l.days_with_data,
            total: decimal(l.total),
            usage: decimal(l.usage),
            quantity: decimal(l.quantity),
            cost: costs.then(|| CostDoc {
                vendor_unit_cost: l.vendor_unit_cost.as_ref().map(|m| decimal(m.amount)),
                vendor_cost: l.vendor_cost.as_ref().map(|m| decimal(m.amount)),
                vendor_currency: l
                    .vendor_unit_cost
                    .as_ref()
                    .and_then(|m| m.currency.as_ref())
                    .map(ToString::to_string),
            }),
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &docs)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    fn line(model: BillingModel) -> UsageLine {
        UsageLine {
            integration: "keeper".into(),
            account: "3862".into(),
            account_name: "Acme Dental".into(),
            service: "Business Plus".into(),
            days_with_data: 31,
            total: dec!(374),
            usage: dec!(374) / dec!(31),
            quantity: dec!(12),
            mapped_to: None,
            daily: Vec::new(),
            billing_model: model,
            vendor_unit_cost: None,
            vendor_cost: None,
        }
    }

    fn render(lines: &[UsageLine]) -> String {
        let mut out = Vec::new();
        text(&mut out, lines).expect("write");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn daily_average_shows_licence_days_and_the_average_to_four_places() {
        let table = render(&[line(BillingModel::DailyAverage)]);
        let header = table.lines().next().expect("header");
        assert!(
            header.contains("DAYS  LICENCE-DAYS  DAILY AVG  QUANTITY"),
            "{table}"
        );
        assert!(
            table.contains("31           374    12.0645        12"),
            "{table}"
        );
    }

    #[test]
    fn mixed_billing_models_keep_neutral_headers() {
        let table = render(&[line(BillingModel::DailyAverage), line(BillingModel::Peak)]);
        assert!(table.contains("TOTAL    USAGE"), "{table}");
    }
}
