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
//! `Retry-After`, 500, a connection dropped mid-answer before the work; a slow answer or a
//! dropped connection after it), add latency, move the codebase, and read every request it saw
//! and every PATCH it committed. A received request's work is finished even when its client
//! goes away, as a real server's is.
//!
//! Shared by several test binaries, each using a part of it. The tenant and the server live
//! here; the API's routes and records in `api`, list paging and `conditions` in `listing`.
#![allow(dead_code)]

mod api;
mod listing;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::http::Method;
use serde_json::Value;

use super::connection;
use super::serving::Serving;

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
#[derive(Debug, Clone, Hash)]
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
    /// `CatalogItem.price`, a nullable double (`#/components/schemas/CatalogItem/properties/price`
    /// in ConnectWise's OpenAPI document).
    pub price: Value,
    /// `CatalogItem.cost`, a nullable double (`#/components/schemas/CatalogItem/properties/cost`).
    pub cost: Value,
}

/// An agreement.
#[derive(Debug, Clone, Hash)]
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
    /// `Addition.quantity`, a nullable double (`#/components/schemas/Addition/properties/quantity`):
    /// `Value::Null` is served as `"quantity": null`.
    pub quantity: Value,
    /// `Addition.unitPrice`, a nullable double. A created addition stores the `unitPrice` it was
    /// posted with, or 0 without one (what ConnectWise does then is not documented; 0 is the
    /// worst case, a line billed at nothing).
    pub unit_price: Value,
    /// `Addition.unitCost`, a nullable double (null unless a test sets one, or a POST sends it).
    pub unit_cost: Value,
    pub bill_customer: String,
    pub effective_date: Option<String>,
    pub cancelled_date: Option<String>,
}

/// What to do to matching requests.
#[derive(Debug, Clone)]
pub enum FaultKind {
    /// 429 with `Retry-After: seconds`; nothing done.
    TooManyRequests { retry_after: u64 },
    /// 500 with a ConnectWise error body; nothing done.
    ServerError,
    /// Do the work, then hold the answer this long (a timeout after the commit).
    Slow(Duration),
    /// Do the work, then start a 200 answer and drop the connection mid-body (a connection
    /// dropped after the commit).
    Drop,
    /// Start a 200 answer and drop the connection mid-body without doing anything.
    DropBeforeCommit,
    /// 401 whose plain-text body echoes the request's credentials: its `Authorization` header,
    /// decoded too, after `padding` characters of preamble (a misconfigured proxy or a hostile
    /// server; issue 15 reproduced one). Nothing done.
    EchoCredentials { padding: usize },
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

/// One quantity change a PATCH committed.
#[derive(Debug, Clone)]
pub struct Patched {
    pub addition: i64,
    pub from: Value,
    pub to: Value,
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
    /// How long each request's work takes (before it is done and answered).
    pub latency: Duration,
    /// Whether `POST /system/bundles` exists (404 when not).
    pub bundles: bool,
    /// The most entities one bundled GET returns (its `count` still says how many there are).
    pub bundle_page_cap: usize,
    /// Leave `rel="next"` out of every `Link` header (a lost link: full pages that seem last).
    pub drop_next_links: bool,
    pub requests: Vec<Seen>,
    /// Every quantity change committed by a PATCH, in order (a request log cannot tell a
    /// committed PATCH from one refused or cut before its work).
    pub patches: Vec<Patched>,
    next_id: i64,
    /// Positions in `companies` and `agreements` by id, and in `additions` by agreement: a
    /// real tenant answers from indexed tables, so a large simulated book must not cost a scan
    /// per lookup (that would be the simulator's time, not reckon's).
    company_at: HashMap<i64, usize>,
    agreement_at: HashMap<i64, usize>,
    additions_of: HashMap<i64, Vec<usize>>,
    /// Each listed collection's JSON with the fingerprint of the records it was built from: a
    /// paged list is asked for once per page, and building 20,000 agreements' JSON for each of
    /// 20 pages made the simulator's CPU grow with the square of the book (4 s of the
    /// 20,000-company bench's plan, against reckon's 0.4 s).
    listed: HashMap<&'static str, (u64, Arc<Vec<Value>>)>,
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
            drop_next_links: false,
            requests: Vec::new(),
            patches: Vec::new(),
            next_id: 90_000,
            company_at: HashMap::new(),
            agreement_at: HashMap::new(),
            additions_of: HashMap::new(),
            listed: HashMap::new(),
        }
    }
}

impl State {
    /// `collection`'s JSON, built by `build` unless it was built from the same `content`.
    pub(super) fn listed(
        &mut self,
        collection: &'static str,
        content: u64,
        build: impl FnOnce(&State) -> Vec<Value>,
    ) -> Arc<Vec<Value>> {
        if let Some((built_from, items)) = self.listed.get(collection)
            && *built_from == content
        {
            return Arc::clone(items);
        }
        let items = Arc::new(build(self));
        self.listed
            .insert(collection, (content, Arc::clone(&items)));
        items
    }

    pub fn company(&mut self, id: i64, name: &str) -> &mut Self {
        self.company_at.insert(id, self.companies.len());
        self.companies.push(Company {
            id,
            name: name.to_owned(),
            deleted: false,
        });
        self
    }

    /// A catalog item priced at 4.50.
    pub fn product(&mut self, id: i64, identifier: &str, description: &str) -> &mut Self {
        self.products.push(Product {
            id,
            identifier: identifier.to_owned(),
            description: description.to_owned(),
            inactive: false,
            price: Value::from(4.5),
            cost: Value::Null,
        });
        self
    }

    /// Sets the catalog price of `identifier` (`Value::Null` for none).
    pub fn price(&mut self, identifier: &str, price: Value) -> &mut Self {
        for product in self
            .products
            .iter_mut()
            .filter(|p| p.identifier == identifier)
        {
            product.price = price.clone();
        }
        self
    }

    pub fn agreement(&mut self, id: i64, company: i64, name: &str) -> &mut Self {
        self.agreement_at.insert(id, self.agreements.len());
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

    /// An addition; dates as `YYYY-MM-DD`; `quantity` is JSON (`"null"` for a null quantity);
    /// its unit price is its product's.
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
        let unit_price = self
            .products
            .iter()
            .find(|p| p.identifier == product)
            .map_or(Value::Null, |p| p.price.clone());
        self.push_addition(Addition {
            id,
            agreement,
            product: product.to_owned(),
            quantity: serde_json::from_str(quantity).unwrap_or(Value::Null),
            unit_price,
            unit_cost: Value::Null,
            bill_customer: "Billable".to_owned(),
            effective_date: effective.map(stamp),
            cancelled_date: cancelled.map(stamp),
        });
        self
    }

    /// Adds `addition`, keeping the by-agreement index.
    pub fn push_addition(&mut self, addition: Addition) {
        self.additions_of
            .entry(addition.agreement)
            .or_default()
            .push(self.additions.len());
        self.additions.push(addition);
    }

    /// A company by id.
    pub fn company_by_id(&self, id: i64) -> Option<&Company> {
        self.company_at.get(&id).map(|&at| &self.companies[at])
    }

    /// Whether agreement `id` exists.
    pub fn has_agreement(&self, id: i64) -> bool {
        self.agreement_at.contains_key(&id)
    }

    /// Positions in `additions` of agreement `id`'s additions.
    pub fn additions_at(&self, agreement: i64) -> &[usize] {
        self.additions_of.get(&agreement).map_or(&[], Vec::as_slice)
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
    server: Serving,
}

impl Simulator {
    /// Serves `state` on 127.0.0.1 at a free port.
    pub fn start(state: State) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let state = Arc::new(Mutex::new(state));
        let shared = Arc::clone(&state);
        let server = Serving::start("sim-connectwise", listener, move || {
            axum::Router::new().fallback(api::handle).with_state(shared)
        });
        Self {
            addr: server.addr(),
            state,
            server,
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

    /// Waits until no connection is open, so nothing sent before can still land (see
    /// [`connection::quiesce`]).
    pub async fn quiesce(&self, limit: Duration) -> std::io::Result<()> {
        connection::quiesce(self.addr, self.server.connections(), limit).await
    }

    /// The tenant, for seeding, fault injection and assertions.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
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
