//! Running a program that prints a usage report: the argument list as given (no shell, so
//! nothing is expanded or interpreted), in the workspace directory, with stdin closed and a time
//! limit. Returns its standard output; a failure carries what the user needs to fix it (the exit
//! status and the end of its standard error).
//!
//! Knows nothing about report formats; the vendor that configured the command parses the text.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

/// At most this much of a failed command's standard error is shown (its end, where the reason
/// usually is).
const STDERR_SHOWN: usize = 2000;

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
    #[error("`{command}` did not finish within {}s and was stopped", .after.as_secs())]
    TimedOut {
        /// The command line, for the message.
        command: String,
        /// The time limit.
        after: Duration,
    },
    /// Its output is not UTF-8 text.
    #[error("`{0}` printed output that is not UTF-8 text")]
    NotText(String),
}

fn stderr_block(stderr: &str) -> String {
    if stderr.is_empty() {
        "; it printed nothing on standard error".to_owned()
    } else {
        let indented: Vec<String> = stderr.lines().map(|l| format!("    {l}")).collect();
        format!(":\n{}", indented.join("\n"))
    }
}

/// The command line as people write it, for messages.
pub fn display(argv: &[String]) -> String {
    argv.join(" ")
}

/// Runs `argv` in `dir` and returns its standard output.
///
/// A program path containing `/` is taken relative to `dir` (the workspace), not to wherever
/// reckon was started; a bare name is looked up on PATH.
pub async fn output(
    argv: &[String],
    dir: &Path,
    timeout: Duration,
) -> Result<String, CommandError> {
    let Some((program, args)) = argv.split_first() else {
        return Err(CommandError::NotFound(String::new()));
    };
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let executable = if program.contains('/') {
        dir.join(program)
    } else {
        program.into()
    };
    let child = tokio::process::Command::new(&executable)
        .args(args)
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Dropping the wait below on timeout kills the child instead of leaving it running.
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => CommandError::NotFound(program.clone()),
            _ => CommandError::Spawn {
                program: program.clone(),
                reason: error.to_string(),
            },
        })?;
    let command = display(argv);
    let finished = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .map_err(|_| CommandError::TimedOut {
            command: command.clone(),
            after: timeout,
        })?
        .map_err(|error| CommandError::Spawn {
            program: program.clone(),
            reason: error.to_string(),
        })?;
    if !finished.status.success() {
        return Err(CommandError::Failed {
            command,
            status: finished.status.to_string(),
            stderr: tail(&String::from_utf8_lossy(&finished.stderr)),
        });
    }
    String::from_utf8(finished.stdout).map_err(|_| CommandError::NotText(command))
}

/// The last [`STDERR_SHOWN`] bytes of `text` (on a character boundary), trimmed.
fn tail(text: &str) -> String {
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
}
