//! Apply: execute a plan's actions against the PSA, one attempt each, and report every outcome.
//!
//! Decides nothing: quantities, lines and dates all come from the plan. Each write passes the
//! quantity the plan observed, so a line edited out of band since planning is refused by the
//! adapter rather than overwritten. A failed action does not stop the others (no action depends
//! on another); re-running apply after a partial failure is safe because a fresh plan only
//! contains the lines that still differ.

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

/// Executes every create and update in `plan`; `on_result` sees each outcome as it happens.
pub async fn execute<P: Psa>(
    plan: &Plan,
    psa: &P,
    mut on_result: impl FnMut(&ActionResult),
) -> ApplyReport {
    let mut report = ApplyReport::default();
    for change in plan.actions() {
        let outcome = match execute_one(change, psa).await {
            Ok(()) => Outcome::Applied,
            Err(error) => Outcome::Failed(error),
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
