//! The loop driven by hand: triggers sent one at a time, output read as JSON lines, a fixed
//! clock, shutdown through a oneshot. No file watcher, no timer, no signals.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::TimeZone;
use serde_json::Value;
use tokio::sync::oneshot;

use super::*;
use crate::render::Style;
use crate::render::watch::{Format, Reporter};

/// A writer the test can read while the loop writes.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().expect("lock").clone()).expect("utf-8")
    }

    fn events(&self) -> Vec<Value> {
        let bytes = self.0.lock().expect("lock").clone();
        String::from_utf8(bytes)
            .expect("utf-8")
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
            .collect()
    }

    /// Waits (bounded) until at least `n` events were written.
    async fn wait_for(&self, n: usize) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let events = self.events();
            if events.len() >= n || tokio::time::Instant::now() > deadline {
                return events;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy(Path::new("examples/quickstart"), dir.path());
    dir
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn fixed_time() -> DateTime<Local> {
    Local
        .with_ymd_and_hms(2026, 11, 2, 9, 0, 0)
        .single()
        .expect("an unambiguous local time")
}

fn watch(dir: &Path, apply: bool, out: &Shared) -> Watch<Reporter<Shared>> {
    watch_as(dir, apply, out, Format::Json)
}

fn watch_as(dir: &Path, apply: bool, out: &Shared, format: Format) -> Watch<Reporter<Shared>> {
    let settings = Settings {
        dir: dir.to_path_buf(),
        period: Some("2026-10".parse().expect("period")),
        integrations: Vec::new(),
        apply,
        lock_timeout: Duration::ZERO,
    };
    let clock: Clock = Box::new(fixed_time);
    Watch::new(
        settings,
        clock,
        Reporter::new(out.clone(), format, Style::default()),
    )
}

fn shutdown() -> (oneshot::Sender<()>, impl Future<Output = ()>) {
    let (tx, rx) = oneshot::channel::<()>();
    (tx, async move {
        let _ = rx.await;
    })
}

const KEEPER: &str = "integrations/keeper.yaml";

fn edit(dir: &Path, from: &str, to: &str) {
    let path = dir.join(KEEPER);
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains(from), "{from}");
    std::fs::write(&path, text.replace(from, to)).expect("write");
}

fn files() -> Trigger {
    Trigger::Files(vec![PathBuf::from(KEEPER)])
}

#[tokio::test]
async fn plans_diffs_survives_an_invalid_file_and_stops_cleanly() {
    let ws = workspace();
    let dir = ws.path();
    let psa_before = std::fs::read(dir.join("sandbox/psa.yaml")).expect("psa");
    let out = Shared::default();
    let (tx, rx) = mpsc::channel(8);
    let (stop, stopped) = shutdown();
    let driver = async {
        tx.send(Trigger::Start).await.expect("send");
        let events = out.wait_for(1).await;
        assert_eq!(events[0]["event"], "plan");
        assert_eq!(events[0]["trigger"], "start");
        assert_eq!(events[0]["summary"]["update"], 4);
        let expected_time = fixed_time()
            .with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        assert_eq!(events[0]["time"], expected_time.as_str());

        tx.send(Trigger::Timer).await.expect("send");
        let events = out.wait_for(2).await;
        assert_eq!(events[1]["trigger"], "timer");
        assert_eq!(events[1]["changed_since_last"], false);

        edit(
            dir,
            "    - vendor: \"3862\"",
            "    - vendor: \"5120\"\n      psa: \"29683369\"\n    - vendor: \"3862\"",
        );
        tx.send(files()).await.expect("send");
        let events = out.wait_for(3).await;
        assert_eq!(events[2]["changed_since_last"], true);
        assert_eq!(events[2]["summary"]["update"], 5);
        assert_eq!(events[2]["files"][0], KEEPER);

        std::fs::write(dir.join(KEEPER), "vendor: keeper\naccounts: [\n").expect("half-saved");
        tx.send(files()).await.expect("send");
        let events = out.wait_for(4).await;
        assert_eq!(events[3]["event"], "invalid");
        let error = &events[3]["errors"][0];
        assert!(
            error["file"].as_str().expect("file").ends_with(KEEPER),
            "{error}"
        );
        assert!(error["line"].as_u64().is_some(), "{error}");

        stop.send(()).expect("stop");
    };
    let (result, ()) = tokio::join!(watch(dir, false, &out).run(rx, stopped), driver);
    result.expect("the loop ends without error");
    let events = out.events();
    assert_eq!(events.last().expect("events")["event"], "stopped");
    assert_eq!(events.len(), 5, "{events:#?}");
    let psa_after = std::fs::read(dir.join("sandbox/psa.yaml")).expect("psa");
    assert_eq!(psa_before, psa_after, "without --apply, watch never writes");
}

#[tokio::test]
async fn queued_triggers_collapse_into_one_cycle() {
    let ws = workspace();
    let out = Shared::default();
    let (tx, rx) = mpsc::channel(8);
    for trigger in [Trigger::Start, Trigger::Timer, files(), Trigger::Timer] {
        tx.send(trigger).await.expect("send");
    }
    drop(tx);
    let (_stop, stopped) = shutdown();
    watch(ws.path(), false, &out)
        .run(rx, stopped)
        .await
        .expect("ends when the triggers end");
    let events = out.events();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["plan", "stopped"]);
    assert_eq!(events[0]["trigger"], "files");
}

#[tokio::test]
async fn apply_writes_each_plan_with_changes_then_settles() {
    let ws = workspace();
    let dir = ws.path();
    let out = Shared::default();
    let (tx, rx) = mpsc::channel(8);
    let (stop, stopped) = shutdown();
    let driver = async {
        tx.send(Trigger::Start).await.expect("send");
        let events = out.wait_for(2).await;
        assert_eq!(events[0]["event"], "plan");
        assert_eq!(events[1]["event"], "applied");
        assert_eq!(events[1]["applied"], 4);
        assert_eq!(events[1]["failed"], 0);

        tx.send(Trigger::Timer).await.expect("send");
        let events = out.wait_for(3).await;
        assert_eq!(events[2]["event"], "plan");
        assert_eq!(events[2]["has_changes"], false);
        stop.send(()).expect("stop");
    };
    let (result, ()) = tokio::join!(watch(dir, true, &out).run(rx, stopped), driver);
    result.expect("loop");
    let kinds: Vec<String> = out
        .events()
        .iter()
        .map(|e| e["event"].as_str().expect("kind").to_owned())
        .collect();
    // No second apply: the settled plan has nothing to write.
    assert_eq!(kinds, ["plan", "applied", "plan", "stopped"]);
    let psa = std::fs::read_to_string(dir.join("sandbox/psa.yaml")).expect("psa");
    assert!(psa.contains("effective_date: \"2026-11-01\""), "{psa}");
}

/// Runs one `--apply` cycle in `dir` (started, then the triggers end); returns its events.
async fn one_apply_cycle(dir: &Path) -> Vec<Value> {
    let out = Shared::default();
    let (tx, rx) = mpsc::channel(8);
    tx.send(Trigger::Start).await.expect("send");
    drop(tx);
    let (_stop, stopped) = shutdown();
    watch(dir, true, &out).run(rx, stopped).await.expect("loop");
    out.events()
}

/// Runs one `--apply` cycle in which `save` edits the workspace while planning (after it was
/// loaded); returns the events' kinds, and checks that nothing was written.
async fn apply_with_a_save_while_planning(save: impl Fn(&Path) + Send + 'static) -> Vec<String> {
    let ws = workspace();
    let dir = ws.path().to_path_buf();
    let psa_before = std::fs::read(dir.join("sandbox/psa.yaml")).expect("psa");
    let out = Shared::default();
    let (tx, rx) = mpsc::channel(8);
    tx.send(Trigger::Start).await.expect("send");
    drop(tx);
    let (_stop, stopped) = shutdown();
    let saving = dir.clone();
    watch(&dir, true, &out)
        .on_inputs(move |_| save(&saving))
        .run(rx, stopped)
        .await
        .expect("loop");
    let psa_after = std::fs::read(dir.join("sandbox/psa.yaml")).expect("psa");
    assert_eq!(psa_before, psa_after);
    out.events()
        .iter()
        .map(|e| e["event"].as_str().expect("kind").to_owned())
        .collect()
}

#[tokio::test]
async fn a_file_saved_while_planning_is_never_applied() {
    let kinds = apply_with_a_save_while_planning(|dir| {
        let path = dir.join(KEEPER);
        let text = std::fs::read_to_string(&path).expect("read");
        std::fs::write(&path, format!("{text}# still typing\n")).expect("write");
    })
    .await;
    assert_eq!(kinds, ["plan", "apply-skipped", "stopped"]);
}

#[tokio::test]
async fn an_approvals_file_saved_while_planning_is_never_applied() {
    // Plans depend on approvals.yaml as much as on the mappings.
    let kinds = apply_with_a_save_while_planning(|dir| {
        std::fs::write(dir.join("approvals.yaml"), "approvals: []\n").expect("write");
    })
    .await;
    assert_eq!(kinds, ["plan", "apply-skipped", "stopped"]);
}

#[tokio::test]
async fn apply_waits_its_turn_when_another_apply_holds_the_lock() {
    let ws = workspace();
    let dir = ws.path();
    let state_dir = crate::state::dir(dir).expect("state dir");
    let other = crate::state::lock::Lock::try_acquire(&state_dir, "apply").expect("lock");
    let psa_before = std::fs::read(dir.join("sandbox/psa.yaml")).expect("psa");
    let events = one_apply_cycle(dir).await;
    assert_eq!(events[1]["event"], "apply-skipped", "{events:#?}");
    let reason = events[1]["reason"].as_str().expect("reason");
    assert!(reason.contains(&other.info().id), "{reason}");
    let psa_after = std::fs::read(dir.join("sandbox/psa.yaml")).expect("psa");
    assert_eq!(psa_before, psa_after);
}

#[tokio::test]
async fn shutdown_before_any_trigger_stops_without_planning() {
    let ws = workspace();
    let out = Shared::default();
    let (_tx, rx) = mpsc::channel::<Trigger>(1);
    watch(ws.path(), false, &out)
        .run(rx, async {})
        .await
        .expect("loop");
    let events = out.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["event"], "stopped");
}

#[test]
fn files_win_over_timers_when_triggers_merge() {
    let a = Trigger::Files(vec![PathBuf::from("a")]);
    let b = Trigger::Files(vec![PathBuf::from("b"), PathBuf::from("a")]);
    assert_eq!(
        Trigger::Timer.merge(a.clone()).merge(b),
        Trigger::Files(vec![PathBuf::from("a"), PathBuf::from("b")])
    );
    assert_eq!(Trigger::Start.merge(Trigger::Timer), Trigger::Start);
    assert_eq!(Trigger::Timer.merge(Trigger::Timer), Trigger::Timer);
}

#[tokio::test]
async fn the_text_form_shows_the_plan_then_only_its_changes() {
    let ws = workspace();
    let dir = ws.path();
    let out = Shared::default();
    let (tx, rx) = mpsc::channel(8);
    let (stop, stopped) = shutdown();
    let blocks = |text: &str| text.matches("\n[").count() + usize::from(text.starts_with('['));
    let driver = async {
        let wait = |n: usize| {
            let out = out.clone();
            async move {
                let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
                while blocks(&out.text()) < n && tokio::time::Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        };
        tx.send(Trigger::Start).await.expect("send");
        wait(1).await;
        tx.send(Trigger::Timer).await.expect("send");
        wait(2).await;
        edit(
            dir,
            "    - vendor: \"3862\"",
            "    - vendor: \"5120\"\n      psa: \"29683369\"\n    - vendor: \"3862\"",
        );
        tx.send(files()).await.expect("send");
        wait(3).await;
        std::fs::write(dir.join(KEEPER), "vendor: keeper\naccounts: [\n").expect("half-saved");
        tx.send(files()).await.expect("send");
        wait(4).await;
        stop.send(()).expect("stop");
    };
    let (result, ()) = tokio::join!(
        watch_as(dir, false, &out, Format::Text).run(rx, stopped),
        driver
    );
    result.expect("loop");
    let shown_dir = format!("{}/", dir.display());
    insta::assert_snapshot!("watch_text", out.text().replace(&shown_dir, "[WS]/"));
}

#[tokio::test(start_paused = true)]
async fn a_failed_cycle_is_retried_after_a_backoff_that_doubles() {
    let ws = workspace();
    let dir = ws.path();
    let psa_file = dir.join("sandbox/psa.yaml");
    let hidden = dir.join("sandbox/psa.yaml.away");
    std::fs::rename(&psa_file, &hidden).expect("hide the PSA");
    let out = Shared::default();
    // The sender stays open: only the retry timer can start the next cycles.
    let (tx, rx) = mpsc::channel(8);
    let (stop, stopped) = shutdown();
    let driver = async {
        let started = tokio::time::Instant::now();
        tx.send(Trigger::Start).await.expect("send");
        let events = out.wait_for(1).await;
        assert_eq!(events[0]["event"], "error", "{events:#?}");
        assert_eq!(events[0]["retry_in_seconds"], 5);

        let events = out.wait_for(2).await;
        assert_eq!(events[1]["event"], "error", "{events:#?}");
        assert_eq!(events[1]["trigger"], "retry");
        assert_eq!(events[1]["retry_in_seconds"], 10);
        assert!(
            started.elapsed() >= backoff::FIRST,
            "{:?}",
            started.elapsed()
        );

        std::fs::rename(&hidden, &psa_file).expect("the PSA is back");
        let events = out.wait_for(3).await;
        assert_eq!(events[2]["event"], "plan", "{events:#?}");
        assert_eq!(events[2]["trigger"], "retry");
        assert!(
            started.elapsed() >= backoff::FIRST * 3,
            "waited 5 s, then 10 s: {:?}",
            started.elapsed()
        );
        // A good cycle ends the retries: nothing runs until a trigger comes.
        tokio::time::sleep(backoff::MAX * 2).await;
        assert_eq!(out.events().len(), 3, "{:#?}", out.events());
        stop.send(()).expect("stop");
    };
    let (result, ()) = tokio::join!(watch(dir, false, &out).run(rx, stopped), driver);
    result.expect("loop");
    assert_eq!(out.events().last().expect("events")["event"], "stopped");
}

#[tokio::test]
async fn apply_closes_an_interrupted_write_as_reckon_apply_does_then_applies() {
    let ws = workspace();
    let dir = ws.path();
    let state_dir = crate::state::dir(dir).expect("state dir");
    let mut writer = crate::state::journal::Writer::open(&state_dir).expect("journal");
    writer
        .append(&interrupted_intent())
        .expect("an intent without outcome");
    drop(writer);
    let events = one_apply_cycle(dir).await;
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().expect("kind"))
        .collect();
    assert_eq!(
        kinds,
        ["plan", "recovered", "applied", "stopped"],
        "{events:#?}"
    );
    assert_eq!(events[1]["writes"][0]["address"], "keeper/gone");
    assert_eq!(events[2]["applied"], 4);
    let records = crate::state::journal::read(&state_dir).expect("journal");
    assert!(
        crate::state::journal::unknown_outcomes(&records).is_empty(),
        "the interrupted write is closed"
    );
}

/// An intent an apply recorded before it was killed, for a line that no longer exists.
fn interrupted_intent() -> crate::state::journal::Record {
    crate::state::journal::Record::Intent(Box::new(crate::state::journal::Intent {
        apply: "killed".into(),
        seq: 1,
        time: "2026-11-01T08:00:00Z".into(),
        user: "ann".into(),
        host: "ci".into(),
        ci: None,
        commit: None,
        integration: "keeper".into(),
        address: "keeper/gone".into(),
        action: crate::plan::ActionKind::Update,
        contract: "C-0".into(),
        line: Some("C-0-1".into()),
        service: "S".into(),
        before: Some(rust_decimal::Decimal::from(3)),
        after: rust_decimal::Decimal::from(5),
        effective_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).expect("date"),
        period: "2026-10".parse().expect("period"),
    }))
}

#[tokio::test]
async fn a_plan_made_before_an_apply_was_interrupted_is_refused_not_applied() {
    let ws = workspace();
    let dir = ws.path();
    let psa_before = std::fs::read(dir.join("sandbox/psa.yaml")).expect("psa");
    let workspace = config::load(dir).expect("valid").workspace;
    let period = "2026-10".parse().expect("period");
    let (plan, psa) = plan_once(&workspace, period, &[], fixed_time().date_naive())
        .await
        .expect("plan");
    assert!(plan.interrupted.is_empty() && plan.has_changes());
    // Another apply is killed mid-write after this plan was made.
    let state_dir = crate::state::dir(dir).expect("state dir");
    let mut writer = crate::state::journal::Writer::open(&state_dir).expect("journal");
    writer.append(&interrupted_intent()).expect("intent");
    drop(writer);
    let policy = Policy {
        lock_command: LOCK_COMMAND.into(),
        lock_timeout: Duration::ZERO,
        allow_empty: false,
        allow_partial: false,
    };
    let mut recovered = Recovered::default();
    let source = Source::Planned(Box::new(plan));
    let result = ops_apply::apply(&workspace, &psa, source, &policy, &mut recovered).await;
    assert!(
        matches!(
            result,
            Err(Stopped::Refused(Refusal::Interrupted { unknown: 1 }))
        ),
        "{result:?}"
    );
    assert_eq!(recovered.0.len(), 1, "the write was still closed");
    let psa_after = std::fs::read(dir.join("sandbox/psa.yaml")).expect("psa");
    assert_eq!(psa_before, psa_after);
}
