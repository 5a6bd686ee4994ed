//! Apply's batched mode (issue 20) against the Autotask and ConnectWise simulators, in-process:
//! the lines an apply updates are checked in one batched read before the writes and confirmed
//! in one after, a line that moved is refused, a lost answer is settled by the confirming read
//! (never by writing again), and Autotask's `in` lists hold at most 500 lines.

use std::time::Duration;

use reckon::apply::Outcome;
use reckon::plan::{Change, Plan};
use reckon::psa::autotask::AutotaskPsa;
use reckon::psa::connectwise::{ConnectWisePsa, Options, Settings};
use reckon::psa::{Psa, PsaError};
use reckon::secret::Secret;
use reckon::state::journal::{self, ApplyJournal, Writer};
use rust_decimal::Decimal;

use crate::autotask_adapter::{at, credentials, quick, update};
use crate::sim::autotask::{Fault, Sim};
use crate::sim::connectwise::{self as cw, Simulator};

fn plan_of(changes: Vec<Change>, psa: &str) -> Plan {
    Plan {
        period: "2026-10".parse().expect("period"),
        effective_date: at(),
        psa: psa.into(),
        integrations: vec!["keeper".into()],
        partial: false,
        changes,
        findings: vec![],
        interrupted: vec![],
        blockers: Vec::new(),
        provenance: Default::default(),
    }
}

/// Applies `plan` with a journal; the outcomes in plan order and the journal's records.
async fn apply(plan: &Plan, psa: &impl Psa) -> (Vec<Outcome>, Vec<journal::Record>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let writer = Writer::open(dir.path()).expect("journal");
    let mut journal = ApplyJournal::new(writer, "run".into(), None, plan.period, None);
    let report = reckon::apply::execute(plan, psa, &mut journal, |_| {}).await;
    let outcomes = report.results.into_iter().map(|r| r.outcome).collect();
    (outcomes, journal::read(dir.path()).expect("records"))
}

/// An Autotask contract of `n` lines holding 5 units each.
fn autotask_lines(n: usize) -> (Sim, AutotaskPsa, i64, Vec<i64>) {
    let sim = Sim::start();
    let company = sim.add_company("Acme Dental");
    let service = sim.add_service("Keeper Business Plus");
    let contract = sim.add_contract(company, "Acme – Managed Services");
    let lines = (0..n).map(|_| sim.add_line(contract, service, 5)).collect();
    let psa = AutotaskPsa::new(credentials(), Some(sim.base_url()), quick()).expect("client");
    (sim, psa, contract, lines)
}

fn adjusted_lines(sim: &Sim) -> Vec<i64> {
    let mut lines: Vec<i64> = sim
        .adjustments()
        .iter()
        .map(|a| a["contractServiceID"].as_i64().expect("line"))
        .collect();
    lines.sort_unstable();
    lines
}

#[tokio::test]
async fn autotask_refuses_the_lines_that_moved_and_writes_the_rest_with_two_reads() {
    let (sim, psa, contract, lines) = autotask_lines(3);
    // The plan saw 4 units on the second line; it holds 5.
    let plan = plan_of(
        vec![
            update(contract, lines[0], 5, 6),
            update(contract, lines[1], 4, 7),
            update(contract, lines[2], 5, 8),
        ],
        "autotask",
    );
    let (outcomes, records) = apply(&plan, &psa).await;
    assert_eq!(outcomes[0], Outcome::Applied);
    assert!(
        matches!(&outcomes[1], Outcome::Failed(PsaError::Changed { expected, found, .. })
            if *expected == Decimal::from(4) && *found == Decimal::from(5)),
        "{:?}",
        outcomes[1]
    );
    assert_eq!(outcomes[2], Outcome::Applied);
    assert_eq!(adjusted_lines(&sim), vec![lines[0], lines[2]]);
    assert_eq!(sim.units(lines[1], at()), 5, "the moved line is untouched");
    // One read checks the three lines, one confirms the two written: no read per line.
    assert_eq!(sim.requests()["ContractServiceUnits/query"], 2);
    assert_eq!(sim.requests()["ContractServiceAdjustments"], 2);
    assert!(journal::unknown_outcomes(&records).is_empty());
}

#[tokio::test]
async fn autotask_settles_a_lost_adjustment_answer_by_the_confirming_read_not_by_a_second_post() {
    for fault in [
        Fault::DropAfterCommit,
        Fault::SlowAfterCommit(Duration::from_secs(2)),
        Fault::UnreadableAfterCommit,
    ] {
        let (sim, psa, contract, lines) = autotask_lines(3);
        sim.inject("ContractServiceAdjustments", fault.clone());
        let changes = lines.iter().map(|&l| update(contract, l, 5, 9)).collect();
        let (outcomes, _) = apply(&plan_of(changes, "autotask"), &psa).await;
        sim.wait_idle();
        assert!(
            outcomes.iter().all(|o| *o == Outcome::Applied),
            "{fault:?}: {outcomes:?}"
        );
        for &line in &lines {
            assert_eq!(sim.units(line, at()), 9, "{fault:?}: line {line}");
        }
        assert_eq!(
            adjusted_lines(&sim),
            lines,
            "{fault:?}: each line adjusted once"
        );
        assert_eq!(sim.requests()["ContractServiceAdjustments"], 3, "{fault:?}");
    }
}

#[tokio::test]
async fn autotask_checks_at_most_500_lines_a_request() {
    let (sim, psa, contract, lines) = autotask_lines(501);
    let changes = lines.iter().map(|&l| update(contract, l, 5, 6)).collect();
    let (outcomes, _) = apply(&plan_of(changes, "autotask"), &psa).await;
    assert!(outcomes.iter().all(|o| *o == Outcome::Applied));
    // 500 + 1 lines: two requests to check, two to confirm; one adjustment per line.
    assert_eq!(sim.requests()["ContractServiceUnits/query"], 4);
    assert_eq!(sim.requests()["ContractServiceAdjustments"], 501);
    assert!(sim.max_in_flight() <= 3);
}

fn connectwise(sim: &Simulator) -> ConnectWisePsa {
    let settings = Settings {
        site: sim.site(),
        company_id: cw::COMPANY_ID.into(),
        public_key: Secret::new(cw::PUBLIC_KEY),
        private_key: Secret::new(cw::PRIVATE_KEY),
        client_id: cw::CLIENT_ID.into(),
        base_url: Some(sim.base_url()),
    };
    let options = Options {
        backoff: Duration::from_millis(10),
        ..Options::default()
    };
    ConnectWisePsa::new(settings, options).expect("client")
}

/// The plan's update of addition `addition` of `agreement`.
fn cw_update(agreement: i64, addition: i64, from: i64, to: i64) -> Change {
    let mut change = update(agreement, addition, from, to);
    change.psa_service = "KEEPER-BP".into();
    change
}

#[tokio::test]
async fn connectwise_checks_the_lines_in_one_bundle_and_refuses_the_one_that_moved() {
    let sim = Simulator::start(crate::connectwise::tenant());
    let psa = connectwise(&sim);
    let before = sim.state().requests.len();
    // 3001 holds 10 and 3002 holds 8 (agreement 300); 3011 holds 5 (agreement 301).
    let plan = plan_of(
        vec![
            cw_update(300, 3001, 10, 12),
            cw_update(300, 3002, 7, 9),
            cw_update(301, 3011, 5, 4),
        ],
        "connectwise",
    );
    let (outcomes, _) = apply(&plan, &psa).await;
    assert_eq!(outcomes[0], Outcome::Applied);
    assert!(
        matches!(&outcomes[1], Outcome::Failed(PsaError::Changed { found, .. }) if *found == Decimal::from(8)),
        "{:?}",
        outcomes[1]
    );
    assert_eq!(outcomes[2], Outcome::Applied);
    let state = sim.state();
    let seen: Vec<String> = state.requests[before..]
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .filter(|r| !r.contains("companyinfo"))
        .collect();
    let bundles = seen
        .iter()
        .filter(|r| r.ends_with("system/bundles"))
        .count();
    let patches = seen.iter().filter(|r| r.starts_with("PATCH")).count();
    let reads = seen.iter().filter(|r| r.starts_with("GET")).count();
    assert_eq!((bundles, patches, reads), (1, 2, 0), "{seen:?}");
    let mut patched: Vec<i64> = state.patches.iter().map(|p| p.addition).collect();
    patched.sort_unstable();
    assert_eq!(patched, [3001, 3011]);
}
