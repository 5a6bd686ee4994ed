//! ConnectWise end to end: the real binary against the stateful simulator, on
//! tests/fixtures/connectwise (and examples/keeper-connectwise pointed at it). Plan → apply → plan converges, codebase discovery and
//! rediscovery, `check`, faults that end in success or a reported failure (and converge on a
//! re-run), no credential in any output, and the request count of a 1,000-company plan.

use axum::http::Method;
use std::path::Path;
use std::time::Duration;

use crate::sim::connectwise::{self as cw, FaultKind, Simulator, State};
use crate::support::{Run, copy_of, reckon_with_env};

const PERIOD: &[&str] = &["--period", "2026-10"];

/// The tenant tests/fixtures/connectwise is reconciled against.
pub(crate) fn tenant() -> State {
    let mut state = State::default();
    state
        .company(250, "Acme Dental")
        .company(251, "Brightside Logistics")
        .company(252, "Cedar Law LLP")
        .product(1, "KEEPER-BP", "Keeper Business Plus")
        .product(2, "KEEPER-1TB", "Keeper 1TB storage")
        .product(3, "KEEPER-CHAT", "KeeperChat")
        .agreement(300, 250, "Managed Services")
        .agreement(301, 251, "Managed Services")
        .agreement(302, 252, "Managed Services")
        .agreement(303, 250, "Old agreement")
        .addition(3001, 300, "KEEPER-BP", "10", Some("2025-01-01"), None)
        // Cancelled after the effective date: still bills on 2026-11-01, so it is the line.
        .addition(
            3002,
            300,
            "KEEPER-1TB",
            "8",
            Some("2025-01-01"),
            Some("2026-11-30"),
        )
        // Cancelled before it: ignored (else Acme would have two KEEPER-BP lines).
        .addition(
            3003,
            300,
            "KEEPER-BP",
            "4",
            Some("2025-01-01"),
            Some("2026-06-30"),
        )
        .addition(3011, 301, "KEEPER-BP", "5", Some("2025-01-01"), None)
        .addition(3021, 302, "KEEPER-BP", "0", None, None)
        .addition(3031, 303, "KEEPER-BP", "99", None, None);
    state.agreements[3].status = "Cancelled".into();
    state
}

/// How the workspace finds the simulator.
pub(crate) enum Reach {
    /// `site` → the simulator; the codebase is discovered.
    Discover,
    /// `base_url` → the simulator's REST root.
    BaseUrl,
}

/// A copy of tests/fixtures/connectwise pointed at `sim`.
pub(crate) fn workspace(sim: &Simulator, reach: Reach) -> tempfile::TempDir {
    let ws = copy_of("tests/fixtures/connectwise");
    let file = ws.path().join("reckon.yaml");
    let yaml = std::fs::read_to_string(&file).expect("reckon.yaml");
    let site = "  site: api-na.myconnectwise.net";
    assert!(yaml.contains(site), "the fixture names its site");
    let pointed = match reach {
        Reach::Discover => yaml.replace(site, &format!("  site: {}", sim.site())),
        Reach::BaseUrl => yaml.replace(site, &format!("{site}\n  base_url: {}", sim.base_url())),
    };
    std::fs::write(&file, pointed).expect("write reckon.yaml");
    ws
}

pub(crate) const KEYS: &[(&str, &str)] = &[
    ("RECKON_CW_PUBLIC_KEY", cw::PUBLIC_KEY),
    ("RECKON_CW_PRIVATE_KEY", cw::PRIVATE_KEY),
];

pub(crate) fn run(dir: &Path, command: &[&str]) -> Run {
    let mut args = command.to_vec();
    if command[0] != "check" {
        args.extend_from_slice(PERIOD);
    }
    reckon_with_env(dir, &args, KEYS)
}

/// Replaces the simulator's port so snapshots are stable.
pub(crate) fn stable(text: &str, sim: &Simulator) -> String {
    text.replace(&sim.addr.to_string(), "127.0.0.1:PORT")
}

pub(crate) fn quantity(sim: &Simulator, addition: i64) -> String {
    sim.state()
        .addition_by_id(addition)
        .map(|a| a.quantity.to_string())
        .unwrap_or_default()
}

pub(crate) fn assert_converged(sim: &Simulator, dir: &Path) {
    let again = run(dir, &["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(
        again.stdout.contains("No changes. Contracts match usage."),
        "{}",
        again.stdout
    );
    assert_eq!(quantity(sim, 3001), "12");
    assert_eq!(quantity(sim, 3002), "9.36");
    assert_eq!(quantity(sim, 3021), "7.23");
    assert_eq!(chats(sim), 1, "exactly one KEEPER-CHAT addition");
}

/// KEEPER-CHAT additions of agreement 301 (the one line the fixture's apply creates).
fn chats(sim: &Simulator) -> usize {
    sim.state()
        .additions
        .iter()
        .filter(|a| a.agreement == 301 && a.product == "KEEPER-CHAT")
        .count()
}

/// POSTs of additions to agreement 301 the simulator received.
fn chat_posts(sim: &Simulator) -> usize {
    sim.state().count("POST finance/agreements/301/additions")
}

#[test]
fn plan_apply_plan_converges_against_the_simulator() {
    let sim = Simulator::start(tenant());
    let ws = workspace(&sim, Reach::Discover);
    let dir = ws.path();

    let plan = run(dir, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}\n{}", plan.stdout, plan.stderr);
    insta::assert_snapshot!("connectwise_plan_text", plan.stdout);
    // companyinfo, companies, catalog, agreements, one bundle of the additions of 300, 301
    // and 302 (303 is cancelled and filtered out by its condition).
    assert!(
        plan.stderr.contains("PSA requests used: 5 ("),
        "{}",
        plan.stderr
    );

    let apply = run(dir, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        apply.stdout.contains("Apply complete: 4 applied."),
        "{}",
        apply.stdout
    );
    assert_converged(&sim, dir);

    let state = sim.state();
    let untouched = |id| state.addition_by_id(id).map(|a| a.quantity.to_string());
    assert_eq!(
        untouched(3003).as_deref(),
        Some("4"),
        "cancelled line left alone"
    );
    assert_eq!(
        untouched(3031).as_deref(),
        Some("99"),
        "cancelled agreement left alone"
    );
    let created = state
        .additions
        .iter()
        .find(|a| a.product == "KEEPER-CHAT")
        .expect("created addition");
    assert_eq!(created.quantity.to_string(), "2");
    assert_eq!(created.bill_customer, "Billable");
    assert_eq!(
        created.effective_date.as_deref(),
        Some("2026-11-01T00:00:00Z")
    );
    let patches: Vec<&str> = state
        .requests
        .iter()
        .filter(|r| r.method == Method::PATCH)
        .map(|r| r.body.as_str())
        .collect();
    assert!(
        patches.contains(&r#"[{"op":"replace","path":"quantity","value":9.36}]"#),
        "{patches:?}"
    );
    let discoveries = state.count("GET /login/companyinfo/");
    assert_eq!(discoveries, 3, "one discovery per run (plan, apply, plan)");
}

/// The simulator holding what examples/keeper-connectwise's sandbox holds, as ConnectWise
/// would: numeric ids (`AGR-310` → agreement 310, `ADD-3101` → addition 3101).
fn example_tenant(example: &Path) -> State {
    let file = example.join("sandbox/psa.yaml");
    let text = std::fs::read_to_string(&file).expect("sandbox");
    let sandbox: reckon::psa::sandbox::SandboxState =
        reckon::yaml::from_str(&text, &file).expect("sandbox state");
    let number = |id: &str| -> i64 {
        let digits: String = id.chars().filter(char::is_ascii_digit).collect();
        digits.parse().expect("an id with digits")
    };
    let mut state = State::default();
    for company in &sandbox.companies {
        state.company(number(&company.id), &company.name);
    }
    for (n, service) in sandbox.services.iter().enumerate() {
        state.product(n as i64 + 1, &service.id, &service.name);
    }
    for contract in &sandbox.contracts {
        let agreement = number(&contract.id);
        state.agreement(agreement, number(&contract.company), &contract.name);
        for line in &contract.lines {
            let quantity = line.quantity.to_string();
            state.addition(
                number(&line.id),
                agreement,
                &line.service,
                &quantity,
                None,
                None,
            );
        }
    }
    state
}

/// examples/keeper-connectwise (Keeper Commander's JSON report, Product IDs, decimals) with its
/// `psa:` block switched to ConnectWise: plan → apply → plan is empty.
#[test]
fn the_keeper_connectwise_example_converges_against_the_simulator() {
    let ws = copy_of("examples/keeper-connectwise");
    let dir = ws.path();
    let sim = Simulator::start(example_tenant(dir));
    let file = dir.join("reckon.yaml");
    let yaml = std::fs::read_to_string(&file).expect("reckon.yaml");
    let sandbox_block = "psa:\n  kind: sandbox\n  path: sandbox/psa.yaml\n";
    assert!(yaml.contains(sandbox_block), "{yaml}");
    let connectwise = format!(
        "psa:\n  kind: connectwise\n  site: {}\n  company_id: {}\n  \
         public_key: {{ env: RECKON_CW_PUBLIC_KEY }}\n  private_key: {{ env: RECKON_CW_PRIVATE_KEY }}\n  \
         client_id: {}\n",
        sim.site(),
        cw::COMPANY_ID,
        cw::CLIENT_ID
    );
    std::fs::write(&file, yaml.replace(sandbox_block, &connectwise)).expect("write");

    let plan = run(dir, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}\n{}", plan.stdout, plan.stderr);
    insta::assert_snapshot!("keeper_connectwise_example_plan", plan.stdout);
    let apply = run(dir, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let again = run(dir, &["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
    assert_eq!(quantity(&sim, 3101), "12.06", "Acme Dental Business Plus");
    assert_eq!(quantity(&sim, 3121), "7.23", "Cedar Law from October 16th");
}

#[test]
fn a_fixed_base_url_skips_discovery() {
    let sim = Simulator::start(tenant());
    let ws = workspace(&sim, Reach::BaseUrl);
    let plan = run(ws.path(), &["plan"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stderr.contains("PSA requests used: 4 ("),
        "{}",
        plan.stderr
    );
    assert_eq!(sim.state().count("GET /login/"), 0);
}

#[test]
fn a_moved_codebase_is_rediscovered_once() {
    let mut state = tenant();
    state.advertised.push_back("v2024_3/".into());
    let sim = Simulator::start(state);
    let ws = workspace(&sim, Reach::Discover);
    let plan = run(ws.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}\n{}", plan.stdout, plan.stderr);
    assert_eq!(sim.state().count("GET /login/companyinfo/"), 2);
}

#[test]
fn a_server_without_bundles_is_not_taken_for_a_moved_codebase() {
    let mut state = tenant();
    state.bundles = false;
    let sim = Simulator::start(state);
    let ws = workspace(&sim, Reach::Discover);
    let plan = run(ws.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}\n{}", plan.stdout, plan.stderr);
    assert_eq!(sim.state().count("GET /login/companyinfo/"), 1);
    assert_eq!(sim.state().count("GET finance/agreements/300/additions"), 1);
}

#[test]
fn check_reports_each_step() {
    let sim = Simulator::start(tenant());
    let ws = workspace(&sim, Reach::Discover);
    let check = run(ws.path(), &["check"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    insta::assert_snapshot!("connectwise_check", stable(&check.stdout, &sim));
}

#[test]
fn wrong_keys_say_which_settings_to_check_and_never_print_a_key() {
    let sim = Simulator::start(tenant());
    let ws = workspace(&sim, Reach::Discover);
    let wrong = "PLANTED-wrong-private-3b7e";
    let env = [
        ("RECKON_CW_PUBLIC_KEY", cw::PUBLIC_KEY),
        ("RECKON_CW_PRIVATE_KEY", wrong),
    ];
    let check = reckon_with_env(ws.path(), &["check"], &env);
    assert_eq!(check.code, 1, "{}", check.stdout);
    insta::assert_snapshot!("connectwise_check_401", stable(&check.stdout, &sim));
    let plan = reckon_with_env(ws.path(), &["plan", "--period", "2026-10"], &env);
    assert_eq!(plan.code, 1, "{}", plan.stdout);
    assert!(
        plan.stderr
            .contains("check psa.company_id, psa.public_key and psa.private_key"),
        "{}",
        plan.stderr
    );
    for output in [&check.stdout, &check.stderr, &plan.stdout, &plan.stderr] {
        assert_no_secret(output, &[wrong]);
    }
}

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Every credential the tests use, and the Basic header built from them.
pub(crate) fn assert_no_secret(output: &str, extra: &[&str]) {
    let basic =
        cw::base64(format!("{}+{}:{}", cw::COMPANY_ID, cw::PUBLIC_KEY, cw::PRIVATE_KEY).as_bytes());
    let mut secrets = vec![cw::PUBLIC_KEY, cw::PRIVATE_KEY, basic.as_str()];
    secrets.extend_from_slice(extra);
    for secret in secrets {
        assert!(
            !output.contains(secret),
            "secret {secret:?} printed in:\n{output}"
        );
    }
}

#[test]
fn no_credential_appears_in_any_output() {
    let sim = Simulator::start(tenant());
    let ws = workspace(&sim, Reach::Discover);
    let dir = ws.path();
    sim.state()
        .fault(Method::PATCH, "/additions/3001", FaultKind::ServerError, 10)
        .fault(Method::POST, "/system/bundles", FaultKind::Drop, 1);
    let mut runs = vec![
        run(dir, &["check"]),
        run(dir, &["plan"]),
        run(dir, &["plan", "--format", "json"]),
        run(dir, &["apply", "--auto-approve"]),
    ];
    sim.state().faults.clear();
    runs.push(run(dir, &["apply", "--auto-approve"]));
    runs.push(run(dir, &["plan", "-v"]));
    for other in [
        &["accounts", "--period", "2026-10"][..],
        &["services", "--period", "2026-10"],
        &["import", "--integration", "keeper", "--period", "2026-10"],
        &["status"],
        &["validate"],
    ] {
        let done = reckon_with_env(dir, other, KEYS);
        assert_eq!(done.code, 0, "{other:?}: {}\n{}", done.stdout, done.stderr);
        runs.push(done);
    }
    assert_eq!(
        runs[3].code, 1,
        "the faulted apply fails: {}",
        runs[3].stdout
    );
    for run in &runs {
        assert_no_secret(&run.stdout, &[]);
        assert_no_secret(&run.stderr, &[]);
    }
    // Nor in anything reckon wrote (the journal and lock under .reckon/).
    for file in files_under(dir) {
        let text = String::from_utf8_lossy(&std::fs::read(&file).expect("read")).into_owned();
        assert_no_secret(&text, &[]);
    }
    assert_converged(&sim, dir);
}

/// A simulator, its workspace, and the apply run with a fault injected.
struct Faulted {
    sim: Simulator,
    ws: tempfile::TempDir,
    first: Run,
}

/// Applies with `fault` injected and expects `code`; clears the faults.
fn apply_under_fault(
    method: Method,
    path: &str,
    kind: FaultKind,
    times: u32,
    code: i32,
) -> Faulted {
    let sim = Simulator::start(tenant());
    let ws = workspace(&sim, Reach::BaseUrl);
    sim.state().fault(method, path, kind, times);
    let first = run(ws.path(), &["apply", "--auto-approve"]);
    assert_eq!(first.code, code, "{}\n{}", first.stdout, first.stderr);
    sim.state().faults.clear();
    Faulted { sim, ws, first }
}

impl Faulted {
    /// Re-runs apply if the first failed, then checks it converged.
    fn converges(&self) {
        let dir = self.ws.path();
        if self.first.code != 0 {
            let again = run(dir, &["apply", "--auto-approve"]);
            assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
        }
        assert_converged(&self.sim, dir);
    }
}

/// Applies with `fault` injected, expects `code`, then re-runs until it converges.
fn fault_then_converge(method: Method, path: &str, kind: FaultKind, times: u32, code: i32) -> Run {
    let faulted = apply_under_fault(method, path, kind, times, code);
    faulted.converges();
    faulted.first
}

#[test]
fn a_429_is_retried_after_retry_after() {
    let run = fault_then_converge(
        Method::POST,
        "/system/bundles",
        FaultKind::TooManyRequests { retry_after: 1 },
        2,
        0,
    );
    // The plan's bundle, answered on its third try; then apply's batched check of the lines.
    assert!(
        run.stderr.contains("POST system/bundles 4"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_500_on_a_read_is_retried() {
    fault_then_converge(
        Method::GET,
        "/procurement/catalog",
        FaultKind::ServerError,
        1,
        0,
    );
}

#[test]
fn a_dropped_connection_on_a_read_is_retried() {
    fault_then_converge(Method::GET, "/company/companies", FaultKind::Drop, 1, 0);
}

#[test]
fn a_slow_answer_is_waited_for() {
    fault_then_converge(
        Method::GET,
        "/finance/agreements",
        FaultKind::Slow(Duration::from_millis(1500)),
        1,
        0,
    );
}

#[test]
fn a_patch_whose_answer_was_lost_is_repeated() {
    let faulted = apply_under_fault(Method::PATCH, "/additions/3001", FaultKind::Drop, 1, 0);
    let committed: Vec<(String, String)> = faulted
        .sim
        .state()
        .patches
        .iter()
        .filter(|p| p.addition == 3001)
        .map(|p| (p.from.to_string(), p.to.to_string()))
        .collect();
    // The repeat found 12 already: the PATCH whose answer was lost had committed.
    let set = |from: &str| (from.to_owned(), "12".to_owned());
    assert_eq!(committed, [set("10"), set("12")]);
    faulted.converges();
}

#[test]
fn a_persistent_500_on_a_write_is_reported_with_its_ids() {
    let run = fault_then_converge(
        Method::PATCH,
        "/additions/3002",
        FaultKind::ServerError,
        100,
        1,
    );
    assert!(
        run.stdout.contains(
            "failed update keeper/Acme Dental/1TB → Acme Dental/KEEPER-1TB (8 → 9.36): the PSA \
             refused to set the quantity of addition 3002 of agreement 300 to 9.36: HTTP 500: \
             ConnectWiseApi: simulated failure"
        ),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("3 applied, 1 failed"), "{}", run.stdout);
}

#[test]
fn a_post_whose_answer_was_lost_is_not_repeated_and_a_rerun_creates_it() {
    let faulted = apply_under_fault(
        Method::POST,
        "/finance/agreements/301/additions",
        FaultKind::DropBeforeCommit,
        1,
        1,
    );
    assert_eq!(chats(&faulted.sim), 0, "the lost POST never landed");
    assert_eq!(chat_posts(&faulted.sim), 1, "and was not repeated");
    faulted.converges();
    assert_eq!(chat_posts(&faulted.sim), 2, "the rerun created it");
    let run = &faulted.first;
    let failed: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.contains("failed"))
        .collect();
    insta::with_settings!({filters => vec![(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT")]}, {
        insta::assert_snapshot!("connectwise_lost_post", failed.join("\n"));
    });
    assert!(
        run.stdout
            .contains("add a KEEPER-CHAT addition to agreement 301"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_post_committed_before_its_answer_was_lost_is_not_repeated_and_a_rerun_adds_nothing() {
    let faulted = apply_under_fault(
        Method::POST,
        "/finance/agreements/301/additions",
        FaultKind::Drop,
        1,
        1,
    );
    assert_eq!(
        chats(&faulted.sim),
        1,
        "the POST committed before its answer was lost"
    );
    assert_eq!(chat_posts(&faulted.sim), 1, "and was not repeated");
    faulted.converges();
    assert_eq!(
        chat_posts(&faulted.sim),
        1,
        "the rerun read the addition and created no second one"
    );
}

/// The simulator finishes a write whose client gave up (a timeout, a killed process), as a real
/// server finishes a request it received: whether the client left during the work (a latency
/// longer than its timeout) or while the answer was held after it (`Slow`).
#[tokio::test]
async fn the_simulator_commits_a_write_whose_client_gave_up() {
    let sim = Simulator::start(tenant());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .expect("client");
    let basic =
        cw::base64(format!("{}+{}:{}", cw::COMPANY_ID, cw::PUBLIC_KEY, cw::PRIVATE_KEY).as_bytes());
    let url = format!("{}/finance/agreements/300/additions/3001", sim.base_url());
    let set = |quantity: u32| {
        http.patch(&url)
            .header("Authorization", format!("Basic {basic}"))
            .header("clientId", cw::CLIENT_ID)
            .body(format!(
                r#"[{{"op":"replace","path":"quantity","value":{quantity}}}]"#
            ))
            .send()
    };
    let slow = FaultKind::Slow(Duration::from_secs(1));
    for (latency, fault, value) in [
        (Duration::from_millis(600), None, 11),
        (Duration::ZERO, Some(slow), 13),
    ] {
        sim.state().latency = latency;
        if let Some(fault) = fault {
            sim.state()
                .fault(Method::PATCH, "/additions/3001", fault, 1);
        }
        let gave_up = set(value).await.expect_err("no answer within the timeout");
        assert!(gave_up.is_timeout(), "{gave_up}");
        sim.quiesce(Duration::from_secs(10)).await.expect("quiet");
        assert_eq!(quantity(&sim, 3001), value.to_string(), "committed anyway");
    }
}

#[test]
fn a_retry_after_beyond_the_limit_fails_the_plan_with_the_agreement_named() {
    let sim = Simulator::start(tenant());
    let ws = workspace(&sim, Reach::BaseUrl);
    sim.state().fault(
        Method::POST,
        "/system/bundles",
        FaultKind::TooManyRequests { retry_after: 3600 },
        1,
    );
    let plan = run(ws.path(), &["plan"]);
    assert_eq!(plan.code, 1, "{}", plan.stdout);
    assert!(
        plan.stderr.contains(
            "cannot read the additions of agreements 300, 301, 302: HTTP 429: TooManyRequests: \
             slow down"
        ),
        "{}",
        plan.stderr
    );
    sim.state().faults.clear();
    let apply = run(ws.path(), &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert_converged(&sim, ws.path());
}

/// 1,000 companies, one agreement each, three additions each: the plan reads every list page
/// once and the additions in bundles of 25 agreements (2 + 1 + 2 + 40 requests with a fixed
/// base_url: the full pages of companies and agreements have no next link, so the empty page
/// after each is read to confirm the end); without bundles, once per agreement (2 + 1 + 2 +
/// 1,000, plus the refused bundle).
#[test]
fn a_thousand_company_plan_reads_additions_in_bundles() {
    let plan = scaled_plan(1000, true);
    assert!(
        plan.contains(
            "PSA requests used: 45 (GET company/companies 2, GET procurement/catalog 1, \
             GET finance/agreements 2, POST system/bundles 40)"
        ),
        "{plan}"
    );
}

#[test]
fn without_bundles_additions_are_read_per_agreement() {
    let plan = scaled_plan(1000, false);
    assert!(
        plan.contains(
            "PSA requests used: 1006 (GET company/companies 2, GET procurement/catalog 1, \
             GET finance/agreements 2, POST system/bundles 1, \
             GET finance/agreements/{id}/additions 1000)"
        ),
        "{plan}"
    );
}

#[test]
fn a_bundled_read_cut_at_one_page_is_completed_directly() {
    let mut state = tenant();
    state.bundle_page_cap = 1;
    let sim = Simulator::start(state);
    let ws = workspace(&sim, Reach::BaseUrl);
    let plan = run(ws.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    // Agreement 300 has three additions, so its bundled answer was cut: read directly.
    assert!(
        plan.stderr
            .contains("POST system/bundles 1, GET finance/agreements/{id}/additions 1)"),
        "{}",
        plan.stderr
    );
    let snapshot = std::fs::read_to_string(
        crate::support::repo()
            .join("tests/it/snapshots/it__connectwise__connectwise_plan_text.snap"),
    )
    .expect("snapshot");
    assert!(
        snapshot.ends_with(&plan.stdout),
        "same plan as with whole bundles:\n{}",
        plan.stdout
    );
}

/// Plans 1,000 companies × 1 agreement × 3 additions; returns stderr.
#[test]
fn agreements_over_several_pages_have_every_addition_read() {
    // Three pages of agreements (1,000 + 1,000 + 101): each page's bundles start as it
    // arrives; the lone 2,101st agreement is one request either way, so it is read directly.
    let plan = scaled_plan(2101, true);
    assert!(
        plan.contains(
            "PSA requests used: 92 (GET company/companies 3, GET procurement/catalog 1, \
             GET finance/agreements 3, POST system/bundles 84, \
             GET finance/agreements/{id}/additions 1)"
        ),
        "{plan}"
    );
}

/// Plans `companies` customers of three products each (checking every line is planned) and
/// returns what the plan printed on stderr.
pub(crate) fn scaled_plan(companies: i64, bundles: bool) -> String {
    let mut state = State::scaled(companies, &SCALED_PRODUCTS);
    state.bundles = bundles;
    let sim = Simulator::start(state);
    let ws = scaled_workspace(&sim, companies);
    let plan = run(ws.path(), &["plan", "--format", "json"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let json: serde_json::Value = serde_json::from_str(&plan.stdout).expect("JSON plan");
    // BP differs unless c % 7 == 0, TB never, CHAT always.
    let updates = (0..companies).filter(|c| c % 7 != 0).count() as i64 + companies;
    assert_eq!(json["summary"]["update"], updates, "{}", json["summary"]);
    plan.stderr
}

/// The products of [`State::scaled`] tenants in these tests.
pub(crate) const SCALED_PRODUCTS: [&str; 3] = ["KEEPER-BP", "KEEPER-1TB", "KEEPER-CHAT"];

/// A workspace for a [`State::scaled`] tenant of `companies` customers served by `sim`: every
/// customer mapped by name, three products, usage for each.
pub(crate) fn scaled_workspace(sim: &Simulator, companies: i64) -> tempfile::TempDir {
    let ws = tempfile::tempdir().expect("tempdir");
    let dir = ws.path();
    std::fs::create_dir_all(dir.join("integrations")).expect("mkdir");
    std::fs::create_dir_all(dir.join("usage")).expect("mkdir");
    std::fs::write(
        dir.join("reckon.yaml"),
        format!(
            "psa:\n  kind: connectwise\n  site: {}\n  base_url: {}\n  company_id: {}\n  \
             public_key: {{env: RECKON_CW_PUBLIC_KEY}}\n  private_key: {{env: RECKON_CW_PRIVATE_KEY}}\n  \
             client_id: {}\n",
            sim.site(),
            sim.base_url(),
            cw::COMPANY_ID,
            cw::CLIENT_ID
        ),
    )
    .expect("reckon.yaml");
    std::fs::write(
        dir.join("integrations/keeper.yaml"),
        "vendor: keeper\nsource: {kind: csv, path: \"usage/keeper-{period}.csv\"}\n\
         billing_model: end-of-period\naccounts: {auto_match: exact-name}\nservices:\n  \
         - {vendor: BP, psa: KEEPER-BP}\n  - {vendor: TB, psa: KEEPER-1TB}\n  - {vendor: CHAT, psa: KEEPER-CHAT}\n",
    )
    .expect("integration");
    let mut csv = String::from("date,account_id,account_name,sku,quantity\n");
    for c in 0..companies {
        for (sku, quantity) in [("BP", 1 + c % 7), ("TB", 1), ("CHAT", 2)] {
            csv.push_str(&format!(
                "2026-10-31,{c},Customer {c:04},{sku},{quantity}\n"
            ));
        }
    }
    std::fs::write(dir.join("usage/keeper-2026-10.csv"), csv).expect("csv");
    ws
}
