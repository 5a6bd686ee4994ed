//! The Autotask HTTP client: zone discovery, auth headers, paged queries, creates, the
//! per-endpoint thread limit, and which failures may be retried (throttling always; transport
//! errors and 5xx only for idempotent calls). When and how often to retry, and the request
//! count, are the shared [`crate::psa::http`] policy.
//!
//! It knows HTTP and Autotask's conventions, not reckon's model: it returns wire records and
//! typed [`CallError`]s, and never decides whether a failed write may be repeated — it only says
//! whether the outcome is unknown ([`CallError::outcome_unknown`]); the adapter re-reads and
//! decides. Auth headers go only to the zone's origin: a `nextPageUrl` contributes its path and
//! query, never its host; and only where [`Options::outbound`] allows (no request at all to a
//! host outside `RECKON_PSA_HOSTS`). Error bodies pass a [`Redactor`] of the three credentials
//! before they are kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::{OnceCell, Semaphore};

use super::wire::{self, Errors, Page};
use crate::psa::http::{self, Counter, GiveUp, Outbound, Retrier, RetryAfter, Step};
use crate::secret::{Redactor, Secret};

/// The zone-discovery root used when no `base_url` is configured.
pub const DISCOVERY_ROOT: &str = "https://webservices2.autotask.net/ATServicesRest";

/// Requests Autotask lets one integration run at once per endpoint (post-2023.1 integrations).
pub(super) const THREADS_PER_ENDPOINT: usize = 3;

/// A runaway guard on paging: 1,000 pages is 500,000 rows.
const MAX_PAGES: usize = 1000;

/// The three credentials every call carries.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// API user (an email address); also the key for zone discovery.
    pub username: Secret,
    /// API user's secret.
    pub secret: Secret,
    /// The integration's tracking identifier.
    pub integration_code: Secret,
}

/// Tunables; the defaults suit the real API, tests shorten them.
#[derive(Debug, Clone)]
pub struct Options {
    /// Per-request timeout.
    pub timeout: Duration,
    /// Where zone discovery asks when no base URL is configured.
    pub discovery_root: String,
    /// How often a throttled (429 / thread-limit) request is retried.
    pub max_retries: u32,
    /// First backoff when the API sends no `Retry-After`; doubles per retry (with jitter).
    pub backoff: Duration,
    /// Longest single wait: backoffs are capped at it, and a longer `Retry-After` ends the
    /// request as throttled.
    pub max_backoff: Duration,
    /// Where requests may go (any https or loopback http host unless an allowlist is set).
    pub outbound: Outbound,
}

impl Options {
    /// The shared retry policy these options describe.
    fn policy(&self) -> http::Policy {
        http::Policy {
            attempts: self.max_retries.saturating_add(1),
            backoff: self.backoff,
            max_wait: self.max_backoff,
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            discovery_root: DISCOVERY_ROOT.into(),
            max_retries: 5,
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            outbound: Outbound::default(),
        }
    }
}

/// A failed call. Messages never carry a credential (URLs are stripped from transport errors).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// 401: the credentials were not accepted.
    #[error(
        "Autotask rejected the credentials (HTTP 401): check psa.username (the API-only user), psa.secret and psa.integration_code (its tracking identifier)"
    )]
    Unauthorized,
    /// 403: authenticated, but not allowed.
    #[error(
        "Autotask denied access to {entity} (HTTP 403): check that the security level of the API user named by psa.username allows it"
    )]
    Forbidden {
        /// The entity asked for.
        entity: String,
    },
    /// The API answered with errors.
    #[error("HTTP {status}: {}", messages.join("; "))]
    Api {
        /// HTTP status.
        status: u16,
        /// The `errors` array, or a summary of the body.
        messages: Vec<String>,
    },
    /// Still throttled after every retry.
    #[error("still throttled after {retries} retries: {}", messages.join("; "))]
    Throttled {
        /// Retries made.
        retries: u32,
        /// The last refusal.
        messages: Vec<String>,
    },
    /// No answer: timeout, refused or dropped connection, unreadable body.
    #[error("no usable answer from Autotask: {0}")]
    Transport(String),
    /// An answer reckon cannot read.
    #[error("unexpected answer from Autotask: {0}")]
    Decode(String),
    /// A write answered with success whose body cannot be read: it was most likely made, but
    /// which record it made is unknown.
    #[error("Autotask answered a write with success but its answer cannot be read: {0}")]
    UnreadableSuccess(String),
    /// The zone (base URL) could not be determined.
    #[error("cannot find the Autotask zone: {0}")]
    Zone(String),
    /// Not sent: the address is outside what reckon may reach.
    #[error("{0}")]
    Refused(String),
}

impl CallError {
    /// Whether a write may have been committed although no success came back (a timeout, a
    /// dropped connection, a server error): the caller must re-read before deciding anything.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            Self::Transport(_) | Self::UnreadableSuccess(_) => true,
            Self::Api { status, .. } => *status >= 500,
            _ => false,
        }
    }
}

/// The Autotask REST client.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    credentials: Credentials,
    configured_base: Option<String>,
    options: Options,
    retrier: Retrier,
    redactor: Redactor,
    zone: OnceCell<Url>,
    gates: Mutex<HashMap<String, Arc<Semaphore>>>,
    counter: Counter,
}

impl Client {
    /// A client; `base_url` is the zone's REST root (e.g. `https://webservices5.autotask.net/ATServicesRest`),
    /// discovered when `None`.
    pub fn new(
        credentials: Credentials,
        base_url: Option<String>,
        options: Options,
    ) -> Result<Self, CallError> {
        let http = http::client(options.timeout)
            .map_err(|e| CallError::Transport(e.without_url().to_string()))?;
        let redactor = Redactor::new()
            .secret(&credentials.username)
            .secret(&credentials.secret)
            .secret(&credentials.integration_code);
        Ok(Self {
            http,
            credentials,
            configured_base: base_url,
            retrier: Retrier::new(options.policy()),
            redactor,
            options,
            zone: OnceCell::new(),
            gates: Mutex::new(HashMap::new()),
            counter: Counter::default(),
        })
    }

    /// The zone's REST root: the configured base URL, or the one discovered (once per client).
    pub async fn zone(&self) -> Result<&Url, CallError> {
        self.zone
            .get_or_try_init(|| async {
                let text = match &self.configured_base {
                    Some(base) => base.clone(),
                    None => self.discover().await?,
                };
                parse_root(&text)
            })
            .await
    }

    /// Whether the zone came from config rather than discovery.
    pub fn zone_configured(&self) -> bool {
        self.configured_base.is_some()
    }

    /// `GET zoneInformation?user=` — sent without auth headers, as the API expects.
    async fn discover(&self) -> Result<String, CallError> {
        let url = parse_root(&self.options.discovery_root)?;
        let url = join(&url, "V1.0/ZoneInformation")?;
        self.options
            .outbound
            .check(url.as_str())
            .map_err(CallError::Refused)?;
        self.counter.count("ZoneInformation");
        let response = self
            .http
            .get(url)
            .query(&[("user", self.credentials.username.expose())]);
        let response = crate::psa::http::send(response).await.map_err(transport)?;
        let status = response.status();
        let body = response.bytes().await.map_err(transport)?;
        if !status.is_success() {
            return Err(CallError::Zone(format!(
                "HTTP {}: {} (check psa.username: it must be the API user's email address)",
                status.as_u16(),
                error_messages(&body, &self.redactor).join("; ")
            )));
        }
        let zone: wire::ZoneInfo = serde_json::from_slice(&body)
            .map_err(|e| CallError::Zone(format!("unreadable zone information: {e}")))?;
        Ok(zone.url)
    }

    /// `GET /V1.0/{path}` with auth, e.g. `ThresholdInformation`.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, CallError> {
        let url = join(self.zone().await?, &format!("V1.0/{path}"))?;
        let body = self.call(path, path, Method::GET, url, None, true).await?;
        decode(&body)
    }

    /// Every row of `entity` matching `filter`: `POST /V1.0/{entity}/query` with `MaxRecords`
    /// `max_records`, then each `nextPageUrl` POSTed with the same body.
    pub async fn query<T: DeserializeOwned>(
        &self,
        entity: &str,
        filter: Vec<Value>,
        max_records: u32,
    ) -> Result<Vec<T>, CallError> {
        let mut rows = Vec::new();
        self.query_pages(entity, filter, max_records, |page| rows.extend(page))
            .await?;
        Ok(rows)
    }

    /// As [`Client::query`], handing each page to `on_page` as it arrives, so a caller can
    /// start the reads that depend on it while the next page is on its way.
    pub async fn query_pages<T: DeserializeOwned>(
        &self,
        entity: &str,
        filter: Vec<Value>,
        max_records: u32,
        mut on_page: impl FnMut(Vec<T>),
    ) -> Result<(), CallError> {
        let zone = self.zone().await?;
        let body = wire::query(filter, max_records);
        let endpoint = format!("{entity}/query");
        let mut url = join(zone, &format!("V1.0/{endpoint}"))?;
        for _ in 0..MAX_PAGES {
            let bytes = self
                .call(entity, &endpoint, Method::POST, url, Some(&body), true)
                .await?;
            let page: Page<T> = decode(&bytes)?;
            on_page(page.items);
            let next = page.page_details.and_then(|p| p.next_page_url);
            match next.filter(|n| !n.is_empty()) {
                // A caller asking for fewer rows than a page wants only the first page.
                Some(next) if max_records >= wire::PAGE_SIZE => url = same_origin(zone, &next)?,
                _ => return Ok(()),
            }
        }
        Err(CallError::Decode(format!(
            "{entity} query still had more pages after {MAX_PAGES}"
        )))
    }

    /// `POST /V1.0/{path}` creating a record; returns its id. Never repeated after an unknown
    /// outcome (only after an explicit throttling refusal, which means nothing was done). A 2xx
    /// whose body names no id is [`CallError::UnreadableSuccess`]: an unknown outcome, for the
    /// caller to settle by re-reading, never a refusal.
    pub async fn create(
        &self,
        entity: &str,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<i64, CallError> {
        let url = join(self.zone().await?, &format!("V1.0/{path}"))?;
        let body = serde_json::to_value(body).map_err(|e| CallError::Decode(e.to_string()))?;
        let bytes = self
            .call(entity, path, Method::POST, url, Some(&body), false)
            .await?;
        serde_json::from_slice::<wire::Created>(&bytes)
            .ok()
            .and_then(|created| created.new_id())
            .ok_or_else(|| {
                let text = String::from_utf8_lossy(&bytes);
                CallError::UnreadableSuccess(format!(
                    "no itemId in {:?}",
                    text.chars().take(120).collect::<String>()
                ))
            })
    }

    /// Requests made so far, by endpoint, in first-use order.
    pub fn requests(&self) -> Vec<(String, u64)> {
        self.counter.counts()
    }

    /// One request with auth headers, under the endpoint's thread limit, retried when
    /// throttled; reads (`idempotent`) are also retried after transport errors and 5xx.
    async fn call(
        &self,
        entity: &str,
        endpoint: &str,
        method: Method,
        url: Url,
        body: Option<&Value>,
        idempotent: bool,
    ) -> Result<Vec<u8>, CallError> {
        self.options
            .outbound
            .check(url.as_str())
            .map_err(CallError::Refused)?;
        let gate = self.gate(entity);
        let attempt = || async {
            // The thread limit is held for the attempt only, never across a wait.
            let answer = match gate.acquire().await {
                Ok(_permit) => self.send_once(&method, &url, body).await,
                Err(_) => Err(CallError::Transport("request limiter closed".into())),
            };
            match answer {
                Ok(Answer::Done(bytes)) => Step::Done(Ok(bytes)),
                Ok(Answer::Throttled {
                    retry_after,
                    messages,
                }) => Step::Retry(
                    CallError::Throttled {
                        retries: 0,
                        messages,
                    },
                    http::Failure::Throttled(retry_after),
                ),
                Ok(Answer::Failed(error)) | Err(error) if idempotent && error.outcome_unknown() => {
                    Step::Retry(error, http::Failure::Transient)
                }
                Ok(Answer::Failed(error)) | Err(error) => Step::Done(Err(error)),
            }
        };
        let failed = match self.retrier.run(&self.counter, endpoint, attempt).await {
            Ok(bytes) => return Ok(bytes),
            Err(failed) => failed,
        };
        let retries = failed.attempts.saturating_sub(1);
        match failed.error {
            CallError::Throttled { mut messages, .. } => {
                if let Some(GiveUp::WaitTooLong(wait)) = failed.gave_up {
                    messages.push(format!(
                        "Autotask asked to wait {} s, longer than reckon waits ({} s)",
                        wait.as_secs(),
                        self.options.max_backoff.as_secs()
                    ));
                }
                Err(CallError::Throttled { retries, messages })
            }
            other => Err(classify(other, entity)),
        }
    }

    async fn send_once(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&Value>,
    ) -> Result<Answer, CallError> {
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .header(
                "ApiIntegrationCode",
                self.credentials.integration_code.expose(),
            )
            .header("UserName", self.credentials.username.expose())
            .header("Secret", self.credentials.secret.expose());
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = crate::psa::http::send(request).await.map_err(transport)?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(RetryAfter::parse);
        if status.is_redirection() {
            let note = http::redirect_note(status.as_u16(), response.headers(), url.as_str());
            return Ok(Answer::Failed(CallError::Api {
                status: status.as_u16(),
                messages: vec![note],
            }));
        }
        let bytes = response.bytes().await.map_err(transport)?.to_vec();
        let messages = error_messages(&bytes, &self.redactor);
        if status == StatusCode::TOO_MANY_REQUESTS || is_thread_limit(&messages) {
            return Ok(Answer::Throttled {
                retry_after,
                messages,
            });
        }
        let has_errors = !messages.is_empty() && body_has_errors(&bytes);
        if status.is_success() && !has_errors {
            return Ok(Answer::Done(bytes));
        }
        Ok(Answer::Failed(CallError::Api {
            status: status.as_u16(),
            messages,
        }))
    }

    fn gate(&self, entity: &str) -> Arc<Semaphore> {
        let mut gates = self.gates.lock().unwrap_or_else(PoisonError::into_inner);
        gates
            .entry(entity.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(THREADS_PER_ENDPOINT)))
            .clone()
    }
}

/// What one attempt produced.
enum Answer {
    Done(Vec<u8>),
    Throttled {
        retry_after: Option<RetryAfter>,
        messages: Vec<String>,
    },
    Failed(CallError),
}

/// 401/403 become credential advice; everything else stays as it is.
fn classify(error: CallError, entity: &str) -> CallError {
    match error {
        CallError::Api { status: 401, .. } => CallError::Unauthorized,
        CallError::Api { status: 403, .. } => CallError::Forbidden {
            entity: entity.to_owned(),
        },
        other => other,
    }
}

/// Autotask's thread-limit refusal, recognised by its code or text whatever the HTTP status.
fn is_thread_limit(messages: &[String]) -> bool {
    messages.iter().any(|m| {
        let lower = m.to_ascii_lowercase();
        lower.contains("itgenatr005") || lower.contains("thread threshold")
    })
}

fn body_has_errors(bytes: &[u8]) -> bool {
    serde_json::from_slice::<Errors>(bytes).is_ok_and(|e| !e.errors.is_empty())
}

/// The `errors` of a body, or a short excerpt of a body that has none; credentials redacted
/// (before the excerpt is cut, so no prefix of one survives).
fn error_messages(bytes: &[u8], redactor: &Redactor) -> Vec<String> {
    match serde_json::from_slice::<Errors>(bytes) {
        Ok(errors) if !errors.errors.is_empty() => errors
            .messages()
            .iter()
            .map(|m| redactor.redact(m))
            .collect(),
        Ok(_) => Vec::new(),
        Err(_) if bytes.is_empty() => Vec::new(),
        Err(_) => {
            let text = redactor.redact(&String::from_utf8_lossy(bytes));
            vec![text.chars().take(200).collect()]
        }
    }
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CallError> {
    serde_json::from_slice(bytes).map_err(|e| CallError::Decode(e.to_string()))
}

fn transport(error: reqwest::Error) -> CallError {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else {
        "connection failed"
    };
    let host = error
        .url()
        .and_then(|u| u.host_str())
        .map(|h| format!(" to {h}"))
        .unwrap_or_default();
    CallError::Transport(format!(
        "{kind}{host} ({})",
        crate::psa::http::error_chain(&error.without_url())
    ))
}

/// A REST root as a URL ending in `/`, so relative joins append to it.
fn parse_root(text: &str) -> Result<Url, CallError> {
    let trimmed = text.trim_end_matches('/');
    let url = Url::parse(&format!("{trimmed}/"))
        .map_err(|e| CallError::Zone(format!("{text} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(CallError::Zone(format!("{text} is not an http(s) URL")));
    }
    Ok(url)
}

fn join(root: &Url, path: &str) -> Result<Url, CallError> {
    root.join(path)
        .map_err(|e| CallError::Zone(format!("cannot build a URL for {path}: {e}")))
}

/// The zone's origin with the path and query of `next`: whatever host `next` names, the request
/// (and its credentials) goes to the zone.
fn same_origin(zone: &Url, next: &str) -> Result<Url, CallError> {
    let named = zone
        .join(next)
        .map_err(|e| CallError::Decode(format!("unreadable nextPageUrl: {e}")))?;
    let mut url = zone.clone();
    url.set_path(named.path());
    url.set_query(named.query());
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_pages_keep_the_zone_origin_whatever_host_they_name() {
        let zone = parse_root("https://webservices5.autotask.net/ATServicesRest").expect("root");
        let next = same_origin(
            &zone,
            "https://evil.example/ATServicesRest/V1.0/Companies/query/next?paging=abc",
        )
        .expect("joined");
        assert_eq!(
            next.as_str(),
            "https://webservices5.autotask.net/ATServicesRest/V1.0/Companies/query/next?paging=abc"
        );
    }

    #[test]
    fn thread_limit_is_recognised_by_code_or_text() {
        assert!(is_thread_limit(&["Itgenatr005 something".into()]));
        assert!(is_thread_limit(&[
            "The Autotask API thread threshold of 3 threads has been exceeded".into()
        ]));
        assert!(!is_thread_limit(&["unitChange is required".into()]));
    }

    #[test]
    fn only_unknown_outcomes_call_for_a_re_read() {
        assert!(CallError::Transport("timed out".into()).outcome_unknown());
        assert!(
            CallError::Api {
                status: 500,
                messages: vec![]
            }
            .outcome_unknown()
        );
        assert!(
            !CallError::Api {
                status: 400,
                messages: vec![]
            }
            .outcome_unknown()
        );
        assert!(!CallError::Unauthorized.outcome_unknown());
    }
}
