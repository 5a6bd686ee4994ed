//! The plan as markdown for a pull-request comment and the job summary, leading with what a
//! reviewer must see: the summary and unit totals, every change that needs approval, the
//! findings (errors first), then one collapsed table per integration. Fitted to a size budget
//! (GitHub refuses comments over 65,536 characters): table rows are left out from the end first,
//! then warnings, each cut said so; approvals and errors are never left out.

use std::io::{self, Write};

use rust_decimal::Decimal;

use super::fit::{Part, fit};
use super::text::{interrupted_note, summary_line};
use crate::plan::{Action, Approval, Change, Finding, Plan};
use crate::usage::display_usage;

/// The default budget: under GitHub's 65,536-character comment limit with room for a header a
/// comment action adds. Bytes of UTF-8, so never more characters than that either.
pub const DEFAULT_MAX_BYTES: usize = 60_000;

/// Writes the markdown plan within [`DEFAULT_MAX_BYTES`].
pub fn plan(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    plan_within(out, plan, DEFAULT_MAX_BYTES)
}

/// Writes the markdown plan in at most `max_bytes` bytes, unless the approvals and errors alone
/// take more (they are always written whole).
pub fn plan_within(out: &mut dyn Write, plan: &Plan, max_bytes: usize) -> io::Result<()> {
    let mut parts = vec![Part::Keep(head(plan))];
    parts.extend(approvals(plan));
    parts.extend(findings(plan));
    parts.extend(tables(plan));
    let note = |left_out: usize, of: usize, what: &str| {
        format!("\n_{left_out} of {of} {what} left out to fit the size limit._\n")
    };
    let summary = |left_out: usize, of: usize, _: &str| {
        format!(
            "\n> **{left_out} of {of} rows left out** to stay within {max_bytes} bytes; every \
             approval and error is above. The full plan: the text plan in the job log, the saved \
             plan, or `reckon plan --format html` for the review page.\n"
        )
    };
    out.write_all(fit(&parts, max_bytes, &note, &summary).as_bytes())
}

/// Title, summary line, unit totals, warnings.
fn head(plan: &Plan) -> String {
    let mut out = format!(
        "### reckon plan for {}\n\n**{}**\n\n",
        plan.period,
        summary_line(plan)
    );
    let changing: Vec<&Change> = plan.actions().collect();
    if !changing.is_empty() {
        out.push_str(&format!(
            "Units on the {} changing line(s): {} · ",
            changing.len(),
            units(&changing)
        ));
    }
    out.push_str(&format!(
        "PSA: {} · changes take effect {}\n",
        cell(&plan.psa),
        plan.effective_date
    ));
    out.push_str(&format!("\n{}\n", super::provenance::markdown(plan)));
    for partial in plan.partial_data() {
        out.push_str(&format!(
            "\n> **Warning:** {}. `apply` refuses it without `--allow-partial`.\n",
            cell(&partial.message())
        ));
    }
    for interrupted in &plan.interrupted {
        out.push_str(&format!(
            "\n> **Warning:** {}\n",
            cell(&interrupted_note(interrupted))
        ));
    }
    if plan.partial {
        out.push_str(&format!(
            "\n> Partial plan: only {}.\n",
            plan.integrations.join(", ")
        ));
    }
    out
}

/// `40 → 52 (+12)`: the lines' current total, the planned total and the difference; lines being
/// created count as 0 now.
fn units(changes: &[&Change]) -> String {
    let now = checked_sum(changes.iter().map(|c| c.current().unwrap_or(Decimal::ZERO)));
    let planned = checked_sum(changes.iter().map(|c| c.quantity));
    match (now, planned) {
        (Some(now), Some(planned)) => match planned.checked_sub(now) {
            Some(delta) if delta.is_sign_negative() => format!("{now} → {planned} ({delta})"),
            Some(delta) => format!("{now} → {planned} (+{delta})"),
            None => format!("{now} → {planned}"),
        },
        _ => "too large to total".to_owned(),
    }
}

fn checked_sum(mut values: impl Iterator<Item = Decimal>) -> Option<Decimal> {
    values.try_fold(Decimal::ZERO, |total, v| total.checked_add(v))
}

/// The changes beyond an approval threshold, with the reasons and how to approve them; never
/// left out.
fn approvals(plan: &Plan) -> Option<Part> {
    let beyond: Vec<_> = plan
        .actions()
        .filter(|c| c.approval != Approval::NotNeeded)
        .collect();
    if beyond.is_empty() {
        return None;
    }
    let mut out = format!("\n#### Approvals ({})\n\n", beyond.len());
    for c in beyond {
        match &c.approval {
            Approval::Needed(reasons) => out.push_str(&format!(
                "- **needs approval** {}: {}. Approve in approvals.yaml with period \"{}\" and quantity \"{}\".\n",
                cell(&named_address(c)),
                cell(&reasons.join("; ")),
                plan.period,
                c.quantity
            )),
            Approval::Approved { reasons, by } => out.push_str(&format!(
                "- approved by {}: {}: {}\n",
                cell(by),
                cell(&named_address(c)),
                cell(&reasons.join("; "))
            )),
            Approval::NotNeeded => {}
        }
    }
    Some(Part::Keep(out))
}

/// The address (which names the PSA service by id) with the service's name after it.
fn named_address(c: &Change) -> String {
    let service = super::names::service(&c.psa_service, &c.psa_service_name);
    if service == c.psa_service.as_str() {
        c.address.clone()
    } else {
        format!("{} ({})", c.address, c.psa_service_name)
    }
}

/// The findings, errors first and never left out, then the warnings, which may be.
fn findings(plan: &Plan) -> Vec<Part> {
    if plan.findings.is_empty() {
        return Vec::new();
    }
    let (errors, warnings): (Vec<&Finding>, Vec<&Finding>) =
        plan.findings.iter().partition(|f| is_error(f));
    let heading = format!("\n#### Findings ({})\n\n", plan.findings.len());
    let mut errors_text = heading;
    errors
        .iter()
        .for_each(|f| errors_text.push_str(&finding(f)));
    vec![
        Part::Keep(errors_text),
        Part::Rows {
            head: String::new(),
            rows: warnings.iter().map(|f| finding(f)).collect(),
            tail: String::new(),
            what: "warnings",
        },
    ]
}

/// Whether a finding is an error (the integration it concerns cannot be applied as it is).
fn is_error(f: &Finding) -> bool {
    f.severity == crate::plan::Severity::Error
}

fn finding(f: &Finding) -> String {
    let scope = f
        .integration
        .as_deref()
        .map(|i| format!(" ({})", cell(i)))
        .unwrap_or_default();
    format!(
        "- {} **{}**{scope}: {}\n",
        f.severity,
        f.kind,
        cell(&f.message)
    )
}

/// One collapsed table of changes per integration that has any.
fn tables(plan: &Plan) -> Vec<Part> {
    plan.integrations
        .iter()
        .filter_map(|integration| {
            let changes: Vec<&Change> = plan
                .actions()
                .filter(|c| &c.integration == integration)
                .collect();
            (!changes.is_empty()).then(|| table(plan, integration, &changes))
        })
        .collect()
}

fn table(plan: &Plan, integration: &str, changes: &[&Change]) -> Part {
    let count = |create: bool| {
        changes
            .iter()
            .filter(|c| matches!(c.action, Action::Create) == create)
            .count()
    };
    let head = format!(
        "\n<details><summary><b>{}</b>: {} to create, {} to update; units {}</summary>\n\n\
         | Action | Vendor account | Vendor service | PSA company | PSA service | Current | New | Usage |\n\
         |---|---|---|---|---|---:|---:|---:|\n",
        html(integration),
        count(true),
        count(false),
        units(changes),
    );
    Part::Rows {
        head,
        rows: changes.iter().map(|c| row(plan, c)).collect(),
        tail: "\n</details>\n".to_owned(),
        what: "table rows",
    }
}

fn row(plan: &Plan, c: &Change) -> String {
    let action = match c.action {
        Action::Create => "+ create",
        Action::Update { .. } => "~ update",
        Action::NoOp { .. } => "= no change",
    };
    let action = match &c.approval {
        _ if plan.is_blocked(&c.integration) => format!("{action} **(blocked by errors)**"),
        Approval::NotNeeded => action.to_owned(),
        Approval::Needed(_) => format!("{action} **(needs approval)**"),
        Approval::Approved { .. } => format!("{action} (approved)"),
    };
    format!(
        "| {action} | {} | {} | {} | {} | {} | {} | {} |\n",
        cell(&c.vendor_account_name),
        cell(&c.vendor_services.join("+")),
        cell(&c.psa_company_name),
        cell(&super::names::service(&c.psa_service, &c.psa_service_name)),
        c.current()
            .map_or_else(|| "—".to_owned(), |q| q.to_string()),
        c.quantity,
        display_usage(c.usage),
    )
}

/// Text safe inside a markdown table cell or list item: pipes, markup characters, control
/// characters, mentions and issue references from vendor or PSA names cannot break the layout
/// or ping anyone ([`super::escape::markdown`]).
fn cell(text: &str) -> String {
    super::escape::markdown(text)
}

/// Text safe inside HTML (the `<summary>` line, where markdown escapes do not apply).
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace(['\n', '\r'], " ")
}
