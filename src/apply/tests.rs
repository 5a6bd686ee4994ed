//! `execute` against the sandbox and against a fake PSA whose writes take a set time (on tokio's
//! paused clock, so overlap is exact, not timing luck): bracketing by the journal, refused
//! intents, held changes, writes overlapping up to the PSA's limit, and plan order.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use tokio::time::{Instant, sleep};

use super::*;
use crate::observed::{Company, Contract, Service};
use crate::plan::{Approval, MatchedBy};
use crate::psa::CheckStep;
use crate::psa::sandbox::SandboxPsa;
use crate::usage::{BillingModel, Rounding, RoundingMode};

const SANDBOX: &str = "companies: [{id: \"1\", name: Acme}]\nservices: [{id: S, name: S}]\ncontracts:\n  - {id: C-1, company: \"1\", name: Acme, lines: [{id: C-1-1, service: S, quantity: \"1\"}]}\n";

/// What happened, in order, across the fake journal and the fake PSA.
#[derive(Debug, Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, event: String) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(event);
    }

    fn events(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn at(&self, event: &str) -> usize {
        let events = self.events();
        events
            .iter()
            .position(|e| e == event)
            .unwrap_or_else(|| panic!("no `{event}` in {events:?}"))
    }

    /// The lines of the events starting with `what `, in order.
    fn lines(&self, what: &str) -> Vec<String> {
        let prefix = format!("{what} ");
        self.events()
            .iter()
            .filter_map(|e| e.strip_prefix(&prefix).map(str::to_owned))
            .collect()
    }
}

/// A journal that logs `intent LINE` when asked and `durable LINE` once its (simulated) sync
/// of `sync` has passed, then each outcome; it refuses the intents of the lines in `refuse`.
#[derive(Default)]
struct Recording {
    log: Log,
    sync: Duration,
    refuse: Vec<String>,
    fail_finish: bool,
    lines: Mutex<HashMap<u32, String>>,
    next: AtomicU32,
}

impl Recording {
    fn on(log: &Log) -> Self {
        Self {
            log: log.clone(),
            ..Self::default()
        }
    }
}

impl Journal for Recording {
    async fn intent(&self, change: &Change) -> std::io::Result<IntentId> {
        let line = change.line().unwrap_or_default().to_owned();
        if self.refuse.contains(&line) {
            return Err(std::io::Error::other("disk full"));
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, line.clone());
        self.log.push(format!("intent {line}"));
        // As the real journal's group commit does: intents pushed together share one sync,
        // which starts only when the intent is polled again.
        tokio::task::yield_now().await;
        sleep(self.sync).await;
        self.log.push(format!("durable {line}"));
        Ok(IntentId(id))
    }

    fn outcome(&self, intent: IntentId, outcome: &Outcome) -> std::io::Result<()> {
        let what = if *outcome == Outcome::Applied {
            "applied"
        } else {
            "other"
        };
        let lines = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
        self.log.push(format!("{what} {}", lines[&intent.0]));
        Ok(())
    }

    async fn finish(&self) -> std::io::Result<()> {
        self.log.push("finish".into());
        if self.fail_finish {
            return Err(std::io::Error::other("no space left"));
        }
        Ok(())
    }
}

/// A PSA whose write to line `C-1-i` takes `took[i - 1]`, `limit` at once; it logs
/// `write LINE` and `wrote LINE` and keeps the most writes it ever had running together.
struct Timed {
    limit: usize,
    /// Whether apply takes the batched path ([`Psa::batches_line_reads`]).
    batched: bool,
    took: Vec<Duration>,
    log: Log,
    running: AtomicUsize,
    most: AtomicUsize,
}

impl Timed {
    fn new(limit: usize, took: Vec<Duration>, log: &Log) -> Self {
        Self {
            limit,
            batched: false,
            took,
            log: log.clone(),
            running: AtomicUsize::new(0),
            most: AtomicUsize::new(0),
        }
    }

    fn most(&self) -> usize {
        self.most.load(Ordering::SeqCst)
    }
}

impl Psa for Timed {
    fn describe(&self) -> String {
        "timed".into()
    }
    async fn companies(&self) -> Result<Vec<Company>, PsaError> {
        Ok(Vec::new())
    }
    async fn services(&self) -> Result<Vec<Service>, PsaError> {
        Ok(Vec::new())
    }
    async fn contracts(&self, _at: NaiveDate) -> Result<Vec<Contract>, PsaError> {
        Ok(Vec::new())
    }
    async fn line_quantity(&self, _line: &LineRef, _at: NaiveDate) -> Result<Decimal, PsaError> {
        Ok(Decimal::ONE)
    }
    async fn set_quantity(
        &self,
        line: &LineRef,
        _expected: Decimal,
        _quantity: Decimal,
        _at: NaiveDate,
    ) -> Result<(), PsaError> {
        let running = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(running, Ordering::SeqCst);
        self.log.push(format!("write {}", line.line));
        let index: usize = line.line["C-1-".len()..].parse().expect("line number");
        sleep(self.took[index - 1]).await;
        self.log.push(format!("wrote {}", line.line));
        self.running.fetch_sub(1, Ordering::SeqCst);
        Ok(())
    }
    async fn check(&self) -> Vec<CheckStep> {
        Vec::new()
    }
    async fn create_line(
        &self,
        _contract: &str,
        _service: &str,
        _quantity: Decimal,
        _at: NaiveDate,
    ) -> Result<String, PsaError> {
        Err(PsaError::Unavailable("not in this test".into()))
    }
    fn write_concurrency(&self) -> usize {
        self.limit
    }
    fn batches_line_reads(&self) -> bool {
        self.batched
    }
}

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).expect("date")
}

/// Line `C-1-i` of contract C-1 from 1 to 2 (also for the journal's tests).
pub(crate) fn update(i: usize) -> Change {
    Change {
        address: format!("k/a/s → Acme/S{i}"),
        action: Action::Update {
            line: format!("C-1-{i}"),
            from: Decimal::ONE,
        },
        integration: "k".into(),
        vendor_account: "a".into(),
        vendor_account_name: "a".into(),
        vendor_services: vec!["s".into()],
        psa_company: "1".into(),
        psa_company_name: "Acme".into(),
        psa_service: "S".into(),
        psa_service_name: String::new(),
        contract: "C-1".into(),
        usage: Decimal::TWO,
        quantity: Decimal::TWO,
        effective_date: date(),
        billing_model: BillingModel::Sum,
        rounding: Rounding {
            mode: RoundingMode::Nearest,
            decimals: 0,
        },
        matched_by: MatchedBy::Mapping,
        daily: Vec::new(),
        approval: Approval::NotNeeded,
        money: Default::default(),
    }
}

/// Updates of lines C-1-1 … C-1-n.
fn plan_of(n: usize) -> Plan {
    Plan {
        period: "2026-10".parse().expect("period"),
        effective_date: date(),
        psa: "sandbox".into(),
        integrations: vec!["k".into()],
        partial: false,
        changes: (1..=n).map(update).collect(),
        findings: vec![],
        interrupted: vec![],
        blockers: Vec::new(),
        provenance: Default::default(),
    }
}

fn lines(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("C-1-{i}")).collect()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn sandbox() -> (tempfile::TempDir, SandboxPsa) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("psa.yaml");
    std::fs::write(&path, SANDBOX).expect("write");
    let psa = SandboxPsa::new(path, "psa.yaml".into(), true);
    (dir, psa)
}

fn line() -> LineRef {
    LineRef {
        contract: "C-1".into(),
        line: "C-1-1".into(),
    }
}

#[tokio::test]
async fn every_write_is_bracketed_by_intent_and_outcome() {
    let (_dir, psa) = sandbox();
    let plan = plan_of(1);
    let log = Log::default();
    let report = execute(&plan, &psa, &mut Recording::on(&log), |_| {}).await;
    assert_eq!(report.applied(), 1);
    assert_eq!(
        log.events(),
        ["intent C-1-1", "durable C-1-1", "applied C-1-1", "finish"]
    );
    let now = psa.line_quantity(&line(), plan.effective_date).await;
    assert_eq!(now, Ok(Decimal::TWO));
}

#[tokio::test]
async fn no_write_happens_without_a_recorded_intent() {
    let (_dir, psa) = sandbox();
    let plan = plan_of(1);
    let mut journal = Recording {
        refuse: lines(1),
        ..Recording::default()
    };
    let report = execute(&plan, &psa, &mut journal, |_| {}).await;
    assert!(matches!(
        report.results[0].outcome,
        Outcome::NotAttempted(ref why) if why.contains("disk full")
    ));
    let now = psa.line_quantity(&line(), plan.effective_date).await;
    assert_eq!(now, Ok(Decimal::ONE));
}

#[tokio::test]
async fn changes_held_for_approval_are_not_written() {
    let (_dir, psa) = sandbox();
    let mut plan = plan_of(1);
    plan.changes[0].approval = Approval::Needed(vec!["too big".into()]);
    let report = execute(&plan, &psa, &mut Recording::default(), |_| {}).await;
    assert!(report.results.is_empty());
    let now = psa.line_quantity(&line(), plan.effective_date).await;
    assert_eq!(now, Ok(Decimal::ONE));
}

#[tokio::test(start_paused = true)]
async fn writes_overlap_up_to_the_psa_limit_and_never_beyond() {
    for limit in [1, 3] {
        let log = Log::default();
        let psa = Timed::new(limit, vec![ms(10); 7], &log);
        let started = Instant::now();
        let report = execute(&plan_of(7), &psa, &mut Recording::on(&log), |_| {}).await;
        assert_eq!(report.applied(), 7);
        assert_eq!(psa.most(), limit, "most writes at once");
        // 7 writes of 10 ms, `limit` at a time, each starting as soon as a slot frees.
        let rounds = 7_u32.div_ceil(u32::try_from(limit).expect("small"));
        assert_eq!(started.elapsed(), ms(10) * rounds, "limit {limit}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_slow_write_does_not_hold_up_the_writes_after_it() {
    let log = Log::default();
    let psa = Timed::new(2, vec![ms(50), ms(10), ms(10), ms(10), ms(10)], &log);
    let started = Instant::now();
    let report = execute(&plan_of(5), &psa, &mut Recording::on(&log), |_| {}).await;
    assert_eq!(report.applied(), 5);
    // C-1-1 takes one slot for 50 ms while the other four pass through the second slot.
    assert_eq!(started.elapsed(), ms(50));
    assert_eq!(psa.most(), 2);
}

#[tokio::test(start_paused = true)]
async fn every_write_starts_after_its_intent_is_durable_even_when_concurrent() {
    let log = Log::default();
    let psa = Timed::new(3, vec![ms(10); 6], &log);
    let mut journal = Recording {
        sync: ms(4),
        ..Recording::on(&log)
    };
    let report = execute(&plan_of(6), &psa, &mut journal, |_| {}).await;
    assert_eq!(report.applied(), 6);
    assert_eq!(psa.most(), 3, "the writes overlapped");
    for line in lines(6) {
        assert!(
            log.at(&format!("durable {line}")) < log.at(&format!("write {line}")),
            "{line} written before its intent was durable: {:?}",
            log.events()
        );
        assert!(log.at(&format!("wrote {line}")) < log.at(&format!("applied {line}")));
    }
}

/// The batched path records each round's intents while the round before it writes: only the
/// first round waits for a sync. (Pulling intents only as write slots freed started every
/// round's sync after the round before it ended: 4 + 3 × (4 + 10) = 42 ms here.)
#[tokio::test(start_paused = true)]
async fn batched_writes_wait_for_the_first_sync_only() {
    let log = Log::default();
    let psa = Timed {
        batched: true,
        ..Timed::new(3, vec![ms(10); 9], &log)
    };
    let mut journal = Recording {
        sync: ms(4),
        ..Recording::on(&log)
    };
    let started = Instant::now();
    let report = execute(&plan_of(9), &psa, &mut journal, |_| {}).await;
    assert_eq!(report.applied(), 9);
    assert_eq!(started.elapsed(), ms(4 + 3 * 10));
    assert_eq!(psa.most(), 3);
    for line in lines(9) {
        assert!(
            log.at(&format!("durable {line}")) < log.at(&format!("write {line}")),
            "{line} written before its intent was durable: {:?}",
            log.events()
        );
    }
    // Never more than one round of intents ahead of the writes started.
    let events = log.events();
    for (at, event) in events.iter().enumerate() {
        if event.starts_with("intent ") {
            let intents = events[..=at]
                .iter()
                .filter(|e| e.starts_with("intent "))
                .count();
            let writes = events[..at]
                .iter()
                .filter(|e| e.starts_with("write "))
                .count();
            assert!(
                intents <= writes + 3,
                "{intents} intents at {writes} writes: {events:?}"
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_refused_intent_stops_only_its_own_write() {
    let log = Log::default();
    let psa = Timed::new(3, vec![ms(10); 4], &log);
    let mut journal = Recording {
        refuse: vec!["C-1-2".into()],
        ..Recording::on(&log)
    };
    let report = execute(&plan_of(4), &psa, &mut journal, |_| {}).await;
    let outcomes: Vec<&Outcome> = report.results.iter().map(|r| &r.outcome).collect();
    assert!(
        matches!(outcomes[1], Outcome::NotAttempted(why) if why.contains("disk full")),
        "{outcomes:?}"
    );
    for i in [0, 2, 3] {
        assert_eq!(*outcomes[i], Outcome::Applied, "{outcomes:?}");
    }
    let mut written = log.lines("write");
    written.sort();
    assert_eq!(written, ["C-1-1", "C-1-3", "C-1-4"]);
}

#[tokio::test(start_paused = true)]
async fn results_come_in_plan_order_when_later_writes_finish_first() {
    let log = Log::default();
    let psa = Timed::new(4, vec![ms(40), ms(30), ms(20), ms(10)], &log);
    let mut seen = Vec::new();
    let report = execute(&plan_of(4), &psa, &mut Recording::on(&log), |result| {
        seen.push(result.change.line().unwrap_or_default().to_owned());
    })
    .await;
    assert_eq!(log.lines("wrote"), ["C-1-4", "C-1-3", "C-1-2", "C-1-1"]);
    // Outcomes are journalled as writes finish; results are reported in plan order.
    assert_eq!(log.lines("applied"), ["C-1-4", "C-1-3", "C-1-2", "C-1-1"]);
    assert_eq!(seen, lines(4));
    let reported: Vec<String> = report
        .results
        .iter()
        .map(|r| r.change.line().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(reported, lines(4));
}

#[tokio::test]
async fn a_journal_that_cannot_finish_is_reported_after_the_writes() {
    let (_dir, psa) = sandbox();
    let log = Log::default();
    let mut journal = Recording {
        fail_finish: true,
        ..Recording::on(&log)
    };
    let report = execute(&plan_of(1), &psa, &mut journal, |_| {}).await;
    assert_eq!(report.applied(), 1);
    assert_eq!(report.journal_error.as_deref(), Some("no space left"));
    assert_eq!(log.events().last().map(String::as_str), Some("finish"));
}
