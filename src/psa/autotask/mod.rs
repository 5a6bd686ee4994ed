//! The Autotask PSA adapter (`psa.kind: autotask`): reads companies, the service catalogue,
//! recurring contracts and their units; writes quantity changes as ContractServiceAdjustments.
//!
//! Owns the mapping between Autotask's records and [`crate::observed`] types, and the write
//! protocol: Autotask stores units as a history that only adjustments (deltas) change, and an
//! adjustment cannot be read back. So every write re-reads the units first (refusing when they
//! are not what the plan saw), posts `desired − current`, and re-reads to confirm; after an
//! unknown outcome (timeout, dropped connection, 5xx) it re-reads and never re-posts, so a delta
//! is never applied twice. It decides no policy: it creates a line only when asked.
//!
//! Identifiers: companies, contracts and lines are Autotask's numeric ids as strings; a service
//! is identified by its numeric Service id (stable, unique; names can be renamed or repeated).

mod client;
mod snapshot;
mod wire;

use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use client::Client;
pub use client::{CallError, Credentials, DISCOVERY_ROOT, Options};
use snapshot::covering;
use wire::{WholeUnits, eq, gte, lte};

use super::{CheckStep, Psa, PsaError, RequestCount};
use crate::observed::{Company, Contract, LineRef, Service};

/// `contractType` of a Recurring Service contract.
const RECURRING_SERVICE: i64 = 7;
/// `status` of an active contract.
const CONTRACT_ACTIVE: i64 = 1;
/// `companyType` of a customer.
const CUSTOMER: i64 = 1;
/// Writes apply may run at once. Each write makes two ContractServiceUnits reads and one
/// ContractServiceAdjustments POST, and the client lets 3 requests per endpoint through at a
/// time; 6 writes keep the units endpoint at that limit. Measured with `examples/bench`
/// (2,000 writes, 5 ms a request): 3 → 13.6 s, 6 → 8.8 s, 9 → 9.5 s, 12 → 9.1 s.
const WRITE_CONCURRENCY: usize = 6;

/// An Autotask tenant, reached through one API user.
#[derive(Debug)]
pub struct AutotaskPsa {
    client: Arc<Client>,
}

/// The units of one line on a date, with what an adjustment needs to name it.
struct LineUnits {
    contract: i64,
    line: i64,
    service: i64,
    units: WholeUnits,
}

impl AutotaskPsa {
    /// A client for the tenant; `base_url` is the zone's REST root, discovered when `None`.
    pub fn new(
        credentials: Credentials,
        base_url: Option<String>,
        options: Options,
    ) -> Result<Self, CallError> {
        Ok(Self {
            client: Arc::new(Client::new(credentials, base_url, options)?),
        })
    }

    /// The units of `line` in force on `at`: the ContractServiceUnits row covering that date
    /// (0 when no period covers it yet).
    async fn units_at(&self, line: &LineRef, at: NaiveDate) -> Result<LineUnits, PsaError> {
        let (contract, line_id) = parse_line(line)?;
        let day = wire::date_time(at);
        let rows: Vec<wire::ContractServiceUnit> = self
            .client
            .query(
                "ContractServiceUnits",
                vec![
                    eq("contractServiceID", line_id),
                    lte("startDate", day.clone()),
                    gte("endDate", day),
                ],
                wire::PAGE_SIZE,
            )
            .await
            .map_err(|e| read_error("ContractServiceUnits", &format!("line {line_id}"), e))?;
        if let Some(row) = covering(rows.iter(), at) {
            return Ok(LineUnits {
                contract,
                line: line_id,
                service: row.service_id,
                units: WholeUnits::from_wire(row.units),
            });
        }
        let lines: Vec<wire::ContractService> = self
            .client
            .query("ContractServices", vec![eq("id", line_id)], 1)
            .await
            .map_err(|e| read_error("ContractServices", &format!("line {line_id}"), e))?;
        match lines.into_iter().find(|l| l.contract_id == contract) {
            Some(found) => Ok(LineUnits {
                contract,
                line: line_id,
                service: found.service_id,
                units: WholeUnits::from_wire(0),
            }),
            None => Err(PsaError::NotFound {
                entity: "contract line",
                id: format!("{line_id} of contract {contract}"),
            }),
        }
    }

    /// Posts one adjustment and settles its outcome by re-reading: `Ok` only when the line
    /// holds `desired` afterwards.
    async fn adjust(
        &self,
        line: &LineRef,
        before: &LineUnits,
        desired: WholeUnits,
        at: NaiveDate,
    ) -> Result<(), PsaError> {
        let body = wire::Adjustment {
            contract_id: before.contract,
            contract_service_id: before.line,
            service_id: before.service,
            effective_date: wire::date_time(at),
            unit_change: desired.minus(before.units),
        };
        let action = format!(
            "adjust line {} of contract {} by {} units",
            before.line, before.contract, body.unit_change
        );
        let posted = self
            .client
            .create(
                "ContractServiceAdjustments",
                "ContractServiceAdjustments",
                &body,
            )
            .await;
        if let Err(error) = &posted
            && !error.outcome_unknown()
        {
            return Err(PsaError::Rejected {
                action,
                message: error.to_string(),
            });
        }
        // Success or unknown outcome: what Autotask holds now is the only truth.
        let after = self.units_at(line, at).await?.units;
        match posted {
            Ok(_) if after == desired => Ok(()),
            Ok(_) => Err(PsaError::Rejected {
                action,
                message: format!(
                    "Autotask accepted the adjustment but the line now holds {after} units, not {desired}"
                ),
            }),
            Err(_) if after == desired => Ok(()),
            Err(error) => Err(PsaError::Unavailable(format!(
                "could not {action}: {error}; the line holds {after} units afterwards. Not retried (Autotask may still commit it): run plan again before re-applying"
            ))),
        }
    }
}

impl Psa for AutotaskPsa {
    fn describe(&self) -> String {
        "Autotask".into()
    }

    async fn companies(&self) -> Result<Vec<Company>, PsaError> {
        let rows: Vec<wire::Company> = self
            .client
            .query(
                "Companies",
                vec![eq("isActive", true), eq("companyType", CUSTOMER)],
                wire::PAGE_SIZE,
            )
            .await
            .map_err(|e| read_error("Companies", "active customers", e))?;
        Ok(rows
            .into_iter()
            .map(|c| Company {
                id: c.id.to_string(),
                name: c.company_name,
            })
            .collect())
    }

    async fn services(&self) -> Result<Vec<Service>, PsaError> {
        let rows: Vec<wire::Service> = self
            .client
            .query("Services", vec![eq("isActive", true)], wire::PAGE_SIZE)
            .await
            .map_err(|e| read_error("Services", "active services", e))?;
        Ok(rows
            .into_iter()
            .map(|s| Service {
                id: s.id.to_string(),
                name: s.name,
            })
            .collect())
    }

    async fn contracts(&self, at: NaiveDate) -> Result<Vec<Contract>, PsaError> {
        let filter = vec![
            eq("contractType", RECURRING_SERVICE),
            eq("status", CONTRACT_ACTIVE),
        ];
        self.contract_snapshot(filter, at).await
    }

    async fn line_quantity(&self, line: &LineRef, at: NaiveDate) -> Result<Decimal, PsaError> {
        Ok(self.units_at(line, at).await?.units.to_decimal())
    }

    async fn set_quantity(
        &self,
        line: &LineRef,
        expected: Decimal,
        quantity: Decimal,
        at: NaiveDate,
    ) -> Result<(), PsaError> {
        let desired = whole(quantity)?;
        let planned = whole(expected)?;
        let before = self.units_at(line, at).await?;
        if before.units != planned {
            return Err(PsaError::Changed {
                contract: line.contract.clone(),
                line: line.line.clone(),
                expected,
                found: before.units.to_decimal(),
            });
        }
        if before.units == desired {
            return Ok(());
        }
        self.adjust(line, &before, desired, at).await
    }

    async fn create_line(
        &self,
        contract: &str,
        service: &str,
        quantity: Decimal,
        at: NaiveDate,
    ) -> Result<String, PsaError> {
        let desired = whole(quantity)?;
        let contract_id = parse_id("contract", contract)?;
        let service_id = parse_id("service", service)?;
        let body = wire::NewContractService {
            contract_id,
            service_id,
        };
        let line_id = self
            .client
            .create(
                "ContractServices",
                &format!("Contracts/{contract_id}/Services"),
                &body,
            )
            .await
            .map_err(|e| {
                let action = format!("add service {service_id} to contract {contract_id}");
                if e.outcome_unknown() {
                    // Not retried: a second POST could add the service twice.
                    PsaError::Unavailable(format!(
                        "could not {action}: {e}; the line may exist now: run plan again"
                    ))
                } else {
                    PsaError::Rejected {
                        action,
                        message: e.to_string(),
                    }
                }
            })?;
        let line = LineRef {
            contract: contract_id.to_string(),
            line: line_id.to_string(),
        };
        let before = self.units_at(&line, at).await?;
        if before.units != desired {
            self.adjust(&line, &before, desired, at).await?;
        }
        Ok(line.line)
    }

    async fn check(&self) -> Vec<CheckStep> {
        let mut steps = Vec::new();
        let zone = self.client.zone().await.map(|url| {
            let how = if self.client.zone_configured() {
                "from psa.base_url"
            } else {
                "discovered for the API user"
            };
            format!("{} ({how})", url.as_str().trim_end_matches('/'))
        });
        let zone_ok = zone.is_ok();
        steps.push(step("resolve zone", zone.map_err(|e| e.to_string())));
        if !zone_ok {
            return steps;
        }
        let auth = self
            .client
            .get::<wire::Threshold>("ThresholdInformation")
            .await
            .map(|t| {
                format!(
                    "credentials accepted; {} of {} API requests used this hour",
                    t.current_timeframe_request_count, t.external_request_threshold
                )
            });
        let auth_ok = auth.is_ok();
        steps.push(step("authenticate", auth.map_err(|e| e.to_string())));
        if !auth_ok {
            return steps;
        }
        let company = self
            .client
            .query::<wire::Company>("Companies", vec![eq("isActive", true)], 1)
            .await
            .map_err(|e| e.to_string())
            .map(|rows| match rows.first() {
                Some(c) => format!("read company {} (id {})", c.company_name, c.id),
                None => "no active company is visible: check the API user's security level".into(),
            });
        steps.push(step("read one company", company));
        steps
    }

    fn requests_used(&self) -> RequestCount {
        RequestCount {
            by_endpoint: self.client.requests(),
        }
    }

    fn write_concurrency(&self) -> usize {
        WRITE_CONCURRENCY
    }
}

fn whole(quantity: Decimal) -> Result<WholeUnits, PsaError> {
    WholeUnits::try_from(quantity).map_err(|e| PsaError::Rejected {
        action: "set a quantity".into(),
        message: e.to_string(),
    })
}

fn parse_line(line: &LineRef) -> Result<(i64, i64), PsaError> {
    Ok((
        parse_id("contract", &line.contract)?,
        parse_id("contract line", &line.line)?,
    ))
}

fn parse_id(entity: &'static str, id: &str) -> Result<i64, PsaError> {
    id.parse().map_err(|_| PsaError::NotFound {
        entity,
        id: format!("{id} (Autotask ids are numbers)"),
    })
}

fn read_error(entity: &str, what: &str, error: CallError) -> PsaError {
    PsaError::Unavailable(format!("Autotask {entity} ({what}): {error}"))
}

fn step(name: &str, outcome: Result<String, String>) -> CheckStep {
    CheckStep {
        name: name.into(),
        outcome,
    }
}
