//! Apply's batched reads on HaloPSA: the lines of many recurring invoices in one listing.
//!
//! `GET /RecurringInvoice` takes `client_ids` ("Filters by the specified clients, comma
//! seperated", `paths./RecurringInvoice.get` in halopsa-v2.openapi.json) and `includelines`,
//! but no list of invoice ids; so the invoices to read are found through their clients, which
//! the plan's read of the book ([`HaloPsa::contracts`]) remembers. An invoice the adapter has
//! not seen, or one the listing does not return, is read on its own (`GET
//! /RecurringInvoice/{id}`), as before. The write is one `POST /RecurringInvoice/updatelines`,
//! whose answer's shape is not documented: apply confirms it with the same batched read.

use std::collections::{BTreeSet, HashMap};

use rust_decimal::Decimal;

use super::client::Request;
use super::{Failure, HaloPsa, explain, ids, not_found, read_error, unreadable, wire};
use crate::observed::LineRef;
use crate::psa::{PsaError, Written};

/// Clients per listing: keeps the query string short (ids of up to 10 digits and commas).
const CLIENTS_PER_READ: usize = 50;

impl HaloPsa {
    /// Remembers which client each recurring invoice of the book belongs to.
    pub(super) fn remember_clients(&self, invoices: &[wire::Invoice]) {
        let mut known = self
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for invoice in invoices {
            if let Some(client) = invoice.client_id {
                known.insert(invoice.id, client);
            }
        }
    }

    /// The quantities of `lines`, one result per line: their invoices listed by client,
    /// [`CLIENTS_PER_READ`] clients a request (paged as any list).
    pub(super) async fn batched_quantities(
        &self,
        lines: &[LineRef],
    ) -> Vec<Result<Decimal, PsaError>> {
        let parsed: Vec<Result<(i64, i64), PsaError>> = lines.iter().map(ids).collect();
        let clients: Vec<i64> = {
            let known = self
                .clients
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            parsed
                .iter()
                .filter_map(|p| known.get(&p.as_ref().ok()?.0).copied())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect()
        };
        let mut invoices: HashMap<i64, wire::Invoice> = HashMap::new();
        for chunk in clients.chunks(CLIENTS_PER_READ) {
            match self.invoices_of(chunk).await {
                Ok(found) => invoices.extend(found.into_iter().map(|i| (i.id, i))),
                Err(error) => return lines.iter().map(|_| Err(error.clone())).collect(),
            }
        }
        let mut found = Vec::with_capacity(lines.len());
        for ids in parsed {
            found.push(match ids {
                Err(error) => Err(error),
                Ok((invoice, line)) => match invoices.get(&invoice) {
                    Some(listed) => quantity_in(listed, line),
                    None => self.held(invoice, line).await,
                },
            });
        }
        found
    }

    /// Every recurring invoice of `clients`, with its lines.
    async fn invoices_of(&self, clients: &[i64]) -> Result<Vec<wire::Invoice>, PsaError> {
        let list: Vec<String> = clients.iter().map(i64::to_string).collect();
        let request = Request::get("RecurringInvoice".into(), "GET RecurringInvoice")
            .param("client_ids", list.join(","))
            .param("includelines", "true");
        self.client
            .get_all(request)
            .await
            .map_err(|f| read_error(&f, "read the recurring invoices of the lines to write"))
    }

    /// One `updatelines` POST for a line apply has just read holding what the plan saw.
    pub(super) async fn update_checked(
        &self,
        line: &LineRef,
        quantity: Decimal,
    ) -> Result<Written, PsaError> {
        let (invoice, id) = ids(line)?;
        let (action, sent) = self.set_line(invoice, id, quantity).await;
        match sent {
            // The answer's shape is not documented: apply reads the line back.
            Ok(()) => Ok(Written::Unconfirmed),
            // A lost answer, or a server error that may have come after the commit.
            Err(failure @ (Failure::Transport { .. } | Failure::Status { status: 500.., .. })) => {
                Err(PsaError::OutcomeUnknown {
                    action,
                    message: explain(&failure),
                })
            }
            Err(failure) => Err(PsaError::Rejected {
                action,
                message: explain(&failure),
            }),
        }
    }
}

/// Line `line`'s quantity in a listed invoice.
fn quantity_in(invoice: &wire::Invoice, line: i64) -> Result<Decimal, PsaError> {
    let held = invoice
        .lines()
        .iter()
        .find(|l| l.id == line)
        .ok_or_else(|| not_found(invoice.id, line))?;
    held.quantity().map_err(|u| {
        unreadable(
            &u,
            &format!("line {line} of recurring invoice {}", invoice.id),
        )
    })
}
