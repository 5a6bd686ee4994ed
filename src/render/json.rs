//! The JSON plan (`format_version` 1, a number as in the saved plan): a contract with CI users,
//! documented in the README.
//! Every quantity is a decimal *string*, so no consumer ever parses money through a float.
//! New fields may be added; existing ones are never renamed or retyped within a major version.

use std::io::{self, Write};

use rust_decimal::Decimal;
use serde::Serialize;

use crate::plan::{
    ActionKind, Approval, Blocker, Change, Finding, MatchedBy, Plan, Provenance, Severity,
};

/// The JSON plan format's version.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct PlanDoc<'a> {
    format_version: u32,
    period: String,
    effective_date: String,
    psa: &'a str,
    integrations: &'a [String],
    partial: bool,
    /// Where the plan came from: tenant, commit, time, who, version.
    provenance: &'a Provenance,
    has_changes: bool,
    changes: Vec<ChangeDoc<'a>>,
    findings: Vec<FindingDoc<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    interrupted: Vec<InterruptedDoc<'a>>,
    /// Why apply would not write some or all of the plan (present only when there are some).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    blockers: Vec<BlockerDoc<'a>>,
    summary: SummaryDoc,
}

/// One of the plan's blockers.
#[derive(Serialize)]
struct BlockerDoc<'a> {
    /// `errors`, `partial-data`, `zeroes-every-line` or `all-held`.
    kind: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    integration: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_day: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    period_end: Option<String>,
}

/// A write of an earlier apply whose outcome is unknown (present only when there are some).
#[derive(Serialize)]
struct InterruptedDoc<'a> {
    message: String,
    address: &'a str,
    contract: &'a str,
    line: Option<&'a str>,
    before: Option<String>,
    after: String,
    found: Option<String>,
    started: &'a str,
}

#[derive(Serialize)]
struct ChangeDoc<'a> {
    address: &'a str,
    action: ActionKind,
    integration: &'a str,
    vendor_account: &'a str,
    vendor_account_name: &'a str,
    vendor_service: String,
    vendor_services: &'a [String],
    psa_company: &'a str,
    psa_company_name: &'a str,
    psa_service: &'a str,
    /// The service's catalogue name; null when the PSA's catalogue does not list it.
    psa_service_name: Option<&'a str>,
    contract: &'a str,
    line: Option<&'a str>,
    usage: String,
    quantity: String,
    current: Option<String>,
    effective_date: String,
    billing_model: String,
    rounding: String,
    decimals: u32,
    matched_by: MatchedBy,
    #[serde(skip_serializing_if = "Option::is_none")]
    approval: Option<ApprovalDoc<'a>>,
    /// Present (true) when an error finding of the integration stops apply writing it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    blocked: bool,
}

/// Present only on changes beyond an approval threshold.
#[derive(Serialize)]
struct ApprovalDoc<'a> {
    /// `needed` (apply holds it back) or `approved`.
    status: &'static str,
    reasons: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    by: Option<&'a str>,
}

#[derive(Serialize)]
struct FindingDoc<'a> {
    kind: &'static str,
    severity: Severity,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    integration: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vendor_account: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vendor_account_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vendor_service: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    psa_company: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    psa_service: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    contract: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_line: Option<u64>,
}

#[derive(Serialize)]
struct SummaryDoc {
    create: usize,
    update: usize,
    unchanged: usize,
    findings: usize,
    errors: usize,
    warnings: usize,
}

/// Decimal text without trailing zeros: `12.50` → `"12.5"`.
pub fn decimal(value: Decimal) -> String {
    value.normalize().to_string()
}

/// Writes the plan as pretty JSON.
pub fn plan(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    let summary = plan.summary();
    let doc = PlanDoc {
        format_version: FORMAT_VERSION,
        period: plan.period.to_string(),
        effective_date: plan.effective_date.to_string(),
        psa: &plan.psa,
        integrations: &plan.integrations,
        partial: plan.partial,
        provenance: &plan.provenance,
        has_changes: plan.has_changes(),
        changes: plan.changes.iter().map(|c| change(plan, c)).collect(),
        findings: plan.findings.iter().map(finding).collect(),
        interrupted: plan
            .interrupted
            .iter()
            .map(|i| InterruptedDoc {
                message: super::text::interrupted_note(i),
                address: &i.address,
                contract: &i.contract,
                line: i.line.as_deref(),
                before: i.before.map(decimal),
                after: decimal(i.after),
                found: i.found.map(decimal),
                started: &i.time,
            })
            .collect(),
        blockers: plan.blockers.iter().map(blocker).collect(),
        summary: SummaryDoc {
            create: summary.create,
            update: summary.update,
            unchanged: summary.unchanged,
            findings: summary.findings,
            errors: summary.errors,
            warnings: summary.warnings,
        },
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

fn blocker(b: &Blocker) -> BlockerDoc<'_> {
    let (kind, integration, last_day, period_end) = match b {
        Blocker::Errors { integration, .. } => ("errors", Some(integration.as_str()), None, None),
        Blocker::PartialData(p) => (
            "partial-data",
            Some(p.integration.as_str()),
            p.last_day.map(|d| d.to_string()),
            Some(p.period_end.to_string()),
        ),
        Blocker::ZeroesEveryLine => ("zeroes-every-line", None, None, None),
        Blocker::AllHeld { .. } => ("all-held", None, None, None),
    };
    BlockerDoc {
        kind,
        message: b.to_string(),
        integration,
        last_day,
        period_end,
    }
}

fn change<'a>(plan: &Plan, c: &'a Change) -> ChangeDoc<'a> {
    ChangeDoc {
        address: &c.address,
        action: c.action.kind(),
        integration: &c.integration,
        vendor_account: &c.vendor_account,
        vendor_account_name: &c.vendor_account_name,
        vendor_service: c.vendor_services.join("+"),
        vendor_services: &c.vendor_services,
        psa_company: &c.psa_company,
        psa_company_name: &c.psa_company_name,
        psa_service: &c.psa_service,
        psa_service_name: Some(c.psa_service_name.as_str()).filter(|n| !n.is_empty()),
        contract: &c.contract,
        line: c.line(),
        usage: decimal(c.usage),
        quantity: decimal(c.quantity),
        current: c.current().map(decimal),
        effective_date: c.effective_date.to_string(),
        billing_model: c.billing_model.to_string(),
        rounding: c.rounding.mode.to_string(),
        decimals: c.rounding.decimals,
        matched_by: c.matched_by,
        blocked: c.action.kind() != ActionKind::NoOp && plan.is_blocked(&c.integration),
        approval: match &c.approval {
            Approval::NotNeeded => None,
            Approval::Needed(reasons) => Some(ApprovalDoc {
                status: "needed",
                reasons,
                by: None,
            }),
            Approval::Approved { reasons, by } => Some(ApprovalDoc {
                status: "approved",
                reasons,
                by: Some(by),
            }),
        },
    }
}

fn finding(f: &Finding) -> FindingDoc<'_> {
    FindingDoc {
        kind: f.kind.as_str(),
        severity: f.severity,
        message: &f.message,
        hint: f.hint.as_deref(),
        integration: f.integration.as_deref(),
        vendor_account: f.vendor_account.as_deref(),
        vendor_account_name: f.vendor_account_name.as_deref(),
        vendor_service: f.vendor_service.as_deref(),
        usage: f.usage.map(decimal),
        psa_company: f.psa_company.as_deref(),
        psa_service: f.psa_service.as_deref(),
        contract: f.contract.as_deref(),
        line: f.line.as_deref(),
        file: f.origin.as_ref().map(|o| o.file.display().to_string()),
        file_line: f.origin.as_ref().and_then(|o| o.location).map(|l| l.line),
    }
}
