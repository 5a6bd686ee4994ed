//! `state: {backend: postgres}` end to end, against a real PostgreSQL server ([`PgServer`]) and
//! the Autotask simulator: two workspace folders ("two runners", as two CI jobs on fresh
//! clones) share one database and one PSA tenant. Every run's output is scanned for the
//! database password and the PSA credentials.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::autotask::{
    ACME_1TB, ACME_BP, CEDAR_BP, DELTA_ENTERPRISE, ENV, effective, keeper_autotask,
};
use crate::pg_server::{PASSWORD, PgServer};
use crate::sim::autotask::{INTEGRATION_CODE, SECRET, Sim, USERNAME};
use crate::support::{Run, copy_dir, reckon_with_env};

const STATE_BLOCK: &str = "\nstate:\n  backend: postgres\n  url: { env: RECKON_STATE_URL }\n";

/// Two runners' folders: clones of one keeper-autotask workspace pointed at `sim`, with the
/// postgres state block.
fn two_runners(sim: &Sim) -> (tempfile::TempDir, tempfile::TempDir) {
    let first = keeper_autotask(sim);
    let yaml = first.path().join("reckon.yaml");
    let text = std::fs::read_to_string(&yaml).expect("reckon.yaml");
    std::fs::write(&yaml, format!("{text}{STATE_BLOCK}")).expect("state block");
    let second = tempfile::tempdir().expect("tempdir");
    copy_dir(first.path(), second.path());
    (first, second)
}

fn env(pg: &PgServer) -> Vec<(String, String)> {
    ENV.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .chain([("RECKON_STATE_URL".to_owned(), pg.url())])
        .collect()
}

/// Fails when any credential (the database password above all) is in `text`.
fn assert_no_secret(what: &str, text: &str, pg: &PgServer) {
    for secret in [PASSWORD, &pg.url(), SECRET, INTEGRATION_CODE, USERNAME] {
        assert!(
            !text.contains(secret),
            "a credential leaked from {what}:\n{text}"
        );
    }
}

/// Runs reckon in `dir` against `pg`, scanning its output for credentials.
fn run(pg: &PgServer, dir: &Path, args: &[&str]) -> Run {
    let env = env(pg);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let run = reckon_with_env(dir, args, &env);
    assert_no_secret(
        &format!("{args:?}"),
        &format!("{}\n{}", run.stdout, run.stderr),
        pg,
    );
    run
}

fn spawn(pg: &PgServer, dir: &Path, args: &[&str], extra: &[(&str, &str)]) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_reckon"));
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env(pg).iter() {
        command.env(k, v);
    }
    for (k, v) in extra {
        command.env(k, v);
    }
    command.spawn().expect("spawn reckon")
}

fn finish(pg: &PgServer, child: Child) -> Run {
    let output = child.wait_with_output().expect("reckon ends");
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert_no_secret(
        "a spawned run",
        &format!("{}\n{}", run.stdout, run.stderr),
        pg,
    );
    run
}

/// The line of every adjustment the simulator committed, sorted.
fn adjusted_lines(sim: &Sim) -> Vec<i64> {
    let mut lines: Vec<i64> = sim
        .adjustments()
        .iter()
        .map(|a| a["contractServiceID"].as_i64().expect("line"))
        .collect();
    lines.sort_unstable();
    lines
}

fn assert_converged(sim: &Sim) {
    let at = effective();
    assert_eq!(sim.units(ACME_BP, at), 12);
    assert_eq!(sim.units(ACME_1TB, at), 10);
    assert_eq!(sim.units(CEDAR_BP, at), 7);
    assert_eq!(sim.units(DELTA_ENTERPRISE, at), 19);
    assert_eq!(
        adjusted_lines(sim),
        [ACME_BP, ACME_1TB, CEDAR_BP, DELTA_ENTERPRISE],
        "one adjustment per line"
    );
}

/// Waits until the server holds no advisory lock: a closed or killed client's backend exits
/// (and lets go of its locks) a moment after its socket closes.
fn wait_until_unlocked(pg: &PgServer) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while count(
        pg,
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'",
    ) > 0
    {
        assert!(Instant::now() < deadline, "the lock was never released");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn count(pg: &PgServer, sql: &str) -> usize {
    pg.query(sql)[0].parse().expect("a count")
}

/// How many journal records of `kind` (`intent`, `outcome`, `resolved`) the database holds.
fn journal_records(pg: &PgServer, kind: &str) -> usize {
    count(
        pg,
        &format!("SELECT count(*) FROM reckon.journal WHERE kind = '{kind}'"),
    )
}

const APPLY: &[&str] = &["apply", "--period", "2026-10", "--auto-approve"];

#[test]
fn two_runners_sharing_one_database_write_each_line_once() {
    let pg = PgServer::start();
    let sim = Sim::start();
    let (a, b) = two_runners(&sim);
    // Slow enough that the two applies overlap; they also migrate the empty database at once.
    sim.set_latency(Duration::from_millis(30));
    let waiting = [APPLY, &["--lock-timeout", "2m"]].concat();
    let first = spawn(&pg, a.path(), &waiting, &[]);
    let second = spawn(&pg, b.path(), &waiting, &[]);
    let runs = [finish(&pg, first), finish(&pg, second)];
    for run in &runs {
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    }
    let wrote = runs
        .iter()
        .filter(|r| r.stdout.contains("Apply complete: 4 applied."))
        .count();
    assert_eq!(
        wrote, 1,
        "exactly one runner writes; the other waits and finds nothing"
    );
    assert!(
        runs.iter().any(|r| r.stdout.contains("No changes.")),
        "{}\n{}",
        runs[0].stdout,
        runs[1].stdout
    );
    assert_converged(&sim);
    assert_eq!(journal_records(&pg, "intent"), 4);
    assert_eq!(journal_records(&pg, "outcome"), 4);
    assert_eq!(
        count(&pg, "SELECT count(*) FROM reckon.lock_holders"),
        0,
        "released"
    );

    // The history is shared: the runner that wrote nothing sees the other's apply.
    let status = run(&pg, b.path(), &["status"]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert!(
        status.stdout.contains("keeper: last applied 2026-10"),
        "{}",
        status.stdout
    );
    assert!(
        status.stdout.contains("State: PostgreSQL 127.0.0.1:"),
        "{}",
        status.stdout
    );
}

#[test]
fn a_lock_held_on_another_runner_refuses_apply_naming_the_holder_and_goes_with_its_connection() {
    let pg = PgServer::start();
    let sim = Sim::start();
    let (a, b) = two_runners(&sim);
    // Runner A is mid-apply: the lock is held by a live connection (this test's process).
    let workspace = reckon::config::load(a.path()).expect("valid").workspace;
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let url = reckon::secret::Secret::new(pg.url());
    let held = runtime.block_on(async {
        let target = reckon::state::postgres::Target::new(Some(&url)).expect("target");
        let tenant = reckon::state::store::tenant(&workspace.psa);
        reckon::state::postgres::Postgres::open(target, "reckon", tenant)
            .await
            .expect("open")
            .lock("apply --period 2026-10", Duration::ZERO)
            .await
            .expect("lock")
    });
    let id = held.info().id.clone();

    let refused = run(&pg, b.path(), APPLY);
    assert_ne!(refused.code, 0, "{}", refused.stdout);
    assert!(
        refused.stderr.contains(&format!("lock {id} held by"))
            && refused.stderr.contains("`reckon apply --period 2026-10`"),
        "{}",
        refused.stderr
    );
    let live = run(&pg, b.path(), &["unlock", &id]);
    assert_ne!(live.code, 0, "a live lock is never removed");
    assert!(live.stderr.contains("still open"), "{}", live.stderr);
    assert!(sim.adjustments().is_empty(), "nothing written while locked");

    // Its connection drops (a runner killed): the lock is free at once, no unlock needed.
    drop(held);
    drop(runtime);
    wait_until_unlocked(&pg);
    let status = run(&pg, b.path(), &["status"]);
    assert!(
        status
            .stdout
            .contains(&format!("`reckon unlock {id}` removes it")),
        "a stale holder row is shown as such:\n{}",
        status.stdout
    );
    let apply = run(&pg, b.path(), APPLY);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert_converged(&sim);
}

#[test]
fn a_runner_killed_mid_apply_is_resolved_from_another_runner_without_a_double_adjustment() {
    let pg = PgServer::start();
    let sim = Sim::start();
    let (a, b) = two_runners(&sim);
    // All four writes are under way when the first finishes and the hook aborts runner A.
    sim.set_latency(Duration::from_millis(30));
    let crashed = finish(
        &pg,
        spawn(
            &pg,
            a.path(),
            APPLY,
            &[("RECKON_TEST_CRASH_AFTER_WRITES", "1")],
        ),
    );
    assert_ne!(crashed.code, 0, "aborted: {}", crashed.stdout);
    sim.wait_idle();
    assert_eq!(journal_records(&pg, "intent"), 4);
    assert_eq!(journal_records(&pg, "outcome"), 0);

    // Runner B, a fresh clone, learns of the unknown outcomes from the database.
    let plan = run(&pg, b.path(), &["plan", "--period", "2026-10"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert_eq!(
        plan.stdout
            .matches("apply interrupted: outcome unknown")
            .count(),
        4,
        "{}",
        plan.stdout
    );
    let status = run(&pg, b.path(), &["status"]);
    assert!(
        status
            .stdout
            .contains("Unknown outcomes (apply interrupted"),
        "{}",
        status.stdout
    );
    // No unlock: the killed runner's lock went with its connection.
    wait_until_unlocked(&pg);
    let reapply = run(&pg, b.path(), APPLY);
    assert_eq!(reapply.code, 0, "{}\n{}", reapply.stdout, reapply.stderr);
    assert_eq!(journal_records(&pg, "resolved"), 4);
    assert_converged(&sim);
    let again = run(
        &pg,
        a.path(),
        &["plan", "--period", "2026-10", "--detailed-exitcode"],
    );
    assert_eq!(
        again.code, 0,
        "converged for runner A too:\n{}",
        again.stdout
    );
}

#[test]
fn the_database_stopped_mid_apply_leaves_no_write_without_a_committed_intent() {
    let pg = PgServer::start();
    let sim = Sim::start();
    let (a, b) = two_runners(&sim);
    sim.set_latency(Duration::from_millis(400));
    let child = spawn(&pg, a.path(), APPLY, &[]);
    // Writes are under way (their intents committed): the database goes away.
    let deadline = Instant::now() + Duration::from_secs(120);
    while sim.in_flight("ContractServiceAdjustments") == 0 {
        assert!(Instant::now() < deadline, "the apply never wrote");
        std::thread::sleep(Duration::from_millis(5));
    }
    pg.stop();
    let cut = finish(&pg, child);
    // The writes under way finished; the run names those whose outcome it could not record.
    assert!(
        cut.stdout
            .contains("the outcome of these writes is not recorded")
            || cut.stdout.contains("cannot record the outcome"),
        "the run says which outcomes are unknown:\n{}\n{}",
        cut.stdout,
        cut.stderr
    );
    sim.wait_idle();
    sim.set_latency(Duration::ZERO);
    pg.restart();

    // Every adjustment the PSA holds had its intent committed first.
    let intents = pg.query("SELECT record->>'line' FROM reckon.journal WHERE kind = 'intent'");
    let mut intended: Vec<i64> = intents.iter().map(|l| l.parse().expect("line")).collect();
    intended.sort_unstable();
    for line in adjusted_lines(&sim) {
        assert!(
            intended.contains(&line),
            "line {line} written without an intent"
        );
    }
    // The other runner resolves what the cut-off run could not record, and converges.
    let apply = run(&pg, b.path(), APPLY);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert_converged(&sim);
}

#[test]
fn migrations_run_once_from_an_empty_database_and_a_newer_schema_is_refused() {
    let pg = PgServer::start();
    let sim = Sim::start();
    let (a, _b) = two_runners(&sim);
    for _ in 0..2 {
        let status = run(&pg, a.path(), &["status"]);
        assert_eq!(status.code, 0, "{}\n{}", status.stdout, status.stderr);
        assert!(
            status.stdout.contains("keeper: never applied"),
            "{}",
            status.stdout
        );
    }
    assert_eq!(
        pg.query("SELECT version FROM reckon.schema_migrations ORDER BY version"),
        ["1"]
    );
    assert_eq!(
        count(
            &pg,
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'reckon'"
        ),
        3,
        "schema_migrations, journal, lock_holders"
    );
    // A role that may only read (a pull request's plan) plans from the shared history, and
    // cannot take the lock.
    pg.query(
        "CREATE ROLE reader LOGIN PASSWORD 'rEader-pw-9931'; \
         GRANT USAGE ON SCHEMA reckon TO reader; \
         GRANT SELECT ON ALL TABLES IN SCHEMA reckon TO reader",
    );
    let reader = format!(
        "postgres://reader:rEader-pw-9931@127.0.0.1:{}/postgres",
        pg.port()
    );
    let env: Vec<(&str, &str)> = ENV
        .iter()
        .copied()
        .chain([("RECKON_STATE_URL", reader.as_str())])
        .collect();
    let plan = reckon_with_env(a.path(), &["plan", "--period", "2026-10"], &env);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    let apply = reckon_with_env(a.path(), APPLY, &env);
    assert_ne!(apply.code, 0, "{}", apply.stdout);
    assert!(
        apply.stderr.contains("cannot take the apply lock"),
        "{}",
        apply.stderr
    );
    for run in [&plan, &apply] {
        assert!(!run.stdout.contains("rEader-pw") && !run.stderr.contains("rEader-pw"));
    }
    assert!(sim.adjustments().is_empty());

    pg.query("INSERT INTO reckon.schema_migrations (version) VALUES (99)");
    let refused = run(&pg, a.path(), &["plan", "--period", "2026-10"]);
    assert_ne!(refused.code, 0);
    assert!(
        refused
            .stderr
            .contains("version 99, newer than this reckon knows"),
        "{}",
        refused.stderr
    );
}

#[test]
fn the_password_is_never_printed_even_when_the_database_refuses_or_is_gone() {
    let pg = PgServer::start();
    let sim = Sim::start();
    let (a, _b) = two_runners(&sim);
    let yaml = a.path().join("reckon.yaml");
    let text = std::fs::read_to_string(&yaml).expect("yaml");
    // A wrong password: authentication fails, and neither password is printed.
    let wrong = pg.url().replace(PASSWORD, "wr0ng-pw-1234");
    let env: Vec<(String, String)> = env(&pg)
        .into_iter()
        .map(|(k, v)| {
            if k == "RECKON_STATE_URL" {
                (k, wrong.clone())
            } else {
                (k, v)
            }
        })
        .collect();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let denied = reckon_with_env(a.path(), &["status"], &env);
    assert_ne!(denied.code, 0);
    let output = format!("{}\n{}", denied.stdout, denied.stderr);
    assert!(output.contains("cannot use the shared state"), "{output}");
    assert!(
        !output.contains("wr0ng-pw-1234") && !output.contains(&wrong),
        "{output}"
    );
    assert_no_secret("a refused login", &output, &pg);

    // The server gone: the error says so, without the URL.
    pg.stop();
    let gone = run(&pg, a.path(), APPLY);
    assert_ne!(gone.code, 0);
    assert!(
        gone.stderr.contains("cannot connect to 127.0.0.1:"),
        "{}",
        gone.stderr
    );
    assert!(sim.adjustments().is_empty());

    // A literal URL in reckon.yaml is refused without echoing it.
    let literal = text.replace(
        "url: { env: RECKON_STATE_URL }",
        &format!("url: \"{}\"", pg.url()),
    );
    std::fs::write(&yaml, literal).expect("yaml");
    let invalid = run(&pg, a.path(), &["validate"]);
    assert_ne!(invalid.code, 0);
    assert!(
        invalid
            .stdout
            .contains("state.url is written as a literal string")
            || invalid
                .stderr
                .contains("state.url is written as a literal string"),
        "{}\n{}",
        invalid.stdout,
        invalid.stderr
    );
}

#[test]
fn once_the_database_is_gone_no_intent_is_acknowledged_so_no_further_write_starts() {
    use reckon::state::journal::{Intent, Record, Sink};
    let pg = PgServer::start();
    let sim = Sim::start();
    let (a, _b) = two_runners(&sim);
    let workspace = reckon::config::load(a.path()).expect("valid").workspace;
    let url = reckon::secret::Secret::new(pg.url());
    let intent = |seq: u32| {
        Record::Intent(Box::new(Intent {
            apply: "run".into(),
            seq,
            time: "2026-11-02T09:00:00Z".into(),
            user: "ann".into(),
            host: "ci".into(),
            commit: None,
            ci: None,
            integration: "keeper".into(),
            address: format!("keeper/a/{seq}"),
            action: reckon::plan::ActionKind::Update,
            contract: "C-1".into(),
            line: Some(format!("{seq}")),
            service: "S".into(),
            before: Some(8.into()),
            after: 10.into(),
            effective_date: effective(),
            period: "2026-10".parse().expect("period"),
        }))
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let target = reckon::state::postgres::Target::new(Some(&url)).expect("target");
        let tenant = reckon::state::store::tenant(&workspace.psa);
        let session = reckon::state::postgres::Postgres::open(target, "reckon", tenant)
            .await
            .expect("open")
            .lock("apply", Duration::ZERO)
            .await
            .expect("lock");
        let writer = session.writer();
        let first = writer.push(&intent(1)).expect("push");
        writer
            .durable(first)
            .await
            .expect("committed while the server is up");
        pg.stop();
        let second = writer.push(&intent(2)).expect("handed over");
        let error = writer.durable(second).await.expect_err("not acknowledged");
        assert!(
            error.to_string().contains("cannot write the apply journal"),
            "{error}"
        );
        assert_no_secret("a journal error", &error.to_string(), &pg);
        // Broken for good: even with the server back, this run acknowledges no intent.
        pg.restart();
        assert!(writer.push(&intent(3)).is_err());
    });
    assert_eq!(
        pg.query("SELECT record->>'seq' FROM reckon.journal WHERE kind = 'intent'"),
        ["1"],
        "only the acknowledged intent is in the journal"
    );
}
