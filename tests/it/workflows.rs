//! The CI examples keep their safety properties: each workflow file is parsed (through reckon's
//! own YAML module, into JSON values) and checked for who gets which secret, what runs where,
//! and that the pipelines are complete (schedule, manual period, plan once, apply only with
//! changes, the failure comment). The release workflow, the composite action and the Dockerfile
//! are checked to parse and to say what they promise; none is run here.
//!
//! Also: `--no-commands` / `RECKON_DENY_COMMANDS=1` refuse a `command:` source, end to end.

use std::path::Path;

use serde_json::Value;

use crate::support::{copy_of, reckon, reckon_with_env, repo};

/// Secret names that can write to a PSA or the shared state, or log into Keeper: never in a
/// pull-request job.
const WRITE_SECRETS: [&str; 6] = [
    "AUTOTASK_USERNAME",
    "AUTOTASK_SECRET",
    "CW_PUBLIC_KEY",
    "CW_PRIVATE_KEY",
    "KEEPER_CONFIG",
    "RECKON_STATE_URL",
];

fn parse(relative: &str) -> Value {
    let file = repo().join(relative);
    let text = std::fs::read_to_string(&file).expect("workflow file");
    reckon::yaml::from_str(&text, Path::new(relative))
        .unwrap_or_else(|e| panic!("{relative} does not parse: {}", e.message))
}

/// Every string anywhere in `value` (keys and values).
fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        Value::Object(map) => map
            .iter()
            .flat_map(|(k, v)| std::iter::once(k.clone()).chain(strings(v)))
            .collect(),
        _ => Vec::new(),
    }
}

fn text_of(value: &Value) -> String {
    strings(value).join("\n")
}

/// The `secrets.NAME`s referenced in `value`.
fn secrets_in(value: &Value) -> Vec<String> {
    let text = text_of(value);
    text.match_indices("secrets.")
        .map(|(at, _)| {
            text[at + "secrets.".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

/// How many times `text` runs `reckon plan` (not counting messages that name it).
fn plans_in(text: &str) -> usize {
    text.matches("reckon plan --").count() + text.matches("reckon plan ${").count()
}

fn job<'a>(workflow: &'a Value, name: &str) -> &'a Value {
    workflow["jobs"]
        .get(name)
        .unwrap_or_else(|| panic!("no job {name}"))
}

fn steps(job: &Value) -> &Vec<Value> {
    job["steps"].as_array().expect("steps")
}

fn runs(job: &Value) -> String {
    steps(job)
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

// ------------------------------------------------------------------------------ GitHub Actions

const GITHUB: &str = "examples/ci/github-actions.yml";

#[test]
fn github_secrets_are_given_to_steps_only_and_never_at_workflow_or_job_level() {
    let workflow = parse(GITHUB);
    assert_eq!(
        workflow["permissions"],
        serde_json::json!({}),
        "no default permissions"
    );
    assert!(
        secrets_in(&workflow["env"]).is_empty(),
        "workflow-level env has secrets"
    );
    for (name, job) in workflow["jobs"].as_object().expect("jobs") {
        assert!(
            secrets_in(&job["env"]).is_empty(),
            "job {name}'s env has secrets"
        );
        assert!(
            job["permissions"].is_object(),
            "job {name} states its permissions"
        );
        assert_ne!(
            job["permissions"]["contents"], "write",
            "job {name} can push"
        );
        for step in steps(job) {
            let mut outside_env = step.clone();
            if let Some(map) = outside_env.as_object_mut() {
                map.remove("env");
            }
            assert!(
                secrets_in(&outside_env).is_empty(),
                "job {name}: a secret outside a step's env: {step}"
            );
        }
    }
}

#[test]
fn github_pull_request_job_has_read_only_credentials_and_runs_no_commands() {
    let workflow = parse(GITHUB);
    let pr = job(&workflow, "plan-pr");
    assert_eq!(pr["if"], "github.event_name == 'pull_request'");
    assert_eq!(pr["env"]["RECKON_DENY_COMMANDS"], "1");
    let used = secrets_in(pr);
    assert!(!used.is_empty(), "the PR plan reads the PSA");
    for secret in &used {
        assert!(
            secret.contains("READONLY") || secret == "AUTOTASK_INTEGRATION_CODE",
            "PR job uses {secret}"
        );
        assert!(
            !WRITE_SECRETS.contains(&secret.as_str()),
            "PR job uses {secret}"
        );
    }
    assert!(
        pr.get("environment").is_none(),
        "no environment secrets in PR jobs"
    );
    assert_eq!(pr["permissions"]["pull-requests"], "write");
    // The other jobs never run for a pull request.
    for (name, other) in workflow["jobs"].as_object().expect("jobs") {
        if name != "plan-pr" {
            let condition = other["if"].as_str().unwrap_or("");
            assert!(
                condition.contains("github.event_name != 'pull_request'")
                    || condition.contains("needs.plan."),
                "job {name} could run on a pull request: {condition}"
            );
        }
    }
}

#[test]
fn github_fork_pull_requests_get_a_message_and_no_secret_steps() {
    let workflow = parse(GITHUB);
    let pr = job(&workflow, "plan-pr");
    let fork = "github.event.pull_request.head.repo.full_name != github.repository";
    let same = "github.event.pull_request.head.repo.full_name == github.repository";
    let notice = steps(pr)
        .iter()
        .find(|s| s["if"] == fork)
        .expect("a step for fork PRs");
    assert!(text_of(&notice["run"]).contains("fork"), "{notice}");
    assert!(secrets_in(notice).is_empty());
    let plan = steps(pr)
        .iter()
        .find(|s| s["id"] == "plan")
        .expect("plan step");
    assert_eq!(plan["if"], same, "the plan step is skipped for forks");
}

#[test]
fn github_plans_once_per_pipeline_and_replaces_the_comment_when_plan_fails() {
    let workflow = parse(GITHUB);
    let pr = job(&workflow, "plan-pr");
    let main = job(&workflow, "plan");
    let apply = job(&workflow, "apply");
    assert_eq!(plans_in(&runs(pr)), 1);
    assert_eq!(plans_in(&runs(main)), 1);
    assert_eq!(plans_in(&runs(apply)), 0);
    let comments: Vec<&Value> = steps(pr)
        .iter()
        .filter(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("marocchino/sticky-pull-request-comment@"))
        })
        .collect();
    assert_eq!(
        comments.len(),
        2,
        "the plan comment and the failure comment"
    );
    assert_eq!(comments[0]["with"]["header"], comments[1]["with"]["header"]);
    assert_eq!(comments[0]["if"], "steps.plan.outcome == 'success'");
    assert_eq!(
        comments[1]["if"],
        "failure() && steps.plan.outcome == 'failure'"
    );
    assert!(runs(pr).contains("reckon plan failed"));
}

#[test]
fn github_saved_plan_is_written_outside_the_checkout_and_applied_only_with_changes() {
    let workflow = parse(GITHUB);
    let plan = job(&workflow, "plan");
    let apply = job(&workflow, "apply");
    let plan_run = runs(plan);
    assert!(plan_run.contains("--detailed-exitcode"));
    assert!(
        plan_run.contains("out=\"$RUNNER_TEMP/reckon\""),
        "{plan_run}"
    );
    assert!(plan_run.contains("--out \"$out/plan.json\""), "{plan_run}");
    assert!(!text_of(plan).contains("github.workspace"));
    assert_eq!(
        plan["outputs"]["changes"],
        "${{ steps.plan.outputs.changes }}"
    );
    assert_eq!(apply["needs"], "plan");
    assert_eq!(apply["if"], "needs.plan.outputs.changes == 'true'");
    assert_eq!(apply["environment"], "billing");
    assert!(text_of(apply).contains("actions/download-artifact@"));
    assert!(runs(apply).contains("reckon apply \"$RUNNER_TEMP/reckon/plan.json\""));
    // The write credentials are the apply job's alone.
    let write: Vec<String> = secrets_in(apply)
        .into_iter()
        .filter(|s| WRITE_SECRETS.contains(&s.as_str()))
        .collect();
    assert_eq!(write.len(), 5, "{write:?}");
    assert!(secrets_in(plan).iter().all(|s| s != "AUTOTASK_SECRET"));
}

#[test]
fn github_runs_monthly_after_the_invoice_day_and_by_hand_for_a_period() {
    let workflow = parse(GITHUB);
    let on = &workflow["on"];
    assert!(on.get("pull_request").is_some());
    assert_eq!(on["push"]["branches"], serde_json::json!(["main"]));
    let cron = on["schedule"][0]["cron"].as_str().expect("a schedule");
    let fields: Vec<&str> = cron.split(' ').collect();
    assert_eq!(fields.len(), 5, "{cron}");
    let day: u32 = fields[2].parse().expect("one day of the month");
    assert!(
        (2..=7).contains(&day),
        "after the first business day: {cron}"
    );
    assert_eq!(&fields[3..], ["*", "*"], "every month: {cron}");
    let period = &on["workflow_dispatch"]["inputs"]["period"];
    assert_eq!(period["type"], "string");
    assert!(runs(job(&workflow, "plan")).contains("${PERIOD:+--period \"$PERIOD\"}"));
}

#[test]
fn github_installs_released_reckon_and_commander_with_its_login_from_a_secret() {
    let workflow = parse(GITHUB);
    let all = text_of(&workflow);
    assert!(
        !all.contains("cargo install"),
        "reckon is not built in every job"
    );
    for name in ["plan-pr", "plan", "apply"] {
        assert!(
            steps(job(&workflow, name)).iter().any(|s| s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("your-org/reckon@"))),
            "job {name} installs the released binary"
        );
    }
    let plan = job(&workflow, "plan");
    assert!(runs(plan).contains("pip install --disable-pip-version-check keepercommander=="));
    let login = steps(plan)
        .iter()
        .find(|s| secrets_in(s).contains(&"KEEPER_CONFIG".to_owned()))
        .expect("Commander's config from a secret");
    assert!(text_of(&login["run"]).contains("~/.keeper/config.json"));
    assert_eq!(plan["environment"], "reckon-plan");
}

/// The `env` value a job's steps give `name`, for every step that sets it.
fn step_env<'a>(job: &'a Value, name: &str) -> Vec<&'a str> {
    steps(job)
        .iter()
        .filter_map(|s| s["env"][name].as_str())
        .collect()
}

#[test]
fn github_keeps_the_state_in_postgres_read_only_for_plans_and_writable_for_apply_only() {
    let workflow = parse(GITHUB);
    let header = std::fs::read_to_string(repo().join(GITHUB)).expect("workflow");
    assert!(
        header.contains("backend: postgres") && header.contains("url: { env: RECKON_STATE_URL }")
    );
    for name in ["plan-pr", "plan"] {
        assert_eq!(
            step_env(job(&workflow, name), "RECKON_STATE_URL"),
            ["${{ secrets.RECKON_STATE_READONLY_URL }}"],
            "job {name} reads the shared history with the read-only role"
        );
    }
    let apply = job(&workflow, "apply");
    assert_eq!(
        step_env(apply, "RECKON_STATE_URL"),
        ["${{ secrets.RECKON_STATE_URL }}"]
    );
    assert_eq!(
        apply["environment"], "billing",
        "the writing role is the billing environment's"
    );
    assert!(
        workflow["jobs"]["apply"].get("services").is_none()
            && workflow["jobs"]["plan"].get("services").is_none(),
        "a service container dies with its job: it cannot hold shared state"
    );
}

// ---------------------------------------------------------------------------------- GitLab CI

const GITLAB: &str = "examples/ci/gitlab-ci.yml";

fn script(job: &Value) -> String {
    text_of(&job["script"])
}

#[test]
fn gitlab_merge_request_job_has_read_only_credentials_and_runs_no_commands() {
    let pipeline = parse(GITLAB);
    let mr = &pipeline["plan-mr"];
    assert_eq!(mr["variables"]["RECKON_DENY_COMMANDS"], "1");
    let rule = mr["rules"][0]["if"].as_str().expect("rule");
    assert!(rule.contains("merge_request_event"), "{rule}");
    assert!(
        rule.contains("$CI_MERGE_REQUEST_SOURCE_PROJECT_ID == $CI_PROJECT_ID"),
        "{rule}"
    );
    let text = script(mr);
    for secret in WRITE_SECRETS {
        assert!(
            !text.contains(&format!("${secret}")) && !text.contains(&format!("${{{secret}}}")),
            "MR job reads {secret}"
        );
    }
    assert!(text.contains("\"$AUTOTASK_READONLY_SECRET\""));
    assert!(mr.get("environment").is_none());
    let fork = &pipeline["plan-fork"];
    assert!(
        fork["rules"][0]["if"]
            .as_str()
            .is_some_and(|r| r.contains("!= $CI_PROJECT_ID"))
    );
    assert!(script(fork).contains("fork"));
}

#[test]
fn gitlab_plans_once_and_applies_the_saved_plan_by_hand_only_with_changes() {
    let pipeline = parse(GITLAB);
    let plan = &pipeline["plan"];
    let apply = &pipeline["apply"];
    assert_eq!(plans_in(&script(&pipeline["plan-mr"])), 1);
    assert_eq!(plans_in(&script(plan)), 1);
    assert_eq!(plans_in(&script(apply)), 0);
    assert!(script(plan).contains("--detailed-exitcode --out /tmp/reckon/plan.json"));
    assert_eq!(plan["artifacts"]["reports"]["dotenv"], "plan.env");
    assert_eq!(apply["needs"][0]["job"], "plan");
    assert_eq!(apply["rules"][0]["when"], "manual");
    assert_eq!(apply["environment"]["name"], "billing");
    assert_eq!(apply["resource_group"], plan["resource_group"]);
    let apply_script = script(apply);
    assert!(apply_script.contains("if [ \"$RECKON_CHANGES\" != \"true\" ]"));
    assert!(apply_script.contains("reckon apply /tmp/reckon/plan.json"));
    assert_eq!(plan["environment"]["name"], "reckon-plan");
    assert!(script(plan).contains("\"$KEEPER_CONFIG\" ~/.keeper/config.json"));
    assert!(script(&pipeline["plan-mr"]).contains("mr-note.py failed"));
}

#[test]
fn gitlab_keeps_the_state_in_postgres_read_only_for_plans_and_writable_for_apply_only() {
    let pipeline = parse(GITLAB);
    for name in ["plan-mr", "plan"] {
        let text = script(&pipeline[name]);
        assert!(
            text.contains("RECKON_STATE_URL=\"$RECKON_STATE_READONLY_URL\""),
            "job {name} reads the shared history with the read-only role"
        );
    }
    assert!(!script(&pipeline["apply"]).contains("RECKON_STATE_READONLY_URL"));
    assert!(pipeline["apply"].get("services").is_none());
    let header = std::fs::read_to_string(repo().join(GITLAB)).expect("pipeline");
    assert!(header.contains("state: {backend: postgres, url: {env: RECKON_STATE_URL}}"));
}

#[test]
fn gitlab_runs_on_a_schedule_and_by_hand_with_a_period() {
    let pipeline = parse(GITLAB);
    let rules = text_of(&pipeline["workflow"]["rules"]);
    for source in ["merge_request_event", "schedule", "web"] {
        assert!(rules.contains(&format!("\"{source}\"")), "{source}");
    }
    assert!(pipeline["variables"]["PERIOD"]["description"].is_string());
    assert!(script(&pipeline["plan"]).contains("${PERIOD:+--period \"$PERIOD\"}"));
    assert!(!text_of(&pipeline).contains("cargo install"));
}

// ----------------------------------------------------------------- release, action, Dockerfile

#[test]
fn release_builds_linux_and_macos_with_checksums() {
    let release = parse("examples/ci/release.yml");
    let targets = text_of(&release["jobs"]["build"]["strategy"]["matrix"]["include"]);
    for target in [
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "aarch64-apple-darwin",
        "x86_64-apple-darwin",
    ] {
        assert!(targets.contains(target), "{target}");
    }
    assert!(runs(&release["jobs"]["release"]).contains("sha256sum reckon-*.tar.gz > SHA256SUMS"));
    assert_eq!(
        release["jobs"]["release"]["permissions"]["contents"],
        "write"
    );
    assert_eq!(release["jobs"]["build"]["permissions"]["contents"], "read");
}

#[test]
fn the_action_installs_a_verified_release_and_runs_a_command() {
    let action = parse("action.yml");
    assert_eq!(action["runs"]["using"], "composite");
    assert_eq!(action["inputs"]["version"]["required"], true);
    assert!(action["inputs"]["command"].is_object());
    let install = text_of(&action["runs"]["steps"][0]["run"]);
    assert!(install.contains("SHA256SUMS") && install.contains("sha256sum -c"));
    assert!(text_of(&action["runs"]["steps"][1]["run"]).contains("reckon $ARGS"));
}

#[test]
fn the_dockerfile_has_a_small_non_root_image_and_a_keeper_stage() {
    let text = std::fs::read_to_string(repo().join("Dockerfile")).expect("Dockerfile");
    let stages: Vec<&str> = text.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(
        stages,
        [
            "FROM rust:1.89-bookworm AS build",
            "FROM debian:bookworm-slim AS reckon",
            "FROM reckon AS keeper"
        ]
    );
    let users: Vec<&str> = text.lines().filter(|l| l.starts_with("USER ")).collect();
    assert_eq!(
        users.last(),
        Some(&"USER reckon"),
        "the images run as reckon"
    );
    assert!(text.contains("keepercommander==${KEEPERCOMMANDER_VERSION}"));
    let runtime = text.split("AS reckon").nth(1).expect("runtime stage");
    let runtime = runtime.split("AS keeper").next().expect("before keeper");
    assert!(!runtime.contains("cargo") && !runtime.contains("python"));
}

// --------------------------------------------------------------------------- --no-commands

/// The ConnectWise Keeper example reading its report by running `touch ran`: if the command
/// ran, the file `ran` appears in the workspace.
fn with_a_command() -> tempfile::TempDir {
    let ws = copy_of("examples/keeper-connectwise");
    let file = ws.path().join("integrations/keeper.yaml");
    let text = std::fs::read_to_string(&file).expect("integration");
    let text = text.replace(
        "path: reports/keeper-{period}.json",
        "command: [touch, ran]",
    );
    std::fs::write(&file, text).expect("write integration");
    ws
}

fn assert_denied(run: &crate::support::Run, ws: &Path) {
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!ws.join("ran").exists(), "the command ran");
    assert!(
        run.stderr.contains(
            "integrations/keeper.yaml:8:12: integration `keeper` reads usage by running a \
             program (`touch`), and running programs is denied here (--no-commands or \
             RECKON_DENY_COMMANDS=1); nothing was run"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("point `source.path:` at the file"),
        "{}",
        run.stderr
    );
}

#[test]
fn deny_commands_in_the_environment_refuses_a_command_source() {
    let ws = with_a_command();
    for args in [
        &["plan", "--period", "2026-10"][..],
        &["usage", "--period", "2026-10"][..],
    ] {
        let run = reckon_with_env(ws.path(), args, &[("RECKON_DENY_COMMANDS", "1")]);
        assert_denied(&run, ws.path());
    }
}

#[test]
fn no_commands_flag_refuses_a_command_source() {
    let ws = with_a_command();
    let run = reckon(ws.path(), &["plan", "--period", "2026-10", "--no-commands"]);
    assert_denied(&run, ws.path());
}

#[test]
fn without_the_deny_the_command_runs() {
    let ws = with_a_command();
    for env in [&[][..], &[("RECKON_DENY_COMMANDS", "0")][..]] {
        let _ = std::fs::remove_file(ws.path().join("ran"));
        let run = reckon_with_env(ws.path(), &["plan", "--period", "2026-10"], env);
        assert!(ws.path().join("ran").exists(), "{env:?}: {}", run.stderr);
    }
}
