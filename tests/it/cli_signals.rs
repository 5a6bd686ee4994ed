//! Signals at `reckon apply`'s prompt release the lock and exit 130; a lock whose holder is gone
//! is refused with `reckon unlock ID` as the hint. The prompt needs a terminal: the run gets a
//! pty from util-linux `script` (installed on Debian by default, `bsdutils`).

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::support::{copy_of, reckon};

/// `reckon -C DIR apply --period 2026-10` on a pty; `script -e` exits with reckon's code.
///
/// The shell `script` starts is replaced by reckon (`exec`): a ^C typed at the pty reaches the
/// whole foreground group, and a non-interactive dash would die of it before it could report
/// anything (bash waits for its child; CI runners have dash as `/bin/sh`, so `SHELL` is pinned).
fn apply_on_a_pty(dir: &Path) -> Child {
    let reckon = env!("CARGO_BIN_EXE_reckon");
    let line = format!(
        "exec '{reckon}' -C '{}' apply --period 2026-10",
        dir.display()
    );
    Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env("SHELL", "/bin/sh")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("script (util-linux) runs")
}

/// Reads `child`'s output until `marker` has appeared; returns what was read.
fn read_until(child: &mut Child, marker: &str) -> String {
    let out = child.stdout.as_mut().expect("stdout");
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains(marker) {
        let n = out.read(&mut buf).expect("read");
        assert!(
            n > 0,
            "ended before {marker:?}: {}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&seen).into_owned()
}

/// The rest of `child`'s output and its exit code.
fn rest(mut child: Child) -> (String, Option<i32>) {
    let mut text = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut text)
        .expect("read");
    let status = child.wait().expect("wait");
    (text, status.code())
}

const PROMPT: &str = "Only 'yes' will be accepted:";

#[test]
fn ctrl_c_at_the_prompt_releases_the_lock_and_exits_130() {
    let ws = copy_of("examples/quickstart");
    let sandbox = std::fs::read_to_string(ws.path().join("sandbox/psa.yaml")).expect("sandbox");
    let mut child = apply_on_a_pty(ws.path());
    read_until(&mut child, PROMPT);
    assert!(
        ws.path().join(".reckon/lock").exists(),
        "locked at the prompt"
    );
    // ^C typed at the terminal: the pty's line discipline sends SIGINT.
    child
        .stdin
        .as_mut()
        .expect("stdin")
        .write_all(b"\x03")
        .expect("write");
    let (output, code) = rest(child);
    assert_eq!(code, Some(130), "{output}");
    assert!(
        output.contains("interrupted: nothing was written; the lock is released"),
        "{output}"
    );
    assert!(!ws.path().join(".reckon/lock").exists(), "lock released");
    let after = std::fs::read_to_string(ws.path().join("sandbox/psa.yaml")).expect("sandbox");
    assert_eq!(after, sandbox, "nothing written");
    let again = reckon(
        ws.path(),
        &["apply", "--period", "2026-10", "--auto-approve"],
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
}

#[test]
fn sigterm_at_the_prompt_releases_the_lock_and_exits_130() {
    let ws = copy_of("examples/quickstart");
    let mut child = apply_on_a_pty(ws.path());
    read_until(&mut child, PROMPT);
    let lock: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(ws.path().join(".reckon/lock")).expect("lock"),
    )
    .expect("lock json");
    let pid = lock["pid"].as_u64().expect("pid").to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let (output, code) = rest(child);
    assert_eq!(code, Some(130), "{output}");
    assert!(!ws.path().join(".reckon/lock").exists(), "lock released");
}

#[test]
fn a_lock_whose_holder_is_gone_is_refused_with_the_unlock_command() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    // A process that has exited: its pid is free (and not reused while we hold the handle).
    let mut gone = Command::new("true").spawn().expect("true");
    let pid = gone.id();
    gone.wait().expect("wait");
    let host = "testhost"; // the identity `support::reckon` runs with (HOSTNAME)
    std::fs::create_dir_all(dir.join(".reckon")).expect("mkdir");
    let lock = serde_json::json!({
        "id": "dead-1", "user": "ann", "host": host, "pid": pid,
        "time": "2026-11-02T09:00:00Z", "command": "apply"
    });
    std::fs::write(dir.join(".reckon/lock"), lock.to_string()).expect("lock");
    let apply = reckon(dir, &["apply", "--period", "2026-10", "--auto-approve"]);
    assert_eq!(apply.code, 1);
    assert!(
        apply.stderr.contains("that process is no longer running"),
        "{}",
        apply.stderr
    );
    assert!(
        apply.stderr.contains("hint: `reckon unlock dead-1`"),
        "{}",
        apply.stderr
    );
    assert!(
        !apply.stderr.contains("wait for it to finish"),
        "{}",
        apply.stderr
    );
}

/// A signal while writes are in flight: those finish, the rest are recorded as not attempted
/// (output and journal), the lock is released, the run exits 130. Deterministic: the Autotask
/// simulator holds every write at a gate, the signal is sent once as many writes as Autotask
/// runs at once (3) are held, and the gate opens only once reckon has said it stops.
fn a_signal_during_writes(signal: &str) {
    use crate::autotask::{ENV, keeper_autotask};
    use crate::sim::autotask::{Fault, Sim};
    use crate::sim::gate::Gate;
    use crate::support::{command, journal, records};
    use std::io::BufRead;
    use std::time::Duration;

    let sim = Sim::start();
    let ws = keeper_autotask(&sim);
    let dir = ws.path();
    let gate = Gate::new();
    for _ in 0..4 {
        sim.inject("ContractServiceAdjustments", Fault::Hold(gate.clone()));
    }
    let mut run = command(dir);
    run.args(["apply", "--period", "2026-10", "--auto-approve"])
        .envs(ENV.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = run.spawn().expect("reckon runs");
    let stdout = child.stdout.take().expect("stdout");
    let output = std::thread::spawn(move || std::io::read_to_string(stdout).expect("stdout"));
    let mut stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));

    // The plan's 4 writes, 3 at once: 3 in flight, held.
    gate.wait_arrived(3, Duration::from_secs(60));
    assert!(dir.join(".reckon/lock").exists(), "locked while writing");
    let sent = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let mut said = String::new();
    while !said.contains("interrupted: finishing the writes in flight") {
        let mut line = String::new();
        let n = stderr.read_line(&mut line).expect("stderr");
        assert!(n > 0, "ended before saying it stops: {said}");
        said.push_str(&line);
    }
    gate.open();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).expect("stderr");
    let code = child.wait().expect("wait").code();
    let out = output.join().expect("stdout thread");
    assert_eq!(code, Some(130), "{out}\n{said}{rest}");

    // The 3 in flight finished; the 4th never reached the PSA.
    assert_eq!(sim.adjustments().len(), 3, "{out}");
    let stopped: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("  not attempted "))
        .collect();
    assert_eq!(stopped.len(), 1, "{out}");
    assert!(
        out.contains("reckon was interrupted before this write")
            && out.contains("Apply stopped: 3 applied, 1 not attempted. Run apply again"),
        "{out}"
    );
    let journal = journal(dir);
    let outcomes: Vec<&str> = records(&journal, "outcome")
        .iter()
        .map(|r| r["outcome"].as_str().expect("outcome"))
        .collect();
    let count = |kind: &str| outcomes.iter().filter(|o| **o == kind).count();
    assert_eq!(
        (count("applied"), count("not-attempted"), outcomes.len()),
        (3, 1, 4),
        "{journal:?}"
    );
    assert!(!dir.join(".reckon/lock").exists(), "lock released");

    // The next apply writes the one left, and only it.
    let again = crate::autotask::run(dir, &["apply", "--period", "2026-10", "--auto-approve"]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(
        again.stdout.contains("Apply complete: 1 applied."),
        "{}",
        again.stdout
    );
    assert_eq!(sim.adjustments().len(), 4);
}

#[test]
fn sigterm_during_writes_finishes_those_in_flight_and_records_the_rest_as_not_attempted() {
    a_signal_during_writes("-TERM");
}

#[test]
fn sigint_during_writes_finishes_those_in_flight_and_records_the_rest_as_not_attempted() {
    a_signal_during_writes("-INT");
}
