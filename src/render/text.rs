//! The human plan, in terraform's grammar: `~ update` / `+ create`, the address, the quantity
//! change with its usage and rounding, findings after the changes, and a closing summary line.

use std::io::{self, Write};

use super::escape::text as shown;
use super::{Paint, Style};
use crate::plan::{Action, Approval, Change, Finding, Interrupted, Plan, Severity};
use crate::usage::display_usage;

/// Writes the whole plan.
pub fn plan(out: &mut dyn Write, plan: &Plan, style: Style) -> io::Result<()> {
    header(out, plan, style)?;
    for change in plan.actions() {
        write_change(out, plan, change, style)?;
    }
    if !plan.findings.is_empty() {
        writeln!(out, "{}", style.paint(Paint::Bold, "Findings:"))?;
        writeln!(out)?;
        for finding in &plan.findings {
            write_finding(out, finding, style)?;
        }
    }
    writeln!(out, "{}", summary_line(plan))
}

fn header(out: &mut dyn Write, plan: &Plan, style: Style) -> io::Result<()> {
    let title = format!(
        "reckon plan for {} against the {} PSA; changes take effect {}.",
        plan.period,
        shown(&plan.psa),
        plan.effective_date
    );
    writeln!(out, "{}", style.paint(Paint::Bold, &title))?;
    if plan.partial {
        let note = format!(
            "Note: partial plan, only integration(s) {}; other lines are not checked.",
            plan.integrations.join(", ")
        );
        writeln!(out, "{}", style.paint(Paint::Yellow, &note))?;
    }
    for partial in plan.partial_data() {
        let note = format!(
            "Warning: {}. `apply` refuses it without --allow-partial; `watch --apply` never applies it.",
            partial.message()
        );
        writeln!(out, "{}", style.paint(Paint::Red, &note))?;
    }
    for interrupted in &plan.interrupted {
        writeln!(
            out,
            "{}",
            style.paint(
                Paint::Red,
                &format!("Warning: {}", interrupted_note(interrupted))
            )
        )?;
    }
    writeln!(out)
}

/// `apply interrupted: outcome unknown for ADDRESS (contract C line L, 8 → 10, started T); the
/// line now holds 10`.
pub fn interrupted_note(i: &Interrupted) -> String {
    let place = match &i.line {
        Some(line) => format!("contract {} line {}", shown(&i.contract), shown(line)),
        None => format!("contract {} (new line)", shown(&i.contract)),
    };
    let before = i.before.map_or_else(|| "new".to_owned(), |q| q.to_string());
    let now = i.found.map_or_else(
        || "it could not be re-read".to_owned(),
        |q| format!("the line now holds {q}"),
    );
    format!(
        "apply interrupted: outcome unknown for {} ({place}, {before} → {}, started {}); {now}",
        shown(&i.address),
        i.after,
        shown(&i.time)
    )
}

fn write_change(out: &mut dyn Write, plan: &Plan, change: &Change, style: Style) -> io::Result<()> {
    let (symbol, paint) = match change.action {
        Action::Create => ("+ create", Paint::Green),
        Action::Update { .. } => ("~ update", Paint::Yellow),
        Action::NoOp { .. } => ("= no change", Paint::Dim),
    };
    writeln!(
        out,
        "  {} {}",
        style.paint(paint, symbol),
        shown(&change.address)
    )?;
    let quantity = match change.current() {
        Some(current) => format!("quantity {current} → {}", change.quantity),
        None => format!("quantity {}", change.quantity),
    };
    writeln!(out, "      {quantity} ({})", usage_note(change))?;
    match &change.approval {
        Approval::NotNeeded => {}
        Approval::Needed(reasons) => writeln!(
            out,
            "      {}",
            style.paint(
                Paint::Red,
                &format!("needs approval: {}", shown(&reasons.join("; ")))
            )
        )?,
        Approval::Approved { reasons, by } => writeln!(
            out,
            "      {}",
            style.paint(
                Paint::Dim,
                &format!("approved by {}: {}", shown(by), shown(&reasons.join("; ")))
            )
        )?,
    }
    if plan.is_blocked(&change.integration) {
        let note = format!(
            "blocked: {} has error findings; apply writes none of its changes",
            shown(&change.integration)
        );
        writeln!(out, "      {}", style.paint(Paint::Red, &note))?;
    }
    let place = match change.line() {
        Some(line) => format!("contract {} line {}", shown(&change.contract), shown(line)),
        None => format!("contract {} (new line)", shown(&change.contract)),
    };
    // The address names the PSA service by id (Autotask's are numbers): its name goes beside.
    let service = super::names::service(&change.psa_service, &change.psa_service_name);
    let place = match service == change.psa_service.as_str() {
        true => place,
        false => format!("service {}, {place}", shown(&service)),
    };
    writeln!(out, "      {}", style.paint(Paint::Dim, &place))?;
    writeln!(out)
}

/// `usage 12.0645, daily-average, rounded nearest` (plus the places for decimal PSAs).
pub fn usage_note(change: &Change) -> String {
    let places = match change.rounding.decimals {
        0 => String::new(),
        n => format!(" to {n} places"),
    };
    format!(
        "usage {}, {}, rounded {}{places}",
        display_usage(change.usage),
        change.billing_model,
        change.rounding.mode
    )
}

fn write_finding(out: &mut dyn Write, finding: &Finding, style: Style) -> io::Result<()> {
    let scope = finding
        .integration
        .as_deref()
        .map(|i| format!("{}: ", shown(i)))
        .unwrap_or_default();
    let paint = match finding.severity {
        Severity::Error => Paint::Red,
        Severity::Warning => Paint::Yellow,
    };
    writeln!(
        out,
        "  {} {}{}",
        style.paint(paint, &format!("! {} {}", finding.severity, finding.kind)),
        scope,
        shown(&finding.message)
    )?;
    if let Some(origin) = &finding.origin {
        let at = origin
            .location
            .map(|l| format!(":{}:{}", l.line, l.column))
            .unwrap_or_default();
        writeln!(
            out,
            "      {}",
            style.paint(Paint::Dim, &format!("at {}{at}", origin.file.display()))
        )?;
    }
    if let Some(hint) = &finding.hint {
        writeln!(out, "      {}", style.hint(hint))?;
    }
    writeln!(out)
}

/// `Plan: 1 to create, 3 to update, 5 unchanged. 1 error, 2 warnings.`, or
/// `No changes. Contracts match usage.` — said only when no finding stands and the data is
/// complete.
pub fn summary_line(plan: &Plan) -> String {
    let summary = plan.summary();
    let mut notes = String::new();
    let counted = |n: usize, one: &str| match n {
        1 => format!("1 {one}"),
        n => format!("{n} {one}s"),
    };
    let findings: Vec<String> = [(summary.errors, "error"), (summary.warnings, "warning")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, one)| counted(n, one))
        .collect();
    if !findings.is_empty() {
        notes.push_str(&format!(" {}.", findings.join(", ")));
    }
    match plan.held().count() {
        0 => {}
        n => notes.push_str(&format!(" {n} held for approval.")),
    }
    match plan.blocked().count() {
        0 => {}
        n => notes.push_str(&format!(" {n} blocked by errors.")),
    }
    let partial: Vec<&str> = plan
        .partial_data()
        .map(|p| p.integration.as_str())
        .collect();
    if !partial.is_empty() {
        notes.push_str(&format!(" Incomplete usage data: {}.", partial.join(", ")));
    }
    if plan.has_changes() {
        format!(
            "Plan: {} to create, {} to update, {} unchanged.{notes}",
            summary.create, summary.update, summary.unchanged
        )
    } else if notes.is_empty() {
        "No changes. Contracts match usage.".to_owned()
    } else {
        format!("No changes.{notes}")
    }
}
