//! A stateful HaloPSA simulator for tests: axum on 127.0.0.1:0, in its own thread, stopped
//! when dropped.
//!
//! It holds clients (`components.schemas.Area`), items (`Item`) and recurring invoices
//! (`InvoiceHeader`) with their lines (`InvoiceDetail`), following the HaloPSA v2 OpenAPI
//! document (`shared/specs/halopsa-v2.openapi.json`), and serves what reckon uses:
//! `POST /auth/token` (OAuth2 client credentials, form-encoded, `?tenant=` when the instance
//! wants one; tokens expire after `token_life` and can be revoked to force a 401),
//! `GET /api/Client` and `/api/Item` (`includeinactive`), `GET /api/RecurringInvoice`
//! (`includelines`), paging (`pageinate`, `page_size`, `page_no`, answered with `record_count`),
//! `GET /api/RecurringInvoice/{id}` and `/api/Item/{id}`, and
//! `POST /api/RecurringInvoice/updatelines` (an array of lines: with an `id` changes that line,
//! without one adds a line). Tests inject faults (429 with `Retry-After`, 500, a slow answer or
//! a connection dropped after the work is done), add latency, and read every request it saw and
//! every line change it committed. A received request's work is finished even when its client
//! goes away, as a real server's is. The list-response wrapping (`{"record_count", "clients"}`)
//! follows public clients, not the OpenAPI document, which gives no response schemas.
#![allow(dead_code)]

mod api;
mod index;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::http::Method;
use serde_json::Value;

use super::connection;
use super::serving::Serving;

/// The API application's Client ID the simulator accepts.
pub const CLIENT_ID: &str = "sim-halo-client-id";
/// Its Client Secret.
pub const CLIENT_SECRET: &str = "sim-halo-client-secret-3f9c";

/// A client (customer).
#[derive(Debug, Clone)]
pub struct Client {
    pub id: i64,
    pub name: String,
    pub inactive: bool,
}

/// A catalogue item.
#[derive(Debug, Clone)]
pub struct Item {
    pub id: i64,
    pub name: String,
    pub baseprice: Value,
    pub recurringprice: Value,
}

/// A recurring invoice (`InvoiceHeader`).
#[derive(Debug, Clone)]
pub struct Invoice {
    pub id: i64,
    pub client_id: i64,
    pub reference: String,
    pub disabled: bool,
    pub startdate: Option<String>,
    pub enddate: Option<String>,
}

/// A recurring invoice line (`InvoiceDetail`).
#[derive(Debug, Clone)]
pub struct Line {
    pub id: i64,
    pub ihid: i64,
    pub item_id: i64,
    pub qty_order: Value,
    pub unit_price: Value,
    /// `InvoiceDetail.unit_cost` (number/double, nullable): null unless a test sets one.
    pub unit_cost: Value,
    pub isinactive: bool,
    pub startdate: Option<String>,
    pub enddate: Option<String>,
}

/// What to do to matching requests.
#[derive(Debug, Clone)]
pub enum FaultKind {
    /// 429 with `Retry-After: seconds`; nothing done.
    TooManyRequests { retry_after: u64 },
    /// 500; nothing done.
    ServerError,
    /// 401 as for an expired token; nothing done.
    Unauthorized,
    /// Do the work, then hold the answer this long (a timeout after the commit).
    Slow(Duration),
    /// Do the work, then drop the connection mid-answer.
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
    /// The path, e.g. `/api/RecurringInvoice/70`.
    pub path: String,
    pub query: String,
    pub authorization: Option<String>,
    pub body: String,
}

/// One line change `updatelines` committed.
#[derive(Debug, Clone)]
pub struct Written {
    pub line: i64,
    /// `None` when the line was created.
    pub from: Option<Value>,
    pub to: Value,
}

/// The simulated instance.
#[derive(Debug)]
pub struct State {
    pub clients: Vec<Client>,
    pub items: Vec<Item>,
    pub invoices: Vec<Invoice>,
    pub lines: Vec<Line>,
    pub faults: Vec<Fault>,
    /// The tenant `POST /auth/token` requires as `?tenant=` (hosted instances), if any.
    pub tenant: Option<String>,
    /// `expires_in` of issued tokens, in seconds.
    pub token_life: u64,
    /// Tokens accepted now.
    pub tokens: Vec<String>,
    /// How long each request's work takes (before it is done and answered).
    pub latency: Duration,
    pub requests: Vec<Seen>,
    pub writes: Vec<Written>,
    issued: u64,
    next_line: i64,
    indexes: index::Indexes,
}

impl Default for State {
    fn default() -> Self {
        Self {
            clients: Vec::new(),
            items: Vec::new(),
            invoices: Vec::new(),
            lines: Vec::new(),
            faults: Vec::new(),
            tenant: None,
            token_life: 3600,
            tokens: Vec::new(),
            latency: Duration::ZERO,
            requests: Vec::new(),
            writes: Vec::new(),
            issued: 0,
            next_line: 90_000,
            indexes: index::Indexes::default(),
        }
    }
}

impl State {
    pub fn client(&mut self, id: i64, name: &str) -> &mut Self {
        self.clients.push(Client {
            id,
            name: name.to_owned(),
            inactive: false,
        });
        self
    }

    /// An item with its (recurring) price as JSON number text.
    pub fn item(&mut self, id: i64, name: &str, price: &str) -> &mut Self {
        let price: Value = serde_json::from_str(price).unwrap_or(Value::Null);
        self.items.push(Item {
            id,
            name: name.to_owned(),
            baseprice: price.clone(),
            recurringprice: price,
        });
        self
    }

    pub fn invoice(&mut self, id: i64, client_id: i64, reference: &str) -> &mut Self {
        self.invoices.push(Invoice {
            id,
            client_id,
            reference: reference.to_owned(),
            disabled: false,
            startdate: Some("2025-01-01T00:00:00".to_owned()),
            enddate: None,
        });
        self
    }

    /// A line; `quantity` as JSON number text, dates as `YYYY-MM-DD`.
    pub fn line(
        &mut self,
        id: i64,
        ihid: i64,
        item_id: i64,
        quantity: &str,
        start: Option<&str>,
        end: Option<&str>,
    ) -> &mut Self {
        let stamp = |d: &str| format!("{d}T00:00:00");
        self.lines.push(Line {
            id,
            ihid,
            item_id,
            qty_order: serde_json::from_str(quantity).unwrap_or(Value::Null),
            unit_price: Value::from(1),
            unit_cost: Value::Null,
            isinactive: false,
            startdate: start.map(stamp),
            enddate: end.map(stamp),
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

    /// Forgets every token issued, so the next API request answers 401.
    pub fn revoke_tokens(&mut self) {
        self.tokens.clear();
    }

    pub fn line_by_id(&self, id: i64) -> Option<&Line> {
        self.lines.iter().find(|l| l.id == id)
    }

    /// Requests whose `METHOD path` starts with `prefix`, e.g. `GET /api/Client`.
    pub fn count(&self, prefix: &str) -> usize {
        self.requests
            .iter()
            .filter(|r| format!("{} {}", r.method, r.path).starts_with(prefix))
            .count()
    }

    /// The instance `examples/keeper-halopsa` is reconciled against (tests/it/halopsa.rs,
    /// examples/halopsa_sim.rs): its clients, items and recurring invoices with the example's
    /// ids, an ended line, a disabled invoice and an inactive client.
    pub fn keeper_example() -> Self {
        let mut state = Self {
            tenant: Some("acme".into()),
            ..Self::default()
        };
        state
            .client(40, "Acme Dental")
            .client(41, "Brightside Logistics")
            .client(42, "Cedar Law LLP")
            .client(43, "Delta Dental Group")
            .client(44, "Gone Client")
            .item(101, "Keeper Business Plus", "4.5")
            .item(102, "Keeper Business", "3.75")
            .item(103, "Keeper Enterprise", "6")
            .item(104, "Keeper 1TB Storage", "1.25")
            .item(105, "Keeper ARAM", "10")
            .item(106, "KeeperChat", "2.5")
            .item(107, "Keeper Enterprise BreachWatch", "2")
            .invoice(70, 40, "Acme Dental – Security")
            .invoice(71, 41, "Brightside Logistics – Security")
            .invoice(72, 42, "Cedar Law – Security")
            .invoice(73, 43, "Delta Dental Group – Security")
            .invoice(74, 40, "Acme Dental – old")
            .line(701, 70, 101, "10", None, None)
            // Ends after the effective date: still in force on 2026-11-01.
            .line(702, 70, 104, "8", Some("2025-01-01"), Some("2026-11-30"))
            .line(703, 70, 105, "1", None, None)
            // Ended before it: ignored (else Acme would have two Business Plus lines).
            .line(704, 70, 101, "4", None, Some("2026-06-30"))
            .line(711, 71, 102, "5", None, None)
            .line(712, 71, 106, "2", None, None)
            .line(721, 72, 101, "0", None, None)
            .line(731, 73, 103, "20", None, None)
            .line(741, 74, 101, "99", None, None);
        state.clients[4].inactive = true;
        state.invoices[4].disabled = true;
        state
    }

    /// `clients` clients with one recurring invoice each and a line per item of `items`.
    pub fn scaled(clients: i64, items: &[&str]) -> Self {
        let mut state = Self::default();
        for (n, item) in items.iter().enumerate() {
            state.item(1 + n as i64, item, "1");
        }
        for c in 0..clients {
            let client = 10_000 + c;
            let invoice = 20_000 + c;
            state.client(client, &format!("Customer {c:04}"));
            state.invoice(invoice, client, "Managed Services");
            for n in 0..items.len() {
                let id = 100_000 + c * 10 + n as i64;
                state.line(id, invoice, 1 + n as i64, "1", None, None);
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
        Self::start_at("127.0.0.1:0", state)
    }

    /// Serves `state` at `addr` (`127.0.0.1:8766`).
    pub fn start_at(addr: &str, state: State) -> Self {
        let listener = std::net::TcpListener::bind(addr).expect("bind the simulator's address");
        let state = Arc::new(Mutex::new(state));
        let shared = Arc::clone(&state);
        let server = Serving::start("sim-halopsa", listener, move || {
            axum::Router::new().fallback(api::handle).with_state(shared)
        });
        Self {
            addr: server.addr(),
            state,
            server,
        }
    }

    /// The resource server, `http://127.0.0.1:PORT/api`.
    pub fn resource_server(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    /// The authorisation server, `http://127.0.0.1:PORT/auth`.
    pub fn auth_server(&self) -> String {
        format!("http://{}/auth", self.addr)
    }

    /// Waits until no connection is open, so nothing sent before can still land.
    pub async fn quiesce(&self, limit: Duration) -> std::io::Result<()> {
        connection::quiesce(self.addr, self.server.connections(), limit).await
    }

    /// The instance, for seeding, fault injection and assertions.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
