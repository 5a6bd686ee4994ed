//! ConnectWise PSA (Manage): agreements are contracts, agreement additions are their lines, and
//! a line's service is its product's Product ID (`product/identifier`).
//!
//! Owns the mapping between [`Psa`] calls and ConnectWise requests: which endpoints, which
//! `conditions`, which additions are in force on a date, the read-before-write check, and how a
//! failure is explained (with the agreement and addition involved, and for 401/403 which setting
//! to check). The transport (discovery, auth, retries, paging, counting) is in `client`, reading
//! many agreements' additions (bundled) in `additions`, the JSON shapes in `wire`. Decides nothing about quantities: it reads them and writes the
//! ones it is given.
//!
//! ConnectWise has no dated quantity history on an addition: a PATCH changes the quantity from
//! now on. The effective date reckon passes is therefore used to decide which additions are in
//! force (and as a new addition's `effectiveDate`), not to back-date a change.

mod additions;
mod client;
mod request;
mod wire;

use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

pub use client::{API_VERSION, Options};
use client::{Client, Credentials};
use request::{Failure, Request, describe};

use super::http::Outbound;
use super::{CheckStep, Psa, PsaError, RequestCount, Written};
use crate::observed::{Company, Contract, LineRef, Service};
use crate::secret::Secret;

/// How to reach a ConnectWise tenant.
pub struct Settings {
    /// Site host (`api-na.myconnectwise.net`) or URL with scheme.
    pub site: String,
    /// The login company id.
    pub company_id: String,
    /// The API member's public key.
    pub public_key: Secret,
    /// The API member's private key.
    pub private_key: Secret,
    /// The integration's registered clientId.
    pub client_id: String,
    /// The REST root (`https://…/{codebase}/apis/3.0`); discovered from the site when absent.
    pub base_url: Option<String>,
}

/// A ConnectWise PSA client.
pub struct ConnectWisePsa {
    client: Arc<Client>,
}

impl std::fmt::Debug for ConnectWisePsa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectWisePsa")
            .field("site", &self.client.site())
            .finish_non_exhaustive()
    }
}

impl ConnectWisePsa {
    /// A client for `settings`, allowed to reach any https (or loopback http) host; sends
    /// nothing yet.
    pub fn new(settings: Settings, options: Options) -> Result<Self, reqwest::Error> {
        Self::reaching(settings, options, Outbound::default())
    }

    /// A client for `settings` that sends requests only where `outbound` allows.
    pub fn reaching(
        settings: Settings,
        options: Options,
        outbound: Outbound,
    ) -> Result<Self, reqwest::Error> {
        let credentials = Credentials {
            company_id: settings.company_id,
            public_key: settings.public_key,
            private_key: settings.private_key,
            client_id: settings.client_id,
        };
        let client = Client::new(
            &settings.site,
            settings.base_url.as_deref(),
            credentials,
            options,
            outbound,
        )?;
        Ok(Self {
            client: Arc::new(client),
        })
    }

    async fn read_addition(&self, line: &LineRef) -> Result<(i64, i64, wire::Addition), PsaError> {
        let (agreement, addition) = ids(line)?;
        let request = Request::get(
            format!("finance/agreements/{agreement}/additions/{addition}"),
            "GET finance/agreements/{id}/additions/{id}",
        );
        let action = format!("read addition {addition} of agreement {agreement}");
        let found = self
            .client
            .send(&request)
            .await
            .and_then(|r| r.json::<wire::Addition>())
            .map_err(|failure| match failure {
                Failure::Status { status: 404, .. } => not_found(line),
                other => read_error(other, &action),
            })?;
        Ok((agreement, addition, found))
    }
}

impl ConnectWisePsa {
    /// `PATCH` addition `addition` of `agreement` to `quantity`, once; `Ok` only when the
    /// answer shows the addition holding it.
    async fn patch_quantity(
        &self,
        agreement: i64,
        addition: i64,
        quantity: Decimal,
    ) -> Result<(), PsaError> {
        let whose = format!("addition {addition} of agreement {agreement}");
        let operation = wire::PatchOperation {
            op: "replace",
            path: "quantity",
            value: wire::number_value(quantity),
        };
        let request = Request::patch(
            format!("finance/agreements/{agreement}/additions/{addition}"),
            "PATCH finance/agreements/{id}/additions/{id}",
            &[operation],
        );
        let action = format!("set the quantity of {whose} to {quantity}");
        let updated: wire::Addition = self
            .client
            .send(&request)
            .await
            .and_then(|r| r.json())
            .map_err(|f| write_error(f, &action))?;
        let stored = updated.quantity().map_err(|u| unreadable(&u, &whose))?;
        if stored != quantity {
            return Err(PsaError::Rejected {
                action,
                message: format!("ConnectWise stored {} instead", stored.normalize()),
            });
        }
        Ok(())
    }

    /// The quantities of `lines`: their agreements' additions read in `/system/bundles`
    /// batches ([`additions::Reader`], the plan's reader), one result per line.
    async fn batched_quantities(&self, lines: &[LineRef]) -> Vec<Result<Decimal, PsaError>> {
        let parsed: Vec<Result<(i64, i64), PsaError>> = lines.iter().map(ids).collect();
        let agreements: Vec<i64> = parsed
            .iter()
            .filter_map(|p| p.as_ref().ok().map(|(agreement, _)| *agreement))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut reader = additions::Reader::new(&self.client);
        reader.start(&agreements);
        let found = match reader.finish().await {
            Ok(found) => found,
            Err(error) => return lines.iter().map(|_| Err(error.clone())).collect(),
        };
        lines
            .iter()
            .zip(parsed)
            .map(|(line, ids)| {
                let (agreement, addition) = ids?;
                let held = found
                    .get(&agreement)
                    .and_then(|all| all.iter().find(|a| a.id == addition))
                    .ok_or_else(|| not_found(line))?;
                held.quantity().map(|q| q.normalize()).map_err(|u| {
                    unreadable(&u, &format!("addition {addition} of agreement {agreement}"))
                })
            })
            .collect()
    }
}

impl ConnectWisePsa {
    /// The catalog price of Product ID `service`, which a created addition carries: one
    /// `GET procurement/catalog` for it. An item without a price is refused rather than added
    /// as a line billed at nothing.
    async fn catalog_price(&self, service: &str, action: &str) -> Result<Decimal, PsaError> {
        let escaped = service.replace('\\', "\\\\").replace('"', "\\\"");
        let request = Request::get("procurement/catalog".into(), "GET procurement/catalog")
            .param("conditions", format!("identifier=\"{escaped}\""))
            .param("fields", "identifier,description,price")
            .param("pageSize", "2");
        let items: Vec<wire::CatalogItem> = self
            .client
            .send(&request)
            .await
            .and_then(|r| r.json())
            .map_err(|f| read_error(f, &format!("read the price of {service}")))?;
        let item = items
            .into_iter()
            .find(|item| item.identifier == service)
            .ok_or_else(|| PsaError::NotFound {
                entity: "catalog item",
                id: service.to_owned(),
            })?;
        let whose = format!("catalog item {service}");
        match item.price().map_err(|u| unreadable(&u, &whose))? {
            Some(price) => Ok(price),
            None => Err(PsaError::Rejected {
                action: action.to_owned(),
                message: format!(
                    "catalog item {service} has no price, so the addition would bill nothing; \
                     set its price in ConnectWise (Procurement → Product Catalog) and re-run"
                ),
            }),
        }
    }
}

impl Psa for ConnectWisePsa {
    fn describe(&self) -> String {
        format!(
            "ConnectWise ({}, company {})",
            self.client.site(),
            self.client.company_id()
        )
    }

    async fn companies(&self) -> Result<Vec<Company>, PsaError> {
        let request = Request::get("company/companies".into(), "GET company/companies")
            .param("conditions", "deletedFlag=false")
            .param("fields", "id,name");
        let companies: Vec<wire::Company> = self
            .client
            .get_all(request)
            .await
            .map_err(|f| read_error(f, "read the companies"))?;
        let observed = companies.into_iter().map(wire::Company::observed);
        Ok(observed
            .map(|company| Company {
                name: self.client.redact(&company.name),
                ..company
            })
            .collect())
    }

    async fn services(&self) -> Result<Vec<Service>, PsaError> {
        let request = Request::get("procurement/catalog".into(), "GET procurement/catalog")
            .param("conditions", "inactiveFlag=false")
            .param("fields", "identifier,description,price,cost");
        let items: Vec<wire::CatalogItem> = self
            .client
            .get_all(request)
            .await
            .map_err(|f| read_error(f, "read the product catalog"))?;
        let observed = items.into_iter().map(wire::CatalogItem::observed);
        Ok(observed
            .map(|service| Service {
                name: self.client.redact(&service.name),
                ..service
            })
            .collect())
    }

    async fn contracts(&self, at: NaiveDate) -> Result<Vec<Contract>, PsaError> {
        let request = Request::get("finance/agreements".into(), "GET finance/agreements")
            .param("conditions", "agreementStatus=\"Active\"")
            .param(
                "fields",
                "id,name,company,startDate,endDate,noEndingDateFlag",
            );
        // Each page's running agreements start their additions reads at once, overlapping
        // the next page's read.
        let mut additions = additions::Reader::new(&self.client);
        let mut running = Vec::new();
        let mut first_unreadable = None;
        self.client
            .get_pages(request, |page: Vec<wire::Agreement>| {
                let first = running.len();
                keep_running(page, at, &mut running, &mut first_unreadable);
                let ids: Vec<i64> = running[first..].iter().map(|a| a.id).collect();
                additions.start(&ids);
            })
            .await
            .map_err(|f| read_error(f, "read the agreements"))?;
        if let Some(error) = first_unreadable {
            return Err(error);
        }
        let mut lines = additions.finish().await?;
        running
            .into_iter()
            .map(|agreement| {
                let additions = lines.remove(&agreement.id).unwrap_or_default();
                let found = contract(agreement, additions, at)?;
                Ok(Contract {
                    name: self.client.redact(&found.name),
                    ..found
                })
            })
            .collect()
    }

    // An addition has one quantity, not a dated history (see the module doc), so `at` has
    // nothing to select here or in `set_quantity`.
    async fn line_quantity(&self, line: &LineRef, _at: NaiveDate) -> Result<Decimal, PsaError> {
        let (agreement, addition, found) = self.read_addition(line).await?;
        found
            .quantity()
            .map(|q| q.normalize())
            .map_err(|u| unreadable(&u, &format!("addition {addition} of agreement {agreement}")))
    }

    async fn set_quantity(
        &self,
        line: &LineRef,
        expected: Decimal,
        quantity: Decimal,
        _at: NaiveDate,
    ) -> Result<(), PsaError> {
        let (agreement, addition, current) = self.read_addition(line).await?;
        let whose = format!("addition {addition} of agreement {agreement}");
        let found = current.quantity().map_err(|u| unreadable(&u, &whose))?;
        if found != expected {
            return Err(PsaError::Changed {
                contract: line.contract.clone(),
                line: line.line.clone(),
                expected,
                found: found.normalize(),
            });
        }
        self.patch_quantity(agreement, addition, quantity).await
    }

    async fn check(&self) -> Vec<CheckStep> {
        let mut steps = Vec::new();
        let found = match self.client.base().await {
            Ok(base) if self.client.discovers() => Ok(format!("codebase discovered: {base}")),
            Ok(base) => Ok(format!("using psa.base_url {base}")),
            Err(failure) => Err(describe(&failure)),
        };
        steps.push(step("find the API", found));
        if steps.iter().any(|s| s.outcome.is_err()) {
            return steps;
        }
        let info = Request::get("system/info".into(), "GET system/info");
        let authenticated = self
            .client
            .send(&info)
            .await
            .and_then(|r| r.json::<wire::SystemInfo>())
            .map(|info| {
                let version = info.version.map_or_else(
                    || "(version not given)".to_owned(),
                    |v| self.client.redact(&v),
                );
                format!("API keys and clientId accepted (ConnectWise {version})")
            })
            .map_err(|f| explain(&f));
        steps.push(step("authenticate", authenticated));
        if steps.iter().any(|s| s.outcome.is_err()) {
            return steps;
        }
        let one = Request::get("company/companies".into(), "GET company/companies")
            .param("conditions", "deletedFlag=false")
            .param("fields", "id,name")
            .param("pageSize", "1");
        let company = match self
            .client
            .send(&one)
            .await
            .and_then(|r| r.json::<Vec<wire::Company>>())
        {
            Ok(companies) => match companies.into_iter().next() {
                Some(c) => Ok(format!(
                    "read company {} ({})",
                    c.id,
                    self.client.redact(&c.name)
                )),
                None => Err("the API member sees no companies; check its security role \
                             (Companies → Company Maintenance: Inquire)"
                    .to_owned()),
            },
            Err(failure) => Err(explain(&failure)),
        };
        steps.push(step("read one company", company));
        steps
    }

    fn requests_used(&self) -> RequestCount {
        RequestCount {
            by_endpoint: self.client.counts(),
        }
    }

    /// As many as the bundled reads keep in flight: each write is a GET and a PATCH of one
    /// addition, and writes to different additions do not interfere.
    fn write_concurrency(&self) -> usize {
        self.client.write_concurrency()
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

    /// One PATCH: its answer shows the stored quantity, so nothing is read to confirm it.
    async fn write_checked(
        &self,
        line: &LineRef,
        _checked: Decimal,
        quantity: Decimal,
        _at: NaiveDate,
    ) -> Result<Written, PsaError> {
        let (agreement, addition) = ids(line)?;
        self.patch_quantity(agreement, addition, quantity).await?;
        Ok(Written::Confirmed)
    }

    /// A bundle per 25 agreements before the writes and a PATCH per line; a new addition: its
    /// catalog price and the POST.
    fn apply_cost(&self, updates: u64, creates: u64) -> u64 {
        updates.div_ceil(additions::BUNDLE_SIZE as u64) + updates + 2 * creates
    }

    async fn create_line(
        &self,
        contract: &str,
        service: &str,
        quantity: Decimal,
        at: NaiveDate,
    ) -> Result<String, PsaError> {
        let agreement: i64 = contract.parse().map_err(|_| PsaError::NotFound {
            entity: "agreement",
            id: contract.to_owned(),
        })?;
        let action = format!("add a {service} addition to agreement {agreement}");
        let price = self.catalog_price(service, &action).await?;
        let body = wire::NewAddition {
            product: wire::ProductByIdentifier {
                identifier: service.to_owned(),
            },
            bill_customer: "Billable",
            quantity: wire::number_value(quantity),
            unit_price: wire::number_value(price),
            effective_date: wire::datetime(at),
        };
        let request = Request::post(
            format!("finance/agreements/{agreement}/additions"),
            "POST finance/agreements/{id}/additions",
            &body,
        );
        let created: wire::Addition = self
            .client
            .send(&request)
            .await
            .and_then(|r| r.json())
            .map_err(|f| write_error(f, &action))?;
        Ok(created.id.to_string())
    }
}

/// An agreement and its additions in force on `at`, as a contract.
fn contract(
    agreement: wire::Agreement,
    additions: Vec<wire::Addition>,
    at: NaiveDate,
) -> Result<Contract, PsaError> {
    let mut lines = Vec::new();
    for addition in additions {
        let whose = format!("addition {} of agreement {}", addition.id, agreement.id);
        if addition
            .in_force_on(at)
            .map_err(|u| unreadable(&u, &whose))?
        {
            lines.push(addition.line().map_err(|u| unreadable(&u, &whose))?);
        }
    }
    let company_id = agreement
        .company
        .id
        .map(|id| id.to_string())
        .ok_or_else(|| {
            PsaError::Unavailable(format!("agreement {} has no company id", agreement.id))
        })?;
    Ok(Contract {
        id: agreement.id.to_string(),
        company_id,
        name: agreement.name,
        lines,
        bundled: Vec::new(),
    })
}

/// A line reference's agreement and addition ids (ConnectWise ids are numbers).
/// Appends the agreements of `page` that run on `at` to `running`; the first whose dates cannot
/// be read is kept in `unreadable` (the read goes on, so the error comes after every page).
fn keep_running(
    page: Vec<wire::Agreement>,
    at: NaiveDate,
    running: &mut Vec<wire::Agreement>,
    first_unreadable: &mut Option<PsaError>,
) {
    for agreement in page {
        match agreement.runs_on(at) {
            Ok(true) => running.push(agreement),
            Ok(false) => {}
            Err(u) => {
                first_unreadable
                    .get_or_insert_with(|| unreadable(&u, &format!("agreement {}", agreement.id)));
            }
        }
    }
}

fn ids(line: &LineRef) -> Result<(i64, i64), PsaError> {
    match (line.contract.parse(), line.line.parse()) {
        (Ok(agreement), Ok(addition)) => Ok((agreement, addition)),
        _ => Err(not_found(line)),
    }
}

fn not_found(line: &LineRef) -> PsaError {
    PsaError::NotFound {
        entity: "addition",
        id: format!("{} of agreement {}", line.line, line.contract),
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
        Failure::Status {
            status: 401,
            message,
        } => format!(
            "ConnectWise rejected the credentials (HTTP 401: {message}); check psa.company_id, \
             psa.public_key and psa.private_key (an API member's keys) and psa.client_id"
        ),
        Failure::Status {
            status: 403,
            message,
        } => format!(
            "ConnectWise denied access (HTTP 403: {message}); the API member's security role \
             needs Inquire on Companies and Product Catalog and Inquire/Add/Edit on Agreements"
        ),
        other => describe(other),
    }
}

/// A failed read: reckon cannot plan without it.
fn read_error(failure: Failure, action: &str) -> PsaError {
    PsaError::Unavailable(format!("cannot {action}: {}", explain(&failure)))
}

/// A failed write, with the agreement and addition in `action`: refused by ConnectWise, or
/// sent without an answer (its outcome unknown until the next plan reads the line).
fn write_error(failure: Failure, action: &str) -> PsaError {
    match failure {
        Failure::Transport { .. } | Failure::Body { .. } => PsaError::OutcomeUnknown {
            action: action.to_owned(),
            message: explain(&failure),
        },
        refused => PsaError::Rejected {
            action: action.to_owned(),
            message: explain(&refused),
        },
    }
}

fn unreadable(what: &wire::Unreadable, whose: &str) -> PsaError {
    PsaError::Unavailable(format!(
        "{whose} has a {} reckon cannot read: {}",
        what.field, what.value
    ))
}
