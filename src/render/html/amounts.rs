//! Amounts of money in the review page's data, written compactly and shown exactly.
//!
//! At 5,000 accounts the lines table carries 60,000 amounts; as text (`"27.10"`) they were a
//! quarter of the page. So:
//! - a vendor cost or margin is the integer of the currency's minor unit that reckon's own
//!   rounding gives ([`crate::money::Money::rounded`], half away from zero): `2710`, which the
//!   script only formats (`27.10`), inserting the point; no arithmetic, so nothing can differ.
//!   `null` is `unknown`; an amount beyond what a script number holds exactly (2^53) is
//!   written as its text.
//! - a line's revenue after and before is not written at all: the cell holds the unit price
//!   (a shared string, there are few), and the script multiplies it by the line's quantities
//!   as exact integers (`BigInt`) and rounds half away from zero to the minor unit. Each cell
//!   is written that way only when [`scripted`], the same integer arithmetic here, gives
//!   exactly the figure reckon shows elsewhere; any other line keeps its revenue as text.
#![deny(clippy::arithmetic_side_effects)]

use rust_decimal::Decimal;

use super::data::{Cell, Rows};
use crate::money::{Currency, Money};

/// The largest integer a JavaScript number holds exactly (`Number.MAX_SAFE_INTEGER`).
const SAFE_INTEGER: i64 = 9_007_199_254_740_991;

/// Decimal places of the minor unit of `currency` (2 when it is not known), as
/// [`Money::rounded`] rounds to.
pub(super) fn places(currency: Option<&Currency>) -> u32 {
    currency.map_or(2, Currency::minor_units)
}

/// `value` rounded as reckon shows it, in minor units: `27.09675` → `2710`.
fn minor_units(value: Decimal, currency: Option<&Currency>) -> Option<i128> {
    let mut rounded = Money::new(value, currency.cloned()).rounded();
    rounded.rescale(places(currency));
    (rounded.scale() == places(currency)).then(|| rounded.mantissa())
}

/// A vendor cost or margin: minor units, `null` for unknown, or the text reckon shows when the
/// integer would not fit a script number.
pub(super) fn amount_cell(rows: &mut Rows, value: Option<Decimal>, currency: Option<&Currency>) {
    let Some(value) = value else {
        rows.cell(Cell::Missing);
        return;
    };
    match minor_units(value, currency)
        .and_then(|units| i64::try_from(units).ok())
        .filter(|units| units.checked_abs().is_some_and(|abs| abs <= SAFE_INTEGER))
    {
        Some(units) => rows.cell(Cell::Integer(units)),
        None => rows.cell(Cell::Own(&Money::new(value, currency.cloned()).plain())),
    }
}

/// What the page's script computes for `quantity × price` in minor units of `places` decimal
/// places: the exact product of the two decimals, rounded half away from zero. `None` when it
/// does not fit 128 bits (the script has no such limit: such a line keeps its text).
pub(super) fn scripted(quantity: Decimal, price: Decimal, places: u32) -> Option<i128> {
    let product = quantity.mantissa().checked_mul(price.mantissa())?;
    let scale = quantity.scale().checked_add(price.scale())?;
    if scale <= places {
        return product.checked_mul(10_i128.checked_pow(places.checked_sub(scale)?)?);
    }
    let divisor = 10_i128.checked_pow(scale.checked_sub(places)?)?;
    let quotient = product.checked_div(divisor)?;
    let remainder = product.checked_rem(divisor)?.checked_abs()?;
    if remainder.checked_mul(2)? >= divisor {
        quotient.checked_add(product.signum())
    } else {
        Some(quotient)
    }
}

/// A line's revenue: the unit price for the script to compute from, when its figures are
/// reckon's (`after`, and `before` from `current`, which is `None` for a line to create and
/// billing nothing yet); `unknown` without a price; else the texts, after with `from before`
/// under it when they differ.
pub(super) struct Revenue<'a> {
    pub quantity: Decimal,
    pub current: Option<Decimal>,
    pub price: Option<Decimal>,
    pub after: Option<Decimal>,
    pub before: Option<Decimal>,
    pub currency: Option<&'a Currency>,
    /// The minor unit's places the table's script formats with.
    pub places: u32,
}

impl Revenue<'_> {
    pub(super) fn cell(&self, rows: &mut Rows) {
        let Some(after) = self.after else {
            rows.cell(Cell::Missing);
            return;
        };
        if let Some(price) = self.price.filter(|_| self.computable(after)) {
            rows.cell(Cell::Shared(&price.normalize().to_string()));
            return;
        }
        let shown = |value: Option<Decimal>| crate::render::money::plain(value, self.currency);
        let (after, before) = (shown(Some(after)), shown(self.before));
        if before == after {
            rows.cell(Cell::Own(&after));
        } else {
            rows.pair(Cell::Own(&after), Cell::Own(&format!("from {before}")));
        }
    }

    /// Whether the script, computing from the price and the quantities, shows what reckon
    /// shows.
    fn computable(&self, after: Decimal) -> bool {
        let Some(price) = self.price else {
            return false;
        };
        let same = |quantity: Option<Decimal>, figure: Option<Decimal>| {
            let script = match quantity {
                Some(quantity) => scripted(quantity, price, self.places),
                None => Some(0),
            };
            script.is_some() && script == figure.and_then(|f| minor_units(f, self.currency))
        };
        places(self.currency) == self.places
            && same(Some(self.quantity), Some(after))
            && same(self.current, self.before)
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    #[test]
    fn the_scripts_arithmetic_rounds_half_away_from_zero_like_reckon() {
        let cases = [
            (dec!(7.2258), dec!(3.75), 2, Some(2710)),
            (dec!(10), dec!(5.00), 2, Some(5000)),
            (dec!(0.5), dec!(0.01), 2, Some(1)),
            (dec!(0.5), dec!(-0.01), 2, Some(-1)),
            (dec!(0.49), dec!(0.01), 2, Some(0)),
            (dec!(3), dec!(1234.5), 0, Some(3704)),
            (dec!(1.2345), dec!(1), 3, Some(1235)),
        ];
        for (quantity, price, places, minor) in cases {
            assert_eq!(
                scripted(quantity, price, places),
                minor,
                "{quantity} × {price}"
            );
            let usd = Currency::parse(match places {
                0 => "JPY",
                3 => "KWD",
                _ => "USD",
            });
            let reckon = minor_units(quantity * price, usd.as_ref());
            assert_eq!(reckon, minor, "{quantity} × {price} as reckon rounds it");
        }
        assert_eq!(scripted(Decimal::MAX, Decimal::MAX, 2), None);
    }
}
