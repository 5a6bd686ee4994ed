//! HaloPSA: recurring invoices are contracts, their lines (`InvoiceDetail`) are contract lines,
//! and a line's service is its item's id (`_itemid`, the `Item.id` a mapping names).
//!
//! Owns the mapping between [`Psa`] calls and HaloPSA requests: `GET /Client` (active only),
//! `GET /Item`, `GET /RecurringInvoice?includelines=true` and which recurring invoices and
//! lines are in force on a date, the read-before-write check, the write through
//! `POST /RecurringInvoice/updatelines` and the re-read after it, and how a failure is explained
//! (which setting or permission to check). The transport (token, retries, paging, counting) is
//! in `client`, the JSON shapes in `wire`. Decides nothing about quantities: it reads them and
//! writes the ones it is given.
//!
//! A line's `qty_order` is one number without a dated history (HaloPSA v2 OpenAPI,
//! `components.schemas.InvoiceDetail`): a write changes it from the next invoice the recurring
//! invoice creates on. The effective date selects which invoices and lines are in force (and
//! is a new line's `startdate`); it does not back-date a change.

mod batched;
mod client;
mod wire;

use chrono::NaiveDate;
use rust_decimal::Decimal;

pub use client::Options;
use client::{Client, Credentials, Failure, Request, describe};

use super::{CheckStep, Psa, PsaError, RequestCount, Written};
use crate::observed::{Company, Contract, LineRef, Service};
use crate::secret::Secret;

/// How to reach a HaloPSA instance.
pub struct Settings {
    /// The resource server, `https://{tenant}.halopsa.com/api` when hosted.
    pub resource_server: String,
    /// The authorisation server, `https://{tenant}.halopsa.com/auth` when hosted.
    pub auth_server: String,
    /// The API application's Client ID.
    pub client_id: Secret,
    /// The API application's Client Secret.
    pub client_secret: Secret,
    /// The tenant name, for hosted instances' token requests.
    pub tenant: Option<String>,
}

/// Writes in flight at once: each is a read, a POST and a read of one recurring invoice.
/// Hosted HaloPSA limits requests per rolling window (reported as 300 per 5 minutes, unverified),
/// not requests in flight; a few at once keep apply short without bursting it.
const WRITES_IN_FLIGHT: usize = 4;

/// A HaloPSA client.
pub struct HaloPsa {
    client: Client,
    /// The client of each recurring invoice the book's read saw, for apply's batched reads
    /// (`GET /RecurringInvoice` filters by clients, not by invoice ids).
    clients: std::sync::Mutex<std::collections::HashMap<i64, i64>>,
}

impl std::fmt::Debug for HaloPsa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HaloPsa")
            .field("resource_server", &self.client.resource())
            .finish_non_exhaustive()
    }
}

impl HaloPsa {
    /// A client for `settings`; sends nothing yet.
    pub fn new(settings: Settings, options: Options) -> Result<Self, reqwest::Error> {
        let credentials = Credentials {
            client_id: settings.client_id,
            client_secret: settings.client_secret,
            tenant: settings.tenant,
        };
        let client = Client::new(
            &settings.resource_server,
            &settings.auth_server,
            credentials,
            options,
        )?;
        Ok(Self {
            client,
            clients: std::sync::Mutex::default(),
        })
    }

    /// One recurring invoice with its lines: `GET /RecurringInvoice/{id}?includedetails=true`.
    async fn invoice(&self, id: i64) -> Result<wire::Invoice, PsaError> {
        let request = Request::get(
            format!("RecurringInvoice/{id}"),
            "GET RecurringInvoice/{id}",
        )
        .param("includedetails", "true");
        let body = self.client.send(&request).await.map_err(|f| match f {
            Failure::Status { status: 404, .. } => PsaError::NotFound {
                entity: "recurring invoice",
                id: id.to_string(),
            },
            other => read_error(&other, &format!("read recurring invoice {id}")),
        })?;
        serde_json::from_slice(&body).map_err(|e| {
            PsaError::Unavailable(format!(
                "recurring invoice {id} is not a HaloPSA recurring invoice ({e})"
            ))
        })
    }

    /// The quantity line `line` of recurring invoice `invoice` holds now.
    async fn held(&self, invoice: i64, line: i64) -> Result<Decimal, PsaError> {
        let found = self.invoice(invoice).await?;
        let Some(held) = found.lines().iter().find(|l| l.id == line) else {
            return Err(not_found(invoice, line));
        };
        held.quantity()
            .map_err(|u| unreadable(&u, &format!("line {line} of recurring invoice {invoice}")))
    }

    /// Sets line `id` of `invoice` to `quantity` with one `updatelines` POST; what it did, for
    /// messages, and the answer.
    async fn set_line(
        &self,
        invoice: i64,
        id: i64,
        quantity: Decimal,
    ) -> (String, Result<(), Failure>) {
        let action =
            format!("set the quantity of line {id} of recurring invoice {invoice} to {quantity}");
        let change = [wire::QuantityChange {
            id,
            ihid: invoice,
            qty_order: wire::number(quantity),
        }];
        (action, self.update_lines(&change).await)
    }

    /// `POST /RecurringInvoice/updatelines` with `body`; the answer's shape is not documented,
    /// so only its status counts and the caller re-reads.
    async fn update_lines(&self, body: &impl serde::Serialize) -> Result<(), Failure> {
        let request = Request::post(
            "RecurringInvoice/updatelines".into(),
            "POST RecurringInvoice/updatelines",
            body,
        );
        self.client.send(&request).await.map(|_| ())
    }
}

impl Psa for HaloPsa {
    fn describe(&self) -> String {
        format!("HaloPSA ({})", self.client.resource())
    }

    async fn companies(&self) -> Result<Vec<Company>, PsaError> {
        // `GET /Client` parameters `includeactive`/`includeinactive` (paths./Client.get).
        let request = Request::get("Client".into(), "GET Client")
            .param("includeactive", "true")
            .param("includeinactive", "false");
        let clients: Vec<wire::Client> = self
            .client
            .get_all(request)
            .await
            .map_err(|f| read_error(&f, "read the clients"))?;
        Ok(clients
            .into_iter()
            .filter(wire::Client::active)
            .map(wire::Client::observed)
            .collect())
    }

    async fn services(&self) -> Result<Vec<Service>, PsaError> {
        // `GET /Item` parameters `includeactive`/`includeinactive` (paths./Item.get).
        let request = Request::get("Item".into(), "GET Item")
            .param("includeactive", "true")
            .param("includeinactive", "false");
        let items: Vec<wire::Item> = self
            .client
            .get_all(request)
            .await
            .map_err(|f| read_error(&f, "read the items"))?;
        Ok(items.into_iter().map(wire::Item::observed).collect())
    }

    async fn contracts(&self, at: NaiveDate) -> Result<Vec<Contract>, PsaError> {
        // `includelines` (paths./RecurringInvoice.get): the lines come with their headers, so
        // the whole book is ⌈invoices / page_size⌉ requests.
        let request = Request::get("RecurringInvoice".into(), "GET RecurringInvoice")
            .param("includelines", "true");
        let invoices: Vec<wire::Invoice> = self
            .client
            .get_all(request)
            .await
            .map_err(|f| read_error(&f, "read the recurring invoices"))?;
        self.remember_clients(&invoices);
        let mut contracts = Vec::new();
        for invoice in invoices {
            let whose = format!("recurring invoice {}", invoice.id);
            if invoice
                .in_force_on(at)
                .map_err(|u| unreadable(&u, &whose))?
            {
                contracts.push(contract(invoice, at)?);
            }
        }
        Ok(contracts)
    }

    async fn line_quantity(&self, line: &LineRef, _at: NaiveDate) -> Result<Decimal, PsaError> {
        let (invoice, id) = ids(line)?;
        self.held(invoice, id).await
    }

    async fn set_quantity(
        &self,
        line: &LineRef,
        expected: Decimal,
        quantity: Decimal,
        _at: NaiveDate,
    ) -> Result<(), PsaError> {
        let (invoice, id) = ids(line)?;
        let found = self.held(invoice, id).await?;
        if found != expected {
            return Err(PsaError::Changed {
                contract: line.contract.clone(),
                line: line.line.clone(),
                expected,
                found,
            });
        }
        let (action, sent) = self.set_line(invoice, id, quantity).await;
        // Sent or not, what the line holds now is the answer; a write whose answer was lost is
        // re-read here, never sent again.
        let after = self.held(invoice, id).await;
        match (sent, after) {
            (_, Ok(now)) if now == quantity => Ok(()),
            (Ok(()), Ok(now)) => Err(PsaError::Rejected {
                action,
                message: format!("HaloPSA accepted it but the line holds {now}"),
            }),
            (Err(failure @ Failure::Transport { .. }), now) => Err(PsaError::OutcomeUnknown {
                action,
                message: format!("{} ({})", explain(&failure), still_holds(now)),
            }),
            // A server error may have come after the commit; without a re-read, nobody knows.
            (Err(failure @ Failure::Status { status: 500.., .. }), Err(reread)) => {
                Err(PsaError::OutcomeUnknown {
                    action,
                    message: format!(
                        "{}; re-reading the line failed too: {reread}",
                        explain(&failure)
                    ),
                })
            }
            (Err(failure), _) => Err(PsaError::Rejected {
                action,
                message: explain(&failure),
            }),
            (Ok(()), Err(reread)) => Err(PsaError::OutcomeUnknown {
                action,
                message: format!("the line could not be read back: {reread}"),
            }),
        }
    }

    async fn check(&self) -> Vec<CheckStep> {
        let mut steps = Vec::new();
        let token = self
            .client
            .token()
            .await
            .map(|_| "client credentials accepted (token issued)".to_owned())
            .map_err(|f| explain(&f));
        let authenticated = token.is_ok();
        steps.push(step("authenticate", token));
        if !authenticated {
            return steps;
        }
        let one = Request::get("Client".into(), "GET Client")
            .param("includeactive", "true")
            .param("pageinate", "true")
            .param("page_size", "1")
            .param("page_no", "1");
        let read = match self.client.send(&one).await {
            Ok(body) => match serde_json::from_slice::<wire::Page<wire::Client>>(&body) {
                Ok(page) => match page.rows.into_iter().next() {
                    Some(c) => Ok(format!(
                        "read client {} ({})",
                        c.id,
                        c.name.unwrap_or_default()
                    )),
                    None => Err(
                        "the API application sees no clients; check its permissions \
                                 (read:customers) and the agent it acts as"
                            .to_owned(),
                    ),
                },
                Err(e) => Err(format!(
                    "GET Client answered something other than a list ({e})"
                )),
            },
            Err(failure) => Err(explain(&failure)),
        };
        steps.push(step("read one client", read));
        steps
    }

    fn requests_used(&self) -> RequestCount {
        RequestCount {
            by_endpoint: self.client.counts(),
        }
    }

    fn write_concurrency(&self) -> usize {
        WRITES_IN_FLIGHT
    }

    fn batches_line_reads(&self) -> bool {
        true
    }

    async fn line_quantities(
        &self,
        lines: &[LineRef],
        _at: NaiveDate,
    ) -> Vec<Result<Decimal, PsaError>> {
        self.batched_quantities(lines).await
    }

    async fn write_checked(
        &self,
        line: &LineRef,
        _checked: Decimal,
        quantity: Decimal,
        _at: NaiveDate,
    ) -> Result<Written, PsaError> {
        self.update_checked(line, quantity).await
    }

    /// A listing per 50 clients before the writes and after, one POST per line; a new line: the
    /// item's price, the POST and a re-read.
    fn apply_cost(&self, updates: u64, creates: u64) -> u64 {
        2 * updates.div_ceil(50) + updates + 3 * creates
    }

    async fn create_line(
        &self,
        contract: &str,
        service: &str,
        quantity: Decimal,
        at: NaiveDate,
    ) -> Result<String, PsaError> {
        let invoice: i64 = contract.parse().map_err(|_| PsaError::NotFound {
            entity: "recurring invoice",
            id: contract.to_owned(),
        })?;
        let item_id: i64 = service.parse().map_err(|_| PsaError::NotFound {
            entity: "item",
            id: service.to_owned(),
        })?;
        let item = self.item(item_id).await?;
        let price = item
            .price()
            .map_err(|u| unreadable(&u, &format!("item {item_id}")))?;
        let before = self.invoice(invoice).await?;
        let existing: Vec<i64> = before.lines().iter().map(|l| l.id).collect();
        let action = format!("add an item {item_id} line to recurring invoice {invoice}");
        let line = [wire::NewLine {
            ihid: invoice,
            item_id,
            qty_order: wire::number(quantity),
            unit_price: wire::number(price),
            startdate: wire::datetime(at),
        }];
        let sent = self.update_lines(&line).await;
        // The new line's id is read back (the answer's shape is not documented), which also
        // settles a write whose answer was lost.
        let after = self.invoice(invoice).await;
        let created = after.as_ref().ok().and_then(|now| {
            now.lines()
                .iter()
                .find(|l| l.item_id == Some(item_id) && !existing.contains(&l.id))
                .map(|l| l.id.to_string())
        });
        match (sent, created) {
            (_, Some(id)) => Ok(id),
            (Err(failure @ Failure::Transport { .. }), None) => Err(PsaError::OutcomeUnknown {
                action,
                message: format!("{}; no new line is there yet", explain(&failure)),
            }),
            (Err(failure), None) => Err(PsaError::Rejected {
                action,
                message: explain(&failure),
            }),
            (Ok(()), None) => Err(PsaError::OutcomeUnknown {
                action,
                message: match after {
                    Ok(_) => "HaloPSA accepted it but no new line shows on re-read".to_owned(),
                    Err(e) => format!("the recurring invoice could not be read back: {e}"),
                },
            }),
        }
    }
}

impl HaloPsa {
    /// `GET /Item/{id}`, for a new line's price.
    async fn item(&self, id: i64) -> Result<wire::Item, PsaError> {
        let request = Request::get(format!("Item/{id}"), "GET Item/{id}");
        let body = self.client.send(&request).await.map_err(|f| match f {
            Failure::Status { status: 404, .. } => PsaError::NotFound {
                entity: "item",
                id: id.to_string(),
            },
            other => read_error(&other, &format!("read item {id}")),
        })?;
        serde_json::from_slice(&body)
            .map_err(|e| PsaError::Unavailable(format!("item {id} is not a HaloPSA item ({e})")))
    }
}

/// A recurring invoice and its lines in force on `at`, as a contract.
fn contract(invoice: wire::Invoice, at: NaiveDate) -> Result<Contract, PsaError> {
    let mut lines = Vec::new();
    for line in invoice.lines() {
        let whose = format!("line {} of recurring invoice {}", line.id, invoice.id);
        if line.in_force_on(at).map_err(|u| unreadable(&u, &whose))? {
            lines.push(line.observed().map_err(|u| unreadable(&u, &whose))?);
        }
    }
    let company_id = invoice.client_id.map(|id| id.to_string()).ok_or_else(|| {
        PsaError::Unavailable(format!("recurring invoice {} has no client_id", invoice.id))
    })?;
    Ok(Contract {
        id: invoice.id.to_string(),
        company_id,
        name: invoice.name(),
        lines,
        // HaloPSA recurring invoices have no service bundles.
        bundled: Vec::new(),
    })
}

/// A line reference's recurring invoice and line ids (HaloPSA ids are integers, possibly
/// negative).
fn ids(line: &LineRef) -> Result<(i64, i64), PsaError> {
    match (line.contract.parse(), line.line.parse()) {
        (Ok(invoice), Ok(id)) => Ok((invoice, id)),
        _ => Err(PsaError::NotFound {
            entity: "line",
            id: format!("{} of recurring invoice {}", line.line, line.contract),
        }),
    }
}

fn not_found(invoice: i64, line: i64) -> PsaError {
    PsaError::NotFound {
        entity: "line",
        id: format!("{line} of recurring invoice {invoice}"),
    }
}

fn still_holds(now: Result<Decimal, PsaError>) -> String {
    match now {
        Ok(now) => format!("the line still holds {now}"),
        Err(e) => format!("re-reading it failed too: {e}"),
    }
}

fn step(name: &str, outcome: Result<String, String>) -> CheckStep {
    CheckStep {
        name: name.to_owned(),
        outcome,
    }
}

/// A failure in words, saying what to check for 401 and 403.
fn explain(failure: &Failure) -> String {
    match failure {
        Failure::Token { status, message } => format!(
            "HaloPSA refused the client credentials (HTTP {status}: {message}); check psa.client_id \
             and psa.client_secret (an API application using Client ID and Secret, \
             Configuration → Integrations → HaloPSA API), psa.auth_server, and psa.tenant for a \
             hosted instance"
        ),
        Failure::Status {
            status: 401,
            message,
        } => format!(
            "HaloPSA rejected the token (HTTP 401: {message}); check psa.resource_server belongs to \
             the same instance as psa.auth_server"
        ),
        Failure::Status {
            status: 403,
            message,
        } => format!(
            "HaloPSA denied access (HTTP 403: {message}); the API application needs the \
             permissions read:customers, read:items, read:invoices and edit:invoices (and its \
             agent access to the clients)"
        ),
        other => describe(other),
    }
}

/// A failed read: the PSA could not be read.
fn read_error(failure: &Failure, action: &str) -> PsaError {
    PsaError::Unavailable(format!("cannot {action}: {}", explain(failure)))
}

fn unreadable(what: &wire::Unreadable, whose: &str) -> PsaError {
    PsaError::Unavailable(format!(
        "{whose} has a {} reckon cannot read: {}",
        what.field, what.value
    ))
}
