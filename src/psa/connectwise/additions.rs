//! Reading the additions of many agreements, which ConnectWise only lists per agreement.
//!
//! Owns the cost of the N+1 read: agreements' additions are fetched in `POST /system/bundles`
//! batches of [`BUNDLE_SIZE`] (one request instead of 25), a bounded number at a time, started
//! as each page of agreements arrives. A tenant that refuses bundles, or a bundled result that
//! failed or was cut at one page, falls back to `GET /finance/agreements/{id}/additions` for the
//! agreements concerned, so batching can only save requests, never lose lines. Decides nothing
//! about which additions are in force.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use tokio::sync::{OnceCell, Semaphore};
use tokio::task::JoinSet;

use super::client::{API_VERSION, Client};
use super::request::{Failure, Request};
use super::wire::{
    Addition, BundleRequest, BundleResponse, BundledApiRequest, BundledGet, BundledPage,
};
use super::{explain, read_error};
use crate::psa::PsaError;

/// Agreements per bundle. ConnectWise documents no limit; 25 keeps each answer small (at most
/// 25 agreements' additions) while cutting 1,000 reads to 40.
pub(super) const BUNDLE_SIZE: usize = 25;

/// Requests in flight at once. ConnectWise publishes no rate; a handful keeps a large plan
/// quick without provoking 429s.
pub(super) const IN_FLIGHT: usize = 6;

/// A bundle's answer: `None` when it was not sent as a bundle (or not taken as one), else the
/// complete results by agreement.
type Bundled = Result<Option<HashMap<i64, Vec<Addition>>>, Failure>;

/// Reads the additions of agreements as pages of agreements arrive: [`Reader::start`] sends a
/// page's bundles at once (so they overlap with the next page's read), [`Reader::finish`]
/// gathers them and reads directly whatever no bundle answered.
pub(super) struct Reader {
    client: Arc<Client>,
    permits: Arc<Semaphore>,
    /// Whether this tenant takes bundles, decided by the first bundle sent; the others wait
    /// for that answer, so a tenant refusing them costs one refused request, not one per page.
    takes_bundles: Arc<OnceCell<bool>>,
    bundles: JoinSet<(Vec<i64>, Bundled)>,
}

impl Reader {
    /// A reader sending its requests through `client`.
    pub(super) fn new(client: &Arc<Client>) -> Self {
        Self {
            client: Arc::clone(client),
            permits: Arc::new(Semaphore::new(IN_FLIGHT)),
            takes_bundles: Arc::new(OnceCell::new()),
            bundles: JoinSet::new(),
        }
    }

    /// Starts reading the additions of `agreements`, [`BUNDLE_SIZE`] to a bundle.
    pub(super) fn start(&mut self, agreements: &[i64]) {
        for chunk in agreements.chunks(BUNDLE_SIZE) {
            let chunk = chunk.to_vec();
            let client = Arc::clone(&self.client);
            let permits = Arc::clone(&self.permits);
            let takes_bundles = Arc::clone(&self.takes_bundles);
            self.bundles.spawn(async move {
                let _permit = permits.acquire_owned().await;
                let answer = bundle_if_taken(&client, &takes_bundles, &chunk).await;
                (chunk, answer)
            });
        }
    }

    /// Additions by agreement id, for every agreement started.
    pub(super) async fn finish(mut self) -> Result<HashMap<i64, Vec<Addition>>, PsaError> {
        let mut found = HashMap::new();
        let mut direct = Vec::new();
        while let Some(joined) = self.bundles.join_next().await {
            let (chunk, answer) = joined.map_err(|e| {
                PsaError::Unavailable(format!("reading agreement additions stopped: {e}"))
            })?;
            sort(&chunk, answer, &mut found, &mut direct)?;
        }
        let answers = bounded(direct, |agreement| {
            let client = Arc::clone(&self.client);
            async move { (agreement, one(&client, agreement).await) }
        })
        .await?;
        for (agreement, answer) in answers {
            let additions = answer.map_err(|f| {
                read_error(f, &format!("read the additions of agreement {agreement}"))
            })?;
            found.insert(agreement, additions);
        }
        Ok(found)
    }
}

/// `chunk`'s additions in one bundle, unless the tenant refuses bundles or the chunk is a
/// single agreement (one request either way: it is read directly).
async fn bundle_if_taken(
    client: &Client,
    takes_bundles: &OnceCell<bool>,
    chunk: &[i64],
) -> Bundled {
    if chunk.len() < 2 {
        return Ok(None);
    }
    let mut probe = None;
    let slot = &mut probe;
    let taken = *takes_bundles
        .get_or_init(|| async move {
            let answer = bundle(client, chunk).await;
            let taken = !matches!(answer, Ok(None));
            *slot = Some(answer);
            taken
        })
        .await;
    match probe {
        // This chunk was the probe: its answer is already here.
        Some(answer) => answer,
        None if taken => bundle(client, chunk).await,
        None => Ok(None),
    }
}

/// Files a bundle's answer: complete results into `found`, the rest into `direct`.
fn sort(
    chunk: &[i64],
    answer: Bundled,
    found: &mut HashMap<i64, Vec<Addition>>,
    direct: &mut Vec<i64>,
) -> Result<(), PsaError> {
    match answer {
        Ok(Some(mut results)) => {
            for agreement in chunk {
                match results.remove(agreement) {
                    Some(additions) => {
                        found.insert(*agreement, additions);
                    }
                    None => direct.push(*agreement),
                }
            }
            Ok(())
        }
        Ok(None) => {
            direct.extend_from_slice(chunk);
            Ok(())
        }
        Err(failure) => Err(PsaError::Unavailable(format!(
            "cannot read the additions of agreements {}: {}",
            list(chunk),
            explain(&failure)
        ))),
    }
}

/// One bundle of additions GETs: `None` when the tenant does not take bundles (or answers them
/// in a shape reckon cannot read), else the complete results by agreement.
async fn bundle(client: &Client, chunk: &[i64]) -> Bundled {
    let body = BundleRequest {
        requests: chunk
            .iter()
            .enumerate()
            .map(|(n, agreement)| BundledGet {
                version: API_VERSION,
                sequence_number: n + 1,
                resource_type: "addition",
                api_request: BundledApiRequest {
                    parent_id: *agreement,
                    page: BundledPage {
                        page: 1,
                        page_size: 1000,
                    },
                },
            })
            .collect(),
    };
    let request = Request::post_read("system/bundles".into(), "POST system/bundles", &body);
    let response = match client.send(&request).await {
        Ok(response) => response,
        Err(Failure::Status { status, .. }) if refuses_bundles(status) => return Ok(None),
        Err(other) => return Err(other),
    };
    let Ok(answer) = response.json::<BundleResponse>() else {
        return Ok(None);
    };
    let results = answer
        .results
        .into_iter()
        .filter_map(|result| {
            let agreement = *chunk.get(result.sequence_number.checked_sub(1)?)?;
            Some((agreement, result.complete()?))
        })
        .collect();
    Ok(Some(results))
}

/// Statuses meaning "no bundles here" rather than "the PSA is failing".
fn refuses_bundles(status: u16) -> bool {
    matches!(status, 400 | 403 | 404 | 405 | 501)
}

/// One agreement's additions, every page.
async fn one(client: &Client, agreement: i64) -> Result<Vec<Addition>, Failure> {
    let request = Request::get(
        format!("finance/agreements/{agreement}/additions"),
        "GET finance/agreements/{id}/additions",
    )
    .param(
        "fields",
        "id,product,quantity,unitPrice,unitCost,effectiveDate,cancelledDate",
    );
    client.get_all(request).await
}

/// Runs `task` for every item, [`IN_FLIGHT`] at a time; answers in completion order.
async fn bounded<T, F, Fut>(items: Vec<T>, task: F) -> Result<Vec<Fut::Output>, PsaError>
where
    F: Fn(T) -> Fut,
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    let permits = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut running = JoinSet::new();
    for item in items {
        let permits = Arc::clone(&permits);
        let work = task(item);
        running.spawn(async move {
            let _permit = permits.acquire_owned().await;
            work.await
        });
    }
    let mut answers = Vec::new();
    while let Some(joined) = running.join_next().await {
        answers.push(joined.map_err(|e| {
            PsaError::Unavailable(format!("reading agreement additions stopped: {e}"))
        })?);
    }
    Ok(answers)
}

/// `300, 301, 302`.
fn list(agreements: &[i64]) -> String {
    let ids: Vec<String> = agreements.iter().map(i64::to_string).collect();
    ids.join(", ")
}
