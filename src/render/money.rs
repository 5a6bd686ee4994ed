//! Money as every human format shows it: an amount in the workspace's currency, rounded to the
//! minor unit ([`crate::money::Money`]'s `Display`), `unknown` when a figure is not known (never
//! 0), and a total that is only partly known said so. Formats only: the figures are the
//! plan's ([`crate::plan::money`]).

use rust_decimal::Decimal;

use crate::money::{Currency, Money};
use crate::plan::Change;
use crate::plan::money::{Summary, Total, Totals};

/// `$12.50`, or `unknown`.
pub fn amount(value: Option<Decimal>, currency: Option<&Currency>) -> String {
    value.map_or_else(
        || "unknown".to_owned(),
        |v| Money::new(v, currency.cloned()).to_string(),
    )
}

/// `12.50` (the currency left to a heading), or `unknown`.
pub fn plain(value: Option<Decimal>, currency: Option<&Currency>) -> String {
    value.map_or_else(
        || "unknown".to_owned(),
        |v| Money::new(v, currency.cloned()).plain(),
    )
}

/// `+$5.00` / `-$5.00` / `$0.00`, or `unknown`.
pub fn signed(value: Option<Decimal>, currency: Option<&Currency>) -> String {
    match value {
        Some(v) if v.is_sign_positive() && !v.is_zero() => {
            format!("+{}", amount(Some(v), currency))
        }
        other => amount(other, currency),
    }
}

/// `$120.00`, `$120.00 + 2 unknown`, or `unknown` when nothing in it is known.
pub fn total(total: &Total, currency: Option<&Currency>, of: usize) -> String {
    match total.unknown {
        0 => amount(Some(total.known), currency),
        n if n == of => "unknown".to_owned(),
        n => format!("{} + {n} unknown", amount(Some(total.known), currency)),
    }
}

/// `revenue $40.00 → $45.00/month (+$5.00); vendor cost $27.10 ($3.75/unit); margin $17.90`.
pub fn change_line(change: &Change) -> String {
    let currency = change.money.currency.as_ref();
    let vendor = match (&change.money.vendor_cost, &change.money.vendor_unit_cost) {
        (Some(cost), Some(rate)) => format!("{cost} ({rate}/unit)"),
        (Some(cost), None) => cost.to_string(),
        (None, _) => "unknown".to_owned(),
    };
    format!(
        "revenue {} → {}/month ({}); vendor cost {vendor}; margin {}",
        amount(change.revenue_before(), currency),
        amount(change.revenue_after(), currency),
        signed(change.revenue_delta(), currency),
        amount(change.margin(), currency),
    )
}

/// `revenue $40.00 → $45.00 (+$5.00), vendor cost $27.10, margin $17.90` for a group.
pub fn totals_line(totals: &Totals, currency: Option<&Currency>) -> String {
    let of = totals.count;
    let delta = match totals.delta() {
        Some(delta) => signed(Some(delta), currency),
        None => "unknown".to_owned(),
    };
    format!(
        "revenue {} → {} ({delta}), vendor cost {}, margin {}",
        total(&totals.revenue_before, currency, of),
        total(&totals.revenue_after, currency, of),
        total(&totals.vendor_cost, currency, of),
        total(&totals.margin, currency, of),
    )
}

/// `Money per month in USD (amounts rounded half away from zero to the minor unit)`.
pub fn heading(summary: &Summary) -> String {
    let currency = summary.currency.as_ref().map_or_else(
        || {
            "no billing.currency set, so vendor costs are neither totalled nor set against revenue"
                .to_owned()
        },
        |c| format!("in {c}"),
    );
    format!("Money per month, {currency}; amounts rounded half away from zero to the minor unit")
}

/// `$22.50 of vendor cost for unmapped accounts, not billed`, when there is some.
pub fn unbilled_line(summary: &Summary) -> Option<String> {
    if summary.unbilled.is_empty() {
        return None;
    }
    let costs: Vec<String> = summary.unbilled.iter().map(Money::to_string).collect();
    Some(format!(
        "not billed: {} of vendor cost for usage of unmapped accounts",
        costs.join(" + ")
    ))
}
