//! `reckon watch` output: one block of text per cycle for people, or one JSON object per line
//! (`--format json`) for log shippers. Decimals are strings, times RFC 3339 in UTC.

use std::io::{self, Write};

use chrono::{DateTime, Local, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::{Paint, Style};
use crate::apply::Outcome;
use crate::ops::Refusal;
use crate::plan::Plan;
use crate::render::json::decimal;
use crate::watch::diff::PlanChange;
use crate::watch::{Event, Report, Trigger};

/// Output formats for `watch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The plan, then only what changed, for a terminal.
    Text,
    /// One JSON object per line per cycle.
    Json,
}

/// Writes events in one format.
pub struct Reporter<W: Write> {
    out: W,
    format: Format,
    style: Style,
}

impl<W: Write> Report for Reporter<W> {
    /// The plan as `reckon plan` prints it, without colour: what successive plans are diffed on.
    fn plain_plan(&self, plan: &Plan) -> String {
        let mut buffer = Vec::new();
        // Writing to a Vec cannot fail.
        let _ = super::text::plan(&mut buffer, plan, Style::default());
        String::from_utf8_lossy(&buffer).into_owned()
    }

    /// Writes one event and flushes, so a reader sees each cycle as it ends.
    fn event(&mut self, event: &Event<'_>) -> io::Result<()> {
        match self.format {
            Format::Text => self.text(event)?,
            Format::Json => {
                serde_json::to_writer(&mut self.out, &Envelope::of(event))?;
                writeln!(self.out)?;
            }
        }
        self.out.flush()
    }
}

impl<W: Write> Reporter<W> {
    /// A reporter writing to `out`.
    pub fn new(out: W, format: Format, style: Style) -> Self {
        Self { out, format, style }
    }

    fn text(&mut self, event: &Event<'_>) -> io::Result<()> {
        let style = self.style;
        let out: &mut dyn Write = &mut self.out;
        match event {
            Event::Plan {
                time,
                trigger,
                plan,
                change,
            } => match change {
                PlanChange::Full => {
                    stamp(out, *time, style, &format!("plan ({})", describe(trigger)))?;
                    super::text::plan(out, plan, style)?;
                    writeln!(out)
                }
                PlanChange::Unchanged => stamp(
                    out,
                    *time,
                    style,
                    &format!(
                        "plan unchanged ({}): {}",
                        describe(trigger),
                        super::text::summary_line(plan)
                    ),
                ),
                PlanChange::Changed(hunks) => {
                    stamp(
                        out,
                        *time,
                        style,
                        &format!("plan changed ({}):", describe(trigger)),
                    )?;
                    for (i, hunk) in hunks.iter().enumerate() {
                        if i > 0 {
                            writeln!(out, "{}", style.paint(Paint::Dim, "  ⋮"))?;
                        }
                        for line in hunk {
                            writeln!(out, "{}", paint_diff_line(line, style))?;
                        }
                    }
                    writeln!(out)
                }
            },
            Event::Invalid {
                time,
                trigger,
                diagnostics,
            } => {
                let title = format!(
                    "the workspace or its usage data is invalid ({}); keeping the last good plan, \
                     nothing applied:",
                    describe(trigger)
                );
                stamp(out, *time, style, &style.paint(Paint::Red, &title))?;
                super::diagnostics::text(out, diagnostics, style)?;
                writeln!(out)
            }
            Event::Failed {
                time,
                trigger,
                error,
                retry_in,
            } => {
                let title = format!(
                    "cycle failed ({}): {error}; trying again in {}s (or on the next change)",
                    describe(trigger),
                    retry_in.as_secs()
                );
                stamp(out, *time, style, &style.paint(Paint::Red, &title))?;
                if let Some(hint) = error.hint() {
                    writeln!(out, "  {}", style.hint(&hint))?;
                }
                writeln!(out)
            }
            Event::Recovered { time, writes } => {
                stamp(out, *time, style, "closed writes of an interrupted apply:")?;
                for write in *writes {
                    writeln!(out, "  {}", super::apply::recovered(write))?;
                }
                Ok(())
            }
            Event::ApplyRefused { time, refusal } => {
                stamp(out, *time, style, &format!("apply skipped: {refusal}"))?;
                writeln!(out, "  {}", style.hint(&refusal.hint()))
            }
            Event::ApplySkipped { time, reason } => {
                stamp(out, *time, style, &format!("apply skipped: {reason}"))
            }
            Event::Applied { time, report, plan } => {
                stamp(out, *time, style, "applied:")?;
                for result in &report.results {
                    super::apply::result(out, result, style)?;
                }
                for change in plan.held() {
                    super::apply::held(out, change, style)?;
                }
                super::apply::summary(out, report, plan, style)?;
                writeln!(out)
            }
            Event::Stopped { time } => stamp(out, *time, style, "stopped."),
        }
    }
}

fn stamp(out: &mut dyn Write, time: DateTime<Local>, style: Style, text: &str) -> io::Result<()> {
    let at = format!("[{}]", time.format("%H:%M:%S"));
    writeln!(out, "{} {text}", style.paint(Paint::Dim, &at))
}

fn paint_diff_line(line: &str, style: Style) -> String {
    // A blank context line is a lone space; print it empty, not as trailing whitespace.
    let line = line.trim_end();
    match line.as_bytes().first() {
        Some(b'+') => style.paint(Paint::Green, line),
        Some(b'-') => style.paint(Paint::Red, line),
        _ => line.to_owned(),
    }
}

/// `start`, `timer`, `retry`, or `integrations/keeper.yaml changed`.
fn describe(trigger: &Trigger) -> String {
    match trigger {
        Trigger::Start => "start".into(),
        Trigger::Timer => "timer".into(),
        Trigger::Retry => "retry".into(),
        Trigger::Files(paths) if paths.is_empty() => "files changed".into(),
        Trigger::Files(paths) => {
            let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            format!("{} changed", names.join(", "))
        }
    }
}

fn json_time(time: DateTime<Local>) -> String {
    time.with_timezone(&Utc)
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn json_trigger(trigger: &Trigger) -> (&'static str, Vec<String>) {
    match trigger {
        Trigger::Start => ("start", Vec::new()),
        Trigger::Timer => ("timer", Vec::new()),
        Trigger::Retry => ("retry", Vec::new()),
        Trigger::Files(paths) => (
            "files",
            paths.iter().map(|p| p.display().to_string()).collect(),
        ),
    }
}

/// `event` and `time` first, so each line reads from its kind; the event's own fields follow.
#[derive(serde::Serialize)]
struct Envelope {
    event: &'static str,
    time: String,
    #[serde(flatten)]
    body: Value,
}

impl Envelope {
    fn of(event: &Event<'_>) -> Self {
        Self {
            event: kind(event),
            time: json_time(time_of(event)),
            body: json_event(event),
        }
    }
}

fn time_of(event: &Event<'_>) -> DateTime<Local> {
    match event {
        Event::Plan { time, .. }
        | Event::Invalid { time, .. }
        | Event::Failed { time, .. }
        | Event::Recovered { time, .. }
        | Event::ApplyRefused { time, .. }
        | Event::ApplySkipped { time, .. }
        | Event::Applied { time, .. }
        | Event::Stopped { time } => *time,
    }
}

fn kind(event: &Event<'_>) -> &'static str {
    match event {
        Event::Plan { .. } => "plan",
        Event::Invalid { .. } => "invalid",
        Event::Failed { .. } => "error",
        Event::Recovered { .. } => "recovered",
        Event::ApplyRefused { .. } | Event::ApplySkipped { .. } => "apply-skipped",
        Event::Applied { .. } => "applied",
        Event::Stopped { .. } => "stopped",
    }
}

/// The refusal's name in JSON.
fn refusal_kind(refusal: &Refusal) -> &'static str {
    match refusal {
        Refusal::LockHeld(_) => "lock-held",
        Refusal::Lock(_) => "lock",
        Refusal::Interrupted { .. } => "interrupted",
        Refusal::Partial(_) => "partial",
        Refusal::ZeroesEveryLine => "zeroes-every-line",
        Refusal::AllHeld { .. } => "all-held",
        Refusal::AllBlocked { .. } => "all-blocked",
        Refusal::Stale { .. } => "stale",
        Refusal::Modified { .. } => "modified",
        Refusal::BadPlanFile(_) => "bad-plan-file",
    }
}

fn json_event(event: &Event<'_>) -> Value {
    match event {
        Event::Plan {
            trigger,
            plan,
            change,
            ..
        } => {
            let (trigger, files) = json_trigger(trigger);
            let summary = plan.summary();
            json!({
                "trigger": trigger,
                "files": files,
                "period": plan.period.to_string(),
                "changed_since_last": *change != &PlanChange::Unchanged,
                "has_changes": plan.has_changes(),
                "changes": plan.actions().map(|c| json!({
                    "address": c.address,
                    "action": c.action.as_str(),
                    "current": c.current().map(decimal),
                    "quantity": decimal(c.quantity),
                    "usage": decimal(c.usage),
                })).collect::<Vec<_>>(),
                "findings": plan.findings.iter().map(|f| json!({
                    "kind": f.kind.as_str(),
                    "severity": f.severity.as_str(),
                    "message": f.message,
                })).collect::<Vec<_>>(),
                "blockers": plan.blockers.iter().map(|b| b.to_string()).collect::<Vec<_>>(),
                "summary": {
                    "create": summary.create,
                    "update": summary.update,
                    "unchanged": summary.unchanged,
                    "findings": summary.findings,
                    "errors": summary.errors,
                    "warnings": summary.warnings,
                },
            })
        }
        Event::Invalid {
            trigger,
            diagnostics,
            ..
        } => {
            let (trigger, files) = json_trigger(trigger);
            json!({
                "trigger": trigger,
                "files": files,
                "errors": diagnostics.sorted(),
            })
        }
        Event::Failed {
            trigger,
            error,
            retry_in,
            ..
        } => {
            let (trigger, files) = json_trigger(trigger);
            json!({
                "trigger": trigger,
                "files": files,
                "message": error.to_string(),
                "hint": error.hint(),
                "retry_in_seconds": retry_in.as_secs(),
            })
        }
        Event::Recovered { writes, .. } => json!({
            "writes": writes.iter().map(|w| json!({
                "address": w.address,
                "before": w.before.map(decimal),
                "after": decimal(w.after),
                "found": w.found.map(decimal),
            })).collect::<Vec<_>>(),
        }),
        Event::ApplyRefused { refusal, .. } => json!({
            "reason": refusal.to_string(),
            "refusal": refusal_kind(refusal),
            "hint": refusal.hint(),
        }),
        Event::ApplySkipped { reason, .. } => json!({
            "reason": reason,
        }),
        Event::Applied { report, plan, .. } => json!({
            "applied": report.applied(),
            "failed": report.failed(),
            "held": plan.held().map(|c| c.address.as_str()).collect::<Vec<_>>(),
            "results": report.results.iter().map(|r| {
                let error = match &r.outcome {
                    Outcome::Applied => None,
                    Outcome::Failed(e) => Some(e.to_string()),
                    Outcome::NotAttempted(why) => Some(why.clone()),
                };
                let outcome = r.outcome.kind();
                json!({
                    "address": r.change.address,
                    "action": r.change.action.as_str(),
                    "current": r.change.current().map(decimal),
                    "quantity": decimal(r.change.quantity),
                    "outcome": outcome,
                    "error": error,
                })
            }).collect::<Vec<_>>(),
        }),
        Event::Stopped { .. } => json!({}),
    }
}
