//! The HaloPSA wire contract, pinned with wiremock: the token request (form fields, `?tenant=`),
//! the bearer header, token reuse and the one refresh on 401, paging parameters and
//! `record_count`, the `updatelines` body, the read before a write that refuses a moved line,
//! and a write whose answer was lost being re-read, not re-sent.

use std::time::Duration;

use chrono::NaiveDate;
use reckon::observed::LineRef;
use reckon::psa::halopsa::{HaloPsa, Options, Settings};
use reckon::psa::{Psa, PsaError};
use reckon::secret::Secret;
use rust_decimal_macros::dec;
use serde_json::json;
use wiremock::matchers::{body_json, body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn psa(server: &MockServer, page_size: u32) -> HaloPsa {
    psa_with(server, page_size, Duration::from_secs(5))
}

fn psa_with(server: &MockServer, page_size: u32, timeout: Duration) -> HaloPsa {
    let settings = Settings {
        resource_server: format!("{}/api", server.uri()),
        auth_server: format!("{}/auth", server.uri()),
        client_id: Secret::new("cid"),
        client_secret: Secret::new("s3cret"),
        tenant: Some("acme".into()),
    };
    let options = Options {
        timeout,
        attempts: 3,
        backoff: Duration::from_millis(10),
        max_retry_after: Duration::from_secs(2),
        page_size,
    };
    HaloPsa::new(settings, options).expect("client")
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).expect("date")
}

fn line() -> LineRef {
    LineRef {
        contract: "70".into(),
        line: "701".into(),
    }
}

/// The token endpoint, expecting exactly `times` requests.
async fn token(server: &MockServer, answers: &[&str], times: u64) {
    for (n, access) in answers.iter().enumerate() {
        let mock = Mock::given(method("POST"))
            .and(path("/auth/token"))
            .and(query_param("tenant", "acme"))
            .and(header("content-type", "application/x-www-form-urlencoded"))
            .and(body_string_contains("grant_type=client_credentials"))
            .and(body_string_contains("client_id=cid"))
            .and(body_string_contains("client_secret=s3cret"))
            .and(body_string_contains("scope=all"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"access_token": access, "token_type": "Bearer", "expires_in": 3600}),
            ));
        let mock = if n + 1 < answers.len() {
            mock.up_to_n_times(1)
        } else {
            mock
        };
        mock.expect(if n + 1 < answers.len() {
            1
        } else {
            times - n as u64
        })
        .mount(server)
        .await;
    }
}

fn invoice(quantity: f64) -> serde_json::Value {
    json!({"id": 70, "client_id": 40, "reference": "Managed", "lines": [
        {"id": 701, "ihid": 70, "_itemid": 101, "qty_order": quantity}
    ]})
}

#[tokio::test]
async fn lists_are_paged_until_record_count_with_one_token() {
    let server = MockServer::start().await;
    token(&server, &["tok-1"], 1).await;
    for (page, rows) in [
        (
            "1",
            json!([{"id": 40, "name": "Acme"}, {"id": 41, "name": "Brightside"}]),
        ),
        ("2", json!([{"id": 42, "name": "Cedar", "inactive": true}])),
    ] {
        Mock::given(method("GET"))
            .and(path("/api/Client"))
            .and(header("authorization", "Bearer tok-1"))
            .and(query_param("includeactive", "true"))
            .and(query_param("includeinactive", "false"))
            .and(query_param("pageinate", "true"))
            .and(query_param("page_size", "2"))
            .and(query_param("page_no", page))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"record_count": 3, "clients": rows})),
            )
            .expect(1)
            .mount(&server)
            .await;
    }
    let companies = psa(&server, 2).companies().await.expect("companies");
    // The inactive one is dropped even if the server sends it.
    let names: Vec<_> = companies.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Acme", "Brightside"]);
}

#[tokio::test]
async fn recurring_invoices_come_with_their_lines_in_force() {
    let server = MockServer::start().await;
    token(&server, &["tok-1"], 1).await;
    Mock::given(method("GET"))
        .and(path("/api/RecurringInvoice"))
        .and(query_param("includelines", "true"))
        .and(query_param("page_no", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "record_count": 2,
            "invoices": [
                {"id": 70, "client_id": 40, "reference": "Managed", "lines": [
                    {"id": 701, "_itemid": 101, "qty_order": 10},
                    {"id": 702, "_itemid": 104, "qty_order": 8.5, "enddate": "2026-11-30T00:00:00"},
                    {"id": 703, "_itemid": 101, "qty_order": 4, "enddate": "2026-06-30T00:00:00"},
                    {"id": 704, "qty_order": 1}
                ]},
                {"id": 71, "client_id": 41, "disabled": true, "lines": []}
            ]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let contracts = psa(&server, 100).contracts(day()).await.expect("contracts");
    assert_eq!(
        contracts.len(),
        1,
        "the disabled recurring invoice is left out"
    );
    let lines: Vec<_> = contracts[0]
        .lines
        .iter()
        .map(|l| (l.id.as_str(), l.service_id.as_str(), l.quantity.to_string()))
        .collect();
    assert_eq!(
        lines,
        [
            ("701", "101", "10".to_owned()),
            ("702", "104", "8.5".to_owned())
        ]
    );
}

#[tokio::test]
async fn a_401_fetches_a_new_token_once() {
    let server = MockServer::start().await;
    token(&server, &["old", "new"], 2).await;
    Mock::given(method("GET"))
        .and(path("/api/Item"))
        .and(header("authorization", "Bearer old"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/Item"))
        .and(header("authorization", "Bearer new"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"record_count": 1, "items": [{"id": 101, "name": "BP"}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let services = psa(&server, 100).services().await.expect("services");
    assert_eq!(services[0].id, "101");
}

#[tokio::test]
async fn a_second_401_is_an_error_naming_the_settings() {
    let server = MockServer::start().await;
    token(&server, &["a", "b"], 2).await;
    Mock::given(method("GET"))
        .and(path("/api/Item"))
        .respond_with(ResponseTemplate::new(401))
        .expect(2)
        .mount(&server)
        .await;
    let error = psa(&server, 100).services().await.expect_err("401 twice");
    assert!(error.to_string().contains("psa.resource_server"), "{error}");
}

#[tokio::test]
async fn refused_credentials_say_what_to_check_and_never_echo_the_secret() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": "invalid_client"})))
        .mount(&server)
        .await;
    let steps = psa(&server, 100).check().await;
    let message = steps[0].outcome.clone().expect_err("refused");
    assert!(message.contains("psa.client_secret"), "{message}");
    assert!(message.contains("invalid_client"), "{message}");
    assert!(!message.contains("s3cret"), "{message}");
}

#[tokio::test]
async fn a_server_echoing_the_secret_in_its_error_has_it_redacted() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/token"))
        .respond_with(
            ResponseTemplate::new(400).set_body_string("invalid_client: client_secret=s3cret"),
        )
        .mount(&server)
        .await;
    let steps = psa(&server, 100).check().await;
    let message = steps[0].outcome.clone().expect_err("refused");
    assert!(message.contains("client_secret=****"), "{message}");
    assert!(!message.contains("s3cret"), "{message}");
}

#[tokio::test]
async fn a_quantity_change_reads_posts_the_line_and_reads_it_back() {
    let server = MockServer::start().await;
    token(&server, &["tok"], 1).await;
    Mock::given(method("GET"))
        .and(path("/api/RecurringInvoice/70"))
        .and(query_param("includedetails", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(invoice(10.0)))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/RecurringInvoice/updatelines"))
        .and(body_json(
            json!([{"id": 701, "ihid": 70, "qty_order": 12.06}]),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/RecurringInvoice/70"))
        .respond_with(ResponseTemplate::new(200).set_body_json(invoice(12.06)))
        .expect(1)
        .mount(&server)
        .await;
    psa(&server, 100)
        .set_quantity(&line(), dec!(10), dec!(12.06), day())
        .await
        .expect("written");
}

#[tokio::test]
async fn a_line_that_moved_since_the_plan_is_refused_without_a_write() {
    let server = MockServer::start().await;
    token(&server, &["tok"], 1).await;
    Mock::given(method("GET"))
        .and(path("/api/RecurringInvoice/70"))
        .respond_with(ResponseTemplate::new(200).set_body_json(invoice(11.0)))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let error = psa(&server, 100)
        .set_quantity(&line(), dec!(10), dec!(12), day())
        .await
        .expect_err("moved");
    assert!(
        matches!(error, PsaError::Changed { found, .. } if found == dec!(11)),
        "{error}"
    );
}

#[tokio::test]
async fn a_write_without_an_answer_is_re_read_not_re_sent() {
    let server = MockServer::start().await;
    token(&server, &["tok"], 1).await;
    Mock::given(method("GET"))
        .and(path("/api/RecurringInvoice/70"))
        .respond_with(ResponseTemplate::new(200).set_body_json(invoice(10.0)))
        .mount(&server)
        .await;
    // The answer never comes within the client's timeout.
    Mock::given(method("POST"))
        .and(path("/api/RecurringInvoice/updatelines"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(10)))
        .expect(1)
        .mount(&server)
        .await;
    let error = psa_with(&server, 100, Duration::from_millis(300))
        .set_quantity(&line(), dec!(10), dec!(12), day())
        .await
        .expect_err("unknown");
    assert!(matches!(error, PsaError::OutcomeUnknown { .. }), "{error}");
    assert!(error.to_string().contains("still holds 10"), "{error}");
}

#[tokio::test]
async fn a_429_waits_its_retry_after_even_for_a_write() {
    let server = MockServer::start().await;
    token(&server, &["tok"], 1).await;
    Mock::given(method("GET"))
        .and(path("/api/RecurringInvoice/70"))
        .respond_with(ResponseTemplate::new(200).set_body_json(invoice(10.0)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/RecurringInvoice/updatelines"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/RecurringInvoice/updatelines"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/RecurringInvoice/70"))
        .respond_with(ResponseTemplate::new(200).set_body_json(invoice(12.0)))
        .mount(&server)
        .await;
    psa(&server, 100)
        .set_quantity(&line(), dec!(10), dec!(12), day())
        .await
        .expect("written after the 429");
}

#[tokio::test]
async fn a_new_line_carries_the_items_recurring_price_and_start_date() {
    let server = MockServer::start().await;
    token(&server, &["tok"], 1).await;
    Mock::given(method("GET"))
        .and(path("/api/Item/106"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"id": 106, "name": "KeeperChat", "baseprice": 30, "recurringprice": 2.5, "isrecurringitem": true}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/RecurringInvoice/70"))
        .respond_with(ResponseTemplate::new(200).set_body_json(invoice(10.0)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/RecurringInvoice/updatelines"))
        .and(body_json(
            json!([{"ihid": 70, "_itemid": 106, "qty_order": 2.35,
            "unit_price": 2.5, "startdate": "2026-11-01T00:00:00"}]),
        ))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/RecurringInvoice/70"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": 70, "client_id": 40,
            "lines": [{"id": 701, "_itemid": 101, "qty_order": 10},
                      {"id": 777, "_itemid": 106, "qty_order": 2.35}]})),
        )
        .mount(&server)
        .await;
    let id = psa(&server, 100)
        .create_line("70", "106", dec!(2.35), day())
        .await
        .expect("created");
    assert_eq!(id, "777");
}

#[tokio::test]
async fn an_expired_token_is_replaced_before_the_next_request() {
    let server = MockServer::start().await;
    // expires_in 0: expired as soon as issued, so each request needs a new one.
    Mock::given(method("POST"))
        .and(path("/auth/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "short", "expires_in": 0})),
        )
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/Item"))
        .and(header("authorization", "Bearer short"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"record_count": 0, "items": []})),
        )
        .expect(2)
        .mount(&server)
        .await;
    let psa = psa(&server, 100);
    psa.services().await.expect("first");
    psa.services().await.expect("second");
}

#[tokio::test]
async fn without_record_count_pages_follow_until_one_comes_short() {
    let server = MockServer::start().await;
    token(&server, &["tok"], 1).await;
    for (page, rows) in [
        (
            "1",
            json!([{"id": 101, "name": "A"}, {"id": 102, "name": "B"}]),
        ),
        ("2", json!([{"id": 103, "name": "C"}])),
    ] {
        Mock::given(method("GET"))
            .and(path("/api/Item"))
            .and(query_param("page_no", page))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "items": rows })))
            .expect(1)
            .mount(&server)
            .await;
    }
    let services = psa(&server, 2).services().await.expect("items");
    assert_eq!(services.len(), 3);
}

#[tokio::test]
async fn a_500_on_a_write_is_not_repeated_and_the_line_is_re_read() {
    let server = MockServer::start().await;
    token(&server, &["tok"], 1).await;
    Mock::given(method("GET"))
        .and(path("/api/RecurringInvoice/70"))
        .respond_with(ResponseTemplate::new(200).set_body_json(invoice(10.0)))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/RecurringInvoice/updatelines"))
        .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
        .expect(1)
        .mount(&server)
        .await;
    let error = psa(&server, 100)
        .set_quantity(&line(), dec!(10), dec!(12), day())
        .await
        .expect_err("refused");
    assert!(matches!(error, PsaError::Rejected { .. }), "{error}");
    assert!(error.to_string().contains("HTTP 500: boom"), "{error}");
}

#[tokio::test]
async fn a_new_line_whose_answer_was_lost_is_found_by_the_re_read() {
    let server = MockServer::start().await;
    token(&server, &["tok"], 1).await;
    Mock::given(method("GET"))
        .and(path("/api/Item/106"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 106, "baseprice": 3})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/RecurringInvoice/70"))
        .respond_with(ResponseTemplate::new(200).set_body_json(invoice(10.0)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/RecurringInvoice/updatelines"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(10)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/RecurringInvoice/70"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": 70, "client_id": 40,
            "lines": [{"id": 701, "_itemid": 101, "qty_order": 10},
                      {"id": 778, "_itemid": 106, "qty_order": 2}]})),
        )
        .mount(&server)
        .await;
    let id = psa_with(&server, 100, Duration::from_millis(300))
        .create_line("70", "106", dec!(2), day())
        .await
        .expect("found on re-read");
    assert_eq!(id, "778");
}

#[tokio::test]
async fn a_500_on_a_write_whose_re_read_fails_is_an_unknown_outcome() {
    let server = MockServer::start().await;
    token(&server, &["tok"], 1).await;
    Mock::given(method("GET"))
        .and(path("/api/RecurringInvoice/70"))
        .respond_with(ResponseTemplate::new(200).set_body_json(invoice(10.0)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/RecurringInvoice/updatelines"))
        .respond_with(ResponseTemplate::new(500))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/RecurringInvoice/70"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let error = psa(&server, 100)
        .set_quantity(&line(), dec!(10), dec!(12), day())
        .await
        .expect_err("unknown");
    assert!(matches!(error, PsaError::OutcomeUnknown { .. }), "{error}");
}

#[tokio::test]
async fn a_429_on_the_token_request_is_waited_out() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/token"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    token(&server, &["tok"], 1).await;
    Mock::given(method("GET"))
        .and(path("/api/Item"))
        .and(header("authorization", "Bearer tok"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"record_count": 0, "items": []})),
        )
        .expect(1)
        .mount(&server)
        .await;
    psa(&server, 100).services().await.expect("after the 429");
}
