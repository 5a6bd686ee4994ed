//! Stateful simulators of the PSAs' APIs, for tests (and examples, via `#[path]`).

pub mod autotask;
pub mod connection;
pub mod connectwise;
pub mod gate;
pub mod halopsa;
pub mod latency;
pub mod serving;
