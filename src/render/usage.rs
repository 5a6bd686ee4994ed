//! The `reckon usage` table: per integration, account and SKU, the days with data, the total,
//! the billing model's result and the quantity rounded for the workspace's PSA.

use std::io::{self, Write};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::json::decimal;
use super::table::{self, Align};
use crate::usage::display_usage;

/// One row of the usage table, computed by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageLine {
    /// Integration name.
    pub integration: String,
    /// Vendor account id.
    pub account: String,
    /// Vendor account name.
    pub account_name: String,
    /// Vendor SKU.
    pub service: String,
    /// Days of the month with a row.
    pub days_with_data: u32,
    /// Sum of the daily counts.
    pub total: Decimal,
    /// The billing model's result, unrounded.
    pub usage: Decimal,
    /// Rounded for the workspace's PSA.
    pub quantity: Decimal,
    /// The PSA company it bills, if the account is mapped.
    pub mapped_to: Option<String>,
    /// The daily counts, by date (for the HTML report's charts).
    pub daily: Vec<(NaiveDate, Decimal)>,
}

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
}

/// An aligned text table.
pub fn text(out: &mut dyn Write, lines: &[UsageLine]) -> io::Result<()> {
    if lines.is_empty() {
        return writeln!(out, "No usage rows match.");
    }
    let headers = [
        ("INTEGRATION", Align::Left),
        ("ACCOUNT", Align::Left),
        ("NAME", Align::Left),
        ("SERVICE", Align::Left),
        ("DAYS", Align::Right),
        ("TOTAL", Align::Right),
        ("USAGE", Align::Right),
        ("QUANTITY", Align::Right),
    ];
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| {
            vec![
                l.integration.clone(),
                l.account.clone(),
                l.account_name.clone(),
                l.service.clone(),
                l.days_with_data.to_string(),
                l.total.normalize().to_string(),
                format!("{:.4}", display_usage(l.usage)),
                l.quantity.to_string(),
            ]
        })
        .collect();
    table::write(out, &headers, &rows)
}

/// A JSON array; decimals as strings.
pub fn json(out: &mut dyn Write, lines: &[UsageLine]) -> io::Result<()> {
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
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &docs)?;
    writeln!(out)
}
