//! `--interval`: a trigger every interval plus a little jitter, so many reckon instances started
//! together (one per tenant, say) do not all hit the PSA in the same second.
//!
//! The jitter comes from the clock's nanoseconds: spreading load needs variety, not
//! unpredictability, so no random-number crate is needed.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::mpsc;

use super::Trigger;

/// The jitter is at most this fraction of the interval (1/10).
const JITTER_DIVISOR: u32 = 10;

/// `interval` plus up to a tenth of it, chosen by `seed` (any number; e.g. clock nanoseconds).
pub fn with_jitter(interval: Duration, seed: u32) -> Duration {
    // Checked: `--interval` is capped at a year, but this must not panic for any input.
    let max = interval.checked_div(JITTER_DIVISOR).unwrap_or_default();
    let jitter = max
        .checked_mul(seed % 1000)
        .and_then(|d| d.checked_div(1000))
        .unwrap_or_default();
    interval.saturating_add(jitter)
}

/// Sends [`Trigger::Timer`] every `interval` (jittered afresh each time) until the receiver is
/// gone. A full queue skips the tick: a cycle is pending anyway.
pub async fn run(interval: Duration, triggers: mpsc::Sender<Trigger>) {
    loop {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        tokio::time::sleep(with_jitter(interval, seed)).await;
        match triggers.try_send(Trigger::Timer) {
            Ok(()) | Err(mpsc::error::TrySendError::Full(_)) => {}
            Err(mpsc::error::TrySendError::Closed(_)) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_a_tenth_of_the_interval_and_varies_with_the_seed() {
        let hour = Duration::from_secs(3600);
        assert_eq!(with_jitter(hour, 0), hour);
        assert_eq!(with_jitter(hour, 500), hour + Duration::from_secs(180));
        assert_eq!(
            with_jitter(hour, 999),
            hour + Duration::from_millis(359_640)
        );
        assert_eq!(with_jitter(hour, 1_000), hour);
        for seed in [1, 77, 123_456_789, u32::MAX] {
            let jittered = with_jitter(hour, seed);
            assert!(jittered >= hour && jittered < hour + hour / 10, "{seed}");
        }
    }

    #[tokio::test]
    async fn ticks_arrive_and_the_timer_stops_when_nobody_listens() {
        let (tx, mut rx) = mpsc::channel(1);
        let timer = tokio::spawn(run(Duration::from_millis(1), tx));
        assert_eq!(rx.recv().await, Some(Trigger::Timer));
        drop(rx);
        timer.await.expect("timer ends once the receiver is gone");
    }
}
