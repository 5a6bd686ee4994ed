//! Refusing a stale saved plan before `reckon apply FILE` applies it: the file must be a saved
//! plan for the workspace's PSA kind, the workspace and usage files must hash as they did, every
//! line the plan touches must still hold what it was planned against, and its decisions must be
//! what its inputs give now (else the file was edited).
//!
//! Reads the plan file, the workspace's files, usage and the PSA; writes nothing.

use std::path::Path;

use super::apply::Stopped;
use super::plan::{self as planning, Request};
use super::refusal::{Refusal, Stale};
use crate::config::Workspace;
use crate::error::Error;
use crate::fingerprint;
use crate::plan::Plan;
use crate::psa::Psa;
use crate::saved_plan::{self, SavedPlan};

/// `reckon [-C DIR] plan --period P [--integration N]… --out FILE`: the command that makes
/// `saved` afresh. `-C` names the workspace the plan was made in when that is not this one
/// (else the command line's own `-C` is added where the hint is printed).
fn replan_command(workspace: &Workspace, saved: &SavedPlan, path: &Path) -> String {
    use crate::render::command_line::{quote, scope};
    let here = std::fs::canonicalize(&workspace.root).ok();
    let mut words = vec!["reckon".to_owned()];
    if let Some(made_in) = saved
        .workspace
        .as_ref()
        .filter(|w| here.as_ref() != Some(*w))
    {
        words.extend(["-C".to_owned(), quote(&made_in.to_string_lossy())]);
    }
    words.push("plan".into());
    let only = if saved.plan.partial {
        saved.plan.integrations.as_slice()
    } else {
        &[]
    };
    words.extend(
        scope(Some(saved.plan.period), only)
            .iter()
            .map(|w| quote(w)),
    );
    words.extend(["--out".to_owned(), quote(&path.to_string_lossy())]);
    words.join(" ")
}

/// A saved plan that passed every check.
pub struct Checked {
    /// The file's plan, as saved.
    pub shown: Plan,
    /// The same decisions computed from the inputs now (with their findings and blockers,
    /// judged as of today): what is applied.
    pub plan: Plan,
}

/// The saved plan in `path`, or why it must not be applied.
pub async fn checked<P: Psa>(
    workspace: &Workspace,
    psa: &P,
    path: &Path,
    today: chrono::NaiveDate,
) -> Result<Checked, Stopped> {
    let saved = SavedPlan::read(path).map_err(|e| Refusal::BadPlanFile(e.to_string()))?;
    let replan = format!(
        "nothing was applied; make a fresh plan with `{}`",
        replan_command(workspace, &saved, path)
    );
    let stale = |reason| Refusal::Stale {
        reason,
        replan: replan.clone(),
    };
    if saved.plan.psa != workspace.psa.kind() {
        return Err(stale(Stale::Psa {
            planned: saved.plan.psa.clone(),
            now: workspace.psa.kind().to_string(),
        })
        .into());
    }
    let config_now = fingerprint::config_hash(&workspace.root).map_err(hash_error)?;
    if config_now != saved.config_hash {
        return Err(stale(Stale::Config).into());
    }
    let usage_now = fingerprint::usage_hash(workspace, saved.plan.period).map_err(hash_error)?;
    if usage_now != saved.usage_hash {
        return Err(stale(Stale::Usage(saved.plan.period)).into());
    }
    let only = if saved.plan.partial {
        saved.plan.integrations.clone()
    } else {
        Vec::new()
    };
    let request = Request {
        period: saved.plan.period,
        today,
        only: &only,
        approve: &[],
    };
    // One fresh plan judges both the lines (still holding what the file planned against?) and
    // the decisions (still what its inputs give?).
    let fresh = planning::plan(workspace, psa, &request).await?;
    let lines = saved_plan::stale_lines(&saved.plan, &fresh);
    if !lines.is_empty() {
        return Err(stale(Stale::Lines(lines)).into());
    }
    let differences = saved_plan::differences(&saved.plan, &fresh);
    if !differences.is_empty() {
        return Err(Refusal::Modified {
            differences,
            replan,
        }
        .into());
    }
    Ok(Checked {
        shown: saved.plan,
        plan: fresh,
    })
}

fn hash_error(source: std::io::Error) -> Error {
    Error::Io {
        context: "cannot read the workspace files to check the saved plan".into(),
        source,
    }
}
