//! Logs: `-v`/`-vv` and `RECKON_LOG` through `tracing` on stderr — each PSA request, each
//! source read, stage timings — never a credential; transport errors name the host and cause.

use std::path::Path;

use crate::sim::autotask::{self as at, Sim, autotask_psa_block};
use crate::support::{Run, copy_of, reckon_with_env};

const KEYS: &[(&str, &str)] = &[
    ("AUTOTASK_USERNAME", at::USERNAME),
    ("AUTOTASK_SECRET", at::SECRET),
    ("AUTOTASK_INTEGRATION_CODE", at::INTEGRATION_CODE),
];

fn autotask_workspace(base_url: &str) -> tempfile::TempDir {
    let ws = copy_of("examples/quickstart");
    std::fs::remove_dir_all(ws.path().join("sandbox")).expect("no sandbox");
    let config = ws.path().join("reckon.yaml");
    let yaml = std::fs::read_to_string(&config)
        .expect("reckon.yaml")
        .replace(
            "psa:\n  kind: sandbox\n  path: sandbox/psa.yaml\n  integer_quantities: true\n",
            &autotask_psa_block(base_url),
        );
    std::fs::write(&config, yaml).expect("write");
    ws
}

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut all = KEYS.to_vec();
    all.extend_from_slice(env);
    reckon_with_env(dir, args, &all)
}

fn assert_no_credential(text: &str) {
    for (_, value) in KEYS.iter().filter(|(k, _)| *k != "AUTOTASK_USERNAME") {
        assert!(!text.contains(value), "credential in output: {text}");
    }
    assert!(!text.to_lowercase().contains("authorization"), "{text}");
    assert!(!text.contains("ApiIntegrationcode"), "{text}");
}

#[test]
fn verbose_logs_each_request_source_read_and_stage_without_credentials() {
    let sim = Sim::start();
    let ws = autotask_workspace(&sim.base_url());
    let quiet = run(ws.path(), &["plan", "--period", "2026-10"], &[]);
    assert!(!quiet.stderr.contains("reckon::"), "{}", quiet.stderr);
    let verbose = run(ws.path(), &["-vv", "plan", "--period", "2026-10"], &[]);
    let log = &verbose.stderr;
    assert!(
        log.lines().any(
            |l| l.contains("reckon::psa: PSA request method=POST host=127.0.0.1")
                && l.contains("status=200")
                && l.contains(" ms=")
        ),
        "{log}"
    );
    assert!(
        log.contains("path=/ATServicesRest/V1.0/Companies/query"),
        "{log}"
    );
    let usage = std::fs::read_to_string(ws.path().join("usage/keeper-2026-10.csv")).expect("usage");
    let read = format!("bytes={} rows={}", usage.len(), usage.lines().count() - 1);
    assert!(
        log.contains("reckon::sources: usage read integration=keeper") && log.contains(&read),
        "{read}: {log}"
    );
    assert!(log.contains("reckon::stages: PSA read"), "{log}");
    assert!(log.contains("reckon::stages: plan computed"), "{log}");
    assert_no_credential(&format!("{}{}", verbose.stdout, verbose.stderr));
    let filtered = run(
        ws.path(),
        &["plan", "--period", "2026-10"],
        &[("RECKON_LOG", "reckon::sources=info")],
    );
    assert!(
        filtered.stderr.contains("usage read"),
        "{}",
        filtered.stderr
    );
    assert!(
        !filtered.stderr.contains("reckon::psa"),
        "{}",
        filtered.stderr
    );
}

#[test]
fn an_unreachable_psa_names_the_host_and_the_cause() {
    // A port nothing listens on: bound, then closed. (The request is retried as a lost
    // connection is: this test takes the retry policy's ~20 s.)
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let ws = autotask_workspace(&format!("http://127.0.0.1:{port}/atservicesrest"));
    let run = run(ws.path(), &["-v", "check"], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let check = Run {
        code: run.code,
        stdout: String::new(),
        stderr: format!("{}{}", run.stdout, run.stderr),
    };
    assert!(
        check.stderr.contains("cannot connect to 127.0.0.1 ("),
        "{}",
        check.stderr
    );
    assert!(
        check.stderr.to_lowercase().contains("connection refused"),
        "{}",
        check.stderr
    );
    assert!(
        check.stderr.contains("PSA request failed"),
        "{}",
        check.stderr
    );
    assert_no_credential(&check.stderr);
}
