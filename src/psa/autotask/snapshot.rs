//! Reading the contract snapshot: every line of the active recurring contracts and the units
//! rows covering the effective date, fetched in `in`-filter chunks as each page of contracts
//! arrives, then joined into
//! [`crate::observed::Contract`]s. Reads only.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use tokio::task::JoinSet;

use super::wire::{self, gte, is_in, lte};
use super::{AutotaskPsa, CallError, read_error};
use crate::observed::{Contract, Line};
use crate::psa::PsaError;

/// Reads of lines and of units in flight, one task per `in` chunk.
type Reads<T> = JoinSet<Result<Vec<T>, CallError>>;

impl AutotaskPsa {
    /// The active recurring contracts with every line and the units rows covering `at`. Each
    /// page of contracts starts the reads of its lines and units at once (a page of 500 is one
    /// `in` chunk), so they overlap with the next contract pages; the client keeps each
    /// endpoint within its thread limit.
    pub(super) async fn contract_snapshot(
        &self,
        filter: Vec<serde_json::Value>,
        at: NaiveDate,
    ) -> Result<Vec<Contract>, PsaError> {
        let mut lines: Reads<wire::ContractService> = JoinSet::new();
        let mut units: Reads<wire::ContractServiceUnit> = JoinSet::new();
        let mut contracts: Vec<wire::Contract> = Vec::new();
        self.client
            .query_pages("Contracts", filter, wire::PAGE_SIZE, |page| {
                let ids: Vec<i64> = page.iter().map(|c: &wire::Contract| c.id).collect();
                for chunk in ids.chunks(wire::IN_CHUNK) {
                    self.spawn_reads(chunk, at, &mut lines, &mut units);
                }
                contracts.extend(page);
            })
            .await
            .map_err(|e| read_error("Contracts", "active recurring contracts", e))?;
        let lines = gather(lines)
            .await
            .map_err(|e| read_error("ContractServices", "lines", e))?;
        let units = gather(units)
            .await
            .map_err(|e| read_error("ContractServiceUnits", "units", e))?;
        Ok(assemble(contracts, lines, &units))
    }

    /// Starts reading the lines of `contracts` and their units rows covering `at`.
    fn spawn_reads(
        &self,
        contracts: &[i64],
        at: NaiveDate,
        lines: &mut Reads<wire::ContractService>,
        units: &mut Reads<wire::ContractServiceUnit>,
    ) {
        let day = wire::date_time(at);
        let client = Arc::clone(&self.client);
        let filter = vec![is_in("contractID", contracts)];
        lines.spawn(async move {
            client
                .query::<wire::ContractService>("ContractServices", filter, wire::PAGE_SIZE)
                .await
        });
        let client = Arc::clone(&self.client);
        let filter = vec![
            is_in("contractID", contracts),
            lte("startDate", day.clone()),
            gte("endDate", day),
        ];
        units.spawn(async move {
            client
                .query::<wire::ContractServiceUnit>("ContractServiceUnits", filter, wire::PAGE_SIZE)
                .await
        });
    }
}

/// Every task's rows, or the first failure (dropping the set cancels the rest).
async fn gather<T: 'static>(
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

/// Contracts with their lines and each line's units on the date the rows were read for.
pub(super) fn assemble(
    contracts: Vec<wire::Contract>,
    lines: Vec<wire::ContractService>,
    units: &[wire::ContractServiceUnit],
) -> Vec<Contract> {
    let mut by_line: HashMap<i64, Vec<&wire::ContractServiceUnit>> = HashMap::new();
    for row in units {
        by_line
            .entry(row.contract_service_id)
            .or_default()
            .push(row);
    }
    let mut by_contract: HashMap<i64, Vec<Line>> = HashMap::new();
    for line in lines {
        // Several rows cover a date only if periods overlap; the latest-starting one is in force.
        let quantity = by_line
            .get(&line.id)
            .and_then(|rows| rows.iter().max_by(|a, b| a.start_date.cmp(&b.start_date)))
            .map_or(0, |row| row.units);
        by_contract.entry(line.contract_id).or_default().push(Line {
            id: line.id.to_string(),
            service_id: line.service_id.to_string(),
            quantity: Decimal::from(quantity),
        });
    }
    contracts
        .into_iter()
        .map(|c| Contract {
            id: c.id.to_string(),
            company_id: c.company_id.to_string(),
            name: c.contract_name,
            lines: by_contract.remove(&c.id).unwrap_or_default(),
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

    #[test]
    fn lines_join_their_contract_and_lines_without_units_count_zero() {
        let contracts = vec![
            serde_json::from_value(serde_json::json!(
            {"id": 30001, "companyID": 29683365, "contractName": "Acme"}))
            .expect("contract"),
        ];
        let lines = vec![
            serde_json::from_value(
                serde_json::json!({"id": 4411, "contractID": 30001, "serviceID": 27}),
            )
            .expect("line"),
            serde_json::from_value(
                serde_json::json!({"id": 4412, "contractID": 30001, "serviceID": 28}),
            )
            .expect("line"),
        ];
        let units = [unit(4411, "2026-11-01T00:00:00", "2026-11-30T00:00:00", 12)];
        let joined = assemble(contracts, lines, &units);
        assert_eq!(joined.len(), 1);
        assert_eq!(joined[0].company_id, "29683365");
        let quantities: Vec<(&str, &str, Decimal)> = joined[0]
            .lines
            .iter()
            .map(|l| (l.id.as_str(), l.service_id.as_str(), l.quantity))
            .collect();
        assert_eq!(
            quantities,
            [
                ("4411", "27", Decimal::from(12)),
                ("4412", "28", Decimal::ZERO)
            ]
        );
    }
}
