//! Soak: apply cycles against one simulator under random faults and random usage changes, with
//! a seeded generator so a failing run repeats. Each cycle writes new usage, queues faults, then
//! either plans and applies through the library with the apply journal, or — one cycle in four —
//! runs the real `reckon apply` and SIGKILLs it mid-apply (`kill.rs`), after which the operator's
//! recovery runs through the binary: status, unlock, and a fault-free cycle whose plan must
//! report the killed writes and whose apply must close them and converge.
//!
//! After every cycle, once the simulator holds no open connection (so nothing sent can still
//! land), every line is checked: a line reckon reports applied holds its new (desired)
//! quantity; every other line holds what it held before or its new quantity (pending, as a
//! failed or unknown write is); no Autotask line got two adjustments in a cycle (each is a
//! delta: two would double-bill). At the end, without faults, one more apply must leave every
//! line at its desired quantity.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use reckon::apply::Outcome;
use reckon::config::Workspace;
use reckon::period::Period;
use reckon::psa::AnyPsa;
use reckon::secret::Secret;
use reckon::state::journal::ApplyJournal;
use rust_decimal::Decimal;
use tokio::runtime::Runtime;

use crate::binary::Reckon;
use crate::kill::{self, Ended, Killed};
use crate::msp::{self, Book, LINES, Lcg};
use crate::run::Failure;
use crate::state::State;
use crate::tenant::{Server, Tenant};
use crate::{Kind, sim};

/// Customers in the soak's book (small: the soak is about faults, not scale).
const COMPANIES: usize = 50;
/// The client's timeout in library cycles; "slow" faults hold the answer longer.
const TIMEOUT: Duration = Duration::from_millis(500);

/// Faults injected and checks made, for the closing report.
#[derive(Default)]
struct Tally {
    injected: BTreeMap<&'static str, u32>,
    unused: usize,
    plans_failed: u32,
    kills: u32,
    finished_first: u32,
    unknown: usize,
    landed: usize,
    resolved: usize,
    locks_removed: u32,
    applied: usize,
    pending: usize,
    double: usize,
    lost: usize,
    repeats: usize,
}

/// What a cycle does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cycle {
    /// Plan and apply through the library, under faults.
    Library,
    /// The real `reckon apply` under faults, killed mid-apply.
    Kill,
    /// After a kill, without faults: `reckon plan` and `reckon apply`; must converge.
    Recovery,
    /// The last, without faults, through the library; must converge.
    Final,
}

/// Everything a cycle works on.
struct Soak<'a> {
    runtime: &'a Runtime,
    kind: Kind,
    tenant: Tenant,
    workspace: Workspace,
    period: Period,
    reckon: &'a Reckon,
    /// Where the lock and the journal live (`--state`).
    state: State,
    /// Each line id's (customer, line) position in the book.
    where_is: HashMap<String, (usize, usize)>,
}

/// Runs `cycles` apply cycles against `kind`; fails on the first broken invariant.
pub fn run(
    runtime: &Runtime,
    kind: Kind,
    cycles: u32,
    reckon: &Reckon,
    postgres: bool,
) -> Result<(), Failure> {
    let started = std::time::Instant::now();
    let mut book = Book::generate(COMPANIES, 7);
    let tenant = Tenant::start(kind, &book);
    tenant.set_latency(Duration::from_millis(2));
    let dir = tempfile::tempdir()?;
    let block = tenant.psa_block(dir.path())?;
    msp::write_workspace(dir.path(), &book, &block, &tenant.services)?;
    let state = State::set_up(dir.path(), postgres)?;
    let workspace = reckon::config::load(dir.path())
        .map(|l| l.workspace)
        .map_err(|_| "the soak workspace does not load")?;
    let where_is = tenant
        .customers
        .iter()
        .enumerate()
        .flat_map(|(c, ids)| (0..LINES.len()).map(move |l| (ids.lines[l].to_string(), (c, l))))
        .collect();
    let soak = Soak {
        runtime,
        kind,
        tenant,
        workspace,
        period: msp::PERIOD.parse()?,
        reckon,
        state,
        where_is,
    };
    let mut rng = Lcg(0x50a4 + kind as u64);
    let mut tally = Tally::default();
    let mut killed: Option<Killed> = None;
    for cycle in 0..=cycles {
        let last = cycle == cycles;
        let mode = match (&killed, last) {
            (Some(_), _) => Cycle::Recovery,
            (None, true) => Cycle::Final,
            (None, false) if rng.below(4) == 0 => Cycle::Kill,
            (None, false) => Cycle::Library,
        };
        if !last {
            change_usage(&mut rng, &mut book);
            msp::write_usage(dir.path(), &book)?;
        }
        match mode {
            Cycle::Library | Cycle::Kill => {
                for _ in 0..1 + rng.below(3) {
                    inject(&soak.tenant, &mut rng, &mut tally);
                }
            }
            Cycle::Recovery | Cycle::Final => tally.unused += soak.tenant.clear_faults(),
        }
        soak.cycle(mode, cycle, &book, &mut rng, &mut tally, &mut killed)
            .map_err(|e| format!("{} cycle {cycle}: {e}", kind.name()))?;
    }
    let backend = if postgres { "postgres" } else { "local" };
    print(
        kind,
        backend,
        cycles,
        &tally,
        soak.wrong(&book),
        started.elapsed(),
    );
    Ok(())
}

impl Soak<'_> {
    /// One cycle after its usage change and faults: apply as `mode` says, wait until nothing
    /// sent can still land, check every line, and after a kill unlock as an operator.
    fn cycle(
        &self,
        mode: Cycle,
        cycle: u32,
        book: &Book,
        rng: &mut Lcg,
        tally: &mut Tally,
        killed: &mut Option<Killed>,
    ) -> Result<(), Failure> {
        let before = self.live();
        let writes_before = self.tenant.writes_per_line();
        let applied = match mode {
            Cycle::Library | Cycle::Final => self.apply_in_process(cycle, mode == Cycle::Final)?,
            Cycle::Kill => Some(self.kill(rng, tally, killed)?),
            Cycle::Recovery => Some(self.recover(&before, tally, killed)?),
        };
        let Some(applied) = applied else {
            tally.plans_failed += 1;
            return Ok(());
        };
        self.runtime.block_on(self.tenant.quiesce())?;
        self.check(&before, &writes_before, &applied, book, tally);
        if let Some(k) = killed {
            kill::unlock(self.reckon, &self.workspace.root, &self.state, k)?;
            tally.locks_removed += 1;
        }
        let converge = matches!(mode, Cycle::Recovery | Cycle::Final);
        let wrong = if converge { self.wrong(book) } else { 0 };
        if tally.lost + tally.double + wrong > 0 {
            return Err(format!(
                "{} lost writes, {} double writes, {wrong} lines not converged",
                tally.lost, tally.double
            )
            .into());
        }
        Ok(())
    }

    /// Runs the real `reckon apply` and SIGKILLs it a random 0–24 ms after its first intent;
    /// returns the lines its journal records as applied and, when it was killed, leaves it in
    /// `killed` for the next cycle's recovery.
    fn kill(
        &self,
        rng: &mut Lcg,
        tally: &mut Tally,
        killed: &mut Option<Killed>,
    ) -> Result<HashSet<String>, Failure> {
        let delay = Duration::from_millis(rng.below(25));
        let child = kill::apply_and_kill(self.reckon, &self.workspace.root, &self.state, delay)?;
        match child.ended {
            Ended::Killed(k) => {
                tally.kills += 1;
                tally.unknown += k.unknown.len();
                *killed = Some(k);
            }
            Ended::Finished => tally.finished_first += 1,
            Ended::BeforeWriting(Some(0)) => {}
            Ended::BeforeWriting(_) => tally.plans_failed += 1,
        }
        Ok(child.applied)
    }

    /// The fault-free cycle after a kill, through the binary (see [`kill::recover`]); counts
    /// the unknown writes that had landed (their line holds what they were writing).
    fn recover(
        &self,
        live: &HashMap<String, Decimal>,
        tally: &mut Tally,
        killed: &mut Option<Killed>,
    ) -> Result<HashSet<String>, Failure> {
        let k = killed.take().ok_or("a recovery cycle without a kill")?;
        tally.landed += k
            .unknown
            .iter()
            .filter(|i| i.line.as_ref().map(|l| live[l]) == Some(i.after))
            .count();
        let applied = kill::recover(self.reckon, &self.workspace.root, &self.state, &k, live)?;
        tally.resolved += k.unknown.len();
        Ok(applied)
    }

    /// Plans and applies through the library; returns the lines reported applied, or `None`
    /// when the plan failed under a fault (fatal in the `last` cycle). Every kill was recovered
    /// before, so the plan must report no interrupted write.
    fn apply_in_process(&self, cycle: u32, last: bool) -> Result<Option<HashSet<String>>, Failure> {
        let psa = client(&self.tenant)?;
        let planned = self.runtime.block_on(reckon::ops::plan::plan(
            &self.workspace,
            &psa,
            &reckon::ops::plan::Request::all(self.period, self.period.next_month_start()),
        ));
        let plan = match planned {
            Ok(plan) => plan,
            Err(_) if !last => return Ok(None),
            Err(e) => return Err(format!("the final plan failed: {e}").into()),
        };
        if !plan.interrupted.is_empty() {
            return Err(format!(
                "the plan reports {} interrupted writes, none expected",
                plan.interrupted.len()
            )
            .into());
        }
        // The workspace's own backend, as `reckon apply` takes it: lock, then journal.
        let report = self.runtime.block_on(async {
            let held = reckon::state::Store::open(&self.workspace)
                .await?
                .lock("soak", Duration::ZERO)
                .await?;
            let mut journal = ApplyJournal::new(
                held.sink(),
                format!("soak-{cycle}"),
                None,
                self.period,
                None,
            );
            let report = reckon::apply::execute(&plan, &psa, &mut journal, |_| {}).await;
            drop(journal);
            held.release().await;
            Ok::<_, reckon::error::Error>(report)
        })?;
        Ok(Some(
            report
                .results
                .iter()
                .filter(|r| r.outcome == Outcome::Applied)
                .filter_map(|r| r.change.line().map(str::to_owned))
                .collect(),
        ))
    }

    /// Every line's live quantity, by line id.
    fn live(&self) -> HashMap<String, Decimal> {
        let quantities = self.tenant.quantities();
        self.where_is
            .iter()
            .map(|(line, &(c, l))| (line.clone(), quantities[c][l]))
            .collect()
    }

    /// Checks every line against what it held `before` and its desired quantity, and the
    /// writes each got since `writes_before`, counting into `tally`.
    fn check(
        &self,
        before: &HashMap<String, Decimal>,
        writes_before: &HashMap<i64, u32>,
        applied: &HashSet<String>,
        book: &Book,
        tally: &mut Tally,
    ) {
        let after = self.live();
        for (line, &(c, l)) in &self.where_is {
            let (was, now, want) = (before[line], after[line], Decimal::from(book.desired[c][l]));
            match applied.contains(line) {
                true if now != want => tally.lost += 1,
                true => tally.applied += 1,
                false if now != was && now != want => tally.double += 1,
                false if now != want => tally.pending += 1,
                false => {}
            }
        }
        let twice = self
            .tenant
            .writes_per_line()
            .iter()
            .filter(|(line, n)| **n > writes_before.get(line).copied().unwrap_or(0) + 1)
            .count();
        // An Autotask adjustment is a delta: a second one double-bills. A ConnectWise PATCH
        // sets the value, so repeating it (a retry after a timeout) is harmless; counted apart.
        match self.kind {
            Kind::Autotask => tally.double += twice,
            Kind::ConnectWise => tally.repeats += twice,
            // HaloPSA's write is re-read, never re-sent: a second one would be reckon's fault.
            Kind::HaloPsa => tally.double += twice,
        }
    }

    /// Lines not at their desired quantity.
    fn wrong(&self, book: &Book) -> usize {
        let live = self.live();
        self.where_is
            .iter()
            .filter(|&(line, &(c, l))| live[line] != Decimal::from(book.desired[c][l]))
            .count()
    }
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
                // Both do the work, then hold the answer past the client's timeout (Slow) or
                // cut it (Drop): a PATCH lands and its client, not knowing, repeats it.
                2 => ("timeout (after commit)", FaultKind::Slow(slow)),
                _ => ("connection dropped after commit", FaultKind::Drop),
            };
            sim.state().fault(method, path, kind, 1);
            *tally.injected.entry(name).or_default() += 1;
        }
        Server::HaloPsa(sim) => {
            use axum::http::Method;
            use sim::halopsa::FaultKind;
            let (method, path) = match rng.below(4) {
                0 | 1 => (Method::POST, "/updatelines"),
                2 => (Method::GET, "/api/RecurringInvoice/"),
                _ => (Method::GET, "/api/Client"),
            };
            let (name, kind) = match rng.below(5) {
                0 => (
                    "429 Retry-After",
                    FaultKind::TooManyRequests { retry_after: 1 },
                ),
                1 => ("500", FaultKind::ServerError),
                2 => ("401 (token expired)", FaultKind::Unauthorized),
                3 => ("timeout (after commit)", FaultKind::Slow(slow)),
                _ => ("connection dropped after commit", FaultKind::Drop),
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
                ..Options::default()
            };
            AnyPsa::ConnectWise(ConnectWisePsa::new(settings, options)?)
        }
        Server::HaloPsa(sim) => {
            use reckon::psa::halopsa::{HaloPsa, Options, Settings};
            let settings = Settings {
                resource_server: sim.resource_server(),
                auth_server: sim.auth_server(),
                client_id: Secret::new(sim::halopsa::CLIENT_ID),
                client_secret: Secret::new(sim::halopsa::CLIENT_SECRET),
                tenant: None,
            };
            let options = Options {
                timeout: TIMEOUT,
                attempts: 4,
                backoff: Duration::from_millis(20),
                max_retry_after: Duration::from_secs(2),
                ..Options::default()
            };
            AnyPsa::HaloPsa(Box::new(HaloPsa::new(settings, options)?))
        }
    })
}

fn print(kind: Kind, backend: &str, cycles: u32, tally: &Tally, wrong: usize, took: Duration) {
    let injected: u32 = tally.injected.values().sum();
    println!(
        "\n== soak {} (state: {backend}): {cycles} cycles + 1 without faults, {COMPANIES} companies, {:.1} s",
        kind.name(),
        took.as_secs_f64()
    );
    println!(
        "  faults injected: {injected} ({} met no request and were cleared before a fault-free cycle)",
        tally.unused
    );
    for (name, n) in &tally.injected {
        println!("    {name:<40} {n:>4}");
    }
    println!(
        "  reckon apply processes SIGKILLed mid-apply: {}; finished before the signal: {}; \
         plans that failed under a fault (retried next cycle): {}",
        tally.kills, tally.finished_first, tally.plans_failed
    );
    println!(
        "  writes the kills left with unknown outcome: {} ({} had landed); reported by the next plan and \
         resolved by the next apply: {}; dead processes' locks removed with reckon unlock: {}",
        tally.unknown, tally.landed, tally.resolved, tally.locks_removed
    );
    println!(
        "  line checks: {} applied as reported, {} pending after a failure or kill, {} double writes, {} lost writes",
        tally.applied, tally.pending, tally.double, tally.lost
    );
    if kind == Kind::ConnectWise {
        println!(
            "  lines given a second committed PATCH in one cycle (a retry after an answer lost after \
             the commit; a PATCH sets the value): {}",
            tally.repeats
        );
    }
    println!("  end: {wrong} lines differ from desired");
}
