//! The HaloPSA HTTP transport: the OAuth2 token, retries, paging and request counts.
//!
//! Owns the client-credentials token (`POST {auth_server}/token`, form-encoded
//! `grant_type=client_credentials`, `client_id`, `client_secret`, `scope=all`, plus
//! `?tenant=` for hosted instances), reused until shortly before it expires and fetched again
//! once when a request answers 401 (the token request itself tried again after a 429, 5xx or
//! lost answer); the retry rule (429 after `Retry-After`; 5xx and lost
//! connections only for reads, never for a write); `page_size`/`page_no` paging (after the
//! first page, whose `record_count` says how many there are, the rest a few at a time); and
//! per-endpoint counts. It knows nothing of invoices or quantities and never formats a
//! credential: the id, secret and token live only in [`Secret`]s.
//!
//! When and how often to retry, with jitter, `Retry-After` (seconds or an HTTP-date) and the
//! request count, is the shared [`crate::psa::http`] policy ([`Retrier`], [`Counter`]), as for
//! Autotask and ConnectWise; this file says which failures may be retried.

use std::time::{Duration, Instant};

use futures_util::{StreamExt, stream};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

use super::wire;
use crate::psa::http::{self, Counter, Retrier, RetryAfter, Step};
use crate::secret::{Redactor, Secret};

/// More pages than any tenant has; a server that counts or sends more is broken.
const MAX_PAGES: u64 = 100_000;

/// Pages of one list read at once once the first page has said how many there are. HaloPSA
/// documents no concurrency limit; hosted instances limit by rate (429).
pub(super) const PAGES_IN_FLIGHT: usize = 4;

/// A token is fetched again this long before HaloPSA said it expires.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

/// How hard the transport tries, and how big its pages are.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Time allowed for one request, connection to last byte.
    pub timeout: Duration,
    /// Attempts per request, the first included.
    pub attempts: u32,
    /// Wait before the second attempt; doubled before each further one.
    pub backoff: Duration,
    /// The longest `Retry-After` honoured; a longer one ends the request as failed.
    pub max_retry_after: Duration,
    /// Records per page (`page_size`).
    pub page_size: u32,
}

impl Options {
    /// The shared retry policy these options describe.
    fn policy(&self) -> http::Policy {
        http::Policy {
            attempts: self.attempts,
            backoff: self.backoff,
            max_wait: self.max_retry_after,
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(60),
            attempts: 4,
            // HaloAPI backs off 5 s doubling to 60 s after a 429 (Invoke-HaloRequest.ps1); a
            // 429 with Retry-After waits what it says instead.
            backoff: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(120),
            page_size: 100,
        }
    }
}

/// Who reckon is to HaloPSA.
pub(super) struct Credentials {
    pub client_id: Secret,
    pub client_secret: Secret,
    pub tenant: Option<String>,
}

/// One request: what to send and whether it may be sent again after a lost answer.
pub(super) struct Request {
    pub method: Method,
    /// Below the resource server, e.g. `RecurringInvoice/12`.
    pub path: String,
    /// For counts and messages, e.g. `GET RecurringInvoice/{id}`.
    pub endpoint: &'static str,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<Vec<u8>>,
}

impl Request {
    pub fn get(path: String, endpoint: &'static str) -> Self {
        Self {
            method: Method::GET,
            path,
            endpoint,
            query: Vec::new(),
            body: None,
        }
    }

    pub fn post(path: String, endpoint: &'static str, body: &impl serde::Serialize) -> Self {
        Self {
            method: Method::POST,
            body: serde_json::to_vec(body).ok(),
            ..Self::get(path, endpoint)
        }
    }

    pub fn param(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.query.push((name, value.into()));
        self
    }

    /// Reads may be repeated after a lost answer; a write never is (its outcome is re-read).
    fn repeatable(&self) -> bool {
        self.method == Method::GET
    }
}

/// Why a request failed. Carries URLs and HaloPSA's own messages, never a credential.
#[derive(Debug, Clone)]
pub(super) enum Failure {
    /// HaloPSA answered with an error status.
    Status { status: u16, message: String },
    /// The token request was refused.
    Token { status: u16, message: String },
    /// No answer (connection, timeout) after `attempts` tries.
    Transport { url: String, reason: String },
    /// An answer that is not what the API documents.
    Body { url: String, reason: String },
}

/// The HaloPSA HTTP client.
pub(super) struct Client {
    http: reqwest::Client,
    resource: String,
    auth: String,
    credentials: Credentials,
    options: Options,
    token: tokio::sync::Mutex<Option<(Secret, Option<Instant>)>>,
    retrier: Retrier,
    counter: Counter,
    /// The client id and secret, taken out of any server text reckon prints.
    redactor: Redactor,
}

impl Client {
    pub fn new(
        resource_server: &str,
        auth_server: &str,
        credentials: Credentials,
        options: Options,
    ) -> Result<Self, reqwest::Error> {
        // No redirect is followed, so the bearer token never goes anywhere else.
        let http = crate::psa::http::client(options.timeout)?;
        let redactor = Redactor::new()
            .secret(&credentials.client_id)
            .secret(&credentials.client_secret);
        Ok(Self {
            http,
            resource: resource_server.trim().trim_end_matches('/').to_owned(),
            auth: auth_server.trim().trim_end_matches('/').to_owned(),
            credentials,
            retrier: Retrier::new(options.policy()),
            options,
            token: tokio::sync::Mutex::new(None),
            counter: Counter::default(),
            redactor,
        })
    }

    /// The resource server, for messages.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// Requests made so far, by endpoint, in first-use order (token requests included).
    pub fn counts(&self) -> Vec<(String, u64)> {
        self.counter.counts()
    }

    /// The bearer token: the one held while it is valid, else a new one.
    pub async fn token(&self) -> Result<Secret, Failure> {
        let mut held = self.token.lock().await;
        if let Some((token, expires)) = held.as_ref()
            && expires.is_none_or(|at| Instant::now() < at)
        {
            return Ok(token.clone());
        }
        let (token, expires) = self.fetch_token().await?;
        *held = Some((token.clone(), expires));
        Ok(token)
    }

    /// Drops `used` (answered 401) unless a concurrent request already replaced it.
    async fn forget(&self, used: &Secret) {
        let mut held = self.token.lock().await;
        if held
            .as_ref()
            .is_some_and(|(t, _)| t.expose() == used.expose())
        {
            *held = None;
        }
    }

    /// `POST {auth}/token`; a 429, 5xx or lost answer is tried again (asking for a token
    /// changes nothing), up to the same attempts as any request.
    async fn fetch_token(&self) -> Result<(Secret, Option<Instant>), Failure> {
        self.retrier
            .run(&self.counter, "POST token", || async {
                step(self.token_attempt().await)
            })
            .await
            .map_err(|failed| match failed.error {
                Refused::Unauthorised(failure) | Refused::Failed(failure) => failure,
            })
    }

    async fn token_attempt(&self) -> Result<(Secret, Option<Instant>), Outcome> {
        let url = format!("{}/token", self.auth);
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.credentials.client_id.expose()),
            ("client_secret", self.credentials.client_secret.expose()),
            ("scope", "all"),
        ];
        let mut builder = self.http.post(&url).form(&form);
        if let Some(tenant) = &self.credentials.tenant {
            builder = builder.query(&[("tenant", tenant)]);
        }
        let lost = |e| Outcome::Retry(transport(&url, e), http::Failure::Transient);
        let response = crate::psa::http::send(builder).await.map_err(lost)?;
        let status = response.status();
        let retry_after = retry_after(&response);
        let body = response.bytes().await.map_err(lost)?;
        if !status.is_success() {
            let failure = Failure::Token {
                status: status.as_u16(),
                message: error_message(&body, &self.redactor),
            };
            return Err(match status {
                StatusCode::TOO_MANY_REQUESTS => {
                    Outcome::Retry(failure, http::Failure::Throttled(retry_after))
                }
                s if s.is_server_error() => Outcome::Retry(failure, http::Failure::Transient),
                _ => Outcome::Final(failure),
            });
        }
        let token: wire::Token = serde_json::from_slice(&body).map_err(|e| {
            Outcome::Final(Failure::Body {
                url: url.clone(),
                reason: format!("it is not a token answer ({e})"),
            })
        })?;
        let expires = token.expires_in.map(|seconds| {
            let life = Duration::from_secs(seconds);
            Instant::now() + life.saturating_sub(EXPIRY_MARGIN.min(life / 2))
        });
        Ok((Secret::new(token.access_token), expires))
    }

    /// Sends `request`: a 401 fetches a new token once; a 429 waits its `Retry-After`; a 5xx or
    /// lost answer is retried for reads only. Returns the body of a 2xx answer.
    pub async fn send(&self, request: &Request) -> Result<Vec<u8>, Failure> {
        let url = format!("{}/{}", self.resource, request.path);
        let mut refreshed = false;
        loop {
            let token = self.token().await?;
            let answer = self
                .retrier
                .run(&self.counter, request.endpoint, || async {
                    step(self.attempt(&url, request, &token).await)
                })
                .await;
            match answer {
                Ok(body) => return Ok(body),
                Err(failed) => match failed.error {
                    Refused::Unauthorised(_) if !refreshed => {
                        refreshed = true;
                        self.forget(&token).await;
                    }
                    Refused::Unauthorised(failure) | Refused::Failed(failure) => {
                        return Err(failure);
                    }
                },
            }
        }
    }

    async fn attempt(
        &self,
        url: &str,
        request: &Request,
        token: &Secret,
    ) -> Result<Vec<u8>, Outcome> {
        let mut builder = self
            .http
            .request(request.method.clone(), url)
            .query(&request.query)
            .bearer_auth(token.expose())
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(body) = &request.body {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let lost = |error: reqwest::Error| {
            let failure = transport(url, error);
            if request.repeatable() {
                Outcome::Retry(failure, http::Failure::Transient)
            } else {
                Outcome::Final(failure)
            }
        };
        let response = crate::psa::http::send(builder).await.map_err(lost)?;
        let status = response.status();
        let retry_after = retry_after(&response);
        let body = response.bytes().await.map_err(lost)?.to_vec();
        if status.is_success() {
            return Ok(body);
        }
        let failure = Failure::Status {
            status: status.as_u16(),
            message: error_message(&body, &self.redactor),
        };
        Err(match status {
            StatusCode::UNAUTHORIZED => Outcome::Unauthorised(failure),
            // A 429 refused the request before doing it: safe to send again, writes included.
            StatusCode::TOO_MANY_REQUESTS => {
                Outcome::Retry(failure, http::Failure::Throttled(retry_after))
            }
            s if s.is_server_error() && request.repeatable() => {
                Outcome::Retry(failure, http::Failure::Transient)
            }
            _ => Outcome::Final(failure),
        })
    }

    /// Every page of a list endpoint: `pageinate=true`, `page_size`, `page_no` from 1. The
    /// first page's `record_count` says how many pages there are; the rest are then read
    /// [`PAGES_IN_FLIGHT`] at a time, in order.
    pub async fn get_all<T: DeserializeOwned>(&self, request: Request) -> Result<Vec<T>, Failure> {
        let size = u64::from(self.options.page_size.max(1));
        let first = self.page::<T>(&request, size, 1).await?;
        let mut rows = first.rows;
        let Some(total) = first.record_count else {
            return self.rest_in_sequence(&request, size, rows).await;
        };
        let pages = total.div_ceil(size);
        if pages > MAX_PAGES {
            return Err(self.broken(&request, format!("it counts more than {MAX_PAGES} pages")));
        }
        let mut rest = stream::iter(2..=pages)
            .map(|page_no| self.page::<T>(&request, size, page_no))
            .buffered(PAGES_IN_FLIGHT);
        while let Some(page) = rest.next().await {
            rows.extend(page?.rows);
        }
        Ok(rows)
    }

    /// Without `record_count`, pages follow each other until one comes short.
    async fn rest_in_sequence<T: DeserializeOwned>(
        &self,
        request: &Request,
        size: u64,
        mut rows: Vec<T>,
    ) -> Result<Vec<T>, Failure> {
        let mut got = rows.len() as u64;
        for page_no in 2..=MAX_PAGES {
            if got < size {
                return Ok(rows);
            }
            let page = self.page::<T>(request, size, page_no).await?;
            got = page.rows.len() as u64;
            rows.extend(page.rows);
        }
        Err(self.broken(request, format!("it pages past {MAX_PAGES} pages")))
    }

    async fn page<T: DeserializeOwned>(
        &self,
        request: &Request,
        size: u64,
        page_no: u64,
    ) -> Result<wire::Page<T>, Failure> {
        let paged = Request {
            query: request.query.clone(),
            path: request.path.clone(),
            body: None,
            ..Request::get(String::new(), request.endpoint)
        }
        .param("pageinate", "true")
        .param("page_size", size.to_string())
        .param("page_no", page_no.to_string());
        let body = self.send(&paged).await?;
        serde_json::from_slice(&body).map_err(|e| {
            self.broken(
                request,
                format!("page {page_no} is not a HaloPSA list ({e})"),
            )
        })
    }

    fn broken(&self, request: &Request, reason: String) -> Failure {
        Failure::Body {
            url: format!("{}/{}", self.resource, request.path),
            reason,
        }
    }
}

/// How one attempt ended, when not with a 2xx.
enum Outcome {
    Final(Failure),
    Unauthorised(Failure),
    /// Retryable, as the shared policy says for this kind of failure.
    Retry(Failure, http::Failure),
}

/// Why a request stopped without a 2xx: a 401 (answered by a new token, once) or anything else.
enum Refused {
    Unauthorised(Failure),
    Failed(Failure),
}

/// An attempt's outcome as a step of the shared [`Retrier`].
fn step<T>(outcome: Result<T, Outcome>) -> Step<T, Refused> {
    match outcome {
        Ok(value) => Step::Done(Ok(value)),
        Err(Outcome::Final(failure)) => Step::Done(Err(Refused::Failed(failure))),
        Err(Outcome::Unauthorised(failure)) => Step::Done(Err(Refused::Unauthorised(failure))),
        Err(Outcome::Retry(failure, kind)) => Step::Retry(Refused::Failed(failure), kind),
    }
}

fn transport(url: &str, error: reqwest::Error) -> Failure {
    Failure::Transport {
        url: url.to_owned(),
        // The URL is reported once, by the failure; reqwest would repeat it (with its query).
        reason: crate::psa::http::error_chain(&error.without_url()),
    }
}

/// `Retry-After`, in seconds or as an HTTP-date.
fn retry_after(response: &reqwest::Response) -> Option<RetryAfter> {
    RetryAfter::parse(
        response
            .headers()
            .get(reqwest::header::RETRY_AFTER)?
            .to_str()
            .ok()?,
    )
}

/// HaloPSA's error text, short: its body as text (the error body's shape is not documented),
/// with the client credentials redacted before it is cut.
fn error_message(body: &[u8], redactor: &Redactor) -> String {
    crate::psa::http::short_text(&redactor.redact(&String::from_utf8_lossy(body)))
}

/// A failure in words (without advice; the adapter adds what to check).
pub(super) fn describe(failure: &Failure) -> String {
    match failure {
        Failure::Status { status, message } => format!("HaloPSA answered HTTP {status}: {message}"),
        Failure::Token { status, message } => {
            format!("the token request was refused (HTTP {status}: {message})")
        }
        Failure::Transport { url, reason } => format!("no answer from {url}: {reason}"),
        Failure::Body { url, reason } => format!("{url} answered unexpectedly: {reason}"),
    }
}
