//! Apply progress and the closing report.

use std::io::{self, Write};

use super::escape::text as shown;
use super::{Paint, Style};
use crate::apply::{ActionResult, ApplyReport, Outcome};

/// One line per action as it completes.
pub fn result(out: &mut dyn Write, result: &ActionResult, style: Style) -> io::Result<()> {
    let change = &result.change;
    let quantity = match change.current {
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

/// `Apply complete: 3 applied.`, `Apply incomplete: 2 applied, 2 held for approval.` or
/// `Apply finished with failures: 2 applied, 1 failed.`
pub fn summary(
    out: &mut dyn Write,
    report: &ApplyReport,
    held: usize,
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
    if report.failed() == 0 && held > 0 {
        let text = format!(
            "Apply incomplete: {} applied, {held} held for approval.",
            report.applied()
        );
        writeln!(out, "{}", style.paint(Paint::Yellow, &text))
    } else if report.failed() == 0 {
        let text = format!("Apply complete: {} applied.", report.applied());
        writeln!(out, "{}", style.paint(Paint::Green, &text))
    } else {
        let text = format!(
            "Apply finished with failures: {} applied, {} failed. Fix the cause and run apply again; \
             only lines that still differ will be written.",
            report.applied(),
            report.failed()
        );
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
