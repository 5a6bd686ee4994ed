//! The plan as markdown for a pull-request comment: the summary first, then a table per
//! integration, then the findings.

use std::io::{self, Write};

use super::text::{interrupted_note, summary_line};
use crate::plan::{Action, Approval, Plan};
use crate::usage::display_usage;

/// Writes the markdown plan.
pub fn plan(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    writeln!(out, "### reckon plan for {}", plan.period)?;
    writeln!(out)?;
    writeln!(out, "**{}**", summary_line(plan))?;
    writeln!(out)?;
    writeln!(
        out,
        "PSA: {} · changes take effect {}",
        cell(&plan.psa),
        plan.effective_date
    )?;
    for interrupted in &plan.interrupted {
        writeln!(out)?;
        writeln!(
            out,
            "> **Warning:** {}",
            cell(&interrupted_note(interrupted))
        )?;
    }
    if plan.partial {
        writeln!(out)?;
        writeln!(
            out,
            "> Partial plan: only {}.",
            plan.integrations.join(", ")
        )?;
    }
    for integration in &plan.integrations {
        let changes: Vec<_> = plan
            .actions()
            .filter(|c| &c.integration == integration)
            .collect();
        if changes.is_empty() {
            continue;
        }
        writeln!(out)?;
        writeln!(out, "#### {}", cell(integration))?;
        writeln!(out)?;
        writeln!(
            out,
            "| Action | Vendor account | Vendor service | PSA company | PSA service | Current | New | Usage |"
        )?;
        writeln!(out, "|---|---|---|---|---|---:|---:|---:|")?;
        for c in changes {
            let action = match c.action {
                Action::Create => "+ create",
                Action::Update => "~ update",
                Action::NoOp => "no-op",
            };
            let action = match &c.approval {
                Approval::NotNeeded => action.to_owned(),
                Approval::Needed(_) => format!("{action} **(needs approval)**"),
                Approval::Approved { .. } => format!("{action} (approved)"),
            };
            writeln!(
                out,
                "| {action} | {} | {} | {} | {} | {} | {} | {} |",
                cell(&c.vendor_account_name),
                cell(&c.vendor_services.join("+")),
                cell(&c.psa_company_name),
                cell(&c.psa_service),
                c.current.map_or_else(|| "—".to_owned(), |q| q.to_string()),
                c.quantity,
                display_usage(c.usage),
            )?;
        }
    }
    approvals(out, plan)?;
    if !plan.findings.is_empty() {
        writeln!(out)?;
        writeln!(out, "#### Findings")?;
        writeln!(out)?;
        for f in &plan.findings {
            let scope = f
                .integration
                .as_deref()
                .map(|i| format!(" ({})", cell(i)))
                .unwrap_or_default();
            writeln!(out, "- **{}**{scope}: {}", f.kind, cell(&f.message))?;
        }
    }
    Ok(())
}

/// The changes beyond an approval threshold, with the reasons and how to approve them.
fn approvals(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    let beyond: Vec<_> = plan
        .actions()
        .filter(|c| c.approval != Approval::NotNeeded)
        .collect();
    if beyond.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "#### Approvals")?;
    writeln!(out)?;
    for c in beyond {
        match &c.approval {
            Approval::Needed(reasons) => writeln!(
                out,
                "- **needs approval** {}: {}. Approve in approvals.yaml with period \"{}\" and quantity \"{}\".",
                cell(&c.address),
                cell(&reasons.join("; ")),
                plan.period,
                c.quantity
            )?,
            Approval::Approved { reasons, by } => writeln!(
                out,
                "- approved by {}: {}: {}",
                cell(by),
                cell(&c.address),
                cell(&reasons.join("; "))
            )?,
            Approval::NotNeeded => {}
        }
    }
    Ok(())
}

/// Text safe inside a markdown table cell or list item: pipes, markup characters, control
/// characters, mentions and issue references from vendor or PSA names cannot break the layout
/// or ping anyone ([`super::escape::markdown`]).
fn cell(text: &str) -> String {
    super::escape::markdown(text)
}
