//! Autotask "in force on the effective date", through the reckon binary against the simulator:
//! an expired contract (still `status` 1) beside its renewal is not ambiguous, a contract that
//! starts next year is not written to, a line with no ContractServiceUnits row on the effective
//! date is a finding with its ids (never a write computed from 0), a service billed inside a
//! Service Bundle is never added again as a standalone line, and the picklist values filtered by
//! are read from the tenant once and cached in `.reckon/`.

use std::path::Path;

use chrono::NaiveDate;
use serde_json::Value;

use crate::autotask::{bare_workspace, run};
use crate::sim::autotask::Sim;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// The effective date of period 2026-10 (`next-month-start`).
fn effective() -> NaiveDate {
    date(2026, 11, 1)
}

/// A simulator whose unit periods run monthly from 2025-09 to 2027-12.
fn sim() -> Sim {
    Sim::start_with_periods(date(2025, 9, 1), 28)
}

/// A workspace pointed at `sim` billing `company`'s usage of `units` Business Plus seats (end
/// of October) to Service `service`, matched by exact name.
fn workspace(
    sim: &Sim,
    company: &str,
    service: i64,
    units: u32,
    create_missing: bool,
) -> tempfile::TempDir {
    let ws = bare_workspace(sim);
    let dir = ws.path();
    std::fs::write(
        dir.join("usage/keeper-2026-10.csv"),
        format!("date,account_id,account_name,sku,quantity\n2026-10-31,3862,{company},Business Plus,{units}\n"),
    )
    .expect("usage");
    std::fs::write(
        dir.join("integrations/keeper.yaml"),
        format!(
            "vendor: keeper\nsource:\n  kind: csv\n  path: usage/keeper-{{period}}.csv\nbilling_model: end-of-period\naccounts:\n  auto_match: exact-name\nservices:\n  - {{vendor: Business Plus, psa: \"{service}\"}}\n"
        ),
    )
    .expect("integration");
    if create_missing {
        let path = dir.join("reckon.yaml");
        let yaml = std::fs::read_to_string(&path).expect("reckon.yaml");
        let yaml = yaml.replace("create_missing_lines: false", "create_missing_lines: true");
        std::fs::write(path, yaml).expect("reckon.yaml");
    }
    ws
}

/// `plan --format json` for 2026-10.
fn plan_json(dir: &Path) -> Value {
    let plan = run(dir, &["plan", "--period", "2026-10", "--format", "json"]);
    serde_json::from_str(&plan.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", plan.stdout, plan.stderr))
}

fn kinds(plan: &Value) -> Vec<&str> {
    plan["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["kind"].as_str().expect("kind"))
        .collect()
}

fn apply(dir: &Path) -> crate::support::Run {
    run(dir, &["apply", "--period", "2026-10", "--auto-approve"])
}

fn assert_no_changes(plan: &Value) {
    let changes = plan["changes"].as_array().map(Vec::len);
    assert_eq!(changes, Some(0), "{plan:#}");
}

/// `apply --auto-approve` adjusts no line (whatever it reports for the findings).
fn apply_writes_nothing(dir: &Path, sim: &Sim) {
    apply(dir);
    assert!(sim.adjustments().is_empty(), "{:?}", sim.adjustments());
}

#[test]
fn an_expired_contract_beside_its_renewal_is_not_ambiguous() {
    let sim = sim();
    let company = sim.add_company("Acme Dental");
    let service = sim.add_service("Keeper Business Plus");
    // Both still say status 1: Autotask never clears the flag when a contract ends.
    let expired = sim.add_contract_dated(
        company,
        "Acme 2025/26",
        date(2025, 11, 1),
        date(2026, 10, 31),
    );
    let renewal = sim.add_contract_dated(
        company,
        "Acme 2026/27",
        date(2026, 11, 1),
        date(2027, 10, 31),
    );
    let old_line = sim.add_line(expired, service, 10);
    let new_line = sim.add_line(renewal, service, 10);
    let ws = workspace(&sim, "Acme Dental", service, 12, false);
    let dir = ws.path();

    let plan = plan_json(dir);
    assert!(!kinds(&plan).contains(&"ambiguous-contract"), "{plan:#}");
    let changes = plan["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 1, "{plan:#}");
    assert_eq!(changes[0]["contract"], renewal.to_string());
    assert_eq!(changes[0]["line"], new_line.to_string());
    assert_eq!(
        (
            changes[0]["current"].as_str(),
            changes[0]["quantity"].as_str()
        ),
        (Some("10"), Some("12"))
    );
    let exit = run(dir, &["plan", "--period", "2026-10", "--detailed-exitcode"]);
    assert_eq!(exit.code, 2, "{}\n{}", exit.stdout, exit.stderr);

    let applied = apply(dir);
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);
    assert_eq!(sim.units(new_line, effective()), 12);
    assert_eq!(
        sim.units(old_line, date(2026, 10, 15)),
        10,
        "the expired contract is not touched"
    );
    assert_eq!(sim.adjustments().len(), 1);
}

#[test]
fn a_contract_that_starts_next_year_is_not_written_to() {
    let sim = sim();
    let company = sim.add_company("Birch Dental");
    let service = sim.add_service("Keeper Business Plus");
    let next_year =
        sim.add_contract_dated(company, "Birch 2027", date(2027, 1, 1), date(2027, 12, 31));
    let line = sim.add_line(next_year, service, 0);
    let ws = workspace(&sim, "Birch Dental", service, 4, false);
    let dir = ws.path();

    let plan = plan_json(dir);
    assert_no_changes(&plan);
    assert_eq!(kinds(&plan), ["contract-not-found"], "{plan:#}");
    let text = run(dir, &["plan", "--period", "2026-10"]);
    assert!(!text.stdout.contains("0 → 4"), "{}", text.stdout);
    assert!(
        text.stdout
            .contains("Birch Dental has no active recurring contract"),
        "{}",
        text.stdout
    );

    apply_writes_nothing(dir, &sim);
    assert_eq!(sim.units(line, date(2027, 1, 1)), 0);
}

#[test]
fn a_line_without_a_units_row_on_the_effective_date_is_a_finding_never_a_write_from_zero() {
    let sim = sim();
    let company = sim.add_company("Cedar Law LLP");
    let service = sim.add_service("Keeper Business Plus");
    let contract = sim.add_contract(company, "Cedar – Managed Services");
    // The service was put on the contract from December: no units row covers November 1.
    let line = sim.add_line_from(contract, service, 5, date(2026, 12, 1));
    let ws = workspace(&sim, "Cedar Law LLP", service, 7, false);
    let dir = ws.path();

    let plan = plan_json(dir);
    assert_no_changes(&plan);
    let findings = plan["findings"].as_array().expect("findings");
    assert_eq!(kinds(&plan), ["quantity-unknown"], "{plan:#}");
    let finding = &findings[0];
    assert_eq!(finding["contract"], contract.to_string());
    assert_eq!(finding["line"], line.to_string());
    assert_eq!(finding["psa_service"], service.to_string());
    let message = finding["message"].as_str().expect("message");
    assert!(
        message.contains(&format!("contract {contract} line {line}"))
            && message.contains("no ContractServiceUnits row")
            && message.contains("2026-11-01"),
        "{message}"
    );

    apply_writes_nothing(dir, &sim);
    assert_eq!(sim.units(line, date(2026, 12, 1)), 5);
}

#[test]
fn a_service_inside_a_bundle_is_never_added_again_as_a_standalone_line() {
    let sim = sim();
    let company = sim.add_company("Delta Dental Group");
    let service = sim.add_service("Keeper Business Plus");
    let contract = sim.add_contract(company, "Delta – Managed Services");
    let bundle = sim.add_bundle(contract, 12, &[service]);
    let ws = workspace(&sim, "Delta Dental Group", service, 9, true);
    let dir = ws.path();

    let plan = plan_json(dir);
    assert_no_changes(&plan);
    assert_eq!(kinds(&plan), ["bundled-service"], "{plan:#}");
    let message = plan["findings"][0]["message"].as_str().expect("message");
    assert!(
        message.contains(&format!(
            "Service Bundle 12 (contract service bundle {bundle})"
        )),
        "{message}"
    );

    apply(dir);
    assert!(
        sim.lines_of(contract).is_empty(),
        "{:?}",
        sim.lines_of(contract)
    );
    assert!(sim.adjustments().is_empty());
}

#[test]
fn picklist_values_are_read_from_the_tenant_once_and_cached_in_the_state_folder() {
    let sim = sim();
    let company = sim.add_company("Acme Dental");
    let service = sim.add_service("Keeper Business Plus");
    let contract = sim.add_contract(company, "Acme – Managed Services");
    let line = sim.add_line(contract, service, 10);
    // A tenant whose active contracts carry status 2: only its picklist says so.
    sim.set_picklist("Contracts", "status", &[("1", "Inactive"), ("2", "Active")]);
    sim.set_all("Contracts", "status", Value::from(2));
    let ws = workspace(&sim, "Acme Dental", service, 12, false);
    let dir = ws.path();

    let plan = plan_json(dir);
    let changes = plan["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 1, "{plan:#}");
    assert_eq!(changes[0]["line"], line.to_string());
    let fields = |sim: &Sim| -> u64 {
        sim.requests()
            .iter()
            .filter(|(endpoint, _)| endpoint.ends_with("entityInformation/fields"))
            .map(|(_, n)| n)
            .sum()
    };
    assert_eq!(fields(&sim), 2);
    let cache = dir.join(".reckon/autotask-picklists.json");
    let cached: Value = serde_json::from_str(&std::fs::read_to_string(&cache).expect("cache"))
        .expect("cache is JSON");
    assert_eq!(cached["active"], 2, "{cached:#}");

    let again = run(dir, &["plan", "--period", "2026-10", "--detailed-exitcode"]);
    assert_eq!(again.code, 2, "{}\n{}", again.stdout, again.stderr);
    assert_eq!(fields(&sim), 2, "the second plan reads the cache");
    assert!(
        !again.stderr.contains("entityInformation"),
        "{}",
        again.stderr
    );
}

#[test]
fn a_tenant_without_the_recurring_service_label_is_refused_with_its_values() {
    let sim = sim();
    sim.add_company("Acme Dental");
    let service = sim.add_service("Keeper Business Plus");
    sim.set_picklist(
        "Contracts",
        "contractType",
        &[("1", "Time and Materials"), ("7", "Recurrent")],
    );
    let ws = workspace(&sim, "Acme Dental", service, 12, false);
    let dir = ws.path();

    let plan = run(dir, &["plan", "--period", "2026-10"]);
    assert_eq!(plan.code, 1, "{}\n{}", plan.stdout, plan.stderr);
    assert!(
        plan.stderr.contains(
            "Contracts.contractType picklist has no value labelled \"Recurring Service\""
        ) && plan.stderr.contains("1 Time and Materials, 7 Recurrent"),
        "{}",
        plan.stderr
    );
    assert!(!dir.join(".reckon/autotask-picklists.json").exists());
}
