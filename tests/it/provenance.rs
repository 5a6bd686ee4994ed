//! Who did it, and from what: with GitHub's or GitLab's CI variables set, the saved plan, the
//! journal's intents, the lock holder and `status` (text and JSON) name the CI actor and run;
//! the markdown and HTML plans head with their provenance (period, PSA, commit, time, who,
//! version), the commit being the workspace's git HEAD.

use std::path::Path;
use std::process::Command;

use crate::support::{PLAN_TIME, copy_of, journal, reckon, reckon_with_env, records};

const GITHUB: &[(&str, &str)] = &[
    ("GITHUB_ACTIONS", "true"),
    ("GITHUB_ACTOR", "octocat"),
    ("GITHUB_SERVER_URL", "https://github.com"),
    ("GITHUB_REPOSITORY", "acme/billing"),
    ("GITHUB_RUN_ID", "42"),
];
const GITHUB_RUN: &str = "https://github.com/acme/billing/actions/runs/42";

const GITLAB: &[(&str, &str)] = &[
    ("GITLAB_CI", "true"),
    ("GITLAB_USER_LOGIN", "ana"),
    ("CI_JOB_URL", "https://gitlab.example/acme/billing/-/jobs/7"),
];

fn status_json(dir: &Path) -> serde_json::Value {
    let status = reckon(dir, &["status", "--format", "json"]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    serde_json::from_str(&status.stdout).expect("status JSON")
}

/// `plan --format markdown --out FILE` for October with `env`.
fn markdown_plan(dir: &Path, file: &str, env: &[(&str, &str)]) -> crate::support::Run {
    let args = [
        "plan", "--period", "2026-10", "--format", "markdown", "--out", file,
    ];
    reckon_with_env(dir, &args, env)
}

#[test]
fn a_github_run_is_named_in_the_saved_plan_the_journal_and_status() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let plan = markdown_plan(dir, "plan.json", GITHUB);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stdout
            .contains(&format!("by octocat via github ({GITHUB_RUN})")),
        "{}",
        plan.stdout
    );
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("plan.json")).expect("plan"))
            .expect("saved plan");
    let ci = &saved["provenance"]["ci"];
    assert_eq!(
        (&ci["system"], &ci["actor"], &ci["url"]),
        (
            &serde_json::json!("github"),
            &serde_json::json!("octocat"),
            &serde_json::json!(GITHUB_RUN)
        )
    );
    assert_eq!(saved["provenance"]["time"], PLAN_TIME);

    let apply = reckon_with_env(dir, &["apply", "plan.json"], GITHUB);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let journal = journal(dir);
    let intents = records(&journal, "intent");
    assert_eq!(intents.len(), 4);
    for intent in intents {
        assert_eq!(intent["ci"]["actor"], "octocat", "{intent}");
        assert_eq!(intent["ci"]["url"], GITHUB_RUN, "{intent}");
        assert_eq!(intent["user"], "tester");
    }

    let status = reckon(dir, &["status"]);
    assert!(
        status
            .stdout
            .contains(&format!("by octocat via github ({GITHUB_RUN}): applied")),
        "{}",
        status.stdout
    );
    let last = &status_json(dir)["integrations"][0]["last_apply"];
    assert_eq!(last["ci"]["actor"], "octocat", "{last}");
    assert_eq!(last["by"], format!("octocat via github ({GITHUB_RUN})"));
    assert_eq!(last["outcome"], "applied");
}

#[test]
fn a_gitlab_job_is_named_and_without_ci_variables_it_is_user_at_host() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let apply = reckon_with_env(
        dir,
        &["apply", "--period", "2026-10", "--auto-approve"],
        GITLAB,
    );
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let journal = journal(dir);
    let intent = records(&journal, "intent")[0];
    assert_eq!(intent["ci"]["system"], "gitlab");
    assert_eq!(
        intent["ci"]["url"],
        "https://gitlab.example/acme/billing/-/jobs/7"
    );
    let last = &status_json(dir)["integrations"][0]["last_apply"];
    assert_eq!(
        last["by"],
        "ana via gitlab (https://gitlab.example/acme/billing/-/jobs/7)"
    );

    let local = copy_of("examples/quickstart");
    let apply = reckon(
        local.path(),
        &["apply", "--period", "2026-10", "--auto-approve"],
    );
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    let journal = crate::support::journal(local.path());
    let intent = records(&journal, "intent")[0];
    assert!(intent.get("ci").is_none(), "{intent}");
    let last = &status_json(local.path())["integrations"][0]["last_apply"];
    assert_eq!(last["by"], "tester@testhost");
    assert!(last.get("ci").is_none(), "{last}");
}

#[test]
fn the_lock_left_by_a_crashed_ci_apply_names_its_run() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let mut env = GITHUB.to_vec();
    env.push(("RECKON_TEST_CRASH_AFTER_WRITES", "1"));
    let crashed = reckon_with_env(
        dir,
        &["apply", "--period", "2026-10", "--auto-approve"],
        &env,
    );
    assert_ne!(crashed.code, 0, "aborted");
    let lock: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(".reckon/lock")).expect("lock"))
            .expect("lock JSON");
    assert_eq!(lock["ci"]["actor"], "octocat", "{lock}");
    let status = reckon(dir, &["status"]);
    assert!(
        status.stdout.contains(&format!(
            "in the CI run of octocat via github ({GITHUB_RUN})"
        )),
        "{}",
        status.stdout
    );
    assert!(
        status.stdout.contains("by octocat via github"),
        "the unknown outcome names its run: {}",
        status.stdout
    );
    let again = reckon(dir, &["apply", "--period", "2026-10", "--auto-approve"]);
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("in the CI run of octocat via github"),
        "{}",
        again.stderr
    );
    assert_eq!(status_json(dir)["lock"]["ci"]["actor"], "octocat");
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs (reckon reads the commit with it)");
    assert!(output.status.success(), "git {args:?}: {output:?}");
    String::from_utf8(output.stdout)
        .expect("utf8")
        .trim()
        .to_owned()
}

#[test]
fn markdown_and_html_head_with_the_commit_period_psa_time_who_and_version() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    git(dir, &["init", "-q"]);
    git(dir, &["add", "."]);
    git(dir, &["commit", "-qm", "workspace"]);
    let head = git(dir, &["rev-parse", "HEAD"]);
    let short = &head[..12];
    let out = tempfile::tempdir().expect("tempdir");
    let saved = out.path().join("plan.json");
    let markdown = markdown_plan(dir, saved.to_str().expect("utf-8"), &[]);
    assert_eq!(markdown.code, 0, "{}", markdown.stderr);
    let version = env!("CARGO_PKG_VERSION");
    let line = format!(
        "Made {PLAN_TIME} by tester@\u{2060}testhost · commit {short} · PSA sandbox (sandbox/psa.yaml) \
         · reckon {version}"
    );
    let head_part = markdown.stdout.split("####").next().expect("head");
    assert!(head_part.contains(&line), "{line}\n{}", markdown.stdout);
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&saved).expect("plan")).expect("json");
    assert_eq!(file["provenance"]["git"]["commit"], head.as_str());
    assert_eq!(
        file["provenance"]["git"]["dirty"], false,
        "plan file outside"
    );

    std::fs::write(dir.join("reckon.yaml.orig"), "x").expect("an untracked file");
    let html = reckon(dir, &["plan", "--period", "2026-10", "--format", "html"]);
    assert_eq!(html.code, 0, "{}", html.stderr);
    let header = &html.stdout[..html.stdout.find("</header>").expect("header")];
    for fact in [
        "<dt>period</dt><dd>2026-10</dd>".to_owned(),
        "<dt>PSA</dt><dd>sandbox (sandbox/psa.yaml)</dd>".to_owned(),
        format!("<dt>commit</dt><dd>{short} (uncommitted changes)</dd>"),
        format!("<dt>made</dt><dd>{PLAN_TIME}</dd>"),
        "<dt>by</dt><dd>tester@testhost</dd>".to_owned(),
        format!("<dt>reckon</dt><dd>{version}</dd>"),
    ] {
        assert!(header.contains(&fact), "{fact} in\n{header}");
    }
}
