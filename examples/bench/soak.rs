//! Soak: apply cycles against one simulator under random faults and random usage changes, with
//! a seeded generator so a failing run repeats. Each cycle writes new usage, queues faults,
//! plans and applies through the library with the apply journal (sometimes "killing" the apply
//! by dropping it at a random moment, mid-request included), then checks every line: a line
//! reported applied holds its new quantity; every other line holds what it held before or its
//! new quantity (pending, as a failed or unknown write is); no line got two writes in a cycle
//! (for Autotask, two deltas would double-bill). At the end, without faults, one more apply
//! must leave every line at its desired quantity.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use reckon::apply::Outcome;
use reckon::psa::AnyPsa;
use reckon::secret::Secret;
use reckon::state::journal::{ApplyJournal, Writer};
use rust_decimal::Decimal;
use tokio::runtime::Runtime;

use crate::msp::{self, Book, LINES, Lcg};
use crate::run::Failure;
use crate::tenant::{Server, Tenant};
use crate::{Kind, sim};

/// Customers in the soak's book (small: the soak is about faults, not scale).
const COMPANIES: usize = 50;
/// The client's timeout; "slow" faults hold the answer longer.
const TIMEOUT: Duration = Duration::from_millis(500);

/// Faults injected and checks made, for the closing report.
#[derive(Default)]
struct Tally {
    injected: BTreeMap<&'static str, u32>,
    kills: u32,
    plans_failed: u32,
    applied: usize,
    pending: usize,
    double: usize,
    lost: usize,
    repeats: usize,
}

/// Runs `cycles` apply cycles against `kind`; fails on the first broken invariant.
pub fn run(runtime: &Runtime, kind: Kind, cycles: u32) -> Result<(), Failure> {
    let started = std::time::Instant::now();
    let mut book = Book::generate(COMPANIES, 7);
    let tenant = Tenant::start(kind, &book);
    tenant.set_latency(Duration::from_millis(2));
    let dir = tempfile::tempdir()?;
    let block = tenant.psa_block(dir.path())?;
    msp::write_workspace(dir.path(), &book, &block, &tenant.services)?;
    let workspace = reckon::config::load(dir.path())
        .map(|l| l.workspace)
        .map_err(|_| "the soak workspace does not load")?;
    let state_dir = workspace.root.join(reckon::state::STATE_DIR);
    std::fs::create_dir_all(&state_dir)?;
    let period: reckon::period::Period = msp::PERIOD.parse()?;
    let where_is: HashMap<String, (usize, usize)> = tenant
        .customers
        .iter()
        .enumerate()
        .flat_map(|(c, ids)| (0..LINES.len()).map(move |l| (ids.lines[l].to_string(), (c, l))))
        .collect();
    let mut rng = Lcg(0x50a4 + kind as u64);
    let mut tally = Tally::default();

    for cycle in 0..=cycles {
        let last = cycle == cycles;
        if !last {
            change_usage(&mut rng, &mut book);
            msp::write_usage(dir.path(), &book)?;
            for _ in 0..1 + rng.below(3) {
                inject(&tenant, &mut rng, &mut tally);
            }
        }
        let before = tenant.quantities();
        let writes_before = tenant.writes_per_line();
        let psa = client(&tenant)?;
        let plan = match runtime.block_on(reckon::reconcile::plan(&workspace, &psa, period, &[])) {
            Ok(plan) => plan,
            Err(_) if !last => {
                tally.plans_failed += 1;
                continue;
            }
            Err(e) => return Err(format!("the final plan failed: {e}").into()),
        };
        let writer = Writer::open(&state_dir)?;
        let mut journal = ApplyJournal::new(writer, format!("soak-{cycle}"), None, period, None);
        let apply = reckon::apply::execute(&plan, &psa, &mut journal, |_| {});
        // A kill: the apply is dropped at a random moment, possibly mid-request.
        let kill_after =
            (!last && rng.below(4) == 0).then(|| Duration::from_millis(5 + rng.below(40)));
        let report = runtime.block_on(async {
            match kill_after {
                Some(after) => tokio::time::timeout(after, apply).await.ok(),
                None => Some(apply.await),
            }
        });
        tally.kills += u32::from(report.is_none());
        if report.is_none() {
            // A killed process's request in flight still lands; check once it has (the
            // simulator commits within its 2 ms latency; a held answer is already committed).
            std::thread::sleep(Duration::from_millis(200));
        }
        let after = tenant.quantities();
        let applied: HashMap<&str, Decimal> = report
            .iter()
            .flat_map(|r| &r.results)
            .filter(|r| r.outcome == Outcome::Applied)
            .filter_map(|r| Some((r.change.line.as_deref()?, r.change.quantity)))
            .collect();
        let planned: HashMap<&str, Decimal> = plan
            .applicable()
            .filter_map(|c| Some((c.line.as_deref()?, c.quantity)))
            .collect();
        for (line, &(c, l)) in &where_is {
            let (was, now) = (before[c][l], after[c][l]);
            match (applied.get(line.as_str()), planned.get(line.as_str())) {
                (Some(&want), _) if now != want => tally.lost += 1,
                (Some(_), _) => tally.applied += 1,
                (None, Some(&want)) if now != was && now != want => tally.double += 1,
                (None, Some(&want)) if now != want => tally.pending += 1,
                (None, None) if now != was => tally.double += 1,
                _ => {}
            }
        }
        let twice = tenant
            .writes_per_line()
            .iter()
            .filter(|(line, n)| **n > writes_before.get(line).copied().unwrap_or(0) + 1)
            .count();
        // An Autotask adjustment is a delta: a second one double-bills. A ConnectWise PATCH
        // sets the value, so repeating it (a retry after a timeout) is harmless; counted apart.
        match kind {
            Kind::Autotask => tally.double += twice,
            Kind::ConnectWise => tally.repeats += twice,
        }
        if tally.lost + tally.double > 0 {
            return Err(format!(
                "{} cycle {cycle}: {} lost writes, {} double writes",
                kind.name(),
                tally.lost,
                tally.double
            )
            .into());
        }
    }
    let wrong = tenant
        .quantities()
        .iter()
        .zip(&book.desired)
        .flat_map(|(live, desired)| live.iter().zip(desired))
        .filter(|(live, desired)| **live != Decimal::from(**desired))
        .count();
    print(kind, cycles, &tally, wrong, started.elapsed());
    if wrong > 0 {
        return Err(format!(
            "{}: {wrong} lines not at their desired quantity",
            kind.name()
        )
        .into());
    }
    Ok(())
}

/// About one line in ten gets a new usage figure.
fn change_usage(rng: &mut Lcg, book: &mut Book) {
    for lines in &mut book.desired {
        for quantity in lines.iter_mut() {
            if rng.below(10) == 0 {
                *quantity = 1 + rng.below(60) as i64;
            }
        }
    }
}

/// Queues one random fault on a random endpoint the apply or plan uses.
fn inject(tenant: &Tenant, rng: &mut Lcg, tally: &mut Tally) {
    let slow = TIMEOUT * 3;
    match &tenant.server {
        Server::Autotask(sim) => {
            let endpoints = [
                "ContractServiceAdjustments",
                "ContractServiceAdjustments",
                "ContractServiceUnits",
                "Companies",
                "Contracts",
            ];
            let endpoint = endpoints[rng.below(endpoints.len() as u64) as usize];
            use sim::autotask::Fault;
            let (name, fault) = match rng.below(5) {
                0 => ("429 Retry-After", Fault::TooManyRequests { retry_after: 1 }),
                1 => ("thread limit", Fault::ThreadLimit(500)),
                2 => ("500", Fault::ServerError),
                3 => ("timeout (after commit)", Fault::SlowAfterCommit(slow)),
                _ => ("connection dropped after commit", Fault::DropAfterCommit),
            };
            sim.inject(endpoint, fault);
            *tally.injected.entry(name).or_default() += 1;
        }
        Server::ConnectWise(sim) => {
            use axum::http::Method;
            use sim::connectwise::FaultKind;
            let (method, path) = match rng.below(4) {
                0 | 1 => (Method::PATCH, "/additions/"),
                2 => (Method::GET, "/additions/"),
                _ => (Method::POST, "system/bundles"),
            };
            let (name, kind) = match rng.below(4) {
                0 => (
                    "429 Retry-After",
                    FaultKind::TooManyRequests { retry_after: 1 },
                ),
                1 => ("500", FaultKind::ServerError),
                2 => ("timeout (commits late)", FaultKind::Slow(slow)),
                _ => ("connection dropped mid-answer", FaultKind::Drop),
            };
            sim.state().fault(method, path, kind, 1);
            *tally.injected.entry(name).or_default() += 1;
        }
    }
}

/// The adapter with short timeouts and backoffs, so faults cost the soak little time.
fn client(tenant: &Tenant) -> Result<AnyPsa, Failure> {
    Ok(match &tenant.server {
        Server::Autotask(sim) => {
            use reckon::psa::autotask::{AutotaskPsa, Credentials, Options};
            let credentials = Credentials {
                username: Secret::new(sim::autotask::USERNAME),
                secret: Secret::new(sim::autotask::SECRET),
                integration_code: Secret::new(sim::autotask::INTEGRATION_CODE),
            };
            let options = Options {
                timeout: TIMEOUT,
                backoff: Duration::from_millis(20),
                max_backoff: Duration::from_secs(1),
                ..Options::default()
            };
            AnyPsa::Autotask(Box::new(AutotaskPsa::new(
                credentials,
                Some(sim.base_url()),
                options,
            )?))
        }
        Server::ConnectWise(sim) => {
            use reckon::psa::connectwise::{ConnectWisePsa, Options, Settings};
            let settings = Settings {
                site: sim.site(),
                company_id: sim::connectwise::COMPANY_ID.into(),
                public_key: Secret::new(sim::connectwise::PUBLIC_KEY),
                private_key: Secret::new(sim::connectwise::PRIVATE_KEY),
                client_id: sim::connectwise::CLIENT_ID.into(),
                base_url: Some(sim.base_url()),
            };
            let options = Options {
                timeout: TIMEOUT,
                attempts: 4,
                backoff: Duration::from_millis(20),
                max_retry_after: Duration::from_secs(2),
            };
            AnyPsa::ConnectWise(ConnectWisePsa::new(settings, options)?)
        }
    })
}

fn print(kind: Kind, cycles: u32, tally: &Tally, wrong: usize, took: Duration) {
    let injected: u32 = tally.injected.values().sum();
    println!(
        "\n== soak {}: {cycles} cycles + 1 without faults, {COMPANIES} companies, {:.1} s",
        kind.name(),
        took.as_secs_f64()
    );
    println!("  faults injected: {injected}");
    for (name, n) in &tally.injected {
        println!("    {name:<36} {n:>4}");
    }
    println!(
        "  applies killed mid-way: {}; plans that failed under a fault (retried next cycle): {}",
        tally.kills, tally.plans_failed
    );
    println!(
        "  line checks: {} applied as reported, {} pending after a failure or kill, {} double writes, {} lost writes",
        tally.applied, tally.pending, tally.double, tally.lost
    );
    if kind == Kind::ConnectWise {
        println!(
            "  lines PATCHed twice in one cycle (same value, a retry after a timeout): {}",
            tally.repeats
        );
    }
    println!("  end: {wrong} lines differ from desired");
}
