//! Apply: execute a plan's actions against the PSA, one attempt each, and report every outcome.
//!
//! Decides nothing: quantities, lines and dates all come from the plan. Each write passes the
//! quantity the plan observed, so a line edited out of band since planning is refused by the
//! adapter rather than overwritten. A failed action does not stop the others (no action depends
//! on another); re-running apply after a partial failure is safe because a fresh plan only
//! contains the lines that still differ.
//!
//! Up to [`Psa::write_concurrency`] writes run at once — the PSA's own figure; its client still
//! enforces any per-endpoint limit — and a slow write holds up none of the others. Results (and
//! `on_result` calls) come in plan order whatever order the writes finish in, so the output is
//! the same from run to run.
//!
//! A PSA that reads many lines in one request checks and confirms them in batches instead of
//! around each write ([`batched`]); results then come once the confirming read is done.
//!
//! Every write is bracketed by a [`Journal`]: an intent before, the outcome after. A write
//! starts only once its intent is durable; when the intent cannot be recorded the write is not
//! attempted (an unjournalled write could never be audited or recovered after a crash), and
//! only that write.

mod batched;

use std::collections::BTreeMap;
use std::future::Future;

use futures_util::{StreamExt, stream};

use crate::observed::LineRef;
use crate::plan::{Action, Change, Plan};
use crate::psa::{Psa, PsaError};

/// What happened to one action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The PSA accepted the write.
    Applied,
    /// The PSA refused or could not be reached.
    Failed(PsaError),
    /// Not attempted, for the reason given (e.g. the journal could not record the intent).
    NotAttempted(String),
}

/// An [`Outcome`] without its detail: what the journal records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutcomeKind {
    /// `applied`
    Applied,
    /// `failed`
    Failed,
    /// `not-attempted`
    NotAttempted,
}

impl OutcomeKind {
    /// The name used in the journal and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Failed => "failed",
            Self::NotAttempted => "not-attempted",
        }
    }
}

impl Outcome {
    /// The kind, without the detail.
    pub fn kind(&self) -> OutcomeKind {
        match self {
            Self::Applied => OutcomeKind::Applied,
            Self::Failed(_) => OutcomeKind::Failed,
            Self::NotAttempted(_) => OutcomeKind::NotAttempted,
        }
    }
}

/// Names a recorded intent, so that its outcome can refer to it: with concurrent writes,
/// outcomes arrive in completion order, not in the order of their intents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntentId(pub u32);

/// Records each write before and after it happens (the apply journal); apply never writes to
/// the PSA without a recorded intent. Calls may overlap: several writes are in flight at once.
pub trait Journal {
    /// Records that `change` is about to be written and returns once the record is durable;
    /// an error stops that write.
    fn intent(&self, change: &Change) -> impl Future<Output = std::io::Result<IntentId>>;
    /// Records the outcome of the write `intent` announced. It need not be durable at once
    /// (see [`Journal::finish`]): a lost outcome shows as "outcome unknown" until the next apply
    /// re-reads the line, which is safe.
    fn outcome(&self, intent: IntentId, outcome: &Outcome) -> std::io::Result<()>;
    /// Makes every record so far durable; called once, after the last write.
    fn finish(&self) -> impl Future<Output = std::io::Result<()>>;
}

/// A journal that records nothing (for callers that keep no audit trail, and tests).
#[derive(Debug, Default)]
pub struct NoJournal;

impl Journal for NoJournal {
    async fn intent(&self, _change: &Change) -> std::io::Result<IntentId> {
        Ok(IntentId(0))
    }
    fn outcome(&self, _intent: IntentId, _outcome: &Outcome) -> std::io::Result<()> {
        Ok(())
    }
    async fn finish(&self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One action and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionResult {
    /// The change as planned.
    pub change: Change,
    /// What happened.
    pub outcome: Outcome,
    /// Why the outcome could not be journalled, if it could not: the line then shows as
    /// "outcome unknown" until the next apply re-reads it.
    pub journal_error: Option<String>,
}

/// Every action's outcome, in plan order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    /// One entry per action attempted.
    pub results: Vec<ActionResult>,
    /// Why the journal could not make the last outcomes durable, if it could not: after a
    /// power loss they would show as "outcome unknown" until the next apply re-reads them.
    pub journal_error: Option<String>,
}

impl ApplyReport {
    /// Number of actions applied.
    pub fn applied(&self) -> usize {
        self.results
            .iter()
            .filter(|r| r.outcome == Outcome::Applied)
            .count()
    }

    /// Number of actions that failed.
    pub fn failed(&self) -> usize {
        self.results.len() - self.applied()
    }
}

/// Who hears how [`execute_watched`] goes: each outcome, and (for a progress display) each
/// write sent before its outcome is known.
pub trait Watcher {
    /// One action's outcome, in plan order, as soon as it and every one before it are known.
    fn result(&mut self, result: &ActionResult);
    /// A write's request ended, its outcome to come later (batched mode settles every outcome
    /// after the confirming read, once all writes are sent): heard once per write, or not at
    /// all when outcomes come as the writes end.
    fn sent(&mut self) {}
}

/// A closure hearing the outcomes only.
struct Outcomes<F>(F);

impl<F: FnMut(&ActionResult)> Watcher for Outcomes<F> {
    fn result(&mut self, result: &ActionResult) {
        (self.0)(result);
    }
}

/// Executes every create and update in `plan` that is not held for approval, journalling each,
/// up to [`Psa::write_concurrency`] at once; `on_result` sees each outcome in plan order, as
/// soon as it and every one before it are known.
pub async fn execute<P: Psa, J: Journal>(
    plan: &Plan,
    psa: &P,
    journal: &mut J,
    on_result: impl FnMut(&ActionResult),
) -> ApplyReport {
    execute_watched(plan, psa, journal, Outcomes(on_result)).await
}

/// [`execute`], telling `watcher` each outcome and each write sent.
pub async fn execute_watched<P: Psa, J: Journal>(
    plan: &Plan,
    psa: &P,
    journal: &mut J,
    mut watcher: impl Watcher,
) -> ApplyReport {
    let journal = &*journal;
    if psa.batches_line_reads() {
        return batched::execute(plan, psa, journal, watcher).await;
    }
    // Unordered, so that a slow write holds up no other; put back in plan order below.
    let mut finished = stream::iter(plan.applicable().enumerate())
        .map(|(index, change)| async move { (index, journalled(change, psa, journal).await) })
        .buffer_unordered(psa.write_concurrency().max(1));
    let mut report = ApplyReport::default();
    let mut early = BTreeMap::new();
    while let Some((index, result)) = finished.next().await {
        early.insert(index, result);
        while let Some(result) = early.remove(&report.results.len()) {
            watcher.result(&result);
            report.results.push(result);
        }
    }
    report.journal_error = journal.finish().await.err().map(|e| e.to_string());
    report
}

/// Set by an interrupt (Ctrl-C, SIGTERM) during [`execute`]: writes not yet started are not
/// attempted; those in flight finish.
static STOP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Asks [`execute`] to start no further write (the CLI's interrupt handler calls it).
pub fn stop_before_next_write() {
    STOP.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Whether an interrupt asked that no further write start.
fn stopping() -> bool {
    STOP.load(std::sync::atomic::Ordering::SeqCst)
}

/// The outcome of a write an interrupt stopped before it started.
fn interrupted_before_write() -> Outcome {
    Outcome::NotAttempted("reckon was interrupted before this write".into())
}

/// A write an interrupt stopped before it started, journalled as not attempted (an intent
/// closed at once), so that the journal and `reckon status` say so.
async fn not_attempted<J: Journal>(change: &Change, journal: &J) -> ActionResult {
    let outcome = interrupted_before_write();
    // Without its intent nothing is left open (nothing was written); without its outcome the
    // intent is re-read by the next apply, as any unclosed one.
    let journal_error = match journal.intent(change).await {
        Ok(intent) => journal
            .outcome(intent, &outcome)
            .err()
            .map(|e| e.to_string()),
        Err(_) => None,
    };
    ActionResult {
        change: change.clone(),
        outcome,
        journal_error,
    }
}

/// One action: its intent, then (only once that is durable) the write, then its outcome.
async fn journalled<P: Psa, J: Journal>(change: &Change, psa: &P, journal: &J) -> ActionResult {
    if stopping() {
        return not_attempted(change, journal).await;
    }
    let (outcome, journal_error) = match journal.intent(change).await {
        Err(error) => (
            Outcome::NotAttempted(format!("cannot record the intent: {error}")),
            None,
        ),
        Ok(intent) => {
            let outcome = match write(change, psa).await {
                Ok(()) => Outcome::Applied,
                Err(error) => Outcome::Failed(error),
            };
            // The write happened (or failed) whether or not this can be recorded; if not,
            // the line shows as "outcome unknown" until the next apply re-reads it.
            let journal_error = journal.outcome(intent, &outcome).err();
            (outcome, journal_error.map(|e| e.to_string()))
        }
    };
    ActionResult {
        change: change.clone(),
        outcome,
        journal_error,
    }
}

/// The one write `change` asks for; a no-op (never passed in: [`Plan::applicable`] leaves them
/// out) writes nothing.
async fn write<P: Psa>(change: &Change, psa: &P) -> Result<(), PsaError> {
    match &change.action {
        Action::Update { line, from } => {
            let line = LineRef {
                contract: change.contract.clone(),
                line: line.clone(),
            };
            psa.set_quantity(&line, *from, change.quantity, change.effective_date)
                .await
        }
        Action::Create => psa
            .create_line(
                &change.contract,
                &change.psa_service,
                change.quantity,
                change.effective_date,
            )
            .await
            .map(|_| ()),
        Action::NoOp { .. } => Ok(()),
    }
}

#[cfg(test)]
pub(crate) mod tests;
