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
//!
//! In force on the effective date: a contract counts when its `status` is active *and* its
//! `startDate`/`endDate` cover the date (status is a manual flag that an expired contract keeps);
//! a line's quantity is its ContractServiceUnits row covering the date, and a line without one
//! has no known quantity (never 0). The picklist values filtered by are read from the tenant
//! ([`picklists`]).

mod client;
mod picklists;
mod snapshot;
mod wire;

use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use tokio::sync::OnceCell;

use client::Client;
pub use client::{CallError, Credentials, DISCOVERY_ROOT, Options};
pub use picklists::CACHE_FILE as PICKLIST_CACHE_FILE;
use picklists::Picklists;
use snapshot::covering;
use wire::{WholeUnits, eq, gte, lte};

use super::{CheckStep, Psa, PsaError, RequestCount};
use crate::observed::{Company, Contract, LineRef, Service};
/// Writes apply may run at once. Each write makes two ContractServiceUnits reads and one
/// ContractServiceAdjustments POST, and the client lets 3 requests per endpoint through at a
/// time; 6 writes keep the units endpoint at that limit. Measured with `examples/bench`
/// (2,000 writes, 5 ms a request): 3 → 13.6 s, 6 → 8.8 s, 9 → 9.5 s, 12 → 9.1 s.
const WRITE_CONCURRENCY: usize = 6;

/// An Autotask tenant, reached through one API user.
#[derive(Debug)]
pub struct AutotaskPsa {
    client: Arc<Client>,
    /// Where the picklist values are cached (the workspace's state folder); none: not cached.
    cache_dir: Option<PathBuf>,
    picklists: OnceCell<Picklists>,
}

/// The units of one line on a date, with what an adjustment needs to name it.
struct LineUnits {
    contract: i64,
    line: i64,
    service: i64,
    /// `None`: no ContractServiceUnits row covers the date, so the units are unknown.
    units: Option<WholeUnits>,
}

impl LineUnits {
    /// The units, or the refusal to act on a line whose units on `at` are unknown.
    fn known(&self, at: NaiveDate) -> Result<WholeUnits, PsaError> {
        self.units.ok_or_else(|| {
            PsaError::Unavailable(format!(
                "line {} of contract {} has no ContractServiceUnits row covering {at}, so its units on that date are unknown; reckon writes nothing computed from them",
                self.line, self.contract
            ))
        })
    }
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
            cache_dir: None,
            picklists: OnceCell::new(),
        })
    }

    /// Caches the picklist values in `dir` (the workspace's `.reckon/`), so they are read from
    /// Autotask once a week rather than on every run.
    pub fn with_picklist_cache(mut self, dir: PathBuf) -> Self {
        self.cache_dir = Some(dir);
        self
    }

    /// The picklist values the reads filter by, read once per client (and cached on disk).
    async fn picklists(&self) -> Result<Picklists, PsaError> {
        self.picklists
            .get_or_try_init(|| async {
                let zone = self
                    .client
                    .zone()
                    .await
                    .map_err(|e| PsaError::Unavailable(e.to_string()))?
                    .to_string();
                picklists::resolve(
                    &self.client,
                    &zone,
                    self.cache_dir.as_deref(),
                    chrono::Utc::now(),
                )
                .await
                .map_err(|e| PsaError::Unavailable(e.to_string()))
            })
            .await
            .copied()
    }

    /// The units of `line` in force on `at`: the ContractServiceUnits row covering that date
    /// (`None` when no row covers it: Autotask then holds no units for the date).
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
                units: Some(WholeUnits::from_wire(row.units)),
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
                units: None,
            }),
            None => Err(PsaError::NotFound {
                entity: "contract line",
                id: format!("{line_id} of contract {contract}"),
            }),
        }
    }

    /// Posts one adjustment taking the line from `from` to `desired` and settles its outcome
    /// by re-reading: `Ok` only when the line holds `desired` afterwards. A success whose
    /// answer cannot be read is settled the same way, never reported as refused.
    async fn adjust(
        &self,
        line: &LineRef,
        before: &LineUnits,
        from: WholeUnits,
        desired: WholeUnits,
        at: NaiveDate,
    ) -> Result<(), PsaError> {
        let body = wire::Adjustment {
            contract_id: before.contract,
            contract_service_id: before.line,
            service_id: before.service,
            effective_date: wire::date_time(at),
            unit_change: desired.minus(from),
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
        let holds = after.map_or_else(|| "no units row".to_owned(), |u| format!("{u} units"));
        match posted {
            Ok(_) if after == Some(desired) => Ok(()),
            Ok(_) => Err(PsaError::Rejected {
                action,
                message: format!(
                    "Autotask accepted the adjustment but the line now holds {holds}, not {desired}"
                ),
            }),
            Err(_) if after == Some(desired) => Ok(()),
            Err(error) => Err(PsaError::Unavailable(format!(
                "could not {action}: {error}; the line holds {holds} afterwards. Not retried (Autotask may still commit it): run plan again before re-applying"
            ))),
        }
    }

    /// The catalogue price of `service`, for a line reckon adds: refused when the Service has
    /// none (or 0), so a created line never bills silently at $0.
    async fn service_price(&self, service: i64) -> Result<serde_json::Number, PsaError> {
        let rows: Vec<wire::Service> = self
            .client
            .query("Services", vec![eq("id", service)], 1)
            .await
            .map_err(|e| read_error("Services", &format!("service {service}"), e))?;
        let Some(found) = rows.into_iter().next() else {
            return Err(PsaError::NotFound {
                entity: "service",
                id: service.to_string(),
            });
        };
        let priced = found
            .unit_price
            .filter(|p| wire::decimal(p).is_some_and(|d| !d.is_zero()));
        priced.ok_or_else(|| PsaError::Rejected {
            action: format!("add service {service} ({}) to a contract", found.name),
            message: format!(
                "Service {service} has no unit price in Autotask, and reckon does not add a line that bills $0: set its Unit Price (Admin → Products and Services → Services), or add the line in Autotask"
            ),
        })
    }

    /// After a create whose outcome is unknown: the line for `service` on `contract`, if there
    /// is exactly one now.
    async fn find_line(&self, contract: i64, service: i64) -> Result<Option<i64>, PsaError> {
        let lines: Vec<wire::ContractService> = self
            .client
            .query(
                "ContractServices",
                vec![eq("contractID", contract), eq("serviceID", service)],
                wire::PAGE_SIZE,
            )
            .await
            .map_err(|e| read_error("ContractServices", &format!("contract {contract}"), e))?;
        Ok(match lines.as_slice() {
            [one] => Some(one.id),
            _ => None,
        })
    }
}

impl Psa for AutotaskPsa {
    fn describe(&self) -> String {
        "Autotask".into()
    }

    async fn companies(&self) -> Result<Vec<Company>, PsaError> {
        let customer = self.picklists().await?.customer;
        let rows: Vec<wire::Company> = self
            .client
            .query(
                "Companies",
                vec![eq("isActive", true), eq("companyType", customer)],
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
        let picklists = self.picklists().await?;
        let filter = vec![
            eq("contractType", picklists.recurring_service),
            eq("status", picklists.active),
        ];
        self.contract_snapshot(filter, at).await
    }

    async fn line_quantity(&self, line: &LineRef, at: NaiveDate) -> Result<Decimal, PsaError> {
        Ok(self.units_at(line, at).await?.known(at)?.to_decimal())
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
        let current = before.known(at)?;
        if current != planned {
            return Err(PsaError::Changed {
                contract: line.contract.clone(),
                line: line.line.clone(),
                expected,
                found: current.to_decimal(),
            });
        }
        if current == desired {
            return Ok(());
        }
        self.adjust(line, &before, current, desired, at).await
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
            unit_price: self.service_price(service_id).await?,
        };
        let action = format!("add service {service_id} to contract {contract_id}");
        let created = self
            .client
            .create(
                "ContractServices",
                &format!("Contracts/{contract_id}/Services"),
                &body,
            )
            .await;
        let line_id = match created {
            Ok(id) => id,
            Err(e) if e.outcome_unknown() => {
                // Not retried (a second POST could add the service twice): re-read instead.
                match self.find_line(contract_id, service_id).await? {
                    Some(id) => id,
                    None => {
                        return Err(PsaError::Unavailable(format!(
                            "could not {action}: {e}; no such line is there now, but Autotask may still commit it: run plan again"
                        )));
                    }
                }
            }
            Err(e) => {
                return Err(PsaError::Rejected {
                    action,
                    message: e.to_string(),
                });
            }
        };
        let line = LineRef {
            contract: contract_id.to_string(),
            line: line_id.to_string(),
        };
        let before = self.units_at(&line, at).await?;
        // A line reckon has just added holds nothing yet: no units row is 0 here, a fact.
        let current = before.units.unwrap_or(WholeUnits::from_wire(0));
        if current != desired {
            self.adjust(&line, &before, current, desired, at).await?;
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
        let picklists = self.picklists().await.map(|p| {
            format!(
                "company type Customer = {}, contract type Recurring Service = {}, contract status Active = {}",
                p.customer, p.recurring_service, p.active
            )
        });
        steps.push(step("read picklists", picklists.map_err(|e| e.to_string())));
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
