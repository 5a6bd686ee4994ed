//! `reckon status` as text and as JSON (`status --format json`, documented in the README).

use std::io::{self, Write};

use serde::Serialize;

use super::{Paint, Style};
use crate::state::CiRun;
use crate::state::lock::LockInfo;
use crate::status::{LastApply, Status};

/// Writes the status.
pub fn text(out: &mut dyn Write, status: &Status, style: Style) -> io::Result<()> {
    writeln!(out, "{}", style.paint(Paint::Bold, "Integrations:"))?;
    for integration in &status.integrations {
        match &integration.last_apply {
            None => writeln!(out, "  {}: never applied", integration.name)?,
            Some(last) => {
                let paint = match last.outcome() {
                    "applied" => Paint::Green,
                    _ => Paint::Red,
                };
                writeln!(
                    out,
                    "  {}: last applied {} from commit {} at {} by {}: {} ({} applied, {} failed, {} unknown)",
                    integration.name,
                    last.period,
                    last.commit.as_deref().unwrap_or("unknown"),
                    last.time,
                    last.by,
                    style.paint(paint, last.outcome()),
                    last.applied,
                    last.failed,
                    last.unknown
                )?;
            }
        }
    }
    writeln!(out)?;
    match &status.lock {
        None => writeln!(out, "Lock: not held")?,
        Some(lock) => writeln!(
            out,
            "Lock: {}",
            style.paint(Paint::Yellow, &lock.to_string())
        )?,
    }
    if status.unknown_outcomes.is_empty() {
        writeln!(out, "Unknown outcomes: none")?;
    } else {
        writeln!(
            out,
            "{}",
            style.paint(
                Paint::Red,
                "Unknown outcomes (apply interrupted; the next apply re-reads these lines):"
            )
        )?;
        for i in &status.unknown_outcomes {
            writeln!(
                out,
                "  {} (contract {} line {}): {} → {}, started {} by {}",
                i.address,
                i.contract,
                i.line.as_deref().unwrap_or("new"),
                i.before.map_or_else(|| "new".to_owned(), |q| q.to_string()),
                i.after,
                i.time,
                crate::state::who(&i.user, &i.host, i.ci.as_ref())
            )?;
        }
    }
    if status.pending_approvals.is_empty() {
        writeln!(out, "Pending approvals: none")
    } else {
        writeln!(out, "Pending approvals (approved, not yet applied):")?;
        for g in &status.pending_approvals {
            let period = g.period.map(|p| p.to_string()).unwrap_or_default();
            let quantity = g.quantity.map(|q| q.to_string()).unwrap_or_default();
            writeln!(
                out,
                "  {} for {period}: quantity {quantity} ({})",
                g.address, g.source
            )?;
        }
        Ok(())
    }
}

#[derive(Serialize)]
struct StatusDoc<'a> {
    integrations: Vec<IntegrationDoc<'a>>,
    /// The lock file as it is (`null`: not held).
    lock: Option<&'a LockInfo>,
    unknown_outcomes: Vec<UnknownDoc<'a>>,
    pending_approvals: Vec<ApprovalDoc<'a>>,
}

#[derive(Serialize)]
struct IntegrationDoc<'a> {
    name: &'a str,
    /// `null`: never applied.
    last_apply: Option<LastApplyDoc<'a>>,
}

#[derive(Serialize)]
struct LastApplyDoc<'a> {
    apply: &'a str,
    period: String,
    commit: Option<&'a str>,
    time: &'a str,
    /// Who, for people: the CI actor and run, or `user@host`.
    by: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ci: Option<&'a CiRun>,
    outcome: &'static str,
    applied: usize,
    failed: usize,
    unknown: usize,
}

#[derive(Serialize)]
struct UnknownDoc<'a> {
    address: &'a str,
    contract: &'a str,
    line: Option<&'a str>,
    before: Option<String>,
    after: String,
    started: &'a str,
    by: String,
}

#[derive(Serialize)]
struct ApprovalDoc<'a> {
    address: &'a str,
    period: Option<String>,
    quantity: Option<String>,
    source: &'a str,
}

fn last_apply(last: &LastApply) -> LastApplyDoc<'_> {
    LastApplyDoc {
        apply: &last.apply,
        period: last.period.to_string(),
        commit: last.commit.as_deref(),
        time: &last.time,
        by: &last.by,
        ci: last.ci.as_ref(),
        outcome: last.outcome(),
        applied: last.applied,
        failed: last.failed,
        unknown: last.unknown,
    }
}

/// Writes the status as pretty JSON; decimals are strings.
pub fn json(out: &mut dyn Write, status: &Status) -> io::Result<()> {
    let decimal = super::json::decimal;
    let doc = StatusDoc {
        integrations: status
            .integrations
            .iter()
            .map(|i| IntegrationDoc {
                name: &i.name,
                last_apply: i.last_apply.as_ref().map(last_apply),
            })
            .collect(),
        lock: status.lock.as_ref(),
        unknown_outcomes: status
            .unknown_outcomes
            .iter()
            .map(|i| UnknownDoc {
                address: &i.address,
                contract: &i.contract,
                line: i.line.as_deref(),
                before: i.before.map(decimal),
                after: decimal(i.after),
                started: &i.time,
                by: crate::state::who(&i.user, &i.host, i.ci.as_ref()),
            })
            .collect(),
        pending_approvals: status
            .pending_approvals
            .iter()
            .map(|g| ApprovalDoc {
                address: &g.address,
                period: g.period.map(|p| p.to_string()),
                quantity: g.quantity.map(decimal),
                source: &g.source,
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
