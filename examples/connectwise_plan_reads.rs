//! Measures what a plan costs against ConnectWise at scale: the PSA reads of `reckon plan`
//! (companies, catalog, agreements, every agreement's additions) against the simulator holding
//! N companies with one agreement and three additions each, with a per-request latency.
//!
//! ```sh
//! cargo run --example connectwise_plan_reads -- [COMPANIES] [LATENCY_MS] [no-bundles]
//! ```
//!
//! Prints the requests made per endpoint, what reading additions one agreement at a time would
//! cost instead, and the wall time, on the CLI's single-threaded runtime.

#[path = "../tests/sim/mod.rs"]
mod sims;
use sims::connectwise as sim;

use std::time::{Duration, Instant};

use reckon::psa::Psa;
use reckon::psa::connectwise::{ConnectWisePsa, Options, Settings};
use reckon::secret::Secret;
use sim::{Simulator, State};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let companies: i64 = args.next().map_or(Ok(1000), |a| a.parse())?;
    let latency = Duration::from_millis(args.next().map_or(Ok(0), |a| a.parse())?);
    let use_bundles = args.next().as_deref() != Some("no-bundles");

    let mut state = State::scaled(companies, &["KEEPER-BP", "KEEPER-1TB", "KEEPER-CHAT"]);
    state.latency = latency;
    state.bundles = use_bundles;
    let simulator = Simulator::start(state);
    let psa = ConnectWisePsa::new(
        Settings {
            site: simulator.site(),
            company_id: sim::COMPANY_ID.into(),
            public_key: Secret::new(sim::PUBLIC_KEY),
            private_key: Secret::new(sim::PRIVATE_KEY),
            client_id: sim::CLIENT_ID.into(),
            base_url: Some(simulator.base_url()),
        },
        Options::default(),
    )?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).ok_or("date")?;

    let started = Instant::now();
    let snapshot = runtime.block_on(reckon::ops::observe::psa_snapshot(&psa, at))?;
    let elapsed = started.elapsed();

    let lines: usize = snapshot.contracts.iter().map(|c| c.lines.len()).sum();
    let used = psa.requests_used();
    // A list ending exactly on a full page costs one more (empty) read confirming its end.
    let pages = |n: i64| n.max(1) / 1000 + 1;
    let lists = pages(companies) + 1 + pages(companies);
    let bundles = (companies + 24) / 25;
    println!(
        "{companies} companies, {} agreements, {lines} additions, {} ms latency per request, \
         bundles {}",
        snapshot.contracts.len(),
        latency.as_millis(),
        if use_bundles { "on" } else { "refused" }
    );
    for (endpoint, n) in &used.by_endpoint {
        println!("  {endpoint:<45} {n:>6}");
    }
    println!(
        "requests: {} (list pages: {lists}; reading additions takes {bundles} bundles of 25 \
         agreements, or {companies} reads one agreement at a time)",
        used.total()
    );
    println!("wall time: {:.2} s", elapsed.as_secs_f64());
    Ok(())
}
