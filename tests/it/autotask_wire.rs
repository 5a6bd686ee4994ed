//! The Autotask wire contract, pinned with wiremock: auth headers, paths, query and adjustment
//! bodies, paging on the zone's origin only, zone discovery without credentials, `errors[]`
//! bodies and 401 advice.

use reckon::observed::LineRef;
use reckon::psa::Psa;
use reckon::psa::autotask::{AutotaskPsa, Options};
use rust_decimal_macros::dec;
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::autotask_adapter::{at, credentials, quick};
use crate::sim::autotask::{INTEGRATION_CODE, SECRET, USERNAME};

fn authed(mock: wiremock::MockBuilder) -> wiremock::MockBuilder {
    mock.and(header("ApiIntegrationCode", INTEGRATION_CODE))
        .and(header("UserName", USERNAME))
        .and(header("Secret", SECRET))
        .and(header("Content-Type", "application/json"))
}

fn companies_query() -> serde_json::Value {
    json!({"MaxRecords": 500, "filter": [
        {"op": "eq", "field": "isActive", "value": true},
        {"op": "eq", "field": "companyType", "value": 1}]})
}

/// Answers the two picklist reads (Swagger FieldInformationResultModel, values as strings)
/// with `customer` as the Customer company type; each is expected exactly once.
pub async fn mount_picklists(zone: &MockServer, customer: &str) {
    let picklist = |name: &str, values: &[(&str, &str)]| {
        let values: Vec<serde_json::Value> = values
            .iter()
            .map(|(v, l)| json!({"value": v, "label": l, "isActive": true, "isSystem": true}))
            .collect();
        json!({"name": name, "isPickList": true, "picklistValues": values})
    };
    let companies = json!({"fields": [
        {"name": "companyName", "isPickList": false, "picklistValues": null},
        picklist("companyType", &[("2", "Lead"), (customer, "Customer")])]});
    let contracts = json!({"fields": [
        picklist("contractType", &[("1", "Time and Materials"), ("7", "Recurring Service")]),
        picklist("status", &[("0", "Inactive"), ("1", "Active")])]});
    for (entity, fields) in [("Companies", companies), ("Contracts", contracts)] {
        authed_get(Mock::given(method("GET")))
            .and(path(format!(
                "/ATServicesRest/V1.0/{entity}/entityInformation/fields"
            )))
            .respond_with(ResponseTemplate::new(200).set_body_json(fields))
            .expect(1)
            .mount(zone)
            .await;
    }
}

fn authed_get(mock: wiremock::MockBuilder) -> wiremock::MockBuilder {
    mock.and(header("ApiIntegrationCode", INTEGRATION_CODE))
        .and(header("UserName", USERNAME))
        .and(header("Secret", SECRET))
}

#[tokio::test]
async fn the_company_type_filtered_by_is_the_value_the_tenant_labels_customer() {
    let zone = MockServer::start().await;
    mount_picklists(&zone, "5").await;
    authed(Mock::given(method("POST")))
        .and(path("/ATServicesRest/V1.0/Companies/query"))
        .and(body_json(json!({"MaxRecords": 500, "filter": [
            {"op": "eq", "field": "isActive", "value": true},
            {"op": "eq", "field": "companyType", "value": 5}]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "items": [{"id": 1, "companyName": "A"}],
            "pageDetails": {"count": 1, "requestCount": 500, "prevPageUrl": null, "nextPageUrl": null}})))
        .expect(2)
        .mount(&zone)
        .await;
    let base = format!("{}/ATServicesRest", zone.uri());
    let psa = AutotaskPsa::new(credentials(), Some(base), quick()).expect("client");
    let companies = psa.companies().await.expect("companies");
    assert_eq!(companies.len(), 1);
    // Read once per client, whoever asks.
    psa.companies().await.expect("companies again");
}

#[tokio::test]
async fn queries_post_the_filter_and_follow_next_pages_on_the_zone_origin_only() {
    let zone = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    let next = format!(
        "{}/ATServicesRest/V1.0/Companies/query/next?paging=abc",
        elsewhere.uri()
    );
    authed(Mock::given(method("POST")))
        .and(path("/ATServicesRest/V1.0/Companies/query"))
        .and(body_json(companies_query()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "items": [{"id": 1, "companyName": "A"}],
            "pageDetails": {"count": 1, "requestCount": 500, "prevPageUrl": null, "nextPageUrl": next}})))
        .expect(1)
        .mount(&zone)
        .await;
    authed(Mock::given(method("POST")))
        .and(path("/ATServicesRest/V1.0/Companies/query/next"))
        .and(query_param("paging", "abc"))
        .and(body_json(companies_query()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "items": [{"id": 2, "companyName": "B"}],
            "pageDetails": {"count": 1, "requestCount": 500, "prevPageUrl": null, "nextPageUrl": null}})))
        .expect(1)
        .mount(&zone)
        .await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&elsewhere)
        .await;
    mount_picklists(&zone, "1").await;

    let base = format!("{}/ATServicesRest", zone.uri());
    let psa = AutotaskPsa::new(credentials(), Some(base), quick()).expect("client");
    let companies = psa.companies().await.expect("companies");
    let names: Vec<&str> = companies.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["A", "B"]);
    let used = psa.requests_used().by_endpoint;
    assert_eq!(
        used.iter().find(|(e, _)| e == "Companies/query"),
        Some(&("Companies/query".to_owned(), 2)),
        "{used:?}"
    );
}

#[tokio::test]
async fn an_adjustment_posts_the_integer_delta_and_is_confirmed_by_re_reading() {
    let zone = MockServer::start().await;
    let units = |n: i64| {
        ResponseTemplate::new(200).set_body_json(json!({"items": [{
            "id": 900001, "contractID": 30001, "contractServiceID": 4411, "serviceID": 27,
            "startDate": "2026-11-01T00:00:00", "endDate": "2026-11-30T00:00:00", "units": n}],
            "pageDetails": {"nextPageUrl": null}}))
    };
    let units_query = json!({"MaxRecords": 500, "filter": [
        {"op": "eq", "field": "contractServiceID", "value": 4411},
        {"op": "lte", "field": "startDate", "value": "2026-11-01T00:00:00"},
        {"op": "gte", "field": "endDate", "value": "2026-11-01T00:00:00"}]});
    authed(Mock::given(method("POST")))
        .and(path("/ATServicesRest/V1.0/ContractServiceUnits/query"))
        .and(body_json(units_query.clone()))
        .respond_with(units(5))
        .up_to_n_times(1)
        .expect(1)
        .mount(&zone)
        .await;
    authed(Mock::given(method("POST")))
        .and(path("/ATServicesRest/V1.0/ContractServiceAdjustments"))
        .and(body_json(
            json!({"contractID": 30001, "contractServiceID": 4411, "serviceID": 27,
                              "effectiveDate": "2026-11-01T00:00:00", "unitChange": 3}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"itemId": 70001})))
        .expect(1)
        .mount(&zone)
        .await;
    authed(Mock::given(method("POST")))
        .and(path("/ATServicesRest/V1.0/ContractServiceUnits/query"))
        .and(body_json(units_query))
        .respond_with(units(8))
        .expect(1)
        .mount(&zone)
        .await;

    let psa = AutotaskPsa::new(
        credentials(),
        Some(format!("{}/ATServicesRest/", zone.uri())),
        quick(),
    )
    .expect("client");
    let line = LineRef {
        contract: "30001".into(),
        line: "4411".into(),
    };
    assert_eq!(
        psa.set_quantity(&line, dec!(5), dec!(8), at()).await,
        Ok(())
    );
}

#[tokio::test]
async fn errors_bodies_are_shown_with_the_entity_and_id() {
    let zone = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/ATServicesRest/V1.0/ContractServiceUnits/query"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"items": [{
            "contractServiceID": 4411, "serviceID": 27, "startDate": "2026-11-01T00:00:00",
            "endDate": "2026-11-30T00:00:00", "units": 5}], "pageDetails": {"nextPageUrl": null}})))
        .mount(&zone)
        .await;
    Mock::given(method("POST"))
        .and(path("/ATServicesRest/V1.0/ContractServiceAdjustments"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"errors": ["The effective date falls in a posted period."]})),
        )
        .expect(1)
        .mount(&zone)
        .await;
    let psa = AutotaskPsa::new(
        credentials(),
        Some(format!("{}/ATServicesRest", zone.uri())),
        quick(),
    )
    .expect("client");
    let line = LineRef {
        contract: "30001".into(),
        line: "4411".into(),
    };
    let error = psa
        .set_quantity(&line, dec!(5), dec!(8), at())
        .await
        .expect_err("refused");
    assert_eq!(
        error.to_string(),
        "the PSA refused to adjust line 4411 of contract 30001 by 3 units: HTTP 400: The effective date falls in a posted period."
    );
}

#[tokio::test]
async fn the_zone_is_discovered_once_without_credentials_then_used_with_them() {
    let server = MockServer::start().await;
    let no_auth_headers = |request: &wiremock::Request| {
        !["ApiIntegrationCode", "UserName", "Secret"]
            .iter()
            .any(|h| request.headers.contains_key(*h))
    };
    Mock::given(method("GET"))
        .and(path("/ATServicesRest/V1.0/ZoneInformation"))
        .and(query_param("user", USERNAME))
        .and(no_auth_headers)
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "zoneName": "Zone 5", "url": format!("{}/zone5/ATServicesRest/", server.uri()),
            "webUrl": "https://ww5.autotask.net/", "ci": 1})))
        .expect(1)
        .mount(&server)
        .await;
    authed(Mock::given(method("POST")))
        .and(path("/zone5/ATServicesRest/V1.0/Services/query"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "items": [{"id": 27, "name": "Keeper Business Plus"}], "pageDetails": {"nextPageUrl": null}})))
        .expect(2)
        .mount(&server)
        .await;
    let options = Options {
        discovery_root: format!("{}/ATServicesRest", server.uri()),
        ..quick()
    };
    let psa = AutotaskPsa::new(credentials(), None, options).expect("client");
    let services = psa.services().await.expect("services");
    assert_eq!(services[0].id, "27");
    assert_eq!(services[0].name, "Keeper Business Plus");
    psa.services().await.expect("services again");
}

#[tokio::test]
async fn a_401_names_the_credentials_to_check_and_never_their_values() {
    let zone = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"errors": ["Unauthorized"]})))
        .mount(&zone)
        .await;
    let psa = AutotaskPsa::new(
        credentials(),
        Some(format!("{}/ATServicesRest", zone.uri())),
        quick(),
    )
    .expect("client");
    let message = psa.companies().await.expect_err("401").to_string();
    assert!(
        message.contains("psa.username") && message.contains("psa.secret"),
        "{message}"
    );
    for credential in [USERNAME, SECRET, INTEGRATION_CODE] {
        assert!(!message.contains(credential), "{message}");
    }
}
