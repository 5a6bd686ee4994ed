//! What the watch loop reports: one [`Event`] per step, handed to a [`Report`] (the text or JSON
//! renderer in `render::watch`, or a test's). The loop knows events, not formats.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Local};

use super::diff::PlanChange;
use crate::apply::ApplyReport;
use crate::diagnostic::Diagnostics;
use crate::error::Error;
use crate::ops::Refusal;
use crate::plan::{Interrupted, Plan};

/// Why a cycle runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// The first cycle.
    Start,
    /// These watched files changed (paths as the watcher reported them).
    Files(Vec<PathBuf>),
    /// The `--interval` timer fired.
    Timer,
    /// The previous cycle failed and its backoff ran out.
    Retry,
}

impl Trigger {
    /// Folds a trigger that arrived while this one waited: files win over the timer, and their
    /// paths add up.
    pub(super) fn merge(self, other: Trigger) -> Trigger {
        match (self, other) {
            (Trigger::Files(mut a), Trigger::Files(b)) => {
                for path in b {
                    if !a.contains(&path) {
                        a.push(path);
                    }
                }
                Trigger::Files(a)
            }
            (Trigger::Files(a), _) | (_, Trigger::Files(a)) => Trigger::Files(a),
            (Trigger::Start, _) | (_, Trigger::Start) => Trigger::Start,
            (Trigger::Retry, _) | (_, Trigger::Retry) => Trigger::Retry,
            (Trigger::Timer, Trigger::Timer) => Trigger::Timer,
        }
    }
}

/// What happened in one step of the loop.
pub enum Event<'a> {
    /// A plan was made.
    Plan {
        /// When the cycle started.
        time: DateTime<Local>,
        /// Why it ran.
        trigger: &'a Trigger,
        /// The plan.
        plan: &'a Plan,
        /// How it differs from the previous plan.
        change: &'a PlanChange,
    },
    /// The workspace or its usage data is invalid; the last good plan is kept.
    Invalid {
        /// When the cycle started.
        time: DateTime<Local>,
        /// Why it ran.
        trigger: &'a Trigger,
        /// Every problem, with file and line.
        diagnostics: &'a Diagnostics,
    },
    /// The cycle could not finish (e.g. the PSA is unreachable); it runs again after `retry_in`.
    Failed {
        /// When the cycle started.
        time: DateTime<Local>,
        /// Why it ran.
        trigger: &'a Trigger,
        /// What went wrong.
        error: &'a Error,
        /// When the cycle is tried again (sooner on a change or tick).
        retry_in: Duration,
    },
    /// `--apply` closed writes an earlier, interrupted apply never recorded the outcome of.
    Recovered {
        /// When.
        time: DateTime<Local>,
        /// Each write, with what its line holds now.
        writes: &'a [Interrupted],
    },
    /// `--apply` did not apply this plan: a rule said no.
    ApplyRefused {
        /// When.
        time: DateTime<Local>,
        /// Why.
        refusal: &'a Refusal,
    },
    /// `--apply` did not apply this plan, for another reason.
    ApplySkipped {
        /// When.
        time: DateTime<Local>,
        /// Why.
        reason: &'a str,
    },
    /// `--apply` applied a plan.
    Applied {
        /// When apply finished.
        time: DateTime<Local>,
        /// Every action's outcome.
        report: &'a ApplyReport,
        /// The plan applied (for the changes held for approval).
        plan: &'a Plan,
    },
    /// The loop stopped on request.
    Stopped {
        /// When.
        time: DateTime<Local>,
    },
}

/// Where the loop's events go.
pub trait Report {
    /// The plan as plain text: successive plans are compared in this form.
    fn plain_plan(&self, plan: &Plan) -> String;
    /// Reports one event (and flushes, so a reader sees each cycle as it ends).
    fn event(&mut self, event: &Event<'_>) -> io::Result<()>;
}
