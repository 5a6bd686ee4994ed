//! Keeper report benchmark: Commander's `msp-billing-report -d -c` output for a synthetic MSP of
//! 5,000 managed companies × 4 products × 31 days (620,000 daily rows), in both layouts, parsed
//! and checked the way the keeper-commander source does it. Prints time, rows/s and size.
//!
//! Run: `cargo run --release --example keeper_report_bench [COMPANIES]` (not part of
//! `cargo test`).

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use reckon::period::Period;
use reckon::sources::keeper::report;
use reckon::usage::{BillingModel, check_rows, summarize};

const PRODUCTS: [&str; 4] = [
    "Business Plus",
    "1TB",
    "KeeperChat",
    "Advanced Reporting & Alerts Module",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let companies: usize = std::env::args().nth(1).map_or(Ok(5_000), |a| a.parse())?;
    let period: Period = "2026-10".parse()?;
    let (csv, json) = generate(companies)?;
    for (layout, text) in [("csv", &csv), ("json", &json)] {
        let (rows, parse, check) = time(text, period)?;
        println!(
            "{layout:>4}: {rows} rows, {:.1} MB: parse {parse:.2?}, check + measure {check:.2?} \
             ({:.2} M rows/s overall)",
            text.len() as f64 / 1e6,
            rows as f64 / (parse + check).as_secs_f64() / 1e6
        );
    }
    Ok(())
}

/// Parses, checks and measures `text`; returns the row count and the two phases' times.
fn time(text: &str, period: Period) -> Result<(usize, Duration, Duration), String> {
    let started = Instant::now();
    let rows =
        report::parse(text, Path::new("report")).map_err(|e| format!("report refused: {e}"))?;
    let parse = started.elapsed();
    let started = Instant::now();
    let problems = check_rows(&rows, period);
    let usage = summarize(&rows, BillingModel::DailyAverage, period).map_err(|e| e.to_string())?;
    let check = started.elapsed();
    if !problems.is_empty() || usage.is_empty() {
        return Err(format!("unexpected: {} problems", problems.len()));
    }
    Ok((rows.len(), parse, check))
}

/// The same month as Commander's CSV (title preamble, CRLF) and JSON (indented array).
fn generate(companies: usize) -> Result<(String, String), std::fmt::Error> {
    let mut csv = String::from(
        "\r\nConsumption Billing Statement: October 2026\r\n\r\n\
         date,company,company_id,product,licenses,rate\r\n",
    );
    let mut json = String::from("[\n");
    let mut first = true;
    for day in 1..=31 {
        for company in 0..companies {
            let id = 100_000 + company;
            for (p, product) in PRODUCTS.iter().enumerate() {
                let licenses = 1 + (company + p + day / 16) % 40;
                writeln!(
                    csv,
                    "2026-10-{day:02},\"Company {id}, Inc.\",{id},{product},{licenses},3.75\r"
                )?;
                if !first {
                    json.push_str(",\n");
                }
                first = false;
                write!(
                    json,
                    "  {{\n    \"date\": \"2026-10-{day:02}\",\n    \"company\": \"Company {id}, Inc.\",\n    \
                     \"company_id\": {id},\n    \"product\": \"{product}\",\n    \"licenses\": {licenses}\n  }}"
                )?;
            }
        }
    }
    json.push_str("\n]\n");
    Ok((csv, json))
}
