//! A change's daily series in one compact string, so a saved plan of 20,000 lines stays a few
//! megabytes: `2026-10-01 3 3 4 2026-10-09 5` — a date sets the day, each count is that day's
//! and moves to the next. Exact for any series (gaps, any order, repeated dates), decimals as
//! written.

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;

/// The series as text (empty for none).
pub(super) fn encode(daily: &[(NaiveDate, Decimal)]) -> String {
    let mut out = String::new();
    let mut next: Option<NaiveDate> = None;
    for (date, count) in daily {
        if next != Some(*date) {
            push(&mut out, &date.to_string());
        }
        push(&mut out, &count.to_string());
        next = date.checked_add_days(Days::new(1));
    }
    out
}

fn push(out: &mut String, token: &str) {
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(token);
}

/// The series [`encode`] wrote.
pub(super) fn decode(text: &str) -> Result<Vec<(NaiveDate, Decimal)>, String> {
    let mut daily = Vec::new();
    let mut day: Option<NaiveDate> = None;
    for token in text.split_ascii_whitespace() {
        if token.len() == 10 && token.as_bytes().get(4) == Some(&b'-') {
            let date = token
                .parse()
                .map_err(|_| format!("`{token}` is not a date"))?;
            day = Some(date);
            continue;
        }
        let count: Decimal = token
            .parse()
            .map_err(|_| format!("`{token}` is not a decimal"))?;
        let date = day.ok_or_else(|| format!("the count `{token}` has no date before it"))?;
        daily.push((date, count));
        day = date.checked_add_days(Days::new(1));
    }
    Ok(daily)
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 10, d).expect("date")
    }

    #[test]
    fn runs_share_one_date_and_gaps_restate_it() {
        let daily = vec![
            (day(1), dec!(3)),
            (day(2), dec!(3.50)),
            (day(5), dec!(0)),
            (day(5), dec!(1)),
            (day(3), dec!(2)),
        ];
        let text = encode(&daily);
        assert_eq!(
            text,
            "2026-10-01 3 3.50 2026-10-05 0 2026-10-05 1 2026-10-03 2"
        );
        assert_eq!(decode(&text), Ok(daily));
        assert_eq!(decode(""), Ok(Vec::new()));
    }

    #[test]
    fn a_count_without_a_date_or_a_bad_token_is_refused() {
        assert!(decode("3").is_err());
        assert!(decode("2026-10-01 x").is_err());
        assert!(decode("2026-13-01 1").is_err());
    }
}
