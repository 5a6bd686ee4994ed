//! Approval thresholds: which changes are too large to apply without a human saying so, and
//! which of those a grant (an `approvals.yaml` entry or `--approve ADDRESS`) approves.
//!
//! Pure: thresholds come from the validated policy, grants from the caller; no I/O. Both
//! quantities come from outside (vendor usage, the PSA), so the arithmetic is checked: a
//! change too large to compute needs approval, it never panics.
#![deny(clippy::arithmetic_side_effects)]

use rust_decimal::Decimal;

use super::{Approval, Plan};
use crate::config::model::Thresholds;
use crate::period::Period;

/// Why a change from `current` to `quantity` needs approval under `t`; empty when it does not.
pub fn reasons(current: Option<Decimal>, quantity: Decimal, t: &Thresholds) -> Vec<String> {
    let mut reasons = Vec::new();
    let before = current.unwrap_or_default();
    let Some(delta) = quantity.checked_sub(before) else {
        reasons.push(format!(
            "change from {before} to {quantity} is too large to compute; it needs approval"
        ));
        return reasons;
    };
    if let Some(max) = t.max_change_units
        && delta.abs() > Decimal::from(max)
    {
        reasons.push(format!(
            "change of {} units ({before} → {quantity}) exceeds max_change_units {max}",
            delta.abs().normalize()
        ));
    }
    if delta > Decimal::ZERO
        && let Some(max) = t.max_increase_percent
    {
        match percent(delta, before) {
            Some(p) if p <= Decimal::from(max) => {}
            Some(p) => reasons.push(format!(
                "increase of {p}% ({before} → {quantity}) exceeds max_increase_percent {max}"
            )),
            None => reasons.push(format!(
                "increase from 0 to {quantity} exceeds max_increase_percent {max}"
            )),
        }
    }
    if delta < Decimal::ZERO {
        if let Some(max) = t.max_decrease_percent
            && let Some(p) = percent(delta.abs(), before)
            && p > Decimal::from(max)
        {
            reasons.push(format!(
                "decrease of {p}% ({before} → {quantity}) exceeds max_decrease_percent {max}"
            ));
        }
        if quantity.is_zero() && !t.allow_decrease_to_zero {
            reasons.push(format!(
                "decrease to zero ({before} → 0) needs approval (policy.allow_decrease_to_zero is false)"
            ));
        }
    }
    reasons
}

/// `delta` as a percentage of `base`, to 2 places; `None` when `base` is zero. A percentage
/// too large for a `Decimal` is shown as `Decimal::MAX` (it exceeds any threshold anyway).
fn percent(delta: Decimal, base: Decimal) -> Option<Decimal> {
    if base.is_zero() {
        return None;
    }
    let exact = delta
        .checked_mul(Decimal::ONE_HUNDRED)
        .and_then(|d| d.checked_div(base));
    let dividing_first = || {
        delta
            .checked_div(base)
            .and_then(|r| r.checked_mul(Decimal::ONE_HUNDRED))
    };
    let p = exact.or_else(dividing_first).unwrap_or(Decimal::MAX);
    Some(p.round_dp(2).normalize())
}

/// Permission to apply one change that needs approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The plan address approved.
    pub address: String,
    /// The period it is valid for; `None` (only `--approve`) for this run's period.
    pub period: Option<Period>,
    /// The quantity approved; `None` (only `--approve`) for whatever this run's plan says.
    pub quantity: Option<Decimal>,
    /// Where it came from, e.g. `approvals.yaml:4` or `--approve`.
    pub source: String,
}

/// Marks every change that needs approval and has a matching grant as approved. A grant
/// matches on the address, the plan's period and the exact quantity; one for another period or
/// quantity is ignored (an approval expires with its period and never covers a larger change).
pub fn approve(plan: &mut Plan, grants: &[Grant]) {
    let period = plan.period;
    for change in &mut plan.changes {
        let Approval::Needed(reasons) = &change.approval else {
            continue;
        };
        let grant = grants.iter().find(|g| {
            g.address == change.address
                && g.period.is_none_or(|p| p == period)
                && g.quantity
                    .is_none_or(|q| q.normalize() == change.quantity.normalize())
        });
        if let Some(grant) = grant {
            change.approval = Approval::Approved {
                reasons: reasons.clone(),
                by: grant.source.clone(),
            };
        }
    }
}

impl Plan {
    /// Changes held back because they need approval nobody gave.
    pub fn held(&self) -> impl Iterator<Item = &super::Change> {
        self.actions()
            .filter(|c| matches!(c.approval, Approval::Needed(_)))
    }

    /// The changes apply may write: the actions not held for approval.
    pub fn applicable(&self) -> impl Iterator<Item = &super::Change> {
        self.actions()
            .filter(|c| !matches!(c.approval, Approval::Needed(_)))
    }

    /// Whether applying would leave every line the plan covers at zero while some bill today —
    /// the signature of empty or truncated usage data, which must never zero a tenant.
    pub fn zeroes_every_line(&self) -> bool {
        let bills_today = self
            .changes
            .iter()
            .any(|c| c.current.is_some_and(|q| q > Decimal::ZERO));
        bills_today && self.has_changes() && self.changes.iter().all(|c| c.quantity.is_zero())
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)] // fixtures: small literal dates and counts
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    fn limits() -> Thresholds {
        Thresholds {
            max_increase_percent: Some(20),
            max_decrease_percent: Some(10),
            max_change_units: Some(5),
            allow_decrease_to_zero: false,
        }
    }

    #[test]
    fn changes_within_every_threshold_need_nothing() {
        assert!(reasons(Some(dec!(10)), dec!(12), &limits()).is_empty());
        assert!(reasons(Some(dec!(10)), dec!(9), &limits()).is_empty());
        assert!(reasons(Some(dec!(10)), dec!(12), &Thresholds::default()).is_empty());
    }

    #[test]
    fn each_threshold_names_itself() {
        let up = reasons(Some(dec!(8)), dec!(10), &limits());
        assert_eq!(
            up,
            vec!["increase of 25% (8 → 10) exceeds max_increase_percent 20".to_owned()]
        );
        let down = reasons(Some(dec!(20)), dec!(14), &limits());
        assert_eq!(down.len(), 2, "{down:?}"); // 6 units and 30 %
        let zero = reasons(Some(dec!(3)), dec!(0), &Thresholds::default());
        assert!(zero[0].contains("decrease to zero"), "{zero:?}");
        let allowed = Thresholds {
            allow_decrease_to_zero: true,
            ..Thresholds::default()
        };
        assert!(reasons(Some(dec!(3)), dec!(0), &allowed).is_empty());
        let from_zero = reasons(Some(dec!(0)), dec!(7), &limits());
        assert!(
            from_zero.iter().any(|r| r.contains("increase from 0 to 7")),
            "{from_zero:?}"
        );
    }

    #[test]
    fn huge_quantities_need_approval_instead_of_overflowing() {
        let huge = dec!(1000000000000000000000000000);
        let up = reasons(Some(dec!(1)), huge, &limits());
        assert!(
            up.iter().any(|r| r.contains("max_increase_percent")),
            "{up:?}"
        );
        let down = reasons(Some(Decimal::MAX), dec!(1), &limits());
        assert!(
            down.iter().any(|r| r.contains("max_decrease_percent")),
            "{down:?}"
        );
        let across = reasons(Some(Decimal::MIN), Decimal::MAX, &limits());
        assert!(across[0].contains("too large to compute"), "{across:?}");
        assert_eq!(percent(huge, dec!(0.001)), Some(Decimal::MAX));
    }
}
