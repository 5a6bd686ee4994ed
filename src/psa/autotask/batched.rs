//! Apply's batched reads on Autotask: the units of many lines on a date in `in`-filter chunks of
//! ContractServiceUnits (one request per [`wire::IN_CHUNK`] lines, chunks started together and
//! kept within the endpoint's thread limit by the client), and the adjustment a write makes
//! once such a read has checked its line. Reads and posts only; the decision to write (the
//! line still holds what the plan saw) and the confirmation are apply's.
//!
//! The `in` operator is a `Filter.op` of the query body (Swagger `#/definitions/Filter`, whose
//! `op` is free text); 500 values per list is the SOAP-era limit of 500 conditions per query
//! (`SOAP_Thresholds_Limits.htm`), which reckon keeps for REST: unverified against a tenant.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use tokio::task::JoinSet;

use super::snapshot::{covering, gather};
use super::wire::{self, WholeUnits, gte, is_in, lte};
use super::{AutotaskPsa, LineUnits, parse_line, read_error, whole};
use crate::observed::LineRef;
use crate::psa::{Psa, PsaError, Written};

impl AutotaskPsa {
    /// The units of `lines` on `at`, one result per line. A line no units row covers is read
    /// on its own ([`AutotaskPsa::units_at`]), which tells a line without units from a line
    /// that is gone; a failed batch fails each of its lines.
    pub(super) async fn batched_units(
        &self,
        lines: &[LineRef],
        at: NaiveDate,
    ) -> Vec<Result<Decimal, PsaError>> {
        let parsed: Vec<Result<(i64, i64), PsaError>> = lines.iter().map(parse_line).collect();
        let ids: Vec<i64> = parsed
            .iter()
            .filter_map(|p| p.as_ref().ok().map(|(_, line)| *line))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let rows = match self.units_rows(&ids, at).await {
            Ok(rows) => rows,
            Err(error) => return lines.iter().map(|_| Err(error.clone())).collect(),
        };
        let mut by_line: HashMap<i64, Vec<wire::ContractServiceUnit>> = HashMap::new();
        for row in rows {
            by_line
                .entry(row.contract_service_id)
                .or_default()
                .push(row);
        }
        let mut found = Vec::with_capacity(lines.len());
        for (line, ids) in lines.iter().zip(parsed) {
            found.push(match ids {
                Err(error) => Err(error),
                Ok((contract, line_id)) => {
                    let row = by_line
                        .get(&line_id)
                        .and_then(|rows| covering(rows.iter(), at));
                    match row {
                        Some(row) => {
                            self.remember(LineUnits {
                                contract,
                                line: line_id,
                                service: row.service_id,
                                units: Some(WholeUnits::from_wire(row.units)),
                            });
                            Ok(WholeUnits::from_wire(row.units).to_decimal())
                        }
                        None => self.line_quantity(line, at).await,
                    }
                }
            });
        }
        found
    }

    /// Every ContractServiceUnits row of `lines` covering `at`, [`wire::IN_CHUNK`] lines a
    /// request, the requests started together.
    async fn units_rows(
        &self,
        lines: &[i64],
        at: NaiveDate,
    ) -> Result<Vec<wire::ContractServiceUnit>, PsaError> {
        let day = wire::date_time(at);
        let mut reads = JoinSet::new();
        for chunk in lines.chunks(wire::IN_CHUNK) {
            let filter = vec![
                is_in("contractServiceID", chunk),
                lte("startDate", day.clone()),
                gte("endDate", day.clone()),
            ];
            self.spawn_query(&mut reads, "ContractServiceUnits", filter);
        }
        gather(reads)
            .await
            .map_err(|e| read_error("ContractServiceUnits", "units of the lines to write", e))
    }

    /// Keeps what an adjustment must name about a line just read (its service).
    fn remember(&self, units: LineUnits) {
        self.checked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(units.line, units);
    }

    /// The line as the last batched read found it, if it did.
    fn recalled(&self, line: i64) -> Option<LineUnits> {
        self.checked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&line)
    }

    /// One adjustment from `checked` to `quantity`, the line having just been read holding
    /// `checked`; a line no batched read has seen gets the full protocol (read, post, read).
    pub(super) async fn adjust_checked(
        &self,
        line: &LineRef,
        checked: Decimal,
        quantity: Decimal,
        at: NaiveDate,
    ) -> Result<Written, PsaError> {
        let (from, desired) = (whole(checked)?, whole(quantity)?);
        let (_, line_id) = parse_line(line)?;
        let Some(before) = self.recalled(line_id) else {
            self.set_quantity(line, checked, quantity, at).await?;
            return Ok(Written::Confirmed);
        };
        if before.units != Some(from) {
            return Err(PsaError::Changed {
                contract: line.contract.clone(),
                line: line.line.clone(),
                expected: checked,
                found: before.known(at)?.to_decimal(),
            });
        }
        if from == desired {
            return Ok(Written::Confirmed);
        }
        let (action, posted) = self.post_adjustment(&before, from, desired, at).await;
        match posted {
            // An adjustment cannot be read back: apply confirms it with its batched read.
            Ok(_) => Ok(Written::Unconfirmed),
            Err(error) if error.outcome_unknown() => Err(PsaError::OutcomeUnknown {
                action,
                message: error.to_string(),
            }),
            Err(error) => Err(PsaError::Rejected {
                action,
                message: error.to_string(),
            }),
        }
    }
}
