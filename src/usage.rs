//! The usage engine: daily vendor counts → a month's billable usage → a rounded quantity.
//!
//! Pure functions over exact decimals (`rust_decimal`); never `f64`. No I/O, no clock: the period
//! is passed in. The billing models and rounding modes here are the only place those rules live.
//!
//! Every count comes from outside (a vendor file), so all arithmetic here is checked: a sum too
//! large for `Decimal` is a [`RowProblem`] at the line that made it so ([`check_rows`]) or an
//! [`Overflow`] error, never a panic. The lint below keeps it that way.
#![deny(clippy::arithmetic_side_effects)]

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::period::Period;

/// How a month of daily counts becomes one billable number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum BillingModel {
    /// Sum of the daily counts ÷ the number of days in the month. A day without a row counts
    /// as 0, so an account that starts mid-month bills proportionally (Keeper's model).
    DailyAverage,
    /// The highest daily count of the month.
    Peak,
    /// The count on the last day of the month that has data.
    EndOfPeriod,
    /// The sum of all counts (metered consumption such as GB or API calls).
    Sum,
}

impl fmt::Display for BillingModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::DailyAverage => "daily-average",
            Self::Peak => "peak",
            Self::EndOfPeriod => "end-of-period",
            Self::Sum => "sum",
        })
    }
}

/// Which way a fractional usage is rounded to the precision the PSA accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RoundingMode {
    /// Half away from zero: 2.5 → 3, 2.49 → 2.
    #[default]
    Nearest,
    /// Towards positive infinity: 2.01 → 3.
    Up,
    /// Towards negative infinity: 2.99 → 2.
    Down,
}

impl fmt::Display for RoundingMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Nearest => "nearest",
            Self::Up => "up",
            Self::Down => "down",
        })
    }
}

/// A rounding rule: a mode and the number of decimal places the PSA accepts (0 for PSAs that
/// take only whole numbers, such as Autotask).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rounding {
    /// Direction of rounding.
    pub mode: RoundingMode,
    /// Decimal places kept; 0 means whole units.
    pub decimals: u32,
}

impl Rounding {
    /// Rounds `value` to this rule's precision.
    pub fn apply(self, value: Decimal) -> Decimal {
        let strategy = match self.mode {
            RoundingMode::Nearest => RoundingStrategy::MidpointAwayFromZero,
            RoundingMode::Up => RoundingStrategy::ToPositiveInfinity,
            RoundingMode::Down => RoundingStrategy::ToNegativeInfinity,
        };
        value
            .round_dp_with_strategy(self.decimals, strategy)
            .normalize()
    }
}

/// What a month of daily counts for one account and SKU amounts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measure {
    /// Days of the month that have a row.
    pub days_with_data: u32,
    /// Sum of the daily counts (licence-days for seat products).
    pub total: Decimal,
    /// The billing model's result, unrounded.
    pub usage: Decimal,
}

/// Counts whose sum (or a figure derived from it) does not fit in a `Decimal`
/// (about 7.9 × 10^28). [`check_rows`] reports this with the line first, so after it this is
/// only a last line of defence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the counts add up to more than {}, the largest number reckon computes with",
    Decimal::MAX
)]
pub struct Overflow;

/// `a + b`, or [`Overflow`].
pub fn add(a: Decimal, b: Decimal) -> Result<Decimal, Overflow> {
    a.checked_add(b).ok_or(Overflow)
}

/// The sum of `values`, or [`Overflow`] (`Iterator::sum` on `Decimal` panics instead).
pub fn sum(values: impl IntoIterator<Item = Decimal>) -> Result<Decimal, Overflow> {
    values.into_iter().try_fold(Decimal::ZERO, add)
}

/// Applies `model` to the daily counts of one account and SKU within `period`.
///
/// Counts for the same date are added (callers reject duplicate rows before this point); dates
/// outside the period are ignored (callers reject those too, with file and line).
pub fn measure(
    model: BillingModel,
    period: Period,
    counts: &[(NaiveDate, Decimal)],
) -> Result<Measure, Overflow> {
    let mut by_day: BTreeMap<NaiveDate, Decimal> = BTreeMap::new();
    for (date, count) in counts.iter().filter(|(date, _)| period.contains(*date)) {
        let day = by_day.entry(*date).or_default();
        *day = add(*day, *count)?;
    }
    let total = sum(by_day.values().copied())?;
    let usage = match model {
        // A month has 28 to 31 days: dividing by it never overflows, but stay checked.
        BillingModel::DailyAverage => total
            .checked_div(Decimal::from(period.days()))
            .ok_or(Overflow)?,
        BillingModel::Peak => by_day.values().copied().max().unwrap_or_default(),
        BillingModel::EndOfPeriod => by_day.values().next_back().copied().unwrap_or_default(),
        BillingModel::Sum => total,
    };
    Ok(Measure {
        days_with_data: u32::try_from(by_day.len()).unwrap_or(u32::MAX),
        total: total.normalize(),
        usage: usage.normalize(),
    })
}

/// Why a quantity's text is not a count reckon accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantityError {
    /// Not a plain decimal number (`12`, `12.5`, `-1`): no exponent, no thousands separator.
    NotANumber,
    /// More than [`MAX_SIGNIFICANT_DIGITS`] significant digits: beyond what reckon keeps
    /// exactly, so certainly not a count of seats or gigabytes.
    TooManyDigits,
}

/// The most significant digits a quantity may have (`Decimal` holds 28 for every value).
pub const MAX_SIGNIFICANT_DIGITS: usize = 28;

/// Reads a vendor quantity exactly from its text: a plain decimal with at most
/// [`MAX_SIGNIFICANT_DIGITS`] significant digits (leading zeros and trailing fractional zeros
/// do not count).
pub fn parse_quantity(text: &str) -> Result<Decimal, QuantityError> {
    let digits = text
        .strip_prefix('-')
        .or_else(|| text.strip_prefix('+'))
        .unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let plain = !(whole.is_empty() && fraction.is_empty())
        && whole
            .chars()
            .chain(fraction.chars())
            .all(|c| c.is_ascii_digit());
    if !plain {
        return Err(QuantityError::NotANumber);
    }
    let whole = whole.trim_start_matches('0');
    let fraction = fraction.trim_end_matches('0');
    let significant = if whole.is_empty() {
        fraction.trim_start_matches('0').len()
    } else {
        whole.len().saturating_add(fraction.len())
    };
    if significant > MAX_SIGNIFICANT_DIGITS {
        return Err(QuantityError::TooManyDigits);
    }
    // What is still refused here: more than 28 decimal places (`0.000…0001`, 29 places).
    Decimal::from_str_exact(text).map_err(|_| QuantityError::TooManyDigits)
}

impl QuantityError {
    /// The message for a row whose `column` holds `text`.
    pub fn message(self, column: &str, text: &str) -> String {
        match self {
            Self::NotANumber => format!("{column} `{text}` is not a number"),
            Self::TooManyDigits => format!(
                "{column} `{text}` has more digits than reckon keeps exactly \
                 ({MAX_SIGNIFICANT_DIGITS} significant digits, {MAX_SIGNIFICANT_DIGITS} decimal places): \
                 not a usage count"
            ),
        }
    }
}

/// A usage figure for people: rounded half away from zero to 4 places, trailing zeros dropped.
pub fn display_usage(value: Decimal) -> Decimal {
    value
        .round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

/// One daily count from a vendor: the input of the usage engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRow {
    /// The day counted.
    pub date: NaiveDate,
    /// The vendor's stable account id. (`Arc<str>`: a month repeats each id, name and SKU on
    /// thousands of rows; sources intern them so 600,000 rows stay small.)
    pub account_id: Arc<str>,
    /// The account's name on that day.
    pub account_name: Arc<str>,
    /// The vendor SKU / product.
    pub sku: Arc<str>,
    /// That day's count.
    pub quantity: Decimal,
    /// The vendor's cost per unit on that day, when the source says (Keeper's `rate`, a CSV
    /// `unit_cost` column); shared between rows, as the names are.
    pub unit_cost: Option<Arc<Money>>,
    /// The 1-based line in the source file, for error messages.
    pub line: u64,
}

/// A month of usage for one account and SKU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountUsage {
    /// The vendor's account id.
    pub account_id: String,
    /// The account's most recent name.
    pub account_name: String,
    /// The vendor SKU.
    pub sku: String,
    /// What the month amounts to.
    pub measure: Measure,
    /// The daily counts, by date (for charts and audits).
    pub daily: Vec<(NaiveDate, Decimal)>,
    /// The vendor's cost per unit for the month: the one rate every row that has one states,
    /// `None` when no row states one or rows disagree (a rate that changed mid-month is not
    /// guessed at).
    pub vendor_unit_cost: Option<Money>,
}

/// Groups rows by account and SKU and measures each group; sorted by account id, then SKU.
/// The account name is the one on the latest row, so a renamed account shows its current name.
pub fn summarize(
    rows: &[UsageRow],
    model: BillingModel,
    period: Period,
) -> Result<Vec<AccountUsage>, Overflow> {
    let mut groups: BTreeMap<(&str, &str), Vec<&UsageRow>> = BTreeMap::new();
    for row in rows {
        groups
            .entry((&*row.account_id, &*row.sku))
            .or_default()
            .push(row);
    }
    let mut latest_name: BTreeMap<&str, (NaiveDate, &str)> = BTreeMap::new();
    for row in rows {
        let entry = latest_name
            .entry(&row.account_id)
            .or_insert((row.date, &row.account_name));
        if row.date >= entry.0 {
            *entry = (row.date, &row.account_name);
        }
    }
    groups
        .into_iter()
        .map(|((account, sku), rows)| {
            let mut daily: Vec<(NaiveDate, Decimal)> =
                rows.iter().map(|r| (r.date, r.quantity)).collect();
            daily.sort();
            Ok(AccountUsage {
                account_id: account.to_owned(),
                account_name: latest_name
                    .get(account)
                    .map_or(account, |(_, n)| n)
                    .to_owned(),
                sku: sku.to_owned(),
                measure: measure(model, period, &daily)?,
                daily,
                vendor_unit_cost: one_rate(&rows),
            })
        })
        .collect()
}

/// The one unit cost `rows` state, if they state exactly one.
fn one_rate(rows: &[&UsageRow]) -> Option<Money> {
    let mut rates = rows.iter().filter_map(|r| r.unit_cost.as_deref());
    let first = rates.next()?;
    rates.all(|r| r == first).then(|| first.clone())
}

/// A problem with usage rows that must stop a plan: billing from such data could silently
/// under- or over-charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// The 1-based line in the source file.
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

/// Checks that rows belong to `period`, are not duplicated and are not negative, that the
/// period has any rows at all, and that the counts of the whole source add up to a number
/// reckon can compute with. A day missing for one account is not a problem (it may have
/// started mid-month).
///
/// The last check bounds every figure made from these rows: any sum the engine or the planner
/// forms (per day, per account and SKU, per PSA line, per unmapped SKU) is at most the sum of
/// the absolute counts of the source, so once that fits, none of those overflows.
pub fn check_rows(rows: &[UsageRow], period: Period) -> Vec<RowProblem> {
    let mut problems = Vec::new();
    if let Some(line) = first_line_overflowing(rows) {
        problems.push(RowProblem {
            line,
            message: format!(
                "the counts up to this line add up to more than {}, the largest number reckon \
                 computes with: a quantity here is not a usage count",
                Decimal::MAX
            ),
        });
    }
    if rows.is_empty() {
        problems.push(RowProblem {
            line: 0,
            message: format!("no usage rows for {period}"),
        });
    }
    let mut first_line: BTreeMap<(NaiveDate, &str, &str), u64> = BTreeMap::new();
    for row in rows {
        if !period.contains(row.date) {
            problems.push(RowProblem {
                line: row.line,
                message: format!(
                    "row dated {} is outside the billing period {period}",
                    row.date
                ),
            });
        }
        if row.quantity.is_sign_negative() && !row.quantity.is_zero() {
            problems.push(RowProblem {
                line: row.line,
                message: format!(
                    "negative count {} for account {} {}",
                    row.quantity, row.account_id, row.sku
                ),
            });
        }
        let key = (row.date, &*row.account_id, &*row.sku);
        if let Some(first) = first_line.insert(key, row.line) {
            problems.push(RowProblem {
                line: row.line,
                message: format!(
                    "duplicate row for {} / account {} / {} (first at line {first})",
                    row.date, row.account_id, row.sku
                ),
            });
            first_line.insert(key, first);
        }
    }
    problems
}

/// The line of the first row at which the running sum of absolute counts overflows.
fn first_line_overflowing(rows: &[UsageRow]) -> Option<u64> {
    let mut total = Decimal::ZERO;
    for row in rows {
        total = match total.checked_add(row.quantity.abs()) {
            Some(total) => total,
            None => return Some(row.line),
        };
    }
    None
}

/// One row of the usage table (`reckon usage`): an account's SKU as measured and rounded; built
/// by `ops::plan::usage_lines`, rendered by `render::usage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageLine {
    /// Integration name.
    pub integration: String,
    /// Vendor account id.
    pub account: String,
    /// Vendor account name.
    pub account_name: String,
    /// Vendor SKU.
    pub service: String,
    /// Days of the month with a row.
    pub days_with_data: u32,
    /// Sum of the daily counts.
    pub total: Decimal,
    /// The billing model's result, unrounded.
    pub usage: Decimal,
    /// Rounded for the workspace's PSA.
    pub quantity: Decimal,
    /// The PSA company it bills, if the account is mapped.
    pub mapped_to: Option<String>,
    /// The vendor's cost per unit, when the source states one rate for the month.
    pub vendor_unit_cost: Option<Money>,
    /// What the month costs at it: usage × cost per unit (`None`: unknown).
    pub vendor_cost: Option<Money>,
    /// The daily counts, by date (for the HTML report's charts).
    pub daily: Vec<(NaiveDate, Decimal)>,
    /// The integration's billing model (it names the total and usage columns).
    pub billing_model: BillingModel,
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)] // fixtures: small literal dates and counts
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    /// The engine on counts that fit (these tests are about the models, not overflow).
    fn measure(model: BillingModel, period: Period, counts: &[(NaiveDate, Decimal)]) -> Measure {
        super::measure(model, period, counts).expect("fits")
    }

    fn period(text: &str) -> Period {
        text.parse().expect("period")
    }

    fn day(period: Period, n: u32) -> NaiveDate {
        period.first_day() + chrono::Days::new(u64::from(n - 1))
    }

    /// `count` on days `from..=to` of `period`.
    fn constant(period: Period, from: u32, to: u32, count: Decimal) -> Vec<(NaiveDate, Decimal)> {
        (from..=to).map(|n| (day(period, n), count)).collect()
    }

    const WHOLE: Rounding = Rounding {
        mode: RoundingMode::Nearest,
        decimals: 0,
    };
    const CENTS: Rounding = Rounding {
        mode: RoundingMode::Nearest,
        decimals: 2,
    };

    #[test]
    fn daily_average_divides_by_days_in_a_31_day_month() {
        // Keeper's worked example: 10 users on days 1–15, 14 on days 16–31 → 374 / 31.
        let oct = period("2026-10");
        let mut counts = constant(oct, 1, 15, dec!(10));
        counts.extend(constant(oct, 16, 31, dec!(14)));
        let m = measure(BillingModel::DailyAverage, oct, &counts);
        assert_eq!(m.total, dec!(374));
        assert_eq!(m.days_with_data, 31);
        assert_eq!(CENTS.apply(m.usage), dec!(12.06));
        assert_eq!(WHOLE.apply(m.usage), dec!(12));
    }

    #[test]
    fn account_added_mid_month_bills_proportionally() {
        let oct = period("2026-10");
        let m = measure(
            BillingModel::DailyAverage,
            oct,
            &constant(oct, 16, 31, dec!(14)),
        );
        assert_eq!(m.days_with_data, 16);
        assert_eq!(CENTS.apply(m.usage), dec!(7.23));
        assert_eq!(WHOLE.apply(m.usage), dec!(7));
    }

    #[test]
    fn february_of_a_leap_year_divides_by_29() {
        let feb = period("2028-02");
        let m = measure(
            BillingModel::DailyAverage,
            feb,
            &constant(feb, 1, 29, dec!(5)),
        );
        assert_eq!(m.usage, dec!(5));
        let half = measure(
            BillingModel::DailyAverage,
            feb,
            &constant(feb, 1, 1, dec!(29)),
        );
        assert_eq!(half.usage, dec!(1));
    }

    #[test]
    fn a_day_with_no_data_counts_as_zero() {
        let nov = period("2026-11");
        let mut counts = constant(nov, 1, 30, dec!(3));
        counts.retain(|(date, _)| *date != day(nov, 10));
        let m = measure(BillingModel::DailyAverage, nov, &counts);
        assert_eq!(m.days_with_data, 29);
        assert_eq!(m.total, dec!(87));
        assert_eq!(m.usage, dec!(2.9));
    }

    #[test]
    fn peak_end_of_period_and_sum() {
        let nov = period("2026-11");
        let counts = vec![
            (day(nov, 2), dec!(4)),
            (day(nov, 9), dec!(11)),
            (day(nov, 20), dec!(6)),
        ];
        assert_eq!(measure(BillingModel::Peak, nov, &counts).usage, dec!(11));
        assert_eq!(
            measure(BillingModel::EndOfPeriod, nov, &counts).usage,
            dec!(6)
        );
        assert_eq!(measure(BillingModel::Sum, nov, &counts).usage, dec!(21));
    }

    #[test]
    fn end_of_period_uses_the_last_day_with_data_not_the_last_day_of_the_month() {
        let nov = period("2026-11");
        let counts = vec![(day(nov, 27), dec!(8)), (day(nov, 5), dec!(2))];
        assert_eq!(
            measure(BillingModel::EndOfPeriod, nov, &counts).usage,
            dec!(8)
        );
    }

    #[test]
    fn no_data_measures_zero() {
        let nov = period("2026-11");
        for model in [
            BillingModel::DailyAverage,
            BillingModel::Peak,
            BillingModel::EndOfPeriod,
        ] {
            let m = measure(model, nov, &[]);
            assert_eq!((m.usage, m.total, m.days_with_data), (dec!(0), dec!(0), 0));
        }
    }

    #[test]
    fn rows_outside_the_period_are_ignored() {
        let nov = period("2026-11");
        let outside = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        let m = measure(
            BillingModel::Sum,
            nov,
            &[(outside, dec!(100)), (day(nov, 1), dec!(1))],
        );
        assert_eq!(m.usage, dec!(1));
    }

    #[test]
    fn nearest_rounds_a_half_away_from_zero() {
        assert_eq!(WHOLE.apply(dec!(2.5)), dec!(3));
        assert_eq!(WHOLE.apply(dec!(3.5)), dec!(4), "not banker's rounding");
        assert_eq!(WHOLE.apply(dec!(2.4999)), dec!(2));
        assert_eq!(CENTS.apply(dec!(1.005)), dec!(1.01));
    }

    #[test]
    fn up_and_down_round_towards_their_direction() {
        let up = Rounding {
            mode: RoundingMode::Up,
            decimals: 0,
        };
        let down = Rounding {
            mode: RoundingMode::Down,
            decimals: 0,
        };
        assert_eq!(up.apply(dec!(2.01)), dec!(3));
        assert_eq!(up.apply(dec!(2)), dec!(2));
        assert_eq!(down.apply(dec!(2.99)), dec!(2));
        let up_cents = Rounding {
            mode: RoundingMode::Up,
            decimals: 2,
        };
        assert_eq!(up_cents.apply(dec!(12.0645)), dec!(12.07));
    }

    #[test]
    fn rounding_normalizes_scale_so_equal_values_compare_equal() {
        assert_eq!(CENTS.apply(dec!(12.10)).to_string(), "12.1");
        assert_eq!(WHOLE.apply(dec!(12.000)).to_string(), "12");
    }

    fn row(
        date: NaiveDate,
        account: &str,
        name: &str,
        sku: &str,
        quantity: Decimal,
        line: u64,
    ) -> UsageRow {
        UsageRow {
            date,
            account_id: account.into(),
            account_name: name.into(),
            sku: sku.into(),
            quantity,
            unit_cost: None,
            line,
        }
    }

    #[test]
    fn summarize_groups_by_account_and_sku_and_keeps_the_latest_name() {
        let oct = period("2026-10");
        let rows = vec![
            row(day(oct, 2), "7", "New Name", "BP", dec!(2), 3),
            row(day(oct, 1), "7", "Old Name", "BP", dec!(1), 2),
            row(day(oct, 1), "7", "Old Name", "Chat", dec!(5), 4),
        ];
        let usage = summarize(&rows, BillingModel::Sum, oct).expect("fits");
        assert_eq!(usage.len(), 2);
        assert_eq!(
            (usage[0].sku.as_str(), usage[0].measure.usage),
            ("BP", dec!(3))
        );
        assert!(usage.iter().all(|u| u.account_name == "New Name"));
    }

    #[test]
    fn check_rows_reports_outside_duplicate_negative_and_empty() {
        let oct = period("2026-10");
        let outside = NaiveDate::from_ymd_opt(2026, 11, 1).expect("date");
        let rows = vec![
            row(day(oct, 1), "7", "A", "BP", dec!(1), 2),
            row(day(oct, 1), "7", "A", "BP", dec!(1), 3),
            row(outside, "7", "A", "BP", dec!(1), 4),
            row(day(oct, 2), "7", "A", "BP", dec!(-1), 5),
        ];
        let lines: Vec<u64> = check_rows(&rows, oct).iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![3, 4, 5]);
        assert_eq!(check_rows(&[], oct)[0].message, "no usage rows for 2026-10");
    }

    #[test]
    fn sums_too_large_for_a_decimal_are_errors_not_panics() {
        let oct = period("2026-10");
        let huge = Decimal::MAX;
        let same_day = [(day(oct, 1), huge), (day(oct, 1), huge)];
        assert_eq!(
            super::measure(BillingModel::Peak, oct, &same_day),
            Err(Overflow)
        );
        let two_days = [(day(oct, 1), huge), (day(oct, 2), huge)];
        for model in [BillingModel::DailyAverage, BillingModel::Sum] {
            assert_eq!(super::measure(model, oct, &two_days), Err(Overflow));
        }
        let rows = vec![
            row(day(oct, 1), "7", "A", "BP", huge, 2),
            row(day(oct, 2), "7", "A", "BP", huge, 3),
        ];
        assert_eq!(summarize(&rows, BillingModel::Sum, oct), Err(Overflow));
    }

    #[test]
    fn check_rows_names_the_line_where_the_counts_stop_fitting() {
        let oct = period("2026-10");
        let big = dec!(9999999999999999999999999999);
        let rows: Vec<UsageRow> = (1..=9)
            .map(|n| row(day(oct, n), "7", "A", "BP", big, u64::from(n) + 1))
            .collect();
        let problems = check_rows(&rows, oct);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].line, 9, "the 8th row makes the sum pass 7.9e28");
        assert!(
            problems[0].message.contains("largest number"),
            "{problems:?}"
        );
        // Negative counts count by size: they could cancel out in a sum, but not in a peak.
        let mixed = vec![
            row(day(oct, 1), "7", "A", "BP", Decimal::MAX, 2),
            row(day(oct, 2), "7", "A", "BP", Decimal::MIN, 3),
        ];
        assert!(check_rows(&mixed, oct).iter().any(|p| p.line == 3));
    }

    #[test]
    fn quantities_are_plain_decimals_of_at_most_28_significant_digits() {
        for ok in [
            "12",
            "12.50",
            "-1",
            "+3",
            "0.5",
            ".5",
            "9999999999999999999999999999",
            "0.0000000000000000000000000001",
            "000000000000000000000000000000001",
        ] {
            assert!(parse_quantity(ok).is_ok(), "{ok}");
        }
        assert_eq!(parse_quantity("12.50"), Ok(dec!(12.50)));
        for (bad, why) in [
            ("1e3", QuantityError::NotANumber),
            ("1,5", QuantityError::NotANumber),
            ("", QuantityError::NotANumber),
            (".", QuantityError::NotANumber),
            ("--1", QuantityError::NotANumber),
            (
                "79228162514264337593543950335",
                QuantityError::TooManyDigits,
            ),
            (
                "1.0000000000000000000000000001",
                QuantityError::TooManyDigits,
            ),
            (
                "0.00000000000000000000000000001",
                QuantityError::TooManyDigits,
            ),
        ] {
            assert_eq!(parse_quantity(bad), Err(why), "{bad}");
        }
    }
}
