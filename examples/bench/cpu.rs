//! CPU time a phase used, split between the in-process simulator and the rest of the process
//! (reckon, plus the bench's own negligible bookkeeping). A real PSA spends its CPU on its own
//! machines; here the simulator shares the 2 cores with reckon, so its share is time above the
//! floor that is not reckon's. Linux only (`/proc`); elsewhere every figure reads 0.
//!
//! The simulators name their threads `sim-…` (`tests/sim/*/mod.rs`). Per-thread time comes
//! from `/proc/self/task/*/schedstat` (nanoseconds; the simulator's threads live as long as
//! the bench's tenant); the process's from `/proc/self/stat` (clock ticks, which include
//! threads that have exited, such as tokio's blocking pool).

use std::time::Duration;

/// Linux's `USER_HZ`, the unit of `/proc/*/stat` times (`getconf CLK_TCK`), 100 on every
/// mainstream architecture.
const TICKS_PER_SECOND: u64 = 100;

/// CPU time used so far, read at the start of a phase.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    process: Duration,
    simulator: Duration,
}

/// CPU time used during a phase.
#[derive(Debug, Clone, Copy)]
pub struct Split {
    /// Everything but the simulator.
    pub reckon: Duration,
    /// The simulator's threads.
    pub simulator: Duration,
}

/// CPU time used so far.
pub fn mark() -> Mark {
    Mark {
        process: process_time(),
        simulator: simulator_time(),
    }
}

impl Mark {
    /// CPU time used since this mark.
    pub fn split(&self) -> Split {
        let now = mark();
        let simulator = now.simulator.saturating_sub(self.simulator);
        let process = now.process.saturating_sub(self.process);
        Split {
            reckon: process.saturating_sub(simulator),
            simulator,
        }
    }
}

impl std::fmt::Display for Split {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CPU: reckon {:.2} s, simulator {:.2} s",
            self.reckon.as_secs_f64(),
            self.simulator.as_secs_f64()
        )
    }
}

/// User and system time of the whole process, threads that have exited included.
fn process_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // Fields after the command name, which is in parentheses and may hold spaces: utime and
    // stime are fields 14 and 15 of the whole line, so 12 and 13 after `)`.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND)
}

/// Time on CPU of the threads named `sim-…`.
fn simulator_time() -> Duration {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    let nanos: u64 = tasks
        .filter_map(Result::ok)
        .filter(|task| {
            std::fs::read_to_string(task.path().join("comm"))
                .is_ok_and(|name| name.starts_with("sim-"))
        })
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(nanos)
}
