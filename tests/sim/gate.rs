//! A gate a simulator holds requests at until the test opens it: the test then knows a request
//! is in flight (received, its work not yet done) for as long as it likes, with no timing luck —
//! e.g. to send reckon a signal while its writes are known to be under way.

// Each user (tests, examples) uses a different part of the simulator.
#![allow(dead_code)]

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Requests held until [`Gate::open`]; clones share one gate.
#[derive(Debug, Clone)]
pub struct Gate(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    /// Requests that have reached the gate (held, or let through once open).
    arrived: Mutex<usize>,
    arrival: Condvar,
    open: tokio::sync::watch::Sender<bool>,
}

impl Default for Gate {
    fn default() -> Self {
        Self::new()
    }
}

impl Gate {
    /// A closed gate.
    pub fn new() -> Self {
        Self(Arc::new(Inner {
            arrived: Mutex::new(0),
            arrival: Condvar::new(),
            open: tokio::sync::watch::channel(false).0,
        }))
    }

    /// Blocks until `n` requests have reached the gate; panics after `limit` (a test that
    /// would otherwise hang).
    pub fn wait_arrived(&self, n: usize, limit: Duration) {
        let deadline = Instant::now() + limit;
        let mut arrived = self
            .0
            .arrived
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while *arrived < n {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "{} of {n} requests reached the gate",
                *arrived
            );
            arrived = self
                .0
                .arrival
                .wait_timeout(arrived, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Lets every held request, and every later one, through.
    pub fn open(&self) {
        self.0.open.send_replace(true);
    }

    /// A request reaches the gate: returns once it is open.
    pub async fn pass(&self) {
        let mut open = self.0.open.subscribe();
        *self
            .0
            .arrived
            .lock()
            .unwrap_or_else(PoisonError::into_inner) += 1;
        self.0.arrival.notify_all();
        let _ = open.wait_for(|open| *open).await;
    }
}
