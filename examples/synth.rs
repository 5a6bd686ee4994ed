//! A synthetic sandbox workspace at MSP scale, and how long reckon takes on it.
//!
//! `cargo run --release --example synth [-- DIR]` writes 5,000 Keeper accounts × 4 SKUs × 31
//! days of usage (620,000 CSV rows), a sandbox PSA with a company and a four-line contract per
//! account, and the workspace files into DIR (a fresh temp dir when omitted, kept afterwards),
//! every line priced (the PSA's price and cost on each line, the vendor's `unit_cost` on each
//! usage row: the review page's worst case, with its money columns),
//! then times one plan pass and the HTML, JSON and text renderers in process and prints each
//! figure with the output's size. Deterministic: a fixed-seed generator, no randomness source.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use reckon::ops::plan::{self as planning, Request};
use reckon::period::Period;
use reckon::{config, psa, render};

const ACCOUNTS: u32 = 5_000;
/// Vendor SKU, PSA service, the PSA line's price and cost per unit, the vendor's cost per unit
/// (the usage rows' `unit_cost`; a daily average such as 7.2258 × 3.75 gives sub-cent costs).
const SKUS: [(&str, &str, &str, &str, &str); 4] = [
    ("Business Plus", "KEEPER-BP", "5.00", "3.75", "3.75"),
    ("1TB", "KEEPER-1TB", "1.50", "1.00", "1.00"),
    ("KeeperChat", "KEEPER-CHAT", "2.25", "1.80", "1.80"),
    (
        "Enterprise BreachWatch",
        "KEEPER-BW",
        "2.99",
        "2.40",
        "2.40",
    ),
];
/// One account in this many has no vendor cost for its storage (an empty `unit_cost`): its
/// vendor cost and margin read `unknown`, which sort below every amount.
const UNKNOWN_COST_EVERY: u32 = 50;
const PERIOD: &str = "2026-10";

/// A plan renderer, timed one after the other.
type Renderer = fn(&mut Vec<u8>, &reckon::plan::Plan) -> std::io::Result<()>;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = match std::env::args_os().nth(1) {
        Some(dir) => PathBuf::from(dir),
        None => tempfile::tempdir()?.keep(),
    };
    let started = Instant::now();
    write_workspace(&dir)?;
    println!(
        "workspace: {} ({ACCOUNTS} accounts × {} SKUs × 31 days) written in {:.2?}",
        dir.display(),
        SKUS.len(),
        started.elapsed()
    );
    measure(&dir)
}

/// A tiny deterministic generator (64-bit LCG), so every run measures the same workspace.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u32) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        u32::try_from((self.0 >> 33) % u64::from(n)).unwrap_or(0)
    }
}

/// Writes the synthetic workspace into `dir` (also used by the browser test).
pub fn write_workspace(dir: &Path) -> std::io::Result<()> {
    for sub in ["integrations", "sandbox", "usage"] {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    std::fs::write(
        dir.join("reckon.yaml"),
        "psa:\n  kind: sandbox\n  path: sandbox/psa.yaml\n  integer_quantities: true\n\
         billing:\n  currency: USD\n",
    )?;
    let mut integration = String::from(
        "vendor: keeper\nsource:\n  kind: csv\n  path: usage/keeper-{period}.csv\n\
         billing_model: daily-average\naccounts:\n  auto_match: exact-name\nservices:\n",
    );
    for (sku, service, ..) in SKUS {
        let _ = writeln!(integration, "  - vendor: \"{sku}\"\n    psa: {service}");
    }
    std::fs::write(dir.join("integrations/keeper.yaml"), integration)?;

    let mut rng = Lcg(42);
    let mut psa = String::from("companies:\n");
    for a in 0..ACCOUNTS {
        let _ = writeln!(
            psa,
            "  - id: \"{}\"\n    name: Customer {a:04}",
            30_000_000 + a
        );
    }
    psa.push_str("services:\n");
    for (_, service, ..) in SKUS {
        let _ = writeln!(psa, "  - id: {service}\n    name: {service}");
    }
    psa.push_str("contracts:\n");
    let mut csv = String::from("date,account_id,account_name,sku,quantity,unit_cost\n");
    let mut rows: Vec<Vec<u32>> = Vec::new();
    for a in 0..ACCOUNTS {
        let _ = writeln!(
            psa,
            "  - id: C-{a}\n    company: \"{}\"\n    name: Managed Services\n    lines:",
            30_000_000 + a
        );
        rows.clear();
        for (s, (_, service, price, cost, _)) in SKUS.iter().enumerate() {
            let series = daily_series(&mut rng, s);
            let billed = series.iter().sum::<u32>() / 31 + rng.below(3);
            let _ = writeln!(
                psa,
                "      - id: C-{a}-{s}\n        service: {service}\n        quantity: \"{billed}\"\n        \
                 price: \"{price}\"\n        cost: \"{cost}\""
            );
            rows.push(series);
        }
        for day in 0..31 {
            for (series, (sku, _, _, _, rate)) in rows.iter().zip(SKUS) {
                let count = series.get(day).copied().unwrap_or(0);
                let rate = if sku == "1TB" && a % UNKNOWN_COST_EVERY == 0 {
                    ""
                } else {
                    rate
                };
                if count > 0 {
                    let _ = writeln!(
                        csv,
                        "{PERIOD}-{:02},{},Customer {a:04},{sku},{count},{rate}",
                        day + 1,
                        4_000_000 + a
                    );
                }
            }
        }
    }
    std::fs::write(dir.join("sandbox/psa.yaml"), psa)?;
    std::fs::write(dir.join(format!("usage/keeper-{PERIOD}.csv")), csv)
}

/// Seats over a month as MSP customers show them: mostly flat, some step changes, a few
/// mid-month starts and one-day spikes. SKU 0 has the most seats; add-ons have fewer.
fn daily_series(rng: &mut Lcg, sku: usize) -> Vec<u32> {
    let base = match sku {
        0 => 5 + rng.below(120),
        _ => 1 + rng.below(30),
    };
    let start = if rng.below(10) == 0 { rng.below(28) } else { 0 };
    let mut seats = base;
    let mut series = Vec::with_capacity(31);
    for day in 0..31 {
        if rng.below(12) == 0 {
            seats = (seats + rng.below(5)).saturating_sub(2).max(1);
        }
        let spike = if rng.below(60) == 0 { base / 2 + 3 } else { 0 };
        series.push(if day < start { 0 } else { seats + spike });
    }
    series
}

fn measure(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let period: Period = PERIOD.parse()?;
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;

    let started = Instant::now();
    let loaded = config::load(dir).map_err(|d| format!("workspace invalid: {d:?}"))?;
    let workspace = &loaded.workspace;
    let psa = psa::connect(workspace)?;
    let request = Request::all(period, period.next_month_start());
    let plan = runtime.block_on(planning::plan(workspace, &psa, &request))?;
    let planned = started.elapsed();
    let summary = plan.summary();
    println!(
        "plan: {} lines ({} update, {} unchanged), {} findings in {planned:.2?} (load + read + compute)",
        plan.changes.len(),
        summary.update,
        summary.unchanged,
        summary.findings
    );

    let formats: [(&str, Renderer); 3] = [
        ("html", |out, plan| render::html::plan(out, plan)),
        ("json", |out, plan| render::json::plan(out, plan)),
        ("text", |out, plan| {
            render::text::plan(out, plan, render::Style::default())
        }),
    ];
    for (name, render) in formats {
        let mut out = Vec::new();
        let started = Instant::now();
        render(&mut out, &plan)?;
        let took = started.elapsed();
        std::fs::write(dir.join(format!("plan.{name}")), &out)?;
        println!(
            "plan --format {name}: {:.2} MB rendered in {took:.2?} -> {}",
            mb(out.len()),
            dir.join(format!("plan.{name}")).display()
        );
    }

    let integrations = planning::select(workspace, &[])?;
    let usage = runtime.block_on(planning::measure(workspace, period, &integrations))?;
    let lines = planning::usage_lines(workspace, &integrations, &usage);
    let mut out = Vec::new();
    let started = Instant::now();
    render::html::usage(&mut out, period, &lines)?;
    let took = started.elapsed();
    std::fs::write(dir.join("usage.html"), &out)?;
    println!(
        "usage --format html: {} rows, {:.2} MB rendered in {took:.2?} -> {}",
        lines.len(),
        mb(out.len()),
        dir.join("usage.html").display()
    );
    Ok(())
}

fn mb(bytes: usize) -> f64 {
    // A size for people to read, not a quantity: the one place a float is fine.
    bytes as f64 / 1_000_000.0
}
