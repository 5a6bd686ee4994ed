//! JSON numbers from PSA answers as exact decimals: read from the number's text, never through
//! a float. Shared by the adapters' wire modules; owns nothing else.

use rust_decimal::Decimal;

/// A JSON number as an exact decimal, from its text (`12.5`, `10`, `1e3`).
pub fn decimal(number: &serde_json::Number) -> Option<Decimal> {
    let text = number.to_string();
    text.parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()
}

/// An optional price field as an exact, normalised decimal (`None` when absent or null); the
/// number's text when it is no decimal, for the caller's error.
pub fn optional_amount(number: Option<&serde_json::Number>) -> Result<Option<Decimal>, String> {
    number
        .map(|n| {
            decimal(n)
                .map(|d| d.normalize())
                .ok_or_else(|| n.to_string())
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(text: &str) -> serde_json::Number {
        serde_json::from_str(text).expect("a JSON number")
    }

    #[test]
    fn numbers_are_read_exactly_from_their_text() {
        assert_eq!(decimal(&number("12.06")), Some(Decimal::new(1206, 2)));
        assert_eq!(decimal(&number("1e3")), Some(Decimal::new(1000, 0)));
        assert_eq!(
            optional_amount(Some(&number("4.50"))),
            Ok(Some(Decimal::new(45, 1)))
        );
        assert_eq!(optional_amount(None), Ok(None));
        assert!(optional_amount(Some(&number("1e30"))).is_err());
    }
}
