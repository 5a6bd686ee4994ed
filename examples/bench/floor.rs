//! The floor: the least wall time the requests a job cannot avoid allow, given the PSA's
//! concurrency and the per-request latency. Requests in one "stage" can all be in flight
//! together (up to the concurrency per endpoint); a stage needs ids the previous one read.
//!
//! floor = latency × Σ over stages of max over endpoints ⌈requests / concurrency⌉

use std::time::Duration;

/// Autotask: at most 3 requests in flight per endpoint (documented thread limit).
pub const AUTOTASK_CONCURRENCY: u64 = 3;
/// ConnectWise publishes no per-endpoint concurrency limit (hosted tenants throttle by rate,
/// answering 429); we assume 6, what reckon's adapter keeps in flight for bundles.
pub const CONNECTWISE_CONCURRENCY: u64 = 6;

/// Required requests per endpoint, in dependent stages.
pub struct Floor {
    /// Requests in flight at once per endpoint.
    pub concurrency: u64,
    /// Each stage's `(endpoint, requests)`.
    pub stages: Vec<Vec<(&'static str, u64)>>,
}

impl Floor {
    /// Latency rounds: Σ stages max ⌈requests / concurrency⌉.
    pub fn rounds(&self) -> u64 {
        self.stages
            .iter()
            .map(|stage| {
                stage
                    .iter()
                    .map(|(_, n)| n.div_ceil(self.concurrency))
                    .max()
                    .unwrap_or(0)
            })
            .sum()
    }

    /// The floor at `latency`.
    pub fn time(&self, latency: Duration) -> Duration {
        latency * u32::try_from(self.rounds()).unwrap_or(u32::MAX)
    }

    /// The formula with its numbers, e.g. `50 ms × (⌈10/3⌉ + ⌈40/3⌉) = 50 ms × 18`.
    pub fn explain(&self, latency: Duration) -> String {
        let stages: Vec<String> = self
            .stages
            .iter()
            .map(|stage| {
                let terms: Vec<String> = stage
                    .iter()
                    .map(|(e, n)| format!("⌈{n}/{}⌉ {e}", self.concurrency))
                    .collect();
                if terms.len() == 1 {
                    terms.concat()
                } else {
                    format!("max({})", terms.join(", "))
                }
            })
            .collect();
        format!(
            "{} ms × ({}) = {} rounds",
            latency.as_millis(),
            stages.join(" + "),
            self.rounds()
        )
    }
}

fn pages(rows: u64, per_page: u64) -> u64 {
    rows.div_ceil(per_page).max(1)
}

/// HaloPSA documents no concurrency limit (hosted instances throttle by rate, answering 429);
/// we assume 4, what reckon's adapter keeps in flight for pages and writes.
pub const HALOPSA_CONCURRENCY: u64 = 4;

/// Reading an Autotask book of `companies` × one contract × `lines` lines: the picklists the
/// reads filter by (unless `cached` in the state folder by an earlier run), companies, services
/// and contracts (500-row pages), then lines, their units and the contracts' Service Bundles by
/// contract id (the book has no bundles, so no ServiceBundleServices read).
pub fn autotask_plan(companies: u64, lines: u64, cached: bool) -> Floor {
    let picklists = vec![
        ("Companies/entityInformation/fields", 1),
        ("Contracts/entityInformation/fields", 1),
    ];
    let mut floor = Floor {
        concurrency: AUTOTASK_CONCURRENCY,
        stages: vec![
            vec![
                ("Companies", pages(companies, 500)),
                ("Services", pages(lines, 500)),
                ("Contracts", pages(companies, 500)),
            ],
            vec![
                ("ContractServices", pages(companies * lines, 500)),
                ("ContractServiceUnits", pages(companies * lines, 500)),
                ("ContractServiceBundles", pages(companies, 500)),
            ],
        ],
    };
    if !cached {
        floor.stages.insert(0, picklists);
    }
    floor
}

/// Writing `writes` quantity changes to Autotask: one adjustment POST each.
pub fn autotask_apply(writes: u64) -> Floor {
    Floor {
        concurrency: AUTOTASK_CONCURRENCY,
        stages: vec![vec![("ContractServiceAdjustments", writes)]],
    }
}

/// The same writes with apply's batched protocol: one ContractServiceUnits read per 500 lines
/// checks them before the POSTs, and one per 500 confirms them after.
pub fn autotask_apply_protocol(writes: u64) -> Floor {
    let chunks = pages(writes, 500);
    Floor {
        concurrency: AUTOTASK_CONCURRENCY,
        stages: vec![
            vec![("ContractServiceUnits (check)", chunks)],
            vec![("ContractServiceAdjustments", writes)],
            vec![("ContractServiceUnits (confirm)", chunks)],
        ],
    }
}

/// Reading a ConnectWise book: companies, catalog and agreements (1,000-row pages), then the
/// additions of 25 agreements per bundle.
pub fn connectwise_plan(companies: u64, lines: u64) -> Floor {
    Floor {
        concurrency: CONNECTWISE_CONCURRENCY,
        stages: vec![
            vec![
                ("company/companies", pages(companies, 1000)),
                ("procurement/catalog", pages(lines, 1000)),
                ("finance/agreements", pages(companies, 1000)),
            ],
            vec![("system/bundles", pages(companies, 25))],
        ],
    }
}

/// Writing `writes` quantity changes to ConnectWise: one PATCH each.
pub fn connectwise_apply(writes: u64) -> Floor {
    Floor {
        concurrency: CONNECTWISE_CONCURRENCY,
        stages: vec![vec![("PATCH additions", writes)]],
    }
}

/// The same writes with apply's batched protocol: the additions of the `agreements` written
/// to, 25 agreements a bundle, before the PATCHes (whose answers confirm them).
pub fn connectwise_apply_protocol(writes: u64, agreements: u64) -> Floor {
    Floor {
        concurrency: CONNECTWISE_CONCURRENCY,
        stages: vec![
            vec![("system/bundles (check)", pages(agreements, 25))],
            vec![("PATCH additions", writes)],
        ],
    }
}

/// Reading a HaloPSA book: the token, then the first page (100 rows) of clients, items and
/// recurring invoices (lines included), whose `record_count` says how many pages follow, then
/// those. No stage needs another endpoint's ids.
pub fn halopsa_plan(companies: u64, lines: u64) -> Floor {
    let rest = |rows: u64| pages(rows, 100) - 1;
    Floor {
        concurrency: HALOPSA_CONCURRENCY,
        stages: vec![
            vec![("token", 1)],
            vec![("Client", 1), ("Item", 1), ("RecurringInvoice", 1)],
            vec![
                ("Client", rest(companies)),
                ("Item", rest(lines)),
                ("RecurringInvoice", rest(companies)),
            ],
        ],
    }
}

/// Writing `writes` quantity changes to HaloPSA: one `updatelines` POST each.
pub fn halopsa_apply(writes: u64) -> Floor {
    Floor {
        concurrency: HALOPSA_CONCURRENCY,
        stages: vec![
            vec![("token", 1)],
            vec![("RecurringInvoice/updatelines", writes)],
        ],
    }
}

/// The same writes with apply's batched protocol: the recurring invoices of the `clients`
/// written to, listed 50 clients a request, before the POSTs and again after them.
pub fn halopsa_apply_protocol(writes: u64, clients: u64) -> Floor {
    let listings = pages(clients, 50);
    Floor {
        concurrency: HALOPSA_CONCURRENCY,
        stages: vec![
            vec![("RecurringInvoice by client_ids (check)", listings)],
            vec![("RecurringInvoice/updatelines", writes)],
            vec![("RecurringInvoice by client_ids (confirm)", listings)],
        ],
    }
}
