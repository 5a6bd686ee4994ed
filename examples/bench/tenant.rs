//! A running PSA simulator holding the synthetic book, behind one face for the bench and the
//! soak: the workspace's `psa:` block, latency, faults, each line's live quantity, the writes
//! committed per line, and waiting until no request can still land.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::msp::{self, Book};
use crate::{Kind, sim};

/// The simulator of one PSA kind.
pub enum Server {
    /// Autotask.
    Autotask(sim::autotask::Sim),
    /// ConnectWise.
    ConnectWise(sim::connectwise::Simulator),
    /// HaloPSA.
    HaloPsa(sim::halopsa::Simulator),
}

/// A seeded simulator, its PSA service ids and every line's id per customer.
pub struct Tenant {
    /// The simulator.
    pub server: Server,
    /// Service ids (Autotask) or product ids (ConnectWise), in `msp::LINES` order.
    pub services: [String; 4],
    /// Company, contract and line ids per customer.
    pub customers: Vec<msp::Ids>,
}

/// The effective date of the October plan.
pub fn effective_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default()
}

impl Tenant {
    /// Starts `kind`'s simulator holding `book.live`.
    pub fn start(kind: Kind, book: &Book) -> Self {
        match kind {
            Kind::Autotask => {
                let (sim, services, customers) = msp::autotask(book);
                Self {
                    server: Server::Autotask(sim),
                    services,
                    customers,
                }
            }
            Kind::ConnectWise => {
                let (state, services, customers) = msp::connectwise(book);
                Self {
                    server: Server::ConnectWise(sim::connectwise::Simulator::start(state)),
                    services,
                    customers,
                }
            }
            Kind::HaloPsa => {
                let (state, services, customers) = msp::halopsa(book);
                Self {
                    server: Server::HaloPsa(sim::halopsa::Simulator::start(state)),
                    services,
                    customers,
                }
            }
        }
    }

    /// Writes the credentials under `dir/secrets/` and returns the `psa:` block reading them.
    pub fn psa_block(&self, dir: &Path) -> std::io::Result<String> {
        let secret = |name: &str, value: &str| -> std::io::Result<String> {
            std::fs::create_dir_all(dir.join("secrets"))?;
            std::fs::write(dir.join("secrets").join(name), value)?;
            Ok(format!("{{ file: secrets/{name} }}"))
        };
        Ok(match &self.server {
            Server::Autotask(sim) => format!(
                "psa:\n  kind: autotask\n  username: {}\n  secret: {}\n  integration_code: {}\n  base_url: {}\n",
                secret("username", sim::autotask::USERNAME)?,
                secret("secret", sim::autotask::SECRET)?,
                secret("integration_code", sim::autotask::INTEGRATION_CODE)?,
                sim.base_url()
            ),
            Server::ConnectWise(sim) => format!(
                "psa:\n  kind: connectwise\n  site: {}\n  company_id: {}\n  public_key: {}\n  private_key: {}\n  client_id: {}\n  base_url: {}\n",
                sim.site(),
                sim::connectwise::COMPANY_ID,
                secret("public_key", sim::connectwise::PUBLIC_KEY)?,
                secret("private_key", sim::connectwise::PRIVATE_KEY)?,
                sim::connectwise::CLIENT_ID,
                sim.base_url()
            ),
            Server::HaloPsa(sim) => format!(
                "psa:\n  kind: halopsa\n  resource_server: {}\n  auth_server: {}\n  client_id: {}\n  client_secret: {}\n",
                sim.resource_server(),
                sim.auth_server(),
                secret("client_id", sim::halopsa::CLIENT_ID)?,
                secret("client_secret", sim::halopsa::CLIENT_SECRET)?,
            ),
        })
    }

    /// Delay before every answer from now on.
    pub fn set_latency(&self, latency: Duration) {
        match &self.server {
            Server::Autotask(sim) => sim.set_latency(latency),
            Server::ConnectWise(sim) => sim.state().latency = latency,
            Server::HaloPsa(sim) => sim.state().latency = latency,
        }
    }

    /// Drops the faults no request has met yet; returns how many there were.
    pub fn clear_faults(&self) -> usize {
        match &self.server {
            Server::Autotask(sim) => sim.clear_faults(),
            Server::ConnectWise(sim) => {
                let faults = std::mem::take(&mut sim.state().faults);
                faults.iter().map(|f| f.times as usize).sum()
            }
            Server::HaloPsa(sim) => {
                let faults = std::mem::take(&mut sim.state().faults);
                faults.iter().map(|f| f.times as usize).sum()
            }
        }
    }

    /// Waits until the simulator holds no open connection: every request sent before (by a
    /// killed process, or a client given up on) has been answered or dropped, so none can still
    /// change a line. Run it on the runtime that drove the caller's clients, after dropping them.
    pub async fn quiesce(&self) -> std::io::Result<()> {
        let limit = Duration::from_secs(30);
        match &self.server {
            Server::Autotask(sim) => sim.quiesce(limit).await,
            Server::ConnectWise(sim) => sim.quiesce(limit).await,
            Server::HaloPsa(sim) => sim.quiesce(limit).await,
        }
    }

    /// Every line's quantity on the effective date, per customer.
    pub fn quantities(&self) -> Vec<[Decimal; 4]> {
        match &self.server {
            Server::Autotask(sim) => {
                let units = sim.units_all(effective_date());
                self.customers
                    .iter()
                    .map(|c| {
                        c.lines
                            .map(|id| units.get(&id).map_or(Decimal::MIN, |&u| u.into()))
                    })
                    .collect()
            }
            Server::ConnectWise(sim) => {
                let state = sim.state();
                let by_id: HashMap<i64, Decimal> = state
                    .additions
                    .iter()
                    .map(|a| {
                        let q = Decimal::from_str(&a.quantity.to_string()).unwrap_or(Decimal::MIN);
                        (a.id, q)
                    })
                    .collect();
                self.customers
                    .iter()
                    .map(|c| {
                        c.lines
                            .map(|id| by_id.get(&id).copied().unwrap_or(Decimal::MIN))
                    })
                    .collect()
            }
            Server::HaloPsa(sim) => {
                let state = sim.state();
                let by_id: HashMap<i64, Decimal> = state
                    .lines
                    .iter()
                    .map(|l| {
                        let q = Decimal::from_str(&l.qty_order.to_string()).unwrap_or(Decimal::MIN);
                        (l.id, q)
                    })
                    .collect();
                self.customers
                    .iter()
                    .map(|c| {
                        c.lines
                            .map(|id| by_id.get(&id).copied().unwrap_or(Decimal::MIN))
                    })
                    .collect()
            }
        }
    }

    /// Writes committed per line: Autotask adjustments (each a delta, so two for one change
    /// would double-bill), ConnectWise PATCHes (each sets the value, so a repeat is harmless
    /// but still counted; one refused or cut before its work is not).
    pub fn writes_per_line(&self) -> HashMap<i64, u32> {
        let mut counts = HashMap::new();
        match &self.server {
            Server::Autotask(sim) => {
                for adjustment in sim.adjustments() {
                    if let Some(line) = adjustment["contractServiceID"].as_i64() {
                        *counts.entry(line).or_default() += 1;
                    }
                }
            }
            Server::ConnectWise(sim) => {
                for patched in &sim.state().patches {
                    *counts.entry(patched.addition).or_default() += 1;
                }
            }
            // Each committed `updatelines` change of a line's quantity.
            Server::HaloPsa(sim) => {
                for written in &sim.state().writes {
                    *counts.entry(written.line).or_default() += 1;
                }
            }
        }
        counts
    }
}
