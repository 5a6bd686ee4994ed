//! Apply progress and the closing report.

use std::io::{self, Write};

use super::escape::text as shown;
use super::{Paint, Style};
use crate::apply::{ActionResult, ApplyReport, Outcome};
use crate::plan::Plan;

/// One line per action as it completes.
pub fn result(out: &mut dyn Write, result: &ActionResult, style: Style) -> io::Result<()> {
    let change = &result.change;
    let quantity = match change.current() {
        Some(current) => format!("{current} → {}", change.quantity),
        None => change.quantity.to_string(),
    };
    if let Some(error) = &result.journal_error {
        writeln!(
            out,
            "  {} cannot record the outcome of {} in the journal: {error}",
            style.paint(Paint::Yellow, "warning"),
            shown(&change.address)
        )?;
    }
    let (address, reason) = match &result.outcome {
        Outcome::Applied => (shown(&change.address), String::new()),
        Outcome::NotAttempted(reason) => (shown(&change.address), shown(reason).into_owned()),
        Outcome::Failed(error) => (
            shown(&change.address),
            shown(&error.to_string()).into_owned(),
        ),
    };
    match &result.outcome {
        Outcome::Applied => writeln!(
            out,
            "  {} {} {} ({quantity})",
            style.paint(Paint::Green, "ok"),
            change.action.as_str(),
            address
        ),
        Outcome::NotAttempted(_) => writeln!(
            out,
            "  {} {} {address} ({quantity}): {reason}",
            style.paint(Paint::Red, "not attempted"),
            change.action.as_str(),
        ),
        Outcome::Failed(_) => writeln!(
            out,
            "  {} {} {address} ({quantity}): {reason}",
            style.paint(Paint::Red, "failed"),
            change.action.as_str(),
        ),
    }
}

/// `Apply complete: 3 applied.`, `Apply incomplete: 2 applied, 2 held for approval, 1 blocked
/// by errors.`, `Apply finished with failures: 2 applied, 1 failed.` or (after an interrupt)
/// `Apply stopped: 2 applied, 1 not attempted.`
pub fn summary(
    out: &mut dyn Write,
    report: &ApplyReport,
    plan: &Plan,
    style: Style,
) -> io::Result<()> {
    if let Some(error) = &report.journal_error {
        writeln!(
            out,
            "  {} cannot make the journal's last outcomes durable: {error}; after a power loss they \
             would show as outcome unknown until the next apply re-reads those lines",
            style.paint(Paint::Yellow, "warning")
        )?;
    }
    let mut left = Vec::new();
    match plan.held().count() {
        0 => {}
        n => left.push(format!("{n} held for approval")),
    }
    match plan.blocked().count() {
        0 => {}
        n => left.push(format!("{n} blocked by errors")),
    }
    if report.failed() == 0 && !left.is_empty() {
        let text = format!(
            "Apply incomplete: {} applied, {}.",
            report.applied(),
            left.join(", ")
        );
        writeln!(out, "{}", style.paint(Paint::Yellow, &text))
    } else if report.failed() == 0 {
        let text = format!("Apply complete: {} applied.", report.applied());
        writeln!(out, "{}", style.paint(Paint::Green, &text))
    } else {
        let not_attempted = report
            .results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::NotAttempted(_)))
            .count();
        let text = match report.failed() - not_attempted {
            // Stopped (an interrupt, a journal that took no intent): nothing failed at the PSA.
            0 => format!(
                "Apply stopped: {} applied, {not_attempted} not attempted. Run apply again to \
                 write the rest; only lines that still differ will be written.",
                report.applied()
            ),
            failed => format!(
                "Apply finished with failures: {} applied, {failed} failed{}. Fix the cause and \
                 run apply again; only lines that still differ will be written.",
                report.applied(),
                match not_attempted {
                    0 => String::new(),
                    n => format!(", {n} not attempted"),
                }
            ),
        };
        writeln!(out, "{}", style.paint(Paint::Red, &text))
    }
}

/// One line per change held back for approval, with how to approve it.
pub fn held(out: &mut dyn Write, change: &crate::plan::Change, style: Style) -> io::Result<()> {
    let reasons = match &change.approval {
        crate::plan::Approval::Needed(reasons) => reasons.join("; "),
        _ => return Ok(()),
    };
    let reasons = shown(&reasons).into_owned();
    writeln!(
        out,
        "  {} {} {}: needs approval: {reasons}",
        style.paint(Paint::Yellow, "held"),
        change.action.as_str(),
        shown(&change.address)
    )?;
    writeln!(
        out,
        "      {}",
        style.paint(
            Paint::Dim,
            &format!(
                "approve it in approvals.yaml (address, period, quantity \"{}\") or with --approve \"{}\"",
                change.quantity, change.address
            )
        )
    )
}

/// One line per change not written because its integration has error findings.
pub fn blocked(out: &mut dyn Write, change: &crate::plan::Change, style: Style) -> io::Result<()> {
    writeln!(
        out,
        "  {} {} {}: {} has error findings; fix them (see the plan's findings) and apply again",
        style.paint(Paint::Red, "not applied"),
        change.action.as_str(),
        shown(&change.address),
        shown(&change.integration)
    )
}

/// A write of an interrupted apply, closed after re-reading its line:
/// `ADDRESS (3 → 5); the line now holds 5`.
pub fn recovered(write: &crate::plan::Interrupted) -> String {
    format!(
        "{} ({} → {}); the line now holds {}",
        crate::render::escape::text(&write.address),
        write.before.map_or_else(|| "new".into(), |q| q.to_string()),
        write.after,
        write
            .found
            .map_or_else(|| "an unreadable value".into(), |q| q.to_string()),
    )
}
