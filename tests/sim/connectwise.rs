//! A stateful ConnectWise PSA (Manage) simulator for tests: axum on 127.0.0.1:0, in its own
//! thread, stopped when dropped.
//!
//! It holds companies, catalog items, agreements and additions (with effective and cancelled
//! dates) and serves what reckon uses, the way ConnectWise does: codebase discovery at
//! `/login/companyinfo/{companyId}`, the REST API under `/{codebase}apis/3.0/`, Basic auth of
//! `companyId+publicKey:privateKey` and a `clientId` header on every API call, `conditions`
//! (`field=value` / `field!=value` joined by `and`; nested fields with `/`), `fields`,
//! `page`/`pageSize` (default 25, at most 1000) with a `Link` header, JSON-Patch with the
//! case-sensitive path `quantity`, POSTed additions, and `POST /system/bundles` of additions
//! GETs (switchable off, and with a cap on entities per bundled GET). Tests inject faults (429 with
//! `Retry-After`, 500, a slow answer, a connection dropped mid-answer), add latency, move the
//! codebase, and read every request it saw.
//!
//! Shared by several test binaries, each using a part of it.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State as Shared};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// The login company id the simulator accepts.
pub const COMPANY_ID: &str = "reckondemo";
/// The API member's public key.
pub const PUBLIC_KEY: &str = "sim-public-key";
/// The API member's private key.
pub const PRIVATE_KEY: &str = "sim-private-key";
/// The integration's clientId.
pub const CLIENT_ID: &str = "5d4b0a6e-0000-4000-8000-00000000c11d";
/// The codebase it serves at first.
pub const CODEBASE: &str = "v2025_1/";

/// A company.
#[derive(Debug, Clone)]
pub struct Company {
    pub id: i64,
    pub name: String,
    pub deleted: bool,
}

/// A catalog item (product).
#[derive(Debug, Clone)]
pub struct Product {
    pub id: i64,
    pub identifier: String,
    pub description: String,
    pub inactive: bool,
}

/// An agreement.
#[derive(Debug, Clone)]
pub struct Agreement {
    pub id: i64,
    pub name: String,
    pub company: i64,
    pub status: String,
    pub start_date: String,
    pub end_date: Option<String>,
}

/// An agreement addition.
#[derive(Debug, Clone)]
pub struct Addition {
    pub id: i64,
    pub agreement: i64,
    pub product: String,
    pub quantity: Value,
    pub bill_customer: String,
    pub effective_date: Option<String>,
    pub cancelled_date: Option<String>,
}

/// What to do to matching requests.
#[derive(Debug, Clone)]
pub enum FaultKind {
    /// 429 with `Retry-After: seconds`.
    TooManyRequests { retry_after: u64 },
    /// 500 with a ConnectWise error body.
    ServerError,
    /// Answer normally after a delay.
    Slow(Duration),
    /// Start a 200 answer and drop the connection mid-body.
    Drop,
}

/// A fault for the next `times` requests whose method matches and whose path contains `path`.
#[derive(Debug, Clone)]
pub struct Fault {
    pub method: Method,
    pub path: String,
    pub kind: FaultKind,
    pub times: u32,
}

/// One request as the simulator saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    /// The path below the REST root (or the full path for discovery and unknown paths).
    pub path: String,
    /// The raw query string.
    pub query: String,
    pub accept: Option<String>,
    pub authorization: Option<String>,
    pub client_id: Option<String>,
    pub body: String,
}

/// The simulated tenant.
#[derive(Debug)]
pub struct State {
    pub codebase: String,
    /// Codebases `/login/companyinfo` hands out before the real one (to simulate a stale one).
    pub advertised: VecDeque<String>,
    pub companies: Vec<Company>,
    pub products: Vec<Product>,
    pub agreements: Vec<Agreement>,
    pub additions: Vec<Addition>,
    pub faults: Vec<Fault>,
    /// Added to every answer.
    pub latency: Duration,
    /// Whether `POST /system/bundles` exists (404 when not).
    pub bundles: bool,
    /// The most entities one bundled GET returns (its `count` still says how many there are).
    pub bundle_page_cap: usize,
    pub requests: Vec<Seen>,
    next_id: i64,
}

impl Default for State {
    fn default() -> Self {
        Self {
            codebase: CODEBASE.to_owned(),
            advertised: VecDeque::new(),
            companies: Vec::new(),
            products: Vec::new(),
            agreements: Vec::new(),
            additions: Vec::new(),
            faults: Vec::new(),
            latency: Duration::ZERO,
            bundles: true,
            bundle_page_cap: 1000,
            requests: Vec::new(),
            next_id: 90_000,
        }
    }
}

impl State {
    pub fn company(&mut self, id: i64, name: &str) -> &mut Self {
        self.companies.push(Company {
            id,
            name: name.to_owned(),
            deleted: false,
        });
        self
    }

    pub fn product(&mut self, id: i64, identifier: &str, description: &str) -> &mut Self {
        self.products.push(Product {
            id,
            identifier: identifier.to_owned(),
            description: description.to_owned(),
            inactive: false,
        });
        self
    }

    pub fn agreement(&mut self, id: i64, company: i64, name: &str) -> &mut Self {
        self.agreements.push(Agreement {
            id,
            name: name.to_owned(),
            company,
            status: "Active".to_owned(),
            start_date: "2025-01-01T00:00:00Z".to_owned(),
            end_date: None,
        });
        self
    }

    /// An addition; dates as `YYYY-MM-DD`.
    pub fn addition(
        &mut self,
        id: i64,
        agreement: i64,
        product: &str,
        quantity: &str,
        effective: Option<&str>,
        cancelled: Option<&str>,
    ) -> &mut Self {
        let stamp = |d: &str| format!("{d}T00:00:00Z");
        self.additions.push(Addition {
            id,
            agreement,
            product: product.to_owned(),
            quantity: serde_json::from_str(quantity).unwrap_or(Value::Null),
            bill_customer: "Billable".to_owned(),
            effective_date: effective.map(stamp),
            cancelled_date: cancelled.map(stamp),
        });
        self
    }

    /// Faults `kind` on the next `times` requests with `method` whose path contains `path`.
    pub fn fault(&mut self, method: Method, path: &str, kind: FaultKind, times: u32) -> &mut Self {
        self.faults.push(Fault {
            method,
            path: path.to_owned(),
            kind,
            times,
        });
        self
    }

    /// An addition by id.
    pub fn addition_by_id(&self, id: i64) -> Option<&Addition> {
        self.additions.iter().find(|a| a.id == id)
    }

    /// Requests whose `METHOD path` starts with `prefix`, e.g. `GET finance/agreements`.
    pub fn count(&self, prefix: &str) -> usize {
        self.requests
            .iter()
            .filter(|r| format!("{} {}", r.method, r.path).starts_with(prefix))
            .count()
    }

    /// `companies` companies with one agreement each and additions for `products` on it.
    pub fn scaled(companies: i64, products: &[&str]) -> Self {
        let mut state = Self::default();
        for (n, product) in products.iter().enumerate() {
            state.product(1 + n as i64, product, product);
        }
        for c in 0..companies {
            let company = 10_000 + c;
            let agreement = 20_000 + c;
            state.company(company, &format!("Customer {c:04}"));
            state.agreement(agreement, company, "Managed Services");
            for (n, product) in products.iter().enumerate() {
                let id = 100_000 + c * 10 + n as i64;
                state.addition(id, agreement, product, "1", Some("2025-01-01"), None);
            }
        }
        state
    }
}

/// A running simulator; stops when dropped.
pub struct Simulator {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Simulator {
    /// Serves `state` on 127.0.0.1 at a free port.
    pub fn start(state: State) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(Mutex::new(state));
        let shared = Arc::clone(&state);
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let app = axum::Router::new().fallback(handle).with_state(shared);
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await;
            });
        });
        Self {
            addr,
            state,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`, the site for discovery.
    pub fn site(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The REST root of the current codebase.
    pub fn base_url(&self) -> String {
        format!("http://{}/{}apis/3.0", self.addr, self.state().codebase)
    }

    /// The tenant, for seeding, fault injection and assertions.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

type Tenant = Arc<Mutex<State>>;

fn lock(tenant: &Tenant) -> MutexGuard<'_, State> {
    tenant
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn handle(
    Shared(tenant): Shared<Tenant>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (latency, fault, root) = {
        let mut state = lock(&tenant);
        let root = format!("/{}apis/3.0/", state.codebase);
        let path = uri.path();
        let shown = path.strip_prefix(&root).unwrap_or(path).to_owned();
        let text = |name: &header::HeaderName| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        state.requests.push(Seen {
            method: method.clone(),
            path: shown,
            query: uri.query().unwrap_or("").to_owned(),
            accept: text(&header::ACCEPT),
            authorization: text(&header::AUTHORIZATION),
            client_id: headers
                .get("clientId")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        let fault = state
            .faults
            .iter_mut()
            .find(|f| f.times > 0 && f.method == method && path.contains(&f.path))
            .map(|f| {
                f.times -= 1;
                f.kind.clone()
            });
        (state.latency, fault, root)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match fault {
        Some(FaultKind::TooManyRequests { retry_after }) => {
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "slow down",
            );
            response.headers_mut().insert(
                header::RETRY_AFTER,
                retry_after.to_string().parse().expect("header value"),
            );
            return response;
        }
        Some(FaultKind::ServerError) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "ConnectWiseApi",
                "simulated failure",
            );
        }
        Some(FaultKind::Slow(delay)) => tokio::time::sleep(delay).await,
        Some(FaultKind::Drop) => {
            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(Bytes::from_static(b"[{\"id\":")),
                Err(std::io::Error::other("simulated dropped connection")),
            ];
            return (
                StatusCode::OK,
                Body::from_stream(futures_util::stream::iter(chunks)),
            )
                .into_response();
        }
        None => {}
    }
    let path = uri.path();
    if let Some(company) = path.strip_prefix("/login/companyinfo/") {
        return company_info(&tenant, company);
    }
    let Some(rest) = path.strip_prefix(&root) else {
        return error(StatusCode::NOT_FOUND, "NotFound", "no such codebase");
    };
    if let Some(refusal) = refuse(&headers) {
        return refusal;
    }
    let query = Query::<Vec<(String, String)>>::try_from_uri(&uri)
        .map(|q| q.0)
        .unwrap_or_default();
    let segments: Vec<&str> = rest.split('/').collect();
    let mut state = lock(&tenant);
    let request = Listing {
        query: &query,
        raw_query: uri.query().unwrap_or(""),
        url: format!("http://{}{}", host(&headers), path),
    };
    match (method, segments.as_slice()) {
        (Method::GET, ["system", "info"]) => {
            Json(json!({"version": "v2025.1.10520", "isCloud": true})).into_response()
        }
        (Method::POST, ["system", "bundles"]) => bundles(&state, &body),
        (Method::GET, ["company", "companies"]) => {
            request.list(state.companies.iter().map(company_json).collect())
        }
        (Method::GET, ["procurement", "catalog"]) => {
            request.list(state.products.iter().map(product_json).collect())
        }
        (Method::GET, ["finance", "agreements"]) => {
            let items = state
                .agreements
                .iter()
                .map(|a| agreement_json(&state, a))
                .collect();
            request.list(items)
        }
        (method, ["finance", "agreements", agreement, "additions", rest @ ..]) => {
            let Some(agreement) = agreement
                .parse::<i64>()
                .ok()
                .filter(|id| state.agreements.iter().any(|a| a.id == *id))
            else {
                return error(StatusCode::NOT_FOUND, "NotFound", "Agreement not found");
            };
            match (method, rest) {
                (Method::GET, []) => {
                    let items = state
                        .additions
                        .iter()
                        .filter(|a| a.agreement == agreement)
                        .map(|a| addition_json(&state, a))
                        .collect();
                    request.list(items)
                }
                (Method::POST, []) => create_addition(&mut state, agreement, &body),
                (method, [id]) => {
                    let found = id.parse::<i64>().ok().and_then(|id| {
                        state
                            .additions
                            .iter()
                            .position(|a| a.id == id && a.agreement == agreement)
                    });
                    let Some(index) = found else {
                        return error(StatusCode::NOT_FOUND, "NotFound", "Addition not found");
                    };
                    match method {
                        Method::GET => {
                            Json(addition_json(&state, &state.additions[index])).into_response()
                        }
                        Method::PATCH => patch_addition(&mut state, index, &body),
                        _ => error(
                            StatusCode::METHOD_NOT_ALLOWED,
                            "MethodNotAllowed",
                            "not allowed",
                        ),
                    }
                }
                _ => error(StatusCode::NOT_FOUND, "NotFound", "no such resource"),
            }
        }
        _ => error(StatusCode::NOT_FOUND, "NotFound", "no such resource"),
    }
}

/// `serde_json::Value` as a JSON response.
struct Json(Value);

impl IntoResponse for Json {
    fn into_response(self) -> Response {
        (
            [(header::CONTENT_TYPE, "application/json")],
            self.0.to_string(),
        )
            .into_response()
    }
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"code": code, "message": message, "errors": []})),
    )
        .into_response()
}

fn invalid(message: &str, field: &str, detail: &str) -> Response {
    let body = json!({
        "code": "InvalidObject",
        "message": message,
        "errors": [{"code": "InvalidField", "message": detail, "resource": "addition", "field": field}]
    });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

fn host(headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned()
}

fn company_info(tenant: &Tenant, company: &str) -> Response {
    let mut state = lock(tenant);
    if company != COMPANY_ID {
        return Json(Value::Null).into_response();
    }
    let codebase = state
        .advertised
        .pop_front()
        .unwrap_or_else(|| state.codebase.clone());
    Json(json!({
        "CompanyName": "Simulated MSP",
        "Codebase": codebase,
        "VersionCode": "v2025.1",
        "IsCloud": true
    }))
    .into_response()
}

/// The 401 a request without the right credentials and clientId gets.
fn refuse(headers: &HeaderMap) -> Option<Response> {
    let expected = format!(
        "Basic {}",
        base64(format!("{COMPANY_ID}+{PUBLIC_KEY}:{PRIVATE_KEY}").as_bytes())
    );
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if given != Some(expected.as_str()) {
        return Some(error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "UserNotAuthenticated",
        ));
    }
    let client_id = headers.get("clientId").and_then(|v| v.to_str().ok());
    if client_id != Some(CLIENT_ID) {
        return Some(error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "a valid clientId header is required",
        ));
    }
    None
}

/// A list request's paging, filtering and trimming.
struct Listing<'a> {
    query: &'a [(String, String)],
    raw_query: &'a str,
    url: String,
}

impl Listing<'_> {
    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn list(&self, items: Vec<Value>) -> Response {
        let page: usize = match self.param("page").map(str::parse).unwrap_or(Ok(1)) {
            Ok(page) if page >= 1 => page,
            _ => return out_of_range("page"),
        };
        let size: usize = match self.param("pageSize").map(str::parse).unwrap_or(Ok(25)) {
            Ok(size) if (1..=1000).contains(&size) => size,
            _ => return out_of_range("pageSize"),
        };
        let mut kept = Vec::new();
        for item in items {
            match self.param("conditions").map(|c| matches(&item, c)) {
                Some(Err(problem)) => {
                    let body = json!({"code": "InvalidObject", "message": problem, "errors": []});
                    return (StatusCode::BAD_REQUEST, Json(body)).into_response();
                }
                Some(Ok(false)) => {}
                Some(Ok(true)) | None => kept.push(item),
            }
        }
        let pages = kept.len().div_ceil(size).max(1);
        let shown: Vec<Value> = kept
            .into_iter()
            .skip((page - 1) * size)
            .take(size)
            .map(|item| self.trim(item))
            .collect();
        let mut links = Vec::new();
        if page < pages {
            links.push(format!("<{}>; rel=\"next\"", self.page_url(page + 1)));
            links.push(format!("<{}>; rel=\"last\"", self.page_url(pages)));
        }
        if page > 1 {
            links.push(format!("<{}>; rel=\"prev\"", self.page_url(page - 1)));
            links.push(format!("<{}>; rel=\"first\"", self.page_url(1)));
        }
        let mut response = Json(Value::Array(shown)).into_response();
        if !links.is_empty() {
            response
                .headers_mut()
                .insert(header::LINK, links.join(", ").parse().expect("link header"));
        }
        response
    }

    fn page_url(&self, page: usize) -> String {
        let mut pairs: Vec<&str> = self
            .raw_query
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("page="))
            .collect();
        let page = format!("page={page}");
        pairs.push(&page);
        format!("{}?{}", self.url, pairs.join("&"))
    }

    /// Keeps only the top-level fields named in `fields`, as ConnectWise does.
    fn trim(&self, item: Value) -> Value {
        let Some(fields) = self.param("fields") else {
            return item;
        };
        let Value::Object(all) = item else {
            return item;
        };
        let wanted: Vec<&str> = fields.split(',').map(str::trim).collect();
        Value::Object(
            all.into_iter()
                .filter(|(k, _)| wanted.contains(&k.as_str()))
                .collect(),
        )
    }
}

fn out_of_range(field: &str) -> Response {
    let body = json!({
        "code": "InvalidObject",
        "message": format!("{field} object is invalid"),
        "errors": [{"code": "OutOfRange", "message": format!("{field} is out of range"), "field": field}]
    });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// Evaluates `field=value and other!=value` against `item`.
fn matches(item: &Value, conditions: &str) -> Result<bool, String> {
    let lower = conditions.to_lowercase();
    let mut clauses = Vec::new();
    let mut start = 0;
    while let Some(found) = lower[start..].find(" and ") {
        clauses.push(&conditions[start..start + found]);
        start += found + 5;
    }
    clauses.push(&conditions[start..]);
    for clause in clauses {
        let (field, negated, literal) = if let Some((f, v)) = clause.split_once("!=") {
            (f, true, v)
        } else if let Some((f, v)) = clause.split_once('=') {
            (f, false, v)
        } else {
            return Err(format!("conditions: cannot parse \"{clause}\""));
        };
        let literal = literal_value(literal.trim())
            .ok_or_else(|| format!("conditions: cannot parse value in \"{clause}\""))?;
        let mut actual = item;
        for part in field.trim().split('/') {
            actual = actual.get(part).unwrap_or(&Value::Null);
        }
        let equal = match (&literal, actual) {
            (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
            (a, b) => a == b,
        };
        if equal == negated {
            return Ok(false);
        }
    }
    Ok(true)
}

fn literal_value(text: &str) -> Option<Value> {
    let quoted = |q: char| {
        text.strip_prefix(q)
            .and_then(|t| t.strip_suffix(q))
            .map(|t| Value::String(t.to_owned()))
    };
    match text {
        "true" => Some(Value::Bool(true)),
        "false" => Some(Value::Bool(false)),
        "null" => Some(Value::Null),
        _ => quoted('"').or_else(|| quoted('\'')).or_else(|| {
            serde_json::from_str::<serde_json::Number>(text)
                .ok()
                .map(Value::Number)
        }),
    }
}

fn company_json(company: &Company) -> Value {
    json!({
        "id": company.id,
        "identifier": format!("C{}", company.id),
        "name": company.name,
        "deletedFlag": company.deleted,
        "status": {"id": 1, "name": "Active"},
        "_info": {"lastUpdated": "2026-01-01T00:00:00Z"}
    })
}

fn product_json(product: &Product) -> Value {
    json!({
        "id": product.id,
        "identifier": product.identifier,
        "description": product.description,
        "inactiveFlag": product.inactive,
        "productClass": "Service",
        "recurringFlag": true
    })
}

fn agreement_json(state: &State, agreement: &Agreement) -> Value {
    let company = state.companies.iter().find(|c| c.id == agreement.company);
    json!({
        "id": agreement.id,
        "name": agreement.name,
        "type": {"id": 1, "name": "Managed Services"},
        "company": {
            "id": agreement.company,
            "identifier": format!("C{}", agreement.company),
            "name": company.map(|c| c.name.clone()),
        },
        "agreementStatus": agreement.status,
        "cancelledFlag": agreement.status == "Cancelled",
        "startDate": agreement.start_date,
        "endDate": agreement.end_date,
        "noEndingDateFlag": agreement.end_date.is_none(),
        "billingCycle": {"id": 1, "name": "Monthly"}
    })
}

fn addition_json(state: &State, addition: &Addition) -> Value {
    let product = state
        .products
        .iter()
        .find(|p| p.identifier == addition.product);
    json!({
        "id": addition.id,
        "product": {"id": product.map(|p| p.id), "identifier": addition.product},
        "quantity": addition.quantity,
        "lessIncluded": 0,
        "billCustomer": addition.bill_customer,
        "effectiveDate": addition.effective_date,
        "cancelledDate": addition.cancelled_date,
        "agreementId": addition.agreement,
        "unitPrice": 4.5
    })
}

/// `POST /system/bundles`: each request a GET of one agreement's additions.
fn bundles(state: &State, body: &[u8]) -> Response {
    if !state.bundles {
        return error(StatusCode::NOT_FOUND, "NotFound", "no such resource");
    }
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        return invalid("Bundle is invalid", "", "body must be JSON");
    };
    let Some(requests) = body.get("requests").and_then(Value::as_array) else {
        return invalid("Bundle is invalid", "requests", "requests is required");
    };
    let results: Vec<Value> = requests
        .iter()
        .map(|request| {
            let sequence = request.get("sequenceNumber").cloned().unwrap_or(Value::Null);
            let kind = request.get("resourceType").and_then(Value::as_str);
            let parent = request.pointer("/apiRequest/parentId").and_then(Value::as_i64);
            let size = request
                .pointer("/apiRequest/page/pageSize")
                .and_then(Value::as_u64)
                .map_or(25, |n| n as usize)
                .min(state.bundle_page_cap);
            match (kind, parent) {
                (Some("addition"), Some(parent))
                    if state.agreements.iter().any(|a| a.id == parent) =>
                {
                    let all: Vec<Value> = state
                        .additions
                        .iter()
                        .filter(|a| a.agreement == parent)
                        .map(|a| addition_json(state, a))
                        .collect();
                    json!({
                        "sequenceNumber": sequence, "statusCode": 200, "success": true,
                        "count": all.len(), "entities": all.into_iter().take(size).collect::<Vec<_>>()
                    })
                }
                _ => json!({
                    "sequenceNumber": sequence, "statusCode": 404, "success": false,
                    "error": {"code": "NotFound", "message": "Agreement not found"}
                }),
            }
        })
        .collect();
    Json(json!({ "results": results })).into_response()
}

fn patch_addition(state: &mut State, index: usize, body: &[u8]) -> Response {
    let Ok(Value::Array(operations)) = serde_json::from_slice::<Value>(body) else {
        return invalid(
            "Patch operations are invalid",
            "",
            "body must be a JSON array",
        );
    };
    for operation in &operations {
        let op = operation.get("op").and_then(Value::as_str).unwrap_or("");
        let path = operation.get("path").and_then(Value::as_str).unwrap_or("");
        if op != "replace" && op != "add" {
            return invalid(
                "Addition object is invalid",
                path,
                "op must be replace or add",
            );
        }
        // ConnectWise paths are case-sensitive field names without a leading slash.
        if path != "quantity" {
            return invalid(
                "Addition object is invalid",
                path,
                &format!("{path} is not a patchable field"),
            );
        }
        let Some(quantity) = number(operation.get("value")) else {
            return invalid(
                "Addition object is invalid",
                path,
                "quantity must be a number",
            );
        };
        state.additions[index].quantity = Value::Number(quantity);
    }
    Json(addition_json(state, &state.additions[index])).into_response()
}

fn create_addition(state: &mut State, agreement: i64, body: &[u8]) -> Response {
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        return invalid("Addition object is invalid", "", "body must be JSON");
    };
    let identifier = body.pointer("/product/identifier").and_then(Value::as_str);
    let Some(product) = identifier.filter(|i| state.products.iter().any(|p| p.identifier == *i))
    else {
        return invalid("Addition object is invalid", "product", "product not found");
    };
    if body.get("billCustomer").and_then(Value::as_str).is_none() {
        return invalid(
            "Addition object is invalid",
            "billCustomer",
            "billCustomer is required",
        );
    }
    let Some(quantity) = number(body.get("quantity")) else {
        return invalid(
            "Addition object is invalid",
            "quantity",
            "quantity must be a number",
        );
    };
    state.next_id += 1;
    let addition = Addition {
        id: state.next_id,
        agreement,
        product: product.to_owned(),
        quantity: Value::Number(quantity),
        bill_customer: "Billable".to_owned(),
        effective_date: body
            .get("effectiveDate")
            .and_then(Value::as_str)
            .map(str::to_owned),
        cancelled_date: None,
    };
    let created = addition_json(state, &addition);
    state.additions.push(addition);
    (StatusCode::CREATED, Json(created)).into_response()
}

/// A JSON number, or a string holding one (ConnectWise accepts both in a patch).
fn number(value: Option<&Value>) -> Option<serde_json::Number> {
    match value? {
        Value::Number(n) => Some(n.clone()),
        Value::String(s) => serde_json::from_str(s).ok(),
        _ => None,
    }
}

/// Standard base64, for checking the Basic credentials.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
