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

mod batched;
mod client;
mod picklists;
mod snapshot;
mod wire;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use tokio::sync::OnceCell;

use client::Client;
pub use client::{CallError, Credentials, DISCOVERY_ROOT, Options};
pub use picklists::CACHE_FILE as PICKLIST_CACHE_FILE;
use picklists::Picklists;
use snapshot::covering;
use wire::{WholeUnits, eq, gte, lte};

use super::{ApiBudget, CheckStep, Psa, PsaError, RequestCount, Written};
use crate::observed::{Company, Contract, LineRef, Service};
/// Writes apply may run at once: Autotask lets one integration run 3 requests per endpoint at
/// a time (ThreadLimiting.htm), and with apply's batched reads a write is one
/// ContractServiceAdjustments POST, so 3 keeps that endpoint at its limit and no more.
const WRITE_CONCURRENCY: usize = client::THREADS_PER_ENDPOINT;

/// An Autotask tenant, reached through one API user.
#[derive(Debug)]
pub struct AutotaskPsa {
    client: Arc<Client>,
    /// Where the picklist values are cached (the workspace's state folder); none: not cached.
    cache_dir: Option<PathBuf>,
    picklists: OnceCell<Picklists>,
    /// Lines as apply's last batched read found them, by line id, for the adjustment that
    /// follows (it names the line's service); each taken once.
    checked: Mutex<HashMap<i64, LineUnits>>,
}

/// The units of one line on a date, with what an adjustment needs to name it.
#[derive(Debug)]
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
            checked: Mutex::new(HashMap::new()),
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
        let (action, posted) = self.post_adjustment(before, from, desired, at).await;
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

    /// Posts the adjustment taking `before`'s line from `from` to `desired` on `at`, once (never
    /// repeated after an unknown outcome); returns what it did, for messages, and the answer.
    async fn post_adjustment(
        &self,
        before: &LineUnits,
        from: WholeUnits,
        desired: WholeUnits,
        at: NaiveDate,
    ) -> (String, Result<i64, CallError>) {
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
        (action, posted)
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
                unit_price: s.unit_price.as_ref().and_then(wire::decimal),
                unit_cost: s.unit_cost.as_ref().and_then(wire::decimal),
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

    fn batches_line_reads(&self) -> bool {
        true
    }

    async fn line_quantities(
        &self,
        lines: &[LineRef],
        at: NaiveDate,
    ) -> Vec<Result<Decimal, PsaError>> {
        self.batched_units(lines, at).await
    }

    async fn write_checked(
        &self,
        line: &LineRef,
        checked: Decimal,
        quantity: Decimal,
        at: NaiveDate,
    ) -> Result<Written, PsaError> {
        self.adjust_checked(line, checked, quantity, at).await
    }

    /// `GET ThresholdInformation` (Swagger `#/definitions/ThresholdStatusResultModel`): the
    /// tenant's hourly limit and what every integration has used of it; `None` when unreadable.
    async fn api_budget(&self) -> Option<ApiBudget> {
        let threshold = self
            .client
            .get::<wire::Threshold>("ThresholdInformation")
            .await
            .ok()?;
        Some(ApiBudget {
            limit: u64::try_from(threshold.external_request_threshold).ok()?,
            used: u64::try_from(threshold.current_timeframe_request_count).unwrap_or(0),
        })
    }

    /// Batched: two ContractServiceUnits reads per 500 updated lines and one adjustment per
    /// line; a created line: its Service's price, the POST, a units read and an adjustment.
    fn apply_cost(&self, updates: u64, creates: u64) -> u64 {
        let chunks = updates.div_ceil(wire::IN_CHUNK as u64);
        2 * chunks + updates + 4 * creates
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
