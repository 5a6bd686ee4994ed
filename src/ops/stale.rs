//! Refusing a stale saved plan before `reckon apply FILE` applies it: the file must be a saved
//! plan for the workspace's PSA kind, the workspace and usage files must hash as they did, and
//! every line the plan touches must still hold what it was planned against.
//!
//! Reads the plan file, the workspace's files and the PSA lines; writes nothing.

use std::path::Path;

use super::apply::Stopped;
use super::refusal::{Refusal, Stale};
use crate::config::Workspace;
use crate::error::Error;
use crate::fingerprint;
use crate::psa::Psa;
use crate::saved_plan::{self, SavedPlan};

/// The saved plan in `path`, or why it must not be applied.
pub async fn checked<P: Psa>(
    workspace: &Workspace,
    psa: &P,
    path: &Path,
) -> Result<SavedPlan, Stopped> {
    let saved = SavedPlan::read(path).map_err(|e| Refusal::BadPlanFile(e.to_string()))?;
    let stale = |reason| Refusal::Stale {
        reason,
        replan: format!(
            "nothing was applied; make a fresh plan with `reckon plan --period {} --out {}`",
            saved.plan.period,
            path.display()
        ),
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
    let lines = saved_plan::stale_lines(psa, &saved.plan)
        .await
        .map_err(Error::from)?;
    if !lines.is_empty() {
        return Err(stale(Stale::Lines(lines)).into());
    }
    Ok(saved)
}

fn hash_error(source: std::io::Error) -> Error {
    Error::Io {
        context: "cannot read the workspace files to check the saved plan".into(),
        source,
    }
}
