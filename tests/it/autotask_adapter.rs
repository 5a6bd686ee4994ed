//! The Autotask adapter in-process: every injected fault against the simulator (the write is
//! applied exactly once or reported, and a re-run converges), the per-endpoint thread limit,
//! whole units, and the wire contract pinned with wiremock (headers, paths, bodies, paging,
//! zone discovery, error bodies).

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use reckon::observed::LineRef;
use reckon::psa::autotask::{AutotaskPsa, Credentials, Options};
use reckon::psa::{Psa, PsaError};
use reckon::secret::Secret;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::sim::autotask::{Fault, INTEGRATION_CODE, SECRET, Sim, USERNAME};

fn credentials() -> Credentials {
    Credentials {
        username: Secret::new(USERNAME),
        secret: Secret::new(SECRET),
        integration_code: Secret::new(INTEGRATION_CODE),
    }
}

fn quick() -> Options {
    Options {
        timeout: Duration::from_millis(500),
        backoff: Duration::from_millis(10),
        ..Options::default()
    }
}

fn at() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).expect("date")
}

/// One contract line holding 5 units, and a client for it.
fn one_line() -> (Sim, AutotaskPsa, LineRef, i64) {
    let sim = Sim::start();
    let company = sim.add_company("Acme Dental");
    let service = sim.add_service("Keeper Business Plus");
    let contract = sim.add_contract(company, "Acme – Managed Services");
    let line = sim.add_line(contract, service, 5);
    let psa = AutotaskPsa::new(credentials(), Some(sim.base_url()), quick()).expect("client");
    let line_ref = LineRef {
        contract: contract.to_string(),
        line: line.to_string(),
    };
    (sim, psa, line_ref, line)
}

/// What a later `plan` + `apply` does: read the line fresh, write only if it still differs.
async fn rerun(psa: &AutotaskPsa, line: &LineRef, desired: Decimal) {
    let current = psa.line_quantity(line, at()).await.expect("re-read");
    if current != desired {
        psa.set_quantity(line, current, desired, at())
            .await
            .expect("re-run applies");
    }
}

async fn fault_converges(fault: Fault, endpoint: &str) -> Result<(), PsaError> {
    let (sim, psa, line, id) = one_line();
    sim.inject(endpoint, fault);
    let first = psa.set_quantity(&line, dec!(5), dec!(8), at()).await;
    rerun(&psa, &line, dec!(8)).await;
    assert_eq!(sim.units(id, at()), 8);
    assert_eq!(
        sim.adjustments().len(),
        1,
        "exactly one adjustment committed"
    );
    assert_eq!(sim.adjustments()[0]["unitChange"], 3);
    first
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after() {
    let started = std::time::Instant::now();
    let result = fault_converges(
        Fault::TooManyRequests { retry_after: 1 },
        "ContractServiceAdjustments",
    )
    .await;
    assert_eq!(result, Ok(()));
    // The client's own backoff is 10 ms here: only Retry-After explains a wait of a second.
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_thread_limit_error_is_retried_whatever_its_status() {
    for status in [200, 429, 500] {
        let result =
            fault_converges(Fault::ThreadLimit(status), "ContractServiceAdjustments").await;
        assert_eq!(result, Ok(()), "status {status}");
    }
}

#[tokio::test]
async fn a_500_on_a_write_is_reported_not_retried_and_a_rerun_converges() {
    let result = fault_converges(Fault::ServerError, "ContractServiceAdjustments").await;
    let Err(PsaError::Unavailable(message)) = result else {
        panic!("expected a reported failure, got {result:?}");
    };
    assert!(
        message.contains("HTTP 500") && message.contains("Not retried"),
        "{message}"
    );
}

#[tokio::test]
async fn a_slow_answer_past_the_timeout_is_settled_by_re_reading() {
    let result = fault_converges(
        Fault::SlowAfterCommit(Duration::from_secs(2)),
        "ContractServiceAdjustments",
    )
    .await;
    assert_eq!(result, Ok(()));
}

#[tokio::test]
async fn a_connection_dropped_after_commit_is_settled_by_re_reading() {
    let result = fault_converges(Fault::DropAfterCommit, "ContractServiceAdjustments").await;
    assert_eq!(result, Ok(()));
}

#[tokio::test]
async fn faults_on_reads_are_retried() {
    for fault in [
        Fault::ServerError,
        Fault::DropAfterCommit,
        Fault::SlowAfterCommit(Duration::from_secs(2)),
        Fault::ThreadLimit(500),
    ] {
        let result = fault_converges(fault, "ContractServiceUnits").await;
        assert_eq!(result, Ok(()));
    }
}

#[tokio::test]
async fn a_line_changed_since_planning_is_refused() {
    let (sim, psa, line, _) = one_line();
    let result = psa.set_quantity(&line, dec!(4), dec!(8), at()).await;
    assert!(
        matches!(result, Err(PsaError::Changed { found, .. }) if found == dec!(5)),
        "{result:?}"
    );
    assert!(sim.adjustments().is_empty());
}

#[tokio::test]
async fn fractions_never_reach_autotask() {
    let (sim, psa, line, _) = one_line();
    let result = psa.set_quantity(&line, dec!(5), dec!(7.5), at()).await;
    assert!(
        matches!(result, Err(PsaError::Rejected { .. })),
        "{result:?}"
    );
    assert_eq!(sim.total_requests(), 0, "refused before any request");
}

#[tokio::test]
async fn units_split_at_the_effective_date() {
    let (sim, psa, line, id) = one_line();
    let mid = NaiveDate::from_ymd_opt(2026, 11, 15).expect("date");
    psa.set_quantity(&line, dec!(5), dec!(9), mid)
        .await
        .expect("applied");
    let rows = sim.unit_rows(id);
    let november: Vec<_> = rows.iter().filter(|r| r.0.starts_with("2026-11")).collect();
    assert_eq!(
        november,
        [
            &(
                "2026-11-01T00:00:00".into(),
                "2026-11-14T00:00:00".into(),
                5
            ),
            &(
                "2026-11-15T00:00:00".into(),
                "2026-11-30T00:00:00".into(),
                9
            ),
        ]
    );
    assert_eq!(psa.line_quantity(&line, at()).await, Ok(dec!(5)));
    assert_eq!(psa.line_quantity(&line, mid).await, Ok(dec!(9)));
}

#[tokio::test]
async fn create_line_adds_the_service_and_its_units() {
    let (sim, psa, line, _) = one_line();
    let other = sim.add_service("KeeperChat");
    let id = psa
        .create_line(&line.contract, &other.to_string(), dec!(2), at())
        .await
        .expect("created");
    let contract: i64 = line.contract.parse().expect("id");
    assert!(
        sim.lines_of(contract)
            .contains(&(id.parse().expect("id"), other))
    );
    assert_eq!(sim.units(id.parse().expect("id"), at()), 2);
}

#[tokio::test]
async fn no_more_than_three_requests_run_at_once_per_endpoint() {
    let (sim, psa, line, _) = one_line();
    sim.set_latency(Duration::from_millis(50));
    let psa = Arc::new(psa);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (psa, line) = (psa.clone(), line.clone());
        tasks.spawn(async move { psa.line_quantity(&line, at()).await });
    }
    while let Some(result) = tasks.join_next().await {
        assert_eq!(result.expect("task"), Ok(dec!(5)));
    }
    assert!(sim.max_in_flight() <= 3, "{}", sim.max_in_flight());
    // The simulator refuses a 4th concurrent request; none was refused, so none was retried.
    assert_eq!(sim.requests()["ContractServiceUnits/query"], 10);
}

#[tokio::test]
async fn the_simulator_rejects_decimal_unit_changes_and_get_next_pages() {
    let sim = Sim::start();
    let http = reqwest::Client::new();
    let adjust = http
        .post(format!("{}/V1.0/ContractServiceAdjustments", sim.base_url()))
        .header("ApiIntegrationCode", INTEGRATION_CODE)
        .header("UserName", USERNAME)
        .header("Secret", SECRET)
        .json(&json!({"contractServiceID": 1, "effectiveDate": "2026-11-01T00:00:00", "unitChange": 2.5}))
        .send()
        .await
        .expect("answer");
    assert_eq!(adjust.status(), 500);
    let body: serde_json::Value = adjust.json().await.expect("json");
    assert!(
        body["errors"][0]
            .as_str()
            .expect("message")
            .contains("Int32")
    );
    let next = http
        .get(format!(
            "{}/V1.0/Companies/query/next?paging=p1",
            sim.base_url()
        ))
        .header("ApiIntegrationCode", INTEGRATION_CODE)
        .header("UserName", USERNAME)
        .header("Secret", SECRET)
        .send()
        .await
        .expect("answer");
    assert_eq!(next.status(), 405);
}

// ---- the wire contract, pinned with wiremock ----

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

    let base = format!("{}/ATServicesRest", zone.uri());
    let psa = AutotaskPsa::new(credentials(), Some(base), quick()).expect("client");
    let companies = psa.companies().await.expect("companies");
    let names: Vec<&str> = companies.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["A", "B"]);
    assert_eq!(
        psa.requests_used().by_endpoint,
        [("Companies/query".to_owned(), 2)]
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
    Mock::given(method("POST"))
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

#[tokio::test]
async fn the_simulators_drop_and_slow_faults_commit_but_give_the_client_no_answer() {
    let (sim, _, _, line) = one_line();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client");
    let post = || {
        http.post(format!("{}/V1.0/ContractServiceAdjustments", sim.base_url()))
            .header("ApiIntegrationCode", INTEGRATION_CODE)
            .header("UserName", USERNAME)
            .header("Secret", SECRET)
            .json(&json!({"contractServiceID": line, "effectiveDate": "2026-11-01T00:00:00", "unitChange": 1}))
    };
    async fn answer(request: reqwest::RequestBuilder) -> Result<usize, reqwest::Error> {
        let response = request.send().await?;
        Ok(response.bytes().await?.len())
    }
    sim.inject("ContractServiceAdjustments", Fault::DropAfterCommit);
    assert!(answer(post()).await.is_err(), "the connection is dropped");
    assert_eq!(sim.units(line, at()), 6, "but the adjustment was committed");
    sim.inject(
        "ContractServiceAdjustments",
        Fault::SlowAfterCommit(Duration::from_secs(1)),
    );
    let slow = answer(post()).await.expect_err("times out");
    assert!(slow.is_timeout(), "{slow}");
    assert_eq!(sim.units(line, at()), 7, "but the adjustment was committed");
}
