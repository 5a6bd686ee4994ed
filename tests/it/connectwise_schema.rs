//! ConnectWise per its published schema and RFC 8288, through the real binary against the
//! simulator (issue 14): paging that must not stop silently, null quantities read as 0 (in a
//! bundle and in a direct read), and created additions priced from the catalog.

use serde_json::Value;

use crate::connectwise::{
    Reach, SCALED_PRODUCTS, assert_converged, quantity, run, scaled_workspace, tenant, workspace,
};
use crate::sim::connectwise::{Simulator, State};
use crate::support::repo;

/// Kinds of the findings of a JSON plan.
fn finding_kinds(plan: &Value) -> Vec<String> {
    plan["findings"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|f| f["kind"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// 1,001 customers: the companies list takes two pages, and the simulator's `Link` to the
/// second carries `fields=id,name` with its comma raw. Every customer must be found.
#[test]
fn a_next_link_with_a_raw_comma_in_its_query_is_followed() {
    let sim = Simulator::start(State::scaled(1001, &SCALED_PRODUCTS));
    let ws = scaled_workspace(&sim, 1001);
    let plan = run(ws.path(), &["plan", "--format", "json"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let json: Value = serde_json::from_str(&plan.stdout).expect("JSON plan");
    let kinds = finding_kinds(&json);
    assert!(
        !kinds.iter().any(|k| k == "company-not-found"),
        "customers beyond the first page were lost: {} findings",
        kinds.len()
    );
    assert_eq!(sim.state().count("GET company/companies"), 2);
    let second = sim
        .state()
        .requests
        .iter()
        .filter(|r| r.path == "company/companies")
        .nth(1)
        .map(|r| r.query.clone())
        .expect("a second page was read");
    assert!(second.contains("page=2"), "{second}");
}

/// A full page whose `Link` names no next page (a lost link) is an error, not the end.
#[test]
fn a_full_page_without_a_next_link_fails_the_plan() {
    let mut state = State::scaled(1001, &SCALED_PRODUCTS);
    state.drop_next_links = true;
    let sim = Simulator::start(state);
    let ws = scaled_workspace(&sim, 1001);
    let plan = run(ws.path(), &["plan"]);
    assert_eq!(plan.code, 1, "{}\n{}", plan.stdout, plan.stderr);
    assert!(
        plan.stderr.contains(
            "page 1 was full (1000 rows) but its Link header named no next page, and page 2 \
             has 1 more rows: the list cannot be read completely"
        ),
        "{}",
        plan.stderr
    );
    // Companies and agreements (1,001 each) are read at once: whichever list fails first is named.
    assert!(
        plan.stderr.contains("cannot read the companies")
            || plan.stderr.contains("cannot read the agreements"),
        "{}",
        plan.stderr
    );
}

/// Exactly 1,000 customers: the full first page has no next link because there is no next
/// page; one more read (empty) confirms it and the plan goes on.
#[test]
fn a_list_ending_on_a_page_boundary_is_confirmed_by_one_more_read() {
    let sim = Simulator::start(State::scaled(1000, &SCALED_PRODUCTS));
    let ws = scaled_workspace(&sim, 1000);
    let plan = run(ws.path(), &["plan", "--format", "json"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert_eq!(sim.state().count("GET company/companies"), 2);
    let json: Value = serde_json::from_str(&plan.stdout).expect("JSON plan");
    assert!(
        !finding_kinds(&json)
            .iter()
            .any(|k| k == "company-not-found"),
        "{}",
        json["findings"]
    );
}

/// The fixture tenant with addition 3021 (Cedar Law, KEEPER-BP, 0) holding `quantity: null`.
fn tenant_with_null_quantity() -> State {
    let mut state = tenant();
    let at = state
        .additions
        .iter()
        .position(|a| a.id == 3021)
        .expect("addition 3021");
    state.additions[at].quantity = Value::Null;
    state
}

/// The plan text pinned for the fixture tenant, where 3021 holds 0.
fn pinned_plan() -> String {
    std::fs::read_to_string(
        repo().join("tests/it/snapshots/it__connectwise__connectwise_plan_text.snap"),
    )
    .expect("snapshot")
}

/// `quantity: null` read in a bundle: planned as 0 (`0 → 7.23`), the same plan as with 0; then
/// apply reads the addition directly (null again), finds the 0 it expected and writes.
#[test]
fn a_null_quantity_in_a_bundle_reads_as_zero_and_is_applied() {
    let sim = Simulator::start(tenant_with_null_quantity());
    let ws = workspace(&sim, Reach::BaseUrl);
    let plan = run(ws.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}\n{}", plan.stdout, plan.stderr);
    assert!(sim.state().count("POST system/bundles") >= 1);
    assert!(
        pinned_plan().ends_with(&plan.stdout),
        "same plan as with 0:\n{}",
        plan.stdout
    );
    let apply = run(ws.path(), &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let patched = sim
        .state()
        .patches
        .iter()
        .find(|p| p.addition == 3021)
        .cloned();
    let patched = patched.expect("3021 written");
    assert_eq!(
        (patched.from, patched.to.to_string()),
        (Value::Null, "7.23".into())
    );
    assert_converged(&sim, ws.path());
}

/// `quantity: null` read directly (`GET finance/agreements/{id}/additions`, no bundles).
#[test]
fn a_null_quantity_in_a_direct_read_reads_as_zero() {
    let mut state = tenant_with_null_quantity();
    state.bundles = false;
    let sim = Simulator::start(state);
    let ws = workspace(&sim, Reach::BaseUrl);
    let plan = run(ws.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}\n{}", plan.stdout, plan.stderr);
    assert!(sim.state().count("GET finance/agreements/302/additions") == 1);
    assert!(
        pinned_plan().ends_with(&plan.stdout),
        "same plan as with 0:\n{}",
        plan.stdout
    );
}

/// The addition apply creates (KEEPER-CHAT on agreement 301) carries the catalog's price.
#[test]
fn a_created_addition_carries_the_catalog_price() {
    let mut state = tenant();
    state.price("KEEPER-CHAT", serde_json::json!(3.25));
    let sim = Simulator::start(state);
    let ws = workspace(&sim, Reach::BaseUrl);
    let apply = run(ws.path(), &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let state = sim.state();
    let created = state
        .additions
        .iter()
        .find(|a| a.product == "KEEPER-CHAT")
        .expect("created");
    assert_eq!(created.unit_price.to_string(), "3.25");
}

/// A catalog item without a price gets no addition (it would bill nothing): the create fails
/// with the reason, the other changes are applied, and nothing is posted.
#[test]
fn a_catalog_item_without_a_price_is_not_added() {
    let mut state = tenant();
    state.price("KEEPER-CHAT", Value::Null);
    let sim = Simulator::start(state);
    let ws = workspace(&sim, Reach::BaseUrl);
    let apply = run(ws.path(), &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 1, "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        apply
            .stdout
            .contains("catalog item KEEPER-CHAT has no price, so the addition would bill nothing"),
        "{}",
        apply.stdout
    );
    assert_eq!(
        sim.state().count("POST finance/agreements/301/additions"),
        0
    );
    assert_eq!(quantity(&sim, 3001), "12", "the updates went ahead");
}
