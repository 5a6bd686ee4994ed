//! Running a program that prints a usage report: the argument list as given (no shell, so
//! nothing is expanded or interpreted), in the workspace directory, with stdin closed, a time
//! limit and a size limit on each of its output streams. Returns what it printed; a failure
//! carries what the user needs to fix it (the exit status and the end of its standard error).
//!
//! The program runs in a process group of its own, and that whole group is killed when reckon
//! stops waiting for it (timeout, too much output, Ctrl-C or SIGTERM, or any early return): a
//! wrapper script's children do not outlive the run.
//!
//! Knows nothing about report formats; the vendor that configured the command parses the text.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::io::{AsyncRead, AsyncReadExt};

/// At most this much of a failed command's standard error is shown (its end, where the reason
/// usually is).
const STDERR_SHOWN: usize = 2000;

/// How much a command may print before it is stopped (the validated config's limits).
pub use crate::config::model::{OutputLimits as Limits, size};

/// What a command that exited 0 printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printed {
    /// Its standard output, as UTF-8 text.
    pub stdout: String,
    /// Its standard error (invalid UTF-8 replaced).
    pub stderr: String,
}

/// Why a command gave no report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// The program does not exist (or is not on PATH).
    #[error("program `{0}` not found")]
    NotFound(String),
    /// The program exists but could not be started.
    #[error("cannot start `{program}`: {reason}")]
    Spawn {
        /// The program.
        program: String,
        /// The OS error, in words.
        reason: String,
    },
    /// It ran and failed.
    #[error("`{command}` failed ({status}){}", stderr_block(.stderr))]
    Failed {
        /// The command line, for the message.
        command: String,
        /// "exit status 3", "killed by signal 9".
        status: String,
        /// The end of its standard error, trimmed.
        stderr: String,
    },
    /// It ran longer than allowed and was stopped.
    #[error("`{command}` did not finish within {}s and was stopped with its child processes", .after.as_secs())]
    TimedOut {
        /// The command line, for the message.
        command: String,
        /// The time limit.
        after: Duration,
    },
    /// It printed more than its limit on one stream and was stopped.
    #[error("`{command}` printed more than {} on {stream} and was stopped with its child processes", size(*.limit))]
    TooMuchOutput {
        /// The command line, for the message.
        command: String,
        /// "standard output" or "standard error".
        stream: &'static str,
        /// The limit it passed, in bytes.
        limit: u64,
    },
    /// reckon was interrupted (Ctrl-C, SIGTERM) while it ran.
    #[error("interrupted while `{0}` ran; it was stopped with its child processes")]
    Interrupted(String),
    /// Its output is not UTF-8 text.
    #[error("`{0}` printed output that is not UTF-8 text")]
    NotText(String),
}

fn stderr_block(stderr: &str) -> String {
    if stderr.is_empty() {
        "; it printed nothing on standard error".to_owned()
    } else {
        format!(":\n{}", indented(stderr))
    }
}

/// `text`'s lines, each indented by four spaces, for showing a program's output in a message.
pub fn indented(text: &str) -> String {
    let lines: Vec<String> = text.lines().map(|l| format!("    {l}")).collect();
    lines.join("\n")
}

/// The command line as people write it, for messages.
pub fn display(argv: &[String]) -> String {
    argv.join(" ")
}

/// Runs `argv` in `dir` and returns what it printed.
///
/// A program path containing `/` is taken relative to `dir` (the workspace), not to wherever
/// reckon was started; a bare name is looked up on PATH. Python programs (Commander) are told
/// to print UTF-8 whatever the locale, so company names survive a `C` or Latin-1 locale.
pub async fn output(
    argv: &[String],
    dir: &Path,
    timeout: Duration,
    limits: Limits,
) -> Result<Printed, CommandError> {
    let Some((program, args)) = argv.split_first() else {
        return Err(CommandError::NotFound(String::new()));
    };
    let command = display(argv);
    // Listen before spawning: the child has its own process group, so the terminal's Ctrl-C
    // reaches only reckon, which must pass it on.
    let interrupted = interrupt();
    keep_default_interrupts();
    let _running = Running::start();
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let executable = if program.contains('/') {
        dir.join(program)
    } else {
        program.into()
    };
    let mut child = tokio::process::Command::new(&executable)
        .args(args)
        .current_dir(&dir)
        .env("PYTHONIOENCODING", "utf-8")
        .env("PYTHONUTF8", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => CommandError::NotFound(program.clone()),
            _ => CommandError::Spawn {
                program: program.clone(),
                reason: error.to_string(),
            },
        })?;
    // Dropped on every way out of this function, killing whatever is left of the group.
    let _group = child.id().and_then(GroupKill::of);
    let run = async {
        let stdout = read_bounded(child.stdout.take(), limits.stdout, "standard output");
        let stderr = read_bounded(child.stderr.take(), limits.stderr, "standard error");
        let (stdout, stderr) = tokio::try_join!(stdout, stderr)?;
        let status = child.wait().await.map_err(Overflow::Io)?;
        Ok::<_, Overflow>((status, stdout, stderr))
    };
    let finished = tokio::select! {
        finished = tokio::time::timeout(timeout, run) => finished,
        () = interrupted => {
            // Before `_running` drops: the listener of `keep_default_interrupts` sees this
            // interrupt as handled here, whichever of the two wakes first.
            INTERRUPT_HANDLED.store(true, Ordering::SeqCst);
            return Err(CommandError::Interrupted(command));
        }
    };
    let (status, stdout, stderr) = match finished {
        Err(_) => {
            return Err(CommandError::TimedOut {
                command,
                after: timeout,
            });
        }
        Ok(Err(Overflow::Limit { stream, limit })) => {
            return Err(CommandError::TooMuchOutput {
                command,
                stream,
                limit,
            });
        }
        Ok(Err(Overflow::Io(error))) => {
            return Err(CommandError::Spawn {
                program: program.clone(),
                reason: error.to_string(),
            });
        }
        Ok(Ok(finished)) => finished,
    };
    let stderr = String::from_utf8_lossy(&stderr).into_owned();
    if !status.success() {
        return Err(CommandError::Failed {
            command,
            status: status.to_string(),
            stderr: tail(&stderr),
        });
    }
    let stdout = String::from_utf8(stdout).map_err(|_| CommandError::NotText(command))?;
    Ok(Printed { stdout, stderr })
}

/// Why reading a stream stopped early.
enum Overflow {
    Limit { stream: &'static str, limit: u64 },
    Io(std::io::Error),
}

/// All of `pipe`, or [`Overflow::Limit`] as soon as it passes `limit` bytes.
async fn read_bounded(
    pipe: Option<impl AsyncRead + Unpin>,
    limit: u64,
    stream: &'static str,
) -> Result<Vec<u8>, Overflow> {
    let mut bytes = Vec::new();
    let Some(pipe) = pipe else {
        return Ok(bytes);
    };
    pipe.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .await
        .map_err(Overflow::Io)?;
    if bytes.len() as u64 > limit {
        return Err(Overflow::Limit { stream, limit });
    }
    Ok(bytes)
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM; the handlers are installed when this is called.
/// Without them, the future never completes (the run is then only bounded by its timeout).
fn interrupt() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let int = signal(SignalKind::interrupt()).ok();
    let term = signal(SignalKind::terminate()).ok();
    async move {
        let wait = |s: Option<tokio::signal::unix::Signal>| async move {
            match s {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = wait(int) => {},
            () = wait(term) => {},
        }
    }
}

/// Commands running now; while one runs, its own `select!` handles an interrupt.
static RUNNING: AtomicUsize = AtomicUsize::new(0);
/// Set by a caller that handles Ctrl-C and SIGTERM itself (`watch`).
static CALLER_HANDLES_INTERRUPTS: AtomicBool = AtomicBool::new(false);
/// Set when a command run has handled an interrupt (it reports it as an error).
static INTERRUPT_HANDLED: AtomicBool = AtomicBool::new(false);
/// Whether the listener of [`keep_default_interrupts`] runs.
static LISTENING: AtomicBool = AtomicBool::new(false);

/// Whether a `command:` source runs now (it then handles an interrupt itself).
pub fn is_running() -> bool {
    RUNNING.load(Ordering::SeqCst) > 0
}

/// Tells this module that the caller stops gracefully on Ctrl-C and SIGTERM itself, so that an
/// interrupt between two commands is left to it.
pub fn caller_handles_interrupts() {
    CALLER_HANDLES_INTERRUPTS.store(true, Ordering::SeqCst);
}

/// Once tokio handles SIGINT and SIGTERM (see [`interrupt`]) the process no longer dies of
/// them; this keeps the usual meaning outside a command run: reckon exits 130 (SIGINT) or 143
/// (SIGTERM), unless the caller handles interrupts itself.
fn keep_default_interrupts() {
    use tokio::signal::unix::{SignalKind, signal};
    if LISTENING.swap(true, Ordering::SeqCst) {
        return;
    }
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return;
    };
    tokio::spawn(async move {
        loop {
            let code = tokio::select! {
                _ = int.recv() => 130,
                _ = term.recv() => 143,
            };
            let handled = RUNNING.load(Ordering::SeqCst) > 0
                || INTERRUPT_HANDLED.swap(false, Ordering::SeqCst)
                || CALLER_HANDLES_INTERRUPTS.load(Ordering::SeqCst);
            if !handled {
                std::process::exit(code);
            }
        }
    });
}

/// Counts a command as running while alive.
struct Running;

impl Running {
    fn start() -> Self {
        RUNNING.fetch_add(1, Ordering::SeqCst);
        Self
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Kills a process group with SIGKILL when dropped.
struct GroupKill(rustix::process::Pid);

impl GroupKill {
    /// The group led by the child `pid` (it was spawned with `process_group(0)`, so its group id
    /// is its pid). Never pid 1 or below: `kill(-1)` would signal every process.
    fn of(pid: u32) -> Option<Self> {
        let pid = i32::try_from(pid).ok().filter(|pid| *pid > 1)?;
        rustix::process::Pid::from_raw(pid).map(Self)
    }
}

impl Drop for GroupKill {
    fn drop(&mut self) {
        // ESRCH (the group is already gone) is the usual answer after a clean exit.
        let _ = rustix::process::kill_process_group(self.0, rustix::process::Signal::KILL);
    }
}

/// The last [`STDERR_SHOWN`] bytes of `text` (on a character boundary), trimmed.
pub fn tail(text: &str) -> String {
    let text = text.trim();
    let mut start = text.len().saturating_sub(STDERR_SHOWN);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_end_of_long_output() {
        let long = format!("{}\nthe real reason", "x".repeat(5000));
        let kept = tail(&long);
        assert!(kept.len() <= STDERR_SHOWN);
        assert!(kept.ends_with("the real reason"));
        assert_eq!(tail("  short \n"), "short");
    }

    #[test]
    fn failure_messages_show_stderr_indented() {
        let error = CommandError::Failed {
            command: "keeper mbr".into(),
            status: "exit status: 3".into(),
            stderr: "Login failed\nsession expired".into(),
        };
        assert_eq!(
            error.to_string(),
            "`keeper mbr` failed (exit status: 3):\n    Login failed\n    session expired"
        );
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size(Limits::DEFAULT.stdout), "256 MB");
        assert_eq!(size(Limits::DEFAULT.stderr), "64 KB");
        assert_eq!(size(1 << 30), "1 GB");
        assert_eq!(size(1000), "1000 bytes");
    }

    fn sh(script: &str) -> Vec<String> {
        vec!["/bin/sh".into(), "-c".into(), script.into()]
    }

    async fn run(script: &str, limits: Limits) -> Result<Printed, CommandError> {
        output(&sh(script), Path::new("."), Duration::from_secs(30), limits).await
    }

    #[tokio::test]
    async fn output_past_a_limit_is_an_error_naming_the_stream_and_the_limit() {
        let small = Limits {
            stdout: 1000,
            stderr: 100,
        };
        let Err(error) = run("head -c 5000 /dev/zero", small).await else {
            panic!("5000 bytes pass a 1000-byte limit");
        };
        assert_eq!(
            error.to_string(),
            "`/bin/sh -c head -c 5000 /dev/zero` printed more than 1000 bytes on standard \
             output and was stopped with its child processes"
        );
        let Err(CommandError::TooMuchOutput { stream, .. }) =
            run("head -c 500 /dev/zero >&2", small).await
        else {
            panic!("stderr is bounded too");
        };
        assert_eq!(stream, "standard error");
        let fits = run("printf 'x%.0s' $(seq 1000)", small)
            .await
            .expect("fits");
        assert_eq!(fits.stdout.len(), 1000, "exactly the limit is allowed");
    }

    #[tokio::test]
    async fn an_endless_writer_is_stopped_at_the_limit_not_read_forever() {
        let limits = Limits {
            stdout: 1 << 20,
            stderr: 1 << 10,
        };
        let result = run("cat /dev/zero", limits).await;
        assert!(
            matches!(result, Err(CommandError::TooMuchOutput { limit, .. }) if limit == 1 << 20),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn python_is_told_to_print_utf8() {
        let printed = run("echo \"$PYTHONIOENCODING $PYTHONUTF8\"", Limits::DEFAULT)
            .await
            .expect("runs");
        assert_eq!(printed.stdout, "utf-8 1\n");
    }

    #[tokio::test]
    async fn stderr_of_a_successful_run_is_returned() {
        let printed = run("echo report; echo note >&2", Limits::DEFAULT)
            .await
            .expect("runs");
        assert_eq!(
            (printed.stdout.as_str(), printed.stderr.as_str()),
            ("report\n", "note\n")
        );
    }
}
