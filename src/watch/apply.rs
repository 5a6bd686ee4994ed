//! `watch --apply`: apply one plan exactly as `reckon apply --auto-approve` would — under the
//! workspace lock, every write journalled, never past an approval threshold — or say why not.
//!
//! Refuses rather than guesses: when another apply holds the lock, when an earlier apply was
//! interrupted (a human settles that with `reckon apply`), when an integration's usage does not
//! cover the period (never applied unattended), when the plan would zero every line (empty usage
//! data), or when everything is held for approval or blocked by error findings. The next cycle
//! tries again. The blockers are the plan's own ([`Plan::blockers`]).

use std::path::Path;
use std::time::Duration;

use crate::apply::{self, ApplyReport};
use crate::fingerprint;
use crate::plan::Plan;
use crate::psa::Psa;
use crate::state::{self, journal, lock};

/// How the lock file names a watch apply.
const LOCK_COMMAND: &str = "watch --apply";

/// Applies `plan`'s applicable changes to `psa` for the workspace in `root`; `Err` says why
/// nothing was written.
pub async fn apply<P: Psa>(root: &Path, plan: &Plan, psa: &P) -> Result<ApplyReport, String> {
    refusal(plan).map_or(Ok(()), Err)?;
    let state_dir =
        state::dir(root).map_err(|e| format!("cannot create the .reckon folder: {e}"))?;
    // Never wait: a watch cycle that finds the lock taken simply tries again next cycle.
    let held = lock::Lock::acquire(&state_dir, LOCK_COMMAND, Duration::ZERO)
        .await
        .map_err(|e| e.to_string())?;
    let writer = journal::Writer::open(&state_dir)
        .map_err(|e| format!("cannot open the apply journal: {e}"))?;
    let mut journal = journal::ApplyJournal::new(
        writer,
        held.info().id.clone(),
        fingerprint::git_state(root).map(|g| g.commit),
        plan.period,
        journal::crash_hook(),
    );
    let report = apply::execute(plan, psa, &mut journal, |_| {}).await;
    drop(held);
    Ok(report)
}

/// Why this plan must not be applied unattended, if it must not.
fn refusal(plan: &Plan) -> Option<String> {
    if !plan.interrupted.is_empty() {
        return Some(format!(
            "an earlier apply was interrupted ({} write(s) with unknown outcome); run `reckon apply` \
             once to settle it",
            plan.interrupted.len()
        ));
    }
    if let Some(partial) = plan.partial_data().next() {
        return Some(format!(
            "{}; watch --apply never applies incomplete data (use `reckon apply --allow-partial` \
             if it is intended)",
            partial.message()
        ));
    }
    if plan.zeroes_every_line() {
        return Some(
            "the plan sets every line it covers to zero (empty or truncated usage data?); \
             check the usage and use `reckon apply --allow-empty` if that is right"
                .into(),
        );
    }
    if plan.all_held() {
        return Some(format!(
            "all {} change(s) need approval; approve them in approvals.yaml",
            plan.held().count()
        ));
    }
    if plan.applicable().next().is_none() {
        return Some(format!(
            "all {} change(s) are blocked by error findings; fix the findings",
            plan.blocked().count()
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::plan::tests::builder::Scenario;

    #[test]
    fn incomplete_usage_data_is_never_applied_unattended() {
        let truncated = Scenario::one_line(10, 12, 1..=3).plan();
        let reason = super::refusal(&truncated).expect("refused");
        assert!(
            reason.contains("incomplete usage data")
                && reason.contains("watch --apply never applies"),
            "{reason}"
        );
        let complete = Scenario::one_line(10, 12, 1..=31).plan();
        assert_eq!(super::refusal(&complete), None);
    }
}
