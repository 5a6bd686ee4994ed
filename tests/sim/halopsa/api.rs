//! The simulated API: the token endpoint, bearer auth, routing, paging, records as the HaloPSA
//! v2 OpenAPI document names their fields, `updatelines`, and injected faults. A received
//! request's work runs to its end even when its client goes away; faults either refuse it first
//! (429, 500, 401) or hold or cut its answer after (slow, drop).

use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::{Body, Bytes};
use axum::extract::{Extension, Query, State as Shared};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::super::connection::{self, Connections};
use super::{
    CLIENT_ID, CLIENT_SECRET, Client, FaultKind, Invoice, Item, Line, Seen, State, Written,
};

pub(super) type Tenant = Arc<Mutex<State>>;

/// Page size when `pageinate=true` comes without `page_size` (unverified default).
const DEFAULT_PAGE_SIZE: usize = 50;

fn lock(tenant: &Tenant) -> MutexGuard<'_, State> {
    tenant
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Every request: logged and its fault taken on arrival, its work, then what a slow or drop
/// fault does to the answer.
pub(super) async fn handle(
    Shared(tenant): Shared<Tenant>,
    Extension(connections): Extension<Connections>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fault = receive(&tenant, &method, &uri, &headers, &body);
    let work = serve(tenant, fault.clone(), method, uri, headers, body);
    let response = connection::finish(&connections, work).await;
    match fault {
        Some(FaultKind::Slow(delay)) => {
            tokio::time::sleep(delay).await;
            response
        }
        Some(FaultKind::Drop) => cut_answer(),
        _ => response,
    }
}

fn receive(
    tenant: &Tenant,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<FaultKind> {
    let mut state = lock(tenant);
    let path = uri.path();
    state.requests.push(Seen {
        method: method.clone(),
        path: path.to_owned(),
        query: uri.query().unwrap_or("").to_owned(),
        authorization: headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: String::from_utf8_lossy(body).into_owned(),
    });
    state
        .faults
        .iter_mut()
        .find(|f| f.times > 0 && f.method == *method && path.contains(&f.path))
        .map(|f| {
            f.times -= 1;
            f.kind.clone()
        })
}

/// A 200 whose body breaks off: the connection is dropped mid-answer.
fn cut_answer() -> Response {
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(Bytes::from_static(b"[{\"id\":")),
        Err(std::io::Error::other("simulated dropped connection")),
    ];
    (
        StatusCode::OK,
        Body::from_stream(futures_util::stream::iter(chunks)),
    )
        .into_response()
}

async fn serve(
    tenant: Tenant,
    fault: Option<FaultKind>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let latency = lock(&tenant).latency;
    super::super::latency::wait(latency).await;
    match fault {
        Some(FaultKind::TooManyRequests { retry_after }) => {
            let mut response = text(
                StatusCode::TOO_MANY_REQUESTS,
                "Rate Limit Reached - 300 Requests per rolling 5 minute window",
            );
            response.headers_mut().insert(
                header::RETRY_AFTER,
                retry_after.to_string().parse().expect("header value"),
            );
            response
        }
        Some(FaultKind::ServerError) => {
            text(StatusCode::INTERNAL_SERVER_ERROR, "simulated failure")
        }
        Some(FaultKind::Unauthorized) => text(StatusCode::UNAUTHORIZED, "token expired"),
        _ => route(&tenant, method, &uri, &headers, &body),
    }
}

fn route(tenant: &Tenant, method: Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Response {
    let query = params(uri.query().unwrap_or(""));
    let mut state = lock(tenant);
    if method == Method::POST && uri.path() == "/auth/token" {
        return token(&mut state, &query, body);
    }
    let Some(rest) = uri.path().strip_prefix("/api/") else {
        return text(StatusCode::NOT_FOUND, "no such resource");
    };
    if !authorised(&state, headers) {
        return text(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    let segments: Vec<&str> = rest.split('/').collect();
    match (method, segments.as_slice()) {
        (Method::GET, ["Client"]) => {
            let inactive = flag(&query, "includeinactive").unwrap_or(true);
            let all: Vec<_> = state
                .clients
                .iter()
                .filter(|c| inactive || !c.inactive)
                .collect();
            let (total, page) = page_of(&query, all);
            let rows = page
                .into_iter()
                .map(|c| json!({"id": c.id, "name": c.name, "inactive": c.inactive}))
                .collect();
            listed("clients", total, rows)
        }
        (Method::GET, ["Item"]) => {
            let (total, page) = page_of(&query, state.items.iter().collect());
            listed("items", total, page.into_iter().map(item_json).collect())
        }
        (Method::GET, ["Item", id]) => match id
            .parse::<i64>()
            .ok()
            .and_then(|id| state.items.iter().find(|i| i.id == id))
        {
            Some(item) => json_response(item_json(item)),
            None => text(StatusCode::NOT_FOUND, "Item not found"),
        },
        (Method::GET, ["RecurringInvoice"]) => {
            let with_lines = flag(&query, "includelines").unwrap_or(false);
            // `client_ids`: "Filters by the specified clients, comma seperated"
            // (paths./RecurringInvoice.get).
            let clients: Option<std::collections::HashSet<i64>> = query
                .iter()
                .find(|(k, _)| k == "client_ids")
                .map(|(_, ids)| {
                    ids.split(',')
                        .filter_map(|id| id.trim().parse().ok())
                        .collect()
                });
            let listed_invoices = state
                .invoices
                .iter()
                .filter(|i| clients.as_ref().is_none_or(|c| c.contains(&i.client_id)))
                .collect();
            let (total, page) = page_of(&query, listed_invoices);
            // Only the page's invoices and their lines are built, through the indexes: a real
            // server answers from indexed tables, so a large simulated book must not cost the
            // simulator a scan of every record per page (that would be its time, not reckon's).
            let page: Vec<Invoice> = page.into_iter().cloned().collect();
            let rows = page
                .iter()
                .map(|i| {
                    let client = state.client_at(i.client_id);
                    let mut row = header_json(client.map(|c| &state.clients[c]), i);
                    if with_lines {
                        let lines = state.lines_of(i.id);
                        row["lines"] = lines.iter().map(|&l| line_json(&state.lines[l])).collect();
                    }
                    row
                })
                .collect();
            listed("invoices", total, rows)
        }
        (Method::POST, ["RecurringInvoice", "updatelines"]) => update_lines(&mut state, body),
        (Method::GET, ["RecurringInvoice", id]) => {
            let details = flag(&query, "includedetails").unwrap_or(false);
            match id
                .parse::<i64>()
                .ok()
                .and_then(|id| state.invoices.iter().find(|i| i.id == id))
                .cloned()
            {
                Some(invoice) => json_response(invoice_json(&mut state, &invoice, details)),
                None => text(StatusCode::NOT_FOUND, "Recurring invoice not found"),
            }
        }
        _ => text(StatusCode::NOT_FOUND, "no such resource"),
    }
}

/// `POST /auth/token`: form-encoded client credentials with `scope`, and `?tenant=` when the
/// instance is hosted.
fn token(state: &mut State, query: &[(String, String)], body: &[u8]) -> Response {
    let form = params(&String::from_utf8_lossy(body));
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let tenant = query
        .iter()
        .find(|(k, _)| k == "tenant")
        .map(|(_, v)| v.clone());
    let invalid =
        |error: &str| (StatusCode::BAD_REQUEST, Json(json!({"error": error}))).into_response();
    if field("grant_type") != Some("client_credentials") {
        return invalid("unsupported_grant_type");
    }
    if field("client_id") != Some(CLIENT_ID) || field("client_secret") != Some(CLIENT_SECRET) {
        return invalid("invalid_client");
    }
    if !field("scope").is_some_and(|s| s.split(' ').any(|s| s == "all")) {
        return invalid("invalid_scope");
    }
    if state.tenant.is_some() && tenant != state.tenant {
        return invalid("invalid_request");
    }
    state.issued += 1;
    let token = format!("sim-token-{}", state.issued);
    state.tokens.push(token.clone());
    json_response(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": state.token_life,
        "scope": "all"
    }))
}

fn authorised(state: &State, headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|token| state.tokens.iter().any(|t| t == token))
}

/// The rows a list request asks for: all of them, or with `pageinate=true` the `page_no`th
/// (from 1) page of `page_size`; with the number of all matching rows (`record_count`).
fn page_of<'a, T>(query: &[(String, String)], rows: Vec<&'a T>) -> (usize, Vec<&'a T>) {
    let total = rows.len();
    if !flag(query, "pageinate").unwrap_or(false) {
        return (total, rows);
    }
    let number = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.parse::<usize>().ok())
    };
    let size = number("page_size").unwrap_or(DEFAULT_PAGE_SIZE).max(1);
    let page = number("page_no").unwrap_or(1).max(1);
    let rows = rows
        .into_iter()
        .skip((page - 1).saturating_mul(size))
        .take(size)
        .collect();
    (total, rows)
}

/// A list answer: `{"record_count": total, key: rows}`.
fn listed(key: &str, total: usize, rows: Vec<Value>) -> Response {
    json_response(json!({"record_count": total, key: rows}))
}

/// `POST /RecurringInvoice/updatelines`: an array of `InvoiceDetail`; a line with an `id`
/// gets its `qty_order`, one without is added to its `ihid`. All or nothing.
fn update_lines(state: &mut State, body: &[u8]) -> Response {
    let Ok(Value::Array(lines)) = serde_json::from_slice::<Value>(body) else {
        return text(StatusCode::BAD_REQUEST, "body must be an array of lines");
    };
    let mut changes = Vec::new();
    for line in &lines {
        let Some(qty) = line.get("qty_order").filter(|q| q.is_number()) else {
            return text(StatusCode::BAD_REQUEST, "qty_order must be a number");
        };
        match line.get("id").and_then(Value::as_i64).filter(|id| *id != 0) {
            Some(id) => {
                let Some(at) = state.line_at(id) else {
                    return text(StatusCode::BAD_REQUEST, "line not found");
                };
                changes.push((Some(at), line.clone(), qty.clone()));
            }
            None => {
                let ihid = line.get("ihid").and_then(Value::as_i64);
                let item = line.get("_itemid").and_then(Value::as_i64);
                let known = ihid.is_some_and(|h| state.invoices.iter().any(|i| i.id == h))
                    && item.is_some_and(|i| state.items.iter().any(|it| it.id == i));
                if !known {
                    return text(StatusCode::BAD_REQUEST, "unknown ihid or _itemid");
                }
                changes.push((None, line.clone(), qty.clone()));
            }
        }
    }
    let mut answer = Vec::new();
    for (at, line, qty) in changes {
        match at {
            Some(at) => {
                let from = std::mem::replace(&mut state.lines[at].qty_order, qty.clone());
                state.writes.push(Written {
                    line: state.lines[at].id,
                    from: Some(from),
                    to: qty,
                });
                answer.push(line_json(&state.lines[at]));
            }
            None => {
                state.next_line += 1;
                let created = Line {
                    id: state.next_line,
                    ihid: line["ihid"].as_i64().unwrap_or_default(),
                    item_id: line["_itemid"].as_i64().unwrap_or_default(),
                    qty_order: qty.clone(),
                    unit_price: line.get("unit_price").cloned().unwrap_or(Value::from(0)),
                    unit_cost: line.get("unit_cost").cloned().unwrap_or(Value::Null),
                    isinactive: false,
                    startdate: line
                        .get("startdate")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    enddate: None,
                };
                state.writes.push(Written {
                    line: created.id,
                    from: None,
                    to: qty,
                });
                answer.push(line_json(&created));
                state.lines.push(created);
            }
        }
    }
    json_response(Value::Array(answer))
}

fn item_json(item: &Item) -> Value {
    json!({
        "id": item.id,
        "name": item.name,
        "baseprice": item.baseprice,
        "recurringprice": item.recurringprice,
        "isrecurringitem": true,
    })
}

fn invoice_json(state: &mut State, invoice: &Invoice, with_lines: bool) -> Value {
    let client = state.client_at(invoice.client_id);
    let mut value = header_json(client.map(|c| &state.clients[c]), invoice);
    if with_lines {
        let lines = state.lines_of(invoice.id);
        value["lines"] = lines.iter().map(|&l| line_json(&state.lines[l])).collect();
    }
    value
}

fn header_json(client: Option<&Client>, invoice: &Invoice) -> Value {
    json!({
        "id": invoice.id,
        "client_id": invoice.client_id,
        "client_name": client.map(|c| c.name.clone()),
        "reference": invoice.reference,
        "disabled": invoice.disabled,
        "startdate": invoice.startdate,
        "enddate": invoice.enddate,
        "nextcreationdate": "2026-11-01T00:00:00",
    })
}

fn line_json(line: &Line) -> Value {
    json!({
        "id": line.id,
        "ihid": line.ihid,
        "_itemid": line.item_id,
        "qty_order": line.qty_order,
        "unit_price": line.unit_price,
        "unit_cost": line.unit_cost,
        "isinactive": line.isinactive,
        "startdate": line.startdate,
        "enddate": line.enddate,
    })
}

/// `a=1&b=x%20y` as pairs (query strings and form bodies alike).
fn params(text: &str) -> Vec<(String, String)> {
    let uri: Uri = format!("/?{text}").parse().unwrap_or_default();
    Query::<Vec<(String, String)>>::try_from_uri(&uri)
        .map(|q| q.0)
        .unwrap_or_default()
}

fn flag(query: &[(String, String)], name: &str) -> Option<bool> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.eq_ignore_ascii_case("true"))
}

struct Json(Value);

impl IntoResponse for Json {
    fn into_response(self) -> Response {
        (
            [(header::CONTENT_TYPE, "application/json")],
            self.0.to_string(),
        )
            .into_response()
    }
}

fn json_response(value: Value) -> Response {
    Json(value).into_response()
}

fn text(status: StatusCode, message: &str) -> Response {
    (status, Json(Value::String(message.to_owned()))).into_response()
}
