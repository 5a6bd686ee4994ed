//! The `reckon accounts` and `reckon services` tables.

use std::io::{self, Write};

use super::table::{self, Align};
use crate::inventory::{AccountRow, ServiceRow};

const NONE: &str = "-";

/// Vendor accounts and the PSA company each bills.
pub fn accounts(out: &mut dyn Write, rows: &[AccountRow]) -> io::Result<()> {
    if rows.is_empty() {
        return writeln!(out, "No vendor accounts match.");
    }
    let headers = [
        ("INTEGRATION", Align::Left),
        ("ACCOUNT", Align::Left),
        ("NAME", Align::Left),
        ("STATUS", Align::Left),
        ("PSA COMPANY", Align::Left),
        ("PSA NAME", Align::Left),
    ];
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.integration.clone(),
                r.account.clone(),
                r.name.clone().unwrap_or_else(|| "(no usage)".into()),
                r.status.as_str().to_owned(),
                r.psa_company.clone().unwrap_or_else(|| NONE.into()),
                r.psa_company_name.clone().unwrap_or_else(|| NONE.into()),
            ]
        })
        .collect();
    table::write(out, &headers, &cells)
}

/// Vendor services and the PSA service each feeds.
pub fn services(out: &mut dyn Write, rows: &[ServiceRow]) -> io::Result<()> {
    if rows.is_empty() {
        return writeln!(out, "No vendor services match.");
    }
    let headers = [
        ("INTEGRATION", Align::Left),
        ("SERVICE", Align::Left),
        ("ACCOUNTS", Align::Right),
        ("PSA SERVICE", Align::Left),
        ("PSA NAME", Align::Left),
    ];
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let psa_name = match (&r.psa_service, &r.psa_service_name) {
                (_, Some(name)) => name.clone(),
                (Some(_), None) => "(not in the PSA catalogue)".into(),
                (None, None) => NONE.into(),
            };
            vec![
                r.integration.clone(),
                r.service.clone(),
                r.accounts_with_usage.to_string(),
                r.psa_service.clone().unwrap_or_else(|| NONE.into()),
                psa_name,
            ]
        })
        .collect();
    table::write(out, &headers, &cells)
}
