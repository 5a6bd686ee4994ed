//! Why an apply wrote nothing: the typed refusals [`super::apply`] returns, each with the message
//! and the hint both front ends print (the CLI as an error, watch as an `apply-skipped` event).
//!
//! Owns the wording of every refusal and nothing else: it decides no refusal itself.

use std::fmt;

use crate::error::Error;
use crate::plan::PartialData;
use crate::saved_plan::StaleLine;
use crate::state::lock::{LockError, LockInfo};

/// A reason an apply wrote nothing.
#[derive(Debug)]
pub enum Refusal {
    /// Another apply holds the workspace lock (and did not let go within the lock timeout).
    LockHeld(Box<LockInfo>),
    /// The lock could not be taken for another reason (an unreadable lock file, the file system).
    Lock(LockError),
    /// Writes of an interrupted apply turned up after this plan was made, so the plan may not
    /// account for what they did; re-plan.
    Interrupted {
        /// How many writes the plan did not know about.
        unknown: usize,
    },
    /// An integration's usage does not cover the period, and that was not allowed.
    Partial(Vec<PartialData>),
    /// The plan would set every line it covers to zero, and zeroing was not allowed.
    ZeroesEveryLine,
    /// Every change needs an approval nobody gave.
    AllHeld {
        /// How many changes are held.
        held: usize,
    },
    /// Every change belongs to an integration with error findings (or is held).
    AllBlocked {
        /// How many changes are blocked.
        blocked: usize,
    },
    /// The saved plan no longer matches the workspace, the usage or the PSA.
    Stale {
        /// What changed.
        reason: Stale,
        /// The command that makes a fresh plan.
        replan: String,
    },
    /// The saved plan file cannot be used (unreadable, not a saved plan, wrong version).
    BadPlanFile(String),
    /// The saved plan's decisions are not what its inputs give: the file was edited.
    Modified {
        /// Each difference, in words.
        differences: Vec<String>,
        /// The command that makes a fresh plan.
        replan: String,
    },
}

/// What makes a saved plan stale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    /// It was made for another PSA kind.
    Psa {
        /// The plan's PSA kind.
        planned: String,
        /// The workspace's now.
        now: String,
    },
    /// A workspace file changed.
    Config,
    /// A usage file for the period changed.
    Usage(crate::period::Period),
    /// Lines changed in the PSA.
    Lines(Vec<StaleLine>),
}

impl From<LockError> for Refusal {
    fn from(error: LockError) -> Self {
        match error {
            LockError::Held(holder) => Self::LockHeld(holder),
            other => Self::Lock(other),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LockHeld(holder) => write!(f, "the workspace is locked: {holder}"),
            Self::Lock(error) => write!(f, "{error}"),
            Self::Interrupted { unknown } => write!(
                f,
                "an apply was interrupted after this plan was made ({unknown} write(s) with \
                 unknown outcome); nothing was written"
            ),
            Self::ZeroesEveryLine => f.write_str(
                "refusing to apply: the plan sets every line it covers to zero; nothing was written",
            ),
            Self::Partial(partial) => {
                let messages: Vec<String> = partial.iter().map(PartialData::message).collect();
                write!(
                    f,
                    "refusing to apply: {}; nothing was written",
                    messages.join("; ")
                )
            }
            Self::AllHeld { held } => write!(
                f,
                "all {held} change(s) need approval; approve them in approvals.yaml"
            ),
            Self::AllBlocked { blocked } => write!(
                f,
                "all {blocked} change(s) are blocked by error findings; fix the findings"
            ),
            Self::Stale { reason, .. } => match reason {
                Stale::Psa { planned, now } => write!(
                    f,
                    "stale plan: it was made for a {planned} PSA, the workspace now uses {now}"
                ),
                Stale::Config => f.write_str(
                    "stale plan: the configuration (reckon.yaml, integrations/, approvals.yaml) \
                     changed since the plan was made",
                ),
                Stale::Usage(period) => write!(
                    f,
                    "stale plan: the usage data for {period} changed since the plan was made"
                ),
                Stale::Lines(lines) => {
                    write!(
                        f,
                        "stale plan: {} line(s) changed in the PSA since the plan was made:",
                        lines.len()
                    )?;
                    lines.iter().try_for_each(|line| write!(f, "\n  {line}"))
                }
            },
            Self::BadPlanFile(reason) => f.write_str(reason),
            Self::Modified { differences, .. } => {
                f.write_str(
                    "the plan file was modified: its decisions are not what its inputs give:",
                )?;
                differences.iter().try_for_each(|d| write!(f, "\n  {d}"))
            }
        }
    }
}

impl Refusal {
    /// What to do about it.
    pub fn hint(&self) -> String {
        match self {
            // A holder known to be gone will never finish: waiting is no advice.
            Self::LockHeld(holder) if holder.holder_is_gone() => {
                format!("`reckon unlock {}`", holder.id)
            }
            Self::LockHeld(holder) => format!(
                "wait for it to finish (or pass --lock-timeout 30s); if that run crashed, \
                 remove the lock with `reckon unlock {}`",
                holder.id
            ),
            Self::Lock(error) => lock_hint(error),
            Self::Interrupted { .. } => {
                "plan again: the next plan re-reads the lines those writes touched".into()
            }
            Self::Partial(_) => "wait until the period is over and its usage is complete \
                                 (re-export it), or pass --allow-partial to `reckon apply` if \
                                 billing the data as it stands is intended"
                .into(),
            Self::ZeroesEveryLine => "this is what empty or truncated usage data looks like; \
                                      check it, and pass --allow-empty only if every line \
                                      really should be zero"
                .into(),
            Self::AllBlocked { .. } => {
                "fix the error findings the plan shows (mappings to companies, services or \
                 contracts that do not exist), then plan again"
                    .into()
            }
            Self::AllHeld { .. } => {
                "add them to approvals.yaml (address, period and quantity as the plan prints \
                 them), or pass --approve ADDRESS to `reckon apply`"
                    .into()
            }
            Self::Stale { replan, .. } | Self::Modified { replan, .. } => replan.clone(),
            Self::BadPlanFile(_) => "make a new one with `reckon plan --out FILE`".into(),
        }
    }
}

/// What to do about a lock problem other than a held lock.
fn lock_hint(error: &LockError) -> String {
    match error {
        LockError::Held(holder) => Refusal::LockHeld(holder.clone()).hint(),
        LockError::Unreadable(path) => format!(
            "check that no reckon apply is running, then delete {}",
            path.display()
        ),
        LockError::WrongId { actual, .. } => {
            format!("the lock's id is {actual}; check who holds it with `reckon status` first")
        }
        LockError::NotLocked => "nothing to do".into(),
        LockError::Released => "nothing was written".into(),
        LockError::Io { .. } => "check the permissions of the workspace's .reckon folder".into(),
    }
}

impl From<Refusal> for Error {
    fn from(refusal: Refusal) -> Self {
        Error::refused(refusal.to_string(), refusal.hint())
    }
}
