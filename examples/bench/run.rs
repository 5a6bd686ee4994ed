//! One PSA at scale: seed the simulator, write the workspace, then plan and apply through the
//! library exactly as `reckon plan` / `reckon apply` do, printing time, requests, memory and
//! the floor; checks afterwards that every line holds its desired quantity, written once.

use std::path::Path;
use std::time::{Duration, Instant};

use reckon::period::Period;
use reckon::psa::{Psa, RequestCount};
use reckon::state::journal::{ApplyJournal, Writer};
use tokio::runtime::Runtime;

use crate::cpu;
use crate::floor::{self, Floor};
use crate::msp::{self, Book, LINES};
use crate::tenant::Tenant;
use crate::{Args, Kind, naive};

/// Errors as text: the bench prints them and stops.
pub type Failure = Box<dyn std::error::Error>;

/// Runs the plan and apply benchmark for `kind`.
pub fn scale(runtime: &Runtime, kind: Kind, args: &Args) -> Result<(), Failure> {
    let companies = args.companies;
    let seeding = Instant::now();
    let book = Book::generate(companies, 42);
    let tenant = Tenant::start(kind, &book);
    let dir = tempfile::tempdir()?;
    let workspace = workspace(dir.path(), &book, &tenant)?;
    println!(
        "\n== {}: {companies} companies × 1 contract × {} lines, 3 integrations (keeper-commander 31 days, 2 csv); seeded in {:.1} s",
        kind.name(),
        LINES.len(),
        seeding.elapsed().as_secs_f64()
    );
    let period: Period = msp::PERIOD.parse()?;
    let lines = LINES.len() as u64;

    tenant.set_latency(args.latency);
    // The client `reckon apply` plans and applies with: apply runs on the one that planned, as
    // `ops::apply` does (an adapter may keep what the plan's reads learnt, e.g. HaloPSA's
    // invoice clients).
    let planner = reckon::psa::connect(&workspace)?;
    let psa = &planner;
    reset_peak_memory();
    let cpu = cpu::mark();
    let started = Instant::now();
    let plan = runtime.block_on(reckon::ops::plan::plan(
        &workspace,
        psa,
        &reckon::ops::plan::Request::all(period, period.next_month_start()),
    ))?;
    let plan_floor = match kind {
        // A fresh workspace: the plan reads the picklists, which the reads below find cached.
        Kind::Autotask => floor::autotask_plan(companies as u64, lines, false),
        Kind::ConnectWise => floor::connectwise_plan(companies as u64, lines),
        Kind::HaloPsa => floor::halopsa_plan(companies as u64, lines),
    };
    let reads_floor = match kind {
        Kind::Autotask => floor::autotask_plan(companies as u64, lines, true),
        Kind::ConnectWise => floor::connectwise_plan(companies as u64, lines),
        Kind::HaloPsa => floor::halopsa_plan(companies as u64, lines),
    };
    let plan_time = started.elapsed();
    let plan_cpu = cpu.split();
    let plan_requests = psa.requests_used().total();
    report(
        "plan",
        plan_time,
        &psa.requests_used(),
        &plan_floor,
        args.latency,
    );
    println!("  plan {plan_cpu}");
    // The floor counts PSA requests only; the plan also reads usage files (CPU) before them.
    let psa = reckon::psa::connect(&workspace)?;
    let cpu = cpu::mark();
    let started = Instant::now();
    let at = workspace.effective_date(period);
    runtime.block_on(reckon::ops::observe::psa_snapshot(&psa, at))?;
    let reads = started.elapsed();
    println!(
        "  plan's PSA reads alone (observe::psa_snapshot): {:.2} s; measured/floor {}; {}",
        reads.as_secs_f64(),
        ratio(reads, reads_floor.time(args.latency)),
        cpu.split()
    );
    let changes = plan.applicable().count();
    println!(
        "  plan: {changes} changes of {} lines",
        companies * LINES.len()
    );

    tenant.set_latency(args.apply_latency);
    let psa = &planner;
    let before = psa.requests_used();
    let state_dir = workspace.root.join(reckon::state::STATE_DIR);
    std::fs::create_dir_all(&state_dir)?;
    let writer = Writer::open(&state_dir)?;
    let mut journal = ApplyJournal::new(writer, "bench".into(), None, period, None);
    reset_peak_memory();
    let cpu = cpu::mark();
    let started = Instant::now();
    let applied = runtime.block_on(reckon::apply::execute(&plan, psa, &mut journal, |_| {}));
    let apply_time = started.elapsed();
    let apply_cpu = cpu.split();
    let (apply_floor, protocol) = match kind {
        Kind::Autotask => (
            floor::autotask_apply(changes as u64),
            floor::autotask_apply_protocol(changes as u64),
        ),
        Kind::ConnectWise => (
            floor::connectwise_apply(changes as u64),
            floor::connectwise_apply_protocol(changes as u64, agreements_written(&plan)),
        ),
        Kind::HaloPsa => (
            floor::halopsa_apply(changes as u64),
            floor::halopsa_apply_protocol(changes as u64, companies_written(&plan)),
        ),
    };
    let used = since(&before, &psa.requests_used());
    report("apply", apply_time, &used, &apply_floor, args.apply_latency);
    println!("  apply {apply_cpu}");
    println!(
        "  apply: {:.3} requests per changed line ({} requests, {changes} changed lines)",
        used.total() as f64 / changes.max(1) as f64,
        used.total()
    );
    let protocol_time = protocol.time(args.apply_latency);
    println!(
        "  apply floor with the adapter's reads: {} = {:.2} s; measured/floor {}",
        protocol.explain(args.apply_latency),
        protocol_time.as_secs_f64(),
        ratio(apply_time, protocol_time)
    );
    println!(
        "  apply: {} applied, {} failed; {} writes at once (Psa::write_concurrency); journal: {} fsyncs for {} intents",
        applied.applied(),
        applied.failed(),
        psa.write_concurrency(),
        journal.writer().syncs(),
        applied.results.len()
    );
    verify(&tenant, &book, changes)?;

    if args.naive {
        tenant.set_latency(args.latency);
        naive::compare(runtime, &tenant, (plan_requests, plan_time))?;
    }
    Ok(())
}

/// How many contracts the plan's writes touch (ConnectWise checks them 25 to a bundle).
fn agreements_written(plan: &reckon::plan::Plan) -> u64 {
    let contracts: std::collections::BTreeSet<&str> =
        plan.applicable().map(|c| c.contract.as_str()).collect();
    contracts.len() as u64
}

/// How many companies the plan's writes touch (HaloPSA lists their invoices 50 clients a
/// request).
fn companies_written(plan: &reckon::plan::Plan) -> u64 {
    let companies: std::collections::BTreeSet<&str> =
        plan.applicable().map(|c| c.psa_company.as_str()).collect();
    companies.len() as u64
}

/// The workspace for `tenant` in `dir`, loaded and validated.
fn workspace(
    dir: &Path,
    book: &Book,
    tenant: &Tenant,
) -> Result<reckon::config::Workspace, Failure> {
    let block = tenant.psa_block(dir)?;
    msp::write_workspace(dir, book, &block, &tenant.services)?;
    reckon::config::load(dir).map(|l| l.workspace).map_err(|d| {
        let mut text = Vec::new();
        let _ = reckon::render::diagnostics::text(
            &mut text,
            &d,
            reckon::render::Style { color: false },
        );
        String::from_utf8_lossy(&text).into_owned().into()
    })
}

/// The requests counted in `now` and not in `before`, by endpoint.
fn since(before: &RequestCount, now: &RequestCount) -> RequestCount {
    let earlier = |endpoint: &str| {
        before
            .by_endpoint
            .iter()
            .find(|(e, _)| e == endpoint)
            .map_or(0, |(_, n)| *n)
    };
    RequestCount {
        by_endpoint: now
            .by_endpoint
            .iter()
            .map(|(e, n)| (e.clone(), n - earlier(e)))
            .filter(|(_, n)| *n > 0)
            .collect(),
    }
}

/// Prints one phase's figures.
fn report(phase: &str, took: Duration, used: &RequestCount, floor: &Floor, latency: Duration) {
    let floor_time = floor.time(latency);
    let ratio = ratio(took, floor_time);
    println!(
        "  {phase}: {:.2} s at {} ms/request, {} requests, peak RSS {} MB (bench process, simulator included)",
        took.as_secs_f64(),
        latency.as_millis(),
        used.total(),
        peak_memory_mb()
    );
    for (endpoint, n) in &used.by_endpoint {
        println!("    {endpoint:<48} {n:>6}");
    }
    println!(
        "  {phase} floor: {} = {:.2} s; measured/floor {ratio}",
        floor.explain(latency),
        floor_time.as_secs_f64()
    );
}

/// `measured/floor`, or n/a at zero latency.
fn ratio(measured: Duration, floor: Duration) -> String {
    if floor.is_zero() {
        "n/a".to_owned()
    } else {
        format!("{:.2}×", measured.as_secs_f64() / floor.as_secs_f64())
    }
}

/// Every line holds its desired quantity, and each changed line was written exactly once.
fn verify(tenant: &Tenant, book: &Book, changes: usize) -> Result<(), Failure> {
    let wrong = tenant
        .quantities()
        .iter()
        .zip(&book.desired)
        .flat_map(|(live, desired)| live.iter().zip(desired))
        .filter(|(live, desired)| **live != rust_decimal::Decimal::from(**desired))
        .count();
    let writes = tenant.writes_per_line();
    let repeated = writes.values().filter(|n| **n > 1).count();
    println!(
        "  check: {wrong} lines differ from desired; {} lines written, {repeated} written more than once",
        writes.len()
    );
    if wrong > 0 || repeated > 0 || writes.len() != changes {
        return Err(format!("apply left {wrong} lines wrong, {repeated} written twice").into());
    }
    Ok(())
}

/// Resets the kernel's peak-RSS mark of this process (Linux; ignored elsewhere).
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak resident memory since the last reset, in MB (0 where /proc is missing).
pub fn peak_memory_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}
