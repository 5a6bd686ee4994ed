//! `ops::plan`: one reconciliation pass, as `plan`, `apply`, `usage`, `import` and every watch
//! cycle make it: select integrations → observe usage and the PSA ([`super::observe`]) →
//! compute the plan. The one place [`plan::compute`] is called and its inputs (grants from
//! `approvals.yaml` and `--approve`, interrupted writes from the journal) are gathered. Reads
//! only; whether to apply is [`super::apply`]'s.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::observe;
use crate::config::Workspace;
use crate::config::model::{Grant, Integration};
use crate::error::Error;
use crate::observed::LineRef;
use crate::period::Period;
use crate::plan::{self, Plan};
use crate::psa::Psa;
use crate::state;
use crate::state::journal::Intent;
use crate::usage::{AccountUsage, Rounding, UsageLine};

/// What to plan: a period, the integrations (all when empty), this run's `--approve`
/// addresses, and today (which tells a period that has not ended).
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The billing period.
    pub period: Period,
    /// Today's date (the CLI's one clock read, or watch's clock).
    pub today: NaiveDate,
    /// `--integration` names; all integrations when empty.
    pub only: &'a [String],
    /// `--approve ADDRESS` values: grants for this run's period, whatever quantity it plans.
    pub approve: &'a [String],
}

impl Request<'_> {
    /// Every integration for `period` as of `today`, nothing approved on the command line.
    pub fn all(period: Period, today: NaiveDate) -> Request<'static> {
        Request {
            period,
            today,
            only: &[],
            approve: &[],
        }
    }
}

/// The integrations named in `only` (all when empty), or an error naming the unknown ones.
pub fn select<'w>(
    workspace: &'w Workspace,
    only: &[String],
) -> Result<Vec<&'w Integration>, Error> {
    if only.is_empty() {
        return Ok(workspace.integrations.iter().collect());
    }
    let unknown: Vec<&str> = only
        .iter()
        .filter(|n| workspace.integration(n).is_none())
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        let known: Vec<&str> = workspace
            .integrations
            .iter()
            .map(|i| i.name.as_str())
            .collect();
        return Err(Error::refused(
            format!("no integration named {}", unknown.join(", ")),
            format!("the workspace has: {}", known.join(", ")),
        ));
    }
    Ok(workspace
        .integrations
        .iter()
        .filter(|i| only.contains(&i.name))
        .collect())
}

/// Reads usage for `integrations` in `period`.
pub async fn measure(
    workspace: &Workspace,
    period: Period,
    integrations: &[&Integration],
) -> Result<BTreeMap<String, Vec<AccountUsage>>, Error> {
    observe::usage(workspace, period, integrations)
        .await
        .map_err(Error::Usage)
}

/// Observes usage, the PSA, the approvals and the apply journal, and computes the plan
/// `request` asks for: the one place [`plan::compute`] is called.
pub async fn plan<P: Psa>(
    workspace: &Workspace,
    psa: &P,
    request: &Request<'_>,
) -> Result<Plan, Error> {
    let period = request.period;
    let integrations = select(workspace, request.only)?;
    // Usage (CPU, on the blocking pool) and the PSA (network) are read at once. A usage
    // problem wins and stops the PSA reads at once; a PSA failure waits for usage, so the
    // error reported does not depend on which finished first.
    let psa_reads = async {
        Ok::<_, Error>(observe::psa_snapshot(psa, workspace.effective_date(period)).await)
    };
    let (usage, snapshot) = tokio::try_join!(measure(workspace, period, &integrations), psa_reads)?;
    let snapshot = snapshot?;
    let partial = integrations.len() < workspace.integrations.len();
    let mut grants = crate::config::approvals::load(&workspace.root).map_err(Error::Config)?;
    grants.extend(command_line_grants(request.approve));
    let interrupted = interrupted(workspace, psa).await?;
    let provenance = super::provenance::now(workspace, psa);
    let started = std::time::Instant::now();
    let plan = plan::compute(&plan::Inputs {
        workspace,
        period,
        usage: &usage,
        psa: &snapshot,
        partial,
        grants: &grants,
        interrupted: &interrupted,
        today: request.today,
        provenance: &provenance,
    });
    tracing::info!(target: "reckon::stages", changes = plan.changes.len(), findings = plan.findings.len(), ms = started.elapsed().as_millis(), "plan computed");
    Ok(plan)
}

/// `--approve ADDRESS` grants: this run's period, whatever quantity its plan says.
fn command_line_grants(addresses: &[String]) -> impl Iterator<Item = Grant> + '_ {
    addresses.iter().map(|address| Grant {
        address: crate::config::approvals::normalize_address(address),
        period: None,
        quantity: None,
        source: "--approve".into(),
    })
}

/// Writes the apply journal has intents but no outcomes for, each with its line re-read now
/// (the plan itself was computed from live values, so it already accounts for them).
pub async fn interrupted<P: Psa>(
    workspace: &Workspace,
    psa: &P,
) -> Result<Vec<plan::Interrupted>, Error> {
    Ok(reread_unknown_outcomes(workspace, psa)
        .await?
        .into_iter()
        .map(|(intent, found)| interrupted_write(intent, found))
        .collect())
}

/// An intent without outcome and what its line holds now, as the plan lists it.
pub fn interrupted_write(intent: Intent, found: Option<Decimal>) -> plan::Interrupted {
    plan::Interrupted {
        address: intent.address,
        contract: intent.contract,
        line: intent.line,
        before: intent.before,
        after: intent.after,
        found,
        time: intent.time,
    }
}

/// The journal's intents without outcomes, each with what its line holds now (`None` for a
/// create or a line that cannot be read).
pub async fn reread_unknown_outcomes<P: Psa>(
    workspace: &Workspace,
    psa: &P,
) -> Result<Vec<(Intent, Option<Decimal>)>, Error> {
    let records =
        state::journal::read(&workspace.root.join(state::STATE_DIR)).map_err(|source| {
            Error::Io {
                context: "cannot read the apply journal .reckon/journal.jsonl".into(),
                source,
            }
        })?;
    let mut reread = Vec::new();
    for intent in state::journal::unknown_outcomes(&records) {
        let found = match &intent.line {
            Some(line) => {
                let line = LineRef {
                    contract: intent.contract.clone(),
                    line: line.clone(),
                };
                psa.line_quantity(&line, intent.effective_date).await.ok()
            }
            None => None,
        };
        reread.push((intent, found));
    }
    Ok(reread)
}

/// The usage table: every account and SKU of the vendor data (excluded accounts left out), with
/// the quantity rounded as it would be written to the workspace's PSA.
pub fn usage_lines(
    workspace: &Workspace,
    integrations: &[&Integration],
    usage: &BTreeMap<String, Vec<AccountUsage>>,
) -> Vec<UsageLine> {
    let mut lines = Vec::new();
    for integration in integrations {
        for row in usage.get(&integration.name).into_iter().flatten() {
            if integration.accounts.exclude.contains(&row.account_id) {
                continue;
            }
            let rounding = rounding_for_sku(workspace, integration, &row.sku);
            lines.push(UsageLine {
                integration: integration.name.clone(),
                account: row.account_id.clone(),
                account_name: row.account_name.clone(),
                service: row.sku.clone(),
                days_with_data: row.measure.days_with_data,
                total: row.measure.total,
                usage: row.measure.usage,
                quantity: rounding.apply(row.measure.usage),
                mapped_to: integration
                    .accounts
                    .map
                    .get(&row.account_id)
                    .map(|m| m.psa_company.clone()),
                daily: row.daily.clone(),
                billing_model: integration.billing_model,
            });
        }
    }
    lines
}

fn rounding_for_sku(workspace: &Workspace, integration: &Integration, sku: &str) -> Rounding {
    match integration.services.iter().find(|s| s.vendor_sku == sku) {
        Some(mapping) => workspace.rounding_for(integration, &mapping.psa_service),
        None => workspace.rounding_for(integration, ""),
    }
}
