//! The plan's blockers: why apply must not write some or all of a plan — changes held for
//! approval, integrations with error findings, usage data that does not cover the period, a
//! plan that would zero every line. Decided here, once, by the planner; the callers (the CLI's
//! and watch's apply) only turn them into refusals under their own flags.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{Approval, Change, Finding, Plan, Severity};
use crate::period::Period;
use crate::usage::AccountUsage;

/// One reason apply must not write (part of) the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocker {
    /// Error findings stand for this integration: apply writes none of its changes.
    Errors {
        /// The integration.
        integration: String,
        /// How many error findings concern it.
        findings: usize,
    },
    /// An integration's usage covers fewer days than the period: apply refuses the whole plan
    /// unless told `--allow-partial`, and `watch --apply` never applies it.
    PartialData(PartialData),
    /// Applying would leave every line the plan covers at zero while some bill today — the
    /// signature of empty or truncated usage data (apply refuses without `--allow-empty`).
    ZeroesEveryLine,
    /// Every change needs an approval nobody gave: there is nothing apply may write.
    AllHeld {
        /// How many changes are held.
        held: usize,
    },
}

/// Usage data that stops before its period does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialData {
    /// The integration.
    pub integration: String,
    /// The last day any of its accounts has data for (`None`: no data at all).
    pub last_day: Option<NaiveDate>,
    /// The period's last day.
    pub period_end: NaiveDate,
    /// Whether the period is still running (today is on or before its last day).
    pub period_open: bool,
}

impl PartialData {
    /// `keeper's usage ends 2026-10-03, the period 2026-10-31` and why that matters.
    pub fn message(&self) -> String {
        let ends = match self.last_day {
            Some(day) => format!("ends {day}"),
            None => "has no day with data".to_owned(),
        };
        let period = if self.period_open {
            format!(
                "the period has not ended yet (it runs to {})",
                self.period_end
            )
        } else {
            format!("the period runs to {}", self.period_end)
        };
        format!(
            "incomplete usage data: {}'s usage {ends} and {period}; billing it now would under-bill",
            self.integration
        )
    }
}

impl std::fmt::Display for Blocker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Errors {
                integration,
                findings,
            } => write!(
                f,
                "{integration}: {findings} error finding(s); none of its changes is applied"
            ),
            Self::PartialData(partial) => f.write_str(&partial.message()),
            Self::ZeroesEveryLine => f.write_str(
                "the plan sets every line it covers to zero (empty or truncated usage data?)",
            ),
            Self::AllHeld { held } => write!(f, "all {held} change(s) need approval"),
        }
    }
}

/// The integrations whose usage stops before the period's last day, or whose period is still
/// running on `today`. Judged on each integration's data as a whole — its last day with data for
/// any account — since one account stopping early is normal (a cancelled customer).
pub(super) fn partial_data(
    usage: &BTreeMap<String, Vec<AccountUsage>>,
    period: Period,
    today: NaiveDate,
) -> Vec<PartialData> {
    let period_end = period.last_day();
    let period_open = today <= period_end;
    usage
        .iter()
        .filter_map(|(integration, accounts)| {
            let last_day = accounts
                .iter()
                .flat_map(|a| &a.daily)
                .map(|(day, _)| *day)
                .filter(|day| period.contains(*day))
                .max();
            let complete = !period_open && last_day == Some(period_end);
            (!complete).then(|| PartialData {
                integration: integration.clone(),
                last_day,
                period_end,
                period_open,
            })
        })
        .collect()
}

/// Every blocker of a plan whose changes and findings are final.
pub(super) fn blockers(
    changes: &[Change],
    findings: &[Finding],
    between: &BTreeMap<String, usize>,
    partial: Vec<PartialData>,
) -> Vec<Blocker> {
    let mut errors = between.clone();
    for finding in findings.iter().filter(|f| f.severity == Severity::Error) {
        if let Some(integration) = &finding.integration {
            *errors.entry(integration.clone()).or_default() += 1;
        }
    }
    let mut blockers: Vec<Blocker> = errors
        .into_iter()
        .map(|(integration, findings)| Blocker::Errors {
            integration,
            findings,
        })
        .collect();
    blockers.extend(partial.into_iter().map(Blocker::PartialData));
    let blocked: BTreeSet<String> = blockers
        .iter()
        .filter_map(|b| match b {
            Blocker::Errors { integration, .. } => Some(integration.clone()),
            _ => None,
        })
        .collect();
    blockers.extend(of_changes(changes, &blocked));
    blockers
}

/// The blockers that follow from the changes alone — every line to zero, every writable change
/// held — given the integrations error findings block. (A saved plan, which keeps no findings,
/// gets its blockers from here.)
pub fn of_changes(changes: &[Change], blocked: &BTreeSet<String>) -> Vec<Blocker> {
    let mut blockers = Vec::new();
    if zeroes_every_line(changes) {
        blockers.push(Blocker::ZeroesEveryLine);
    }
    let actions: Vec<&Change> = changes
        .iter()
        .filter(|c| is_action(c) && !blocked.contains(&c.integration))
        .collect();
    let held = actions.iter().filter(|c| is_held(c)).count();
    if held > 0 && held == actions.len() {
        blockers.push(Blocker::AllHeld { held });
    }
    blockers
}

fn is_action(change: &Change) -> bool {
    change.action.kind() != super::ActionKind::NoOp
}

fn is_held(change: &Change) -> bool {
    matches!(change.approval, Approval::Needed(_))
}

/// Whether applying `changes` would leave every line at zero while some bill today.
pub(super) fn zeroes_every_line(changes: &[Change]) -> bool {
    let bills_today = changes
        .iter()
        .any(|c| c.current().is_some_and(|q| q > Decimal::ZERO));
    bills_today && changes.iter().any(is_action) && changes.iter().all(|c| c.quantity.is_zero())
}

impl Plan {
    /// Changes held back because they need approval nobody gave.
    pub fn held(&self) -> impl Iterator<Item = &Change> {
        self.actions()
            .filter(|c| is_held(c) && !self.is_blocked(&c.integration))
    }

    /// Changes not written because their integration has error findings.
    pub fn blocked(&self) -> impl Iterator<Item = &Change> {
        self.actions().filter(|c| self.is_blocked(&c.integration))
    }

    /// The changes apply may write: the actions neither held for approval nor blocked by an
    /// error finding of their integration.
    pub fn applicable(&self) -> impl Iterator<Item = &Change> {
        self.actions()
            .filter(|c| !is_held(c) && !self.is_blocked(&c.integration))
    }

    /// Whether error findings block `integration`.
    pub fn is_blocked(&self, integration: &str) -> bool {
        self.blockers
            .iter()
            .any(|b| matches!(b, Blocker::Errors { integration: i, .. } if i == integration))
    }

    /// The integrations whose usage does not cover the period.
    pub fn partial_data(&self) -> impl Iterator<Item = &PartialData> {
        self.blockers.iter().filter_map(|b| match b {
            Blocker::PartialData(partial) => Some(partial),
            _ => None,
        })
    }

    /// Whether applying would leave every line the plan covers at zero while some bill today —
    /// the signature of empty or truncated usage data, which must never zero a tenant.
    pub fn zeroes_every_line(&self) -> bool {
        self.blockers.contains(&Blocker::ZeroesEveryLine)
    }

    /// Whether every change apply could write is held for approval.
    pub fn all_held(&self) -> bool {
        self.blockers
            .iter()
            .any(|b| matches!(b, Blocker::AllHeld { .. }))
    }
}

#[cfg(test)]
mod unit {
    use rust_decimal_macros::dec;

    use super::*;
    use crate::usage::Measure;

    fn account(id: &str, days: &[u32]) -> AccountUsage {
        AccountUsage {
            vendor_unit_cost: None,
            account_id: id.into(),
            account_name: id.into(),
            sku: "BP".into(),
            measure: Measure {
                days_with_data: 0,
                total: Decimal::ZERO,
                usage: Decimal::ZERO,
            },
            daily: days
                .iter()
                .map(|d| {
                    (
                        NaiveDate::from_ymd_opt(2026, 10, *d).expect("date"),
                        dec!(1),
                    )
                })
                .collect(),
        }
    }

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).expect("date")
    }

    #[test]
    fn data_is_judged_as_a_whole_not_per_account() {
        let october: Period = "2026-10".parse().expect("period");
        let usage = BTreeMap::from([
            // A cancelled customer stops on the 3rd while the other account goes on.
            (
                "keeper".to_owned(),
                vec![account("1", &[1, 2, 3]), account("2", &[1, 31])],
            ),
            (
                "csv".to_owned(),
                vec![account("1", &[1, 2, 3]), account("2", &[1, 2])],
            ),
        ]);
        let partial = partial_data(&usage, october, day(11, 2));
        assert_eq!(
            partial,
            vec![PartialData {
                integration: "csv".into(),
                last_day: Some(day(10, 3)),
                period_end: day(10, 31),
                period_open: false,
            }]
        );
    }

    #[test]
    fn a_period_that_has_not_ended_is_partial_even_with_data_on_its_last_day() {
        let october: Period = "2026-10".parse().expect("period");
        let usage = BTreeMap::from([("keeper".to_owned(), vec![account("1", &[1, 31])])]);
        assert!(partial_data(&usage, october, day(11, 1)).is_empty());
        let open = partial_data(&usage, october, day(10, 31));
        assert!(open[0].period_open, "{open:?}");
        assert!(
            open[0].message().contains("has not ended yet"),
            "{}",
            open[0].message()
        );
    }
}
