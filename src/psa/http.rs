//! One HTTP policy for every PSA adapter: when a failed request is tried again and after how
//! long, how requests are counted (and told to the front end's progress, [`Observer`]), how
//! the HTTP client is built, and where a request may go.
//!
//! Retrying is a state machine in the style of cargo's `RetryResult`: [`Retry::next`] takes how
//! an attempt failed and the current time (`now` is passed in, never read here) and answers
//! [`RetryResult::Retry`] with the wait, or [`RetryResult::GiveUp`]. A server's `Retry-After`
//! (delay-seconds or an HTTP-date, RFC 9110 §10.2.3) is honoured when it is within
//! [`Policy::max_wait`] and ends the request otherwise: retrying before the server's time is
//! refused again, and a plan should fail quickly rather than sit for an hour. Without one, the
//! wait doubles from [`Policy::backoff`], capped at `max_wait`. Both carry jitter from an
//! injected [`Jitter`], so concurrent requests do not retry in step and tests are
//! deterministic. [`Retrier::run`] drives an attempt closure through the machine on tokio's
//! clock (paused in tests), counting every attempt in one [`Counter`].
//!
//! Outbound trust ([`Outbound`], [`url_problem`]): no redirect is ever followed (a 3xx is a
//! failure naming only the origin it pointed at), a URL with userinfo is refused, `http://`
//! only reaches loopback, and when `RECKON_PSA_HOSTS` is set (by CI, outside the repository)
//! nothing at all is sent to a host outside it, so a pull request that repoints the PSA gets no
//! request and no credential.
//!
//! Knows nothing of any PSA's statuses or bodies: each adapter says how an attempt ended
//! ([`Step`]), and whether it is safe to repeat.

use std::future::Future;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, NaiveDateTime, Utc};
use reqwest::Url;
use reqwest::header::{HeaderMap, LOCATION};

/// How hard to try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Attempts per request, the first included (at least one is made).
    pub attempts: u32,
    /// The wait before the second attempt when the server names none; doubled before each
    /// further one.
    pub backoff: Duration,
    /// The longest wait: a computed backoff is capped at it; a longer `Retry-After` gives up.
    pub max_wait: Duration,
}

/// When the server said to try again (`Retry-After`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: 120`.
    Delay(Duration),
    /// `Retry-After: Wed, 21 Oct 2026 07:28:00 GMT`.
    At(SystemTime),
}

impl RetryAfter {
    /// A `Retry-After` value: delay-seconds, or an HTTP-date in IMF-fixdate or either obsolete
    /// form (RFC 9110 §5.6.7, which recipients must accept); `None` when it is neither.
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        if let Ok(seconds) = value.parse::<u64>() {
            return Some(Self::Delay(Duration::from_secs(seconds)));
        }
        http_date(value).map(Self::At)
    }

    /// The wait this asks for at `now` (zero for a time already past).
    fn wait_at(self, now: SystemTime) -> Duration {
        match self {
            Self::Delay(wait) => wait,
            Self::At(at) => at.duration_since(now).unwrap_or(Duration::ZERO),
        }
    }
}

/// An HTTP-date as a time: IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), RFC 850
/// (`Sunday, 06-Nov-94 08:49:37 GMT`) or asctime (`Sun Nov  6 08:49:37 1994`).
fn http_date(text: &str) -> Option<SystemTime> {
    let utc = if let Ok(date) = DateTime::parse_from_rfc2822(text) {
        date.with_timezone(&Utc)
    } else {
        let forms = ["%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"];
        let naive = forms
            .iter()
            .find_map(|form| NaiveDateTime::parse_from_str(text, form).ok())?;
        naive.and_utc()
    };
    Some(SystemTime::from(utc))
}

/// How a failed attempt may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The server refused for now (429, a thread limit), perhaps naming when to come back.
    Throttled(Option<RetryAfter>),
    /// A failure worth repeating (5xx, a lost connection) of a request safe to repeat.
    Transient,
}

/// What [`Retry::next`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryResult {
    /// Try again after this wait.
    Retry(Duration),
    /// Stop: the failure stands.
    GiveUp(GiveUp),
}

/// Why retrying stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiveUp {
    /// Every allowed attempt was made.
    Exhausted,
    /// The server asked for a wait longer than [`Policy::max_wait`].
    WaitTooLong(Duration),
}

/// A source of jitter: a fraction of a wait, in thousandths.
pub trait Jitter: Send {
    /// A value in `0..1000`.
    fn permille(&mut self) -> u32;
}

/// Jitter from a xorshift generator seeded by the standard library's per-process random keys
/// (no randomness crate needed for spreading retries).
#[derive(Debug)]
pub struct RandomJitter(u64);

impl Default for RandomJitter {
    fn default() -> Self {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(0x9e37_79b9_7f4a_7c15);
        Self(hasher.finish() | 1)
    }
}

impl Jitter for RandomJitter {
    fn permille(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        u32::try_from(x % 1000).unwrap_or(0)
    }
}

/// The retry state of one request.
#[derive(Debug, Clone)]
pub struct Retry {
    policy: Policy,
    attempts: u32,
}

impl Retry {
    /// A request about to make its first attempt.
    pub fn new(policy: Policy) -> Self {
        Self {
            policy,
            attempts: 0,
        }
    }

    /// Attempts made so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Records that an attempt is being made.
    pub fn attempt(&mut self) {
        self.attempts = self.attempts.saturating_add(1);
    }

    /// After a failed attempt at `now`: wait and retry, or give up.
    ///
    /// A `Retry-After` within `max_wait` is waited for in full plus up to a tenth more (never
    /// less than asked); a backoff `b` (doubling, capped at `max_wait`) becomes a wait between
    /// `b/2` and `b` ("equal jitter").
    pub fn next(&self, failure: Failure, now: SystemTime, jitter: &mut dyn Jitter) -> RetryResult {
        if self.attempts >= self.policy.attempts.max(1) {
            return RetryResult::GiveUp(GiveUp::Exhausted);
        }
        let permille = jitter.permille().min(999);
        match failure {
            Failure::Throttled(Some(after)) => {
                let asked = after.wait_at(now);
                if asked > self.policy.max_wait {
                    return RetryResult::GiveUp(GiveUp::WaitTooLong(asked));
                }
                RetryResult::Retry(asked.saturating_add(asked * permille / 10_000))
            }
            Failure::Throttled(None) | Failure::Transient => {
                let doubling = self.attempts.saturating_sub(1).min(16);
                let full = self
                    .policy
                    .backoff
                    .saturating_mul(1 << doubling)
                    .min(self.policy.max_wait);
                let half = full / 2;
                RetryResult::Retry(half.saturating_add((full - half) * permille / 1000))
            }
        }
    }
}

/// How one attempt ended, as the adapter sees it.
#[derive(Debug)]
pub enum Step<T, E> {
    /// Final: a success, or a failure not to be retried.
    Done(Result<T, E>),
    /// A failure that may be retried.
    Retry(E, Failure),
}

/// A request that failed for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed<E> {
    /// The last attempt's failure.
    pub error: E,
    /// Attempts made.
    pub attempts: u32,
    /// Why retrying stopped; `None` when the failure was final.
    pub gave_up: Option<GiveUp>,
}

/// Hears of each request as it is counted: the front end's progress display (pages read per
/// endpoint). Installed once per process with [`observe`], before the PSA client is built; the
/// adapters know nothing of it, and a process that installs none (the library, tests) pays one
/// branch per request.
pub trait Observer: Send + Sync {
    /// One more request was counted; `counts` holds every endpoint's requests so far, in
    /// first-use order. Called with the counter held: return quickly, never call back into it.
    fn counted(&self, counts: &[(String, u64)]);
}

/// The process's observer, if the front end installed one.
static OBSERVER: OnceLock<&'static dyn Observer> = OnceLock::new();

/// Makes `observer` hear of every request counted by counters built from now on; the first
/// observer installed stays (one front end per process).
pub fn observe(observer: &'static dyn Observer) {
    let _ = OBSERVER.set(observer);
}

/// Requests made, by endpoint, in first-use order: the one count every adapter reports, told
/// to the process's [`Observer`] as it grows.
pub struct Counter {
    counts: Mutex<Vec<(String, u64)>>,
    observer: Option<&'static dyn Observer>,
}

impl Default for Counter {
    /// A counter told to the process's observer, if one is installed.
    fn default() -> Self {
        Self::observed_by(OBSERVER.get().copied())
    }
}

impl std::fmt::Debug for Counter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Counter").field(&self.counts()).finish()
    }
}

impl Counter {
    /// A counter told to `observer` (none: to no one).
    pub fn observed_by(observer: Option<&'static dyn Observer>) -> Self {
        Self {
            counts: Mutex::new(Vec::new()),
            observer,
        }
    }

    /// Counts one request to `endpoint`.
    pub fn count(&self, endpoint: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        match counts.iter_mut().find(|(e, _)| e == endpoint) {
            Some((_, n)) => *n = n.saturating_add(1),
            None => counts.push((endpoint.to_owned(), 1)),
        }
        if let Some(observer) = self.observer {
            observer.counted(&counts);
        }
    }

    /// The counts so far.
    pub fn counts(&self) -> Vec<(String, u64)> {
        self.counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Runs requests under a [`Policy`]: one per adapter client, shared by its requests.
pub struct Retrier {
    policy: Policy,
    jitter: Mutex<Box<dyn Jitter>>,
    clock: Box<dyn Fn() -> SystemTime + Send + Sync>,
}

impl std::fmt::Debug for Retrier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Retrier")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Retrier {
    /// A retrier with random jitter and the system clock.
    pub fn new(policy: Policy) -> Self {
        Self::with(
            policy,
            Box::new(RandomJitter::default()),
            Box::new(SystemTime::now),
        )
    }

    /// A retrier with the given jitter and clock (tests).
    pub fn with(
        policy: Policy,
        jitter: Box<dyn Jitter>,
        clock: Box<dyn Fn() -> SystemTime + Send + Sync>,
    ) -> Self {
        Self {
            policy,
            jitter: Mutex::new(jitter),
            clock,
        }
    }

    /// Calls `attempt` until it is done or the policy gives up, sleeping (on tokio's clock)
    /// between attempts; each attempt is counted under `endpoint` in `counter`.
    pub async fn run<T, E, F, Fut>(
        &self,
        counter: &Counter,
        endpoint: &str,
        mut attempt: F,
    ) -> Result<T, Failed<E>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Step<T, E>>,
    {
        let mut retry = Retry::new(self.policy);
        loop {
            retry.attempt();
            counter.count(endpoint);
            let (error, failure) = match attempt().await {
                Step::Done(Ok(value)) => return Ok(value),
                Step::Done(Err(error)) => {
                    return Err(Failed {
                        error,
                        attempts: retry.attempts(),
                        gave_up: None,
                    });
                }
                Step::Retry(error, failure) => (error, failure),
            };
            let decided = {
                let mut jitter = self.jitter.lock().unwrap_or_else(PoisonError::into_inner);
                retry.next(failure, (self.clock)(), jitter.as_mut())
            };
            match decided {
                RetryResult::Retry(wait) => {
                    tracing::info!(target: "reckon::psa", endpoint, attempt = retry.attempts(), wait_ms = wait.as_millis(), why = ?failure, "PSA request retried");
                    tokio::time::sleep(wait).await;
                }
                RetryResult::GiveUp(why) => {
                    return Err(Failed {
                        error,
                        attempts: retry.attempts(),
                        gave_up: Some(why),
                    });
                }
            }
        }
    }
}

/// Sends one request, logging at debug level (`-v`) its method, host, URL path (never the
/// query, nor any header: credentials travel there), status or transport error with its
/// cause chain, and latency. The one place every adapter's requests go out.
pub async fn send(builder: reqwest::RequestBuilder) -> Result<reqwest::Response, reqwest::Error> {
    let (client, request) = builder.build_split();
    let request = request?;
    let method = request.method().clone();
    let host = request.url().host_str().unwrap_or_default().to_owned();
    let path = request.url().path().to_owned();
    let started = std::time::Instant::now();
    let result = client.execute(request).await;
    let ms = started.elapsed().as_millis();
    match &result {
        Ok(response) => {
            tracing::info!(target: "reckon::psa", %method, %host, %path, status = response.status().as_u16(), ms, "PSA request");
        }
        Err(error) => {
            tracing::info!(target: "reckon::psa", %method, %host, %path, ms, error = %error_chain(&error_without_url(error)), "PSA request failed");
        }
    }
    result
}

/// reqwest's message without the URL (the query may carry a user name), for logs.
fn error_without_url(error: &reqwest::Error) -> impl std::error::Error + '_ {
    struct Plain<'a>(&'a reqwest::Error);
    impl std::fmt::Debug for Plain<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            std::fmt::Display::fmt(self, f)
        }
    }
    impl std::fmt::Display for Plain<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            let text = self.0.to_string();
            match self.0.url() {
                Some(url) => f.write_str(&text.replace(&format!(" for url ({url})"), "")),
                None => f.write_str(&text),
            }
        }
    }
    impl std::error::Error for Plain<'_> {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            std::error::Error::source(self.0)
        }
    }
    Plain(error)
}

/// An error and its sources, `: `-joined (reqwest's own message omits the cause).
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Server text as a short message: trimmed, at most 200 characters (`…` when cut), or
/// "no error message". Redact credentials before calling, so no prefix of one survives the cut.
pub fn short_text(text: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        return "no error message".to_owned();
    }
    let cut: String = text.chars().take(200).collect();
    if cut.len() < text.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// The HTTP client every PSA adapter uses: its timeout, reckon's user agent, no proxy
/// surprises beyond the environment's, and no redirects followed (see the outbound rules).
pub fn client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(timeout)
        .user_agent(concat!("reckon/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// What is wrong with `url` as a PSA address, if anything: a scheme other than `https` (or
/// `http` to loopback, for local simulators), userinfo (`user:pw@`, which would be sent and
/// printed), or no host.
pub fn url_problem(url: &Url) -> Option<String> {
    if !url.username().is_empty() || url.password().is_some() {
        return Some(
            "it holds a user name or password (`user:pw@host`); credentials belong in \
             psa.* credential fields ({env: NAME} or {file: path}), never in a URL"
                .to_owned(),
        );
    }
    let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
        return Some("it names no host".to_owned());
    };
    match url.scheme() {
        "https" => None,
        "http" if is_loopback(host) => None,
        "http" => Some(format!(
            "it is plain http:// to {host}, which would send credentials unencrypted; use \
             https:// (http:// is accepted only for localhost and 127.0.0.1)"
        )),
        other => Some(format!("its scheme is {other}:, not https:")),
    }
}

/// [`url_problem`] of a URL as written in config: a bare host (ConnectWise's `site`) is taken
/// as `https://host`.
pub fn text_url_problem(text: &str) -> Option<String> {
    let text = text.trim();
    let full = if text.contains("://") {
        text.to_owned()
    } else {
        format!("https://{text}")
    };
    match Url::parse(&full) {
        Ok(url) => url_problem(&url),
        Err(error) => Some(format!("it is not a URL ({error})")),
    }
}

/// `localhost`, `127.0.0.0/8` or `[::1]`.
fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Where PSA requests may go: every URL must pass [`url_problem`], and when an allowlist is set
/// (`RECKON_PSA_HOSTS`) its host must be on it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outbound {
    /// Host patterns (`host`, `host:port`, `*.domain`), lower case; `None` allows any host.
    allowed: Option<Vec<String>>,
}

impl Outbound {
    /// The environment variable holding the allowlist: hosts separated by commas or spaces.
    pub const VARIABLE: &'static str = "RECKON_PSA_HOSTS";

    /// The allowlist in `value` (the variable's content); `None` (unset) allows any host, and a
    /// set but empty list allows none.
    pub fn from_list(value: Option<&str>) -> Self {
        let allowed = value.map(|list| {
            list.split([',', ' ', '\n', '\t'])
                .map(|entry| entry.trim().trim_end_matches('.').to_ascii_lowercase())
                .filter(|entry| !entry.is_empty())
                .collect()
        });
        Self { allowed }
    }

    /// `Ok` when a request may be sent to `url`; else why not, in words for the user.
    pub fn check(&self, url: &str) -> Result<(), String> {
        let parsed = Url::parse(url).map_err(|e| format!("{url} is not a URL ({e})"))?;
        if let Some(problem) = url_problem(&parsed) {
            return Err(format!(
                "reckon sends nothing to {}: {problem}",
                origin(&parsed)
            ));
        }
        let Some(allowed) = &self.allowed else {
            return Ok(());
        };
        let host = parsed.host_str().unwrap_or("").to_ascii_lowercase();
        let port = parsed.port_or_known_default();
        if allowed
            .iter()
            .any(|pattern| host_matches(pattern, &host, port))
        {
            return Ok(());
        }
        Err(format!(
            "reckon sends nothing to {}: {host} is not in {} ({}), the PSA hosts this \
             environment allows; check psa.site / psa.base_url, or the variable where it is set",
            origin(&parsed),
            Self::VARIABLE,
            if allowed.is_empty() {
                "empty".to_owned()
            } else {
                allowed.join(", ")
            }
        ))
    }
}

/// Whether allowlist `pattern` (`host`, `host:port`, `*.domain`) admits `host` on `port`.
fn host_matches(pattern: &str, host: &str, port: Option<u16>) -> bool {
    let (name, wanted_port) = match pattern.rsplit_once(':') {
        Some((name, digits)) if !name.ends_with(':') && digits.parse::<u16>().is_ok() => {
            (name, digits.parse::<u16>().ok())
        }
        _ => (pattern, None),
    };
    if wanted_port.is_some() && wanted_port != port {
        return false;
    }
    match name.strip_prefix("*.") {
        Some(domain) => host.len() > domain.len() && host.ends_with(&format!(".{domain}")),
        None => host == name,
    }
}

/// `scheme://host[:port]`, the part of a URL safe to print (no path, query or userinfo).
pub fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// Why a 3xx answer is a failure: the origin it pointed at (never its path or query, which may
/// carry a token) and what to do.
pub fn redirect_note(status: u16, headers: &HeaderMap, from: &str) -> String {
    let target = headers
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|location| Url::parse(from).ok()?.join(location).ok())
        .map_or_else(|| "an unnamed address".to_owned(), |url| origin(&url));
    format!(
        "HTTP {status}: a redirect to {target}, which reckon does not follow (it would carry the \
         credentials); point psa.base_url at the address the PSA answers on"
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    /// Jitter that always answers the same.
    struct Fixed(u32);

    impl Jitter for Fixed {
        fn permille(&mut self) -> u32 {
            self.0
        }
    }

    /// Remembers the counts it was told, last first.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<Vec<(String, u64)>>>);

    impl Observer for Recorder {
        fn counted(&self, counts: &[(String, u64)]) {
            self.0.lock().expect("recorder").push(counts.to_vec());
        }
    }

    #[test]
    fn a_counter_tells_its_observer_every_count_as_it_grows() {
        static HEARD: std::sync::LazyLock<Recorder> = std::sync::LazyLock::new(Recorder::default);
        let counter = Counter::observed_by(Some(&*HEARD));
        counter.count("Companies/query");
        counter.count("Contracts/query");
        counter.count("Companies/query");
        let heard = HEARD.0.lock().expect("recorder").clone();
        let owned = |pairs: &[(&str, u64)]| -> Vec<(String, u64)> {
            pairs.iter().map(|(e, n)| ((*e).to_owned(), *n)).collect()
        };
        assert_eq!(
            heard,
            [
                owned(&[("Companies/query", 1)]),
                owned(&[("Companies/query", 1), ("Contracts/query", 1)]),
                owned(&[("Companies/query", 2), ("Contracts/query", 1)]),
            ]
        );
        assert_eq!(counter.counts(), heard[2]);
        // Without an observer the count is the same and told to no one.
        let quiet = Counter::observed_by(None);
        quiet.count("Companies/query");
        assert_eq!(quiet.counts(), owned(&[("Companies/query", 1)]));
    }

    const POLICY: Policy = Policy {
        attempts: 4,
        backoff: Duration::from_millis(500),
        max_wait: Duration::from_secs(60),
    };

    fn at(seconds: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
    }

    fn after(attempts: u32) -> Retry {
        let mut retry = Retry::new(POLICY);
        for _ in 0..attempts {
            retry.attempt();
        }
        retry
    }

    #[test]
    fn retry_after_reads_seconds_and_every_http_date_form() {
        assert_eq!(
            RetryAfter::parse(" 120 "),
            Some(RetryAfter::Delay(Duration::from_secs(120)))
        );
        // 784111777 is 1994-11-06T08:49:37Z, RFC 9110's example.
        let example = Some(RetryAfter::At(at(784_111_777)));
        assert_eq!(RetryAfter::parse("Sun, 06 Nov 1994 08:49:37 GMT"), example);
        assert_eq!(RetryAfter::parse("Sunday, 06-Nov-94 08:49:37 GMT"), example);
        assert_eq!(RetryAfter::parse("Sun Nov  6 08:49:37 1994"), example);
        assert_eq!(RetryAfter::parse("soon"), None);
        assert_eq!(RetryAfter::parse("-5"), None);
    }

    #[test]
    fn backoff_doubles_with_equal_jitter_and_is_capped() {
        let none = &mut Fixed(0);
        let most = &mut Fixed(999);
        let wait =
            |retry: &Retry, jitter: &mut dyn Jitter| retry.next(Failure::Transient, at(0), jitter);
        assert_eq!(
            wait(&after(1), none),
            RetryResult::Retry(Duration::from_millis(250))
        );
        assert_eq!(
            wait(&after(1), most),
            RetryResult::Retry(Duration::from_micros(499_750))
        );
        assert_eq!(
            wait(&after(2), none),
            RetryResult::Retry(Duration::from_millis(500))
        );
        assert_eq!(
            wait(&after(3), none),
            RetryResult::Retry(Duration::from_secs(1))
        );
        let long = Retry {
            policy: Policy {
                attempts: 30,
                ..POLICY
            },
            attempts: 20,
        };
        assert_eq!(
            long.next(Failure::Throttled(None), at(0), none),
            RetryResult::Retry(Duration::from_secs(30)),
            "capped at max_wait, then halved by the jitter floor"
        );
    }

    #[test]
    fn attempts_are_bounded() {
        assert_eq!(
            after(4).next(Failure::Transient, at(0), &mut Fixed(0)),
            RetryResult::GiveUp(GiveUp::Exhausted)
        );
        let once = Retry {
            policy: Policy {
                attempts: 0,
                ..POLICY
            },
            attempts: 1,
        };
        assert_eq!(
            once.next(Failure::Transient, at(0), &mut Fixed(0)),
            RetryResult::GiveUp(GiveUp::Exhausted),
            "zero attempts still means one"
        );
    }

    #[test]
    fn retry_after_is_waited_in_full_plus_jitter_or_gives_up_beyond_the_cap() {
        let asked = |after: RetryAfter, now: SystemTime, permille: u32| {
            self::after(1).next(Failure::Throttled(Some(after)), now, &mut Fixed(permille))
        };
        let seconds = RetryAfter::Delay(Duration::from_secs(10));
        assert_eq!(
            asked(seconds, at(0), 0),
            RetryResult::Retry(Duration::from_secs(10))
        );
        assert_eq!(
            asked(seconds, at(0), 500),
            RetryResult::Retry(Duration::from_millis(10_500))
        );
        let date = RetryAfter::At(at(1_030));
        assert_eq!(
            asked(date, at(1_000), 0),
            RetryResult::Retry(Duration::from_secs(30))
        );
        assert_eq!(
            asked(date, at(2_000), 0),
            RetryResult::Retry(Duration::ZERO),
            "already past"
        );
        assert_eq!(
            asked(RetryAfter::Delay(Duration::from_secs(3600)), at(0), 0),
            RetryResult::GiveUp(GiveUp::WaitTooLong(Duration::from_secs(3600)))
        );
        assert_eq!(
            asked(RetryAfter::At(at(4_600)), at(1_000), 0),
            RetryResult::GiveUp(GiveUp::WaitTooLong(Duration::from_secs(3600)))
        );
    }

    #[test]
    fn urls_with_userinfo_plain_http_to_a_remote_host_or_no_https_are_refused() {
        let problem = |text: &str| text_url_problem(text);
        assert_eq!(problem("api-na.myconnectwise.net"), None);
        assert_eq!(
            problem("https://webservices5.autotask.net/ATServicesRest"),
            None
        );
        assert_eq!(problem("http://127.0.0.1:8080/v2025_1/apis/3.0"), None);
        assert_eq!(problem("http://localhost:9"), None);
        assert_eq!(problem("http://[::1]:9/x"), None);
        let userinfo = problem("http://user:s3cr3t-77@127.0.0.1:9/").expect("refused");
        assert!(userinfo.contains("user name or password"), "{userinfo}");
        assert!(
            !userinfo.contains("s3cr3t-77"),
            "the password is not echoed: {userinfo}"
        );
        assert!(problem("https://user@cw.example").is_some());
        let plain = problem("http://cw.example/apis/3.0").expect("refused");
        assert!(plain.contains("plain http:// to cw.example"), "{plain}");
        assert!(problem("ftp://cw.example").is_some());
    }

    #[test]
    fn the_allowlist_admits_hosts_ports_and_subdomains_and_nothing_else() {
        let open = Outbound::from_list(None);
        assert_eq!(open.check("https://anywhere.example/x"), Ok(()));
        let list = Outbound::from_list(Some(
            "api-na.myconnectwise.net, *.autotask.net 127.0.0.1:8080",
        ));
        assert_eq!(
            list.check("https://API-NA.myconnectwise.net/v/apis/3.0"),
            Ok(())
        );
        assert_eq!(
            list.check("https://webservices5.autotask.net/ATServicesRest"),
            Ok(())
        );
        assert_eq!(list.check("http://127.0.0.1:8080/x"), Ok(()));
        assert!(list.check("http://127.0.0.1:9090/x").is_err(), "other port");
        assert!(
            list.check("https://autotask.net/").is_err(),
            "*. needs a subdomain"
        );
        assert!(list.check("https://evil-autotask.net/").is_err());
        let refused = list
            .check("https://pr.attacker.example/apis?key=1")
            .expect_err("outside");
        assert!(
            refused.starts_with("reckon sends nothing to https://pr.attacker.example: pr.attacker.example is not in RECKON_PSA_HOSTS"),
            "{refused}"
        );
        assert!(!refused.contains("key=1"), "no path or query: {refused}");
        let none = Outbound::from_list(Some(""));
        assert!(
            none.check("https://api-na.myconnectwise.net/").is_err(),
            "set but empty"
        );
    }

    #[test]
    fn a_redirect_names_only_its_target_origin() {
        let mut headers = HeaderMap::new();
        headers.insert(
            LOCATION,
            "https://elsewhere.example:8443/steal?token=abc"
                .parse()
                .expect("value"),
        );
        let note = redirect_note(302, &headers, "https://cw.example/v/apis/3.0/x");
        assert!(note.starts_with("HTTP 302: a redirect to https://elsewhere.example:8443, which reckon does not follow"), "{note}");
        assert!(!note.contains("token"), "{note}");
        headers.insert(LOCATION, "/other".parse().expect("value"));
        assert!(
            redirect_note(307, &headers, "https://cw.example/x").contains("to https://cw.example,")
        );
    }

    #[test]
    fn random_jitter_stays_in_range() {
        let mut jitter = RandomJitter::default();
        assert!((0..1000).all(|_| jitter.permille() < 1000));
    }

    /// Drives `run` with attempts that fail as `failures` says, then succeed; returns the
    /// tokio-clock time each attempt started at, the result and the count.
    async fn schedule(
        failures: Vec<Failure>,
        clock: SystemTime,
    ) -> (
        Vec<Duration>,
        Result<u32, Failed<&'static str>>,
        Vec<(String, u64)>,
    ) {
        let retrier = Retrier::with(POLICY, Box::new(Fixed(0)), Box::new(move || clock));
        let counter = Counter::default();
        let start = tokio::time::Instant::now();
        let started = Arc::new(Mutex::new(Vec::new()));
        let calls = Arc::new(AtomicU32::new(0));
        let result = retrier
            .run(&counter, "GET things", || {
                let started = Arc::clone(&started);
                let n = calls.fetch_add(1, Ordering::SeqCst) as usize;
                let failure = failures.get(n).copied();
                async move {
                    started.lock().expect("lock").push(start.elapsed());
                    match failure {
                        Some(failure) => Step::Retry("refused", failure),
                        None => Step::Done(Ok(u32::try_from(n).unwrap_or(0))),
                    }
                }
            })
            .await;
        let started = started.lock().expect("lock").clone();
        (started, result, counter.counts())
    }

    #[tokio::test(start_paused = true)]
    async fn run_sleeps_the_schedule_on_the_paused_clock_and_counts_each_attempt() {
        let date = RetryAfter::At(at(1_007));
        let failures = vec![
            Failure::Transient,
            Failure::Throttled(Some(RetryAfter::Delay(Duration::from_secs(2)))),
            Failure::Throttled(Some(date)),
        ];
        let (started, result, counts) = schedule(failures, at(1_000)).await;
        let ms = Duration::from_millis;
        // 250 ms (half of 500 ms), then the 2 s asked, then the 7 s to the HTTP-date.
        assert_eq!(started, [ms(0), ms(250), ms(2_250), ms(9_250)]);
        assert_eq!(result, Ok(3));
        assert_eq!(counts, [("GET things".to_owned(), 4)]);
    }

    #[tokio::test(start_paused = true)]
    async fn run_gives_up_with_the_last_failure_and_the_attempts_made() {
        let (started, result, counts) = schedule(vec![Failure::Transient; 9], at(0)).await;
        assert_eq!(started.len(), 4);
        assert_eq!(
            result,
            Err(Failed {
                error: "refused",
                attempts: 4,
                gave_up: Some(GiveUp::Exhausted)
            })
        );
        assert_eq!(counts, [("GET things".to_owned(), 4)]);
        let too_long = vec![Failure::Throttled(Some(RetryAfter::Delay(
            Duration::from_secs(61),
        )))];
        let (started, result, _) = schedule(too_long, at(0)).await;
        assert_eq!(
            started,
            [Duration::ZERO],
            "no wait for a refusal it will not honour"
        );
        assert_eq!(
            result.map_err(|f| f.gave_up),
            Err(Some(GiveUp::WaitTooLong(Duration::from_secs(61))))
        );
    }
}
