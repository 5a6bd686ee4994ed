//! `ops::apply`: one apply run, shared by `reckon apply` (a fresh plan or a saved plan file) and
//! `watch --apply` (the plan its cycle just made), under one [`Policy`]:
//!
//! 1. take the workspace lock (waiting up to the policy's timeout);
//! 2. re-read the lines of writes an earlier, interrupted apply never recorded the outcome of,
//!    and close them in the journal (the plan then starts from live values);
//! 3. get the plan: compute it, or load the saved one and refuse it when stale, or take the
//!    caller's — refusing that one when interrupted writes turned up after it was made;
//! 4. let the front end show it;
//! 5. refuse what the plan's blockers forbid under the policy ([`blockers`]: usage data that
//!    does not cover the period, every line zeroed, everything held or blocked);
//! 6. let the front end confirm it (`reckon apply` asks for `yes` on a terminal);
//! 7. execute it with every write journalled ([`crate::apply::execute`]).
//!
//! Returns what was applied or why nothing was ([`Refusal`], rendered by either front end).
//! Prints nothing itself: the front end hears of each step through [`Progress`].

use std::path::Path;
use std::time::Duration;

use super::plan::{self as planning, Request};
use super::refusal::Refusal;
use super::stale;
use crate::apply::{self, ActionResult, ApplyReport};
use crate::config::Workspace;
use crate::error::Error;
use crate::plan::{Interrupted, PartialData, Plan};
use crate::psa::Psa;
use crate::state::{self, journal};

/// The rules an apply runs under; `reckon apply --auto-approve` and `watch --apply` use the same.
#[derive(Debug, Clone)]
pub struct Policy {
    /// How the lock file names the run, e.g. `apply --period 2026-10` or `watch --apply`.
    pub lock_command: String,
    /// How long to wait for another apply's lock (zero: fail at once).
    pub lock_timeout: Duration,
    /// Apply even when the plan would zero every line it covers (`--allow-empty`).
    pub allow_empty: bool,
    /// Apply even when an integration's usage does not cover the period (`--allow-partial`).
    pub allow_partial: bool,
}

/// Which plan to apply.
#[derive(Debug)]
pub enum Source<'a> {
    /// Plan now, under the lock.
    Fresh(Request<'a>),
    /// A plan file saved by `reckon plan --out`, applied exactly, unless stale; planned again
    /// as of `today` to check its decisions.
    Saved {
        /// The plan file.
        path: &'a Path,
        /// Today's date.
        today: chrono::NaiveDate,
    },
    /// A plan the caller just made (watch); refused if an apply was interrupted since.
    Planned(Box<Plan>),
}

/// What the front end hears while an apply runs.
pub trait Progress {
    /// An interrupted write was re-read and closed in the journal.
    fn resolved(&mut self, write: &Interrupted);
    /// A saved plan's file, as it was saved (its decisions checked against a fresh plan,
    /// which [`Progress::show`] then gets).
    fn saved(&mut self, _file: &Plan) {}
    /// The plan about to be applied (for the front end to render).
    fn show(&mut self, plan: &Plan) -> Result<(), Error>;
    /// The last word before writing, once the plan has something to write and no blocker: an
    /// error stops the run with nothing written (the user did not say `yes`).
    fn confirm(&mut self, _plan: &Plan) -> Result<(), Error> {
        Ok(())
    }
    /// What the writes will cost of the PSA's API budget, before [`Progress::confirm`].
    fn budget(&mut self, _budget: &super::budget::Budget) {}
    /// Writes start now.
    fn applying(&mut self) -> Result<(), Error> {
        Ok(())
    }
    /// One action's outcome, in plan order.
    fn result(&mut self, result: &ActionResult);
    /// A write was sent, its outcome to come ([`apply::Watcher::sent`]).
    fn sent(&mut self) {}
}

/// The front end as the executor's [`apply::Watcher`].
struct Heard<'a, P: ?Sized>(&'a mut P);

impl<P: Progress + ?Sized> apply::Watcher for Heard<'_, P> {
    fn result(&mut self, result: &ActionResult) {
        self.0.result(result);
    }
    fn sent(&mut self) {
        self.0.sent();
    }
}

/// A run that got as far as the plan.
#[derive(Debug)]
pub struct Applied {
    /// The plan applied.
    pub plan: Plan,
    /// Every write's outcome; `None` when the plan had nothing to write.
    pub report: Option<ApplyReport>,
}

/// Why a run stopped before applying.
#[derive(Debug)]
pub enum Stopped {
    /// A rule said no; nothing was written.
    Refused(Refusal),
    /// Something failed (a file, the PSA); nothing was written.
    Failed(Error),
}

impl From<Refusal> for Stopped {
    fn from(refusal: Refusal) -> Self {
        Self::Refused(refusal)
    }
}

impl From<Error> for Stopped {
    fn from(error: Error) -> Self {
        Self::Failed(error)
    }
}

impl From<Stopped> for Error {
    fn from(stopped: Stopped) -> Self {
        match stopped {
            Stopped::Refused(refusal) => refusal.into(),
            Stopped::Failed(error) => error,
        }
    }
}

/// Applies the plan `source` names to `psa` for `workspace` under `policy`.
pub async fn apply<P: Psa>(
    workspace: &Workspace,
    psa: &P,
    source: Source<'_>,
    policy: &Policy,
    progress: &mut impl Progress,
) -> Result<Applied, Stopped> {
    let held = state::Store::open(workspace)
        .await?
        .lock(&policy.lock_command, policy.lock_timeout)
        .await?;
    let applied = locked(workspace, psa, source, policy, progress, &held).await;
    held.release().await;
    applied
}

/// Steps 2 to 7, under the lock `held`.
async fn locked<P: Psa>(
    workspace: &Workspace,
    psa: &P,
    source: Source<'_>,
    policy: &Policy,
    progress: &mut impl Progress,
    held: &state::Held,
) -> Result<Applied, Stopped> {
    let resolved = resolve_interrupted(workspace, psa, held, progress).await?;
    // The journal records the commit each plan was made from: its provenance's, or for a saved
    // plan the one it was saved with (the fresh plan that checked it was made now).
    let made_from = |plan: &Plan| plan.provenance.git.as_ref().map(|g| g.commit.clone());
    let (plan, commit) = match source {
        Source::Fresh(request) => {
            let plan = planning::plan(workspace, psa, &request).await?;
            let commit = made_from(&plan);
            (plan, commit)
        }
        Source::Saved { path, today } => {
            let checked = stale::checked(workspace, psa, path, today).await?;
            progress.saved(&checked.shown);
            (checked.plan, made_from(&checked.shown))
        }
        Source::Planned(plan) => {
            refuse_unforeseen(&plan, &resolved)?;
            let commit = made_from(&plan);
            (*plan, commit)
        }
    };
    progress.show(&plan)?;
    if !plan.has_changes() {
        return Ok(Applied { plan, report: None });
    }
    blockers(&plan, policy).map_or(Ok(()), Err)?;
    let share = workspace.policy.api_share();
    progress.budget(&super::budget::Budget::of(&plan, psa, share).await);
    progress.confirm(&plan)?;
    progress.applying()?;
    let mut journal = journal::ApplyJournal::new(
        held.sink(),
        held.info().id.clone(),
        commit,
        plan.period,
        journal::crash_hook(),
    );
    let report = apply::execute_watched(&plan, psa, &mut journal, Heard(progress)).await;
    Ok(Applied {
        plan,
        report: Some(report),
    })
}

/// Why `plan` must not be applied under `policy`, if it must not: the one place the plan's
/// blockers ([`Plan::blockers`], decided by the planner) become refusals.
pub fn blockers(plan: &Plan, policy: &Policy) -> Option<Refusal> {
    let partial: Vec<PartialData> = plan.partial_data().cloned().collect();
    if !partial.is_empty() && !policy.allow_partial {
        return Some(Refusal::Partial(partial));
    }
    if plan.zeroes_every_line() && !policy.allow_empty {
        return Some(Refusal::ZeroesEveryLine);
    }
    if plan.all_held() {
        return Some(Refusal::AllHeld {
            held: plan.held().count(),
        });
    }
    if plan.has_changes() && plan.applicable().next().is_none() {
        return Some(Refusal::AllBlocked {
            blocked: plan.blocked().count(),
        });
    }
    None
}

/// Re-reads the lines of writes an earlier, interrupted apply never recorded the outcome of,
/// and records what they hold now, closing them. Returns them, as the plan lists them.
async fn resolve_interrupted<P: Psa>(
    workspace: &Workspace,
    psa: &P,
    held: &state::Held,
    progress: &mut impl Progress,
) -> Result<Vec<Interrupted>, Error> {
    let mut resolved = Vec::new();
    for (intent, found) in planning::reread_unknown_outcomes(workspace, psa).await? {
        held.record(&journal::Record::Resolved(journal::Resolved {
            apply: intent.apply.clone(),
            seq: intent.seq,
            time: journal::now(),
            found,
        }))
        .await?;
        let write = planning::interrupted_write(intent, found);
        progress.resolved(&write);
        resolved.push(write);
    }
    Ok(resolved)
}

/// A plan made before the lock was taken accounts for the interrupted writes it listed (it read
/// their lines); any other interrupted write happened after it was made.
fn refuse_unforeseen(plan: &Plan, resolved: &[Interrupted]) -> Result<(), Refusal> {
    let unknown = resolved
        .iter()
        .filter(|write| {
            !plan
                .interrupted
                .iter()
                .any(|seen| seen.address == write.address && seen.time == write.time)
        })
        .count();
    if unknown == 0 {
        Ok(())
    } else {
        Err(Refusal::Interrupted { unknown })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::tests::builder::Scenario;

    /// `apply --auto-approve`'s policy, which `watch --apply` runs under.
    fn auto_approve() -> Policy {
        Policy {
            lock_command: "watch --apply".into(),
            lock_timeout: Duration::ZERO,
            allow_empty: false,
            allow_partial: false,
        }
    }

    #[test]
    fn incomplete_usage_data_is_refused_unless_allowed() {
        let truncated = Scenario::one_line(10, 12, 1..=3).plan();
        let refusal = blockers(&truncated, &auto_approve()).expect("refused");
        assert!(matches!(refusal, Refusal::Partial(_)), "{refusal:?}");
        assert!(
            refusal.to_string().contains("incomplete usage data")
                && refusal.hint().contains("--allow-partial"),
            "{refusal}"
        );
        let allowed = Policy {
            allow_partial: true,
            ..auto_approve()
        };
        assert!(blockers(&truncated, &allowed).is_none());
        assert!(blockers(&Scenario::one_line(10, 12, 1..=31).plan(), &auto_approve()).is_none());
    }
}
