//! The ConnectWise HTTP transport: where the API lives, how requests are signed, retried,
//! paged and counted (the requests themselves and their failures are in `request`).
//!
//! Owns codebase discovery (`/login/companyinfo/{companyId}`, redone once when a request answers
//! 404, as hosted tenants move codebase on upgrade), the Basic credentials and `clientId` header,
//! which failures may be retried (429 always, as ConnectWise refuses before doing anything; 5xx
//! and lost connections only for requests that are safe to repeat) and `Link`-header paging.
//! When and how often to retry, and the request count, are the shared [`crate::psa::http`]
//! policy. It knows nothing of
//! agreements or quantities and never formats a credential: failures carry URLs and
//! ConnectWise's own messages, and the keys live only in [`Secret`]s.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use super::request::{Failure, Request, Response, describe, error_message};
use super::wire;
use crate::psa::http::{self, Counter, Outbound, Retrier, RetryAfter, Step};
use crate::secret::{Redactor, Secret};

/// The API version reckon is written against, pinned in every `Accept` header so a server
/// upgrade cannot change response shapes under it.
pub const API_VERSION: &str = "2025.1";

/// Records per page: ConnectWise's maximum.
const PAGE_SIZE: usize = 1000;

/// More pages than any tenant has (10 million records); a server that keeps linking a next
/// page beyond it is treated as broken rather than followed forever.
const MAX_PAGES: u32 = 10_000;

/// How hard the transport tries before giving up.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Time allowed for one request, connection to last byte.
    pub timeout: Duration,
    /// Attempts per request, the first included.
    pub attempts: u32,
    /// Wait before the second attempt; doubled before each further one (with jitter).
    pub backoff: Duration,
    /// The longest wait: backoffs are capped at it, and a longer `Retry-After` ends the
    /// request as failed.
    pub max_retry_after: Duration,
    /// Writes apply may run at once (`psa.write_concurrency`). ConnectWise publishes no rate
    /// limit; [`DEFAULT_WRITE_CONCURRENCY`] stays well below what provokes 429s.
    pub write_concurrency: usize,
}

/// Writes at once when `psa.write_concurrency` is not set: as many as the bundled reads keep
/// in flight.
pub const DEFAULT_WRITE_CONCURRENCY: usize = 6;

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
            backoff: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(120),
            write_concurrency: DEFAULT_WRITE_CONCURRENCY,
        }
    }
}

/// Who reckon is to ConnectWise.
pub(super) struct Credentials {
    pub company_id: String,
    pub public_key: Secret,
    pub private_key: Secret,
    pub client_id: String,
}

/// The ConnectWise HTTP client.
pub(super) struct Client {
    http: reqwest::Client,
    site: String,
    fixed_base: Option<String>,
    credentials: Credentials,
    retrier: Retrier,
    outbound: Outbound,
    redactor: Arc<Redactor>,
    base: tokio::sync::Mutex<Option<String>>,
    rediscovered: AtomicBool,
    counter: Counter,
    write_concurrency: usize,
}

impl Client {
    /// A client for `site` (a host, or a URL with scheme), using `base_url` (the REST root,
    /// `…/apis/3.0`) when given instead of discovering it; it sends only where `outbound`
    /// allows.
    pub fn new(
        site: &str,
        base_url: Option<&str>,
        credentials: Credentials,
        options: Options,
        outbound: Outbound,
    ) -> Result<Self, reqwest::Error> {
        let http = http::client(options.timeout)?;
        let site = site.trim().trim_end_matches('/');
        let site = if site.contains("://") {
            site.to_owned()
        } else {
            format!("https://{site}")
        };
        let fixed_base = base_url.map(|b| b.trim().trim_end_matches('/').to_owned());
        let redactor = Redactor::new()
            .secret(&credentials.public_key)
            .secret(&credentials.private_key)
            .basic(&basic_user(&credentials), &credentials.private_key);
        Ok(Self {
            http,
            site,
            base: tokio::sync::Mutex::new(fixed_base.clone()),
            fixed_base,
            credentials,
            retrier: Retrier::new(options.policy()),
            outbound,
            redactor: Arc::new(redactor),
            rediscovered: AtomicBool::new(false),
            counter: Counter::default(),
            write_concurrency: options.write_concurrency.max(1),
        })
    }

    /// Writes apply may run at once ([`Options::write_concurrency`]).
    pub fn write_concurrency(&self) -> usize {
        self.write_concurrency
    }

    /// The site as configured, for messages.
    pub fn site(&self) -> &str {
        &self.site
    }

    /// The login company id, for messages.
    pub fn company_id(&self) -> &str {
        &self.credentials.company_id
    }

    /// `text` from the server with every form of the credentials removed.
    pub fn redact(&self, text: &str) -> String {
        self.redactor.redact(text)
    }

    /// Requests made so far, by endpoint, in first-use order.
    pub fn counts(&self) -> Vec<(String, u64)> {
        self.counter.counts()
    }

    /// The REST root: the configured `base_url`, or the one discovered (once) from the site.
    pub async fn base(&self) -> Result<String, Failure> {
        let mut base = self.base.lock().await;
        if let Some(known) = base.as_ref() {
            return Ok(known.clone());
        }
        let found = self.discover().await?;
        *base = Some(found.clone());
        Ok(found)
    }

    /// Whether the REST root comes from discovery (and so may move).
    pub fn discovers(&self) -> bool {
        self.fixed_base.is_none()
    }

    /// Asks the site which codebase serves the company: `GET /login/companyinfo/{companyId}`,
    /// unauthenticated.
    pub async fn discover(&self) -> Result<String, Failure> {
        let url = format!(
            "{}/login/companyinfo/{}",
            self.site, self.credentials.company_id
        );
        let request = Request::get(String::new(), "GET login/companyinfo");
        let response = self.attempt_all(&url, &request, false).await.map_err(|failure| {
            // A refusal already says what to check.
            if let Failure::Refused(_) = failure {
                return failure;
            }
            Failure::Discovery(format!(
                "cannot discover the API codebase from {url}: {}; check psa.site and psa.company_id, \
                 or set psa.base_url",
                describe(&failure)
            ))
        })?;
        let info: Option<wire::CompanyInfo> = response.json().map_err(|failure| {
            Failure::Discovery(format!(
                "{url} answered something other than company info: {}",
                describe(&failure)
            ))
        })?;
        let codebase = info
            .and_then(|i| i.codebase)
            .map(|c| c.trim_matches('/').to_owned())
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                Failure::Discovery(format!(
                    "{} does not know company id {}; check psa.company_id (the company you log in as)",
                    self.site, self.credentials.company_id
                ))
            })?;
        Ok(format!("{}/{codebase}/apis/3.0", self.site))
    }

    /// Sends `request`; when a discovered codebase answers 404, discovers again once and, if
    /// the codebase moved, repeats the request there.
    pub async fn send(&self, request: &Request) -> Result<Response, Failure> {
        let base = self.base().await?;
        let result = self.send_to(&base, request).await;
        let stale =
            request.may_be_stale && matches!(result, Err(Failure::Status { status: 404, .. }));
        if !self.discovers() || !stale {
            return result;
        }
        let fresh = {
            let mut current = self.base.lock().await;
            match current.as_ref() {
                // A concurrent request has already found the new codebase.
                Some(now) if *now != base => now.clone(),
                _ if self.rediscovered.swap(true, Ordering::SeqCst) => return result,
                _ => {
                    let fresh = self.discover().await?;
                    *current = Some(fresh.clone());
                    fresh
                }
            }
        };
        if fresh == base {
            return result;
        }
        self.send_to(&fresh, request).await
    }

    /// Every page of a list endpoint. The request's own parameters (conditions above all) are
    /// sent again with every page; only the page number is taken from the `Link` header.
    pub async fn get_all<T: DeserializeOwned>(&self, request: Request) -> Result<Vec<T>, Failure> {
        let mut items = Vec::new();
        self.get_pages(request, |page| items.extend(page)).await?;
        Ok(items)
    }

    /// As [`Client::get_all`], handing each page to `on_page` as it arrives, so a caller can
    /// start the reads that depend on it while the next page is on its way.
    ///
    /// A full page whose `Link` names no next page is not taken as the end: the list may have
    /// exactly that many rows, or the link may have been lost, so the next page is read too and
    /// the list fails unless it is empty.
    pub async fn get_pages<T: DeserializeOwned>(
        &self,
        request: Request,
        mut on_page: impl FnMut(Vec<T>),
    ) -> Result<(), Failure> {
        let mut page = 1;
        loop {
            let response = self.send(&page_of(&request, page)).await?;
            let rows = response.json::<Vec<T>>()?;
            let full = rows.len() >= PAGE_SIZE;
            on_page(rows);
            match response.next_page() {
                None if full => return self.confirm_last(&request, page, response.url).await,
                Some(next) if next > page && next <= MAX_PAGES => page = next,
                Some(next) if next <= page => {
                    return Err(Failure::Body {
                        url: response.url,
                        reason: format!("its Link header points back to page {next}"),
                    });
                }
                Some(_) => {
                    return Err(Failure::Body {
                        url: response.url,
                        reason: format!("it links more than {MAX_PAGES} pages"),
                    });
                }
                None => return Ok(()),
            }
        }
    }

    /// After full page `page` without a next link: `Ok` when the page after it is empty (the
    /// list ended on a page boundary), else the failure of a list that cannot be read whole.
    async fn confirm_last(&self, request: &Request, page: u32, url: String) -> Result<(), Failure> {
        let after = self.send(&page_of(request, page + 1)).await?;
        let rows = after.json::<Vec<serde::de::IgnoredAny>>()?;
        if rows.is_empty() {
            return Ok(());
        }
        Err(Failure::Body {
            url,
            reason: format!(
                "page {page} was full ({PAGE_SIZE} rows) but its Link header named no next page, \
                 and page {} has {} more rows: the list cannot be read completely",
                page + 1,
                rows.len()
            ),
        })
    }

    async fn send_to(&self, base: &str, request: &Request) -> Result<Response, Failure> {
        let url = format!("{base}/{}", request.path);
        self.attempt_all(&url, request, true).await
    }

    /// Sends `request` to `url`, retrying what may be retried under the shared policy.
    async fn attempt_all(
        &self,
        url: &str,
        request: &Request,
        authenticated: bool,
    ) -> Result<Response, Failure> {
        self.outbound.check(url).map_err(Failure::Refused)?;
        self.retrier
            .run(&self.counter, request.endpoint, || {
                self.attempt(url, request, authenticated)
            })
            .await
            .map_err(|failed| failed.error.after(failed.attempts))
    }

    async fn attempt(
        &self,
        url: &str,
        request: &Request,
        authenticated: bool,
    ) -> Step<Response, Failure> {
        let mut builder = self
            .http
            .request(request.method.clone(), url)
            .query(&request.query)
            .header(reqwest::header::ACCEPT, accept());
        if authenticated {
            let credentials = &self.credentials;
            builder = builder
                .basic_auth(
                    basic_user(credentials),
                    Some(credentials.private_key.expose()),
                )
                .header("clientId", &credentials.client_id);
        }
        if let Some(body) = &request.body {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let transport = |error: reqwest::Error| Failure::Transport {
            url: url.to_owned(),
            // The URL is reported once, by the failure; reqwest would repeat it.
            reason: crate::psa::http::error_chain(&error.without_url()),
            attempts: 1,
        };
        // No answer, or a 5xx: repeated only when the request is safe to repeat.
        let lost = |failure| {
            if request.repeatable {
                Step::Retry(failure, http::Failure::Transient)
            } else {
                Step::Done(Err(failure))
            }
        };
        let response = match http::send(builder).await {
            Ok(response) => response,
            Err(error) => return lost(transport(error)),
        };
        let status = response.status();
        let headers = response.headers().clone();
        let retry_after = retry_after(&response);
        let link = response
            .headers()
            .get(reqwest::header::LINK)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = match response.bytes().await {
            Ok(body) => body.to_vec(),
            Err(error) => return lost(transport(error)),
        };
        if status.is_success() {
            return Step::Done(Ok(Response {
                url: url.to_owned(),
                body,
                link,
                redactor: Arc::clone(&self.redactor),
            }));
        }
        if status.is_redirection() {
            let note = http::redirect_note(status.as_u16(), &headers, url);
            return Step::Done(Err(Failure::Status {
                status: status.as_u16(),
                message: note,
            }));
        }
        let failure = Failure::Status {
            status: status.as_u16(),
            message: error_message(&body, &self.redactor),
        };
        if status == StatusCode::TOO_MANY_REQUESTS {
            Step::Retry(failure, http::Failure::Throttled(retry_after))
        } else if status.is_server_error() {
            lost(failure)
        } else {
            Step::Done(Err(failure))
        }
    }
}

/// Page `page` of list `request`: its own parameters, then `pageSize` and `page`.
fn page_of(request: &Request, page: u32) -> Request {
    let mut paged = Request {
        query: request.query.clone(),
        path: request.path.clone(),
        body: None,
        ..Request::get(String::new(), request.endpoint)
    };
    paged.query.push(("pageSize", PAGE_SIZE.to_string()));
    paged.query.push(("page", page.to_string()));
    paged
}

/// The Basic-auth user: `companyId+publicKey`.
fn basic_user(credentials: &Credentials) -> String {
    format!(
        "{}+{}",
        credentials.company_id,
        credentials.public_key.expose()
    )
}

/// The pinned `Accept` header.
pub(super) fn accept() -> String {
    format!("application/vnd.connectwise.com+json; version={API_VERSION}")
}

/// `Retry-After`, in seconds (what ConnectWise sends) or as an HTTP-date.
fn retry_after(response: &reqwest::Response) -> Option<RetryAfter> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?;
    RetryAfter::parse(value.to_str().ok()?)
}
