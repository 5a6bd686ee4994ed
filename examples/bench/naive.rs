//! The naive reader: what a per-resource refresh (terraform's, say) would do with the same book
//! — one request per company and per contract (the contract, its lines and, for Autotask,
//! their units), ids known from its own state, so no list pages. It uses the same concurrency
//! the floor allows (3 per endpoint for Autotask, 6 for ConnectWise), which is generous: most
//! refreshes go one resource at a time. It reads and discards; it exists only to be compared
//! with reckon's paged and bundled reads, and lives here, not in the adapters.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::runtime::Runtime;
use tokio::sync::Semaphore;

use crate::floor::{AUTOTASK_CONCURRENCY, CONNECTWISE_CONCURRENCY};
use crate::run::Failure;
use crate::sim;
use crate::tenant::{Server, Tenant};

/// One request the naive refresh makes: its endpoint (for counting) and how to send it.
struct Request {
    endpoint: &'static str,
    send: reqwest::RequestBuilder,
}

/// Reads the tenant naively and prints requests and time against reckon's `(requests, time)`.
pub fn compare(runtime: &Runtime, tenant: &Tenant, reckon: (u64, Duration)) -> Result<(), Failure> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let (requests, concurrency) = match &tenant.server {
        Server::Autotask(sim) => (
            autotask(&client, tenant, &sim.base_url()),
            AUTOTASK_CONCURRENCY,
        ),
        Server::ConnectWise(sim) => (
            connectwise(&client, tenant, &sim.base_url()),
            CONNECTWISE_CONCURRENCY,
        ),
        Server::HaloPsa(_) => {
            println!("  naive refresh: not modelled for HaloPSA");
            return Ok(());
        }
    };
    let started = Instant::now();
    let counts = runtime.block_on(send_all(requests, concurrency as usize))?;
    let took = started.elapsed();
    let total: u64 = counts.values().sum();
    println!(
        "  naive refresh: {:.2} s, {total} requests ({concurrency} in flight per endpoint)",
        took.as_secs_f64()
    );
    for (endpoint, n) in &counts {
        println!("    {endpoint:<48} {n:>6}");
    }
    println!(
        "  naive/reckon: requests {:.1}×, time {:.1}×",
        total as f64 / reckon.0.max(1) as f64,
        took.as_secs_f64() / reckon.1.as_secs_f64().max(f64::EPSILON)
    );
    Ok(())
}

/// Sends every request, at most `concurrency` per endpoint at once; counts them by endpoint.
async fn send_all(
    requests: Vec<Request>,
    concurrency: usize,
) -> Result<BTreeMap<&'static str, u64>, Failure> {
    let mut limits: BTreeMap<&'static str, Arc<Semaphore>> = BTreeMap::new();
    let mut counts = BTreeMap::new();
    let mut tasks = tokio::task::JoinSet::new();
    for request in requests {
        *counts.entry(request.endpoint).or_insert(0) += 1;
        let limit = limits
            .entry(request.endpoint)
            .or_insert_with(|| Arc::new(Semaphore::new(concurrency)))
            .clone();
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await.map_err(|e| e.to_string())?;
            let response = request.send.send().await.map_err(|e| e.to_string())?;
            let status = response.status();
            let _ = response.bytes().await.map_err(|e| e.to_string())?;
            if status.is_success() {
                Ok(())
            } else {
                Err(format!("{} answered {status}", request.endpoint))
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.map_err(|e| e.to_string())??;
    }
    Ok(counts)
}

/// Autotask: per customer, its company, its contract, the contract's lines and their units.
fn autotask(client: &reqwest::Client, tenant: &Tenant, base: &str) -> Vec<Request> {
    let query = |endpoint: &'static str, entity: &str, field: &str, id: i64| Request {
        endpoint,
        send: client
            .post(format!("{base}/V1.0/{entity}/query"))
            .header("ApiIntegrationCode", sim::autotask::INTEGRATION_CODE)
            .header("UserName", sim::autotask::USERNAME)
            .header("Secret", sim::autotask::SECRET)
            .json(
                &json!({"MaxRecords": 500, "filter": [{"op": "eq", "field": field, "value": id}]}),
            ),
    };
    let mut requests = Vec::new();
    for ids in &tenant.customers {
        requests.push(query("Companies (one)", "Companies", "id", ids.company));
        requests.push(query("Contracts (one)", "Contracts", "id", ids.contract));
        requests.push(query(
            "ContractServices (of one contract)",
            "ContractServices",
            "contractID",
            ids.contract,
        ));
        requests.push(query(
            "ContractServiceUnits (of one contract)",
            "ContractServiceUnits",
            "contractID",
            ids.contract,
        ));
    }
    requests
}

/// ConnectWise: per customer, its company, its agreement and the agreement's additions.
fn connectwise(client: &reqwest::Client, tenant: &Tenant, base: &str) -> Vec<Request> {
    let get = |endpoint: &'static str, path: String| Request {
        endpoint,
        send: client
            .get(format!("{base}/{path}"))
            .basic_auth(
                format!(
                    "{}+{}",
                    sim::connectwise::COMPANY_ID,
                    sim::connectwise::PUBLIC_KEY
                ),
                Some(sim::connectwise::PRIVATE_KEY),
            )
            .header("clientId", sim::connectwise::CLIENT_ID)
            .header(
                "Accept",
                "application/vnd.connectwise.com+json; version=2025.1",
            ),
    };
    let mut requests = Vec::new();
    for ids in &tenant.customers {
        requests.push(get(
            "company/companies (one)",
            format!("company/companies?conditions=id={}", ids.company),
        ));
        requests.push(get(
            "finance/agreements (one)",
            format!("finance/agreements?conditions=id={}", ids.contract),
        ));
        requests.push(get(
            "finance/agreements/{id}/additions",
            format!("finance/agreements/{}/additions", ids.contract),
        ));
    }
    requests
}
