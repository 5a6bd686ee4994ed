//! The ConnectWise wire contract, pinned with wiremock: the exact headers (Basic credentials,
//! clientId, the pinned Accept version), paths, query strings (conditions, fields, pageSize,
//! page on every page) and JSON bodies the adapter sends, and how it reads answers.

use std::time::Duration;

use chrono::NaiveDate;
use reckon::observed::LineRef;
use reckon::psa::connectwise::{ConnectWisePsa, Options, Settings};
use reckon::psa::{Psa, PsaError};
use reckon::secret::Secret;
use rust_decimal_macros::dec;
use serde_json::json;
use wiremock::matchers::{body_string, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// base64("acme+pub:priv"), worked out independently of any encoder in the code under test.
const BASIC: &str = "Basic YWNtZStwdWI6cHJpdg==";
const ACCEPT: &str = "application/vnd.connectwise.com+json; version=2025.1";
pub(crate) const ROOT: &str = "/v2025_1/apis/3.0";

pub(crate) fn psa(server: &MockServer, discover: bool, options: Options) -> ConnectWisePsa {
    let settings = Settings {
        site: server.uri(),
        company_id: "acme".into(),
        public_key: Secret::new("pub"),
        private_key: Secret::new("priv"),
        client_id: "cid-123".into(),
        base_url: (!discover).then(|| format!("{}{ROOT}", server.uri())),
    };
    ConnectWisePsa::new(settings, options).expect("client")
}

fn quick() -> Options {
    Options {
        timeout: Duration::from_secs(5),
        attempts: 3,
        backoff: Duration::from_millis(10),
        max_retry_after: Duration::from_secs(2),
        ..Options::default()
    }
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).expect("date")
}

fn line() -> LineRef {
    LineRef {
        contract: "300".into(),
        line: "25".into(),
    }
}

fn signed(mock: wiremock::MockBuilder) -> wiremock::MockBuilder {
    mock.and(header("authorization", BASIC))
        .and(header("clientId", "cid-123"))
        .and(header("accept", ACCEPT))
}

#[tokio::test]
async fn lists_are_paged_with_their_conditions_on_every_page() {
    let server = MockServer::start().await;
    let page = |n: &str| {
        signed(Mock::given(method("GET")))
            .and(path(format!("{ROOT}/company/companies")))
            .and(query_param("conditions", "deletedFlag=false"))
            .and(query_param("fields", "id,name"))
            .and(query_param("pageSize", "1000"))
            .and(query_param("page", n))
    };
    let next = format!(
        "<{}{ROOT}/company/companies?conditions=deletedFlag%3Dfalse&pageSize=1000&page=2>; rel=\"next\"",
        server.uri()
    );
    page("1")
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"id": 250, "name": "Acme Dental"}]))
                .insert_header("Link", next.as_str()),
        )
        .expect(1)
        .mount(&server)
        .await;
    page("2")
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([{"id": 251, "name": "Brightside"}])),
        )
        .expect(1)
        .mount(&server)
        .await;

    let companies = psa(&server, false, quick())
        .companies()
        .await
        .expect("companies");
    let ids: Vec<&str> = companies.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["250", "251"]);
}

#[tokio::test]
async fn catalog_and_agreements_use_their_conditions_and_additions_are_read_per_agreement() {
    let server = MockServer::start().await;
    signed(Mock::given(method("GET")))
        .and(path(format!("{ROOT}/procurement/catalog")))
        .and(query_param("conditions", "inactiveFlag=false"))
        .and(query_param("fields", "identifier,description,price,cost"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!([{"identifier": "KEEPER-BP", "description": "Keeper Business Plus"}]),
        ))
        .expect(1)
        .mount(&server)
        .await;
    signed(Mock::given(method("GET")))
        .and(path(format!("{ROOT}/finance/agreements")))
        .and(query_param("conditions", "agreementStatus=\"Active\""))
        .and(query_param("fields", "id,name,company,startDate,endDate,noEndingDateFlag"))
        .and(query_param("pageSize", "1000"))
        .and(query_param("page", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": 300, "name": "MSA", "company": {"id": 250}, "startDate": "2025-01-01T00:00:00Z",
             "noEndingDateFlag": true},
            {"id": 301, "name": "Ended", "company": {"id": 251}, "startDate": "2025-01-01T00:00:00Z",
             "endDate": "2026-10-31T00:00:00Z", "noEndingDateFlag": false}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    signed(Mock::given(method("GET")))
        .and(path(format!("{ROOT}/finance/agreements/300/additions")))
        .and(query_param(
            "fields",
            "id,product,quantity,unitPrice,unitCost,effectiveDate,cancelledDate",
        ))
        .and(query_param("pageSize", "1000"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": 25, "product": {"id": 1, "identifier": "KEEPER-BP"}, "quantity": 10.5,
             "effectiveDate": "2025-01-01T00:00:00Z", "cancelledDate": "2026-12-31T00:00:00Z"},
            {"id": 26, "product": {"id": 1, "identifier": "KEEPER-BP"}, "quantity": 3,
             "cancelledDate": "2026-10-31T00:00:00Z"}
        ])))
        .expect(1)
        .mount(&server)
        .await;

    let psa = psa(&server, false, quick());
    let services = psa.services().await.expect("services");
    assert_eq!(services[0].id, "KEEPER-BP");
    let contracts = psa.contracts(day()).await.expect("contracts");
    assert_eq!(
        contracts.len(),
        1,
        "agreement 301 ended before the effective date"
    );
    let lines: Vec<(&str, String)> = contracts[0]
        .lines
        .iter()
        .map(|l| (l.id.as_str(), l.quantity.to_string()))
        .collect();
    assert_eq!(
        lines,
        [("25", "10.5".to_owned())],
        "26 was cancelled before the date"
    );
    assert_eq!(contracts[0].company_id, "250");
}

#[tokio::test]
async fn discovery_asks_companyinfo_without_credentials() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/login/companyinfo/acme"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"Codebase": "v2025_1/"})))
        .expect(1)
        .mount(&server)
        .await;
    signed(Mock::given(method("GET")))
        .and(path(format!("{ROOT}/finance/agreements/300/additions/25")))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"id": 25, "product": {"identifier": "KEEPER-BP"}, "quantity": 7}),
        ))
        .expect(2)
        .mount(&server)
        .await;

    let psa = psa(&server, true, quick());
    assert_eq!(psa.line_quantity(&line(), day()).await, Ok(dec!(7)));
    assert_eq!(psa.line_quantity(&line(), day()).await, Ok(dec!(7)));
    let requests = server.received_requests().await.expect("recorded");
    let discovery = &requests[0];
    assert_eq!(discovery.url.path(), "/login/companyinfo/acme");
    assert!(discovery.headers.get("authorization").is_none());
    assert!(discovery.headers.get("clientId").is_none());
}

#[tokio::test]
async fn a_quantity_is_read_then_patched_with_the_exact_body() {
    let server = MockServer::start().await;
    let addition = format!("{ROOT}/finance/agreements/300/additions/25");
    signed(Mock::given(method("GET")))
        .and(path(addition.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"id": 25, "product": {"identifier": "KEEPER-BP"}, "quantity": 10}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    signed(Mock::given(method("PATCH")))
        .and(path(addition.as_str()))
        .and(header("content-type", "application/json"))
        .and(body_string(
            r#"[{"op":"replace","path":"quantity","value":12.5}]"#,
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"id": 25, "product": {"identifier": "KEEPER-BP"}, "quantity": 12.5}),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let psa = psa(&server, false, quick());
    let written = psa.set_quantity(&line(), dec!(10), dec!(12.5), day()).await;
    assert_eq!(written, Ok(()));
    let counts = psa.requests_used().by_endpoint;
    assert_eq!(
        counts,
        [
            ("GET finance/agreements/{id}/additions/{id}".to_owned(), 1),
            ("PATCH finance/agreements/{id}/additions/{id}".to_owned(), 1)
        ]
    );
}

#[tokio::test]
async fn a_line_changed_since_planning_is_not_written() {
    let server = MockServer::start().await;
    let addition = format!("{ROOT}/finance/agreements/300/additions/25");
    signed(Mock::given(method("GET")))
        .and(path(addition.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"id": 25, "product": {"identifier": "KEEPER-BP"}, "quantity": 11}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;

    let written = psa(&server, false, quick())
        .set_quantity(&line(), dec!(10), dec!(12), day())
        .await;
    assert!(
        matches!(written, Err(PsaError::Changed { found, .. }) if found == dec!(11)),
        "{written:?}"
    );
}

#[tokio::test]
async fn a_missing_addition_is_posted_by_product_id_at_the_catalog_price() {
    let server = MockServer::start().await;
    signed(Mock::given(method("GET")))
        .and(path(format!("{ROOT}/procurement/catalog")))
        .and(query_param("conditions", "identifier=\"KEEPER-CHAT\""))
        .and(query_param("fields", "identifier,description,price"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!([{"identifier": "KEEPER-CHAT", "description": "KeeperChat", "price": 3.25}]),
        ))
        .expect(1)
        .mount(&server)
        .await;
    signed(Mock::given(method("POST")))
        .and(path(format!("{ROOT}/finance/agreements/301/additions")))
        .and(body_string(
            r#"{"product":{"identifier":"KEEPER-CHAT"},"billCustomer":"Billable","quantity":2,"unitPrice":3.25,"effectiveDate":"2026-11-01T00:00:00Z"}"#,
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(
            json!({"id": 77, "product": {"identifier": "KEEPER-CHAT"}, "quantity": 2}),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let created = psa(&server, false, quick())
        .create_line("301", "KEEPER-CHAT", dec!(2), day())
        .await;
    assert_eq!(created, Ok("77".to_owned()));
}

#[tokio::test]
async fn connectwise_errors_are_shown_with_the_agreement_and_addition() {
    let server = MockServer::start().await;
    let addition = format!("{ROOT}/finance/agreements/300/additions/25");
    signed(Mock::given(method("GET")))
        .and(path(addition.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"id": 25, "product": {"identifier": "KEEPER-BP"}, "quantity": 10}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "code": "InvalidObject", "message": "Addition object is invalid",
            "errors": [{"code": "InvalidField", "message": "must not exceed 99", "field": "quantity"}]
        })))
        .expect(1)
        .mount(&server)
        .await;

    let written = psa(&server, false, quick())
        .set_quantity(&line(), dec!(10), dec!(120), day())
        .await
        .expect_err("refused");
    assert_eq!(
        written.to_string(),
        "the PSA refused to set the quantity of addition 25 of agreement 300 to 120: HTTP 400: \
         InvalidObject: Addition object is invalid (quantity InvalidField must not exceed 99)"
    );
}

#[tokio::test]
async fn a_403_names_the_security_role() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(403).set_body_json(
            json!({"code": "Forbidden", "message": "You do not have access to this resource"}),
        ))
        .mount(&server)
        .await;
    let error = psa(&server, false, quick())
        .services()
        .await
        .expect_err("403");
    assert_eq!(
        error.to_string(),
        "cannot read the PSA: cannot read the product catalog: ConnectWise denied access \
         (HTTP 403: Forbidden: You do not have access to this resource); the API member's security \
         role needs Inquire on Companies and Product Catalog and Inquire/Add/Edit on Agreements"
    );
}

#[tokio::test]
async fn a_timed_out_read_is_retried() {
    let server = MockServer::start().await;
    let addition = format!("{ROOT}/finance/agreements/300/additions/25");
    let body = json!({"id": 25, "product": {"identifier": "KEEPER-BP"}, "quantity": 4});
    Mock::given(method("GET"))
        .and(path(addition.as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(body.clone())
                .set_delay(Duration::from_secs(3)),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(addition.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;

    let options = Options {
        timeout: Duration::from_millis(300),
        ..quick()
    };
    let psa = psa(&server, false, options);
    assert_eq!(psa.line_quantity(&line(), day()).await, Ok(dec!(4)));
    assert_eq!(psa.requests_used().total(), 2);
}

#[tokio::test]
async fn retries_are_bounded() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream unavailable"))
        .expect(3)
        .mount(&server)
        .await;
    let error = psa(&server, false, quick())
        .companies()
        .await
        .expect_err("503");
    assert_eq!(
        error.to_string(),
        "cannot read the PSA: cannot read the companies: HTTP 503: upstream unavailable"
    );
}

#[tokio::test]
async fn additions_of_several_agreements_are_read_in_one_bundle() {
    let server = MockServer::start().await;
    signed(Mock::given(method("GET")))
        .and(path(format!("{ROOT}/finance/agreements")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": 300, "name": "A", "company": {"id": 250}},
            {"id": 301, "name": "B", "company": {"id": 251}}
        ])))
        .mount(&server)
        .await;
    let bundled = |parent: i64, sequence: usize| {
        format!(
            r#"{{"version":"2025.1","sequenceNumber":{sequence},"resourceType":"addition","apiRequest":{{"parentId":{parent},"page":{{"page":1,"pageSize":1000}}}}}}"#
        )
    };
    signed(Mock::given(method("POST")))
        .and(path(format!("{ROOT}/system/bundles")))
        .and(header("content-type", "application/json"))
        .and(body_string(format!(
            r#"{{"requests":[{},{}]}}"#,
            bundled(300, 1),
            bundled(301, 2)
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"results": [
            {"sequenceNumber": 2, "statusCode": 200, "success": true, "count": 1, "entities": [
                {"id": 31, "product": {"identifier": "KEEPER-BP"}, "quantity": 5}]},
            {"sequenceNumber": 1, "statusCode": 200, "success": true, "count": 1, "entities": [
                {"id": 30, "product": {"identifier": "KEEPER-BP"}, "quantity": 4}]}
        ]})))
        .expect(1)
        .mount(&server)
        .await;

    let psa = psa(&server, false, quick());
    let contracts = psa.contracts(day()).await.expect("contracts");
    let lines: Vec<(String, String)> = contracts
        .iter()
        .map(|c| (c.id.clone(), c.lines[0].id.clone()))
        .collect();
    assert_eq!(
        lines,
        [("300".into(), "30".into()), ("301".into(), "31".into())],
        "results matched to agreements by sequence number"
    );
    assert_eq!(psa.requests_used().total(), 2);
}
