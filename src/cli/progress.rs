//! Progress of `apply`'s writes on stderr, never stdout: a line redrawn in place when stderr is
//! a terminal that stdout is not (stdout on the terminal already shows each result as it
//! lands), and in CI (stderr not a terminal) one line every few seconds
//! (`RECKON_PROGRESS_SECONDS`, default 5; 0: after every write). Self-made rather than
//! indicatif: one counter line needs no dependency.

use std::io::Write;
use std::time::{Duration, Instant};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Not at all.
    Off,
    /// One line on a terminal, redrawn.
    Redrawn,
    /// A line every `interval`.
    Periodic(Duration),
}

/// Counts writes and shows them.
#[derive(Debug)]
pub struct Meter {
    mode: Mode,
    total: usize,
    done: usize,
    failed: usize,
    last: Instant,
}

impl Meter {
    /// The meter for this process's stderr.
    pub fn for_stderr() -> Self {
        use std::io::IsTerminal;
        let mode = match (
            std::io::stderr().is_terminal(),
            std::io::stdout().is_terminal(),
        ) {
            (true, true) => Mode::Off,
            (true, false) => Mode::Redrawn,
            (false, _) => Mode::Periodic(Duration::from_secs(
                std::env::var("RECKON_PROGRESS_SECONDS")
                    .ok()
                    .and_then(|s| s.trim().parse().ok())
                    .unwrap_or(5),
            )),
        };
        Self {
            mode,
            total: 0,
            done: 0,
            failed: 0,
            last: Instant::now(),
        }
    }

    /// Writing starts: `total` writes to come.
    pub fn start(&mut self, total: usize) {
        self.total = total;
        self.last = Instant::now();
    }

    /// One write finished (`failed` when it did not apply).
    pub fn record(&mut self, failed: bool) {
        self.done += 1;
        self.failed += usize::from(failed);
        let line = format!(
            "apply: {} of {} written, {} failed",
            self.done - self.failed,
            self.total,
            self.failed
        );
        let mut err = std::io::stderr().lock();
        match self.mode {
            Mode::Off => {}
            Mode::Redrawn => {
                let _ = write!(err, "\r\x1b[2K{line}");
                let _ = err.flush();
            }
            Mode::Periodic(every) => {
                if self.last.elapsed() >= every || self.done == self.total {
                    let _ = writeln!(err, "{line}");
                    self.last = Instant::now();
                }
            }
        }
    }

    /// Writing ended: a redrawn line is cleared.
    pub fn finish(&mut self) {
        if self.mode == Mode::Redrawn && self.done > 0 {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}
