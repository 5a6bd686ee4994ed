//! Hostile files: a FIFO where reckon reads is an error, never a hang; a link out of the
//! workspace is refused without echoing its target's content; a link where reckon writes state
//! is refused and its target — a stand-in for `/etc/passwd`, as reckon runs as root in CI — is
//! left unchanged; the sandbox's read-modify-write holds a lock another writer respects
//! (issue 15 items 3, 4 and 8).

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use crate::support::{Run, copy_of, journal, reckon, reckon_with_env, records};

const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/nologin\n";

/// Runs reckon, failing the test (instead of hanging it) when reckon does not finish.
fn reckon_or_hang(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let (dir, env): (PathBuf, Vec<(String, String)>) = (
        dir.to_path_buf(),
        env.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    );
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let _ = tx.send(reckon_with_env(&dir, &args, &env));
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("reckon hangs on a FIFO")
}

fn mkfifo(path: &Path) {
    let _ = std::fs::remove_file(path);
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        path,
        rustix::fs::Mode::from_raw_mode(0o600),
    )
    .expect("mkfifo");
}

/// A folder outside the workspace holding a `passwd` stand-in.
fn outside() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let passwd = dir.path().join("passwd");
    std::fs::write(&passwd, PASSWD).expect("write");
    (dir, passwd)
}

fn assert_untouched(passwd: &Path) {
    let now = std::fs::read_to_string(passwd).expect("read target");
    assert!(
        now == PASSWD,
        "reckon wrote through a link to {} (now {} bytes)",
        passwd.display(),
        now.len()
    );
    let folder = passwd.parent().expect("folder");
    let names: Vec<_> = std::fs::read_dir(folder)
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(
        names,
        ["passwd"],
        "reckon created files outside the workspace"
    );
}

#[test]
fn a_fifo_as_the_workspace_file_is_an_error_for_validate_and_plan() {
    let ws = copy_of("examples/quickstart");
    mkfifo(&ws.path().join("reckon.yaml"));
    for args in [&["validate"][..], &["plan", "--period", "2026-10"][..]] {
        let run = reckon_or_hang(ws.path(), args, &[]);
        assert_eq!(run.code, 1, "{args:?}");
        let output = format!("{}{}", run.stdout, run.stderr);
        assert!(
            output.contains("reckon.yaml: is a named pipe (FIFO), not a regular file"),
            "{output}"
        );
    }
}

#[test]
fn a_fifo_as_usage_sandbox_or_integration_file_is_an_error() {
    for file in [
        "usage/keeper-2026-10.csv",
        "sandbox/psa.yaml",
        "integrations/keeper.yaml",
    ] {
        let ws = copy_of("examples/quickstart");
        mkfifo(&ws.path().join(file));
        let run = reckon_or_hang(ws.path(), &["plan", "--period", "2026-10"], &[]);
        assert_eq!(run.code, 1, "{file}: {}", run.stdout);
        assert!(run.stderr.contains("named pipe"), "{file}: {}", run.stderr);
    }
}

#[test]
fn a_fifo_as_a_credential_file_is_an_error() {
    let ws = copy_of("tests/fixtures/config/valid/autotask-credentials");
    mkfifo(&ws.path().join("secrets/code.txt"));
    let env = [
        ("RECKON_FIXTURE_AT_USER", "api@example.com"),
        ("RECKON_FIXTURE_AT_SECRET", "s3cret-value"),
    ];
    let run = reckon_or_hang(ws.path(), &["check"], &env);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stderr.contains("named pipe"), "{}", run.stderr);
    assert!(!run.stderr.contains("s3cret-value"));
}

#[test]
fn an_integration_file_linked_out_of_the_workspace_is_refused_without_its_content() {
    let (_outside, passwd) = outside();
    let ws = copy_of("examples/quickstart");
    symlink(&passwd, ws.path().join("integrations/shadow.yaml")).expect("symlink");
    let run = reckon(ws.path(), &["validate"]);
    assert_eq!(run.code, 1);
    let output = format!("{}{}", run.stdout, run.stderr);
    assert!(output.contains("outside the workspace"), "{output}");
    assert!(
        !output.contains("root:x"),
        "echoed the target's content: {output}"
    );
    assert!(
        !output.contains("daemon"),
        "echoed the target's content: {output}"
    );
}

#[test]
fn state_written_through_links_never_reaches_the_target() {
    let apply = ["apply", "--period", "2026-10", "--auto-approve"];
    for link in [".reckon/journal.jsonl", ".reckon/lock", "sandbox/psa.yaml"] {
        let (_outside, passwd) = outside();
        let ws = copy_of("examples/quickstart");
        std::fs::create_dir_all(ws.path().join(".reckon")).expect("mkdir");
        let _ = std::fs::remove_file(ws.path().join(link));
        symlink(&passwd, ws.path().join(link)).expect("symlink");
        let run = reckon(ws.path(), &apply);
        assert_eq!(run.code, 1, "{link}: {}\n{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains(link),
            "names the link {link}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("root:x"), "{}", run.stderr);
        assert_untouched(&passwd);
    }
}

#[test]
fn a_linked_state_folder_is_refused() {
    let (outside, passwd) = outside();
    let ws = copy_of("examples/quickstart");
    symlink(outside.path(), ws.path().join(".reckon")).expect("symlink");
    let run = reckon(
        ws.path(),
        &["apply", "--period", "2026-10", "--auto-approve"],
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains(".reckon is a symbolic link"),
        "{}",
        run.stderr
    );
    assert_untouched(&passwd);
}

#[test]
fn a_saved_plan_is_never_written_through_a_link() {
    let (_outside, passwd) = outside();
    let ws = copy_of("examples/quickstart");
    symlink(&passwd, ws.path().join("plan.json")).expect("symlink");
    let run = reckon(
        ws.path(),
        &["plan", "--period", "2026-10", "--out", "plan.json"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("plan.json is a symbolic link"),
        "{}",
        run.stderr
    );
    assert_untouched(&passwd);
}

#[test]
fn init_writes_nothing_through_links() {
    for link in [".gitignore", "reckon.yaml", "sandbox"] {
        let (outside, passwd) = outside();
        let dir = tempfile::tempdir().expect("tempdir");
        let target = if link == "sandbox" {
            outside.path().to_path_buf()
        } else {
            passwd.clone()
        };
        symlink(&target, dir.path().join(link)).expect("symlink");
        let run = reckon(dir.path(), &["init"]);
        assert_eq!(run.code, 1, "{link}: {}", run.stdout);
        assert!(run.stderr.contains(link), "{link}: {}", run.stderr);
        assert_untouched(&passwd);
    }
}

#[test]
fn init_keeps_an_existing_gitignore_and_adds_the_state_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(".gitignore"), "target/").expect("write");
    let run = reckon(dir.path(), &["init"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".gitignore")).expect("read"),
        "target/\n.reckon/\n"
    );
}

/// The inode of `path`, for finding its entries in `/proc/locks`.
fn inode(path: &Path) -> u64 {
    std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(path).expect("stat"))
}

/// Whether some process waits for an flock on the file with inode `ino` (Linux `/proc/locks`
/// lists waiters as `N: -> FLOCK ADVISORY WRITE PID MAJ:MIN:INODE 0 EOF`).
fn someone_waits_for(ino: u64) -> bool {
    let locks = std::fs::read_to_string("/proc/locks").unwrap_or_default();
    locks.lines().any(|line| {
        line.contains("->") && line.contains("FLOCK") && line.contains(&format!(":{ino} "))
    })
}

#[test]
fn an_edit_made_under_the_sandbox_lock_survives_a_concurrent_apply() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let sandbox = dir.join("sandbox/psa.yaml");
    // Another writer (a second workspace's apply, a script) is mid read-modify-write.
    let held = std::fs::File::open(&sandbox).expect("open");
    rustix::fs::flock(&held, rustix::fs::FlockOperation::LockExclusive).expect("flock");
    let before = std::fs::read_to_string(&sandbox).expect("read");
    let ino = inode(&sandbox);

    let child = std::process::Command::new(env!("CARGO_BIN_EXE_reckon"))
        .args(["apply", "--period", "2026-10", "--auto-approve"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // Wait until apply either waits for the lock (it respects it) or has written (it does not).
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !someone_waits_for(ino) && records(&journal(dir), "outcome").is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "apply neither waited nor wrote"
        );
        std::thread::yield_now();
    }
    // The other writer finishes: its edit, replaced atomically as reckon does, then unlock.
    let edited = before.replace(
        "companies:\n",
        "companies:\n  - {id: '99', name: Added Elsewhere}\n",
    );
    assert_ne!(edited, before, "the fixture lists companies");
    let temp = dir.join("sandbox/.psa.yaml.other");
    std::fs::write(&temp, &edited).expect("write");
    std::fs::rename(&temp, &sandbox).expect("rename");
    drop(held);

    let output = child.wait_with_output().expect("apply finishes");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("Apply complete: 4 applied."), "{stdout}");
    let after = std::fs::read_to_string(&sandbox).expect("read");
    assert!(
        after.contains("Added Elsewhere"),
        "the other writer's edit was lost:\n{after}"
    );
    assert!(
        after.contains("effective_date"),
        "apply's writes were lost:\n{after}"
    );
    let replan = reckon(dir, &["plan", "--period", "2026-10", "--detailed-exitcode"]);
    assert_eq!(
        replan.code, 0,
        "apply's quantities are all in the file: {}",
        replan.stdout
    );
}

#[test]
fn a_commands_kept_output_is_never_written_through_a_link() {
    let ws = copy_of("examples/keeper-connectwise");
    let file = ws.path().join("integrations/keeper.yaml");
    let program = crate::support::repo().join("tests/fixtures/keeper/fake-keeper");
    let command = format!(
        "command: [\"{}\", msp-billing-report, --month, \"{{period}}\", -d, -c, --format, json]",
        program.display()
    );
    let text = std::fs::read_to_string(&file).expect("integration");
    std::fs::write(
        &file,
        text.replace("path: reports/keeper-{period}.json", &command),
    )
    .expect("write integration");
    let report = ws.path().join("reports/keeper-2026-10.json");
    let env = [("FAKE_KEEPER_REPORT", report.to_str().expect("utf8 path"))];
    for link in [
        ".reckon/keeper-commander/keeper-2026-10.out",
        ".reckon/keeper-commander",
    ] {
        let (outside, passwd) = outside();
        let kept = ws.path().join(link);
        let _ = std::fs::remove_dir_all(ws.path().join(".reckon"));
        std::fs::create_dir_all(ws.path().join(".reckon/keeper-commander")).expect("mkdir");
        let _ = std::fs::remove_dir(&kept);
        let target = if link.ends_with(".out") {
            passwd.clone()
        } else {
            outside.path().to_path_buf()
        };
        symlink(&target, &kept).expect("symlink");
        let run = reckon_with_env(ws.path(), &["plan", "--period", "2026-10"], &env);
        assert_eq!(run.code, 0, "{link}: the plan still runs: {}", run.stderr);
        assert_untouched(&passwd);
    }
}
