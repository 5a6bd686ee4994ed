//! Planner golden tests, omicron style: a [`Scenario`] (companies, contracts, lines, usage rows,
//! mappings) → the real `compute` → an insta snapshot of the rendered plan plus structured
//! asserts on what matters. Every finding kind, every action and every blocker appears here;
//! this is the place to add a billing case.

pub(crate) mod builder;
pub(crate) mod money;

use rust_decimal_macros::dec;

use self::builder::{Scenario, oct, rendered};
use super::{ActionKind, Approval, Blocker, FindingKind, Interrupted, PartialData, Plan, Severity};

/// The kinds of the plan's findings, in plan order.
fn kinds(plan: &Plan) -> Vec<(FindingKind, Severity)> {
    plan.findings.iter().map(|f| (f.kind, f.severity)).collect()
}

/// The plan's changes as (address, action, quantity).
fn actions(plan: &Plan) -> Vec<(&str, ActionKind, String)> {
    plan.changes
        .iter()
        .map(|c| (c.address.as_str(), c.action.kind(), c.quantity.to_string()))
        .collect()
}

/// Acme (company 1) with contract C-1: a line that is right, one that is wrong; usage for a
/// third service the contract has no line for.
fn acme() -> Scenario {
    Scenario::new()
        .company("1", "Acme")
        .service("BP")
        .service("TB")
        .service("CHAT")
        .contract("C-1", "1", &[("C-1-1", "BP", 10), ("C-1-2", "TB", 3)])
        .map_account("keeper", "100", "1", None)
        .map_service("keeper", "Business", "BP")
        .map_service("keeper", "Storage", "TB")
        .map_service("keeper", "Chat", "CHAT")
        .usage("keeper", ("100", "Acme Inc"), "Business", 10, 1..=31)
        .usage("keeper", ("100", "Acme Inc"), "Storage", 5, 1..=31)
        .usage("keeper", ("100", "Acme Inc"), "Chat", 2, 1..=31)
}

#[test]
fn every_action_update_create_and_no_op() {
    let plan = acme().policy(|p| p.create_missing_lines = true).plan();
    insta::assert_snapshot!("actions", rendered(&plan));
    assert_eq!(
        actions(&plan),
        vec![
            (
                "keeper/Acme Inc/Business → Acme/BP",
                ActionKind::NoOp,
                "10".into()
            ),
            (
                "keeper/Acme Inc/Chat → Acme/CHAT",
                ActionKind::Create,
                "2".into()
            ),
            (
                "keeper/Acme Inc/Storage → Acme/TB",
                ActionKind::Update,
                "5".into()
            ),
        ]
    );
    assert_eq!(plan.changes[2].line(), Some("C-1-2"));
    assert_eq!(plan.changes[2].current(), Some(dec!(3)));
    assert_eq!(plan.changes[1].line(), None);
    assert!(plan.findings.is_empty() && plan.blockers.is_empty());
    assert_eq!(plan.applicable().count(), 2);
}

#[test]
fn a_plan_without_findings_or_changes_says_contracts_match_usage() {
    let plan = Scenario::one_line(10, 10, 1..=31).plan();
    assert!(
        rendered(&plan).ends_with("No changes. Contracts match usage.\n"),
        "{}",
        rendered(&plan)
    );
}

#[test]
fn warnings_need_a_person_but_block_nothing() {
    let plan = acme()
        // A second account nobody mapped, a SKU nobody mapped, and a line nothing fed.
        .usage("keeper", ("200", "Bolt Ltd"), "Business", 4, 1..=31)
        .usage("keeper", ("100", "Acme Inc"), "Vault", 1, 1..=31)
        .company("3", "Cedar")
        .service("OLD")
        .contract("C-3", "3", &[("C-3-1", "BP", 6)])
        .plan();
    insta::assert_snapshot!("warnings", rendered(&plan));
    assert_eq!(
        kinds(&plan),
        vec![
            (FindingKind::UnmappedAccount, Severity::Warning),
            (FindingKind::UnmappedService, Severity::Warning),
            (FindingKind::MissingLine, Severity::Warning),
            (FindingKind::LineWithoutUsage, Severity::Warning),
        ]
    );
    assert!(!plan.has_errors());
    assert!(plan.blockers.is_empty(), "{:?}", plan.blockers);
    assert_eq!(
        plan.applicable().count(),
        1,
        "the Storage update still goes"
    );
    assert!(!rendered(&plan).contains("Contracts match usage"));
}

#[test]
fn warnings_alone_never_say_contracts_match_usage() {
    let plan = Scenario::one_line(10, 10, 1..=31)
        .usage("keeper", ("200", "Bolt"), "Business", 4, 1..=31)
        .plan();
    let text = rendered(&plan);
    assert!(text.ends_with("No changes. 1 warning.\n"), "{text}");
}

#[test]
fn a_mapping_to_nothing_is_an_error_that_blocks_only_its_integration() {
    let plan = acme()
        .integration("csv")
        .map_account("csv", "A-9", "99", None) // no company 99
        .map_service("csv", "seat", "BP")
        .usage("csv", ("A-9", "Gone Corp"), "seat", 3, 1..=31)
        .map_service("csv", "vault", "NOPE") // not in the catalogue
        .plan();
    insta::assert_snapshot!("company_and_service_not_found", rendered(&plan));
    assert_eq!(
        kinds(&plan),
        vec![
            (FindingKind::MissingLine, Severity::Warning),
            (FindingKind::CompanyNotFound, Severity::Error),
            (FindingKind::ServiceNotFound, Severity::Error),
        ]
    );
    assert_eq!(
        plan.blockers,
        vec![Blocker::Errors {
            integration: "csv".into(),
            findings: 2,
        }]
    );
    assert!(plan.has_errors());
    assert!(!plan.is_blocked("keeper"));
    assert_eq!(
        plan.applicable().count(),
        1,
        "keeper's update is not held up by csv"
    );
}

#[test]
fn errors_block_every_change_of_their_integration() {
    let plan = acme()
        .company("2", "Bolt")
        .map_account("keeper", "200", "2", Some("C-404"))
        .usage("keeper", ("200", "Bolt"), "Business", 4, 1..=31)
        .plan();
    insta::assert_snapshot!("contract_not_found_blocks", rendered(&plan));
    assert_eq!(
        kinds(&plan),
        vec![
            (FindingKind::MissingLine, Severity::Warning),
            (FindingKind::ContractNotFound, Severity::Error),
        ]
    );
    assert_eq!(plan.actions().count(), 1);
    assert_eq!(
        plan.applicable().count(),
        0,
        "Acme's update waits for Bolt's fix"
    );
    assert_eq!(plan.blocked().count(), 1);
    assert!(
        rendered(&plan).contains("1 blocked by errors."),
        "{}",
        rendered(&plan)
    );
}

#[test]
fn no_contract_and_ambiguous_contracts() {
    let plan = Scenario::new()
        .service("BP")
        .company("1", "Nocon")
        .company("2", "Twice")
        .company("3", "Double")
        .contract("C-2a", "2", &[("C-2a-1", "BP", 1)])
        .contract("C-2b", "2", &[("C-2b-1", "BP", 1)])
        .contract("C-3", "3", &[("C-3-1", "BP", 1), ("C-3-2", "BP", 1)])
        .map_service("keeper", "Business", "BP")
        .map_account("keeper", "100", "1", None)
        .map_account("keeper", "200", "2", None)
        .map_account("keeper", "300", "3", None)
        .usage("keeper", ("100", "Nocon"), "Business", 2, 1..=31)
        .usage("keeper", ("200", "Twice"), "Business", 2, 1..=31)
        .usage("keeper", ("300", "Double"), "Business", 2, 1..=31)
        .plan();
    insta::assert_snapshot!("contract_not_found_and_ambiguous", rendered(&plan));
    assert_eq!(
        kinds(&plan),
        vec![
            (FindingKind::ContractNotFound, Severity::Error),
            (FindingKind::AmbiguousContract, Severity::Error),
            (FindingKind::AmbiguousContract, Severity::Error),
        ]
    );
    assert!(plan.changes.is_empty());
}

#[test]
fn an_ambiguous_name_is_an_error() {
    let plan = Scenario::new()
        .service("BP")
        .company("1", "Acme")
        .company("2", "Acme")
        .exact_names("keeper")
        .map_service("keeper", "Business", "BP")
        .usage("keeper", ("100", "Acme"), "Business", 2, 1..=31)
        .plan();
    insta::assert_snapshot!("ambiguous_name", rendered(&plan));
    assert_eq!(
        kinds(&plan),
        vec![(FindingKind::AmbiguousName, Severity::Error)]
    );
    assert!(plan.is_blocked("keeper"));
}

#[test]
fn conflicting_sources_within_and_across_integrations() {
    let plan = acme()
        // A second vendor account of keeper also maps to Acme.
        .map_account("keeper", "101", "1", None)
        .usage("keeper", ("101", "Acme Branch"), "Business", 3, 1..=31)
        // csv bills Acme's TB line too.
        .integration("csv")
        .map_account("csv", "A-1", "1", None)
        .map_service("csv", "storage", "TB")
        .usage("csv", ("A-1", "Acme"), "storage", 7, 1..=31)
        .plan();
    insta::assert_snapshot!("conflicting_sources", rendered(&plan));
    assert_eq!(
        kinds(&plan),
        vec![
            (FindingKind::MissingLine, Severity::Warning),
            (FindingKind::ConflictingSources, Severity::Error),
            (FindingKind::ConflictingSources, Severity::Error),
        ]
    );
    assert!(
        plan.changes.iter().all(|c| c.psa_service != "TB"),
        "neither source's TB quantity is planned"
    );
    assert_eq!(
        plan.blockers,
        vec![
            Blocker::Errors {
                integration: "csv".into(),
                findings: 1,
            },
            Blocker::Errors {
                integration: "keeper".into(),
                findings: 2,
            },
        ],
        "both integrations of the cross-integration conflict are blocked"
    );
}

#[test]
fn fail_on_makes_a_warning_an_error() {
    let plan = acme()
        .policy(|p| {
            p.fail_on.insert(FindingKind::MissingLine);
        })
        .plan();
    assert_eq!(
        kinds(&plan),
        vec![(FindingKind::MissingLine, Severity::Error)]
    );
    assert!(plan.is_blocked("keeper"));
    assert_eq!(plan.applicable().count(), 0);
}

#[test]
fn a_truncated_month_is_partial_data_but_a_cancelled_customer_is_not() {
    let cancelled = acme()
        .usage("keeper", ("300", "Quit Co"), "Business", 9, 1..=3)
        .plan();
    assert!(
        cancelled.partial_data().next().is_none(),
        "{:?}",
        cancelled.blockers
    );

    let truncated = Scenario::one_line(10, 12, 1..=3).plan();
    insta::assert_snapshot!("truncated_month", rendered(&truncated));
    assert_eq!(
        truncated.blockers,
        vec![Blocker::PartialData(PartialData {
            integration: "keeper".into(),
            last_day: Some(oct(3)),
            period_end: oct(31),
            period_open: false,
        })]
    );
}

#[test]
fn a_period_still_running_is_partial_data() {
    let plan = acme().today(oct(31)).plan();
    assert!(
        plan.partial_data().next().is_some_and(|p| p.period_open),
        "{:?}",
        plan.blockers
    );
}

#[test]
fn zeroing_every_line_and_holding_every_change_are_blockers() {
    let zero = Scenario::one_line(10, 0, 1..=31).plan();
    insta::assert_snapshot!("zeroes_every_line", rendered(&zero));
    assert!(zero.zeroes_every_line());
    assert!(
        zero.all_held(),
        "a decrease to zero needs approval by default"
    );
    assert_eq!(
        zero.blockers,
        vec![Blocker::ZeroesEveryLine, Blocker::AllHeld { held: 1 }]
    );
}

#[test]
fn thresholds_sanity_bounds_and_grants() {
    let address = "keeper/Acme Inc/Storage → Acme/TB";
    let held = acme()
        .usage("keeper", ("100", "Acme Inc"), "Storage", 200_000, 31..=31)
        .plan();
    let storage = held
        .changes
        .iter()
        .find(|c| c.address == address)
        .expect("storage");
    let Approval::Needed(reasons) = &storage.approval else {
        panic!("held: {:?}", storage.approval);
    };
    assert!(
        reasons[0].contains("exceeds policy.max_quantity 100000"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].contains("exceeds policy.max_quantity_change 10000"),
        "{reasons:?}"
    );
    insta::assert_snapshot!("sanity_bounds", rendered(&held));

    let approved = acme()
        .usage("keeper", ("100", "Acme Inc"), "Storage", 200_000, 31..=31)
        .grant(address, 200_005)
        .plan();
    let storage = approved
        .changes
        .iter()
        .find(|c| c.address == address)
        .expect("storage");
    assert!(
        matches!(&storage.approval, Approval::Approved { by, .. } if by == "approvals.yaml:2"),
        "{:?}",
        storage.approval
    );
    let wrong_quantity = acme()
        .usage("keeper", ("100", "Acme Inc"), "Storage", 200_000, 31..=31)
        .grant(address, 200_000)
        .plan();
    assert!(
        wrong_quantity.all_held(),
        "a grant never covers another quantity"
    );
}

#[test]
fn interrupted_writes_are_an_input_shown_with_the_plan() {
    let plan = acme()
        .interrupted(Interrupted {
            address: "keeper/Acme Inc/Storage → Acme/TB".into(),
            contract: "C-1".into(),
            line: Some("C-1-2".into()),
            before: Some(dec!(3)),
            after: dec!(5),
            found: Some(dec!(3)),
            time: "2026-11-01T09:00:00Z".into(),
        })
        .plan();
    assert_eq!(plan.interrupted.len(), 1);
    assert!(
        rendered(&plan).contains("Warning: apply interrupted: outcome unknown"),
        "{}",
        rendered(&plan)
    );
}

#[test]
fn a_line_without_a_quantity_and_a_bundled_service_are_warnings_never_writes() {
    // Acme's TB line has no units row on the effective date; CHAT is billed inside a bundle.
    let plan = acme()
        .quantity_unknown("C-1-2", "no units row covers 2026-11-01")
        .bundled("C-1", "CHAT", "bundle 7")
        .policy(|p| p.create_missing_lines = true)
        .plan();
    insta::assert_snapshot!("quantity_unknown_and_bundled", rendered(&plan));
    assert_eq!(
        kinds(&plan),
        vec![
            (FindingKind::QuantityUnknown, Severity::Warning),
            (FindingKind::BundledService, Severity::Warning),
        ]
    );
    // Only the line that holds a quantity is planned: nothing computed from 0, no second line.
    assert_eq!(
        actions(&plan),
        vec![(
            "keeper/Acme Inc/Business → Acme/BP",
            ActionKind::NoOp,
            "10".into()
        )]
    );
}
