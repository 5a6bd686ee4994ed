//! Saved plans: `reckon plan --out plan.json` writes one, `reckon apply plan.json` applies
//! exactly it — after checking it is not stale.
//!
//! A saved plan holds the exact actions, the quantity each was planned against, the workspace's
//! git commit (and dirty flag), hashes of the config and usage files, reckon's version and the
//! period. Staleness: the config and usage hashes must be unchanged and every line the plan
//! touches must still hold the planned-against quantity, judged by the plan recomputed from the
//! PSA's live values; a line to be created must still be missing. Then the file's decisions must
//! be the recomputed ones ([`differences`]): an edited file is refused. Owns the file format and
//! those checks (pure: the caller reads the PSA); it decides no quantities and writes nothing.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::config::Workspace;
use crate::fingerprint::{self, GitState};
use crate::period::Period;
use crate::plan::{Action, ActionKind, Approval, Change, MatchedBy, Plan};
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
        /// `read`, `write`, or `fingerprint the workspace for`.
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
        let saved: Self = doc.try_into()?;
        saved.plan.check().map_err(|broken| broken.join("; "))?;
        Ok(saved)
    }
}

/// Saves `plan` to `path` as a saved plan, with the fingerprints (git state, config and usage
/// hashes) that applying it checks it against.
pub fn save(workspace: &Workspace, plan: &Plan, path: &Path) -> Result<(), SavedPlanError> {
    let fingerprint = |source| SavedPlanError::Io {
        action: "fingerprint the workspace for",
        path: path.to_owned(),
        source,
    };
    let saved = SavedPlan {
        reckon_version: env!("CARGO_PKG_VERSION").to_owned(),
        git: fingerprint::git_state(&workspace.root),
        config_hash: fingerprint::config_hash(&workspace.root).map_err(fingerprint)?,
        usage_hash: fingerprint::usage_hash(workspace, plan.period).map_err(fingerprint)?,
        plan: plan.clone(),
    };
    saved.write(path)
}

/// The lines of `saved` that no longer hold what it was computed against, judged by `fresh`:
/// the plan recomputed now from the same config and usage and the PSA's live values (one
/// snapshot, so checking costs a plan's reads however many lines the plan writes). An update's
/// line must still hold its planned-against quantity; a line to be created must still be
/// missing.
pub fn stale_lines(saved: &Plan, fresh: &Plan) -> Vec<StaleLine> {
    let now = |c: &Change| {
        fresh
            .changes
            .iter()
            .find(|f| f.contract == c.contract && f.psa_service == c.psa_service)
    };
    let mut stale = Vec::new();
    for change in saved.actions() {
        let found = now(change);
        let (line, expected) = match &change.action {
            Action::NoOp { .. } => continue,
            Action::Update { line, from } => (line.clone(), Some(*from)),
            Action::Create => match found.and_then(|f| f.line()) {
                Some(line) => (line.to_owned(), None),
                None => continue,
            },
        };
        let found = found.and_then(Change::current);
        if found.map(|q| q.normalize()) != expected.map(|q| q.normalize()) {
            stale.push(StaleLine {
                address: change.address.clone(),
                place: format!("contract {} line {line}", change.contract),
                expected,
                found,
            });
        }
    }
    stale
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
    action: ActionKind,
    integration: String,
    vendor_account: String,
    vendor_account_name: String,
    vendor_services: Vec<String>,
    psa_company: String,
    psa_company_name: String,
    psa_service: String,
    /// The PSA service's catalogue name (absent in plans saved before it was kept).
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
                blockers: crate::plan::blockers_of_changes(&changes, &Default::default()),
                changes,
                findings: Vec::new(),
                interrupted: Vec::new(),
            },
        })
    }
}

/// How the decisions of `saved` differ from `fresh`, recomputed from the same inputs: each
/// action (create or update, line, planned-against and new quantity, contract, service, date)
/// and its approval standing. Empty when they agree; anything else means the file was edited.
pub fn differences(saved: &Plan, fresh: &Plan) -> Vec<String> {
    let decisions = |plan: &Plan| -> std::collections::BTreeMap<String, String> {
        plan.actions()
            .map(|c| (c.address.clone(), decision(c)))
            .collect()
    };
    let (saved, fresh) = (decisions(saved), decisions(fresh));
    let mut differences = Vec::new();
    for (address, in_file) in &saved {
        match fresh.get(address) {
            Some(computed) if computed == in_file => {}
            Some(computed) => {
                differences.push(format!(
                    "{address}: the file says {in_file}; its inputs give {computed}"
                ));
            }
            None => differences.push(format!(
                "{address}: the file says {in_file}; its inputs give no change"
            )),
        }
    }
    for (address, computed) in &fresh {
        if !saved.contains_key(address) {
            differences.push(format!(
                "{address}: missing from the file; its inputs give {computed}"
            ));
        }
    }
    differences
}

/// One change's decision in words, for comparing and for the refusal.
fn decision(c: &Change) -> String {
    let from = c
        .current()
        .map_or_else(|| "new".to_owned(), |q| q.normalize().to_string());
    let line = c.line().unwrap_or("new line");
    let approval = match &c.approval {
        Approval::NotNeeded => "no approval needed".to_owned(),
        Approval::Needed(reasons) => format!("needs approval ({})", reasons.join("; ")),
        Approval::Approved { reasons, by } => {
            format!("approved by {by} ({})", reasons.join("; "))
        }
    };
    format!(
        "{} {from} → {} on contract {} {line} ({}, from {}), {approval}",
        c.action.as_str(),
        c.quantity.normalize(),
        c.contract,
        c.psa_service,
        c.effective_date
    )
}

impl TryFrom<ChangeDoc> for Change {
    type Error = String;

    fn try_from(c: ChangeDoc) -> Result<Self, String> {
        let action = match (c.action, c.line, c.current) {
            (ActionKind::Create, None, None) => Action::Create,
            (ActionKind::Update, Some(line), Some(from)) => Action::Update { line, from },
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
                    "{}: a saved plan holds only creates and updates",
                    c.address
                ));
            }
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
            // A saved plan keeps no daily series: apply needs none, only the HTML charts do.
            daily: Vec::new(),
            // Nor money: apply writes quantities only.
            money: Default::default(),
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
            action: Action::Update {
                line: "C-1-1".into(),
                from: dec!(10.50),
            },
            integration: "keeper".into(),
            vendor_account: "3862".into(),
            vendor_account_name: "Acme".into(),
            vendor_services: vec!["BP".into()],
            psa_company: "1".into(),
            psa_company_name: "Acme".into(),
            psa_service: "KEEPER-BP".into(),
            psa_service_name: "Keeper Business Plus".into(),
            contract: "C-1".into(),
            usage: dec!(12.064516129032258064516129032),
            quantity,
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
            money: Default::default(),
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
                blockers: Vec::new(),
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
            back.plan.changes[0].current().map(|d| d.to_string()),
            Some("10.50".into())
        );
        back.write(&path).expect("write again");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), first);
        assert!(first.contains("\"quantity\": \"12.07\""), "{first}");
    }

    #[test]
    fn a_plan_whose_every_change_is_held_reads_back_with_its_blocker() {
        let mut plan = saved();
        plan.plan.changes[0].approval = Approval::Needed(vec!["too big".into()]);
        plan.plan.blockers = vec![crate::plan::Blocker::AllHeld { held: 1 }];
        let text = serde_json::to_string(&Doc::from(&plan)).expect("json");
        let back = SavedPlan::parse(&text).expect("a valid plan");
        assert_eq!(back, plan);
    }

    #[test]
    fn a_file_breaking_a_plan_invariant_is_refused() {
        let text = serde_json::to_string(&Doc::from(&saved()))
            .expect("json")
            .replace("\"current\":\"10.50\"", "\"current\":\"12.07\"");
        let err = SavedPlan::parse(&text).expect_err("refused");
        assert!(err.contains("an update to the quantity it holds"), "{err}");
    }

    #[test]
    fn a_line_whose_live_value_moved_is_stale_and_a_created_line_that_exists_too() {
        let saved = saved().plan;
        assert!(stale_lines(&saved, &saved).is_empty());
        let mut moved = saved.clone();
        moved.changes[0].action = Action::Update {
            line: "C-1-1".into(),
            from: dec!(11),
        };
        let stale = stale_lines(&saved, &moved);
        assert_eq!(
            stale.iter().map(ToString::to_string).collect::<Vec<_>>(),
            vec![
                "keeper/Acme/BP → Acme/KEEPER-BP (contract C-1 line C-1-1): planned against 10.50, now 11"
                    .to_owned()
            ]
        );
        let mut create = saved.clone();
        create.changes[0].action = Action::Create;
        let stale = stale_lines(&create, &saved);
        assert_eq!(stale[0].expected, None);
        assert_eq!(stale[0].found, Some(dec!(10.50)));
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
