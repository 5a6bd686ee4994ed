//! Plan benchmark: a synthetic MSP of 5,000 accounts × 4 SKUs × 31 days (620,000 usage rows)
//! against a sandbox PSA of the same size. Prints the time of each phase, rows/s and peak memory.
//!
//! Run: `cargo run --release --example plan_bench [ACCOUNTS]` (not part of `cargo test`).
//! It drives the same library path as `reckon plan`: config::load → ops::plan (usage read +
//! measured, sandbox read) → plan::compute, on a current-thread runtime (usage is parsed on its
//! blocking pool, one thread per integration — one here).

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use reckon::period::Period;
use reckon::psa::sandbox::SandboxPsa;

const SKUS: [(&str, &str); 4] = [
    ("Business Plus", "KEEPER-BP"),
    ("1TB", "KEEPER-1TB"),
    ("KeeperChat", "KEEPER-CHAT"),
    ("Advanced Reporting & Alerts Module", "KEEPER-ARAM"),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let accounts: usize = std::env::args().nth(1).map_or(Ok(5_000), |a| a.parse())?;
    let period: Period = "2026-10".parse()?;
    let dir = tempfile_dir()?;
    let started = Instant::now();
    let rows = generate(&dir, accounts, period)?;
    println!(
        "generated {accounts} accounts, {rows} usage rows in {:.2?} at {}",
        started.elapsed(),
        dir.display()
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let t0 = Instant::now();
    let loaded = reckon::config::load(&dir).map_err(|d| format!("invalid workspace: {d:?}"))?;
    let t_config = t0.elapsed();
    let workspace = loaded.workspace;
    let psa = SandboxPsa::new(
        dir.join("sandbox/psa.yaml"),
        "sandbox/psa.yaml".into(),
        true,
    );
    let integrations: Vec<_> = workspace.integrations.iter().collect();
    let t1 = Instant::now();
    let usage = runtime
        .block_on(reckon::ops::observe::usage(
            &workspace,
            period,
            &integrations,
        ))
        .map_err(|d| format!("invalid usage: {d:?}"))?;
    let t_usage = t1.elapsed();
    let t2 = Instant::now();
    let at = workspace.effective_date(period);
    let snapshot = runtime.block_on(reckon::ops::observe::psa_snapshot(&psa, at))?;
    let t_psa = t2.elapsed();
    let t3 = Instant::now();
    let inputs = reckon::plan::Inputs {
        workspace: &workspace,
        period,
        usage: &usage,
        psa: &snapshot,
        partial: false,
        grants: &[],
        interrupted: &[],
        // The day after the period: it has ended, as for a real month-end run.
        today: period.next_month_start(),
        provenance: &reckon::ops::provenance::now(&workspace, &psa),
    };
    let plan = reckon::plan::compute(&inputs);
    let t_compute = t3.elapsed();
    let total = t0.elapsed();
    println!("config load        {t_config:.2?}");
    println!("usage read+measure {t_usage:.2?}");
    println!("sandbox PSA read   {t_psa:.2?}");
    println!("plan::compute      {t_compute:.2?}");
    println!("total              {total:.2?}");
    let summary = plan.summary();
    println!(
        "plan: {} to update, {} unchanged, {} findings",
        summary.update, summary.unchanged, summary.findings
    );
    println!(
        "throughput         {:.0} usage rows/s",
        rows as f64 / total.as_secs_f64()
    );
    println!("peak memory (RSS)  {} MB", peak_rss_kb()? / 1024);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("reckon-bench-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("integrations"))?;
    std::fs::create_dir_all(dir.join("sandbox"))?;
    std::fs::create_dir_all(dir.join("usage"))?;
    Ok(dir)
}

/// Writes reckon.yaml, one integration mapping every account by id, the sandbox PSA (one
/// contract per company, one line per SKU, 10% of lines off by one) and the usage CSV.
fn generate(dir: &Path, accounts: usize, period: Period) -> std::io::Result<usize> {
    std::fs::write(
        dir.join("reckon.yaml"),
        "psa:\n  kind: sandbox\n  path: sandbox/psa.yaml\n  integer_quantities: true\n",
    )?;
    let mut integration = String::from(
        "vendor: keeper\nsource:\n  kind: csv\n  path: usage/keeper-{period}.csv\n\
         billing_model: daily-average\naccounts:\n  map:\n",
    );
    let mut psa = String::from("companies:\n");
    for a in 0..accounts {
        let _ = writeln!(
            integration,
            "    - {{vendor: \"{}\", psa: \"{}\"}}",
            100_000 + a,
            900_000 + a
        );
        let _ = writeln!(
            psa,
            "  - {{id: \"{}\", name: \"Company {a}\"}}",
            900_000 + a
        );
    }
    integration.push_str("services:\n");
    psa.push_str("services:\n");
    for (sku, service) in SKUS {
        let _ = writeln!(integration, "  - {{vendor: \"{sku}\", psa: {service}}}");
        let _ = writeln!(psa, "  - {{id: {service}, name: \"{sku}\"}}");
    }
    psa.push_str("contracts:\n");
    for a in 0..accounts {
        let _ = writeln!(
            psa,
            "  - id: C-{a}\n    company: \"{}\"\n    name: MSA\n    lines:",
            900_000 + a
        );
        for (s, (_, service)) in SKUS.iter().enumerate() {
            let seats = seats(a, s);
            let current = if (a + s) % 10 == 0 { seats + 1 } else { seats };
            let _ = writeln!(
                psa,
                "      - {{id: L-{a}-{s}, service: {service}, quantity: \"{current}\"}}"
            );
        }
    }
    std::fs::write(dir.join("integrations/keeper.yaml"), integration)?;
    std::fs::write(dir.join("sandbox/psa.yaml"), psa)?;

    let mut csv = String::from("date,account_id,account_name,sku,quantity\n");
    let mut rows = 0;
    for day in 0..period.days() {
        let date = period.first_day() + chrono::Days::new(u64::from(day));
        for a in 0..accounts {
            for (s, (sku, _)) in SKUS.iter().enumerate() {
                let _ = writeln!(
                    csv,
                    "{date},{},Company {a},{sku},{}",
                    100_000 + a,
                    seats(a, s)
                );
                rows += 1;
            }
        }
    }
    std::fs::write(dir.join(format!("usage/keeper-{period}.csv")), csv)?;
    Ok(rows)
}

fn seats(account: usize, sku: usize) -> usize {
    1 + (account * 7 + sku * 3) % 40
}

fn peak_rss_kb() -> std::io::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    Ok(status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}
