//! A request's simulated latency, kept to within tens of microseconds of what was asked.
//!
//! tokio's timer counts whole milliseconds and rounds a sleep up to the next tick, and a parked
//! runtime wakes on whole milliseconds too: with `tokio::time::sleep`, the bench's Autotask
//! apply spent 7.0 ms a round at 5 ms per request and 22.4 ms at 20 ms (2.0–2.4 ms above the
//! latency, with the CPU 90 % idle), so it measured the timer, not the client. A blocking-pool
//! thread's `std::thread::sleep` wakes within tens of microseconds.

use std::time::Duration;

/// Waits `latency` (nothing when zero).
pub async fn wait(latency: Duration) {
    if latency.is_zero() {
        return;
    }
    // A task dropped meanwhile leaves its thread to finish the sleep; nothing else runs there.
    let _ = tokio::task::spawn_blocking(move || std::thread::sleep(latency)).await;
}
