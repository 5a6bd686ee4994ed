//! The Autotask adapter in-process against the simulator: every injected fault (the write is
//! applied exactly once or reported, and a re-run converges), the per-endpoint thread limit,
//! whole units, units split at the effective date, line creation. The wire contract itself is
//! pinned with wiremock in `autotask_wire`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use reckon::apply::Outcome;
use reckon::observed::LineRef;
use reckon::plan::{Action, Approval, Change, MatchedBy, Plan};
use reckon::psa::autotask::{AutotaskPsa, Credentials, Options};
use reckon::psa::{Psa, PsaError};
use reckon::secret::Secret;
use reckon::state::journal::{self, ApplyJournal, Writer};
use reckon::usage::{BillingModel, Rounding, RoundingMode};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::json;

use crate::sim::autotask::{Fault, INTEGRATION_CODE, SECRET, Sim, USERNAME};

pub fn credentials() -> Credentials {
    Credentials {
        username: Secret::new(USERNAME),
        secret: Secret::new(SECRET),
        integration_code: Secret::new(INTEGRATION_CODE),
    }
}

pub fn quick() -> Options {
    Options {
        timeout: Duration::from_millis(500),
        backoff: Duration::from_millis(10),
        ..Options::default()
    }
}

pub fn at() -> NaiveDate {
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
    // The Service's catalogue price (5.00 in the simulator), sent with the new line.
    assert_eq!(sim.line_price(id.parse().expect("id")), Some(json!(5.0)));
}

#[tokio::test]
async fn a_service_without_a_price_is_not_added_as_a_zero_dollar_line() {
    let (sim, psa, line, _) = one_line();
    let unpriced = sim.insert(
        "Services",
        |id| json!({"id": id, "name": "Free trial", "isActive": true, "unitPrice": 0.0}),
    );
    let result = psa
        .create_line(&line.contract, &unpriced.to_string(), dec!(2), at())
        .await;
    let Err(PsaError::Rejected { message, .. }) = result else {
        panic!("expected a refusal, got {result:?}");
    };
    assert!(
        message.contains(&format!("Service {unpriced} has no unit price")),
        "{message}"
    );
    let contract: i64 = line.contract.parse().expect("id");
    assert_eq!(sim.lines_of(contract).len(), 1, "nothing was added");
}

#[tokio::test]
async fn an_adjustment_answered_with_an_unreadable_success_is_re_read_not_refused() {
    let result = fault_converges(Fault::UnreadableAfterCommit, "ContractServiceAdjustments").await;
    assert_eq!(result, Ok(()));
}

#[tokio::test]
async fn a_line_created_with_an_unreadable_success_is_found_by_re_reading() {
    let (sim, psa, line, _) = one_line();
    let other = sim.add_service("KeeperChat");
    sim.inject("Contracts", Fault::UnreadableAfterCommit);
    let id = psa
        .create_line(&line.contract, &other.to_string(), dec!(3), at())
        .await
        .expect("created, and found by re-reading");
    let contract: i64 = line.contract.parse().expect("id");
    let added: Vec<i64> = sim
        .lines_of(contract)
        .into_iter()
        .filter(|(_, service)| *service == other)
        .map(|(line, _)| line)
        .collect();
    assert_eq!(added, [id.parse::<i64>().expect("id")], "one line, not two");
    assert_eq!(sim.units(added[0], at()), 3);
}

#[tokio::test]
async fn a_line_with_no_units_row_on_the_date_is_not_written() {
    let (sim, psa, line, _) = one_line();
    let contract: i64 = line.contract.parse().expect("id");
    let other = sim.add_service("KeeperChat");
    let december = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
    let later = sim.add_line_from(contract, other, 4, december);
    let later = LineRef {
        contract: line.contract.clone(),
        line: later.to_string(),
    };
    let read = psa.line_quantity(&later, at()).await;
    assert!(
        matches!(&read, Err(PsaError::Unavailable(m)) if m.contains("no ContractServiceUnits row covering 2026-11-01")),
        "{read:?}"
    );
    let written = psa.set_quantity(&later, dec!(0), dec!(6), at()).await;
    assert!(written.is_err(), "{written:?}");
    assert!(sim.adjustments().is_empty());
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

/// The plan's update of `line` on `contract` from `from` to `to` units.
pub fn update(contract: i64, line: i64, from: i64, to: i64) -> Change {
    Change {
        address: format!("keeper/acme/{line} → Acme/{line}"),
        action: Action::Update {
            line: line.to_string(),
            from: Decimal::from(from),
        },
        integration: "keeper".into(),
        vendor_account: "acme".into(),
        vendor_account_name: "Acme".into(),
        vendor_services: vec!["Business Plus".into()],
        psa_company: "1".into(),
        psa_company_name: "Acme".into(),
        psa_service: "1".into(),
        psa_service_name: String::new(),
        contract: contract.to_string(),
        usage: Decimal::from(to),
        quantity: Decimal::from(to),
        effective_date: at(),
        billing_model: BillingModel::EndOfPeriod,
        rounding: Rounding {
            mode: RoundingMode::Nearest,
            decimals: 0,
        },
        matched_by: MatchedBy::Mapping,
        daily: Vec::new(),
        approval: Approval::NotNeeded,
        money: Default::default(),
    }
}

#[tokio::test]
async fn a_concurrent_apply_writes_every_line_once_within_the_thread_limit() {
    let sim = Sim::start();
    let company = sim.add_company("Acme Dental");
    let service = sim.add_service("Keeper Business Plus");
    let contract = sim.add_contract(company, "Acme – Managed Services");
    let desired: Vec<(i64, i64)> = (0..12)
        .map(|n| (sim.add_line(contract, service, 5), 6 + n))
        .collect();
    // Every request spends 20 ms in the simulator: the adjustments apply starts together (as
    // many as the endpoint's threads, after one batched units read) meet there, so the endpoint
    // limit is reached, not merely not exceeded.
    sim.set_latency(Duration::from_millis(20));
    let psa = AutotaskPsa::new(credentials(), Some(sim.base_url()), quick()).expect("client");
    assert_eq!(
        psa.write_concurrency(),
        3,
        "as many writes as one endpoint's threads"
    );
    let plan = Plan {
        period: "2026-10".parse().expect("period"),
        effective_date: at(),
        psa: "autotask".into(),
        integrations: vec!["keeper".into()],
        partial: false,
        changes: desired
            .iter()
            .map(|&(line, to)| update(contract, line, 5, to))
            .collect(),
        findings: vec![],
        interrupted: vec![],
        blockers: Vec::new(),
        provenance: Default::default(),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let writer = Writer::open(dir.path()).expect("journal");
    let mut journal = ApplyJournal::new(writer, "run".into(), None, plan.period, None);

    let report = reckon::apply::execute(&plan, &psa, &mut journal, |_| {}).await;

    let failed: Vec<&Outcome> = report
        .results
        .iter()
        .map(|r| &r.outcome)
        .filter(|o| **o != Outcome::Applied)
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
    for &(line, to) in &desired {
        assert_eq!(sim.units(line, at()), to, "line {line}");
    }
    let mut adjustments: HashMap<i64, usize> = HashMap::new();
    for adjustment in sim.adjustments() {
        let line = adjustment["contractServiceID"].as_i64().expect("line");
        *adjustments.entry(line).or_default() += 1;
    }
    assert_eq!(adjustments.len(), desired.len());
    assert!(adjustments.values().all(|n| *n == 1), "{adjustments:?}");
    // The simulator counts a request in flight from arrival to answer and refuses a 4th per
    // endpoint; none was refused (no request was retried).
    assert_eq!(sim.max_in_flight(), 3);
    assert_eq!(sim.requests()["ContractServiceAdjustments"], 12);
    // One batched read checks the 12 lines before the writes, one confirms them after.
    assert_eq!(sim.requests()["ContractServiceUnits/query"], 2);
    let records = journal::read(dir.path()).expect("journal");
    assert_eq!(records.len(), 24, "an intent and an outcome per write");
    assert!(journal::unknown_outcomes(&records).is_empty());
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

/// A raw client of the simulator that gives up after `timeout`, and keeps no idle connection
/// (so the simulator can be quiesced with the client alive).
fn impatient(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .pool_max_idle_per_host(0)
        .build()
        .expect("client")
}

/// POSTs an adjustment of `line` by one unit; the answer's length, or why there is none.
async fn add_one_unit(
    http: &reqwest::Client,
    sim: &Sim,
    line: i64,
) -> Result<usize, reqwest::Error> {
    let response = http
        .post(format!("{}/V1.0/ContractServiceAdjustments", sim.base_url()))
        .header("ApiIntegrationCode", INTEGRATION_CODE)
        .header("UserName", USERNAME)
        .header("Secret", SECRET)
        .json(&json!({"contractServiceID": line, "effectiveDate": "2026-11-01T00:00:00", "unitChange": 1}))
        .send()
        .await?;
    Ok(response.bytes().await?.len())
}

#[tokio::test]
async fn the_simulators_drop_and_slow_faults_commit_but_give_the_client_no_answer() {
    let (sim, _, _, line) = one_line();
    let http = impatient(Duration::from_millis(300));
    sim.inject("ContractServiceAdjustments", Fault::DropAfterCommit);
    let dropped = add_one_unit(&http, &sim, line).await;
    assert!(dropped.is_err(), "the connection is dropped");
    assert_eq!(sim.units(line, at()), 6, "but the adjustment was committed");
    sim.inject(
        "ContractServiceAdjustments",
        Fault::SlowAfterCommit(Duration::from_secs(1)),
    );
    let slow = add_one_unit(&http, &sim, line)
        .await
        .expect_err("times out");
    assert!(slow.is_timeout(), "{slow}");
    assert_eq!(sim.units(line, at()), 7, "but the adjustment was committed");
}

/// A real server finishes the work of a request it received whatever its client does; so does
/// the simulator, with or without a fault, when the client's timeout fires during the work.
#[tokio::test]
async fn the_simulator_commits_a_write_whose_client_timed_out_during_the_work() {
    let (sim, _, _, line) = one_line();
    sim.set_latency(Duration::from_millis(600));
    let http = impatient(Duration::from_millis(200));
    for (fault, units) in [
        (None, 6),
        (Some(Fault::DropAfterCommit), 7),
        (Some(Fault::SlowAfterCommit(Duration::from_secs(1))), 8),
    ] {
        if let Some(fault) = fault {
            sim.inject("ContractServiceAdjustments", fault);
        }
        let gave_up = add_one_unit(&http, &sim, line)
            .await
            .expect_err("times out");
        assert!(gave_up.is_timeout(), "{gave_up}");
        sim.quiesce(Duration::from_secs(10)).await.expect("quiet");
        assert_eq!(
            sim.units(line, at()),
            units,
            "committed after the client left"
        );
    }
}

/// reckon killed while its write is in the simulator: the write still lands (as on a real
/// server), and the next run reads it and does not write again.
#[tokio::test]
async fn a_write_whose_client_went_away_mid_request_lands_and_is_not_written_again() {
    let (sim, psa, line, id) = one_line();
    // Every request spends 300 ms in the simulator (within the client's 500 ms timeout), so
    // the write is surely still there when its client goes away.
    sim.set_latency(Duration::from_millis(300));
    let write = tokio::spawn({
        let line = line.clone();
        async move { psa.set_quantity(&line, dec!(5), dec!(8), at()).await }
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while sim.in_flight("ContractServiceAdjustments") == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the write never arrived"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    // Dropping the task drops the client and closes its connections, as a killed process does.
    write.abort();
    assert!(
        write.await.is_err_and(|e| e.is_cancelled()),
        "went away before the answer"
    );
    sim.quiesce(Duration::from_secs(10)).await.expect("quiet");
    assert_eq!(
        sim.units(id, at()),
        8,
        "the write landed after its client went away"
    );

    sim.set_latency(Duration::ZERO);
    let next = AutotaskPsa::new(credentials(), Some(sim.base_url()), quick()).expect("client");
    rerun(&next, &line, dec!(8)).await;
    assert_eq!(
        sim.adjustments().len(),
        1,
        "the next run did not write it again"
    );
}
