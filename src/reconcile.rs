//! One reconciliation pass, as used by `plan`, `apply` and `usage` (and, later, every watch
//! cycle): select integrations → observe usage and the PSA → compute the plan. Reads only; the
//! caller decides whether to apply.

use std::collections::BTreeMap;

use crate::config::Workspace;
use crate::config::model::Integration;
use crate::error::Error;
use crate::observe;
use crate::period::Period;
use crate::plan::{self, Plan};
use crate::psa::Psa;
use crate::render::usage::UsageLine;
use crate::usage::{AccountUsage, Rounding};

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

/// Observes usage and the PSA and computes the plan for `period`.
pub async fn plan<P: Psa>(
    workspace: &Workspace,
    psa: &P,
    period: Period,
    only: &[String],
) -> Result<Plan, Error> {
    let integrations = select(workspace, only)?;
    let usage = measure(workspace, period, &integrations).await?;
    let snapshot = observe::psa_snapshot(psa, workspace.effective_date(period)).await?;
    let partial = integrations.len() < workspace.integrations.len();
    Ok(plan::compute(&plan::Inputs {
        workspace,
        period,
        usage: &usage,
        psa: &snapshot,
        partial,
    }))
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
