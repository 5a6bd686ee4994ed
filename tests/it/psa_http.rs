//! The shared HTTP policy through both adapters (issue 16 item 8): a `Retry-After` given as an
//! HTTP-date is honoured, and one longer than the adapter waits ends the request at once, the
//! same way for ConnectWise and Autotask.

use std::time::{Duration, Instant, SystemTime};

use reckon::psa::Psa;
use reckon::psa::autotask::AutotaskPsa;
use reckon::psa::connectwise::{ConnectWisePsa, Options};
use serde_json::json;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::autotask_adapter::{credentials, quick};
use crate::connectwise_wire::{ROOT, psa};

/// An IMF-fixdate `seconds` from now.
fn http_date_in(seconds: u64) -> String {
    let at =
        chrono::DateTime::<chrono::Utc>::from(SystemTime::now() + Duration::from_secs(seconds));
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn connectwise(server: &MockServer) -> ConnectWisePsa {
    let options = Options {
        timeout: Duration::from_secs(5),
        attempts: 3,
        backoff: Duration::from_millis(10),
        max_retry_after: Duration::from_secs(10),
        ..Options::default()
    };
    psa(server, false, options)
}

fn autotask(server: &MockServer) -> AutotaskPsa {
    let base = format!("{}/ATServicesRest", server.uri());
    AutotaskPsa::new(credentials(), Some(base), quick()).expect("client")
}

/// Mounts a 429 with `retry_after` for the first request to `at`, then `then` for the rest.
async fn throttle_once(server: &MockServer, at: &str, retry_after: &str, then: serde_json::Value) {
    Mock::given(path(at))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", retry_after))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_json(then))
        .mount(server)
        .await;
}

fn empty_page() -> serde_json::Value {
    json!({"items": [], "pageDetails": {"count": 0, "requestCount": 500, "prevPageUrl": null, "nextPageUrl": null}})
}

#[tokio::test]
async fn a_retry_after_http_date_is_waited_for_by_both_adapters() {
    // The backoff is 10 ms: only the date explains a wait of a second or more (the date has
    // whole seconds, so 2 s from now is at least 1 s away).
    let server = MockServer::start().await;
    throttle_once(
        &server,
        &format!("{ROOT}/company/companies"),
        &http_date_in(2),
        json!([]),
    )
    .await;
    let started = Instant::now();
    let companies = connectwise(&server).companies().await.expect("companies");
    assert!(companies.is_empty());
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );

    let server = MockServer::start().await;
    throttle_once(
        &server,
        "/ATServicesRest/V1.0/Companies/query",
        &http_date_in(2),
        empty_page(),
    )
    .await;
    crate::autotask_wire::mount_picklists(&server, "1").await;
    let started = Instant::now();
    autotask(&server).companies().await.expect("companies");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_retry_after_beyond_the_longest_wait_fails_at_once_in_both_adapters() {
    let server = MockServer::start().await;
    throttle_once(
        &server,
        &format!("{ROOT}/company/companies"),
        "3600",
        json!([]),
    )
    .await;
    let started = Instant::now();
    let error = connectwise(&server)
        .companies()
        .await
        .expect_err("throttled");
    assert!(error.to_string().contains("HTTP 429"), "{error}");
    assert_eq!(server.received_requests().await.expect("recorded").len(), 1);

    let server = MockServer::start().await;
    throttle_once(
        &server,
        "/ATServicesRest/V1.0/Companies/query",
        "3600",
        empty_page(),
    )
    .await;
    crate::autotask_wire::mount_picklists(&server, "1").await;
    let error = autotask(&server)
        .companies()
        .await
        .expect_err("throttled")
        .to_string();
    assert!(
        error.contains("Autotask asked to wait 3600 s, longer than reckon waits (60 s)"),
        "{error}"
    );
    let companies_reads = server
        .received_requests()
        .await
        .expect("recorded")
        .iter()
        .filter(|r| r.url.path().ends_with("/Companies/query"))
        .count();
    assert_eq!(
        companies_reads, 1,
        "the picklists are read first, Companies once"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "no long wait: {:?}",
        started.elapsed()
    );
}
