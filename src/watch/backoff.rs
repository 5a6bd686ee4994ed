//! When a failed cycle runs again (kube-rs's `error_policy`): a PSA outage must not leave
//! `watch --apply` idle until a file changes or the timer fires. The wait doubles with each
//! failure in a row, from [`FIRST`] up to [`MAX`], and starts over after a good cycle.

use std::time::Duration;

/// The wait after a first failure.
pub const FIRST: Duration = Duration::from_secs(5);
/// The longest wait.
pub const MAX: Duration = Duration::from_secs(300);

/// Failures in a row, and the wait they earn.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    /// Counts one more failure and returns how long to wait before trying again.
    pub fn failed(&mut self) -> Duration {
        let wait = FIRST
            .checked_mul(1 << self.failures.min(16))
            .map_or(MAX, |wait| wait.min(MAX));
        self.failures = self.failures.saturating_add(1);
        wait
    }

    /// A good cycle: the next failure waits [`FIRST`] again.
    pub fn succeeded(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_cap_and_start_over_after_a_success() {
        let mut backoff = Backoff::default();
        let waits: Vec<u64> = (0..9).map(|_| backoff.failed().as_secs()).collect();
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 300, 300, 300]);
        for _ in 0..100 {
            backoff.failed();
        }
        assert_eq!(backoff.failed(), MAX);
        backoff.succeeded();
        assert_eq!(backoff.failed(), FIRST);
    }
}
