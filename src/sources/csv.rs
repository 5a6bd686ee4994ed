//! The generic CSV usage source: `date,account_id,account_name,sku,quantity`, one row per day,
//! account and SKU, and optionally `unit_cost`: the vendor's cost per unit on that day, as
//! [`crate::money::parse_price`] reads it (`3.75`, `USD 3.75`, `$3.75`; empty for unknown).
//!
//! Columns are found by header name (any order, extra columns ignored); quantities are read as
//! exact decimals from their text. A UTF-8 BOM and CRLF line ends are accepted. Rows are strict:
//! a row with more fields than the header, or a last row without its newline, is an error, so a
//! decimal comma or a cut file never bills a wrong number. At most 50 row problems are listed.
#![deny(clippy::arithmetic_side_effects)]

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;

use super::{SourceError, UsageData, UsageSource, checked};
use crate::config::read_text;
use crate::diagnostic::{Diagnostic, Diagnostics, Location, RowProblems};
use crate::fsio::{Within, limit};
use crate::money::{Money, parse_price};
use crate::period::Period;
use crate::usage::{UsageRow, parse_quantity};

/// The columns a usage CSV must have.
pub const COLUMNS: [&str; 5] = ["date", "account_id", "account_name", "sku", "quantity"];

/// The optional column with the vendor's cost per unit.
pub const UNIT_COST: &str = "unit_cost";

/// A CSV usage file.
#[derive(Debug, Clone)]
pub struct CsvSource {
    path: PathBuf,
    shown: PathBuf,
    workspace: PathBuf,
}

impl CsvSource {
    /// The source reading `path` (`shown` is used in messages), which must stay inside
    /// `workspace` once links are resolved.
    pub fn new(path: PathBuf, shown: PathBuf, workspace: PathBuf) -> Self {
        Self {
            path,
            shown,
            workspace,
        }
    }
}

impl UsageSource for CsvSource {
    async fn usage(&self, period: Period) -> Result<UsageData, SourceError> {
        let within = Within::Workspace(&self.workspace);
        let text = read_text(&self.path, &self.shown, within, limit::USAGE).map_err(|d| {
            let mut diagnostics = Diagnostics::default();
            diagnostics.push(d.with_hint(format!(
                "the usage file for {period} is expected at {}",
                self.shown.display()
            )));
            SourceError::Invalid(diagnostics)
        })?;
        let rows = parse(&text, &self.shown)?;
        checked(
            UsageData {
                rows,
                origin: self.shown.clone(),
            },
            period,
        )
    }
}

/// Parses the CSV text into rows, collecting every bad row.
pub fn parse(text: &str, shown: &std::path::Path) -> Result<Vec<UsageRow>, SourceError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // The csv crate counts lines at '\n' but ends records at '\r', which puts records of a CRLF
    // file one line early; plain LF keeps reported line numbers right.
    let text: std::borrow::Cow<'_, str> = if text.contains('\r') {
        text.replace("\r\n", "\n").into()
    } else {
        text.into()
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| SourceError::at(shown, Some(1), format!("cannot read the header: {e}")))?
        .clone();
    let index = |name: &str| headers.iter().position(|h| h.trim() == name);
    let columns: Vec<Option<usize>> = COLUMNS.iter().map(|c| index(c)).collect();
    let missing: Vec<&str> = COLUMNS
        .iter()
        .zip(&columns)
        .filter(|(_, i)| i.is_none())
        .map(|(c, _)| *c)
        .collect();
    if !missing.is_empty() {
        return Err(SourceError::at(
            shown,
            Some(1),
            format!(
                "missing column(s) {}; the header must be {}",
                missing.join(", "),
                COLUMNS.join(",")
            ),
        ));
    }
    let columns: Vec<usize> = columns.into_iter().flatten().collect();
    let unit_cost = index(UNIT_COST);
    let mut rows = Vec::new();
    let mut problems = RowProblems::new(shown);
    let mut record = csv::StringRecord::new();
    let mut names = Interner::default();
    let mut last_data_line = None;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) => {
                let line = error.position().map(|p| p.line());
                let location = line.map(|line| Location { line, column: 1 });
                problems.push(Diagnostic::error(
                    shown,
                    location,
                    "unreadable row (a stray or unbalanced quote?)",
                ));
                if matches!(error.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
                continue;
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|field| field.trim().is_empty()) {
            last_data_line = None;
            continue;
        }
        last_data_line = Some(line);
        let at = Some(Location { line, column: 1 });
        if let Some(message) = surplus_fields(record.len(), headers.len()) {
            problems.push(Diagnostic::error(shown, at, message));
            continue;
        }
        let field = |i: usize| record.get(columns[i]).unwrap_or("").trim();
        let cost = unit_cost.map_or("", |i| record.get(i).unwrap_or("").trim());
        match parse_row(
            [field(0), field(1), field(2), field(3), field(4), cost],
            line,
            &mut names,
        ) {
            Ok(row) => rows.push(row),
            Err(message) => problems.push(Diagnostic::error(shown, at, message)),
        }
    }
    if let Some(line) = last_data_line.filter(|_| !text.ends_with('\n')) {
        problems.push(unterminated_last_row(shown, line));
    }
    if problems.has_errors() {
        Err(SourceError::Invalid(problems.finish()))
    } else {
        Ok(rows)
    }
}

/// Why a row with `fields` fields under a header of `columns` cannot be trusted, if it cannot.
/// Extra fields are never ignored: the usual cause is a decimal comma (`9,5` for 9.5), which
/// would otherwise bill 9.
pub fn surplus_fields(fields: usize, columns: usize) -> Option<String> {
    (fields > columns).then(|| {
        format!(
            "the row has {fields} fields but the header has {columns}: a decimal comma \
             (`9,5` for 9.5) is the usual cause; write decimals with a point, or quote a field \
             that contains a comma"
        )
    })
}

/// The error for a last row not followed by a newline: the file may have been cut inside it
/// (`14` cut to `1` still reads as a number), so it is not billed from.
pub fn unterminated_last_row(file: &std::path::Path, line: u64) -> Diagnostic {
    Diagnostic::error(
        file,
        Some(Location { line, column: 1 }),
        "the file ends inside this row (no newline after it): it may have been cut short",
    )
    .with_hint(
        "re-export the file; if the row is complete, end the file with a newline. Nothing was \
         planned or applied",
    )
}

/// Shares one allocation per distinct id, name, SKU and unit cost across all rows.
#[derive(Default)]
pub struct Interner {
    names: HashSet<Arc<str>>,
    prices: HashMap<String, Arc<Money>>,
}

impl Interner {
    /// The shared copy of `text`.
    pub fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.names.get(text) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(text);
        self.names.insert(Arc::clone(&shared));
        shared
    }

    /// The shared unit cost `text` states (`None` for empty text), or why it states none;
    /// `column` names it in the message.
    pub fn price(&mut self, column: &str, text: &str) -> Result<Option<Arc<Money>>, String> {
        if let Some(shared) = self.prices.get(text) {
            return Ok(Some(Arc::clone(shared)));
        }
        let Some(price) = parse_price(text).map_err(|e| format!("{column}: {e}"))? else {
            return Ok(None);
        };
        let shared = Arc::new(price);
        self.prices.insert(text.to_owned(), Arc::clone(&shared));
        Ok(Some(shared))
    }
}

fn parse_row(fields: [&str; 6], line: u64, names: &mut Interner) -> Result<UsageRow, String> {
    let [date, account_id, account_name, sku, quantity, unit_cost] = fields;
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_err(|_| format!("date `{date}` is not YYYY-MM-DD"))?;
    if account_id.is_empty() {
        return Err("account_id is empty".into());
    }
    if sku.is_empty() {
        return Err("sku is empty".into());
    }
    let quantity = parse_quantity(quantity).map_err(|error| error.message("quantity", quantity))?;
    let unit_cost = names.price(UNIT_COST, unit_cost)?;
    Ok(UsageRow {
        date,
        account_id: names.get(account_id),
        account_name: names.get(account_name),
        sku: names.get(sku),
        quantity,
        unit_cost,
        line,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use rust_decimal_macros::dec;

    use super::*;

    #[test]
    fn reads_quoted_fields_bom_crlf_and_any_column_order() {
        let text = "\u{feff}sku,date,account_id,account_name,quantity\r\n\
                    Business Plus,2026-10-01,3862,\"Acme, Inc.\",12.50\r\n";
        let rows = parse(text, Path::new("u.csv")).expect("rows");
        assert_eq!(rows.len(), 1);
        assert_eq!(&*rows[0].account_name, "Acme, Inc.");
        assert_eq!(rows[0].quantity.to_string(), "12.50");
        assert_eq!(rows[0].line, 2);
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let text = "date,account_id,account_name,sku,quantity\n\
                    2026-10-01,1,A,X,1\n2026-13-01,1,A,X,1\n2026-10-02,1,A,X,lots\n2026-10-03,1,A,X,1e3\n";
        let Err(SourceError::Invalid(diagnostics)) = parse(text, Path::new("u.csv")) else {
            panic!("expected errors");
        };
        let lines: Vec<u64> = diagnostics
            .sorted()
            .iter()
            .filter_map(|d| d.location.map(|l| l.line))
            .collect();
        assert_eq!(lines, vec![3, 4, 5]);
    }

    fn problems(text: &str) -> Vec<(u64, String)> {
        let Err(SourceError::Invalid(diagnostics)) = parse(text, Path::new("u.csv")) else {
            panic!("expected errors");
        };
        diagnostics
            .sorted()
            .iter()
            .map(|d| (d.location.map_or(0, |l| l.line), d.message.clone()))
            .collect()
    }

    #[test]
    fn extra_fields_and_an_unterminated_last_row_are_errors() {
        let header = "date,account_id,account_name,sku,quantity\n";
        let comma = problems(&format!("{header}2026-10-01,1,A,X,9,5\n"));
        assert_eq!(comma.len(), 1);
        assert_eq!(comma[0].0, 2);
        assert!(comma[0].1.contains("decimal comma"), "{comma:?}");
        let cut = problems(&format!("{header}2026-10-01,1,A,X,1\n2026-10-02,1,A,X,1"));
        assert_eq!(cut.len(), 1);
        assert_eq!(cut[0].0, 3);
        assert!(cut[0].1.contains("no newline"), "{cut:?}");
        // Trailing blank space after the last newline is not a cut row; CRLF files end in "\r\n".
        assert!(
            parse(
                &format!("{header}2026-10-01,1,A,X,1\n  "),
                Path::new("u.csv")
            )
            .is_ok()
        );
        assert!(
            parse(
                &format!("{header}2026-10-01,1,A,X,1\r\n"),
                Path::new("u.csv")
            )
            .is_ok()
        );
    }

    #[test]
    fn an_optional_unit_cost_column_is_read_exactly_and_shared() {
        let text = "date,account_id,account_name,sku,quantity,unit_cost\n\
                    2026-10-01,1,A,X,1,3.7500\n2026-10-02,1,A,X,1,3.7500\n2026-10-03,1,A,Y,1,\n\
                    2026-10-04,1,A,Z,1,EUR 1.1\n";
        let rows = parse(text, Path::new("u.csv")).expect("rows");
        let cost = rows[0].unit_cost.as_ref().expect("cost");
        assert_eq!((cost.amount, &cost.currency), (dec!(3.75), &None));
        assert!(Arc::ptr_eq(cost, rows[1].unit_cost.as_ref().expect("cost")));
        assert_eq!(rows[2].unit_cost, None, "empty is unknown, not 0");
        let euro = rows[3].unit_cost.as_ref().expect("cost");
        assert_eq!(euro.currency.as_ref().map(|c| c.code()), Some("EUR"));
        let bad = problems(
            "date,account_id,account_name,sku,quantity,unit_cost\n2026-10-01,1,A,X,1,cheap\n",
        );
        assert_eq!(bad.len(), 1);
        assert!(
            bad[0].1.contains("unit_cost: `cheap` is not a price"),
            "{bad:?}"
        );
    }

    #[test]
    fn missing_columns_are_named() {
        let error = parse("date,account,sku,quantity\n", Path::new("u.csv")).expect_err("header");
        let SourceError::Invalid(diagnostics) = error;
        let message = &diagnostics.sorted()[0].message;
        assert!(message.contains("account_id, account_name"), "{message}");
        let _ = dec!(0);
    }
}
