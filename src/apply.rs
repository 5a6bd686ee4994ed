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
    /// Why the outcome could not be journalled, if it could not: the line then shows as
    /// "outcome unknown" until the next apply re-reads it.
    pub journal_error: Option<String>,
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
        let mut journal_error = None;
        let outcome = match journal.intent(change) {
            Err(error) => Outcome::NotAttempted(format!("cannot record the intent: {error}")),
            Ok(()) => {
                let outcome = match execute_one(change, psa).await {
                    Ok(()) => Outcome::Applied,
                    Err(error) => Outcome::Failed(error),
                };
                // The write happened (or failed) whether or not this can be recorded; if not,
                // the line shows as "outcome unknown" until the next apply re-reads it.
                journal_error = journal
                    .outcome(change, &outcome)
                    .err()
                    .map(|e| e.to_string());
                outcome
            }
        };
        let result = ActionResult {
            change: change.clone(),
            outcome,
            journal_error,
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

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use rust_decimal::Decimal;

    use super::*;
    use crate::plan::{Approval, MatchedBy};
    use crate::psa::sandbox::SandboxPsa;
    use crate::usage::{BillingModel, Rounding, RoundingMode};

    const SANDBOX: &str = "companies: [{id: \"1\", name: Acme}]\nservices: [{id: S, name: S}]\ncontracts:\n  - {id: C-1, company: \"1\", name: Acme, lines: [{id: C-1-1, service: S, quantity: \"1\"}]}\n";

    /// Records intents and outcomes, or refuses every intent.
    #[derive(Default)]
    struct Recording {
        refuse: bool,
        events: Vec<String>,
    }

    impl Journal for Recording {
        fn intent(&mut self, change: &Change) -> std::io::Result<()> {
            if self.refuse {
                return Err(std::io::Error::other("disk full"));
            }
            self.events.push(format!("intent {}", change.address));
            Ok(())
        }
        fn outcome(&mut self, change: &Change, outcome: &Outcome) -> std::io::Result<()> {
            let what = if *outcome == Outcome::Applied {
                "applied"
            } else {
                "other"
            };
            self.events.push(format!("{what} {}", change.address));
            Ok(())
        }
    }

    fn plan_one_update() -> Plan {
        let date = NaiveDate::from_ymd_opt(2026, 11, 1).expect("date");
        Plan {
            period: "2026-10".parse().expect("period"),
            effective_date: date,
            psa: "sandbox".into(),
            integrations: vec!["k".into()],
            partial: false,
            changes: vec![Change {
                address: "k/a/s → Acme/S".into(),
                action: Action::Update,
                integration: "k".into(),
                vendor_account: "a".into(),
                vendor_account_name: "a".into(),
                vendor_services: vec!["s".into()],
                psa_company: "1".into(),
                psa_company_name: "Acme".into(),
                psa_service: "S".into(),
                contract: "C-1".into(),
                line: Some("C-1-1".into()),
                usage: Decimal::TWO,
                quantity: Decimal::TWO,
                current: Some(Decimal::ONE),
                effective_date: date,
                billing_model: BillingModel::Sum,
                rounding: Rounding {
                    mode: RoundingMode::Nearest,
                    decimals: 0,
                },
                matched_by: MatchedBy::Mapping,
                approval: Approval::NotNeeded,
            }],
            findings: vec![],
            interrupted: vec![],
        }
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
        let plan = plan_one_update();
        let mut journal = Recording::default();
        let report = execute(&plan, &psa, &mut journal, |_| {}).await;
        assert_eq!(report.applied(), 1);
        assert_eq!(
            journal.events,
            ["intent k/a/s → Acme/S", "applied k/a/s → Acme/S"]
        );
        let now = psa.line_quantity(&line(), plan.effective_date).await;
        assert_eq!(now, Ok(Decimal::TWO));
    }

    #[tokio::test]
    async fn no_write_happens_without_a_recorded_intent() {
        let (_dir, psa) = sandbox();
        let plan = plan_one_update();
        let mut journal = Recording {
            refuse: true,
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
        let mut plan = plan_one_update();
        plan.changes[0].approval = Approval::Needed(vec!["too big".into()]);
        let report = execute(&plan, &psa, &mut Recording::default(), |_| {}).await;
        assert!(report.results.is_empty());
        let now = psa.line_quantity(&line(), plan.effective_date).await;
        assert_eq!(now, Ok(Decimal::ONE));
    }
}
