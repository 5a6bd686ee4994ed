//! The money of a saved plan's changes and findings, so `reckon show` renders a saved plan with
//! the same figures `plan` printed. Exact decimal strings; a currency as its code. Apply reads
//! none of it.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::{Currency, Money};
use crate::plan::money::ChangeMoney;

/// An amount and its currency code.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AmountDoc {
    amount: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    currency: Option<String>,
}

/// [`ChangeMoney`] on the wire.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ChangeMoneyDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unit_price: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unit_cost: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    list_price: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vendor_unit_cost: Option<AmountDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vendor_cost: Option<AmountDoc>,
}

/// `money` as saved: `None` when nothing about it is known.
pub(super) fn save(money: &ChangeMoney) -> Option<ChangeMoneyDoc> {
    (*money != ChangeMoney::default()).then(|| ChangeMoneyDoc {
        currency: money.currency.as_ref().map(ToString::to_string),
        unit_price: money.unit_price,
        unit_cost: money.unit_cost,
        list_price: money.list_price,
        vendor_unit_cost: money.vendor_unit_cost.as_ref().map(amount),
        vendor_cost: money.vendor_cost.as_ref().map(amount),
    })
}

/// The money read back (a currency that is no code reads as none).
pub(super) fn load(doc: Option<ChangeMoneyDoc>) -> ChangeMoney {
    let Some(doc) = doc else {
        return ChangeMoney::default();
    };
    ChangeMoney {
        currency: doc.currency.as_deref().and_then(Currency::parse),
        unit_price: doc.unit_price,
        unit_cost: doc.unit_cost,
        list_price: doc.list_price,
        vendor_unit_cost: doc.vendor_unit_cost.map(money),
        vendor_cost: doc.vendor_cost.map(money),
    }
}

/// An amount as saved.
pub(super) fn amount(m: &Money) -> AmountDoc {
    AmountDoc {
        amount: m.amount,
        currency: m.currency.as_ref().map(ToString::to_string),
    }
}

/// An amount read back.
pub(super) fn money(doc: AmountDoc) -> Money {
    Money::new(
        doc.amount,
        doc.currency.as_deref().and_then(Currency::parse),
    )
}
