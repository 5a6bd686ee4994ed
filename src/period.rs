//! Billing periods: a calendar month, named `YYYY-MM`.
//!
//! Owns the date arithmetic billing needs (days in the month, first day of the next month) so the
//! rest of the crate never does month maths by hand. Pure: no clock reads; callers pass "today".

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Months, NaiveDate};

/// One calendar month that usage is measured over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    /// First day of the month.
    first: NaiveDate,
}

/// A `--period` value that is not a real `YYYY-MM` month.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a billing period; expected YYYY-MM, e.g. 2026-10")]
pub struct BadPeriod(pub String);

impl Period {
    /// The month containing `date`.
    pub fn containing(date: NaiveDate) -> Self {
        Self {
            first: date.with_day(1).unwrap_or(date),
        }
    }

    /// The calendar month before the one containing `today`: the month a vendor invoices for on
    /// the first business day of the next one, so the default for `plan` and `apply`.
    pub fn previous_to(today: NaiveDate) -> Self {
        Self::containing(today).previous()
    }

    /// The month before this one.
    pub fn previous(self) -> Self {
        Self {
            first: self
                .first
                .checked_sub_months(Months::new(1))
                .unwrap_or(self.first),
        }
    }

    /// First day of the month.
    pub fn first_day(self) -> NaiveDate {
        self.first
    }

    /// Last day of the month.
    pub fn last_day(self) -> NaiveDate {
        self.next_month_start().pred_opt().unwrap_or(self.first)
    }

    /// First day of the following month (the default effective date of a change).
    pub fn next_month_start(self) -> NaiveDate {
        self.first
            .checked_add_months(Months::new(1))
            .unwrap_or(self.first)
    }

    /// Number of days in the month: the divisor of the daily-average billing model.
    pub fn days(self) -> u32 {
        let days = self
            .next_month_start()
            .signed_duration_since(self.first)
            .num_days();
        u32::try_from(days).unwrap_or(31)
    }

    /// Whether `date` falls inside the month.
    pub fn contains(self, date: NaiveDate) -> bool {
        date.year() == self.first.year() && date.month() == self.first.month()
    }
}

impl FromStr for Period {
    type Err = BadPeriod;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || BadPeriod(text.to_owned());
        let (year, month) = text.split_once('-').ok_or_else(bad)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        let month: u32 = month.parse().map_err(|_| bad())?;
        let first = NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(bad)?;
        Ok(Self { first })
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.first.year(), self.first.month())
    }
}

impl serde::Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Period {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(text: &str) -> Period {
        text.parse().expect("valid period")
    }

    #[test]
    fn days_in_month_cover_short_long_and_leap_months() {
        assert_eq!(period("2026-10").days(), 31);
        assert_eq!(period("2026-11").days(), 30);
        assert_eq!(period("2026-02").days(), 28);
        assert_eq!(period("2028-02").days(), 29);
        assert_eq!(period("2100-02").days(), 28);
    }

    #[test]
    fn next_month_start_rolls_over_the_year() {
        let date = period("2026-12").next_month_start();
        assert_eq!(date, NaiveDate::from_ymd_opt(2027, 1, 1).expect("date"));
    }

    #[test]
    fn default_period_is_the_previous_month() {
        let today = NaiveDate::from_ymd_opt(2026, 1, 15).expect("date");
        assert_eq!(Period::previous_to(today).to_string(), "2025-12");
    }

    #[test]
    fn rejects_malformed_periods() {
        for text in [
            "2026-13", "2026-1", "26-10", "2026/10", "", "2026-00", "abcd-ef",
        ] {
            assert!(text.parse::<Period>().is_err(), "{text} should be rejected");
        }
    }
}
