//! The simulator's request pipeline: the endpoint thread each request holds, latency, counting,
//! auth, the per-endpoint thread limit, injected faults (a held request waits at its gate), then routing to the entity handlers.
//! Once received, a request's work runs to its end even if its client goes away, as on a real
//! server; the after-commit faults then hold or drop the answer.

use super::super::connection::{self, Connections, Cut};
use super::*;

/// One of an endpoint's threads, held by a request from arrival to answer (latency included:
/// it stands for the server's work), so overlapping requests count as overlapping. Shared by
/// the work and the answer; freed when both are done, however they end.
struct Thread {
    state: Shared,
    endpoint: String,
    /// The endpoint's requests in flight with this one, at its arrival.
    busy: usize,
}

impl Thread {
    fn take(state: &Shared, endpoint: &str) -> Self {
        let mut s = lock(state);
        let n = s.in_flight.entry(endpoint.to_owned()).or_default();
        *n += 1;
        let busy = *n;
        s.max_in_flight = s.max_in_flight.max(busy);
        Self {
            state: state.clone(),
            endpoint: endpoint.to_owned(),
            busy,
        }
    }
}

impl Drop for Thread {
    fn drop(&mut self) {
        if let Some(n) = lock(&self.state).in_flight.get_mut(&self.endpoint) {
            *n = n.saturating_sub(1);
        }
    }
}

pub(super) fn errors(status: StatusCode, messages: &[&str]) -> Response {
    (status, axum::Json(json!({"errors": messages}))).into_response()
}

/// Every request: the thread it holds, its work (on its own task, see [`serve`]), then what an
/// after-commit fault does to the answer.
pub(super) async fn dispatch(
    AxumState(state): AxumState<Shared>,
    ConnectInfo(cut): ConnectInfo<Cut>,
    Extension(connections): Extension<Connections>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(rest) = strip_root(uri.path()).map(str::to_owned) else {
        return errors(StatusCode::NOT_FOUND, &["no such resource"]);
    };
    let thread = Arc::new(Thread::take(&state, entity_of(&rest)));
    let work = serve(state, thread.clone(), rest, method, uri, headers, body);
    let (response, after) = connection::finish(&connections, work).await;
    match after {
        Some(Fault::SlowAfterCommit(delay)) => tokio::time::sleep(delay).await,
        // The connection refuses the answer, so the server drops it: the client sees a
        // connection closed after the work was committed.
        Some(Fault::DropAfterCommit) => cut.0.store(true, Atomic::SeqCst),
        Some(Fault::UnreadableAfterCommit) => {
            drop(thread);
            return (StatusCode::OK, "{\"item").into_response();
        }
        _ => {}
    }
    drop(thread);
    response
}

/// A received request's work: latency, counting, auth, the thread limit, the faults that refuse
/// it (nothing done), then the route. Returns the answer and the after-commit fault, if any.
async fn serve(
    state: Shared,
    thread: Arc<Thread>,
    rest: String,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (Response, Option<Fault>) {
    let latency = lock(&state).latency;
    super::super::latency::wait(latency).await;
    let segments: Vec<String> = rest.split('/').map(str::to_owned).collect();
    let counted = match segments.as_slice() {
        [e, q, ..] if q.eq_ignore_ascii_case("query") => format!("{e}/query"),
        _ => rest.clone(),
    };
    {
        let mut s = lock(&state);
        *s.counts.entry(counted).or_default() += 1;
        let line = match uri.query() {
            Some(q) => format!("{method} {}?{q}", uri.path()),
            None => format!("{method} {}", uri.path()),
        };
        s.requests_seen.push(line);
    }
    let entity = entity_of(&rest);
    if entity.eq_ignore_ascii_case("ZoneInformation") {
        return (zone(&state, &method, &uri), None);
    }
    if !authorised(&headers) {
        let refused = errors(
            StatusCode::UNAUTHORIZED,
            &[
                "User is not authorized to access this resource. Check UserName, Secret and ApiIntegrationCode.",
            ],
        );
        return (refused, None);
    }
    if thread.busy > THREADS {
        return (thread_limit(500), None);
    }
    let fault = lock(&state)
        .faults
        .get_mut(entity)
        .and_then(VecDeque::pop_front);
    if let Some(Fault::Hold(gate)) = &fault {
        gate.pass().await;
    }
    let refused = match &fault {
        Some(Fault::TooManyRequests { retry_after }) => {
            let mut response = errors(
                StatusCode::TOO_MANY_REQUESTS,
                &["Request rate exceeded; retry later."],
            );
            response.headers_mut().insert(
                "Retry-After",
                retry_after.to_string().parse().expect("header value"),
            );
            Some(response)
        }
        Some(Fault::ThreadLimit(status)) => Some(thread_limit(*status)),
        Some(Fault::ServerError) => Some(errors(
            StatusCode::INTERNAL_SERVER_ERROR,
            &["An unexpected error occurred."],
        )),
        _ => None,
    };
    match refused {
        Some(response) => (response, None),
        None => (route(&state, &method, &uri, &segments, &body), fault),
    }
}

/// The endpoint (entity) a path below the root addresses.
fn entity_of(rest: &str) -> &str {
    rest.split('/').next().unwrap_or_default()
}

fn strip_root(path: &str) -> Option<&str> {
    let lower = path.to_ascii_lowercase();
    let prefix = "/atservicesrest/v1.0/";
    lower.starts_with(prefix).then(|| &path[prefix.len()..])
}

fn authorised(headers: &HeaderMap) -> bool {
    let is = |name: &str, value: &str| headers.get(name).is_some_and(|v| v == value);
    is("ApiIntegrationCode", INTEGRATION_CODE) && is("UserName", USERNAME) && is("Secret", SECRET)
}

fn thread_limit(status: u16) -> Response {
    errors(
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        &[
            "Itgenatr005: Thread Threshold Exceeded - The Autotask API thread threshold of 3 threads has been exceeded.",
        ],
    )
}

fn zone(state: &Shared, method: &Method, uri: &Uri) -> Response {
    if method != Method::GET {
        return errors(StatusCode::METHOD_NOT_ALLOWED, &["use GET"]);
    }
    let user = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .find_map(|kv| kv.strip_prefix("user="))
        .map(|u| u.replace("%40", "@"));
    if user.as_deref() != Some(USERNAME) {
        return errors(
            StatusCode::NOT_FOUND,
            &["Zone information could not be determined"],
        );
    }
    let base = lock(state).base.clone();
    axum::Json(json!({"zoneName": "Sim Zone", "url": format!("{base}/"),
                      "webUrl": "http://sim.invalid/", "ci": 1}))
    .into_response()
}

fn route(state: &Shared, method: &Method, uri: &Uri, segments: &[String], body: &[u8]) -> Response {
    let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
    let mut s = lock(state);
    match (method.as_str(), parts.as_slice()) {
        ("POST", [entity, "query"]) => s.query(entity, body, None),
        ("POST", [entity, "query", "next"]) => s.query(entity, body, page_token(uri)),
        (_, [_, "query", ..]) => errors(
            StatusCode::METHOD_NOT_ALLOWED,
            &["The requested resource does not support http method 'GET'."],
        ),
        ("GET", [entity, info, "fields"]) if info.eq_ignore_ascii_case("entityInformation") => {
            s.fields(entity)
        }
        ("POST", ["ContractServiceAdjustments"]) => s.adjust(body),
        ("POST", ["Contracts", contract, "Services"]) => s.add_contract_service(contract, body),
        ("GET", ["ThresholdInformation"]) => {
            let used: u64 = s.counts.values().sum::<u64>() + s.used_by_others;
            axum::Json(json!({"externalRequestThreshold": 10000,
                              "requestThresholdTimeframe": 60,
                              "currentTimeframeRequestCount": used}))
            .into_response()
        }
        _ => errors(StatusCode::NOT_FOUND, &["no such resource"]),
    }
}

fn page_token(uri: &Uri) -> Option<String> {
    uri.query()?
        .split('&')
        .find_map(|kv| kv.strip_prefix("paging="))
        .map(str::to_owned)
}
