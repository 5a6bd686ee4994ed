//! Approval thresholds: which changes are too large to apply without a human saying so, and
//! which of those a grant (an `approvals.yaml` entry or `--approve ADDRESS`) approves.
//!
//! Pure: thresholds come from the validated policy, grants from the caller; no I/O. Both
//! quantities come from outside (vendor usage, the PSA), so the arithmetic is checked: a
//! change too large to compute needs approval, it never panics.
#![deny(clippy::arithmetic_side_effects)]

use rust_decimal::Decimal;

use super::{Approval, Change};
use crate::config::model::{Limits, Thresholds};
use crate::period::Period;

/// Why a change from `current` to `quantity` needs approval under `t` and the sanity `limits`;
/// empty when it does not.
pub fn reasons(
    current: Option<Decimal>,
    quantity: Decimal,
    t: &Thresholds,
    limits: &Limits,
) -> Vec<String> {
    let before = current.unwrap_or_default();
    let Some(delta) = quantity.checked_sub(before) else {
        return vec![format!(
            "change from {before} to {quantity} is too large to compute; it needs approval"
        )];
    };
    let mut reasons = Vec::new();
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
    reasons.extend(beyond_limits(before, quantity, delta, limits));
    reasons
}

/// The sanity bounds (`policy.max_quantity`, `policy.max_quantity_change`): a quantity no
/// MSP line plausibly holds is a data error until a person says otherwise.
fn beyond_limits(
    before: Decimal,
    quantity: Decimal,
    delta: Decimal,
    limits: &Limits,
) -> Vec<String> {
    let mut reasons = Vec::new();
    if quantity > Decimal::from(limits.max_quantity) {
        reasons.push(format!(
            "quantity {quantity} exceeds policy.max_quantity {} (a sanity bound: check the usage data)",
            limits.max_quantity
        ));
    }
    if delta.abs() > Decimal::from(limits.max_quantity_change) {
        reasons.push(format!(
            "change of {} units ({before} → {quantity}) exceeds policy.max_quantity_change {} (a sanity bound)",
            delta.abs().normalize(),
            limits.max_quantity_change
        ));
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

pub use crate::config::model::Grant;

/// The standing of a change from `current` to `quantity`: within every threshold, or beyond
/// some and approved by the first of `grants` that matches. A grant matches on the address, the
/// plan's period and the exact quantity; one for another period or quantity is ignored (an
/// approval expires with its period and never covers a larger change).
pub(super) fn standing(
    change: &Change,
    reasons: Vec<String>,
    period: Period,
    grants: &[Grant],
) -> Approval {
    if reasons.is_empty() {
        return Approval::NotNeeded;
    }
    let grant = grants.iter().find(|g| {
        g.address == change.address
            && g.period.is_none_or(|p| p == period)
            && g.quantity
                .is_none_or(|q| q.normalize() == change.quantity.normalize())
    });
    match grant {
        Some(grant) => Approval::Approved {
            reasons,
            by: grant.source.clone(),
        },
        None => Approval::Needed(reasons),
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

    fn reasons(current: Option<Decimal>, quantity: Decimal, t: &Thresholds) -> Vec<String> {
        super::reasons(current, quantity, t, &Limits::default())
    }

    #[test]
    fn quantities_beyond_the_sanity_bounds_need_approval_and_never_overflow() {
        let bounds = Limits {
            max_quantity: 100,
            max_quantity_change: 30,
        };
        let none = Thresholds::default();
        assert!(super::reasons(Some(dec!(90)), dec!(100), &none, &bounds).is_empty());
        let big = super::reasons(Some(dec!(90)), dec!(101), &none, &bounds);
        assert_eq!(big.len(), 1, "{big:?}");
        assert!(
            big[0].contains("exceeds policy.max_quantity 100"),
            "{big:?}"
        );
        let jump = super::reasons(Some(dec!(10)), dec!(41), &none, &bounds);
        assert!(
            jump[0].contains("exceeds policy.max_quantity_change 30"),
            "{jump:?}"
        );
        let huge = dec!(79228162514264337593543950335);
        let absurd = super::reasons(Some(dec!(1)), huge, &limits(), &Limits::default());
        assert!(
            absurd.iter().any(|r| r.contains("max_quantity 100000")),
            "{absurd:?}"
        );
        let too_far = super::reasons(Some(-huge), huge, &limits(), &Limits::default());
        assert!(too_far[0].contains("too large"), "{too_far:?}");
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
