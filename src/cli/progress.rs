//! Progress of a run's long parts on stderr, never stdout: the PSA requests a command makes
//! while it reads (pages per endpoint, as the adapters' one request counter counts them:
//! [`crate::psa::http::Observer`]) and `apply`'s writes done of the total.
//!
//! One [`Mode`] for both, decided from the streams: a line redrawn in place when stderr is a
//! terminal — for writes only when stdout is not (stdout on the terminal already shows each
//! write as it lands, and two writers on one screen garble each other); the reading line shows
//! whenever stderr is a terminal, as nothing else prints meanwhile — cleared when done; in CI
//! (stderr not a terminal) one line every few seconds (`RECKON_PROGRESS_SECONDS`, default 5;
//! 0: on every change); nothing while `-v` logs requests to a terminal (they would cut the
//! redrawn line). Self-made rather than indicatif: one counter line needs no dependency.
//!
//! Owns only the terminal side: the core and `ops` hear of none of it.

use std::io::Write;
use std::sync::{Mutex, PoisonError};
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

impl Mode {
    /// The mode for the PSA reads: nothing else is printed while they run (every caller clears
    /// the line before it prints), so a terminal shows the line even when stdout is that
    /// terminal too — the usual `reckon plan` at a prompt.
    fn for_reading(logging: bool) -> Self {
        use std::io::IsTerminal;
        match Self::for_stderr(logging) {
            Self::Off if std::io::stderr().is_terminal() && !logging => Self::Redrawn,
            mode => mode,
        }
    }

    /// The mode for this process's streams; `logging`: `-v`/`RECKON_LOG` write to stderr.
    fn for_stderr(logging: bool) -> Self {
        use std::io::IsTerminal;
        match (
            std::io::stderr().is_terminal(),
            std::io::stdout().is_terminal(),
        ) {
            (true, true) => Self::Off,
            (true, false) if logging => Self::Off,
            (true, false) => Self::Redrawn,
            (false, _) => Self::Periodic(Duration::from_secs(
                std::env::var("RECKON_PROGRESS_SECONDS")
                    .ok()
                    .and_then(|s| s.trim().parse().ok())
                    .unwrap_or(5),
            )),
        }
    }
}

/// One progress line on stderr, shown in a [`Mode`].
#[derive(Debug)]
struct Line {
    mode: Mode,
    /// When a periodic line was last printed (or the line started).
    last: Instant,
    /// A redrawn line is on the screen.
    drawn: bool,
}

impl Line {
    fn new(mode: Mode) -> Self {
        Self {
            mode,
            last: Instant::now(),
            drawn: false,
        }
    }

    /// Shows `text`: redrawn (cut to the terminal's width), or printed when the interval has
    /// passed or `last` (the final state) says so.
    fn show(&mut self, text: &str, last: bool) {
        let mut err = std::io::stderr().lock();
        match self.mode {
            Mode::Off => {}
            Mode::Redrawn => {
                let _ = write!(err, "\r\x1b[2K{}", fit(text, terminal_width()));
                let _ = err.flush();
                self.drawn = true;
            }
            Mode::Periodic(every) => {
                if last || self.last.elapsed() >= every {
                    let _ = writeln!(err, "{text}");
                    self.last = Instant::now();
                }
            }
        }
    }

    /// Takes a redrawn line off the screen.
    fn clear(&mut self) {
        if self.drawn {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.drawn = false;
        }
    }
}

/// Columns of the terminal on stderr (80 when it does not say).
fn terminal_width() -> usize {
    rustix::termios::tcgetwinsize(std::io::stderr())
        .ok()
        .map(|size| usize::from(size.ws_col))
        .filter(|&cols| cols > 0)
        .unwrap_or(80)
}

/// `text` in fewer than `width` columns (one spare, so the cursor never wraps), cut with `…`.
fn fit(text: &str, width: usize) -> String {
    let room = width.saturating_sub(1).max(1);
    if text.chars().count() <= room {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(room - 1).collect();
    cut.push('…');
    cut
}

/// Counts writes and shows them: sent (batched mode, whose outcomes all come after one
/// confirming read), then written and failed as the outcomes arrive.
#[derive(Debug)]
pub struct Meter {
    line: Line,
    total: usize,
    sent: usize,
    done: usize,
    failed: usize,
}

impl Meter {
    /// The meter for this process's stderr (`logging`: `-v` logs go there too).
    pub fn for_stderr(logging: bool) -> Self {
        Self {
            line: Line::new(Mode::for_stderr(logging)),
            total: 0,
            sent: 0,
            done: 0,
            failed: 0,
        }
    }

    /// Writing starts: `total` writes to come.
    pub fn start(&mut self, total: usize) {
        self.total = total;
        self.line.last = Instant::now();
    }

    /// One write was sent, its outcome to come.
    pub fn sent(&mut self) {
        self.sent += 1;
        let text = format!(
            "apply: {} of {} sent, outcomes after the confirming read",
            self.sent, self.total
        );
        self.line.show(&text, self.sent == self.total);
    }

    /// One write finished (`failed` when it did not apply).
    pub fn record(&mut self, failed: bool) {
        self.done += 1;
        self.failed += usize::from(failed);
        let text = format!(
            "apply: {} of {} written, {} failed",
            self.done - self.failed,
            self.total,
            self.failed
        );
        self.line.show(&text, self.done == self.total);
    }

    /// Writing ended: a redrawn line is cleared.
    pub fn finish(&mut self) {
        self.line.clear();
    }
}

/// The PSA requests of the command running, shown as the adapters count them.
struct Pages(Mutex<Option<Reading>>);

/// What [`Pages`] shows while a command reads.
struct Reading {
    /// The PSA kind, e.g. `autotask`.
    psa: String,
    line: Line,
}

/// The one observer of this process (the counters of every client built report to it).
static PAGES: Pages = Pages(Mutex::new(None));

impl crate::psa::http::Observer for Pages {
    fn counted(&self, counts: &[(String, u64)]) {
        let mut reading = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(reading) = reading.as_mut() {
            let text = pages_text(&reading.psa, counts);
            reading.line.show(&text, false);
        }
    }
}

/// `reading autotask: 16 requests (Companies/query 3, Contracts/query 2, …)`, endpoints in
/// first-use order as the closing `PSA requests used` line has them (reads run concurrently, so
/// no order says which is being paged through; a stable one keeps a redrawn line still).
fn pages_text(psa: &str, counts: &[(String, u64)]) -> String {
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    let each: Vec<String> = counts.iter().map(|(e, n)| format!("{e} {n}")).collect();
    let unit = if total == 1 { "request" } else { "requests" };
    format!("reading {psa}: {total} {unit} ({})", each.join(", "))
}

/// Shows the PSA requests (pages per endpoint) of the client about to be built, on stderr,
/// until the returned guard is dropped; `psa` names it (`autotask`). Call before
/// [`crate::psa::connect`]: its counters take the observer when built.
pub fn reading(psa: &str, logging: bool) -> ReadingGuard {
    crate::psa::http::observe(&PAGES);
    *PAGES.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(Reading {
        psa: psa.to_owned(),
        line: Line::new(Mode::for_reading(logging)),
    });
    ReadingGuard(())
}

/// Shows PSA requests while held; clears the line when dropped.
#[must_use = "the progress stops when the guard is dropped"]
#[derive(Debug)]
pub struct ReadingGuard(());

impl ReadingGuard {
    /// Takes the line off the screen for a message; the next request draws it again.
    pub fn clear(&self) {
        if let Some(reading) = PAGES
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
        {
            reading.line.clear();
        }
    }
}

impl Drop for ReadingGuard {
    fn drop(&mut self) {
        if let Some(mut reading) = PAGES
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            reading.line.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{fit, pages_text};

    #[test]
    fn the_pages_line_counts_every_endpoint_in_first_use_order() {
        let counts = vec![
            ("Companies/query".to_owned(), 3),
            ("ContractServices/query".to_owned(), 12),
        ];
        assert_eq!(
            pages_text("autotask", &counts),
            "reading autotask: 15 requests (Companies/query 3, ContractServices/query 12)"
        );
        assert_eq!(
            pages_text("halopsa", &[("POST token".to_owned(), 1)]),
            "reading halopsa: 1 request (POST token 1)"
        );
    }

    #[test]
    fn a_redrawn_line_is_cut_to_one_column_less_than_the_terminal() {
        assert_eq!(fit("abcdef", 80), "abcdef");
        assert_eq!(fit("abcdef", 6), "abcd…");
        assert_eq!(fit("abcdef", 7), "abcdef");
        assert_eq!(fit("abc", 0), "…");
    }
}
