//! Apply's batched mode, for a PSA that reads many lines in one request
//! ([`Psa::batches_line_reads`]): the reads that make a write safe cost a few requests per apply
//! instead of two per line.
//!
//! 1. **Check**: every line the plan updates is read in one batched read
//!    ([`Psa::line_quantities`]) just before the writes start; a line that no longer holds what
//!    the plan saw is refused ([`PsaError::Changed`]), as the adapter's per-line check does.
//! 2. **Write**: each checked line once ([`Psa::write_checked`], no read of its own),
//!    journalled, up to [`Psa::write_concurrency`] at once; intents are recorded beside the
//!    writes, up to one round ahead of them, so no write waits for its own intent's fsync.
//! 3. **Confirm**: one batched read of every line whose answer did not show the result (an
//!    adjustment that cannot be read back, or an answer that was lost): a lost answer is
//!    settled by this read, never by writing again.
//!
//! Creates keep the adapter's own protocol. Between the check and a line's write, an edit made
//! outside reckon is not seen (another reckon apply cannot run: the workspace lock); the confirm
//! read then finds the line off its desired quantity and reports it, and the next plan starts
//! from what the line holds. Decides nothing: quantities, lines and dates come from the plan.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use futures_util::{StreamExt, stream};
use rust_decimal::Decimal;
use tokio::sync::{Semaphore, SemaphorePermit, mpsc};

use super::{ActionResult, ApplyReport, IntentId, Journal, Outcome, Watcher, journalled};
use crate::observed::LineRef;
use crate::plan::{Action, Change, Plan};
use crate::psa::{Psa, PsaError, Written};

/// Executes `plan` as [`super::execute`] does, with batched checks and confirmations.
pub(super) async fn execute<P: Psa, J: Journal>(
    plan: &Plan,
    psa: &P,
    journal: &J,
    mut watcher: impl Watcher,
) -> ApplyReport {
    let changes: Vec<&Change> = plan.applicable().collect();
    let checks = check(&changes, psa).await;
    let concurrency = psa.write_concurrency().max(1);
    let places = Semaphore::new(concurrency);
    let (ready, mut prepared) = mpsc::unbounded_channel();
    let recording = record_ahead(
        changes.iter().copied().zip(checks).enumerate(),
        &places,
        concurrency,
        journal,
        ready,
    );
    let sending = async {
        let mut attempts: Vec<(usize, Attempt)> = Vec::with_capacity(changes.len());
        let mut sends = stream::poll_fn(|cx| prepared.poll_recv(cx))
            .map(
                |(index, prepared, ahead): (usize, Prepared<'_>, Ahead<'_>)| async move {
                    drop(ahead); // sent now: the next intent may be recorded
                    (index, send(prepared, psa, journal).await)
                },
            )
            .buffer_unordered(concurrency);
        while let Some(attempt) = sends.next().await {
            watcher.sent();
            attempts.push(attempt);
        }
        attempts
    };
    let ((), mut attempts) = tokio::join!(recording, sending);
    attempts.sort_by_key(|(index, _)| *index);
    let results = confirm(attempts.into_iter().map(|(_, a)| a).collect(), psa, journal).await;
    for result in &results {
        watcher.result(result);
    }
    ApplyReport {
        results,
        journal_error: journal.finish().await.err().map(|e| e.to_string()),
    }
}

/// A place among the intents recorded ahead of the writes; given back when the write starts.
/// (`None` only if the semaphore were closed, which nothing does.)
type Ahead<'s> = Option<SemaphorePermit<'s>>;

/// Step 2a for every change, in plan order: records intents (a few at once, so that one fsync
/// covers them) while the writes run, at most `concurrency` ahead of the writes started, and
/// hands each prepared change to the writers. Runs beside the writes rather than being pulled
/// by them, so an intent's fsync overlaps the round of writes before it instead of starting
/// when a write slot frees (which cost about 1 ms a round; README, "Scale and fault
/// benchmark").
async fn record_ahead<'c, 's, J: Journal>(
    changes: impl Iterator<Item = (usize, (&'c Change, Option<Result<Decimal, PsaError>>))>,
    places: &'s Semaphore,
    concurrency: usize,
    journal: &J,
    ready: mpsc::UnboundedSender<(usize, Prepared<'c>, Ahead<'s>)>,
) {
    stream::iter(changes)
        .then(|change| async { (places.acquire().await.ok(), change) })
        .map(|(place, (index, (change, checked)))| async move {
            (index, prepare(change, checked, journal).await, place)
        })
        .buffered(concurrency)
        .for_each(|(index, prepared, place)| {
            // The writers stop receiving only once every change was handed over.
            let _ = ready.send((index, prepared, place));
            std::future::ready(())
        })
        .await;
}

/// One write's state after step 2.
enum Attempt {
    /// Its outcome is known (and journalled).
    Done(ActionResult),
    /// Sent; what the line holds decides the outcome. `lost`: the answer never came.
    Unconfirmed {
        change: Change,
        intent: IntentId,
        lost: Option<PsaError>,
    },
}

/// The line an update writes.
fn line_of(change: &Change) -> Option<LineRef> {
    match &change.action {
        Action::Update { line, .. } => Some(LineRef {
            contract: change.contract.clone(),
            line: line.clone(),
        }),
        Action::Create | Action::NoOp { .. } => None,
    }
}

/// What each change's line holds now (`None` for changes that are not updates), read in one
/// batched read per effective date.
async fn check<P: Psa>(changes: &[&Change], psa: &P) -> Vec<Option<Result<Decimal, PsaError>>> {
    let wanted: Vec<(usize, LineRef, NaiveDate)> = changes
        .iter()
        .enumerate()
        .filter_map(|(i, c)| line_of(c).map(|line| (i, line, c.effective_date)))
        .collect();
    let mut found: Vec<Option<Result<Decimal, PsaError>>> = changes.iter().map(|_| None).collect();
    for (index, quantity) in read_batched(psa, wanted).await {
        found[index] = Some(quantity);
    }
    found
}

/// `lines` read with [`Psa::line_quantities`], one call per date; answers keyed as asked.
async fn read_batched<P: Psa, K>(
    psa: &P,
    lines: Vec<(K, LineRef, NaiveDate)>,
) -> Vec<(K, Result<Decimal, PsaError>)> {
    let mut by_date: BTreeMap<NaiveDate, Vec<(K, LineRef)>> = BTreeMap::new();
    for (key, line, date) in lines {
        by_date.entry(date).or_default().push((key, line));
    }
    let mut answers = Vec::new();
    for (date, group) in by_date {
        let (keys, refs): (Vec<K>, Vec<LineRef>) = group.into_iter().unzip();
        let quantities = psa.line_quantities(&refs, date).await;
        answers.extend(keys.into_iter().zip(quantities));
    }
    answers
}

/// Step 2a for one change: an update's intent, recorded ahead of its write.
enum Prepared<'c> {
    /// Not an update checked in step 1: the adapter's own protocol, journalled as it runs.
    Whole(&'c Change),
    /// Its outcome is known already (nothing written).
    Done(Box<ActionResult>),
    /// An update whose intent is durable, with what step 1 found on its line.
    Update {
        change: &'c Change,
        line: LineRef,
        from: Decimal,
        checked: Result<Decimal, PsaError>,
        intent: IntentId,
    },
}

async fn prepare<'c, J: Journal>(
    change: &'c Change,
    checked: Option<Result<Decimal, PsaError>>,
    journal: &J,
) -> Prepared<'c> {
    if super::stopping() {
        return Prepared::Done(Box::new(super::not_attempted(change, journal).await));
    }
    let (Some(checked), Action::Update { line, from }) = (checked, &change.action) else {
        return Prepared::Whole(change);
    };
    match journal.intent(change).await {
        Ok(intent) => Prepared::Update {
            change,
            line: LineRef {
                contract: change.contract.clone(),
                line: line.clone(),
            },
            from: *from,
            checked,
            intent,
        },
        Err(error) => Prepared::Done(Box::new(ActionResult {
            change: change.clone(),
            outcome: Outcome::NotAttempted(format!("cannot record the intent: {error}")),
            journal_error: None,
        })),
    }
}

/// Step 2b for one change: its write, if the check allows it; not attempted once an interrupt
/// stopped the writes ([`super::stop_before_next_write`]).
async fn send<P: Psa, J: Journal>(prepared: Prepared<'_>, psa: &P, journal: &J) -> Attempt {
    let (change, line, from, checked, intent) = match prepared {
        Prepared::Done(result) => return Attempt::Done(*result),
        Prepared::Whole(change) => return Attempt::Done(journalled(change, psa, journal).await),
        Prepared::Update {
            change,
            line,
            from,
            checked,
            intent,
        } => (change, line, from, checked, intent),
    };
    if super::stopping() {
        let outcome = super::interrupted_before_write();
        return Attempt::Done(settle(change, intent, outcome, journal));
    }
    let written = match checked {
        Err(error) => Err(error),
        Ok(found) if found != from => Err(PsaError::Changed {
            contract: line.contract.clone(),
            line: line.line.clone(),
            expected: from,
            found: found.normalize(),
        }),
        Ok(_) => {
            psa.write_checked(&line, from, change.quantity, change.effective_date)
                .await
        }
    };
    match written {
        Ok(Written::Confirmed) => Attempt::Done(settle(change, intent, Outcome::Applied, journal)),
        Ok(Written::Unconfirmed) => Attempt::Unconfirmed {
            change: change.clone(),
            intent,
            lost: None,
        },
        Err(lost @ PsaError::OutcomeUnknown { .. }) => Attempt::Unconfirmed {
            change: change.clone(),
            intent,
            lost: Some(lost),
        },
        Err(error) => Attempt::Done(settle(change, intent, Outcome::Failed(error), journal)),
    }
}

/// Step 3: reads every unconfirmed line in one batched read and settles each by what it holds.
async fn confirm<P: Psa, J: Journal>(
    attempts: Vec<Attempt>,
    psa: &P,
    journal: &J,
) -> Vec<ActionResult> {
    let unconfirmed: Vec<(usize, LineRef, NaiveDate)> = attempts
        .iter()
        .enumerate()
        .filter_map(|(i, a)| match a {
            Attempt::Unconfirmed { change, .. } => {
                line_of(change).map(|line| (i, line, change.effective_date))
            }
            Attempt::Done(_) => None,
        })
        .collect();
    let mut holds: BTreeMap<usize, Result<Decimal, PsaError>> =
        read_batched(psa, unconfirmed).await.into_iter().collect();
    attempts
        .into_iter()
        .enumerate()
        .map(|(index, attempt)| match attempt {
            Attempt::Done(result) => result,
            Attempt::Unconfirmed {
                change,
                intent,
                lost,
            } => {
                let now = holds.remove(&index).unwrap_or_else(|| {
                    Err(PsaError::Unavailable("the line was not read back".into()))
                });
                let outcome = settled(&change, lost, now);
                settle(&change, intent, outcome, journal)
            }
        })
        .collect()
}

/// A sent write's outcome from what its line holds afterwards.
fn settled(change: &Change, lost: Option<PsaError>, now: Result<Decimal, PsaError>) -> Outcome {
    let line = change.line().unwrap_or_default();
    let action = format!(
        "set line {line} of contract {} to {}",
        change.contract, change.quantity
    );
    match (now, lost) {
        (Ok(held), _) if held == change.quantity => Outcome::Applied,
        (Ok(held), None) => Outcome::Failed(PsaError::Rejected {
            action,
            message: format!(
                "the PSA accepted the write but the line now holds {}, not {} (changed outside reckon meanwhile?): run plan again",
                held.normalize(),
                change.quantity
            ),
        }),
        (Ok(held), Some(lost)) => Outcome::Failed(PsaError::Unavailable(format!(
            "{lost}; the line holds {} afterwards. Not retried (the PSA may still commit it): run plan again before re-applying",
            held.normalize()
        ))),
        (Err(error), lost) => Outcome::Failed(PsaError::OutcomeUnknown {
            action,
            message: match lost {
                Some(lost) => format!("{lost}, and reading the line back failed: {error}"),
                None => format!("the write was accepted but reading it back failed: {error}"),
            },
        }),
    }
}

/// Journals `outcome` for `intent` and makes it the change's result.
fn settle<J: Journal>(
    change: &Change,
    intent: IntentId,
    outcome: Outcome,
    journal: &J,
) -> ActionResult {
    let journal_error = journal
        .outcome(intent, &outcome)
        .err()
        .map(|e| e.to_string());
    ActionResult {
        change: change.clone(),
        outcome,
        journal_error,
    }
}
