//! Parsing Keeper Commander's `msp-billing-report --month YYYY-MM -d -c` output into usage rows.
//!
//! Two layouts, told apart by content (never by file name): JSON (an array of objects, keys
//! possibly missing, numbers as numbers or strings) and CSV (a title preamble, then the header
//! `date,company,company_id,product,licenses,rate`). Accounts are keyed by `company_id`;
//! products become catalogue display names. Every bad row is reported with its line. Commander's
//! own `avg_per_day` is never read: it divides by the days a company had data, not by the days
//! in the month. Pure: text in, rows out.
//!
//! What Commander 18.1.8 writes (tests/fixtures/keeper/commander-18.1.8/ holds reports made by
//! this code): the columns come from commands/msp.py:808-812 (`date`, `company`, `company_id`,
//! `product`, `licenses`, `rate`); the CSV has a blank line, the title and a blank line above the
//! header, rows ended by CRLF (commands/base.py:400-418), and on stdout one more LF from
//! `print` (cli.py:857); JSON leaves out empty strings, so a company without a name has no
//! `company` key and a product without a price no `rate` (base.py:281-286, :429), and writes
//! `company_id` and `licenses` as numbers, non-ASCII as `\u` escapes (base.py:440-442).

use std::path::Path;

use chrono::NaiveDate;
use serde_json::Value;

use super::catalogue;
use crate::diagnostic::{Diagnostic, Diagnostics, Location, RowProblems};
use crate::period::Period;
use crate::sources::SourceError;
use crate::sources::csv::{Interner, surplus_fields, unterminated_last_row};
use crate::usage::{UsageRow, parse_quantity};

/// The columns the daily, per-company report must have.
const COLUMNS: [&str; 5] = ["date", "company", "company_id", "product", "licenses"];

/// The column with the MSP's price per unit of the product, read when present: Commander writes
/// the currency's sign or code and Python's float text of the amount, and nothing when the
/// product has no price (`price_text_short`, commands/msp.py:182-199, :844-869). Commander drops
/// the pricing unit (`amountPer`: per user per month, per month, per 50k API calls per month,
/// commands/msp.py:205-213 prints it only in `msp-info`); reckon reads it as per unit per month.
const RATE: &str = "rate";

/// The title line Commander writes above the CSV header.
const TITLE: &str = "Consumption Billing Statement";

/// The fields of one report row, as text, before checking.
struct Fields<'a> {
    date: &'a str,
    company: &'a str,
    company_id: &'a str,
    product: &'a str,
    licenses: &'a str,
    rate: &'a str,
}

/// Parses a report (CSV or JSON) read from `origin`.
pub fn parse(text: &str, origin: &Path) -> Result<Vec<UsageRow>, SourceError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rows = if text.trim_start().starts_with('[') {
        parse_json(text, origin)?
    } else {
        parse_csv(text, origin)?
    };
    match unnamed_collisions(&rows, origin) {
        Some(error) => Err(error),
        None => Ok(rows),
    }
}

/// Whether `text` starts as one of Commander's reports (a JSON array, the CSV title, or a CSV
/// header naming `product` and `licenses`), as opposed to nothing or a login message.
pub fn looks_like_report(text: &str) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(first) = text.lines().map(str::trim).find(|line| !line.is_empty()) else {
        return false;
    };
    first.starts_with('[')
        || first.starts_with(TITLE)
        || (first.contains("product") && first.contains("licenses"))
}

/// One error for rows that share date, company and a bare-number product: Commander prints a
/// product it has no name for as its number (`str(count_id)`, commands/msp.py:847, :854, :861),
/// and a base plan, a storage plan and an add-on of the same number are then printed alike,
/// so their counts cannot be told apart. Without this, each such row would be a "duplicate".
fn unnamed_collisions(rows: &[UsageRow], origin: &Path) -> Option<SourceError> {
    let mut seen: std::collections::HashMap<(NaiveDate, &str, &str), u64> =
        std::collections::HashMap::new();
    let mut first: Option<(u64, u64, &UsageRow)> = None;
    let mut count = 0usize;
    let mut products = std::collections::BTreeSet::new();
    for row in rows.iter().filter(|row| catalogue::is_product_id(&row.sku)) {
        let key = (row.date, &*row.account_id, &*row.sku);
        match seen.get(&key) {
            Some(&earlier) => {
                count += 1;
                products.insert(&*row.sku);
                first.get_or_insert((earlier, row.line, row));
            }
            None => {
                seen.insert(key, row.line);
            }
        }
    }
    let (earlier, line, row) = first?;
    let products: Vec<String> = products.iter().map(|p| format!("`{p}`")).collect();
    let mut diagnostics = Diagnostics::default();
    diagnostics.push(
        Diagnostic::error(
            origin,
            Some(Location { line, column: 1 }),
            format!(
                "product {} is printed for more than one product: {count} row(s) repeat a \
                 (date, company, product), first company {} on {} (lines {earlier} and {line}). \
                 Commander prints a product it has no name for as its bare number, and a base \
                 plan, a storage plan and an add-on can have the same number, so these rows \
                 cannot be told apart",
                products.join(", "),
                row.account_id,
                row.date,
            ),
        )
        .with_hint(
            "upgrade Keeper Commander (`pip install --upgrade keepercommander`) so that it \
             names the product, then export again; nothing was planned or applied",
        ),
    );
    Some(SourceError::Invalid(diagnostics))
}

/// When the CSV title names another month than `period` (`Consumption Billing Statement:
/// September 2026` for 2026-10), the error saying so, at the title's line. One clear error
/// instead of one "outside the billing period" per row of a report exported for the wrong month.
pub fn check_statement_month(text: &str, origin: &Path, period: Period) -> Result<(), SourceError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let title = (1u64..)
        .zip(text.lines())
        .take_while(|(_, line)| line.trim().is_empty() || line.trim().starts_with(TITLE))
        .find_map(|(n, line)| {
            let month = line
                .trim()
                .strip_prefix(TITLE)?
                .trim_start_matches(':')
                .trim();
            Some((n, month.to_owned()))
        });
    let Some((line, month)) = title else {
        return Ok(());
    };
    // Commander writes `calendar.month_name[month]` (commands/msp.py:797), English whatever
    // the locale (it never calls setlocale). A title that names no month is not trusted.
    let Ok(first_day) = NaiveDate::parse_from_str(&format!("1 {month}"), "%d %B %Y") else {
        let mut diagnostics = Diagnostics::default();
        diagnostics.push(
            Diagnostic::error(
                origin,
                Some(Location { line, column: 1 }),
                format!(
                    "the report's title names no month: `{}` (Commander writes e.g. \
                     `{TITLE}: October 2026`)",
                    if month.is_empty() {
                        TITLE.to_owned()
                    } else {
                        format!("{TITLE}: {month}")
                    }
                ),
            )
            .with_hint(format!(
                "export the report again with `keeper msp-billing-report --month {period} -d -c \
                 --format csv`; nothing was planned or applied"
            )),
        );
        return Err(SourceError::Invalid(diagnostics));
    };
    if Period::containing(first_day) == period {
        return Ok(());
    }
    let mut diagnostics = Diagnostics::default();
    diagnostics.push(
        Diagnostic::error(
            origin,
            Some(Location { line, column: 1 }),
            format!("the report is the statement for {month}, not for {period}"),
        )
        .with_hint(format!(
            "export the right month with `keeper msp-billing-report --month {period} -d -c`; \
             nothing was planned or applied"
        )),
    );
    Err(SourceError::Invalid(diagnostics))
}

fn parse_csv(text: &str, origin: &Path) -> Result<Vec<UsageRow>, SourceError> {
    // The csv crate counts lines at '\n' but ends records at '\r'; plain LF keeps lines right.
    let text = text.replace("\r\n", "\n");
    let Some((skipped, body)) = after_preamble(&text) else {
        return Err(SourceError::at(
            origin,
            None,
            "the report is empty: no CSV header and no JSON array",
        ));
    };
    let header_line = skipped + 1;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(body.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| SourceError::at(origin, Some(header_line), format!("unreadable header: {e}")))?
        .clone();
    let columns = find_columns(&headers, origin, header_line)?;
    let rate = headers.iter().position(|h| h.trim() == RATE);
    let mut rows = Vec::new();
    let mut problems = RowProblems::new(origin);
    let mut names = Interner::default();
    let mut last_data_line = None;
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map(|p| p.line().saturating_add(skipped));
                problems.push(row_error(origin, line, "unreadable row (a stray quote?)"));
                continue;
            }
        };
        let line = record
            .position()
            .map_or(0, |p| p.line())
            .saturating_add(skipped);
        if record.iter().all(|field| field.trim().is_empty()) {
            last_data_line = None;
            continue;
        }
        last_data_line = Some(line);
        if let Some(message) = surplus_fields(record.len(), headers.len()) {
            problems.push(row_error(origin, Some(line), message));
            continue;
        }
        let field = |i: usize| record.get(columns[i]).unwrap_or("").trim();
        let fields = Fields {
            date: field(0),
            company: field(1),
            company_id: field(2),
            product: field(3),
            licenses: field(4),
            rate: rate.map_or("", |i| record.get(i).unwrap_or("").trim()),
        };
        match row(&fields, line, &mut names) {
            Ok(row) => rows.push(row),
            Err(message) => problems.push(row_error(origin, Some(line), message)),
        }
    }
    if let Some(line) = last_data_line.filter(|_| !text.ends_with('\n')) {
        problems.push(unterminated_last_row(origin, line));
    }
    finish(rows, problems)
}

/// The number of lines before the header (blank lines and Commander's title) and the text from
/// the header on; `None` when there is no header at all.
fn after_preamble(text: &str) -> Option<(u64, &str)> {
    let mut offset = 0;
    for (skipped, line) in (0u64..).zip(text.split_inclusive('\n')) {
        let content = line.trim();
        if !content.is_empty() && !content.starts_with(TITLE) {
            return Some((skipped, &text[offset..]));
        }
        offset += line.len();
    }
    None
}

/// The position of each of [`COLUMNS`] in `headers`, or an error saying which export to make.
fn find_columns(
    headers: &csv::StringRecord,
    origin: &Path,
    line: u64,
) -> Result<Vec<usize>, SourceError> {
    let index = |name: &str| headers.iter().position(|h| h.trim() == name);
    let found: Vec<Option<usize>> = COLUMNS.iter().map(|c| index(c)).collect();
    let missing: Vec<&str> = COLUMNS
        .iter()
        .zip(&found)
        .filter(|(_, i)| i.is_none())
        .map(|(c, _)| *c)
        .collect();
    if missing.is_empty() {
        return Ok(found.into_iter().flatten().collect());
    }
    let message = layout_problem(
        index("avg_per_day").is_some(),
        index("date").is_some(),
        index("company_id").is_some(),
    )
    .unwrap_or_else(|| format!("missing column(s) {}", missing.join(", ")));
    let mut diagnostics = Diagnostics::default();
    diagnostics.push(
        Diagnostic::error(origin, Some(Location { line, column: 1 }), message).with_hint(
            "export it with `keeper msp-billing-report --month YYYY-MM -d -c --format csv` \
             (header date,company,company_id,product,licenses,rate)",
        ),
    );
    Err(SourceError::Invalid(diagnostics))
}

/// What is wrong with a report of another layout than `-d -c`, from what it has: a summary
/// (no `-d`: `avg_per_day` instead of `date`, commands/msp.py:813-814) or no companies (no `-c`:
/// no `company_id`, commands/msp.py:810-811). `None` when it has both.
fn layout_problem(avg_per_day: bool, date: bool, company_id: bool) -> Option<String> {
    let message = match (date && !avg_per_day, company_id) {
        (true, true) => return None,
        (false, true) => {
            "this is a summary report (exported without `-d`: one row per company and \
             product, with avg_per_day), not daily rows per company"
        }
        (true, false) => {
            "this report was exported without `-c`: its daily rows add up all companies \
             (there is no company_id), not daily rows per company"
        }
        (false, false) => {
            "this is a summary report for all companies together (exported without `-d` and \
             `-c`), not daily rows per company"
        }
    };
    Some(message.to_owned())
}

/// The one error for a JSON report of another layout, at its first item's line.
fn json_layout_error(origin: &Path, line: u64, message: String) -> SourceError {
    let mut diagnostics = Diagnostics::default();
    diagnostics.push(
        Diagnostic::error(origin, Some(Location { line, column: 1 }), message).with_hint(
            "export it with `keeper msp-billing-report --month YYYY-MM -d -c --format json`; \
             nothing was planned or applied",
        ),
    );
    SourceError::Invalid(diagnostics)
}

fn parse_json(text: &str, origin: &Path) -> Result<Vec<UsageRow>, SourceError> {
    let mut rows = Vec::new();
    let mut problems = RowProblems::new(origin);
    let mut names = Interner::default();
    let mut layout: Option<(u64, Option<String>)> = None;
    each_json_item(text, origin, |line, value| {
        let Value::Object(object) = value else {
            problems.push(row_error(origin, Some(line), "item is not an object"));
            return;
        };
        // The first object tells the layout; after a wrong one, the rest is not read.
        let (_, wrong) = layout.get_or_insert_with(|| {
            let has = |key: &str| object.contains_key(key);
            (
                line,
                layout_problem(has("avg_per_day"), has("date"), has("company_id")),
            )
        });
        if wrong.is_some() {
            return;
        }
        let text_of = |key: &str| -> Result<String, String> {
            match object.get(key) {
                None | Some(Value::Null) => Ok(String::new()),
                Some(Value::String(s)) => Ok(s.trim().to_owned()),
                Some(Value::Number(n)) => exact_number(key, n),
                Some(other) => Err(format!("{key} is {other}, not a string or number")),
            }
        };
        let fields = (|| {
            Ok::<_, String>([
                text_of("date")?,
                text_of("company")?,
                text_of("company_id")?,
                text_of("product")?,
                text_of("licenses")?,
                text_of(RATE)?,
            ])
        })();
        let parsed = fields.and_then(|[date, company, company_id, product, licenses, rate]| {
            let fields = Fields {
                date: &date,
                company: &company,
                company_id: &company_id,
                product: &product,
                licenses: &licenses,
                rate: &rate,
            };
            row(&fields, line, &mut names)
        });
        match parsed {
            Ok(row) => rows.push(row),
            Err(message) => problems.push(row_error(origin, Some(line), message)),
        }
    })?;
    if let Some((line, Some(message))) = layout {
        return Err(json_layout_error(origin, line, message));
    }
    finish(rows, problems)
}

/// Calls `each` with every item of a top-level JSON array and the line the item starts on.
/// serde_json gives no positions inside a parsed value, so the array is walked one item at a
/// time; lines are counted incrementally, so a large report is read in one pass.
fn each_json_item(
    text: &str,
    origin: &Path,
    mut each: impl FnMut(u64, Value),
) -> Result<(), SourceError> {
    let mut lines = LineCounter::default();
    let skip_space = |from: usize| from + (text[from..].len() - text[from..].trim_start().len());
    let mut at = skip_space(0) + 1; // past '['
    let mut first = true;
    loop {
        at = skip_space(at);
        let line = lines.at(text, at);
        if first && text[at..].starts_with(']') {
            at += 1;
            break;
        }
        first = false;
        let mut stream = serde_json::Deserializer::from_str(&text[at..]).into_iter::<Value>();
        let message = match stream.next() {
            Some(Ok(value)) => {
                each(line, value);
                at = skip_space(at + stream.byte_offset());
                match text[at..].chars().next() {
                    Some(',') => {
                        at += 1;
                        continue;
                    }
                    Some(']') => {
                        at += 1;
                        break;
                    }
                    _ => "expected `,` or `]` after an item".to_owned(),
                }
            }
            Some(Err(error)) => {
                let line = line + (error.line() as u64).saturating_sub(1);
                return Err(SourceError::at(
                    origin,
                    Some(line),
                    format!("the JSON report is not valid: {error}"),
                ));
            }
            None => "the JSON report ends inside its array".to_owned(),
        };
        return Err(SourceError::at(origin, Some(lines.at(text, at)), message));
    }
    let at = skip_space(at);
    if at < text.len() {
        let line = lines.at(text, at);
        return Err(SourceError::at(
            origin,
            Some(line),
            "unexpected text after the JSON array",
        ));
    }
    Ok(())
}

/// The 1-based line of byte offsets that only move forward, counting each newline once.
#[derive(Default)]
struct LineCounter {
    offset: usize,
    newlines: u64,
}

impl LineCounter {
    fn at(&mut self, text: &str, offset: usize) -> u64 {
        self.newlines += text[self.offset..offset].matches('\n').count() as u64;
        self.offset = offset;
        self.newlines + 1
    }
}

/// One checked row. A missing company name falls back to the id (names are only for people).
fn row(fields: &Fields<'_>, line: u64, names: &mut Interner) -> Result<UsageRow, String> {
    let date = NaiveDate::parse_from_str(fields.date, "%Y-%m-%d").map_err(|_| {
        if fields.date.is_empty() {
            "date is missing".to_owned()
        } else {
            format!("date `{}` is not YYYY-MM-DD", fields.date)
        }
    })?;
    if fields.company_id.is_empty() {
        return Err("company_id is missing".into());
    }
    if fields.product.is_empty() {
        return Err("product is missing".into());
    }
    if fields.licenses.is_empty() {
        return Err("licenses is missing".into());
    }
    let quantity = parse_quantity(fields.licenses)
        .map_err(|error| error.message("licenses", fields.licenses))?;
    let name = if fields.company.is_empty() {
        fields.company_id
    } else {
        fields.company
    };
    let unit_cost = names.price(RATE, fields.rate)?;
    Ok(UsageRow {
        date,
        account_id: names.get(fields.company_id),
        account_name: names.get(name),
        sku: names.get(catalogue::display_name(fields.product)),
        quantity,
        unit_cost,
        line,
    })
}

fn row_error(origin: &Path, line: Option<u64>, message: impl Into<String>) -> Diagnostic {
    let location = line.map(|line| Location { line, column: 1 });
    Diagnostic::error(origin, location, message)
        .with_hint("fix or re-export the report; nothing was planned or applied")
}

/// The text of a JSON number, when it is exact. serde_json reads integers beyond 64 bits and
/// every fraction as `f64`; past 2^53 an `f64` no longer holds every integer, so its digits
/// are not the file's and must not be billed.
fn exact_number(key: &str, number: &serde_json::Number) -> Result<String, String> {
    const EXACT_F64: f64 = 9_007_199_254_740_992.0; // 2^53
    match number.as_f64() {
        Some(value) if number.is_f64() && value.abs() >= EXACT_F64 => Err(format!(
            "{key} {number} is not a count reckon can read exactly (a JSON number this large has lost digits)"
        )),
        _ => Ok(number.to_string()),
    }
}

fn finish(rows: Vec<UsageRow>, problems: RowProblems) -> Result<Vec<UsageRow>, SourceError> {
    if problems.has_errors() {
        Err(SourceError::Invalid(problems.finish()))
    } else {
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    fn rows(text: &str) -> Vec<UsageRow> {
        parse(text, Path::new("r")).expect("rows")
    }

    #[test]
    fn the_rate_is_read_exactly_with_its_currency_and_a_missing_one_is_unknown() {
        let csv = rows(
            "date,company,company_id,product,licenses,rate\n\
             2026-10-01,A,1,Business,1,$3.75\n2026-10-01,A,1,KeeperChat,1,\n\
             2026-10-01,A,1,1TB,1,AUD1e-05\n",
        );
        let rate = csv[0].unit_cost.as_deref().expect("rate");
        assert_eq!(
            (rate.amount, rate.currency.as_ref().map(|c| c.code())),
            (dec!(3.75), Some("USD"))
        );
        assert_eq!(csv[1].unit_cost, None, "no price: unknown, not 0");
        let tiny = csv[2].unit_cost.as_deref().expect("rate");
        assert_eq!(
            (tiny.amount, tiny.currency.as_ref().map(|c| c.code())),
            (dec!(0.00001), Some("AUD"))
        );
        let json = rows(
            "[{\"date\": \"2026-10-01\", \"company_id\": 1, \"product\": \"Business\", \
             \"licenses\": 1, \"rate\": \"\\u20ac1.25\"}]",
        );
        let euro = json[0].unit_cost.as_deref().expect("rate");
        assert_eq!(
            (euro.amount, euro.currency.as_ref().map(|c| c.code())),
            (dec!(1.25), Some("EUR"))
        );
        let bad = error_lines(
            "date,company,company_id,product,licenses,rate\n2026-10-01,A,1,Business,1,$3,75\n",
        );
        assert_eq!(bad.len(), 1, "{bad:?}");
        let bad = error_lines(
            "date,company,company_id,product,licenses,rate\n2026-10-01,A,1,Business,1,cheap\n",
        );
        assert_eq!(
            bad,
            vec![(
                2,
                "rate: `cheap` is not a price: not a decimal number".into()
            )]
        );
    }

    fn error_lines(text: &str) -> Vec<(u64, String)> {
        let Err(SourceError::Invalid(diagnostics)) = parse(text, Path::new("r")) else {
            panic!("expected errors");
        };
        diagnostics
            .sorted()
            .iter()
            .map(|d| (d.location.map_or(0, |l| l.line), d.message.clone()))
            .collect()
    }

    const CSV: &str = "\u{feff}\r\nConsumption Billing Statement: October 2026\r\n\r\n\
        date,company,company_id,product,licenses,rate\r\n\
        2026-10-01,\"Acme, Dental\",3862,Business Plus,10,$3.75\r\n\
        2026-10-01,Acme Dental,3862,KeeperChat,2,\r\n";

    #[test]
    fn csv_with_preamble_bom_crlf_quotes_and_empty_rate() {
        let rows = rows(CSV);
        assert_eq!(rows.len(), 2);
        assert_eq!(&*rows[0].account_id, "3862");
        assert_eq!(&*rows[0].account_name, "Acme, Dental");
        assert_eq!(&*rows[0].sku, "Business Plus");
        assert_eq!(rows[0].quantity, dec!(10));
        assert_eq!((rows[0].line, rows[1].line), (5, 6));
    }

    #[test]
    fn csv_rows_report_file_lines_past_the_preamble() {
        let text = "\nConsumption Billing Statement: October 2026\n\n\
            date,company,company_id,product,licenses,rate\n\
            2026-10-01,A,1,Business,ten,\n2026-10-01,A,,Business,1,\n";
        assert_eq!(
            error_lines(text),
            vec![
                (5, "licenses `ten` is not a number".into()),
                (6, "company_id is missing".into())
            ]
        );
    }

    #[test]
    fn a_statement_for_another_month_is_one_error_at_its_title() {
        let october: Period = "2026-10".parse().expect("period");
        assert!(check_statement_month(CSV, Path::new("r"), october).is_ok());
        let september = CSV.replace("October 2026", "September 2026");
        let Err(SourceError::Invalid(d)) =
            check_statement_month(&september, Path::new("r"), october)
        else {
            panic!("expected an error");
        };
        let d = d.sorted()[0];
        assert_eq!(d.location.map(|l| l.line), Some(2));
        assert_eq!(
            d.message,
            "the report is the statement for September 2026, not for 2026-10"
        );
        for without_title in ["date,company\n", "[]"] {
            assert!(check_statement_month(without_title, Path::new("r"), october).is_ok());
        }
        for unreadable in [
            "\nConsumption Billing Statement: Octember 2026\n",
            "\nConsumption Billing Statement: soon\n",
            "\nConsumption Billing Statement\n",
        ] {
            let Err(SourceError::Invalid(d)) =
                check_statement_month(unreadable, Path::new("r"), october)
            else {
                panic!("a title without a month is an error: {unreadable:?}");
            };
            let d = d.sorted()[0];
            assert_eq!(d.location.map(|l| l.line), Some(2));
            assert!(
                d.message.starts_with("the report's title names no month"),
                "{}",
                d.message
            );
        }
    }

    #[test]
    fn a_summary_report_is_refused_with_the_export_to_make() {
        let text = "\nConsumption Billing Statement: October 2026\n\n\
            company,company_id,product,licenses,rate,avg_per_day\n";
        let errors = error_lines(text);
        assert_eq!(errors[0].0, 4);
        assert!(errors[0].1.contains("summary report"), "{errors:?}");
    }

    #[test]
    fn json_with_missing_keys_and_numbers_as_strings() {
        let text = "[\n  {\"date\": \"2026-10-01\", \"company\": \"Acme\", \"company_id\": 3862, \
            \"product\": \"businessPlus\", \"licenses\": 10, \"rate\": \"$3.75\"},\n  \
            {\"date\": \"2026-10-02\", \"company_id\": \"3862\", \"product\": \"1TB\", \
            \"licenses\": \"9\"}\n]\n";
        let rows = rows(text);
        assert_eq!(rows.len(), 2);
        assert_eq!(&*rows[0].sku, "Business Plus", "codes become display names");
        assert_eq!(&*rows[1].account_id, "3862");
        assert_eq!(
            &*rows[1].account_name, "3862",
            "no company name: the id stands in"
        );
        assert_eq!(rows[1].quantity, dec!(9));
        assert_eq!((rows[0].line, rows[1].line), (2, 3));
    }

    #[test]
    fn json_problems_carry_the_line_of_their_item() {
        let text = "[\n{\"date\": \"2026-10-01\", \"company_id\": 1, \"product\": \"Business\", \
            \"licenses\": 1},\n{\"date\": \"2026-10-01\", \"company_id\": 1, \
            \"product\": \"Business\", \"licenses\": \"many\"},\n\
            {\"date\": \"2026-10-02\", \"company_id\": 1, \"product\": \"Business\"},\n7\n]";
        assert_eq!(
            error_lines(text),
            vec![
                (3, "licenses `many` is not a number".into()),
                (4, "licenses is missing".into()),
                (5, "item is not an object".into()),
            ]
        );
    }

    #[test]
    fn broken_json_names_its_line() {
        let errors = error_lines("[\n{\"date\": \"2026-10-01\"},\n{\"date\": }\n]");
        assert_eq!(errors[0].0, 3, "{errors:?}");
        assert!(errors[0].1.starts_with("the JSON report is not valid"));
        assert_eq!(rows("[ ]").len(), 0);
        let missing_comma = error_lines("[\n{\"date\": \"2026-10-01\"}\n{}\n]");
        assert_eq!(
            missing_comma[0],
            (3, "expected `,` or `]` after an item".into())
        );
        let trailing = error_lines("[\n]\n\ntrailing");
        assert_eq!(
            trailing[0],
            (4, "unexpected text after the JSON array".into())
        );
        let cut = error_lines("[\n{\"date\": \"2026-10-01\"},\n");
        assert_eq!(cut[0], (3, "the JSON report ends inside its array".into()));
    }

    #[test]
    fn only_a_report_looks_like_one() {
        for report in [
            CSV,
            "[\n]\n",
            "date,company,company_id,product,licenses,rate\n",
        ] {
            assert!(looks_like_report(report), "{report:?}");
        }
        for other in ["", " \n\n", "Registering new device...\n", "Login failed\n"] {
            assert!(!looks_like_report(other), "{other:?}");
        }
    }

    #[test]
    fn bare_numbers_repeated_for_a_company_and_day_are_one_error() {
        let text = "date,company,company_id,product,licenses,rate\n\
            2026-10-01,A,1,20,10,\n2026-10-01,A,1,20,2,\n\
            2026-10-02,A,1,20,10,\n2026-10-02,A,1,20,2,\n\
            2026-10-01,B,2,20,1,\n";
        let errors = error_lines(text);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].0, 3);
        assert!(
            errors[0].1.starts_with(
                "product `20` is printed for more than one product: 2 row(s) repeat a \
                 (date, company, product), first company 1 on 2026-10-01 (lines 2 and 3)"
            ),
            "{errors:?}"
        );
        let named = "date,company,company_id,product,licenses,rate\n\
            2026-10-01,A,1,Business,10,\n2026-10-01,A,1,Business,2,\n";
        assert_eq!(
            rows(named).len(),
            2,
            "named duplicates are left to the usage checks"
        );
    }

    #[test]
    fn json_of_another_layout_is_one_error_at_its_first_item() {
        let summary = "[\n  {\"product\": \"Business\", \"licenses\": 759, \"avg_per_day\": 24.48},\n  \
            {\"product\": \"Business Plus\", \"licenses\": 346, \"avg_per_day\": 11.16}\n]";
        let errors = error_lines(summary);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].0, 2);
        assert!(errors[0].1.contains("without `-d` and `-c`"), "{errors:?}");
        let no_company =
            "[\n{\"date\": \"2026-10-01\", \"product\": \"Business\", \"licenses\": 3}\n]";
        assert!(error_lines(no_company)[0].1.contains("without `-c`"));
    }
}
