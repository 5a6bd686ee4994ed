//! HaloPSA end to end: the real binary on examples/keeper-halopsa pointed at the stateful
//! simulator. Plan → apply → plan converges, `check`, faults (429, 500, an expired token, a
//! write whose answer is lost after its commit) that converge with no double write, and the
//! client secret never printed.

use axum::http::Method;
use std::path::Path;

use crate::sim::halopsa::{self as halo, FaultKind, Simulator, State};
use crate::support::{Run, copy_of, reckon_with_env};

const PERIOD: &[&str] = &["--period", "2026-10"];

/// The instance examples/keeper-halopsa is reconciled against.
fn instance() -> State {
    State::keeper_example()
}

/// A copy of examples/keeper-halopsa pointed at `sim`.
pub(crate) fn workspace(sim: &Simulator) -> tempfile::TempDir {
    let ws = copy_of("examples/keeper-halopsa");
    let file = ws.path().join("reckon.yaml");
    let yaml = std::fs::read_to_string(&file).expect("reckon.yaml");
    assert!(
        yaml.contains("https://acme.halopsa.com/api"),
        "the example names its servers"
    );
    let pointed = yaml
        .replace("https://acme.halopsa.com/api", &sim.resource_server())
        .replace("https://acme.halopsa.com/auth", &sim.auth_server());
    std::fs::write(&file, pointed).expect("write reckon.yaml");
    ws
}

pub(crate) const CREDENTIALS: &[(&str, &str)] = &[
    ("HALO_CLIENT_ID", halo::CLIENT_ID),
    ("HALO_CLIENT_SECRET", halo::CLIENT_SECRET),
];

pub(crate) fn run(dir: &Path, command: &[&str]) -> Run {
    let mut args = command.to_vec();
    if command[0] != "check" {
        args.extend_from_slice(PERIOD);
    }
    let run = reckon_with_env(dir, &args, CREDENTIALS);
    for output in [&run.stdout, &run.stderr] {
        assert!(
            !output.contains(halo::CLIENT_SECRET) && !output.contains("sim-token-"),
            "a credential was printed by {command:?}:\n{output}"
        );
    }
    run
}

fn quantity(sim: &Simulator, line: i64) -> String {
    sim.state()
        .line_by_id(line)
        .map(|l| l.qty_order.to_string())
        .unwrap_or_default()
}

/// Lines of item 107 (Enterprise BreachWatch) on Delta's invoice: the one line apply creates.
fn breachwatch_lines(sim: &Simulator) -> usize {
    sim.state()
        .lines
        .iter()
        .filter(|l| l.ihid == 73 && l.item_id == 107)
        .count()
}

fn assert_converged(sim: &Simulator, dir: &Path) {
    let again = run(dir, &["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(
        again.stdout.contains("No changes. Contracts match usage."),
        "{}",
        again.stdout
    );
    assert_eq!(quantity(sim, 701), "12.06");
    assert_eq!(quantity(sim, 702), "9.36");
    assert_eq!(quantity(sim, 721), "7.23");
    assert_eq!(quantity(sim, 704), "4", "an ended line is never written");
    assert_eq!(
        quantity(sim, 741),
        "99",
        "a disabled invoice is never written"
    );
    assert_eq!(
        breachwatch_lines(sim),
        1,
        "exactly one new BreachWatch line"
    );
}

/// No line received two committed writes.
fn assert_written_once(sim: &Simulator) {
    let state = sim.state();
    let mut lines: Vec<i64> = state.writes.iter().map(|w| w.line).collect();
    let all = lines.len();
    lines.sort_unstable();
    lines.dedup();
    assert_eq!(
        lines.len(),
        all,
        "a line was written twice: {:?}",
        state.writes
    );
}

#[test]
fn plan_apply_plan_converges_against_the_simulator() {
    let sim = Simulator::start(instance());
    let ws = workspace(&sim);
    let dir = ws.path();

    let plan = run(dir, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}\n{}", plan.stdout, plan.stderr);
    let shown = plan.stdout.replace(&sim.addr.to_string(), "127.0.0.1:PORT");
    insta::assert_snapshot!("halopsa_plan_text", shown);
    {
        let state = sim.state();
        // One token, then one page each of clients, items and recurring invoices (with lines):
        // the floor for a book below one page.
        assert_eq!(state.count("POST /auth/token"), 1);
        assert_eq!(state.count("GET /api/Client"), 1);
        assert_eq!(state.count("GET /api/Item"), 1);
        assert_eq!(state.count("GET /api/RecurringInvoice"), 1);
        assert_eq!(state.requests.len(), 4);
        let tenant = state.requests.iter().find(|r| r.path == "/auth/token");
        assert_eq!(tenant.map(|r| r.query.as_str()), Some("tenant=acme"));
    }

    let before = sim.state().requests.len();
    let apply = run(dir, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    {
        // The apply's own plan reads the book (3 lists); one listing by client checks the
        // lines to update before the writes and one confirms them after: no read per updated
        // line. The one line created keeps its own protocol (its invoice read before and after).
        let state = sim.state();
        let seen: Vec<String> = state.requests[before..]
            .iter()
            .map(|r| format!("{} {}?{}", r.method, r.path, r.query))
            .collect();
        let by_client = seen
            .iter()
            .filter(|r| r.starts_with("GET /api/RecurringInvoice?") && r.contains("client_ids="))
            .count();
        let one_by_one = seen
            .iter()
            .filter(|r| r.starts_with("GET /api/RecurringInvoice/"))
            .count();
        assert_eq!((by_client, one_by_one), (2, 2), "{seen:#?}");
    }
    assert_converged(&sim, dir);
    assert_written_once(&sim);
}

#[test]
fn check_authenticates_and_reads_one_client() {
    let sim = Simulator::start(instance());
    let ws = workspace(&sim);
    let check = run(ws.path(), &["check"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert!(
        check.stdout.contains("read client 40 (Acme Dental)"),
        "{}",
        check.stdout
    );
}

#[test]
fn nothing_is_sent_outside_reckon_psa_hosts() {
    let sim = Simulator::start(instance());
    let ws = workspace(&sim);
    let mut env = CREDENTIALS.to_vec();
    env.push(("RECKON_PSA_HOSTS", "acme.halopsa.com"));
    for command in [&["check"][..], &["plan", "--period", "2026-10"][..]] {
        let run = reckon_with_env(ws.path(), command, &env);
        assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains("is not in RECKON_PSA_HOSTS"),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains(halo::CLIENT_SECRET), "{}", run.stderr);
    }
    assert_eq!(sim.state().count(""), 0, "no request reached the simulator");
}

#[test]
fn a_wrong_secret_fails_check_saying_what_to_check() {
    let sim = Simulator::start(instance());
    let ws = workspace(&sim);
    let wrong = "wrong-secret-7d1e";
    let check = reckon_with_env(
        ws.path(),
        &["check"],
        &[
            ("HALO_CLIENT_ID", halo::CLIENT_ID),
            ("HALO_CLIENT_SECRET", wrong),
        ],
    );
    assert_eq!(check.code, 1, "{}\n{}", check.stdout, check.stderr);
    let all = format!("{}{}", check.stdout, check.stderr);
    assert!(all.contains("psa.client_secret"), "{all}");
    assert!(!all.contains(wrong), "{all}");
}

#[test]
fn faults_converge_with_no_double_write() {
    let sim = Simulator::start(instance());
    let ws = workspace(&sim);
    let dir = ws.path();
    sim.state()
        .fault(
            Method::GET,
            "/api/Client",
            FaultKind::TooManyRequests { retry_after: 0 },
            1,
        )
        .fault(
            Method::GET,
            "/api/RecurringInvoice",
            FaultKind::ServerError,
            1,
        )
        .fault(Method::GET, "/api/Item", FaultKind::Unauthorized, 1)
        // Committed, then the answer is lost: re-read, found written, never sent again.
        .fault(Method::POST, "/updatelines", FaultKind::Drop, 2);

    let apply = run(dir, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    {
        let state = sim.state();
        assert!(
            state.faults.iter().all(|f| f.times == 0),
            "every fault met a request"
        );
        assert_eq!(
            state.count("POST /auth/token"),
            2,
            "one refresh after the 401"
        );
    }
    assert_written_once(&sim);
    assert_converged(&sim, dir);
}

/// The requests a plan's reads make for 1,000 clients with 4 lines each, in pages of 100:
/// one token, then ⌈1,000 / 100⌉ pages of clients and of recurring invoices (lines included)
/// and one page of items — the floor, as HaloPSA has no bigger unit to read.
#[tokio::test]
async fn a_thousand_clients_plan_in_the_fewest_requests() {
    use reckon::psa::Psa;
    use reckon::psa::halopsa::{HaloPsa, Options, Settings};
    use reckon::secret::Secret;

    let sim = Simulator::start(State::scaled(1000, &["BP", "1TB", "CHAT", "EBW"]));
    let settings = Settings {
        resource_server: sim.resource_server(),
        auth_server: sim.auth_server(),
        client_id: Secret::new(halo::CLIENT_ID),
        client_secret: Secret::new(halo::CLIENT_SECRET),
        tenant: None,
    };
    let psa = HaloPsa::new(settings, Options::default()).expect("client");
    let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).expect("date");
    let (companies, services, contracts) =
        tokio::join!(psa.companies(), psa.services(), psa.contracts(at));
    assert_eq!(companies.expect("clients").len(), 1000);
    assert_eq!(services.expect("items").len(), 4);
    let contracts = contracts.expect("invoices");
    assert_eq!(contracts.len(), 1000);
    assert!(contracts.iter().all(|c| c.lines.len() == 4));
    let state = sim.state();
    assert_eq!(
        state.count("POST /auth/token"),
        1,
        "one token for concurrent reads"
    );
    assert_eq!(state.count("GET /api/Client"), 10);
    assert_eq!(state.count("GET /api/Item"), 1);
    assert_eq!(state.count("GET /api/RecurringInvoice"), 10);
    assert_eq!(psa.requests_used().total(), 22);
}

#[test]
fn a_line_edited_in_halopsa_after_the_saved_plan_makes_it_stale() {
    let sim = Simulator::start(instance());
    let ws = workspace(&sim);
    let dir = ws.path();
    let plan = run(dir, &["plan", "--out", "plan.json"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    // Someone sets Acme's Business Plus line (10) to 11 by hand in HaloPSA.
    if let Some(line) = sim.state().lines.iter_mut().find(|l| l.id == 701) {
        line.qty_order = serde_json::json!(11);
    }

    let apply = reckon_with_env(dir, &["apply", "plan.json"], CREDENTIALS);
    assert_eq!(apply.code, 1, "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        apply
            .stderr
            .contains("contract 70 line 701): planned against 10, now 11"),
        "{}",
        apply.stderr
    );
    assert!(sim.state().writes.is_empty(), "nothing written");
    assert!(!apply.stderr.contains(halo::CLIENT_SECRET));
}
