//! The Autotask simulator the tests use, serving the quickstart's PSA for
//! `examples/keeper-autotask` until interrupted.
//!
//! Run: `cargo run --example autotask_sim [ADDR]` (default `127.0.0.1:8765`, the address the
//! example workspace names), export the credentials it prints, then
//! `reckon -C examples/keeper-autotask plan --period 2026-10` in another terminal. Its state lives
//! in memory: restart it to reset.

#[path = "../tests/sim/autotask/mod.rs"]
mod sim;

use chrono::NaiveDate;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8765".into());
    let first = NaiveDate::from_ymd_opt(2026, 9, 1).ok_or("date")?;
    let sim = sim::Sim::start_at(&addr, first, 4);
    sim::keeper_quickstart(&sim);
    println!("Autotask simulator on {}", sim.base_url());
    println!("export AUTOTASK_USERNAME={}", sim::USERNAME);
    println!("export AUTOTASK_SECRET={}", sim::SECRET);
    println!("export AUTOTASK_INTEGRATION_CODE={}", sim::INTEGRATION_CODE);
    println!("Press Enter (or Ctrl-C) to stop.");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(())
}
