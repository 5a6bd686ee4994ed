//! Apply: execute a plan's actions against the PSA, one attempt each, and report every outcome.
//!
//! Decides nothing: quantities, lines and dates all come from the plan. Each write passes the
//! quantity the plan observed, so a line edited out of band since planning is refused by the
//! adapter rather than overwritten. A failed action does not stop the others (no action depends
//! on another); re-running apply after a partial failure is safe because a fresh plan only
//! contains the lines that still differ.
//!
//! Every write is bracketed by a [`Journal`]: an intent before, the outcome after. When the
//! intent cannot be recorded the write is not attempted (an unjournalled write could never be
//! audited or recovered after a crash).

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

/// Records each write before and after it happens (the apply journal); apply never writes to
/// the PSA without a recorded intent.
pub trait Journal {
    /// Called before writing `change`; an error stops that write.
    fn intent(&mut self, change: &Change) -> std::io::Result<()>;
    /// Called after the write with its outcome.
    fn outcome(&mut self, change: &Change, outcome: &Outcome) -> std::io::Result<()>;
}

/// A journal that records nothing (for callers that keep no audit trail, and tests).
#[derive(Debug, Default)]
pub struct NoJournal;

impl Journal for NoJournal {
    fn intent(&mut self, _change: &Change) -> std::io::Result<()> {
        Ok(())
    }
    fn outcome(&mut self, _change: &Change, _outcome: &Outcome) -> std::io::Result<()> {
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
}

/// Every action's outcome, in plan order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    /// One entry per action attempted.
    pub results: Vec<ActionResult>,
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

/// Executes every create and update in `plan` that is not held for approval, journalling each;
/// `on_result` sees each outcome as it happens.
pub async fn execute<P: Psa>(
    plan: &Plan,
    psa: &P,
    journal: &mut dyn Journal,
    mut on_result: impl FnMut(&ActionResult),
) -> ApplyReport {
    let mut report = ApplyReport::default();
    for change in plan.applicable() {
        let outcome = match journal.intent(change) {
            Err(error) => Outcome::NotAttempted(format!("cannot record the intent: {error}")),
            Ok(()) => {
                let outcome = match execute_one(change, psa).await {
                    Ok(()) => Outcome::Applied,
                    Err(error) => Outcome::Failed(error),
                };
                if let Err(error) = journal.outcome(change, &outcome) {
                    // The write happened (or failed) regardless; the missing outcome will show
                    // as "outcome unknown" until the next apply re-reads the line.
                    eprintln!(
                        "warning: cannot record the outcome of {}: {error}",
                        change.address
                    );
                }
                outcome
            }
        };
        let result = ActionResult {
            change: change.clone(),
            outcome,
        };
        on_result(&result);
        report.results.push(result);
    }
    report
}

async fn execute_one<P: Psa>(change: &Change, psa: &P) -> Result<(), PsaError> {
    match (change.action, &change.line, change.current) {
        (Action::Update, Some(line), Some(current)) => {
            let line = LineRef {
                contract: change.contract.clone(),
                line: line.clone(),
            };
            psa.set_quantity(&line, current, change.quantity, change.effective_date)
                .await
        }
        (Action::Create, _, _) => psa
            .create_line(
                &change.contract,
                &change.psa_service,
                change.quantity,
                change.effective_date,
            )
            .await
            .map(|_| ()),
        _ => Ok(()),
    }
}
