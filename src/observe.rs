//! Observe: gather everything the planner needs from the outside world — usage from each
//! integration's source and the PSA snapshot — before any planning starts.
//!
//! The only orchestration of reads. Usage problems from every integration are collected together
//! so one run shows them all.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::config::Workspace;
use crate::config::model::Integration;
use crate::diagnostic::Diagnostics;
use crate::observed::PsaSnapshot;
use crate::period::Period;
use crate::psa::{Psa, PsaError};
use crate::usage::{AccountUsage, summarize};
use crate::vendor::{Vendor, VendorError, source_for};

/// Reads and measures usage for `integrations`, keyed by integration name.
pub async fn usage(
    workspace: &Workspace,
    period: Period,
    integrations: &[&Integration],
) -> Result<BTreeMap<String, Vec<AccountUsage>>, Diagnostics> {
    let mut measured = BTreeMap::new();
    let mut problems = Diagnostics::default();
    for integration in integrations {
        match source_for(workspace, integration, period)
            .usage(period)
            .await
        {
            Ok(data) => {
                let usage = summarize(&data.rows, integration.billing_model, period);
                measured.insert(integration.name.clone(), usage);
            }
            Err(VendorError::Invalid(diagnostics)) => problems.extend(diagnostics),
        }
    }
    if problems.has_errors() {
        Err(problems)
    } else {
        Ok(measured)
    }
}

/// Reads companies, services and contracts (quantities at `at`) concurrently.
pub async fn psa_snapshot<P: Psa>(psa: &P, at: NaiveDate) -> Result<PsaSnapshot, PsaError> {
    let (companies, services, contracts) =
        tokio::try_join!(psa.companies(), psa.services(), psa.contracts(at))?;
    Ok(PsaSnapshot {
        companies,
        services,
        contracts,
    })
}
