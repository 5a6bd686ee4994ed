//! Watch: re-plan (and, when told to, apply) whenever the workspace or its usage files change,
//! and on a timer.
//!
//! The loop is level-triggered: a trigger only says "look again"; every cycle reloads the files
//! as they are now, so bursts of events collapse into one cycle and a missed event costs latency,
//! never correctness. Each cycle is the same code path as `plan` and `apply`
//! ([`crate::reconcile::plan`], [`crate::apply::execute`]). An invalid workspace is reported and
//! the last good plan kept; nothing is applied from it. Triggers, the clock and the shutdown
//! signal are handed in, so the loop runs in tests without files, timers or signals; the notify
//! watcher and the timer live in [`files`] and [`timer`].

pub mod apply;
pub mod diff;
pub mod files;
pub mod timer;

use std::io::Write;
use std::path::PathBuf;

use chrono::{DateTime, Local};
use tokio::sync::mpsc;

use crate::apply::ApplyReport;
use crate::config::{self, Workspace};
use crate::error::Error;
use crate::period::Period;
use crate::plan::Plan;
use crate::psa::{self, AnyPsa, Psa};
use crate::reconcile;
use crate::render::watch::{Event, Reporter};

/// Why a cycle runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// The first cycle.
    Start,
    /// These watched files changed (paths as the watcher reported them).
    Files(Vec<PathBuf>),
    /// The `--interval` timer fired.
    Timer,
}

impl Trigger {
    /// Folds a trigger that arrived while this one waited: files win over the timer, and their
    /// paths add up.
    fn merge(self, other: Trigger) -> Trigger {
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
            (Trigger::Timer, Trigger::Timer) => Trigger::Timer,
        }
    }
}

/// What to watch and what to do.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The workspace directory.
    pub dir: PathBuf,
    /// A fixed period; `None` follows the clock (the month before today, re-read every cycle).
    pub period: Option<Period>,
    /// Only these integrations (all when empty).
    pub integrations: Vec<String>,
    /// Apply each plan that has changes.
    pub apply: bool,
}

/// Reads the time; injected so tests control it.
pub type Clock = Box<dyn Fn() -> DateTime<Local> + Send>;

/// Told which input files a good cycle read.
type InputsHook = Box<dyn FnMut(&[PathBuf]) + Send>;

/// The watch loop's state between cycles.
pub struct Watch<W: Write> {
    settings: Settings,
    clock: Clock,
    reporter: Reporter<W>,
    /// The last good plan, rendered: what the next plan is diffed against.
    last_plan: Option<String>,
    /// Whether the last cycle failed, so the next good one shows the whole plan again.
    last_failed: bool,
    /// Called with the files each good cycle read, so the watcher can follow them.
    on_inputs: InputsHook,
}

impl<W: Write> Watch<W> {
    /// A loop that reports through `reporter` and reads the time from `clock`.
    pub fn new(settings: Settings, clock: Clock, reporter: Reporter<W>) -> Self {
        Self {
            settings,
            clock,
            reporter,
            last_plan: None,
            last_failed: false,
            on_inputs: Box::new(|_| {}),
        }
    }

    /// Tells `hook` which files each good cycle read (the watcher follows usage files as the
    /// period or the config moves them).
    #[must_use]
    pub fn on_inputs(mut self, hook: impl FnMut(&[PathBuf]) + Send + 'static) -> Self {
        self.on_inputs = Box::new(hook);
        self
    }

    /// Runs cycles as triggers arrive until `shutdown` completes or the trigger channel closes.
    /// Shutdown is honoured between steps: planning (read-only) is abandoned, an apply in
    /// progress is finished first. Returns an error only when the output cannot be written.
    pub async fn run(
        mut self,
        mut triggers: mpsc::Receiver<Trigger>,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), Error> {
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let trigger = tokio::select! {
                biased;
                () = &mut shutdown => break,
                trigger = triggers.recv() => match trigger {
                    Some(trigger) => trigger,
                    None => break,
                },
            };
            let trigger = drain(trigger, &mut triggers);
            let planned = tokio::select! {
                biased;
                () = &mut shutdown => break,
                planned = self.plan_cycle(&trigger) => planned?,
            };
            if let Some(planned) = planned
                && self.settings.apply
                && planned.plan.has_changes()
            {
                self.apply_cycle(&planned).await?;
            }
        }
        let time = (self.clock)();
        self.reporter
            .event(&Event::Stopped { time })
            .map_err(output_error)
    }

    /// Reload, validate, plan, report. Returns the plan (and what it was computed from) when
    /// the workspace was valid and the plan could be made.
    async fn plan_cycle(&mut self, trigger: &Trigger) -> Result<Option<Planned>, Error> {
        let time = (self.clock)();
        let root = self.settings.dir.clone();
        let config_stamp = files::Stamp::take(&files::config_files(&root));
        let workspace = match config::load(&root) {
            Ok(loaded) => loaded.workspace,
            Err(diagnostics) => {
                return self.failed(&Event::Invalid {
                    time,
                    trigger,
                    diagnostics: &diagnostics,
                });
            }
        };
        let period = self
            .settings
            .period
            .unwrap_or_else(|| Period::previous_to(time.date_naive()));
        let inputs = files::usage_files(&workspace, period);
        (self.on_inputs)(&inputs);
        let usage_stamp = files::Stamp::take(&inputs);
        let today = time.date_naive();
        let (plan, psa) =
            match plan_once(&workspace, period, &self.settings.integrations, today).await {
                Ok(planned) => planned,
                Err(error) => {
                    return self.failed(&match error.diagnostics() {
                        Some(diagnostics) => Event::Invalid {
                            time,
                            trigger,
                            diagnostics,
                        },
                        None => Event::Failed {
                            time,
                            trigger,
                            error: &error,
                        },
                    });
                }
            };
        let rendered = self.reporter.plain_plan(&plan);
        let change = match (&self.last_plan, self.last_failed) {
            (Some(previous), false) => diff::between(previous, &rendered),
            _ => diff::PlanChange::Full,
        };
        let event = Event::Plan {
            time,
            trigger,
            plan: &plan,
            change: &change,
        };
        self.reporter.event(&event).map_err(output_error)?;
        self.last_plan = Some(rendered);
        self.last_failed = false;
        Ok(Some(Planned {
            plan,
            psa,
            stamp: config_stamp.with(usage_stamp),
        }))
    }

    /// Reports a cycle that produced no plan; the last good plan stays, and the next good
    /// cycle prints its plan in full.
    fn failed(&mut self, event: &Event<'_>) -> Result<Option<Planned>, Error> {
        self.last_failed = true;
        self.reporter.event(event).map_err(output_error)?;
        Ok(None)
    }

    /// Applies `plan` unless a file it was computed from changed meanwhile (a save still in
    /// progress must never be applied; the change's own event re-plans).
    async fn apply_cycle(&mut self, planned: &Planned) -> Result<(), Error> {
        if !planned.stamp.unchanged() {
            let event = Event::ApplySkipped {
                time: (self.clock)(),
                reason: "a workspace or usage file changed while planning; waiting for the next plan",
            };
            return self.reporter.event(&event).map_err(output_error);
        }
        let result = apply_plan(&self.settings.dir, &planned.plan, &planned.psa).await;
        let time = (self.clock)();
        let event = match &result {
            Ok(report) => Event::Applied {
                time,
                report,
                plan: &planned.plan,
            },
            Err(reason) => Event::ApplySkipped { time, reason },
        };
        self.reporter.event(&event).map_err(output_error)
    }
}

/// The one place watch writes to the PSA: the lock, the journal, the approval thresholds and
/// the executor of `reckon apply` (see [`apply`]).
async fn apply_plan<P: Psa>(
    root: &std::path::Path,
    plan: &Plan,
    psa: &P,
) -> Result<ApplyReport, String> {
    apply::apply(root, plan, psa).await
}

/// One plan, exactly as `reckon plan` makes it, and the PSA client it read.
async fn plan_once(
    workspace: &Workspace,
    period: Period,
    only: &[String],
    today: chrono::NaiveDate,
) -> Result<(Plan, AnyPsa), Error> {
    let psa = psa::connect(workspace)?;
    let plan = reconcile::plan(workspace, &psa, period, only, today, &[]).await?;
    Ok((plan, psa))
}

/// A good cycle's result: what `--apply` may write.
struct Planned {
    plan: Plan,
    /// The client the plan was read through (apply writes through the same one).
    psa: AnyPsa,
    /// The input files as they were when read.
    stamp: files::Stamp,
}

/// Takes every trigger already queued behind `first`, so a burst becomes one cycle.
fn drain(first: Trigger, triggers: &mut mpsc::Receiver<Trigger>) -> Trigger {
    let mut trigger = first;
    while let Ok(next) = triggers.try_recv() {
        trigger = trigger.merge(next);
    }
    trigger
}

fn output_error(source: std::io::Error) -> Error {
    Error::Io {
        context: "cannot write output".into(),
        source,
    }
}

#[cfg(test)]
mod tests;
