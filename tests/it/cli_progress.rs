//! Progress on stderr, never on stdout: `apply`'s writes (in CI, no terminal: a line every few
//! seconds and always the last one) and the PSA requests per endpoint a `plan` makes (against
//! the Autotask simulator), in CI as lines and on a terminal (a pty from util-linux `script`)
//! as one line redrawn in place and cleared when done; ConnectWise and HaloPSA through the same
//! hook.

use std::path::Path;

use chrono::NaiveDate;

use crate::autotask::{ENV, bare_workspace};
use crate::sim::autotask::Sim;
use crate::support::{Run, copy_of, reckon, reckon_with_env};

/// The lines of `stderr` that start with `prefix`.
fn progress_lines<'a>(stderr: &'a str, prefix: &str) -> Vec<&'a str> {
    stderr.lines().filter(|l| l.starts_with(prefix)).collect()
}

#[test]
fn apply_reports_writes_done_of_the_total_on_stderr_only() {
    let ws = copy_of("examples/quickstart");
    let args = ["apply", "--period", "2026-10", "--auto-approve"];
    let every = reckon_with_env(ws.path(), &args, &[("RECKON_PROGRESS_SECONDS", "0")]);
    assert_eq!(every.code, 0, "{}", every.stderr);
    let lines = progress_lines(&every.stderr, "apply: ");
    assert_eq!(
        lines,
        [
            "apply: 1 of 4 written, 0 failed",
            "apply: 2 of 4 written, 0 failed",
            "apply: 3 of 4 written, 0 failed",
            "apply: 4 of 4 written, 0 failed",
        ],
        "{}",
        every.stderr
    );
    assert!(!every.stdout.contains("apply: "), "{}", every.stdout);

    let ws = copy_of("examples/quickstart");
    let default = reckon(ws.path(), &args);
    let lines = progress_lines(&default.stderr, "apply: ");
    // Every 5 s by default (four sandbox writes usually take less: one line), and always
    // the closing line.
    assert!(!lines.is_empty() && lines.len() <= 4, "{}", default.stderr);
    assert_eq!(lines.last(), Some(&"apply: 4 of 4 written, 0 failed"));
}

/// A workspace of `companies` companies against the Autotask simulator, each with a contract
/// and one Keeper line whose usage changes its quantity: several 500-row pages per entity.
fn many_companies(sim: &Sim, companies: usize) -> tempfile::TempDir {
    let ws = bare_workspace(sim);
    let service = sim.add_service("Business Plus");
    let mut csv = String::from("date,account_id,account_name,sku,quantity\n");
    for n in 0..companies {
        let name = format!("Client {n:04}");
        let company = sim.add_company(&name);
        let contract = sim.add_contract(company, &format!("{name} – Managed Services"));
        sim.add_line(contract, service, 4);
        csv.push_str(&format!(
            "2026-10-31,{},{name},Business Plus,5\n",
            10_000 + n
        ));
    }
    std::fs::write(ws.path().join("usage/keeper-2026-10.csv"), csv).expect("csv");
    let integration = format!(
        "vendor: keeper\nsource:\n  kind: csv\n  path: usage/keeper-{{period}}.csv\nbilling_model: end-of-period\naccounts:\n  auto_match: exact-name\nservices:\n  - {{vendor: Business Plus, psa: \"{service}\"}}\n"
    );
    std::fs::write(ws.path().join("integrations/keeper.yaml"), integration).expect("integration");
    ws
}

/// `reckon ARGS` with the simulator's credentials and `extra` variables.
fn against_sim(dir: &Path, args: &[&str], extra: &[(&str, &str)]) -> Run {
    let env: Vec<(&str, &str)> = ENV.iter().chain(extra).copied().collect();
    reckon_with_env(dir, args, &env)
}

/// The `reading autotask: …` progress lines of `stderr`.
fn reading_lines(stderr: &str) -> Vec<&str> {
    progress_lines(stderr, "reading autotask: ")
}

#[test]
fn plan_shows_the_psa_requests_per_endpoint_on_stderr_and_leaves_stdout_as_it_was() {
    let sim = Sim::start_with_periods(NaiveDate::from_ymd_opt(2026, 10, 1).expect("date"), 2);
    let ws = many_companies(&sim, 1001);
    let dir = ws.path();
    let every = [("RECKON_PROGRESS_SECONDS", "0")];
    for format in ["text", "json"] {
        let args = ["plan", "--period", "2026-10", "--format", format];
        let before = sim.total_requests();
        let shown = against_sim(dir, &args, &every);
        assert_eq!(shown.code, 0, "{}", shown.stderr);
        let used = sim.total_requests() - before;
        let lines = reading_lines(&shown.stderr);
        // One line per request, each one more than the last, the last as the closing count.
        assert_eq!(lines.len() as u64, used, "{}", shown.stderr);
        assert!(
            lines[0].starts_with("reading autotask: 1 request ("),
            "{}",
            lines[0]
        );
        assert!(
            lines.iter().any(|l| l.contains("Companies/query 3,")),
            "1,001 companies are 3 pages of 500: {}",
            shown.stderr
        );
        let last = lines.last().expect("a line");
        assert!(
            last.starts_with(&format!("reading autotask: {used} requests (")),
            "{last}"
        );
        assert!(
            shown
                .stderr
                .contains(&format!("PSA requests used: {used} (")),
            "{}",
            shown.stderr
        );
        assert!(
            !shown.stdout.contains("reading autotask"),
            "{}",
            shown.stdout
        );

        // Progress off (a periodic line only after 9,999 s): the same stdout, byte for byte.
        let quiet = against_sim(dir, &args, &[("RECKON_PROGRESS_SECONDS", "9999")]);
        assert_eq!(quiet.code, 0, "{}", quiet.stderr);
        assert!(reading_lines(&quiet.stderr).is_empty(), "{}", quiet.stderr);
        assert_eq!(quiet.stdout, shown.stdout, "--format {format}");
    }
}

#[test]
fn on_a_terminal_the_requests_line_is_redrawn_in_place_and_cleared_before_the_count() {
    let sim = Sim::start_with_periods(NaiveDate::from_ymd_opt(2026, 10, 1).expect("date"), 2);
    let ws = many_companies(&sim, 501);
    let dir = ws.path();
    // stderr on the pty `script` makes, stdout to a file: the redrawn mode.
    let terminal = plan_on_a_pty(dir, Some(&dir.join("plan.txt")));
    let clear = "\r\x1b[2K";
    assert!(
        terminal.contains(&format!("{clear}reading autotask: 1 request (")),
        "{terminal:?}"
    );
    let drawn: Vec<&str> = terminal
        .split(clear)
        .filter(|d| d.starts_with("reading autotask: "))
        .collect();
    assert!(
        drawn
            .iter()
            .any(|d| d.starts_with("reading autotask: 13 requests (")),
        "{terminal:?}"
    );
    // Redrawn in place: no progress line ever ends in a new line.
    assert!(
        drawn
            .iter()
            .all(|d| !d.contains('\n') && d.chars().count() < 80),
        "{drawn:?}"
    );
    // Cleared before what follows on stderr (the request count).
    let count = terminal.find("PSA requests used: ").expect("the count");
    assert!(terminal[..count].ends_with(clear), "{terminal:?}");
    let plan = std::fs::read_to_string(dir.join("plan.txt")).expect("stdout file");
    assert!(plan.contains("Plan: 0 to create, 501 to update"), "{plan}");
    assert!(!plan.contains("reading autotask"), "{plan}");
}

/// What the terminal showed of `reckon -C DIR plan --period 2026-10` run on a pty (util-linux
/// `script`, the shell replaced by reckon, `SHELL` pinned: CI's `/bin/sh` is dash), stdout to
/// `stdout_to` when given; asserts it exited 0.
fn plan_on_a_pty(dir: &std::path::Path, stdout_to: Option<&std::path::Path>) -> String {
    let reckon = env!("CARGO_BIN_EXE_reckon");
    let redirect = stdout_to.map_or(String::new(), |to| format!(" > '{}'", to.display()));
    let line = format!(
        "exec '{reckon}' -C '{}' plan --period 2026-10{redirect}",
        dir.display()
    );
    let mut command = std::process::Command::new("script");
    command
        .args(["-qec", &line, "/dev/null"])
        .env("SHELL", "/bin/sh")
        .env("NO_COLOR", "1")
        .env("HOSTNAME", "testhost")
        .env_remove("RECKON_LOG")
        .stdin(std::process::Stdio::null());
    for (key, value) in ENV {
        command.env(key, value);
    }
    let output = command.output().expect("script (util-linux) runs");
    let terminal = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(output.status.code(), Some(0), "{terminal}");
    terminal
}

/// `reckon plan` at a prompt: stdout and stderr are the same terminal. The reading line shows
/// there too, and is cleared before the plan is printed.
#[test]
fn at_a_prompt_the_requests_line_shows_and_is_cleared_before_the_plan() {
    let sim = Sim::start_with_periods(NaiveDate::from_ymd_opt(2026, 10, 1).expect("date"), 2);
    let ws = many_companies(&sim, 501);
    let dir = ws.path();
    let terminal = plan_on_a_pty(dir, None);
    let clear = "\r\x1b[2K";
    assert!(
        terminal.contains(&format!("{clear}reading autotask: 1 request (")),
        "{terminal:?}"
    );
    let plan = terminal
        .find("Plan: 0 to create, 501 to update")
        .expect("the plan");
    let last_drawn = terminal
        .rfind("reading autotask: ")
        .expect("a progress line");
    assert!(last_drawn < plan, "{terminal:?}");
    assert!(terminal[last_drawn..plan].contains(clear), "{terminal:?}");
}

/// Autotask applies in batched mode: every outcome comes after one confirming read, once all
/// writes are sent. The writes are counted as they are sent, so a long apply is not silent.
#[test]
fn a_batched_apply_counts_its_writes_as_they_are_sent_then_their_outcomes() {
    let sim = Sim::start();
    let ws = crate::autotask::keeper_autotask(&sim);
    let args = ["apply", "--period", "2026-10", "--auto-approve"];
    let apply = against_sim(ws.path(), &args, &[("RECKON_PROGRESS_SECONDS", "0")]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let lines = progress_lines(&apply.stderr, "apply: ");
    assert_eq!(
        lines,
        [
            "apply: 1 of 4 sent, outcomes after the confirming read",
            "apply: 2 of 4 sent, outcomes after the confirming read",
            "apply: 3 of 4 sent, outcomes after the confirming read",
            "apply: 4 of 4 sent, outcomes after the confirming read",
            "apply: 1 of 4 written, 0 failed",
            "apply: 2 of 4 written, 0 failed",
            "apply: 3 of 4 written, 0 failed",
            "apply: 4 of 4 written, 0 failed",
        ],
        "{}",
        apply.stderr
    );
    assert!(!apply.stdout.contains("apply: "), "{}", apply.stdout);
}

/// The one hook serves every adapter: ConnectWise and HaloPSA plans (against their simulators)
/// count their requests on stderr as Autotask's do, the last line matching the closing count.
#[test]
fn connectwise_and_halopsa_plans_show_their_requests_too() {
    use crate::connectwise::{KEYS, Reach, tenant, workspace as cw_workspace};
    use crate::halopsa::{CREDENTIALS, workspace as halo_workspace};
    let every = ("RECKON_PROGRESS_SECONDS", "0");
    let cw = crate::sim::connectwise::Simulator::start(tenant());
    let halo = crate::sim::halopsa::Simulator::start(crate::sim::halopsa::State::keeper_example());
    let runs = [
        ("connectwise", cw_workspace(&cw, Reach::BaseUrl), KEYS),
        ("halopsa", halo_workspace(&halo), CREDENTIALS),
    ];
    for (kind, ws, credentials) in runs {
        let env: Vec<(&str, &str)> = credentials.iter().copied().chain([every]).collect();
        let plan = reckon_with_env(ws.path(), &["plan", "--period", "2026-10"], &env);
        assert_eq!(plan.code, 0, "{}", plan.stderr);
        let prefix = format!("reading {kind}: ");
        let lines = progress_lines(&plan.stderr, &prefix);
        let used = plan
            .stderr
            .lines()
            .find_map(|l| l.strip_prefix("PSA requests used: "))
            .expect("the closing count");
        let (total, each) = used.split_once(' ').expect("total (each)");
        assert_eq!(lines.len().to_string(), total, "{}", plan.stderr);
        let last = lines
            .last()
            .expect("a line")
            .strip_prefix(&prefix)
            .expect("prefix");
        assert_eq!(
            last.split_once(' ')
                .map(|(n, rest)| (n, rest.split_once(' ').map(|r| r.1))),
            Some((total, Some(each))),
            "{kind}: {}",
            plan.stderr
        );
    }
}
