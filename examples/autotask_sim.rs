//! The Autotask simulator the tests use, holding `examples/keeper-autotask`'s PSA (same ids),
//! with a copy of that workspace pointed at it, until Enter or Ctrl-C.
//!
//! Run: `cargo run --example autotask_sim [ADDR]` (default `127.0.0.1:8765`), then paste the
//! printed `export` lines and commands into another terminal. State lives in memory and the
//! workspace copy in a temp dir: both go when it stops.

#[path = "../tests/sim/mod.rs"]
mod sims;
use sims::autotask as sim;

use std::path::Path;

use chrono::NaiveDate;

const EXAMPLE: &str = "examples/keeper-autotask";
const SANDBOX_BLOCK: &str =
    "psa:\n  kind: sandbox\n  path: sandbox/psa.yaml\n  integer_quantities: true\n";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8765".into());
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join(EXAMPLE);
    let first = NaiveDate::from_ymd_opt(2026, 9, 1).ok_or("date")?;
    let sim = sim::Sim::start_at(&addr, first, 4);
    sim::seed_from_sandbox(&sim, &example.join("sandbox/psa.yaml"))?;

    let workspace = tempfile::tempdir()?;
    copy_dir(&example, workspace.path())?;
    std::fs::remove_dir_all(workspace.path().join("sandbox"))?;
    let config = std::fs::read_to_string(workspace.path().join("reckon.yaml"))?;
    if !config.contains(SANDBOX_BLOCK) {
        return Err(format!("{EXAMPLE}/reckon.yaml no longer has the sandbox psa block").into());
    }
    let config = config.replace(SANDBOX_BLOCK, &sim::autotask_psa_block(&sim.base_url()));
    std::fs::write(workspace.path().join("reckon.yaml"), config)?;

    let dir = workspace.path().display();
    println!("Autotask simulator on {}", sim.base_url());
    println!("export AUTOTASK_USERNAME={}", sim::USERNAME);
    println!("export AUTOTASK_SECRET={}", sim::SECRET);
    println!("export AUTOTASK_INTEGRATION_CODE={}", sim::INTEGRATION_CODE);
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
