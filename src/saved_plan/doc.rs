//! The saved plan's wire form (`format_version` 2) and its conversion to and from [`SavedPlan`].
//! Decimals are strings (rust_decimal's serde-with-str), so they round-trip exactly; unknown
//! fields are refused. Owns only the shape; the checks on what it says are the caller's
//! ([`Plan::check`], staleness).

use std::path::PathBuf;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{FORMAT, FORMAT_VERSION, SavedPlan, daily};
use crate::config::model::Origin;
use crate::diagnostic::Location;
use crate::period::Period;
use crate::plan::{
    Action, ActionKind, Approval, Blocker, Change, Finding, FindingKind, Interrupted, MatchedBy,
    PartialData, Plan, Provenance, Severity,
};
use crate::usage::{BillingModel, Rounding, RoundingMode};

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Doc {
    pub(super) format: String,
    pub(super) format_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    workspace: Option<std::path::PathBuf>,
    period: Period,
    effective_date: NaiveDate,
    psa: String,
    integrations: Vec<String>,
    partial: bool,
    provenance: Provenance,
    config_hash: String,
    usage_hash: String,
    changes: Vec<ChangeDoc>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    findings: Vec<FindingDoc>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    interrupted: Vec<InterruptedDoc>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    blockers: Vec<BlockerDoc>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeDoc {
    address: String,
    action: ActionKind,
    integration: String,
    vendor_account: String,
    vendor_account_name: String,
    vendor_services: Vec<String>,
    psa_company: String,
    psa_company_name: String,
    psa_service: String,
    /// The PSA service's catalogue name (absent when the PSA gave none).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    psa_service_name: String,
    contract: String,
    line: Option<String>,
    usage: Decimal,
    quantity: Decimal,
    current: Option<Decimal>,
    effective_date: NaiveDate,
    billing_model: BillingModel,
    rounding: RoundingMode,
    decimals: u32,
    matched_by: MatchedBy,
    /// Why it needs approval (empty: within every threshold).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    needs_approval: Vec<String>,
    /// Who approved it when planned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    approved_by: Option<String>,
    /// The daily counts behind `usage`, for the HTML charts ([`daily::encode`]).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    daily: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FindingDoc {
    kind: FindingKind,
    severity: Severity,
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    integration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vendor_account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vendor_account_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vendor_service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    usage: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    psa_company: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    psa_service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    contract: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    line: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    file_line: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    file_column: Option<u64>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct InterruptedDoc {
    address: String,
    contract: String,
    line: Option<String>,
    before: Option<Decimal>,
    after: Decimal,
    found: Option<Decimal>,
    started: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
enum BlockerDoc {
    Errors {
        integration: String,
        findings: usize,
    },
    PartialData {
        integration: String,
        last_day: Option<NaiveDate>,
        period_end: NaiveDate,
        period_open: bool,
    },
    ZeroesEveryLine,
    AllHeld {
        held: usize,
    },
}

impl From<&SavedPlan> for Doc {
    fn from(saved: &SavedPlan) -> Self {
        let plan = &saved.plan;
        Self {
            format: FORMAT.to_owned(),
            format_version: FORMAT_VERSION,
            workspace: saved.workspace.clone(),
            period: plan.period,
            effective_date: plan.effective_date,
            psa: plan.psa.clone(),
            integrations: plan.integrations.clone(),
            partial: plan.partial,
            provenance: plan.provenance.clone(),
            config_hash: saved.config_hash.clone(),
            usage_hash: saved.usage_hash.clone(),
            changes: plan.changes.iter().map(ChangeDoc::from).collect(),
            findings: plan.findings.iter().map(FindingDoc::from).collect(),
            interrupted: plan.interrupted.iter().map(InterruptedDoc::from).collect(),
            blockers: plan.blockers.iter().map(BlockerDoc::from).collect(),
        }
    }
}

impl TryFrom<Doc> for SavedPlan {
    type Error = String;

    fn try_from(doc: Doc) -> Result<Self, String> {
        let changes = doc
            .changes
            .into_iter()
            .map(Change::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            workspace: doc.workspace,
            config_hash: doc.config_hash,
            usage_hash: doc.usage_hash,
            plan: Plan {
                period: doc.period,
                effective_date: doc.effective_date,
                psa: doc.psa,
                integrations: doc.integrations,
                partial: doc.partial,
                changes,
                findings: doc.findings.into_iter().map(Finding::from).collect(),
                interrupted: doc.interrupted.into_iter().map(Interrupted::from).collect(),
                blockers: doc.blockers.into_iter().map(Blocker::from).collect(),
                provenance: doc.provenance,
            },
        })
    }
}

impl From<&Change> for ChangeDoc {
    fn from(c: &Change) -> Self {
        Self {
            address: c.address.clone(),
            action: c.action.kind(),
            integration: c.integration.clone(),
            vendor_account: c.vendor_account.clone(),
            vendor_account_name: c.vendor_account_name.clone(),
            vendor_services: c.vendor_services.clone(),
            psa_company: c.psa_company.clone(),
            psa_company_name: c.psa_company_name.clone(),
            psa_service: c.psa_service.clone(),
            psa_service_name: c.psa_service_name.clone(),
            contract: c.contract.clone(),
            line: c.line().map(str::to_owned),
            usage: c.usage,
            quantity: c.quantity,
            current: c.current(),
            effective_date: c.effective_date,
            billing_model: c.billing_model,
            rounding: c.rounding.mode,
            decimals: c.rounding.decimals,
            matched_by: c.matched_by,
            needs_approval: match &c.approval {
                Approval::NotNeeded => Vec::new(),
                Approval::Needed(reasons) | Approval::Approved { reasons, .. } => reasons.clone(),
            },
            approved_by: match &c.approval {
                Approval::Approved { by, .. } => Some(by.clone()),
                _ => None,
            },
            daily: daily::encode(&c.daily),
        }
    }
}

impl TryFrom<ChangeDoc> for Change {
    type Error = String;

    fn try_from(c: ChangeDoc) -> Result<Self, String> {
        let action = match (c.action, c.line, c.current) {
            (ActionKind::Create, None, None) => Action::Create,
            (ActionKind::Update, Some(line), Some(from)) => Action::Update { line, from },
            (ActionKind::NoOp, Some(line), Some(current)) if current == c.quantity => {
                Action::NoOp { line }
            }
            (ActionKind::Create, _, _) => {
                return Err(format!(
                    "{}: a create has no `line` or `current`",
                    c.address
                ));
            }
            (ActionKind::Update, _, _) => {
                return Err(format!(
                    "{}: an update needs `line` and `current`",
                    c.address
                ));
            }
            (ActionKind::NoOp, _, _) => {
                return Err(format!(
                    "{}: a no-op needs `line` and a `current` equal to its `quantity`",
                    c.address
                ));
            }
        };
        let daily = daily::decode(&c.daily).map_err(|e| format!("{}: daily: {e}", c.address))?;
        Ok(Self {
            address: c.address,
            action,
            integration: c.integration,
            vendor_account: c.vendor_account,
            vendor_account_name: c.vendor_account_name,
            vendor_services: c.vendor_services,
            psa_company: c.psa_company,
            psa_company_name: c.psa_company_name,
            psa_service: c.psa_service,
            psa_service_name: c.psa_service_name,
            contract: c.contract,
            usage: c.usage,
            quantity: c.quantity,
            effective_date: c.effective_date,
            billing_model: c.billing_model,
            rounding: Rounding {
                mode: c.rounding,
                decimals: c.decimals,
            },
            matched_by: c.matched_by,
            daily,
            approval: match (c.needs_approval.is_empty(), c.approved_by) {
                (true, _) => Approval::NotNeeded,
                (false, None) => Approval::Needed(c.needs_approval),
                (false, Some(by)) => Approval::Approved {
                    reasons: c.needs_approval,
                    by,
                },
            },
        })
    }
}

impl From<&Finding> for FindingDoc {
    fn from(f: &Finding) -> Self {
        let location = f.origin.as_ref().and_then(|o| o.location);
        Self {
            kind: f.kind,
            severity: f.severity,
            message: f.message.clone(),
            hint: f.hint.clone(),
            integration: f.integration.clone(),
            vendor_account: f.vendor_account.clone(),
            vendor_account_name: f.vendor_account_name.clone(),
            vendor_service: f.vendor_service.clone(),
            usage: f.usage,
            psa_company: f.psa_company.clone(),
            psa_service: f.psa_service.clone(),
            contract: f.contract.clone(),
            line: f.line.clone(),
            file: f.origin.as_ref().map(|o| o.file.clone()),
            file_line: location.map(|l| l.line),
            file_column: location.map(|l| l.column),
        }
    }
}

impl From<FindingDoc> for Finding {
    fn from(f: FindingDoc) -> Self {
        let location = f
            .file_line
            .zip(f.file_column)
            .map(|(line, column)| Location { line, column });
        Self {
            kind: f.kind,
            severity: f.severity,
            integration: f.integration,
            message: f.message,
            hint: f.hint,
            vendor_account: f.vendor_account,
            vendor_account_name: f.vendor_account_name,
            vendor_service: f.vendor_service,
            usage: f.usage,
            psa_company: f.psa_company,
            psa_service: f.psa_service,
            contract: f.contract,
            line: f.line,
            origin: f.file.map(|file| Origin { file, location }),
        }
    }
}

impl From<&Interrupted> for InterruptedDoc {
    fn from(i: &Interrupted) -> Self {
        Self {
            address: i.address.clone(),
            contract: i.contract.clone(),
            line: i.line.clone(),
            before: i.before,
            after: i.after,
            found: i.found,
            started: i.time.clone(),
        }
    }
}

impl From<InterruptedDoc> for Interrupted {
    fn from(i: InterruptedDoc) -> Self {
        Self {
            address: i.address,
            contract: i.contract,
            line: i.line,
            before: i.before,
            after: i.after,
            found: i.found,
            time: i.started,
        }
    }
}

impl From<&Blocker> for BlockerDoc {
    fn from(b: &Blocker) -> Self {
        match b {
            Blocker::Errors {
                integration,
                findings,
            } => Self::Errors {
                integration: integration.clone(),
                findings: *findings,
            },
            Blocker::PartialData(p) => Self::PartialData {
                integration: p.integration.clone(),
                last_day: p.last_day,
                period_end: p.period_end,
                period_open: p.period_open,
            },
            Blocker::ZeroesEveryLine => Self::ZeroesEveryLine,
            Blocker::AllHeld { held } => Self::AllHeld { held: *held },
        }
    }
}

impl From<BlockerDoc> for Blocker {
    fn from(b: BlockerDoc) -> Self {
        match b {
            BlockerDoc::Errors {
                integration,
                findings,
            } => Self::Errors {
                integration,
                findings,
            },
            BlockerDoc::PartialData {
                integration,
                last_day,
                period_end,
                period_open,
            } => Self::PartialData(PartialData {
                integration,
                last_day,
                period_end,
                period_open,
            }),
            BlockerDoc::ZeroesEveryLine => Self::ZeroesEveryLine,
            BlockerDoc::AllHeld { held } => Self::AllHeld { held },
        }
    }
}
