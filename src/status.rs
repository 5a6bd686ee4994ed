//! `reckon status`: the workspace's sync state from its local records — per integration the last
//! apply (period, commit, time, outcome), approvals not yet applied, the held lock, and writes
//! whose outcome is unknown.
//!
//! Pure: built from the journal records, the lock and the approvals the caller read; it reads
//! nothing itself and never contacts the PSA (status works offline and costs no API calls).

use std::collections::BTreeMap;

use crate::config::model::Grant;
use crate::state::journal::{Intent, Record};
use crate::state::lock::LockInfo;

/// Everything `status` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// One entry per integration of the workspace, in name order.
    pub integrations: Vec<IntegrationStatus>,
    /// The apply lock, when held.
    pub lock: Option<LockInfo>,
    /// Approvals in approvals.yaml whose change has not been applied.
    pub pending_approvals: Vec<Grant>,
    /// Writes started but never recorded as done.
    pub unknown_outcomes: Vec<Intent>,
}

/// One integration's last apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrationStatus {
    /// The integration's name.
    pub name: String,
    /// Its most recent apply run, if it ever had one.
    pub last_apply: Option<LastApply>,
}

/// What one apply run did for one integration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastApply {
    /// The run's id.
    pub apply: String,
    /// The usage period applied.
    pub period: crate::period::Period,
    /// The workspace's git commit, when known.
    pub commit: Option<String>,
    /// When the run's last write started.
    pub time: String,
    /// Who ran it: the CI actor and run when it ran in CI, else `user@host`.
    pub by: String,
    /// The CI run, when it ran in one.
    pub ci: Option<crate::state::CiRun>,
    /// Writes applied.
    pub applied: usize,
    /// Writes that failed (or were not attempted).
    pub failed: usize,
    /// Writes whose outcome is unknown.
    pub unknown: usize,
}

impl LastApply {
    /// `applied`, `failed`, `interrupted` — the run's overall outcome.
    pub fn outcome(&self) -> &'static str {
        if self.unknown > 0 {
            "interrupted"
        } else if self.failed > 0 {
            "failed"
        } else {
            "applied"
        }
    }
}

/// Builds the status from the journal, the lock and the approvals.
pub fn build(
    integrations: &[String],
    records: &[Record],
    lock: Option<LockInfo>,
    grants: &[Grant],
) -> Status {
    let outcomes: BTreeMap<(&str, u32), &str> = records
        .iter()
        .filter_map(|r| match r {
            Record::Outcome(o) => Some(((o.apply.as_str(), o.seq), o.outcome.as_str())),
            Record::Resolved(r) => Some(((r.apply.as_str(), r.seq), "resolved")),
            Record::Intent(_) => None,
        })
        .collect();
    let intents: Vec<&Intent> = records
        .iter()
        .filter_map(|r| match r {
            Record::Intent(i) => Some(&**i),
            _ => None,
        })
        .collect();
    let last_apply = |name: &str| {
        let last = intents.iter().rev().find(|i| i.integration == name)?;
        let run: Vec<&&Intent> = intents
            .iter()
            .filter(|i| i.apply == last.apply && i.integration == name)
            .collect();
        let count = |want: &dyn Fn(Option<&str>) -> bool| {
            run.iter()
                .filter(|i| want(outcomes.get(&(i.apply.as_str(), i.seq)).copied()))
                .count()
        };
        Some(LastApply {
            apply: last.apply.clone(),
            period: last.period,
            commit: last.commit.clone(),
            time: last.time.clone(),
            by: crate::state::who(&last.user, &last.host, last.ci.as_ref()),
            ci: last.ci.clone(),
            applied: count(&|o| o == Some("applied")),
            failed: count(&|o| matches!(o, Some("failed" | "not-attempted"))),
            unknown: count(&|o| o.is_none()),
        })
    };
    let applied = |g: &Grant| {
        intents.iter().any(|i| {
            i.address == g.address
                && g.period.is_none_or(|p| p == i.period)
                && g.quantity
                    .is_none_or(|q| q.normalize() == i.after.normalize())
                && outcomes.get(&(i.apply.as_str(), i.seq)) == Some(&"applied")
        })
    };
    Status {
        integrations: integrations
            .iter()
            .map(|name| IntegrationStatus {
                name: name.clone(),
                last_apply: last_apply(name),
            })
            .collect(),
        lock,
        pending_approvals: grants.iter().filter(|g| !applied(g)).cloned().collect(),
        unknown_outcomes: crate::state::journal::unknown_outcomes(records),
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::state::journal::OutcomeRecord;

    fn intent(apply: &str, seq: u32, address: &str) -> Record {
        Record::Intent(Box::new(Intent {
            apply: apply.into(),
            seq,
            time: format!("2026-11-0{seq}T09:00:00Z"),
            user: "ann".into(),
            host: "ci".into(),
            ci: None,
            commit: Some("abc123".into()),
            integration: "keeper".into(),
            address: address.into(),
            action: crate::plan::ActionKind::Update,
            contract: "C-1".into(),
            line: Some("C-1-1".into()),
            service: "S".into(),
            before: Some(Decimal::from(8)),
            after: Decimal::from(10),
            effective_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).expect("date"),
            period: "2026-10".parse().expect("period"),
        }))
    }

    fn outcome(apply: &str, seq: u32, outcome: crate::apply::OutcomeKind) -> Record {
        Record::Outcome(OutcomeRecord {
            apply: apply.into(),
            seq,
            time: String::new(),
            outcome,
            error: None,
        })
    }

    #[test]
    fn the_last_run_per_integration_and_unapplied_approvals_are_reported() {
        let records = vec![
            intent("r1", 1, "a"),
            outcome("r1", 1, crate::apply::OutcomeKind::Failed),
            intent("r2", 1, "a"),
            outcome("r2", 1, crate::apply::OutcomeKind::Applied),
            intent("r2", 2, "b"),
        ];
        let grants = vec![
            Grant {
                address: "a".into(),
                period: Some("2026-10".parse().expect("period")),
                quantity: Some(Decimal::from(10)),
                source: "approvals.yaml:2".into(),
            },
            Grant {
                address: "c".into(),
                period: Some("2026-10".parse().expect("period")),
                quantity: Some(Decimal::from(3)),
                source: "approvals.yaml:5".into(),
            },
        ];
        let status = build(&["keeper".into(), "pax8".into()], &records, None, &grants);
        let last = status.integrations[0].last_apply.as_ref().expect("applied");
        assert_eq!(
            (last.apply.as_str(), last.applied, last.unknown),
            ("r2", 1, 1)
        );
        assert_eq!(last.outcome(), "interrupted");
        assert!(status.integrations[1].last_apply.is_none());
        assert_eq!(status.pending_approvals.len(), 1);
        assert_eq!(status.pending_approvals[0].address, "c");
        assert_eq!(status.unknown_outcomes.len(), 1);
    }
}
