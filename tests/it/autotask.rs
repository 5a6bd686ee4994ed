//! `psa.kind: autotask` end to end: the reckon binary against the Autotask simulator — plan →
//! apply → plan converges, a dropped connection after a committed write does not double count,
//! `check` reports each step, the request count of a 1,000-company plan is at the page minimum,
//! and no credential ever appears in any output.

use std::path::Path;

use chrono::NaiveDate;

use crate::sim::autotask::{
    Fault, INTEGRATION_CODE, QuickstartLines, SECRET, Sim, USERNAME, keeper_quickstart,
};
use crate::support::{Run, copy_of, reckon_with_env};

const ENV: &[(&str, &str)] = &[
    ("AUTOTASK_USERNAME", USERNAME),
    ("AUTOTASK_SECRET", SECRET),
    ("AUTOTASK_INTEGRATION_CODE", INTEGRATION_CODE),
];

/// The base URL examples/keeper-autotask names (where `cargo run --example autotask_sim` listens).
const EXAMPLE_BASE_URL: &str = "http://127.0.0.1:8765/ATServicesRest";

fn effective() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).expect("date")
}

fn run(dir: &Path, args: &[&str]) -> Run {
    let run = reckon_with_env(dir, args, ENV);
    for credential in [SECRET, INTEGRATION_CODE, USERNAME] {
        assert!(
            !run.stdout.contains(credential) && !run.stderr.contains(credential),
            "a credential leaked from {args:?}:\n{}\n{}",
            run.stdout,
            run.stderr
        );
    }
    run
}

fn write_reckon_yaml(dir: &Path, sim: &Sim) {
    let yaml = format!(
        "psa:\n  kind: autotask\n  username: {{ env: AUTOTASK_USERNAME }}\n  secret: {{ env: AUTOTASK_SECRET }}\n  integration_code: {{ env: AUTOTASK_INTEGRATION_CODE }}\n  base_url: {}\nbilling:\n  effective_date: next-month-start\nrounding:\n  mode: nearest\npolicy:\n  create_missing_lines: false\n",
        sim.base_url()
    );
    std::fs::write(dir.join("reckon.yaml"), yaml).expect("write reckon.yaml");
}

/// examples/keeper-autotask in a temp dir, pointed at `sim`, which holds its PSA.
fn keeper_autotask(sim: &Sim) -> (tempfile::TempDir, QuickstartLines) {
    let ws = copy_of("examples/keeper-autotask");
    let yaml = std::fs::read_to_string(ws.path().join("reckon.yaml")).expect("reckon.yaml");
    let pointed = yaml.replace(EXAMPLE_BASE_URL, &sim.base_url());
    assert_ne!(yaml, pointed, "the example names {EXAMPLE_BASE_URL}");
    std::fs::write(ws.path().join("reckon.yaml"), pointed).expect("write reckon.yaml");
    let lines = keeper_quickstart(sim);
    (ws, lines)
}

#[test]
fn plan_apply_plan_converges_against_the_simulator() {
    let sim = Sim::start();
    let (ws, lines) = keeper_autotask(&sim);
    let dir = ws.path();

    let plan = run(dir, &["plan", "--period", "2026-10", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}\n{}", plan.stdout, plan.stderr);
    insta::assert_snapshot!("autotask_plan_text", plan.stdout);
    assert!(
        plan.stderr.contains("PSA requests used: 5 ("),
        "{}",
        plan.stderr
    );

    let apply = run(dir, &["apply", "--period", "2026-10", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        apply.stdout.contains("Apply complete: 4 applied."),
        "{}",
        apply.stdout
    );

    let again = run(dir, &["plan", "--period", "2026-10", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);

    let at = effective();
    assert_eq!(sim.units(lines.acme_bp, at), 12);
    assert_eq!(sim.units(lines.acme_1tb, at), 10);
    assert_eq!(sim.units(lines.cedar_bp, at), 7);
    assert_eq!(sim.units(lines.delta_bp, at), 19);
    // October keeps its units: the change starts on the effective date.
    let october = NaiveDate::from_ymd_opt(2026, 10, 15).expect("date");
    assert_eq!(sim.units(lines.acme_bp, october), 10);
    let changes: Vec<i64> = sim
        .adjustments()
        .iter()
        .map(|a| a["unitChange"].as_i64().expect("integer unitChange"))
        .collect();
    assert_eq!(changes.iter().map(|c| c.abs()).sum::<i64>(), 2 + 2 + 7 + 1);
    assert_eq!(changes.len(), 4);
}

#[test]
fn a_connection_dropped_after_a_committed_write_is_not_applied_twice() {
    let sim = Sim::start();
    let (ws, lines) = keeper_autotask(&sim);
    let dir = ws.path();
    sim.inject("ContractServiceAdjustments", Fault::DropAfterCommit);
    sim.inject("ContractServiceAdjustments", Fault::ServerError);

    let apply = run(dir, &["apply", "--period", "2026-10", "--auto-approve"]);
    // The dropped write is confirmed by re-reading; the 500 (nothing committed) is reported.
    assert_eq!(apply.code, 1, "{}\n{}", apply.stdout, apply.stderr);
    assert!(apply.stdout.contains("3 applied"), "{}", apply.stdout);
    assert!(apply.stdout.contains("HTTP 500"), "{}", apply.stdout);

    let rerun = run(dir, &["apply", "--period", "2026-10", "--auto-approve"]);
    assert_eq!(rerun.code, 0, "{}\n{}", rerun.stdout, rerun.stderr);
    let again = run(dir, &["plan", "--period", "2026-10", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);

    let at = effective();
    assert_eq!(sim.units(lines.acme_bp, at), 12);
    assert_eq!(sim.units(lines.acme_1tb, at), 10);
    assert_eq!(sim.units(lines.cedar_bp, at), 7);
    assert_eq!(sim.units(lines.delta_bp, at), 19);
    assert_eq!(
        sim.adjustments().len(),
        4,
        "one committed adjustment per line"
    );
}

#[test]
fn check_reports_each_step_and_names_the_credentials_on_401() {
    let sim = Sim::start();
    sim.add_company("Acme Dental");
    let ws = copy_of("examples/quickstart");
    write_reckon_yaml(ws.path(), &sim);

    let ok = run(ws.path(), &["check"]);
    assert_eq!(ok.code, 0, "{}\n{}", ok.stdout, ok.stderr);
    let base = sim.base_url();
    let shown = ok.stdout.replace(&base, "[sim]");
    insta::assert_snapshot!("autotask_check_ok", shown);

    let wrong = reckon_with_env(
        ws.path(),
        &["check"],
        &[
            ("AUTOTASK_USERNAME", USERNAME),
            ("AUTOTASK_SECRET", "not-the-secret"),
            ("AUTOTASK_INTEGRATION_CODE", INTEGRATION_CODE),
        ],
    );
    assert_eq!(wrong.code, 1, "{}\n{}", wrong.stdout, wrong.stderr);
    assert!(
        wrong.stdout.contains("HTTP 401")
            && wrong.stdout.contains("psa.secret")
            && !wrong.stdout.contains("not-the-secret"),
        "{}",
        wrong.stdout
    );
}

#[test]
fn a_thousand_companies_plan_within_ten_percent_of_the_page_minimum() {
    let sim = Sim::start_with_periods(NaiveDate::from_ymd_opt(2026, 10, 1).expect("date"), 2);
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    write_reckon_yaml(dir, &sim);
    std::fs::remove_dir_all(dir.join("sandbox")).expect("no sandbox");
    let skus = ["Business Plus", "1TB", "KeeperChat"];
    let services: Vec<i64> = skus.iter().map(|s| sim.add_service(s)).collect();
    let mut csv = String::from("date,account_id,account_name,sku,quantity\n");
    for n in 0..1000 {
        let name = format!("Client {n:04}");
        let company = sim.add_company(&name);
        let contract = sim.add_contract(company, &format!("{name} – Managed Services"));
        for (sku, service) in skus.iter().zip(&services) {
            sim.add_line(contract, *service, 4);
            csv.push_str(&format!("2026-10-31,{},{name},{sku},4\n", 10_000 + n));
        }
    }
    std::fs::write(dir.join("usage/keeper-2026-10.csv"), csv).expect("csv");
    let integration = format!(
        "vendor: keeper\nsource:\n  kind: csv\n  path: usage/keeper-{{period}}.csv\nbilling_model: end-of-period\naccounts:\n  auto_match: exact-name\nservices:\n  - {{vendor: Business Plus, psa: \"{}\"}}\n  - {{vendor: 1TB, psa: \"{}\"}}\n  - {{vendor: KeeperChat, psa: \"{}\"}}\n",
        services[0], services[1], services[2]
    );
    std::fs::write(dir.join("integrations/keeper.yaml"), integration).expect("integration");

    let plan = run(dir, &["plan", "--period", "2026-10", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);

    // Minimum: every entity read once, in pages of 500 —
    // Companies ⌈1000/500⌉ + Services ⌈3/500⌉ + Contracts ⌈1000/500⌉
    // + ContractServices ⌈3000/500⌉ + ContractServiceUnits covering the date ⌈3000/500⌉ = 17.
    let pages = |rows: u64| rows.div_ceil(500);
    let minimum = pages(1000) + pages(3) + pages(1000) + pages(3000) + pages(3000);
    assert_eq!(minimum, 17);
    let used = sim.total_requests();
    assert!(
        used * 10 <= minimum * 11,
        "{used} requests for a minimum of {minimum}: {:?}",
        sim.requests()
    );
    assert!(
        plan.stderr
            .contains(&format!("PSA requests used: {used} (")),
        "{}",
        plan.stderr
    );
    eprintln!("1,000 companies × 3 lines: {used} requests (minimum {minimum})");
}
