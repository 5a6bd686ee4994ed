//! Autotask read benchmark: the PSA snapshot a plan needs (the picklists filtered by, companies,
//! services, recurring contracts, their lines, the units on the effective date and the
//! contracts' Service Bundles), read through the real adapter (no picklist cache: a first run)
//! from the Autotask simulator seeded with COMPANIES customers × 3 lines. Prints the requests
//! used against the minimum number of 500-row pages, and the wall time at a simulated per-request
//! latency.
//!
//! Run: `cargo run --release --example autotask_bench [COMPANIES] [LATENCY_MS]` (defaults 1000
//! and 0; not part of `cargo test`).

#[path = "../tests/sim/mod.rs"]
mod sims;
use sims::autotask as sim;

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use reckon::psa::Psa;
use reckon::psa::autotask::{AutotaskPsa, Credentials, Options};
use reckon::secret::Secret;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let companies: u64 = args.next().map_or(Ok(1000), |a| a.parse())?;
    let latency_ms: u64 = args.next().map_or(Ok(0), |a| a.parse())?;
    let first = NaiveDate::from_ymd_opt(2026, 10, 1).ok_or("date")?;
    let at = NaiveDate::from_ymd_opt(2026, 11, 1).ok_or("date")?;

    let started = Instant::now();
    let sim = sim::Sim::start_with_periods(first, 2);
    let services: Vec<i64> = ["Business Plus", "1TB", "KeeperChat"]
        .iter()
        .map(|s| sim.add_service(s))
        .collect();
    for n in 0..companies {
        let company = sim.add_company(&format!("Client {n:05}"));
        let contract = sim.add_contract(company, &format!("Client {n:05} – Managed Services"));
        for service in &services {
            sim.add_line(contract, *service, 4);
        }
    }
    sim.set_latency(Duration::from_millis(latency_ms));
    println!(
        "seeded {companies} companies × 3 lines ({} unit periods each) in {:.2?}",
        2,
        started.elapsed()
    );

    let psa = AutotaskPsa::new(
        Credentials {
            username: Secret::new(sim::USERNAME),
            secret: Secret::new(sim::SECRET),
            integration_code: Secret::new(sim::INTEGRATION_CODE),
        },
        Some(sim.base_url()),
        Options::default(),
    )?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let t0 = Instant::now();
    let snapshot = runtime.block_on(reckon::ops::observe::psa_snapshot(&psa, at))?;
    let elapsed = t0.elapsed();

    let lines: usize = snapshot.contracts.iter().map(|c| c.lines.len()).sum();
    let pages = |rows: u64| rows.div_ceil(500);
    // Picklists 2 + Companies, Contracts and ContractServiceBundles ⌈n/500⌉ each + Services
    // ⌈3/500⌉ + ContractServices and ContractServiceUnits ⌈3n/500⌉ each.
    let minimum = 2 + 3 * pages(companies) + pages(3) + 2 * pages(3 * companies);
    let used = psa.requests_used();
    println!(
        "read {} companies, {} services, {} contracts, {lines} lines in {elapsed:.2?} at {latency_ms} ms/request",
        snapshot.companies.len(),
        snapshot.services.len(),
        snapshot.contracts.len(),
    );
    println!(
        "requests: {} (minimum 2 + 3·⌈{companies}/500⌉ + ⌈3/500⌉ + 2·⌈{}/500⌉ = {minimum}); simulator saw {}",
        used.total(),
        3 * companies,
        sim.total_requests()
    );
    for (endpoint, n) in &used.by_endpoint {
        println!("  {endpoint:<28} {n}");
    }
    Ok(())
}
