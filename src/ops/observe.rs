//! Observe: gather everything the planner needs from the outside world — usage from each
//! integration's source and the PSA snapshot — before any planning starts ([`super::plan`]).
//!
//! The only orchestration of reads. Usage problems from every integration are collected together
//! so one run shows them all.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::config::Workspace;
use crate::config::model::Integration;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::observed::PsaSnapshot;
use crate::period::Period;
use crate::psa::{Psa, PsaError};
use crate::sources::{SourceError, UsageSource, source_for};
use crate::usage::{AccountUsage, summarize};

/// Reads and measures usage for `integrations`, keyed by integration name.
///
/// Parsing and measuring a month of a large book is CPU work (hundreds of milliseconds for
/// 600,000 rows), so each integration runs on the blocking pool, all at once: the runtime's
/// thread stays free for the PSA reads a plan makes meanwhile. Problems are collected in
/// integration order, whatever order the reads finish in.
pub async fn usage(
    workspace: &Workspace,
    period: Period,
    integrations: &[&Integration],
) -> Result<BTreeMap<String, Vec<AccountUsage>>, Diagnostics> {
    let runtime = tokio::runtime::Handle::current();
    let reads: Vec<_> = integrations
        .iter()
        .map(|integration| {
            let source = source_for(workspace, integration, period);
            let model = integration.billing_model;
            let runtime = runtime.clone();
            let name = integration.name.clone();
            let read = tokio::task::spawn_blocking(move || {
                let started = std::time::Instant::now();
                let data = runtime.block_on(source.usage(period))?;
                // Bytes of a file source; a command's output has no file here (0).
                let bytes = std::fs::metadata(&data.origin).map_or(0, |m| m.len());
                tracing::info!(target: "reckon::sources", integration = %name, origin = %data.origin.display(), bytes, rows = data.rows.len(), ms = started.elapsed().as_millis(), "usage read");
                summarize(&data.rows, model, period)
                    .map_err(|overflow| SourceError::at(&data.origin, None, overflow.to_string()))
            });
            (integration, read)
        })
        .collect();
    let mut measured = BTreeMap::new();
    let mut problems = Diagnostics::default();
    for (integration, read) in reads {
        match read.await {
            Ok(Ok(usage)) => {
                measured.insert(integration.name.clone(), usage);
            }
            Ok(Err(SourceError::Invalid(diagnostics))) => problems.extend(diagnostics),
            // A panic or cancellation: its text names runtime internals, so it stays out of
            // the message (the panic itself went to stderr).
            Err(_) => problems.push(Diagnostic::error(
                &integration.file,
                None,
                "reading this integration's usage stopped on an internal error (a bug in \
                 reckon: please report it); nothing was planned or applied",
            )),
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
    let started = std::time::Instant::now();
    let (companies, services, contracts) =
        tokio::try_join!(psa.companies(), psa.services(), psa.contracts(at))?;
    tracing::info!(target: "reckon::stages", companies = companies.len(), services = services.len(), contracts = contracts.len(), ms = started.elapsed().as_millis(), "PSA read");
    Ok(PsaSnapshot {
        companies,
        services,
        contracts,
    })
}
