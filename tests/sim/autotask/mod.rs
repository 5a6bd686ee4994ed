//! A stateful Autotask REST simulator: axum on 127.0.0.1:0, on its own thread and runtime
//! (`super::serving`), so synchronous tests (driving the reckon binary) and async tests can both
//! use it.
//!
//! It behaves like the real API where reckon depends on it (filters: eq, noteq, gt, gte, lt,
//! lte, in, notIn, and, or). Tests can inject faults per endpoint, add latency, and read the
//! state and request counters back.
//!
//! Each behaviour names its source (a path or definition of
//! `/work/shared/specs/autotask-rest-v1.swagger.json`, an Autotask DeveloperHelp page, or client
//! code and issue threads as collected in `/work/shared/reference/psa-apis.md` §3):
//! - zone discovery `GET /V1.0/ZoneInformation?user=` without credentials (Swagger path;
//!   DeveloperHelp `GetZoneInfoCall.htm`; go-autotask `zone.go` sends no auth headers);
//! - the headers `ApiIntegrationCode`, `UserName`, `Secret` on every other call (Swagger: every
//!   operation's header parameters; DeveloperHelp `REST_Security_Auth.htm`), 401 without them;
//! - `POST /V1.0/{Entity}/query` with `MaxRecords` 1–500 and a `filter` (Swagger
//!   `#/definitions/QueryModel`, `#/definitions/Filter`; DeveloperHelp
//!   `REST_Basic_Query_Calls.htm`), camelCase JSON (go-autotask struct tags), and
//!   `pageDetails.nextPageUrl` that must be POSTed again with the same body, a GET answering 405
//!   (WYRE-AI/autotask-mcp PR #170; n8n-nodes-autotask, go-autotask `crud.go`);
//! - ContractServiceAdjustments: create-only, `unitChange` int32 (Swagger
//!   `/V1.0/ContractServiceAdjustments` post, `#/definitions/ContractServiceAdjustmentModel`;
//!   DeveloperHelp `ContractServiceAdjustmentsEntity.htm`), splitting the units row at the
//!   effective date (`RecurringSerContractEntityRelation.htm`);
//! - lines created under `POST /V1.0/Contracts/{parentId}/Services` on a Recurring Service
//!   contract only (Swagger path; DeveloperHelp `ContractServicesEntity.htm`);
//! - at most 3 requests in flight per endpoint, the 4th refused with `Itgenatr005`, not always
//!   HTTP 429 (DeveloperHelp `ThreadLimiting.htm`; n8n-nodes-autotask PR #107);
//! - `GET /V1.0/ThresholdInformation` (Swagger `#/definitions/ThresholdStatusResultModel`);
//! - contracts carry `startDate`/`endDate` and a manual `status` (Swagger
//!   `#/definitions/ContractModel`); an expired contract keeps `status` 1 until someone
//!   changes it, so the simulator never changes it either;
//! - ContractServiceUnits rows exist per contract period, only within the contract's dates
//!   (Swagger `#/definitions/ContractServiceUnitModel` StartDate/EndDate/Units; DeveloperHelp
//!   `ContractServiceUnitEntity.htm`, `RecurringSerContractEntityRelation.htm`); a line added
//!   to a contract from a later date has no row before it ([`Sim::add_line_from`]);
//! - Service Bundles on a contract (`/V1.0/ContractServiceBundles/query`,
//!   `#/definitions/ContractServiceBundleModel`) and the services of a catalogue bundle
//!   (`/V1.0/ServiceBundleServices/query`, `#/definitions/ServiceBundleServiceModel`);
//! - Services carry `unitPrice` (`#/definitions/ServiceModel`); a line created through
//!   `POST /V1.0/Contracts/{parentId}/Services` has the `unitPrice` of its body, and 0 without
//!   one (no source says it takes the Service's price: the simulator assumes the worst);
//! - `GET /V1.0/{Entity}/entityInformation/fields` for Companies and Contracts, with the
//!   picklists `companyType`, `contractType` and `status` (`#/definitions/FieldInformationModel`,
//!   `#/definitions/PickListValue`, whose `Value` is a string); the default values are those of
//!   the DeveloperHelp pages `CompaniesEntity.htm` and `ContractsEntity.htm` (1 Customer,
//!   7 Recurring Service, 1 Active), and tests can change them ([`Sim::set_picklist`]).
//!
//! Assumed, not from a source: an adjustment whose effective date lies outside its contract's
//! dates is refused (DeveloperHelp states no rule; the notes expect a validation error).
//!
//! Not modelled: bundle units and adjustments, posted periods, UDFs, impersonation, the hourly
//! request threshold (ThresholdInformation reports the simulator's own count).

// Each user (tests, examples) uses a different part of the simulator.
#![allow(dead_code, unused_imports)]

mod entities;
mod filter;
mod seed;
mod server;

use super::connection::{self, Cut};
use super::serving::Serving;
pub use seed::{autotask_psa_block, seed_from_sandbox};
use server::dispatch;

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::Ordering as Atomic;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Extension, State as AxumState};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Months, NaiveDate};
use serde_json::{Value, json};

/// The API user the simulator accepts.
pub const USERNAME: &str = "reckon-api@example-msp.com";
/// Its secret.
pub const SECRET: &str = "sim-secret-3f9a7c1e-planted";
/// The integration's tracking identifier.
pub const INTEGRATION_CODE: &str = "SIMTRACKINGIDENTIFIER000001";

/// Rows per page, as the real API.
const PAGE: usize = 500;
/// Concurrent requests per endpoint before the thread-limit error.
const THREADS: usize = 3;

/// A fault injected into the next request to an endpoint.
#[derive(Debug, Clone)]
pub enum Fault {
    /// 429 with `Retry-After: secs`; nothing done.
    TooManyRequests {
        /// Seconds.
        retry_after: u64,
    },
    /// The thread-limit refusal `Itgenatr005` with this HTTP status; nothing done.
    ThreadLimit(u16),
    /// 500; nothing done.
    ServerError,
    /// The work is done, then the answer is held this long (past the client's timeout).
    SlowAfterCommit(Duration),
    /// The work is done, then the connection is dropped without an answer.
    DropAfterCommit,
    /// The work is done, then answered `200 OK` with a body that is not the answer (cut off).
    UnreadableAfterCommit,
    /// Held, its work not yet done, until the test opens the gate; then done and answered.
    Hold(super::gate::Gate),
}

/// The simulated tenant.
#[derive(Debug, Default)]
struct State {
    base: String,
    entities: BTreeMap<&'static str, Vec<Value>>,
    adjustments: Vec<Value>,
    next_id: HashMap<&'static str, i64>,
    first_month: Option<NaiveDate>,
    months: u32,
    faults: HashMap<String, VecDeque<Fault>>,
    latency: Duration,
    counts: BTreeMap<String, u64>,
    in_flight: HashMap<String, usize>,
    max_in_flight: usize,
    pages: HashMap<String, Paging>,
    requests_seen: Vec<String>,
    /// Row positions by `(entity, field)`.
    indexes: HashMap<(&'static str, &'static str), FieldIndex>,
    picklists: BTreeMap<(String, String), Vec<(String, String)>>,
    /// Requests the tenant's other integrations made this hour: the hourly threshold is shared
    /// by every integration of a database (ThreadLimiting.htm), so ThresholdInformation counts
    /// them too.
    used_by_others: u64,
}

/// Positions of one entity's rows by a whole-number field (`id`, `contractID`,
/// `contractServiceID`), extended on use: rows are only ever appended and these fields never
/// change, so positions stay valid. Spares the scan of every row that a single-line query, an
/// adjustment's line lookup or a contract-scoped `in` query would otherwise make: with 80,000
/// units rows in the bench, those scans made the simulator, not the client, the bottleneck
/// (a real server answers from its database's indexes on its own machines).
#[derive(Debug, Default)]
struct FieldIndex {
    covered: usize,
    rows: HashMap<i64, Vec<usize>>,
}

impl FieldIndex {
    /// Indexes the rows appended since the last call.
    fn extend(&mut self, rows: &[Value], field: &str) {
        for (position, row) in rows.iter().enumerate().skip(self.covered) {
            if let Some(key) = row[field].as_i64() {
                self.rows.entry(key).or_default().push(position);
            }
        }
        self.covered = rows.len();
    }
}

type Shared = Arc<Mutex<State>>;

/// A paging token's query: entity, body, offset, and the rows the first page matched (kept so
/// that next pages do not filter the whole table again).
type Paging = (String, Value, usize, Arc<Vec<Value>>);

/// A running simulator; stops when dropped.
pub struct Sim {
    addr: SocketAddr,
    state: Shared,
    server: Serving,
}

const ENTITIES: [&str; 7] = [
    "Companies",
    "Services",
    "Contracts",
    "ContractServices",
    "ContractServiceUnits",
    "ContractServiceBundles",
    "ServiceBundleServices",
];

/// A picklist's `(value, label)` entries.
type Entries = &'static [(&'static str, &'static str)];

/// The picklists reckon reads, as the DeveloperHelp pages `CompaniesEntity.htm` and
/// `ContractsEntity.htm` list them: (entity, field, entries).
const PICKLISTS: [(&str, &str, Entries); 3] = [
    (
        "Companies",
        "companyType",
        &[
            ("1", "Customer"),
            ("2", "Lead"),
            ("3", "Prospect"),
            ("4", "Dead"),
            ("6", "Cancellation"),
            ("7", "Vendor"),
            ("8", "Partner"),
        ],
    ),
    (
        "Contracts",
        "contractType",
        &[
            ("1", "Time and Materials"),
            ("3", "Fixed Price"),
            ("4", "Block Hours"),
            ("6", "Retainer"),
            ("7", "Recurring Service"),
            ("8", "Per Ticket"),
        ],
    ),
    ("Contracts", "status", &[("0", "Inactive"), ("1", "Active")]),
];

impl Sim {
    /// An empty tenant whose contracts have monthly periods from 2026-09 to 2026-12.
    pub fn start() -> Self {
        Self::start_with_periods(NaiveDate::from_ymd_opt(2026, 9, 1).expect("date"), 4)
    }

    /// An empty tenant whose contract lines get `months` monthly unit periods from `first`.
    pub fn start_with_periods(first: NaiveDate, months: u32) -> Self {
        Self::start_at("127.0.0.1:0", first, months)
    }

    /// As [`Sim::start_with_periods`], listening on `addr` (e.g. `127.0.0.1:8765`).
    pub fn start_at(addr: &str, first: NaiveDate, months: u32) -> Self {
        let addr = addr.to_owned();
        let mut state = State {
            first_month: Some(first),
            months,
            ..State::default()
        };
        for (entity, first_id) in [
            ("Companies", 29_683_365),
            ("Services", 27),
            ("Contracts", 30_001),
            ("ContractServices", 4_411),
            ("ContractServiceUnits", 900_001),
            ("ContractServiceAdjustments", 70_001),
            ("ContractServiceBundles", 881),
            ("ServiceBundleServices", 5_001),
        ] {
            state.next_id.insert(entity, first_id);
        }
        for entity in ENTITIES {
            state.entities.insert(entity, Vec::new());
        }
        for (entity, field, values) in PICKLISTS {
            let values = values
                .iter()
                .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
                .collect();
            state
                .picklists
                .insert((entity.to_owned(), field.to_owned()), values);
        }
        let listener = std::net::TcpListener::bind(&addr).expect("bind the simulator's address");
        let addr = listener.local_addr().expect("addr");
        state.base = format!("http://{addr}/ATServicesRest");
        let state = Arc::new(Mutex::new(state));
        let shared = state.clone();
        let server = Serving::start("sim-autotask", listener, move || {
            axum::Router::new().fallback(dispatch).with_state(shared)
        });
        Self {
            addr,
            state,
            server,
        }
    }

    /// The zone URL (`…/ATServicesRest`), for `psa.base_url`.
    pub fn base_url(&self) -> String {
        format!("http://{}/ATServicesRest", self.addr)
    }

    /// Adds an active customer; returns its id.
    pub fn add_company(&self, name: &str) -> i64 {
        self.insert(
            "Companies",
            |id| json!({"id": id, "companyName": name, "companyType": 1, "isActive": true}),
        )
    }

    /// Adds a row as given (plus an id) to an entity, e.g. an inactive company.
    pub fn insert(&self, entity: &'static str, row: impl FnOnce(i64) -> Value) -> i64 {
        let mut state = lock(&self.state);
        let id = state.take_id(entity);
        state.rows(entity).push(row(id));
        id
    }

    /// Makes the next row added to `entity` get `id` (and later ones the ids after it).
    pub fn next_id(&self, entity: &'static str, id: i64) {
        lock(&self.state).next_id.insert(entity, id);
    }

    /// Adds an active catalogue service priced 5.00 a unit; returns its id.
    pub fn add_service(&self, name: &str) -> i64 {
        self.insert(
            "Services",
            |id| json!({"id": id, "name": name, "isActive": true, "periodType": 1, "unitPrice": 5.0}),
        )
    }

    /// Adds an active recurring-service contract in force from 2026-01-01 to 2027-12-31;
    /// returns its id.
    pub fn add_contract(&self, company: i64, name: &str) -> i64 {
        let start = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
        let end = NaiveDate::from_ymd_opt(2027, 12, 31).expect("date");
        self.add_contract_dated(company, name, start, end)
    }

    /// Adds a recurring-service contract with `status` 1 (active) from `start` to `end`,
    /// whatever today is: the flag is manual (Swagger ContractModel.Status).
    pub fn add_contract_dated(
        &self,
        company: i64,
        name: &str,
        start: NaiveDate,
        end: NaiveDate,
    ) -> i64 {
        self.insert("Contracts", |id| {
            json!({"id": id, "companyID": company, "contractName": name,
                   "contractType": 7, "status": 1, "contractPeriodType": 1,
                   "startDate": day(start), "endDate": day(end)})
        })
    }

    /// Adds a line for `service` to `contract` holding `units` in every period within the
    /// contract's dates; returns its id.
    pub fn add_line(&self, contract: i64, service: i64, units: i64) -> i64 {
        let mut state = lock(&self.state);
        state.create_line(contract, service, units, None, json!(5.0))
    }

    /// As [`Sim::add_line`], for a service added to the contract from `from` on: it has no
    /// units row before that date.
    pub fn add_line_from(&self, contract: i64, service: i64, units: i64, from: NaiveDate) -> i64 {
        let mut state = lock(&self.state);
        state.create_line(contract, service, units, Some(from), json!(5.0))
    }

    /// Puts catalogue bundle `bundle`, holding `services`, on `contract`; returns the contract
    /// service bundle's id.
    pub fn add_bundle(&self, contract: i64, bundle: i64, services: &[i64]) -> i64 {
        for service in services {
            self.insert(
                "ServiceBundleServices",
                |id| json!({"id": id, "serviceBundleID": bundle, "serviceID": service}),
            );
        }
        self.insert("ContractServiceBundles", |id| {
            json!({"id": id, "contractID": contract, "serviceBundleID": bundle,
                   "unitPrice": 30.0, "adjustedPrice": null})
        })
    }

    /// Replaces the picklist of `entity.field` with `(value, label)` entries.
    pub fn set_picklist(&self, entity: &str, field: &str, values: &[(&str, &str)]) {
        let values = values
            .iter()
            .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
            .collect();
        lock(&self.state)
            .picklists
            .insert((entity.to_owned(), field.to_owned()), values);
    }

    /// Sets `field` of every row of `entity` to `value` (e.g. every contract's `status`).
    pub fn set_all(&self, entity: &'static str, field: &str, value: Value) {
        let mut state = lock(&self.state);
        for row in state.rows(entity) {
            row[field] = value.clone();
        }
    }

    /// Sets `field` (e.g. `unitPrice`, `unitCost`) of ContractServices line `line`.
    pub fn set_line(&self, line: i64, field: &str, value: Value) {
        let mut state = lock(&self.state);
        for row in state.rows("ContractServices") {
            if row["id"] == line {
                row[field] = value.clone();
            }
        }
    }

    /// The `unitPrice` of line `line`.
    pub fn line_price(&self, line: i64) -> Option<Value> {
        let mut state = lock(&self.state);
        state
            .rows("ContractServices")
            .iter()
            .find(|r| r["id"] == line)
            .map(|r| r["unitPrice"].clone())
    }

    /// Units of line `line` on `at` (0 when no period covers it).
    pub fn units(&self, line: i64, at: NaiveDate) -> i64 {
        lock(&self.state).units_on(line, at)
    }

    /// Units of every line on `at`, by line id (one pass, for checks over thousands of lines).
    pub fn units_all(&self, at: NaiveDate) -> HashMap<i64, i64> {
        let mut state = lock(&self.state);
        let mut units = HashMap::new();
        for row in state.rows("ContractServiceUnits") {
            if let (Some(line), Some(n)) =
                (row["contractServiceID"].as_i64(), row["units"].as_i64())
                && covers(row, at)
            {
                units.insert(line, n);
            }
        }
        units
    }

    /// Every ContractServiceUnits row of `line`, as `(start, end, units)`, oldest first.
    pub fn unit_rows(&self, line: i64) -> Vec<(String, String, i64)> {
        let mut state = lock(&self.state);
        let mut rows: Vec<(String, String, i64)> = state
            .rows("ContractServiceUnits")
            .iter()
            .filter(|r| r["contractServiceID"] == line)
            .map(|r| {
                (
                    r["startDate"].as_str().unwrap_or_default().to_owned(),
                    r["endDate"].as_str().unwrap_or_default().to_owned(),
                    r["units"].as_i64().unwrap_or_default(),
                )
            })
            .collect();
        rows.sort();
        rows
    }

    /// The lines of `contract`, as `(line id, service id)`.
    pub fn lines_of(&self, contract: i64) -> Vec<(i64, i64)> {
        let mut state = lock(&self.state);
        state
            .rows("ContractServices")
            .iter()
            .filter(|r| r["contractID"] == contract)
            .map(|r| {
                (
                    r["id"].as_i64().unwrap_or(0),
                    r["serviceID"].as_i64().unwrap_or(0),
                )
            })
            .collect()
    }

    /// Every adjustment committed, in order.
    pub fn adjustments(&self) -> Vec<Value> {
        lock(&self.state).adjustments.clone()
    }

    /// Queues `fault` for the next request to `endpoint` (an entity name such as
    /// `ContractServiceAdjustments` or `Companies`).
    pub fn inject(&self, endpoint: &str, fault: Fault) {
        lock(&self.state)
            .faults
            .entry(endpoint.to_owned())
            .or_default()
            .push_back(fault);
    }

    /// Drops every queued fault; returns how many there were.
    pub fn clear_faults(&self) -> usize {
        let mut state = lock(&self.state);
        let queued = state.faults.values().map(VecDeque::len).sum();
        state.faults.clear();
        queued
    }

    /// Waits until no connection is open, so nothing sent before can still land (see
    /// [`connection::quiesce`]).
    pub async fn quiesce(&self, limit: Duration) -> std::io::Result<()> {
        connection::quiesce(self.addr, self.server.connections(), limit).await
    }

    /// Requests other integrations of the tenant made this hour (ThresholdInformation counts
    /// them with reckon's).
    pub fn set_used_by_others(&self, requests: u64) {
        lock(&self.state).used_by_others = requests;
    }

    /// Delay before every answer.
    pub fn set_latency(&self, latency: Duration) {
        lock(&self.state).latency = latency;
    }

    /// Requests received by endpoint (`Companies/query` counts its next pages too).
    pub fn requests(&self) -> BTreeMap<String, u64> {
        lock(&self.state).counts.clone()
    }

    /// All requests received.
    pub fn total_requests(&self) -> u64 {
        lock(&self.state).counts.values().sum()
    }

    /// `METHOD path?query` of every request, in arrival order.
    pub fn log(&self) -> Vec<String> {
        lock(&self.state).requests_seen.clone()
    }

    /// Requests to `endpoint` in the simulator now (received and not yet answered).
    pub fn in_flight(&self, endpoint: &str) -> usize {
        lock(&self.state)
            .in_flight
            .get(endpoint)
            .copied()
            .unwrap_or(0)
    }

    /// The most requests one endpoint had in flight at once.
    pub fn max_in_flight(&self) -> usize {
        lock(&self.state).max_in_flight
    }

    /// Waits until no request is in flight: one a killed client left behind has then landed
    /// (or been dropped unanswered), so reading the state afterwards cannot race it.
    pub fn wait_idle(&self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while lock(&self.state).in_flight.values().any(|n| *n > 0) {
            assert!(
                std::time::Instant::now() < deadline,
                "the simulator is still busy"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

fn lock(state: &Shared) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl State {
    fn take_id(&mut self, entity: &'static str) -> i64 {
        let next = self.next_id.entry(entity).or_insert(1);
        let id = *next;
        *next += 1;
        id
    }

    fn rows(&mut self, entity: &'static str) -> &mut Vec<Value> {
        self.entities.entry(entity).or_default()
    }

    /// A line and its units rows: one per monthly period of the simulated range, clipped to
    /// the contract's dates and starting no earlier than `from` (rows exist only where the
    /// contract, and the service on it, are in force: ContractServiceUnitEntity.htm).
    fn create_line(
        &mut self,
        contract: i64,
        service: i64,
        units: i64,
        from: Option<NaiveDate>,
        price: Value,
    ) -> i64 {
        let line = self.take_id("ContractServices");
        self.rows("ContractServices").push(
            json!({"id": line, "contractID": contract, "serviceID": service, "unitPrice": price}),
        );
        let (contract_start, contract_end) = self.contract_dates(contract);
        let first = self.first_month.unwrap_or_default();
        for month in 0..self.months {
            let period_start = first + Months::new(month);
            let period_end = period_start + Months::new(1) - chrono::Days::new(1);
            let start = period_start
                .max(contract_start)
                .max(from.unwrap_or(period_start));
            let end = period_end.min(contract_end);
            if start > end {
                continue;
            }
            let id = self.take_id("ContractServiceUnits");
            self.rows("ContractServiceUnits").push(json!({
                "id": id, "contractID": contract, "contractServiceID": line, "serviceID": service,
                "startDate": day(start), "endDate": day(end), "units": units,
                "price": price, "approveAndPostDate": null
            }));
        }
        line
    }

    /// A contract's first and last day (unbounded when it has no such contract or dates).
    fn contract_dates(&mut self, contract: i64) -> (NaiveDate, NaiveDate) {
        let position = self
            .positions("Contracts", "id", &[contract])
            .first()
            .copied();
        let found = position.map(|i| &self.rows("Contracts")[i]);
        let date = |field: &str| found.and_then(|c| date_of(&c[field]));
        (
            date("startDate").unwrap_or(NaiveDate::MIN),
            date("endDate").unwrap_or(NaiveDate::MAX),
        )
    }

    /// Positions in ContractServiceUnits of `line`'s rows, in row order.
    fn unit_positions(&mut self, line: i64) -> Vec<usize> {
        self.positions("ContractServiceUnits", "contractServiceID", &[line])
    }

    /// Positions, in row order, of `entity`'s rows whose `field` is one of `keys`.
    fn positions(&mut self, entity: &'static str, field: &'static str, keys: &[i64]) -> Vec<usize> {
        let rows = self.entities.entry(entity).or_default();
        let index = self.indexes.entry((entity, field)).or_default();
        index.extend(rows, field);
        let mut found: Vec<usize> = keys
            .iter()
            .filter_map(|key| index.rows.get(key))
            .flatten()
            .copied()
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    fn units_on(&mut self, line: i64, at: NaiveDate) -> i64 {
        let positions = self.unit_positions(line);
        let rows = self.rows("ContractServiceUnits");
        positions
            .iter()
            .map(|&i| &rows[i])
            .filter(|r| covers(r, at))
            .filter_map(|r| r["units"].as_i64())
            .next_back()
            .unwrap_or(0)
    }
}

fn day(date: NaiveDate) -> String {
    format!("{}T00:00:00", date.format("%Y-%m-%d"))
}

fn date_of(value: &Value) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(value.as_str()?.get(..10)?, "%Y-%m-%d").ok()
}

fn covers(row: &Value, at: NaiveDate) -> bool {
    date_of(&row["startDate"]).is_some_and(|s| s <= at)
        && date_of(&row["endDate"]).is_some_and(|e| at <= e)
}
