//! `reckon status` as text.

use std::io::{self, Write};

use super::{Paint, Style};
use crate::status::Status;

/// Writes the status.
pub fn text(out: &mut dyn Write, status: &Status, style: Style) -> io::Result<()> {
    if let Some(backend) = &status.backend {
        writeln!(out, "State: {backend}")?;
    }
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
    match (&status.lock, &status.stale_lock) {
        (None, None) => writeln!(out, "Lock: not held")?,
        (None, Some(stale)) => writeln!(
            out,
            "Lock: not held (the holder row of {stale} remains, but its connection is gone; \
             `reckon unlock {}` removes it)",
            stale.id
        )?,
        (Some(lock), _) => writeln!(
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
                "  {} (contract {} line {}): {} → {}, started {}",
                i.address,
                i.contract,
                i.line.as_deref().unwrap_or("new"),
                i.before.map_or_else(|| "new".to_owned(), |q| q.to_string()),
                i.after,
                i.time
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
