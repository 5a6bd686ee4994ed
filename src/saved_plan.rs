//! Saved plans: `reckon plan --out plan.json` writes one, `reckon apply plan.json` applies
//! exactly it — after checking it is not stale.
//!
//! A saved plan holds the exact actions, the quantity each was planned against, the workspace's
//! git commit (and dirty flag), hashes of the config and usage files, reckon's version and the
//! period. Staleness: the config hash must be unchanged and every line the plan touches must
//! still hold the planned-against quantity (re-read with [`Psa::line_quantity`]); a line to be
//! created must still be missing. Owns the file format and those checks; it decides no
//! quantities and writes nothing to the PSA.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::fingerprint::GitState;
use crate::observed::LineRef;
use crate::period::Period;
use crate::plan::{Action, Approval, Change, MatchedBy, Plan};
use crate::psa::{Psa, PsaError};
use crate::usage::{BillingModel, Rounding, RoundingMode};

/// The `format` field every saved plan carries.
pub const FORMAT: &str = "reckon-saved-plan";
/// The saved plan format's version; apply refuses any other.
pub const FORMAT_VERSION: u32 = 1;

/// A plan as saved: the actions plus what they were computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedPlan {
    /// The reckon version that made it.
    pub reckon_version: String,
    /// The workspace's git state when planned (`None`: not a git work tree, or no git).
    pub git: Option<GitState>,
    /// [`crate::fingerprint::config_hash`] when planned.
    pub config_hash: String,
    /// [`crate::fingerprint::usage_hash`] when planned.
    pub usage_hash: String,
    /// The plan; only its actions are kept (no-ops and findings are not needed to apply).
    pub plan: Plan,
}

/// Why a saved plan cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SavedPlanError {
    /// The file could not be read or written.
    #[error("cannot {action} the plan file {}: {source}", .path.display())]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not a saved plan this version understands.
    #[error("{} is not a reckon saved plan (format {FORMAT} version {FORMAT_VERSION}): {reason}", .path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// A line whose live value is no longer what the plan was computed against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleLine {
    /// The plan address.
    pub address: String,
    /// `contract C-1001 line C-1001-2`.
    pub place: String,
    /// What the plan expected (`None`: expected no line).
    pub expected: Option<Decimal>,
    /// What the PSA holds now (`None`: line missing).
    pub found: Option<Decimal>,
}

impl std::fmt::Display for StaleLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |q: Option<Decimal>| q.map_or_else(|| "no line".to_owned(), |q| q.to_string());
        write!(
            f,
            "{} ({}): planned against {}, now {}",
            self.address,
            self.place,
            show(self.expected),
            show(self.found)
        )
    }
}

impl SavedPlan {
    /// Writes the saved plan as pretty JSON, replacing `path` atomically.
    pub fn write(&self, path: &Path) -> Result<(), SavedPlanError> {
        let io = |source| SavedPlanError::Io {
            action: "write",
            path: path.to_owned(),
            source,
        };
        let mut text = serde_json::to_string_pretty(&Doc::from(self))
            .map_err(|e| io(std::io::Error::other(e)))?;
        text.push('\n');
        crate::fsio::write::replace(path, text.as_bytes()).map_err(io)
    }

    /// Reads a saved plan.
    pub fn read(path: &Path) -> Result<Self, SavedPlanError> {
        let within = crate::fsio::Within::Anywhere;
        let text = crate::fsio::read::text(path, within, crate::fsio::limit::SAVED_PLAN).map_err(
            |error| SavedPlanError::Io {
                action: "read",
                path: path.to_owned(),
                source: std::io::Error::other(error),
            },
        )?;
        Self::parse(&text).map_err(|reason| SavedPlanError::Invalid {
            path: path.to_owned(),
            reason,
        })
    }

    /// Parses a saved plan's text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let doc: Doc = serde_json::from_str(text)
            .map_err(|e| crate::diagnostic::plain_words(&e.to_string()))?;
        if doc.format != FORMAT || doc.format_version != FORMAT_VERSION {
            return Err(format!(
                "found format {} version {}",
                doc.format, doc.format_version
            ));
        }
        doc.try_into()
    }
}

/// The lines of `plan` that no longer hold what it was computed against, re-read now.
pub async fn stale_lines<P: Psa>(psa: &P, plan: &Plan) -> Result<Vec<StaleLine>, PsaError> {
    let mut stale = Vec::new();
    let mut contracts = None;
    for change in plan.actions() {
        match (&change.line, change.current) {
            (Some(line), Some(expected)) => {
                let place = LineRef {
                    contract: change.contract.clone(),
                    line: line.clone(),
                };
                let found = match psa.line_quantity(&place, change.effective_date).await {
                    Ok(q) => Some(q),
                    Err(PsaError::NotFound { .. }) => None,
                    Err(e) => return Err(e),
                };
                if found.map(|q| q.normalize()) != Some(expected.normalize()) {
                    stale.push(StaleLine {
                        address: change.address.clone(),
                        place: format!("contract {} line {line}", change.contract),
                        expected: Some(expected),
                        found,
                    });
                }
            }
            _ => {
                // A create: the contract must still have no line for the service.
                if contracts.is_none() {
                    contracts = Some(psa.contracts(change.effective_date).await?);
                }
                let existing = contracts
                    .iter()
                    .flatten()
                    .filter(|c| c.id == change.contract)
                    .flat_map(|c| &c.lines)
                    .find(|l| l.service_id == change.psa_service);
                if let Some(line) = existing {
                    stale.push(StaleLine {
                        address: change.address.clone(),
                        place: format!("contract {} line {}", change.contract, line.id),
                        expected: None,
                        found: Some(line.quantity),
                    });
                }
            }
        }
    }
    Ok(stale)
}

/// The file's wire form. Decimals are strings (rust_decimal's serde-with-str), so they
/// round-trip exactly.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    format: String,
    format_version: u32,
    reckon_version: String,
    period: Period,
    effective_date: NaiveDate,
    psa: String,
    integrations: Vec<String>,
    partial: bool,
    git: Option<GitDoc>,
    config_hash: String,
    usage_hash: String,
    changes: Vec<ChangeDoc>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GitDoc {
    commit: String,
    dirty: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeDoc {
    address: String,
    action: String,
    integration: String,
    vendor_account: String,
    vendor_account_name: String,
    vendor_services: Vec<String>,
    psa_company: String,
    psa_company_name: String,
    psa_service: String,
    contract: String,
    line: Option<String>,
    usage: Decimal,
    quantity: Decimal,
    current: Option<Decimal>,
    effective_date: NaiveDate,
    billing_model: BillingModel,
    rounding: RoundingMode,
    decimals: u32,
    matched_by: String,
    /// Why it needs approval (empty: within every threshold).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    needs_approval: Vec<String>,
    /// Who approved it when planned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    approved_by: Option<String>,
}

impl From<&SavedPlan> for Doc {
    fn from(saved: &SavedPlan) -> Self {
        let plan = &saved.plan;
        Self {
            format: FORMAT.to_owned(),
            format_version: FORMAT_VERSION,
            reckon_version: saved.reckon_version.clone(),
            period: plan.period,
            effective_date: plan.effective_date,
            psa: plan.psa.clone(),
            integrations: plan.integrations.clone(),
            partial: plan.partial,
            git: saved.git.as_ref().map(|g| GitDoc {
                commit: g.commit.clone(),
                dirty: g.dirty,
            }),
            config_hash: saved.config_hash.clone(),
            usage_hash: saved.usage_hash.clone(),
            changes: plan.actions().map(ChangeDoc::from).collect(),
        }
    }
}

impl From<&Change> for ChangeDoc {
    fn from(c: &Change) -> Self {
        Self {
            address: c.address.clone(),
            action: c.action.as_str().to_owned(),
            integration: c.integration.clone(),
            vendor_account: c.vendor_account.clone(),
            vendor_account_name: c.vendor_account_name.clone(),
            vendor_services: c.vendor_services.clone(),
            psa_company: c.psa_company.clone(),
            psa_company_name: c.psa_company_name.clone(),
            psa_service: c.psa_service.clone(),
            contract: c.contract.clone(),
            line: c.line.clone(),
            usage: c.usage,
            quantity: c.quantity,
            current: c.current,
            effective_date: c.effective_date,
            billing_model: c.billing_model,
            rounding: c.rounding.mode,
            decimals: c.rounding.decimals,
            matched_by: c.matched_by.as_str().to_owned(),
            needs_approval: match &c.approval {
                Approval::NotNeeded => Vec::new(),
                Approval::Needed(reasons) | Approval::Approved { reasons, .. } => reasons.clone(),
            },
            approved_by: match &c.approval {
                Approval::Approved { by, .. } => Some(by.clone()),
                _ => None,
            },
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
            reckon_version: doc.reckon_version,
            git: doc.git.map(|g| GitState {
                commit: g.commit,
                dirty: g.dirty,
            }),
            config_hash: doc.config_hash,
            usage_hash: doc.usage_hash,
            plan: Plan {
                period: doc.period,
                effective_date: doc.effective_date,
                psa: doc.psa,
                integrations: doc.integrations,
                partial: doc.partial,
                changes,
                findings: Vec::new(),
                interrupted: Vec::new(),
            },
        })
    }
}

impl TryFrom<ChangeDoc> for Change {
    type Error = String;

    fn try_from(c: ChangeDoc) -> Result<Self, String> {
        let action = match c.action.as_str() {
            "create" => Action::Create,
            "update" => Action::Update,
            other => return Err(format!("{}: unknown action `{other}`", c.address)),
        };
        if action == Action::Update && (c.line.is_none() || c.current.is_none()) {
            return Err(format!(
                "{}: an update needs `line` and `current`",
                c.address
            ));
        }
        let matched_by = match c.matched_by.as_str() {
            "mapping" => MatchedBy::Mapping,
            "exact-name" => MatchedBy::ExactName,
            other => return Err(format!("{}: unknown matched_by `{other}`", c.address)),
        };
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
            contract: c.contract,
            line: c.line,
            usage: c.usage,
            quantity: c.quantity,
            current: c.current,
            effective_date: c.effective_date,
            billing_model: c.billing_model,
            rounding: Rounding {
                mode: c.rounding,
                decimals: c.decimals,
            },
            matched_by,
            // A saved plan keeps no daily series: apply needs none, only the HTML charts do.
            daily: Vec::new(),
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

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    fn change(quantity: Decimal) -> Change {
        Change {
            address: "keeper/Acme/BP → Acme/KEEPER-BP".into(),
            action: Action::Update,
            integration: "keeper".into(),
            vendor_account: "3862".into(),
            vendor_account_name: "Acme".into(),
            vendor_services: vec!["BP".into()],
            psa_company: "1".into(),
            psa_company_name: "Acme".into(),
            psa_service: "KEEPER-BP".into(),
            contract: "C-1".into(),
            line: Some("C-1-1".into()),
            usage: dec!(12.064516129032258064516129032),
            quantity,
            current: Some(dec!(10.50)),
            effective_date: NaiveDate::from_ymd_opt(2026, 11, 1).expect("date"),
            billing_model: BillingModel::DailyAverage,
            rounding: Rounding {
                mode: RoundingMode::Up,
                decimals: 2,
            },
            matched_by: MatchedBy::ExactName,
            daily: Vec::new(),
            approval: Approval::Approved {
                reasons: vec!["increase of 15% exceeds max_increase_percent 10".into()],
                by: "approvals.yaml:3".into(),
            },
        }
    }

    fn saved() -> SavedPlan {
        SavedPlan {
            reckon_version: "0.1.0".into(),
            git: Some(GitState {
                commit: "abc".into(),
                dirty: true,
            }),
            config_hash: "fnv1a64:1".into(),
            usage_hash: "fnv1a64:2".into(),
            plan: Plan {
                period: "2026-10".parse().expect("period"),
                effective_date: NaiveDate::from_ymd_opt(2026, 11, 1).expect("date"),
                psa: "sandbox".into(),
                integrations: vec!["keeper".into()],
                partial: false,
                changes: vec![change(dec!(12.07))],
                findings: Vec::new(),
                interrupted: Vec::new(),
            },
        }
    }

    #[test]
    fn round_trips_exactly_including_decimal_scale() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("plan.json");
        saved().write(&path).expect("write");
        let first = std::fs::read_to_string(&path).expect("read");
        let back = SavedPlan::read(&path).expect("parse");
        assert_eq!(back, saved());
        assert_eq!(
            back.plan.changes[0].current.map(|d| d.to_string()),
            Some("10.50".into())
        );
        back.write(&path).expect("write again");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), first);
        assert!(first.contains("\"quantity\": \"12.07\""), "{first}");
    }

    #[test]
    fn another_format_version_is_refused() {
        let text = serde_json::to_string(&Doc::from(&saved()))
            .expect("json")
            .replace("\"format_version\":1", "\"format_version\":2");
        let err = SavedPlan::parse(&text).expect_err("refused");
        assert!(err.contains("version 2"), "{err}");
    }
}
