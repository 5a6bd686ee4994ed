//! The simulated API: discovery, auth, routing, records as ConnectWise shapes them, JSON-Patch,
//! POSTed additions, bundles, and injected faults. A received request's work runs to its end
//! even when its client goes away; faults either refuse it first (429, 500, a drop before the
//! commit) or hold or cut its answer after (slow, drop).

use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::{Body, Bytes};
use axum::extract::{Extension, Query, State as Shared};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::super::connection::{self, Connections};
use super::listing::Listing;
use super::{
    Addition, Agreement, CLIENT_ID, COMPANY_ID, Company, FaultKind, PRIVATE_KEY, PUBLIC_KEY,
    Patched, Product, Seen, State, base64,
};

pub(super) type Tenant = Arc<Mutex<State>>;

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
    // Received: the work runs to its end even if the client goes away (a timeout, a killed
    // process), as on a real server; only what happens to the answer afterwards may be cut.
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

/// Logs the request and takes the first fault matching it.
fn receive(
    tenant: &Tenant,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<FaultKind> {
    let mut state = lock(tenant);
    let root = format!("/{}apis/3.0/", state.codebase);
    let path = uri.path();
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    state.requests.push(Seen {
        method: method.clone(),
        path: path.strip_prefix(&root).unwrap_or(path).to_owned(),
        query: uri.query().unwrap_or("").to_owned(),
        accept: text(header::ACCEPT.as_str()),
        authorization: text(header::AUTHORIZATION.as_str()),
        client_id: text("clientId"),
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

/// The request's work after the latency, unless a fault refuses it first (nothing done).
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
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "slow down",
            );
            response.headers_mut().insert(
                header::RETRY_AFTER,
                retry_after.to_string().parse().expect("header value"),
            );
            response
        }
        Some(FaultKind::ServerError) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ConnectWiseApi",
            "simulated failure",
        ),
        Some(FaultKind::DropBeforeCommit) => cut_answer(),
        Some(FaultKind::EchoCredentials { padding }) => echo_credentials(&headers, padding),
        _ => route(&tenant, method, &uri, &headers, &body),
    }
}

/// A 401 repeating the request's `Authorization` header, raw and decoded, and its `clientId`.
fn echo_credentials(headers: &HeaderMap, padding: usize) -> Response {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let authorization = text(header::AUTHORIZATION.as_str());
    let decoded = format!("{COMPANY_ID}+{PUBLIC_KEY}:{PRIVATE_KEY}");
    let echoed = authorization
        .strip_prefix("Basic ")
        .filter(|b64| *b64 == base64(decoded.as_bytes()))
        .map_or_else(String::new, |_| format!(" (decoded: {decoded})"));
    let body = format!(
        "{}Unauthorized. Request headers: Authorization: {authorization}{echoed}; clientId: {}",
        "-".repeat(padding),
        text("clientId")
    );
    (StatusCode::UNAUTHORIZED, body).into_response()
}

/// Discovery and the REST API.
fn route(tenant: &Tenant, method: Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Response {
    let root = format!("/{}apis/3.0/", lock(tenant).codebase);
    let path = uri.path();
    if let Some(company) = path.strip_prefix("/login/companyinfo/") {
        return company_info(tenant, company);
    }
    let Some(rest) = path.strip_prefix(&root) else {
        return error(StatusCode::NOT_FOUND, "NotFound", "no such codebase");
    };
    if let Some(refusal) = refuse(headers) {
        return refusal;
    }
    let query = Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map(|q| q.0)
        .unwrap_or_default();
    let segments: Vec<&str> = rest.split('/').collect();
    let mut state = lock(tenant);
    let request = Listing {
        query: &query,
        url: format!("http://{}{}", host(headers), path),
        drop_next: state.drop_next_links,
    };
    match (method, segments.as_slice()) {
        (Method::GET, ["system", "info"]) => {
            Json(json!({"version": "v2025.1.10520", "isCloud": true})).into_response()
        }
        (Method::POST, ["system", "bundles"]) => bundles(&state, body),
        (Method::GET, ["company", "companies"]) => {
            let content = fingerprint(&state.companies);
            let items = state.listed("companies", content, |state| {
                state.companies.iter().map(company_json).collect()
            });
            request.list(&items)
        }
        (Method::GET, ["procurement", "catalog"]) => {
            let items: Vec<Value> = state.products.iter().map(product_json).collect();
            request.list(&items)
        }
        (Method::GET, ["finance", "agreements"]) => {
            // An agreement's JSON names its company.
            let content = fingerprint(&(&state.agreements, &state.companies));
            let items = state.listed("agreements", content, |state| {
                state
                    .agreements
                    .iter()
                    .map(|a| agreement_json(state, a))
                    .collect()
            });
            request.list(&items)
        }
        (method, ["finance", "agreements", agreement, "additions", rest @ ..]) => {
            let Some(agreement) = agreement
                .parse::<i64>()
                .ok()
                .filter(|id| state.has_agreement(*id))
            else {
                return error(StatusCode::NOT_FOUND, "NotFound", "Agreement not found");
            };
            match (method, rest) {
                (Method::GET, []) => {
                    let items: Vec<Value> = state
                        .additions_at(agreement)
                        .iter()
                        .map(|&at| addition_json(&state, &state.additions[at]))
                        .collect();
                    request.list(&items)
                }
                (Method::POST, []) => create_addition(&mut state, agreement, body),
                (method, [id]) => {
                    let found = id.parse::<i64>().ok().and_then(|id| {
                        state
                            .additions_at(agreement)
                            .iter()
                            .copied()
                            .find(|&at| state.additions[at].id == id)
                    });
                    let Some(index) = found else {
                        return error(StatusCode::NOT_FOUND, "NotFound", "Addition not found");
                    };
                    match method {
                        Method::GET => {
                            Json(addition_json(&state, &state.additions[index])).into_response()
                        }
                        Method::PATCH => patch_addition(&mut state, index, body),
                        _ => error(
                            StatusCode::METHOD_NOT_ALLOWED,
                            "MethodNotAllowed",
                            "not allowed",
                        ),
                    }
                }
                _ => error(StatusCode::NOT_FOUND, "NotFound", "no such resource"),
            }
        }
        _ => error(StatusCode::NOT_FOUND, "NotFound", "no such resource"),
    }
}

/// `serde_json::Value` as a JSON response.
pub(super) struct Json(pub(super) Value);

impl IntoResponse for Json {
    fn into_response(self) -> Response {
        (
            [(header::CONTENT_TYPE, "application/json")],
            self.0.to_string(),
        )
            .into_response()
    }
}

pub(super) fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"code": code, "message": message, "errors": []})),
    )
        .into_response()
}

fn invalid(message: &str, field: &str, detail: &str) -> Response {
    let body = json!({
        "code": "InvalidObject",
        "message": message,
        "errors": [{"code": "InvalidField", "message": detail, "resource": "addition", "field": field}]
    });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

fn host(headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned()
}

fn company_info(tenant: &Tenant, company: &str) -> Response {
    let mut state = lock(tenant);
    if company != COMPANY_ID {
        return Json(Value::Null).into_response();
    }
    let codebase = state
        .advertised
        .pop_front()
        .unwrap_or_else(|| state.codebase.clone());
    Json(json!({
        "CompanyName": "Simulated MSP",
        "Codebase": codebase,
        "VersionCode": "v2025.1",
        "IsCloud": true
    }))
    .into_response()
}

/// The 401 a request without the right credentials and clientId gets.
fn refuse(headers: &HeaderMap) -> Option<Response> {
    let expected = format!(
        "Basic {}",
        base64(format!("{COMPANY_ID}+{PUBLIC_KEY}:{PRIVATE_KEY}").as_bytes())
    );
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if given != Some(expected.as_str()) {
        return Some(error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "UserNotAuthenticated",
        ));
    }
    let client_id = headers.get("clientId").and_then(|v| v.to_str().ok());
    if client_id != Some(CLIENT_ID) {
        return Some(error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "a valid clientId header is required",
        ));
    }
    None
}

/// A hash of what a collection's JSON is made from: any change to the records changes it.
fn fingerprint(records: &impl std::hash::Hash) -> u64 {
    use std::hash::{DefaultHasher, Hasher};
    let mut hasher = DefaultHasher::new();
    records.hash(&mut hasher);
    hasher.finish()
}

fn company_json(company: &Company) -> Value {
    json!({
        "id": company.id,
        "identifier": format!("C{}", company.id),
        "name": company.name,
        "deletedFlag": company.deleted,
        "status": {"id": 1, "name": "Active"},
        "_info": {"lastUpdated": "2026-01-01T00:00:00Z"}
    })
}

fn product_json(product: &Product) -> Value {
    json!({
        "id": product.id,
        "identifier": product.identifier,
        "description": product.description,
        "inactiveFlag": product.inactive,
        "price": product.price,
        "cost": product.cost,
        "productClass": "Service",
        "recurringFlag": true
    })
}

fn agreement_json(state: &State, agreement: &Agreement) -> Value {
    let company = state.company_by_id(agreement.company);
    json!({
        "id": agreement.id,
        "name": agreement.name,
        "type": {"id": 1, "name": "Managed Services"},
        "company": {
            "id": agreement.company,
            "identifier": format!("C{}", agreement.company),
            "name": company.map(|c| c.name.clone()),
        },
        "agreementStatus": agreement.status,
        "cancelledFlag": agreement.status == "Cancelled",
        "startDate": agreement.start_date,
        "endDate": agreement.end_date,
        "noEndingDateFlag": agreement.end_date.is_none(),
        "billingCycle": {"id": 1, "name": "Monthly"}
    })
}

fn addition_json(state: &State, addition: &Addition) -> Value {
    let product = state
        .products
        .iter()
        .find(|p| p.identifier == addition.product);
    json!({
        "id": addition.id,
        "product": {"id": product.map(|p| p.id), "identifier": addition.product},
        "quantity": addition.quantity,
        "lessIncluded": 0,
        "billCustomer": addition.bill_customer,
        "effectiveDate": addition.effective_date,
        "cancelledDate": addition.cancelled_date,
        "agreementId": addition.agreement,
        "unitPrice": addition.unit_price,
        "unitCost": addition.unit_cost
    })
}

/// `POST /system/bundles`: each request a GET of one agreement's additions.
fn bundles(state: &State, body: &[u8]) -> Response {
    if !state.bundles {
        return error(StatusCode::NOT_FOUND, "NotFound", "no such resource");
    }
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        return invalid("Bundle is invalid", "", "body must be JSON");
    };
    let Some(requests) = body.get("requests").and_then(Value::as_array) else {
        return invalid("Bundle is invalid", "requests", "requests is required");
    };
    let results: Vec<Value> = requests
        .iter()
        .map(|request| {
            let sequence = request.get("sequenceNumber").cloned().unwrap_or(Value::Null);
            let kind = request.get("resourceType").and_then(Value::as_str);
            let parent = request.pointer("/apiRequest/parentId").and_then(Value::as_i64);
            let size = request
                .pointer("/apiRequest/page/pageSize")
                .and_then(Value::as_u64)
                .map_or(25, |n| n as usize)
                .min(state.bundle_page_cap);
            match (kind, parent) {
                (Some("addition"), Some(parent))
                    if state.has_agreement(parent) =>
                {
                    let all: Vec<Value> = state
                        .additions_at(parent)
                        .iter()
                        .map(|&at| addition_json(state, &state.additions[at]))
                        .collect();
                    json!({
                        "sequenceNumber": sequence, "statusCode": 200, "success": true,
                        "count": all.len(), "entities": all.into_iter().take(size).collect::<Vec<_>>()
                    })
                }
                _ => json!({
                    "sequenceNumber": sequence, "statusCode": 404, "success": false,
                    "error": {"code": "NotFound", "message": "Agreement not found"}
                }),
            }
        })
        .collect();
    Json(json!({ "results": results })).into_response()
}

fn patch_addition(state: &mut State, index: usize, body: &[u8]) -> Response {
    let Ok(Value::Array(operations)) = serde_json::from_slice::<Value>(body) else {
        return invalid(
            "Patch operations are invalid",
            "",
            "body must be a JSON array",
        );
    };
    for operation in &operations {
        let op = operation.get("op").and_then(Value::as_str).unwrap_or("");
        let path = operation.get("path").and_then(Value::as_str).unwrap_or("");
        if op != "replace" && op != "add" {
            return invalid(
                "Addition object is invalid",
                path,
                "op must be replace or add",
            );
        }
        // ConnectWise paths are case-sensitive field names without a leading slash.
        if path != "quantity" {
            return invalid(
                "Addition object is invalid",
                path,
                &format!("{path} is not a patchable field"),
            );
        }
        let Some(quantity) = number(operation.get("value")) else {
            return invalid(
                "Addition object is invalid",
                path,
                "quantity must be a number",
            );
        };
        let to = Value::Number(quantity);
        let from = std::mem::replace(&mut state.additions[index].quantity, to.clone());
        let addition = state.additions[index].id;
        state.patches.push(Patched { addition, from, to });
    }
    Json(addition_json(state, &state.additions[index])).into_response()
}

fn create_addition(state: &mut State, agreement: i64, body: &[u8]) -> Response {
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        return invalid("Addition object is invalid", "", "body must be JSON");
    };
    let identifier = body.pointer("/product/identifier").and_then(Value::as_str);
    let Some(product) = identifier.filter(|i| state.products.iter().any(|p| p.identifier == *i))
    else {
        return invalid("Addition object is invalid", "product", "product not found");
    };
    if body.get("billCustomer").and_then(Value::as_str).is_none() {
        return invalid(
            "Addition object is invalid",
            "billCustomer",
            "billCustomer is required",
        );
    }
    let Some(quantity) = number(body.get("quantity")) else {
        return invalid(
            "Addition object is invalid",
            "quantity",
            "quantity must be a number",
        );
    };
    state.next_id += 1;
    let addition = Addition {
        id: state.next_id,
        agreement,
        product: product.to_owned(),
        quantity: Value::Number(quantity),
        unit_price: number(body.get("unitPrice")).map_or(Value::from(0), Value::Number),
        unit_cost: number(body.get("unitCost")).map_or(Value::Null, Value::Number),
        bill_customer: "Billable".to_owned(),
        effective_date: body
            .get("effectiveDate")
            .and_then(Value::as_str)
            .map(str::to_owned),
        cancelled_date: None,
    };
    let created = addition_json(state, &addition);
    state.push_addition(addition);
    (StatusCode::CREATED, Json(created)).into_response()
}

/// A JSON number, or a string holding one (ConnectWise accepts both in a patch).
fn number(value: Option<&Value>) -> Option<serde_json::Number> {
    match value? {
        Value::Number(n) => Some(n.clone()),
        Value::String(s) => serde_json::from_str(s).ok(),
        _ => None,
    }
}
