//! Watch: re-plan (and, when told to, apply) whenever the workspace or its usage files change,
//! and on a timer.
//!
//! The loop is level-triggered: a trigger only says "look again"; every cycle reloads the files
//! as they are now, so bursts of events collapse into one cycle and a missed event costs latency,
//! never correctness. Each cycle is the same code path as `plan` and `apply`
//! ([`crate::ops::plan`], [`crate::ops::apply`] under `apply --auto-approve`'s policy). An
//! invalid workspace is reported and the last good plan kept; nothing is applied from it. A
//! cycle that fails for a passing reason (the PSA unreachable, the lock held, a failed write)
//! runs again after a [`backoff`]. Triggers, the clock, the shutdown signal and the [`Report`]
//! are handed in, so the loop runs in tests without files, timers, signals or a renderer; the
//! notify watcher and the timer live in [`files`] and [`timer`].

pub mod backoff;
pub mod diff;
pub mod event;
pub mod files;
pub mod timer;

use std::path::PathBuf;
use std::pin::Pin;
use std::time::Duration;

use chrono::{DateTime, Local};
use tokio::sync::mpsc;

pub use event::{Event, Report, Trigger};

use crate::config::{self, Workspace};
use crate::error::Error;
use crate::ops::Refusal;
use crate::ops::apply::{self as ops_apply, Applied, Policy, Progress, Source, Stopped};
use crate::ops::plan::{self as planning, Request};
use crate::period::Period;
use crate::plan::{Interrupted, Plan};
use crate::psa::{self, AnyPsa};

/// How the lock file names a watch apply.
const LOCK_COMMAND: &str = "watch --apply";

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
    /// How long an apply waits for another apply's lock (as `apply --lock-timeout`).
    pub lock_timeout: Duration,
}

/// Reads the time; injected so tests control it.
pub type Clock = Box<dyn Fn() -> DateTime<Local> + Send>;

/// Told which input files a good cycle read.
type InputsHook = Box<dyn FnMut(&[PathBuf]) + Send>;

/// The watch loop's state between cycles.
pub struct Watch<R: Report> {
    settings: Settings,
    clock: Clock,
    reporter: R,
    /// The last good plan, rendered: what the next plan is diffed against.
    last_plan: Option<String>,
    /// Whether the last cycle failed, so the next good one shows the whole plan again.
    last_failed: bool,
    /// Failures in a row, for the wait before the next retry.
    backoff: backoff::Backoff,
    /// Called with the files each good cycle read, so the watcher can follow them.
    on_inputs: InputsHook,
}

/// How a cycle ended, for the retry policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// Done, or waiting for a person (an invalid file, a change held for approval).
    Settled,
    /// Failed for a reason that may pass: try again after a backoff.
    Transient,
}

impl<R: Report> Watch<R> {
    /// A loop that reports through `reporter` and reads the time from `clock`.
    pub fn new(settings: Settings, clock: Clock, reporter: R) -> Self {
        Self {
            settings,
            clock,
            reporter,
            last_plan: None,
            last_failed: false,
            backoff: backoff::Backoff::default(),
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
    /// A cycle that failed for a passing reason runs again after its backoff (or sooner, on a
    /// trigger). Shutdown is honoured between steps: planning (read-only) is abandoned, an apply
    /// in progress is finished first. Returns an error only when the output cannot be written.
    pub async fn run(
        mut self,
        mut triggers: mpsc::Receiver<Trigger>,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), Error> {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut retry: Option<Pin<Box<tokio::time::Sleep>>> = None;
        loop {
            let trigger = tokio::select! {
                biased;
                () = &mut shutdown => break,
                trigger = triggers.recv() => match trigger {
                    Some(trigger) => trigger,
                    None => break,
                },
                () = expired(&mut retry) => Trigger::Retry,
            };
            let trigger = drain(trigger, &mut triggers);
            let ending = tokio::select! {
                biased;
                () = &mut shutdown => break,
                ending = self.cycle(&trigger) => ending?,
            };
            retry = match ending {
                Ending::Settled => {
                    self.backoff.succeeded();
                    None
                }
                Ending::Transient => Some(Box::pin(tokio::time::sleep(self.backoff.failed()))),
            };
        }
        let time = (self.clock)();
        self.reporter
            .event(&Event::Stopped { time })
            .map_err(output_error)
    }

    /// One cycle: plan, and apply when asked and there is something to write.
    async fn cycle(&mut self, trigger: &Trigger) -> Result<Ending, Error> {
        let planned = match self.plan_cycle(trigger).await? {
            Ok(planned) => planned,
            Err(ending) => return Ok(ending),
        };
        if self.settings.apply && planned.plan.has_changes() {
            self.apply_cycle(planned).await
        } else {
            Ok(Ending::Settled)
        }
    }

    /// Reload, validate, plan, report. Returns the plan (and what it was computed from) when
    /// the workspace was valid and the plan could be made, else how the cycle ended.
    async fn plan_cycle(&mut self, trigger: &Trigger) -> Result<Result<Planned, Ending>, Error> {
        let time = (self.clock)();
        let root = self.settings.dir.clone();
        let config_stamp = files::Stamp::take(&files::config_files(&root));
        let workspace = match config::load(&root) {
            Ok(loaded) => loaded.workspace,
            Err(diagnostics) => {
                self.failed(&Event::Invalid {
                    time,
                    trigger,
                    diagnostics: &diagnostics,
                })?;
                return Ok(Err(Ending::Settled));
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
                    return Ok(Err(match error.diagnostics() {
                        Some(diagnostics) => {
                            self.failed(&Event::Invalid {
                                time,
                                trigger,
                                diagnostics,
                            })?;
                            Ending::Settled
                        }
                        None => {
                            let retry_in = self.peek_retry();
                            self.failed(&Event::Failed {
                                time,
                                trigger,
                                error: &error,
                                retry_in,
                            })?;
                            Ending::Transient
                        }
                    }));
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
        Ok(Ok(Planned {
            workspace,
            plan,
            psa,
            stamp: config_stamp.with(usage_stamp),
        }))
    }

    /// The wait the next retry will have, without counting a failure.
    fn peek_retry(&self) -> Duration {
        self.backoff.clone().failed()
    }

    /// Reports a cycle that produced no plan; the last good plan stays, and the next good
    /// cycle prints its plan in full.
    fn failed(&mut self, event: &Event<'_>) -> Result<(), Error> {
        self.last_failed = true;
        self.reporter.event(event).map_err(output_error)
    }

    /// Applies the plan exactly as `reckon apply --auto-approve` would ([`ops_apply::apply`]),
    /// unless a file it was computed from changed meanwhile (a save still in progress must
    /// never be applied; the change's own event re-plans).
    async fn apply_cycle(&mut self, planned: Planned) -> Result<Ending, Error> {
        if !planned.stamp.unchanged() {
            let event = Event::ApplySkipped {
                time: (self.clock)(),
                reason: "a workspace or usage file changed while planning; waiting for the next plan",
            };
            self.reporter.event(&event).map_err(output_error)?;
            return Ok(Ending::Settled);
        }
        let policy = Policy {
            lock_command: LOCK_COMMAND.into(),
            lock_timeout: self.settings.lock_timeout,
            allow_empty: false,
            allow_partial: false,
        };
        let mut recovered = Recovered::default();
        let source = Source::Planned(Box::new(planned.plan));
        let result = ops_apply::apply(
            &planned.workspace,
            &planned.psa,
            source,
            &policy,
            &mut recovered,
        )
        .await;
        let time = (self.clock)();
        if !recovered.0.is_empty() {
            let event = Event::Recovered {
                time,
                writes: &recovered.0,
            };
            self.reporter.event(&event).map_err(output_error)?;
        }
        let (event, ending) = match &result {
            Ok(Applied {
                plan,
                report: Some(report),
            }) => (
                Event::Applied { time, report, plan },
                if report.failed() == 0 {
                    Ending::Settled
                } else {
                    Ending::Transient
                },
            ),
            // Nothing to write after all (cannot happen: only plans with changes get here).
            Ok(Applied { report: None, .. }) => return Ok(Ending::Settled),
            Err(Stopped::Refused(refusal)) => {
                (Event::ApplyRefused { time, refusal }, ending_of(refusal))
            }
            Err(Stopped::Failed(error)) => {
                let reason = error.to_string();
                self.reporter
                    .event(&Event::ApplySkipped {
                        time,
                        reason: &reason,
                    })
                    .map_err(output_error)?;
                return Ok(Ending::Transient);
            }
        };
        self.reporter.event(&event).map_err(output_error)?;
        Ok(ending)
    }
}

/// Whether waiting may cure a refusal: a lock is let go, a re-plan accounts for interrupted
/// writes; a zeroing plan or held changes need a person.
fn ending_of(refusal: &Refusal) -> Ending {
    match refusal {
        Refusal::LockHeld(_) | Refusal::Lock(_) | Refusal::Interrupted { .. } => Ending::Transient,
        _ => Ending::Settled,
    }
}

/// Completes when the retry timer runs out; never when none is set.
async fn expired(retry: &mut Option<Pin<Box<tokio::time::Sleep>>>) {
    match retry {
        Some(sleep) => sleep.await,
        None => std::future::pending().await,
    }
}

/// Watch hears of each step of an apply only to report interrupted writes it closed; the plan
/// was reported when made, the results come with the `applied` event.
#[derive(Default)]
struct Recovered(Vec<Interrupted>);

impl Progress for Recovered {
    fn resolved(&mut self, write: &Interrupted) {
        self.0.push(write.clone());
    }
    fn show(&mut self, _plan: &Plan) -> Result<(), Error> {
        Ok(())
    }
    fn result(&mut self, _result: &crate::apply::ActionResult) {}
}

/// One plan, exactly as `reckon plan` makes it, and the PSA client it read.
async fn plan_once(
    workspace: &Workspace,
    period: Period,
    only: &[String],
    today: chrono::NaiveDate,
) -> Result<(Plan, AnyPsa), Error> {
    let psa = psa::connect(workspace)?;
    let request = Request {
        period,
        today,
        only,
        approve: &[],
    };
    let plan = planning::plan(workspace, &psa, &request).await?;
    Ok((plan, psa))
}

/// A good cycle's result: what `--apply` may write.
struct Planned {
    /// The workspace the plan was made for.
    workspace: Workspace,
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
