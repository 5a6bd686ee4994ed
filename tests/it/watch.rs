//! `reckon watch` as a real process on a temp copy of examples/quickstart: a mapping edit shows
//! as a new plan within 2 s, an invalid file is reported without a crash, the fix brings the
//! plan back, saving approvals.yaml re-plans, and SIGTERM stops it with exit code 0. Output is
//! read line by line with deadlines; nothing sleeps and hopes.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use crate::support::copy_of;

/// Generous bound for things that should take milliseconds (a loaded CI machine).
const SLOW: Duration = Duration::from_secs(30);
/// The bound the issue sets for a file change to show as a new plan.
const CHANGE_SHOWS_WITHIN: Duration = Duration::from_secs(2);

struct Watcher {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Watcher {
    fn start(dir: &Path, extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_reckon"))
            .args(["watch", "--period", "2026-10"])
            .args(extra)
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("reckon watch starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Reads output until a line contains `needle`; panics with everything seen after `within`.
    fn expect_line(&mut self, needle: &str, within: Duration) -> Duration {
        let started = Instant::now();
        loop {
            let left = within.saturating_sub(started.elapsed());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(needle);
                    self.seen.push(line);
                    if found {
                        return started.elapsed();
                    }
                }
                Err(RecvTimeoutError::Timeout) => panic!(
                    "no line with {needle:?} within {within:?}; output so far:\n{}",
                    self.seen.join("\n")
                ),
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "reckon watch ended before printing {needle:?}; output:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    fn terminate(&mut self) -> i32 {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code().unwrap_or(-1);
            }
            assert!(
                started.elapsed() < SLOW,
                "reckon watch did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const KEEPER: &str = "integrations/keeper.yaml";

fn run_scenario(extra: &[&str]) {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let keeper = dir.join(KEEPER);
    let original = std::fs::read_to_string(&keeper).expect("keeper.yaml");
    let psa_before = std::fs::read(dir.join("sandbox/psa.yaml")).expect("psa");
    let mut watch = Watcher::start(dir, extra);
    watch.expect_line("plan (start)", SLOW);
    watch.expect_line(
        "Plan: 0 to create, 4 to update, 1 unchanged. 4 warnings.",
        SLOW,
    );

    // Map Evergreen Clinic (5120) to Fjord Consulting: a fifth update appears.
    let mapped = original.replace(
        "      contract: \"C-1003\"\n",
        "      contract: \"C-1003\"\n    - vendor: \"5120\"\n      psa: \"29683369\"\n",
    );
    assert_ne!(mapped, original);
    std::fs::write(&keeper, &mapped).expect("edit");
    watch.expect_line(
        "plan changed (integrations/keeper.yaml changed):",
        CHANGE_SHOWS_WITHIN,
    );
    watch.expect_line("+  ~ update keeper/Evergreen Clinic/Business Plus", SLOW);
    watch.expect_line(
        "+Plan: 0 to create, 5 to update, 1 unchanged. 2 warnings.",
        SLOW,
    );

    // A broken save: reported with file and line, and the process carries on.
    std::fs::write(&keeper, "vendor: keeper\naccounts: [\n").expect("break");
    watch.expect_line("the workspace or its usage data is invalid", SLOW);
    watch.expect_line("integrations/keeper.yaml:", SLOW);
    assert!(watch.alive(), "an invalid file must not stop watch");

    // Fixed again: the whole plan is shown.
    std::fs::write(&keeper, &mapped).expect("fix");
    watch.expect_line("plan (integrations/keeper.yaml changed)", SLOW);
    watch.expect_line(
        "Plan: 0 to create, 5 to update, 1 unchanged. 2 warnings.",
        SLOW,
    );

    // Plans depend on approvals.yaml: saving one is a change like any other.
    std::fs::write(dir.join("approvals.yaml"), "approvals: []\n").expect("approvals");
    watch.expect_line("(approvals.yaml changed)", CHANGE_SHOWS_WITHIN);

    // New usage arriving: Evergreen Clinic starts using 1TB storage on the last day.
    let usage = dir.join("usage/keeper-2026-10.csv");
    let mut csv = std::fs::read_to_string(&usage).expect("usage");
    csv.push_str("2026-10-31,5120,Evergreen Clinic,1TB,31\n");
    std::fs::write(&usage, csv).expect("usage");
    watch.expect_line(
        "plan changed (usage/keeper-2026-10.csv changed):",
        CHANGE_SHOWS_WITHIN,
    );

    assert_eq!(watch.terminate(), 0, "SIGTERM is a clean stop");
    watch.expect_line("stopped.", SLOW);
    let psa_after = std::fs::read(dir.join("sandbox/psa.yaml")).expect("psa");
    assert_eq!(psa_before, psa_after, "watch without --apply never writes");
}

#[test]
fn watch_replans_on_edits_survives_invalid_files_and_stops_on_sigterm() {
    run_scenario(&[]);
}

#[test]
fn poll_mode_sees_the_same_edits() {
    run_scenario(&["--poll"]);
}

#[test]
fn json_events_are_one_object_per_line() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let mut watch = Watcher::start(dir, &["--format", "json"]);
    watch.expect_line("\"event\":\"plan\"", SLOW);
    std::fs::write(dir.join(KEEPER), "accounts: [\n").expect("break");
    watch.expect_line("\"event\":\"invalid\"", SLOW);
    assert_eq!(watch.terminate(), 0);
    watch.expect_line("\"event\":\"stopped\"", SLOW);
    for line in &watch.seen {
        let event: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
        assert!(event["time"].is_string(), "{line}");
        assert!(
            line.starts_with("{\"event\":\""),
            "the kind comes first: {line}"
        );
    }
    let plan: serde_json::Value = serde_json::from_str(&watch.seen[0]).expect("plan");
    assert_eq!(plan["has_changes"], true);
    assert_eq!(plan["changes"].as_array().map(Vec::len), Some(4));
    assert_eq!(plan["changes"][0]["quantity"], "10");
}
