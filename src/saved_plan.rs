//! Saved plans: `reckon plan --out plan.json` writes one, `reckon apply plan.json` applies
//! exactly it — after checking it is not stale.
//!
//! A saved plan holds the whole plan as `plan` showed it — every line (no-ops and their daily
//! series included), the findings, interrupted writes and blockers — so `reckon show` renders it
//! exactly as `plan` did; its provenance (tenant, git commit and dirty flag, time, who, reckon's
//! version); and hashes of the config and usage files. Apply uses only its actions, each with
//! the quantity it was planned against. Staleness: the config and usage hashes must be unchanged and every line the plan
//! touches must still hold the planned-against quantity, judged by the plan recomputed from the
//! PSA's live values; a line to be created must still be missing. Then the file's decisions must
//! be the recomputed ones ([`differences`]): an edited file is refused. Owns the file format and
//! those checks (pure: the caller reads the PSA); it decides no quantities and writes nothing.

use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::config::Workspace;
use crate::fingerprint;
use crate::plan::{Action, Approval, Change, Plan};

mod daily;
mod doc;

use doc::Doc;

/// The `format` field every saved plan carries.
pub const FORMAT: &str = "reckon-saved-plan";
/// The saved plan format's version; apply refuses any other. (Version 1 kept only the
/// actions; version 2 keeps the whole plan and its provenance.)
pub const FORMAT_VERSION: u32 = 2;

/// A plan as saved: the whole plan (its provenance included) plus the hashes of what it was
/// computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedPlan {
    /// The workspace directory it was planned in (absolute when it could be resolved), for
    /// hints that must run there; `None` in files saved without it.
    pub workspace: Option<PathBuf>,
    /// [`crate::fingerprint::config_hash`] when planned.
    pub config_hash: String,
    /// [`crate::fingerprint::usage_hash`] when planned.
    pub usage_hash: String,
    /// The plan as `plan` showed it.
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
    /// The file is the JSON plan (`plan --format json`): a report for people and scripts, with
    /// none of the fingerprints that let apply refuse a stale plan.
    #[error("{} is the JSON plan of `reckon plan --format json`, not a saved plan: save one with `reckon plan --out FILE` and apply that file", .path.display())]
    JsonPlan {
        /// The file.
        path: PathBuf,
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
        if is_json_plan(&text) {
            return Err(SavedPlanError::JsonPlan {
                path: path.to_owned(),
            });
        }
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

/// Whether `text` is the JSON plan: an object with the JSON plan's own fields and no saved
/// plan `format`.
fn is_json_plan(text: &str) -> bool {
    #[derive(Deserialize)]
    struct Probe {
        format: Option<serde_json::Value>,
        format_version: Option<serde_json::Value>,
        has_changes: Option<serde_json::Value>,
        summary: Option<serde_json::Value>,
    }
    serde_json::from_str::<Probe>(text).is_ok_and(|p| {
        p.format.is_none()
            && p.format_version.is_some()
            && p.has_changes.is_some()
            && p.summary.is_some()
    })
}

/// Saves `plan` to `path` as a saved plan, with the content hashes (config and usage files)
/// that applying it checks it against; its git state is the plan's provenance.
pub fn save(workspace: &Workspace, plan: &Plan, path: &Path) -> Result<(), SavedPlanError> {
    let fingerprint = |source| SavedPlanError::Io {
        action: "fingerprint the workspace for",
        path: path.to_owned(),
        source,
    };
    let saved = SavedPlan {
        workspace: Some(
            std::fs::canonicalize(&workspace.root)
                .or_else(|_| std::path::absolute(&workspace.root))
                .unwrap_or_else(|_| workspace.root.clone()),
        ),
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

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;
    use chrono::NaiveDate;

    use crate::plan::{ActionKind, MatchedBy};
    use crate::usage::{BillingModel, Rounding, RoundingMode};

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
        }
    }

    fn saved() -> SavedPlan {
        SavedPlan {
            workspace: Some("/srv/billing".into()),
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
                provenance: crate::plan::tests::builder::provenance(),
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
            .replace("\"format_version\":2", "\"format_version\":1");
        let err = SavedPlan::parse(&text).expect_err("refused");
        assert!(err.contains("version 1"), "{err}");
    }

    #[test]
    fn the_whole_plan_round_trips_no_ops_findings_blockers_interrupted_daily_and_provenance() {
        use crate::plan::tests::builder::{Scenario, oct};
        let interrupted = crate::plan::Interrupted {
            address: "keeper/Acme/Business → Acme/BP".into(),
            contract: "C-1".into(),
            line: Some("C-1-1".into()),
            before: Some(dec!(8)),
            after: dec!(10),
            found: Some(dec!(10)),
            time: "2026-11-01T10:00:00Z".into(),
        };
        let plan = Scenario::one_line(10, 12, 1..=3)
            .company("2", "Beta")
            .contract("C-2", "2", &[("C-2-1", "BP", 4)])
            .map_account("keeper", "200", "2", None)
            .usage("keeper", ("200", "Beta"), "Business", 4, 1..=3)
            .map_account("keeper", "300", "9", None)
            .usage("keeper", ("300", "Gone"), "Business", 1, 2..=2)
            .usage("keeper", ("400", "Zed"), "Business", 1, 1..=1)
            .interrupted(interrupted)
            .today(oct(20))
            .plan();
        let kinds: Vec<_> = plan.changes.iter().map(|c| c.action.kind()).collect();
        assert!(kinds.contains(&ActionKind::NoOp), "{kinds:?}");
        assert!(
            plan.has_errors() && plan.findings.len() > 1,
            "{:?}",
            plan.findings
        );
        assert!(plan.partial_data().next().is_some() && !plan.interrupted.is_empty());
        assert!(plan.findings.iter().any(|f| f.origin.is_some()));
        assert!(plan.changes.iter().all(|c| !c.daily.is_empty()));
        let saved = SavedPlan {
            workspace: Some("/srv/billing".into()),
            config_hash: "fnv1a64:1".into(),
            usage_hash: "fnv1a64:2".into(),
            plan,
        };
        let text = serde_json::to_string_pretty(&Doc::from(&saved)).expect("json");
        assert_eq!(SavedPlan::parse(&text).expect("valid"), saved);
    }

    #[test]
    fn the_json_plan_is_told_apart_in_one_line_with_the_command_to_use() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("plan.json");
        let mut json = Vec::new();
        crate::render::json::plan(&mut json, &saved().plan).expect("json");
        std::fs::write(&path, &json).expect("write");
        let err = SavedPlan::read(&path).expect_err("refused").to_string();
        assert!(matches!(
            SavedPlan::read(&path),
            Err(SavedPlanError::JsonPlan { .. })
        ));
        assert!(
            !err.contains('\n') && err.contains("reckon plan --out FILE"),
            "{err}"
        );
        saved().write(&path).expect("a saved plan");
        assert!(SavedPlan::read(&path).is_ok());
    }
}
