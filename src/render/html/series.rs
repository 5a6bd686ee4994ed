//! A month of daily usage as the short text the page's script draws its chart from, on demand
//! (20,000 SVG charts in the file would cost megabytes and seconds of layout).
//!
//! The text is the count of every day of the period in order, run-length encoded: runs
//! separated by `,`, each `COUNT` or `COUNT*DAYS` (`12*10,14*21`: 12 for ten days, then 14).
//! A day without a row counts as 0, as the billing models count it. Counts are written as
//! exact decimals; the script parses them only to place points, and labels with this text.
//!
//! The counts come from vendor files, so the arithmetic is checked: a day whose counts do not
//! add up within a `Decimal` gives `None` (the page says so instead of drawing).
#![deny(clippy::arithmetic_side_effects)]

use std::fmt::Write as _;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::period::Period;

/// The run-length text of `daily` over `period`, or `None` when a day's counts overflow.
pub fn encode(period: Period, daily: &[(NaiveDate, Decimal)]) -> Option<String> {
    let days = days(period, daily)?;
    let mut text = String::new();
    let mut runs = days.chunk_by(|a, b| a == b).peekable();
    while let Some(run) = runs.next() {
        let _ = write!(text, "{}", run[0].normalize());
        if run.len() > 1 {
            let _ = write!(text, "*{}", run.len());
        }
        if runs.peek().is_some() {
            text.push(',');
        }
    }
    Some(text)
}

/// The count of every day of `period`, in order.
fn days(period: Period, daily: &[(NaiveDate, Decimal)]) -> Option<Vec<Decimal>> {
    let mut days = vec![Decimal::ZERO; period.days() as usize];
    for (date, count) in daily {
        if !period.contains(*date) {
            continue;
        }
        let index = date.signed_duration_since(period.first_day()).num_days();
        if let Some(slot) = usize::try_from(index).ok().and_then(|i| days.get_mut(i)) {
            *slot = slot.checked_add(*count)?;
        }
    }
    Some(days)
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)] // fixtures: small literal dates and counts
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    fn period() -> Period {
        "2026-02".parse().expect("test value")
    }

    fn date(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 2, day).expect("test value")
    }

    #[test]
    fn constant_usage_is_one_run() {
        let daily: Vec<_> = (1..=28).map(|d| (date(d), dec!(5.0))).collect();
        assert_eq!(encode(period(), &daily).as_deref(), Some("5*28"));
    }

    #[test]
    fn a_mid_month_start_counts_the_days_before_as_zero_and_keeps_decimals() {
        let mut daily: Vec<_> = (15..=27).map(|d| (date(d), dec!(10))).collect();
        daily.push((date(28), dec!(2.5)));
        assert_eq!(encode(period(), &daily).as_deref(), Some("0*14,10*13,2.5"));
    }

    #[test]
    fn days_outside_the_period_are_ignored_and_rows_of_one_day_add_up() {
        let rows = [
            (
                NaiveDate::from_ymd_opt(2026, 3, 1).expect("test value"),
                dec!(9),
            ),
            (date(1), dec!(1)),
            (date(1), dec!(2)),
        ];
        assert_eq!(encode(period(), &rows).as_deref(), Some("3,0*27"));
    }

    #[test]
    fn counts_that_overflow_give_none() {
        let same_day = [(date(1), Decimal::MAX), (date(1), Decimal::MAX)];
        assert_eq!(encode(period(), &same_day), None);
    }
}
