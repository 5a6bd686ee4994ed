//! Reading the contract snapshot: the recurring contracts in force on the effective date, every
//! line of theirs with the units row covering that date, and the Service Bundles they bill —
//! fetched in `in`-filter chunks as each page of contracts arrives, then joined into
//! [`crate::observed::Contract`]s. Reads only.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::task::JoinSet;

use super::wire::{self, gte, is_in, lte};
use super::{AutotaskPsa, CallError, read_error};
use crate::observed::{BundledService, Contract, Line};
use crate::psa::PsaError;

/// Reads in flight, one task per `in` chunk.
type Reads<T> = JoinSet<Result<Vec<T>, CallError>>;

/// The reads that depend on a page of contracts.
#[derive(Default)]
struct PerContract {
    lines: Reads<wire::ContractService>,
    units: Reads<wire::ContractServiceUnit>,
    bundles: Reads<wire::ContractServiceBundle>,
}

/// What was read, for [`assemble`].
pub(super) struct Rows {
    pub(super) contracts: Vec<wire::Contract>,
    pub(super) lines: Vec<wire::ContractService>,
    pub(super) units: Vec<wire::ContractServiceUnit>,
    pub(super) bundles: Vec<wire::ContractServiceBundle>,
    pub(super) bundle_services: Vec<wire::ServiceBundleService>,
}

impl AutotaskPsa {
    /// The recurring contracts matching `filter` that are in force on `at`, with every line,
    /// the units rows covering `at` and their bundles. Each page of contracts starts the reads
    /// of its lines, units and bundles at once (a page of 500 is one `in` chunk), so they
    /// overlap with the next contract pages; the client keeps each endpoint within its thread
    /// limit. Contracts out of force are dropped before anything is read for them.
    pub(super) async fn contract_snapshot(
        &self,
        filter: Vec<Value>,
        at: NaiveDate,
    ) -> Result<Vec<Contract>, PsaError> {
        let mut reads = PerContract::default();
        let mut contracts: Vec<wire::Contract> = Vec::new();
        self.client
            .query_pages("Contracts", filter, wire::PAGE_SIZE, |mut page| {
                // `status` is a manual flag an expired contract keeps: the dates decide.
                page.retain(|c: &wire::Contract| c.in_force(at));
                let ids: Vec<i64> = page.iter().map(|c| c.id).collect();
                for chunk in ids.chunks(wire::IN_CHUNK) {
                    self.spawn_reads(chunk, at, &mut reads);
                }
                contracts.extend(page);
            })
            .await
            .map_err(|e| read_error("Contracts", "active recurring contracts", e))?;
        let lines = gather(reads.lines)
            .await
            .map_err(|e| read_error("ContractServices", "lines", e))?;
        let units = gather(reads.units)
            .await
            .map_err(|e| read_error("ContractServiceUnits", "units", e))?;
        let bundles = gather(reads.bundles)
            .await
            .map_err(|e| read_error("ContractServiceBundles", "service bundles", e))?;
        let bundle_services = self
            .bundle_services(&bundles)
            .await
            .map_err(|e| read_error("ServiceBundleServices", "services of bundles", e))?;
        Ok(assemble(
            Rows {
                contracts,
                lines,
                units,
                bundles,
                bundle_services,
            },
            at,
        ))
    }

    /// Starts reading the lines of `contracts`, their units rows covering `at`, and their
    /// Service Bundles.
    fn spawn_reads(&self, contracts: &[i64], at: NaiveDate, reads: &mut PerContract) {
        let day = wire::date_time(at);
        let of_contracts = || vec![is_in("contractID", contracts)];
        self.spawn_query(&mut reads.lines, "ContractServices", of_contracts());
        let mut covering = of_contracts();
        covering.extend([lte("startDate", day.clone()), gte("endDate", day)]);
        self.spawn_query(&mut reads.units, "ContractServiceUnits", covering);
        self.spawn_query(&mut reads.bundles, "ContractServiceBundles", of_contracts());
    }

    pub(super) fn spawn_query<T: DeserializeOwned + Send + 'static>(
        &self,
        set: &mut Reads<T>,
        entity: &'static str,
        filter: Vec<Value>,
    ) {
        let client = Arc::clone(&self.client);
        set.spawn(async move { client.query::<T>(entity, filter, wire::PAGE_SIZE).await });
    }

    /// Which services the bundles on the contracts hold: nothing is read when no contract
    /// bills a bundle, the usual case.
    async fn bundle_services(
        &self,
        bundles: &[wire::ContractServiceBundle],
    ) -> Result<Vec<wire::ServiceBundleService>, CallError> {
        let ids: Vec<i64> = bundles
            .iter()
            .map(|b| b.service_bundle_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut reads = JoinSet::new();
        for chunk in ids.chunks(wire::IN_CHUNK) {
            let filter = vec![is_in("serviceBundleID", chunk)];
            self.spawn_query(&mut reads, "ServiceBundleServices", filter);
        }
        gather(reads).await
    }
}

/// Every task's rows, or the first failure (dropping the set cancels the rest).
pub(super) async fn gather<T: 'static>(
    mut tasks: JoinSet<Result<Vec<T>, CallError>>,
) -> Result<Vec<T>, CallError> {
    let mut all = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let rows =
            joined.map_err(|e| CallError::Transport(format!("a read task failed: {e}")))??;
        all.extend(rows);
    }
    Ok(all)
}

/// Contracts with their lines, each line's units on `at` (the date the rows were read for),
/// and the services they bill inside bundles.
pub(super) fn assemble(rows: Rows, at: NaiveDate) -> Vec<Contract> {
    let mut by_line: HashMap<i64, Vec<&wire::ContractServiceUnit>> = HashMap::new();
    for row in &rows.units {
        by_line
            .entry(row.contract_service_id)
            .or_default()
            .push(row);
    }
    let mut by_contract: HashMap<i64, Vec<Line>> = HashMap::new();
    for line in rows.lines {
        let units = by_line
            .get(&line.id)
            .and_then(|found| covering(found.iter().copied(), at));
        by_contract.entry(line.contract_id).or_default().push(Line {
            id: line.id.to_string(),
            service_id: line.service_id.to_string(),
            quantity: units.map_or(Decimal::ZERO, |row| Decimal::from(row.units)),
            // No source says a missing row means 0 units: it means Autotask holds none.
            quantity_unknown: units.is_none().then(|| {
                format!(
                    "Autotask has no ContractServiceUnits row for line {} covering {at}",
                    line.id
                )
            }),
            unit_price: line
                .unit_price
                .as_ref()
                .and_then(wire::decimal)
                .map(|d| d.normalize()),
            unit_cost: line
                .unit_cost
                .as_ref()
                .and_then(wire::decimal)
                .map(|d| d.normalize()),
        });
    }
    let mut services_of: HashMap<i64, Vec<i64>> = HashMap::new();
    for row in &rows.bundle_services {
        services_of
            .entry(row.service_bundle_id)
            .or_default()
            .push(row.service_id);
    }
    let mut bundled: HashMap<i64, Vec<BundledService>> = HashMap::new();
    for bundle in &rows.bundles {
        for service in services_of
            .get(&bundle.service_bundle_id)
            .into_iter()
            .flatten()
        {
            bundled
                .entry(bundle.contract_id)
                .or_default()
                .push(BundledService {
                    service_id: service.to_string(),
                    bundle: format!(
                        "Service Bundle {} (contract service bundle {})",
                        bundle.service_bundle_id, bundle.id
                    ),
                });
        }
    }
    rows.contracts
        .into_iter()
        .map(|c| Contract {
            id: c.id.to_string(),
            company_id: c.company_id.to_string(),
            name: c.contract_name,
            lines: by_contract.remove(&c.id).unwrap_or_default(),
            bundled: bundled.remove(&c.id).unwrap_or_default(),
        })
        .collect()
}

/// The row covering `at` (dates compared as dates, whatever time part the API sends).
pub(super) fn covering<'r>(
    rows: impl Iterator<Item = &'r wire::ContractServiceUnit>,
    at: NaiveDate,
) -> Option<&'r wire::ContractServiceUnit> {
    rows.filter(|row| {
        let start = wire::date_of(&row.start_date);
        let end = wire::date_of(&row.end_date);
        start.is_some_and(|s| s <= at) && end.is_some_and(|e| at <= e)
    })
    .max_by(|a, b| a.start_date.cmp(&b.start_date))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(line: i64, start: &str, end: &str, units: i64) -> wire::ContractServiceUnit {
        serde_json::from_value(
            serde_json::json!({"contractServiceID": line, "serviceID": 27,
            "startDate": start, "endDate": end, "units": units}),
        )
        .expect("row")
    }

    #[test]
    fn the_row_covering_the_date_wins_and_an_adjusted_tail_beats_its_period() {
        let rows = [
            unit(1, "2026-10-01T00:00:00", "2026-10-31T00:00:00", 3),
            unit(1, "2026-11-01T00:00:00", "2026-11-14T00:00:00", 5),
            unit(1, "2026-11-15T00:00:00", "2026-11-30T00:00:00", 9),
        ];
        let on = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).expect("date");
        assert_eq!(covering(rows.iter(), on(1)).map(|r| r.units), Some(5));
        assert_eq!(covering(rows.iter(), on(14)).map(|r| r.units), Some(5));
        assert_eq!(covering(rows.iter(), on(15)).map(|r| r.units), Some(9));
        let december = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        assert!(covering(rows.iter(), december).is_none());
    }

    fn from<T: DeserializeOwned>(json: Value) -> T {
        serde_json::from_value(json).expect("wire row")
    }

    fn rows(lines: Vec<wire::ContractService>, units: Vec<wire::ContractServiceUnit>) -> Rows {
        Rows {
            contracts: vec![from(serde_json::json!(
            {"id": 30001, "companyID": 29683365, "contractName": "Acme",
             "startDate": "2026-01-01T00:00:00", "endDate": "2026-12-31T00:00:00"}))],
            lines,
            units,
            bundles: Vec::new(),
            bundle_services: Vec::new(),
        }
    }

    #[test]
    fn lines_join_their_contract_and_a_line_without_units_has_no_known_quantity() {
        let lines = vec![
            from(serde_json::json!({"id": 4411, "contractID": 30001, "serviceID": 27})),
            from(serde_json::json!({"id": 4412, "contractID": 30001, "serviceID": 28})),
        ];
        let units = vec![unit(4411, "2026-11-01T00:00:00", "2026-11-30T00:00:00", 12)];
        let at = NaiveDate::from_ymd_opt(2026, 11, 1).expect("date");
        let joined = assemble(rows(lines, units), at);
        assert_eq!(joined.len(), 1);
        assert_eq!(joined[0].company_id, "29683365");
        let quantities: Vec<(&str, &str, Decimal, Option<&str>)> = joined[0]
            .lines
            .iter()
            .map(|l| {
                let why = l.quantity_unknown.as_deref();
                (l.id.as_str(), l.service_id.as_str(), l.quantity, why)
            })
            .collect();
        assert_eq!(
            quantities,
            [
                ("4411", "27", Decimal::from(12), None),
                (
                    "4412",
                    "28",
                    Decimal::ZERO,
                    Some(
                        "Autotask has no ContractServiceUnits row for line 4412 covering 2026-11-01"
                    )
                )
            ]
        );
    }

    #[test]
    fn services_of_a_bundle_on_the_contract_are_listed_as_bundled() {
        let mut read = rows(Vec::new(), Vec::new());
        read.bundles = vec![from(
            serde_json::json!({"id": 881, "contractID": 30001, "serviceBundleID": 12}),
        )];
        read.bundle_services = vec![
            from(serde_json::json!({"serviceBundleID": 12, "serviceID": 27})),
            from(serde_json::json!({"serviceBundleID": 13, "serviceID": 28})),
        ];
        let at = NaiveDate::from_ymd_opt(2026, 11, 1).expect("date");
        let joined = assemble(read, at);
        assert_eq!(
            joined[0].bundled,
            [BundledService {
                service_id: "27".into(),
                bundle: "Service Bundle 12 (contract service bundle 881)".into()
            }]
        );
    }

    #[test]
    fn a_contract_is_in_force_only_between_its_dates() {
        let contract: wire::Contract = from(serde_json::json!(
        {"id": 1, "companyID": 2, "contractName": "C",
         "startDate": "2026-01-01T00:00:00", "endDate": "2026-10-31T00:00:00"}));
        let on = |m, d| NaiveDate::from_ymd_opt(2026, m, d).expect("date");
        assert!(contract.in_force(on(1, 1)));
        assert!(contract.in_force(on(10, 31)));
        assert!(!contract.in_force(on(11, 1)));
        let undated: wire::Contract =
            from(serde_json::json!({"id": 1, "companyID": 2, "contractName": "C"}));
        assert!(!undated.in_force(on(6, 1)));
    }
}
