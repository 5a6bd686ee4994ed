//! Amounts of money: currencies, prices and costs read from text, and how an amount is shown.
//!
//! A leaf of the pure core (it imports nothing of reckon): sources parse vendor rates with it,
//! the config reads `billing.currency` and `services[].price` with it, the planner multiplies
//! with it and every render formats with it. Exact decimals only, never `f64`; an amount is
//! rounded only when shown, to the currency's minor unit, half away from zero
//! ([`Money::rounded`]). Nothing here converts between currencies.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};

/// An ISO 4217 currency code (`USD`, `EUR`), or the code a vendor printed (Keeper Commander
/// prints `UNKNOWN` when its server names no currency): upper-case ASCII letters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency(String);

impl Currency {
    /// `code` as a currency, when it is 3 to 8 upper-case ASCII letters.
    pub fn parse(code: &str) -> Option<Self> {
        let ok = (3..=8).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_uppercase());
        ok.then(|| Self(code.to_owned()))
    }

    /// The code, e.g. `USD`.
    pub fn code(&self) -> &str {
        &self.0
    }

    /// Decimal places of the currency's minor unit (ISO 4217): 0 for yen and won, 3 for the
    /// dinars of Bahrain, Jordan, Kuwait, Libya, Tunisia and Iraq and the Omani rial, 2 otherwise.
    pub fn minor_units(&self) -> u32 {
        match self.0.as_str() {
            "JPY" | "KRW" | "ISK" | "CLP" | "VND" | "PYG" | "UGX" | "XAF" | "XOF" => 0,
            "BHD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" | "IQD" => 3,
            _ => 2,
        }
    }

    /// The sign Keeper Commander prints instead of the code (commands/msp.py:186-196).
    fn symbol(&self) -> Option<&'static str> {
        SYMBOLS
            .iter()
            .find(|(_, code)| *code == self.0)
            .map(|(symbol, _)| *symbol)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The signs Keeper Commander 18.1.8 prints for a currency (`price_text_short`,
/// commands/msp.py:182-199); every other currency is printed as its code.
const SYMBOLS: [(&str, &str); 4] = [("$", "USD"), ("€", "EUR"), ("£", "GBP"), ("¥", "JPY")];

/// An exact amount, in a currency when one is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    /// The exact amount (never rounded).
    pub amount: Decimal,
    /// Its currency; `None` when the source did not say (a bare number in a CSV file).
    pub currency: Option<Currency>,
}

impl Money {
    /// `amount` in `currency`.
    pub fn new(amount: Decimal, currency: Option<Currency>) -> Self {
        Self { amount, currency }
    }

    /// The amount rounded to the currency's minor unit (2 places when the currency is not
    /// known), half away from zero: 22.495 → 22.50, 0.125 JPY → 0.
    pub fn rounded(&self) -> Decimal {
        let places = self.currency.as_ref().map_or(2, Currency::minor_units);
        self.amount
            .round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero)
    }

    /// `22.50`, `-3.76`: the amount as [`Display`](fmt::Display) shows it, without the
    /// currency (for a table whose heading names it).
    pub fn plain(&self) -> String {
        let (sign, digits) = self.sign_and_digits();
        format!("{sign}{digits}")
    }

    /// The sign (`-` or nothing: a negative amount that rounds to zero has none) and the
    /// rounded digits with the minor unit's places written out.
    fn sign_and_digits(&self) -> (&'static str, Decimal) {
        let places = self.currency.as_ref().map_or(2, Currency::minor_units);
        let mut rounded = self.rounded();
        rounded.rescale(places);
        let sign = if rounded.is_sign_negative() && !rounded.is_zero() {
            "-"
        } else {
            ""
        };
        (sign, rounded.abs())
    }

    /// Whether `self` and `other` can be added or compared: the same currency, or one of them
    /// without a stated currency (a bare number is read as being in the other's).
    pub fn same_currency(&self, other: &Money) -> bool {
        match (&self.currency, &other.currency) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
    }
}

/// `$22.50`, `€3.75`, `CHF 12.00`, `-$3.75`, `22.50` (no currency): rounded as
/// [`Money::rounded`] says, with the minor unit's places written out.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (sign, digits) = self.sign_and_digits();
        match &self.currency {
            Some(currency) => match currency.symbol() {
                Some(symbol) => write!(f, "{sign}{symbol}{digits}"),
                None => write!(f, "{sign}{currency} {digits}"),
            },
            None => write!(f, "{sign}{digits}"),
        }
    }
}

/// Why a price or cost text is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a price: {why}")]
pub struct PriceError {
    /// The text as read.
    pub text: String,
    /// What is wrong with it.
    pub why: &'static str,
}

/// Reads a price or cost per unit as a vendor or a person writes it: an optional currency sign
/// (`$`, `€`, `£`, `¥`) or code (`AUD`, `USD `), then a non-negative number, exactly. Python's
/// float text is accepted as Keeper Commander prints it (`5.0`, `3.75`, `1e-05`:
/// `str(price_info['amount'])`, commands/msp.py:198). Empty text is `Ok(None)`: no price.
pub fn parse_price(text: &str) -> Result<Option<Money>, PriceError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let error = |why| PriceError {
        text: text.to_owned(),
        why,
    };
    let (currency, number) = split_currency(trimmed);
    let number = number.trim();
    if number.starts_with('-') {
        return Err(error("a price or cost is never negative"));
    }
    let amount = if number.contains(['e', 'E']) {
        Decimal::from_scientific(number)
    } else {
        Decimal::from_str_exact(number)
    }
    .map_err(|_| error("not a decimal number"))?;
    Ok(Some(Money::new(amount.normalize(), currency)))
}

/// The currency a price text starts with, and the rest.
fn split_currency(text: &str) -> (Option<Currency>, &str) {
    for (symbol, code) in SYMBOLS {
        if let Some(rest) = text.strip_prefix(symbol) {
            return (Currency::parse(code), rest);
        }
    }
    let letters = text.bytes().take_while(u8::is_ascii_uppercase).count();
    match Currency::parse(&text[..letters]) {
        Some(currency) => (Some(currency), &text[letters..]),
        None => (None, text),
    }
}

/// `quantity × unit`, or `None` when the product does not fit in a decimal.
pub fn times(quantity: Decimal, unit: Decimal) -> Option<Decimal> {
    quantity.checked_mul(unit)
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    fn usd(amount: Decimal) -> Money {
        Money::new(amount, Currency::parse("USD"))
    }

    #[test]
    fn commanders_rate_texts_read_exactly_with_their_currency() {
        assert_eq!(parse_price("$3.75"), Ok(Some(usd(dec!(3.75)))));
        assert_eq!(parse_price("$5.0"), Ok(Some(usd(dec!(5)))));
        let euro = parse_price("€1.25").expect("ok").expect("some");
        assert_eq!(euro.currency, Currency::parse("EUR"));
        let aud = parse_price("AUD2.4").expect("ok").expect("some");
        assert_eq!(
            (aud.amount, aud.currency),
            (dec!(2.4), Currency::parse("AUD"))
        );
        let unknown = parse_price("UNKNOWN1.0").expect("ok").expect("some");
        assert_eq!(unknown.currency, Currency::parse("UNKNOWN"));
        assert_eq!(
            parse_price("$1e-05").expect("ok").expect("some").amount,
            dec!(0.00001)
        );
        assert_eq!(parse_price(""), Ok(None));
        assert_eq!(parse_price("  "), Ok(None));
    }

    #[test]
    fn bare_numbers_have_no_currency_and_stay_exact() {
        let bare = parse_price("0.1000000000000000055511151231").expect("ok");
        assert_eq!(
            bare,
            Some(Money::new(dec!(0.1000000000000000055511151231), None))
        );
        assert_eq!(
            parse_price("USD 4").expect("ok"),
            Some(usd(dec!(4))),
            "a code and a space"
        );
    }

    #[test]
    fn garbage_and_negative_prices_are_errors() {
        for text in ["$", "$abc", "-1", "$-1", "nan", "inf", "$1.2.3", "3,75"] {
            assert!(parse_price(text).is_err(), "{text}");
        }
    }

    #[test]
    fn amounts_show_rounded_half_away_from_zero_to_the_minor_unit() {
        assert_eq!(usd(dec!(27.09675)).to_string(), "$27.10");
        assert_eq!(usd(dec!(22.495)).to_string(), "$22.50");
        assert_eq!(usd(dec!(22.494999)).to_string(), "$22.49");
        assert_eq!(usd(dec!(-3.755)).to_string(), "-$3.76");
        assert_eq!(usd(dec!(-0.001)).to_string(), "$0.00");
        assert_eq!(usd(dec!(5)).to_string(), "$5.00");
        let yen = Money::new(dec!(1234.5), Currency::parse("JPY"));
        assert_eq!(yen.to_string(), "¥1235");
        let franc = Money::new(dec!(12), Currency::parse("CHF"));
        assert_eq!(franc.to_string(), "CHF 12.00");
        let dinar = Money::new(dec!(1.2345), Currency::parse("KWD"));
        assert_eq!(dinar.to_string(), "KWD 1.235");
        assert_eq!(Money::new(dec!(1.5), None).to_string(), "1.50");
        assert_eq!(usd(dec!(-3.755)).plain(), "-3.76");
        assert_eq!(usd(dec!(-0.001)).plain(), "0.00");
        assert_eq!(dinar.plain(), "1.235");
    }

    #[test]
    fn currencies_are_upper_case_codes() {
        assert!(Currency::parse("usd").is_none());
        assert!(Currency::parse("US").is_none());
        assert!(Currency::parse("US1").is_none());
        assert!(Currency::parse("USD").is_some());
    }

    #[test]
    fn a_bare_amount_goes_with_any_currency_two_codes_must_agree() {
        let bare = Money::new(dec!(1), None);
        let eur = Money::new(dec!(1), Currency::parse("EUR"));
        assert!(bare.same_currency(&eur));
        assert!(!usd(dec!(1)).same_currency(&eur));
    }
}
