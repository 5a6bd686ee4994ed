//! A month of daily usage as a small SVG drawn here (no chart library): the daily counts as a
//! step line, the month's daily average as a dashed line and the billed quantity as a dotted
//! one, so a spike or a mid-month start shows at a glance.
//!
//! Kept compact because a report can hold 20,000 of them: a step path emits a segment only when
//! the count changes; y coordinates are whole units of a 40-unit-high plot (under a pixel of
//! error at the displayed size); styling lives in the page's CSS, the three paths told apart by
//! their order rather than by classes; and the chart sits in a closed `<details>`, so the
//! browser lays it out only when opened.
//!
//! The counts come from vendor files, so the arithmetic is checked: a month whose counts do not
//! add up within a `Decimal` gets a note instead of a chart, and scaling divides before it
//! multiplies, so no value overflows the plot.
#![deny(clippy::arithmetic_side_effects)]

use std::fmt::Write as _;

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::period::Period;
use crate::usage::display_usage;

/// Width of one day in viewBox units.
const DAY: u32 = 4;
/// Height of the chart in viewBox units.
const HEIGHT: u32 = 40;
/// Blank space above the highest value and below zero, so no line sits on the edge.
const MARGIN: u32 = 2;

/// What one chart shows.
pub struct Chart<'a> {
    /// The month plotted.
    pub period: Period,
    /// The daily counts by date; days without a row count as 0, as the billing models do.
    pub daily: &'a [(NaiveDate, Decimal)],
    /// The quantity billed for the month.
    pub billed: Decimal,
}

impl Chart<'_> {
    /// The count of every day of the period, in order; `None` when a day's counts do not add
    /// up within a `Decimal`.
    fn days(&self) -> Option<Vec<Decimal>> {
        let mut days = vec![Decimal::ZERO; self.period.days() as usize];
        for (date, count) in self.daily {
            if !self.period.contains(*date) {
                continue;
            }
            let index = date
                .signed_duration_since(self.period.first_day())
                .num_days();
            if let Some(slot) = usize::try_from(index).ok().and_then(|i| days.get_mut(i)) {
                *slot = slot.checked_add(*count)?;
            }
        }
        Some(days)
    }

    /// Writes `<details><summary>…</summary><svg>…</svg></details>` into `html`.
    pub fn write(&self, html: &mut String) {
        let Some((days, average)) = self.days().and_then(|days| {
            let average = crate::usage::sum(days.iter().copied())
                .ok()?
                .checked_div(Decimal::from(days.len().max(1)))?;
            Some((days, average))
        }) else {
            html.push_str("<details><summary>counts too large to chart</summary></details>");
            return;
        };
        let low = days.iter().copied().min().unwrap_or_default();
        let high = days.iter().copied().max().unwrap_or_default();
        let top = high.max(average).max(self.billed);
        let y = |value: Decimal| y_of(value, top);
        let width = DAY.saturating_mul(u32::try_from(days.len()).unwrap_or(31));
        // Unquoted attribute values (no spaces: "M0,2H124") and a space before "/>" so the
        // slash is not read as part of the value; the numbers are in the row and the summary,
        // so the drawing itself is hidden from screen readers.
        let _ = write!(
            html,
            "<details><summary>{}\u{2013}{}</summary><svg viewBox=\"0 0 {width} {HEIGHT}\" \
             aria-hidden=true><path d={} /><path d=M0,{}H{width} /><path d=M0,{}H{width} />\
             </svg></details>",
            display_usage(low),
            display_usage(high),
            step_path(&days, top),
            y(average),
            y(self.billed),
        );
    }
}

/// The y coordinate of `value` on a plot whose highest value is `top` (SVG y grows downwards:
/// `top` is drawn at MARGIN, zero at HEIGHT - MARGIN).
fn y_of(value: Decimal, top: Decimal) -> Decimal {
    let bottom = Decimal::from(HEIGHT.saturating_sub(MARGIN));
    if top <= Decimal::ZERO {
        return bottom;
    }
    let span = Decimal::from(HEIGHT.saturating_sub(MARGIN.saturating_mul(2)));
    // value ≤ top, so the share is in 0..=1 and neither product nor difference can overflow.
    let share = value
        .max(Decimal::ZERO)
        .checked_div(top)
        .unwrap_or(Decimal::ONE)
        .min(Decimal::ONE);
    let scaled = bottom.saturating_sub(share.saturating_mul(span));
    scaled
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

/// A step line through the daily counts: one horizontal run per day, with a vertical segment
/// only where the count changes (a month of constant seats is `M0 yH124`).
fn step_path(days: &[Decimal], top: Decimal) -> String {
    let mut path = String::new();
    let mut last = None;
    for (index, count) in days.iter().enumerate() {
        let y = y_of(*count, top);
        let x = DAY.saturating_mul(u32::try_from(index).unwrap_or(0));
        match last {
            None => {
                let _ = write!(path, "M0,{y}");
            }
            Some(previous) if previous != y => {
                let _ = write!(path, "H{x}V{y}");
            }
            Some(_) => {}
        }
        last = Some(y);
    }
    let end = DAY.saturating_mul(u32::try_from(days.len()).unwrap_or(0));
    let _ = write!(path, "H{end}");
    path
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
        let daily: Vec<_> = (1..=28).map(|d| (date(d), dec!(5))).collect();
        assert_eq!(
            step_path(
                &Chart {
                    period: period(),
                    daily: &daily,
                    billed: dec!(5)
                }
                .days()
                .expect("fits"),
                dec!(5)
            ),
            "M0,2H112"
        );
    }

    #[test]
    fn a_mid_month_start_steps_up_from_zero() {
        let daily: Vec<_> = (15..=28).map(|d| (date(d), dec!(10))).collect();
        let chart = Chart {
            period: period(),
            daily: &daily,
            billed: dec!(5),
        };
        assert_eq!(
            step_path(&chart.days().expect("fits"), dec!(10)),
            "M0,38H56V2H112"
        );
        let mut html = String::new();
        chart.write(&mut html);
        assert!(html.contains("<summary>0–10</summary>"), "{html}");
        // average 140 / 28 = 5 and billed 5: both lines at half height.
        assert!(
            html.contains("<path d=M0,20H112 /><path d=M0,20H112 /></svg>"),
            "{html}"
        );
    }

    #[test]
    fn days_outside_the_period_are_ignored_and_an_empty_month_is_flat() {
        let outside = [(
            NaiveDate::from_ymd_opt(2026, 3, 1).expect("test value"),
            dec!(9),
        )];
        let chart = Chart {
            period: period(),
            daily: &outside,
            billed: Decimal::ZERO,
        };
        assert_eq!(
            step_path(&chart.days().expect("fits"), Decimal::ZERO),
            "M0,38H112"
        );
    }

    #[test]
    fn huge_counts_scale_without_overflow_or_get_a_note() {
        // 10^28 × the plot's 36 units would overflow: scaling divides first.
        let big = dec!(10000000000000000000000000000);
        let daily = [(date(1), big), (date(2), dec!(1))];
        let chart = Chart {
            period: period(),
            daily: &daily,
            billed: big,
        };
        let mut html = String::new();
        chart.write(&mut html);
        assert!(html.contains("<path d=M0,2H4V38H112 />"), "{html}");
        let same_day = [(date(1), Decimal::MAX), (date(1), Decimal::MAX)];
        let mut note = String::new();
        Chart {
            period: period(),
            daily: &same_day,
            billed: dec!(1),
        }
        .write(&mut note);
        assert_eq!(
            note,
            "<details><summary>counts too large to chart</summary></details>"
        );
    }
}
