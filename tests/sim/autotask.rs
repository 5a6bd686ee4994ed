//! A stateful Autotask REST simulator: axum on 127.0.0.1:0, on its own thread and runtime, so
//! synchronous tests (driving the reckon binary) and async tests can both use it.
//!
//! It behaves like the real API where reckon depends on it: zone discovery, the three auth
//! headers, `POST /V1.0/{Entity}/query` with JSON filters (eq, noteq, gt, gte, lt, lte, in,
//! notIn, and, or), pages of at most 500 rows whose `nextPageUrl` must be POSTed with the same
//! body (GET → 405), ContractServiceAdjustments that take an integer `unitChange` only and split
//! the ContractServiceUnits row at their effective date, contract lines created under
//! `Contracts/{id}/Services`, at most 3 requests in flight per endpoint (the 4th gets the
//! `Itgenatr005` thread-limit error), and ThresholdInformation. Tests can inject faults per
//! endpoint, add latency, and read the state and request counters back.
//!
//! Not modelled: picklist metadata, bundles, posted periods, UDFs, impersonation, the hourly
//! request threshold (ThresholdInformation reports the simulator's own count).

#![allow(dead_code)]

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering as Atomic};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State as AxumState};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::serve::{IncomingStream, Listener};
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
    pages: HashMap<String, (String, Value, usize)>,
    requests_seen: Vec<String>,
}

type Shared = Arc<Mutex<State>>;

/// A running simulator; stops when dropped.
pub struct Sim {
    addr: SocketAddr,
    state: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

const ENTITIES: [&str; 5] = [
    "Companies",
    "Services",
    "Contracts",
    "ContractServices",
    "ContractServiceUnits",
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
        ] {
            state.next_id.insert(entity, first_id);
        }
        for entity in ENTITIES {
            state.entities.insert(entity, Vec::new());
        }
        let state = Arc::new(Mutex::new(state));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let shared = state.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("sim runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(&addr)
                    .await
                    .expect("bind the simulator's address");
                let addr = listener.local_addr().expect("addr");
                lock(&shared).base = format!("http://{addr}/ATServicesRest");
                addr_tx.send(addr).expect("report addr");
                let app = axum::Router::new()
                    .fallback(dispatch)
                    .with_state(shared)
                    .into_make_service_with_connect_info::<Cut>();
                tokio::select! {
                    _ = axum::serve(CuttableListener(listener), app) => {}
                    _ = stopped => {}
                }
            });
        });
        let addr = addr_rx.recv().expect("sim started");
        Self {
            addr,
            state,
            stop: Some(stop),
            thread: Some(thread),
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

    /// Adds an active catalogue service; returns its id.
    pub fn add_service(&self, name: &str) -> i64 {
        self.insert(
            "Services",
            |id| json!({"id": id, "name": name, "isActive": true, "periodType": 1}),
        )
    }

    /// Adds an active recurring-service contract; returns its id.
    pub fn add_contract(&self, company: i64, name: &str) -> i64 {
        self.insert("Contracts", |id| {
            json!({"id": id, "companyID": company, "contractName": name,
                   "contractType": 7, "status": 1, "contractPeriodType": 1,
                   "startDate": "2026-01-01T00:00:00", "endDate": "2027-12-31T00:00:00"})
        })
    }

    /// Adds a line for `service` to `contract` holding `units` in every period; returns its id.
    pub fn add_line(&self, contract: i64, service: i64, units: i64) -> i64 {
        let mut state = lock(&self.state);
        state.create_line(contract, service, units)
    }

    /// Units of line `line` on `at` (0 when no period covers it).
    pub fn units(&self, line: i64, at: NaiveDate) -> i64 {
        lock(&self.state).units_on(line, at)
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

    /// The most requests one endpoint had in flight at once.
    pub fn max_in_flight(&self) -> usize {
        lock(&self.state).max_in_flight
    }
}

/// The lines of [`keeper_quickstart`] that its plan changes.
pub struct QuickstartLines {
    /// Acme Dental, Keeper Business Plus (10 units).
    pub acme_bp: i64,
    /// Acme Dental, Keeper 1TB (8 units).
    pub acme_1tb: i64,
    /// Cedar Law LLP, Keeper Business Plus (0 units).
    pub cedar_bp: i64,
    /// Delta Dental Group, Keeper Business Plus (20 units).
    pub delta_bp: i64,
}

/// The quickstart's PSA in Autotask terms, on a fresh simulator (so with the same ids every
/// time, which `examples/keeper-autotask` maps to): companies 29683365–29683369 (plus an
/// inactive 29683370), services 27 (Business Plus), 28 (1TB), 29 (KeeperChat), contracts
/// 30001–30005.
pub fn keeper_quickstart(sim: &Sim) -> QuickstartLines {
    let acme = sim.add_company("Acme Dental");
    let brightside = sim.add_company("Brightside Logistics");
    let cedar = sim.add_company("Cedar Law LLP");
    let delta = sim.add_company("Delta Dental Group");
    let fjord = sim.add_company("Fjord Consulting");
    sim.insert(
        "Companies",
        |id| json!({"id": id, "companyName": "Old Client", "companyType": 1, "isActive": false}),
    );
    let bp = sim.add_service("Keeper Business Plus (per user)");
    let tb = sim.add_service("Keeper 1TB Storage (per user)");
    sim.add_service("KeeperChat (per user)");
    let c1 = sim.add_contract(acme, "Acme Dental – Managed Services");
    let c2 = sim.add_contract(brightside, "Brightside – Managed Services");
    let c3 = sim.add_contract(cedar, "Cedar Law – Managed Services");
    let c4 = sim.add_contract(delta, "Delta Dental – Managed Services");
    let c5 = sim.add_contract(fjord, "Fjord – Managed Services");
    let acme_bp = sim.add_line(c1, bp, 10);
    let acme_1tb = sim.add_line(c1, tb, 8);
    sim.add_line(c2, bp, 5);
    let cedar_bp = sim.add_line(c3, bp, 0);
    let delta_bp = sim.add_line(c4, bp, 20);
    sim.add_line(c5, bp, 3);
    QuickstartLines {
        acme_bp,
        acme_1tb,
        cedar_bp,
        delta_bp,
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
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

    fn create_line(&mut self, contract: i64, service: i64, units: i64) -> i64 {
        let line = self.take_id("ContractServices");
        self.rows("ContractServices").push(
            json!({"id": line, "contractID": contract, "serviceID": service, "unitPrice": "5.00"}),
        );
        let first = self.first_month.unwrap_or_default();
        for month in 0..self.months {
            let start = first + Months::new(month);
            let end = start + Months::new(1) - chrono::Days::new(1);
            let id = self.take_id("ContractServiceUnits");
            self.rows("ContractServiceUnits").push(json!({
                "id": id, "contractID": contract, "contractServiceID": line, "serviceID": service,
                "startDate": day(start), "endDate": day(end), "units": units,
                "price": "5.00", "approveAndPostDate": null
            }));
        }
        line
    }

    fn units_on(&mut self, line: i64, at: NaiveDate) -> i64 {
        self.rows("ContractServiceUnits")
            .iter()
            .filter(|r| r["contractServiceID"] == line && covers(r, at))
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

/// Decrements the endpoint's in-flight count when the request ends, however it ends.
struct InFlight {
    state: Shared,
    endpoint: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(n) = lock(&self.state).in_flight.get_mut(&self.endpoint) {
            *n = n.saturating_sub(1);
        }
    }
}

fn errors(status: StatusCode, messages: &[&str]) -> Response {
    (status, axum::Json(json!({"errors": messages}))).into_response()
}

/// Every request: latency, counting, auth, the thread limit, faults, then the route.
async fn dispatch(
    AxumState(state): AxumState<Shared>,
    ConnectInfo(cut): ConnectInfo<Cut>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let latency = lock(&state).latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let Some(rest) = strip_root(uri.path()) else {
        return errors(StatusCode::NOT_FOUND, &["no such resource"]);
    };
    let segments: Vec<String> = rest.split('/').map(str::to_owned).collect();
    let entity = segments.first().cloned().unwrap_or_default();
    let counted = match segments.as_slice() {
        [e, q, ..] if q.eq_ignore_ascii_case("query") => format!("{e}/query"),
        _ => rest.to_owned(),
    };
    {
        let mut s = lock(&state);
        *s.counts.entry(counted).or_default() += 1;
        let line = match uri.query() {
            Some(q) => format!("{method} {}?{q}", uri.path()),
            None => format!("{method} {}", uri.path()),
        };
        s.requests_seen.push(line);
    }
    if entity.eq_ignore_ascii_case("ZoneInformation") {
        return zone(&state, &method, &uri);
    }
    if !authorised(&headers) {
        return errors(
            StatusCode::UNAUTHORIZED,
            &[
                "User is not authorized to access this resource. Check UserName, Secret and ApiIntegrationCode.",
            ],
        );
    }
    let (_in_flight, now) = {
        let mut s = lock(&state);
        let n = s.in_flight.entry(entity.clone()).or_default();
        *n += 1;
        let now = *n;
        s.max_in_flight = s.max_in_flight.max(now);
        let guard = InFlight {
            state: state.clone(),
            endpoint: entity.clone(),
        };
        (guard, now)
    };
    if now > THREADS {
        return thread_limit(500);
    }
    let fault = lock(&state)
        .faults
        .get_mut(&entity)
        .and_then(VecDeque::pop_front);
    match fault {
        Some(Fault::TooManyRequests { retry_after }) => {
            let mut response = errors(
                StatusCode::TOO_MANY_REQUESTS,
                &["Request rate exceeded; retry later."],
            );
            response.headers_mut().insert(
                "Retry-After",
                retry_after.to_string().parse().expect("header value"),
            );
            return response;
        }
        Some(Fault::ThreadLimit(status)) => return thread_limit(status),
        Some(Fault::ServerError) => {
            return errors(
                StatusCode::INTERNAL_SERVER_ERROR,
                &["An unexpected error occurred."],
            );
        }
        _ => {}
    }
    let response = route(&state, &method, &uri, &segments, &body);
    match fault {
        Some(Fault::SlowAfterCommit(delay)) => {
            tokio::time::sleep(delay).await;
            response
        }
        // The connection refuses the answer, so the server drops it: the client sees a
        // connection closed after the work was committed.
        Some(Fault::DropAfterCommit) => {
            cut.0.store(true, Atomic::SeqCst);
            response
        }
        _ => response,
    }
}

/// A switch the handler can flip to drop its connection without answering.
#[derive(Debug, Clone, Default)]
struct Cut(Arc<AtomicBool>);

/// The simulator's listener: every connection comes with its [`Cut`] switch (as its
/// `ConnectInfo`), so a fault can drop exactly the connection it arrived on.
struct CuttableListener(tokio::net::TcpListener);

impl Listener for CuttableListener {
    type Io = CuttableStream;
    type Addr = Cut;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            if let Ok((inner, _)) = self.0.accept().await {
                let cut = Cut::default();
                return (
                    CuttableStream {
                        inner,
                        cut: cut.clone(),
                    },
                    cut,
                );
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(Cut::default())
    }
}

impl axum::extract::connect_info::Connected<IncomingStream<'_, CuttableListener>> for Cut {
    fn connect_info(stream: IncomingStream<'_, CuttableListener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// A TCP stream that fails every write once its switch is flipped.
struct CuttableStream {
    inner: tokio::net::TcpStream,
    cut: Cut,
}

impl CuttableStream {
    fn is_cut(&self) -> bool {
        self.cut.0.load(Atomic::SeqCst)
    }
}

fn broken() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::BrokenPipe, "sim: connection dropped")
}

impl tokio::io::AsyncRead for CuttableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for CuttableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if self.is_cut() {
            return Poll::Ready(Err(broken()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        if self.is_cut() {
            return Poll::Ready(Err(broken()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

fn strip_root(path: &str) -> Option<&str> {
    let lower = path.to_ascii_lowercase();
    let prefix = "/atservicesrest/v1.0/";
    lower.starts_with(prefix).then(|| &path[prefix.len()..])
}

fn authorised(headers: &HeaderMap) -> bool {
    let is = |name: &str, value: &str| headers.get(name).is_some_and(|v| v == value);
    is("ApiIntegrationCode", INTEGRATION_CODE) && is("UserName", USERNAME) && is("Secret", SECRET)
}

fn thread_limit(status: u16) -> Response {
    errors(
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        &[
            "Itgenatr005: Thread Threshold Exceeded - The Autotask API thread threshold of 3 threads has been exceeded.",
        ],
    )
}

fn zone(state: &Shared, method: &Method, uri: &Uri) -> Response {
    if method != Method::GET {
        return errors(StatusCode::METHOD_NOT_ALLOWED, &["use GET"]);
    }
    let user = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .find_map(|kv| kv.strip_prefix("user="))
        .map(|u| u.replace("%40", "@"));
    if user.as_deref() != Some(USERNAME) {
        return errors(
            StatusCode::NOT_FOUND,
            &["Zone information could not be determined"],
        );
    }
    let base = lock(state).base.clone();
    axum::Json(json!({"zoneName": "Sim Zone", "url": format!("{base}/"),
                      "webUrl": "http://sim.invalid/", "ci": 1}))
    .into_response()
}

fn route(state: &Shared, method: &Method, uri: &Uri, segments: &[String], body: &[u8]) -> Response {
    let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
    let mut s = lock(state);
    match (method.as_str(), parts.as_slice()) {
        ("POST", [entity, "query"]) => s.query(entity, body, None),
        ("POST", [entity, "query", "next"]) => s.query(entity, body, page_token(uri)),
        (_, [_, "query", ..]) => errors(
            StatusCode::METHOD_NOT_ALLOWED,
            &["The requested resource does not support http method 'GET'."],
        ),
        ("POST", ["ContractServiceAdjustments"]) => s.adjust(body),
        ("POST", ["Contracts", contract, "Services"]) => s.add_contract_service(contract, body),
        ("GET", ["ThresholdInformation"]) => {
            let used: u64 = s.counts.values().sum();
            axum::Json(json!({"externalRequestThreshold": 10000,
                              "requestThresholdTimeframe": 60,
                              "currentTimeframeRequestCount": used}))
            .into_response()
        }
        _ => errors(StatusCode::NOT_FOUND, &["no such resource"]),
    }
}

fn page_token(uri: &Uri) -> Option<String> {
    uri.query()?
        .split('&')
        .find_map(|kv| kv.strip_prefix("paging="))
        .map(str::to_owned)
}

impl State {
    fn query(&mut self, entity: &str, body: &[u8], token: Option<String>) -> Response {
        let Some(key) = ENTITIES
            .iter()
            .copied()
            .find(|e| e.eq_ignore_ascii_case(entity))
        else {
            return errors(StatusCode::NOT_FOUND, &["no such entity"]);
        };
        let Ok(body) = serde_json::from_slice::<Value>(body) else {
            return errors(
                StatusCode::BAD_REQUEST,
                &["The request body is not valid JSON."],
            );
        };
        let max = field(&body, "MaxRecords")
            .and_then(Value::as_u64)
            .unwrap_or(500) as usize;
        if !(1..=PAGE).contains(&max) {
            return errors(
                StatusCode::BAD_REQUEST,
                &["MaxRecords must be between 1 and 500."],
            );
        }
        let Some(filter) = field(&body, "filter")
            .and_then(Value::as_array)
            .filter(|f| !f.is_empty())
        else {
            return errors(StatusCode::BAD_REQUEST, &["A filter is required."]);
        };
        let conditions = match filter.iter().map(compile).collect::<Result<Vec<_>, _>>() {
            Ok(c) => c,
            Err(message) => return errors(StatusCode::BAD_REQUEST, &[&message]),
        };
        let offset = match token {
            None => 0,
            Some(token) => match self.pages.get(&token) {
                Some((e, b, offset)) if e == key && *b == body => *offset,
                Some(_) => {
                    return errors(
                        StatusCode::BAD_REQUEST,
                        &["The next page must be requested with the original query."],
                    );
                }
                None => return errors(StatusCode::BAD_REQUEST, &["Unknown paging token."]),
            },
        };
        let mut matched: Vec<Value> = self
            .rows(key)
            .iter()
            .filter(|row| conditions.iter().all(|c| c.matches(row)))
            .cloned()
            .collect();
        matched.sort_by_key(|r| r["id"].as_i64());
        let items: Vec<Value> = matched.iter().skip(offset).take(max).cloned().collect();
        let end = offset + items.len();
        let next = if end < matched.len() {
            let token = format!("p{}", self.pages.len() + 1);
            self.pages
                .insert(token.clone(), (key.to_owned(), body.clone(), end));
            Value::String(format!(
                "{}/V1.0/{key}/query/next?paging={token}",
                self.base
            ))
        } else {
            Value::Null
        };
        axum::Json(json!({"items": items, "pageDetails": {
            "count": items.len(), "requestCount": max, "prevPageUrl": null, "nextPageUrl": next}}))
        .into_response()
    }

    fn adjust(&mut self, body: &[u8]) -> Response {
        let Ok(body) = serde_json::from_slice::<Value>(body) else {
            return errors(
                StatusCode::BAD_REQUEST,
                &["The request body is not valid JSON."],
            );
        };
        let change = match field(&body, "unitChange") {
            Some(Value::Number(n)) if n.is_i64() => n.as_i64().unwrap_or(0),
            Some(other) => {
                let message = format!("Unable to convert value '{other}' of unitChange to Int32.");
                return errors(StatusCode::INTERNAL_SERVER_ERROR, &[&message]);
            }
            None => {
                return errors(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &["unitChange is required."],
                );
            }
        };
        let Some(effective) = field(&body, "effectiveDate").and_then(date_of) else {
            return errors(
                StatusCode::INTERNAL_SERVER_ERROR,
                &["effectiveDate is required."],
            );
        };
        let line = field(&body, "contractServiceID").and_then(Value::as_i64);
        let contract = field(&body, "contractID").and_then(Value::as_i64);
        let service = field(&body, "serviceID").and_then(Value::as_i64);
        let found = self.rows("ContractServices").iter().find(|r| match line {
            Some(line) => r["id"] == line,
            None => r["contractID"] == json!(contract) && r["serviceID"] == json!(service),
        });
        let Some(found) = found.cloned() else {
            return errors(
                StatusCode::INTERNAL_SERVER_ERROR,
                &["The referenced ContractService does not exist."],
            );
        };
        if contract.is_some_and(|c| found["contractID"] != c) {
            return errors(
                StatusCode::INTERNAL_SERVER_ERROR,
                &["contractServiceID does not belong to contractID."],
            );
        }
        let line = found["id"].as_i64().unwrap_or(0);
        if let Err(message) = self.split_units(&found, effective, change) {
            return errors(StatusCode::INTERNAL_SERVER_ERROR, &[&message]);
        }
        let id = self.take_id("ContractServiceAdjustments");
        let mut record = body.clone();
        record["id"] = json!(id);
        record["contractServiceID"] = json!(line);
        self.adjustments.push(record);
        axum::Json(json!({"itemId": id})).into_response()
    }

    /// Applies `change` from `effective` on: a period containing the date splits there.
    fn split_units(
        &mut self,
        line: &Value,
        effective: NaiveDate,
        change: i64,
    ) -> Result<(), String> {
        let line_id = line["id"].clone();
        let rows = self.rows("ContractServiceUnits");
        let affected: Vec<usize> = (0..rows.len())
            .filter(|&i| {
                rows[i]["contractServiceID"] == line_id
                    && date_of(&rows[i]["endDate"]).is_some_and(|e| e >= effective)
            })
            .collect();
        if affected
            .iter()
            .any(|&i| rows[i]["units"].as_i64().unwrap_or(0) + change < 0)
        {
            return Err("The adjustment would make the units negative.".into());
        }
        let mut added = Vec::new();
        for &i in &affected {
            let start = date_of(&rows[i]["startDate"]).unwrap_or(effective);
            let units = rows[i]["units"].as_i64().unwrap_or(0);
            if start < effective {
                let mut tail = rows[i].clone();
                tail["startDate"] = json!(day(effective));
                tail["units"] = json!(units + change);
                rows[i]["endDate"] = json!(day(effective - chrono::Days::new(1)));
                added.push(tail);
            } else {
                rows[i]["units"] = json!(units + change);
            }
        }
        if affected.is_empty() {
            if change < 0 {
                return Err("The adjustment would make the units negative.".into());
            }
            let start = effective;
            let end = NaiveDate::from_ymd_opt(start.year(), start.month(), 1).unwrap_or(start)
                + Months::new(1)
                - chrono::Days::new(1);
            added.push(
                json!({"contractID": line["contractID"], "contractServiceID": line_id,
                "serviceID": line["serviceID"], "startDate": day(start), "endDate": day(end),
                "units": change, "price": "5.00", "approveAndPostDate": null}),
            );
        }
        for mut row in added {
            row["id"] = json!(self.take_id("ContractServiceUnits"));
            self.rows("ContractServiceUnits").push(row);
        }
        Ok(())
    }

    fn add_contract_service(&mut self, contract: &str, body: &[u8]) -> Response {
        let Ok(body) = serde_json::from_slice::<Value>(body) else {
            return errors(
                StatusCode::BAD_REQUEST,
                &["The request body is not valid JSON."],
            );
        };
        let Ok(contract) = contract.parse::<i64>() else {
            return errors(StatusCode::NOT_FOUND, &["no such contract"]);
        };
        let Some(service) = field(&body, "serviceID").and_then(Value::as_i64) else {
            return errors(
                StatusCode::INTERNAL_SERVER_ERROR,
                &["serviceID is required."],
            );
        };
        let recurring = self
            .rows("Contracts")
            .iter()
            .any(|c| c["id"] == contract && c["contractType"] == 7);
        if !recurring {
            return errors(
                StatusCode::INTERNAL_SERVER_ERROR,
                &["contractID must reference a Recurring Service contract."],
            );
        }
        if !self.rows("Services").iter().any(|s| s["id"] == service) {
            return errors(
                StatusCode::INTERNAL_SERVER_ERROR,
                &["serviceID does not exist."],
            );
        }
        let duplicate = self
            .rows("ContractServices")
            .iter()
            .any(|l| l["contractID"] == contract && l["serviceID"] == service);
        if duplicate {
            return errors(
                StatusCode::INTERNAL_SERVER_ERROR,
                &["This service is already on the contract."],
            );
        }
        let id = self.create_line(contract, service, 0);
        axum::Json(json!({"itemId": id})).into_response()
    }
}

/// A body field, matched case-insensitively (the API accepts both casings).
fn field<'v>(body: &'v Value, name: &str) -> Option<&'v Value> {
    body.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// A compiled filter condition.
enum Condition {
    Compare {
        field: String,
        op: String,
        value: Value,
    },
    In {
        field: String,
        values: HashSet<String>,
        negate: bool,
    },
    All(Vec<Condition>),
    Any(Vec<Condition>),
}

fn compile(filter: &Value) -> Result<Condition, String> {
    let op = field(filter, "op")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let items = || -> Result<Vec<Condition>, String> {
        field(filter, "items")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("'{op}' needs items"))?
            .iter()
            .map(compile)
            .collect()
    };
    let name = || {
        field(filter, "field")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("'{op}' needs a field"))
    };
    match op.as_str() {
        "and" => Ok(Condition::All(items()?)),
        "or" => Ok(Condition::Any(items()?)),
        "in" | "notin" => {
            let values = field(filter, "value")
                .and_then(Value::as_array)
                .ok_or("'in' needs a list value")?;
            Ok(Condition::In {
                field: name()?,
                values: values.iter().map(Value::to_string).collect(),
                negate: op == "notin",
            })
        }
        "eq" | "noteq" | "gt" | "gte" | "lt" | "lte" => Ok(Condition::Compare {
            field: name()?,
            op,
            value: field(filter, "value").cloned().unwrap_or(Value::Null),
        }),
        other => Err(format!("Unsupported filter operator '{other}'.")),
    }
}

impl Condition {
    fn matches(&self, row: &Value) -> bool {
        match self {
            Self::All(items) => items.iter().all(|c| c.matches(row)),
            Self::Any(items) => items.iter().any(|c| c.matches(row)),
            Self::In {
                field: f,
                values,
                negate,
            } => {
                let found = field(row, f).is_some_and(|v| values.contains(&v.to_string()));
                found != *negate
            }
            Self::Compare {
                field: f,
                op,
                value,
            } => {
                let Some(actual) = field(row, f) else {
                    return false;
                };
                let Some(order) = compare(actual, value) else {
                    return op == "noteq";
                };
                match op.as_str() {
                    "eq" => order == Ordering::Equal,
                    "noteq" => order != Ordering::Equal,
                    "gt" => order == Ordering::Greater,
                    "gte" => order != Ordering::Less,
                    "lt" => order == Ordering::Less,
                    _ => order != Ordering::Greater,
                }
            }
        }
    }
}

/// Numbers as integers, booleans, and strings (dates compared as dates).
fn compare(actual: &Value, wanted: &Value) -> Option<Ordering> {
    match (actual, wanted) {
        (Value::Number(a), Value::Number(b)) => Some(a.as_i64()?.cmp(&b.as_i64()?)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        (Value::String(a), Value::String(b)) => match (date_of(actual), date_of(wanted)) {
            (Some(a), Some(b)) => Some(a.cmp(&b)),
            _ => Some(a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase())),
        },
        _ => None,
    }
}
