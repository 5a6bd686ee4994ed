//! Scale and fault benchmark: a synthetic MSP (5,000 customers, one recurring contract of four
//! lines each, three integrations: a 31-day Keeper Commander report and two csv) planned and
//! applied through the real library path (`config::load` → `ops::plan::plan` →
//! `apply::execute` with the apply journal) against the Autotask and ConnectWise simulators on
//! loopback with a per-request latency. Prints wall time, requests by endpoint, peak memory and
//! the floor (the least wall time the required requests allow), with measured/floor.
//!
//! ```sh
//! cargo run --release --example bench -- [--companies 5000] [--latency-ms 50]
//!     [--apply-latency-ms 5] [--psa autotask|connectwise|halopsa|both|all] [--naive] [--soak N]
//!     [--state local|postgres]
//! ```
//!
//! `RECKON_LOG=reckon=info` logs reckon's stages with their times (usage read, PSA read, plan
//! computed) to stderr.
//!
//! `--naive` also reads the same PSA state one resource at a time (`naive.rs`), for comparison;
//! `--soak N` runs N apply cycles per PSA under random faults, killing the real `reckon apply`
//! mid-way in some (`soak.rs`, `kill.rs`; the binary is built first if stale, `binary.rs`);
//! `--state postgres` keeps the soak's lock and journal in a throwaway PostgreSQL server
//! (`state.rs`; needs Debian's `postgresql` package, as the tests do).
//! Not part of `cargo test`.

#[path = "../../tests/sim/mod.rs"]
mod sim;

// The tests' throwaway server (the soak uses only part of it).
#[allow(dead_code)]
#[path = "../../tests/it/pg_server.rs"]
mod pg_server;

mod binary;
mod cpu;
mod floor;
mod kill;
mod msp;
mod naive;
mod run;
mod soak;
mod state;
mod tenant;

use std::time::Duration;

/// What to run, from the command line.
#[derive(Debug, Clone)]
pub struct Args {
    /// Customers in the synthetic book.
    pub companies: usize,
    /// Simulated latency per request while planning (and for the naive reader).
    pub latency: Duration,
    /// Simulated latency per request while applying.
    pub apply_latency: Duration,
    /// Which simulators.
    pub psas: Vec<Kind>,
    /// Whether to run the naive reader too.
    pub naive: bool,
    /// Soak cycles per PSA (0: no soak).
    pub soak: u32,
    /// Whether the soak keeps its state in PostgreSQL (`--state postgres`).
    pub postgres: bool,
}

/// A PSA simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Autotask REST.
    Autotask,
    /// ConnectWise Manage.
    ConnectWise,
    /// HaloPSA.
    HaloPsa,
}

impl Kind {
    /// Its `psa.kind`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Autotask => "autotask",
            Kind::ConnectWise => "connectwise",
            Kind::HaloPsa => "halopsa",
        }
    }
}

fn main() -> std::process::ExitCode {
    match run_all() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench failed: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run_all() -> Result<(), run::Failure> {
    let args = parse(std::env::args().skip(1))?;
    // `RECKON_LOG=reckon=info` shows reckon's stage timings (usage read, PSA read, plan
    // computed) as `reckon -v` does.
    if let Ok(filter) = std::env::var("RECKON_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .init();
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // Before the clock: building a stale `reckon` is not part of the benchmark.
    let reckon = match args.soak {
        0 => None,
        _ => Some(binary::Reckon::locate()?),
    };
    let started = std::time::Instant::now();
    for kind in args.psas.clone() {
        run::scale(&runtime, kind, &args)?;
        if let Some(reckon) = &reckon {
            soak::run(&runtime, kind, args.soak, reckon, args.postgres)?;
        }
    }
    println!(
        "\nwhole benchmark: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn parse(mut argv: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut args = Args {
        companies: 5_000,
        latency: Duration::from_millis(50),
        apply_latency: Duration::from_millis(5),
        psas: vec![Kind::Autotask, Kind::ConnectWise],
        naive: false,
        soak: 0,
        postgres: false,
    };
    while let Some(flag) = argv.next() {
        let mut value = || argv.next().ok_or(format!("{flag} needs a value"));
        let number = |text: String| {
            text.parse::<u64>()
                .map_err(|_| format!("{flag}: {text} is not a whole number"))
        };
        match flag.as_str() {
            "--companies" => args.companies = number(value()?)? as usize,
            "--latency-ms" => args.latency = Duration::from_millis(number(value()?)?),
            "--apply-latency-ms" => args.apply_latency = Duration::from_millis(number(value()?)?),
            "--soak" => args.soak = number(value()?)? as u32,
            "--naive" => args.naive = true,
            "--state" => {
                args.postgres = match value()?.as_str() {
                    "local" => false,
                    "postgres" => true,
                    other => return Err(format!("--state {other}: local or postgres")),
                }
            }
            "--psa" => {
                args.psas = match value()?.as_str() {
                    "autotask" => vec![Kind::Autotask],
                    "connectwise" => vec![Kind::ConnectWise],
                    "halopsa" => vec![Kind::HaloPsa],
                    "both" => vec![Kind::Autotask, Kind::ConnectWise],
                    "all" => vec![Kind::Autotask, Kind::ConnectWise, Kind::HaloPsa],
                    other => {
                        return Err(format!(
                            "--psa {other}: autotask, connectwise, halopsa, both or all"
                        ));
                    }
                }
            }
            other => return Err(format!("unknown argument {other}; see the file's header")),
        }
    }
    Ok(args)
}
