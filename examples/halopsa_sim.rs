//! The HaloPSA simulator the tests use, holding the instance `examples/keeper-halopsa` is
//! reconciled against (same ids), with a copy of that workspace pointed at it, until Enter or
//! Ctrl-C.
//!
//! Run: `cargo run --example halopsa_sim [ADDR]` (default `127.0.0.1:8766`), then paste the
//! printed `export` lines and commands into another terminal. State lives in memory and the
//! workspace copy in a temp dir: both go when it stops.

#[path = "../tests/sim/mod.rs"]
mod sims;
use sims::halopsa as sim;

use std::path::Path;

const EXAMPLE: &str = "examples/keeper-halopsa";
const RESOURCE: &str = "https://acme.halopsa.com/api";
const AUTH: &str = "https://acme.halopsa.com/auth";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8766".into());
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join(EXAMPLE);
    let sim = sim::Simulator::start_at(&addr, sim::State::keeper_example());

    let workspace = tempfile::tempdir()?;
    copy_dir(&example, workspace.path())?;
    let file = workspace.path().join("reckon.yaml");
    let config = std::fs::read_to_string(&file)?;
    if !config.contains(RESOURCE) || !config.contains(AUTH) {
        return Err(format!("{EXAMPLE}/reckon.yaml no longer names {RESOURCE} and {AUTH}").into());
    }
    let config = config
        .replace(RESOURCE, &sim.resource_server())
        .replace(AUTH, &sim.auth_server());
    std::fs::write(&file, config)?;

    let dir = workspace.path().display();
    println!("HaloPSA simulator on {}", sim.resource_server());
    println!("export HALO_CLIENT_ID={}", sim::CLIENT_ID);
    println!("export HALO_CLIENT_SECRET={}", sim::CLIENT_SECRET);
    println!("cargo run -- -C {dir} check");
    println!("cargo run -- -C {dir} plan --period 2026-10");
    println!("cargo run -- -C {dir} apply --period 2026-10 --auto-approve");
    println!("Press Enter (or Ctrl-C) to stop.");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
