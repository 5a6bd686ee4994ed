//! Planner golden tests for money: revenue before and after each change, vendor cost and
//! margin, unmapped usage priced at the vendor's cost, and the price findings — on awkward
//! numbers (a 7.2258 daily average at $3.75, storage rounded up, a product with no rate).

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::builder::{Scenario, rendered};
use crate::plan::{FindingKind, Plan};
use crate::usage::{BillingModel, RoundingMode};

/// Acme on contract C-1 (daily-average, USD): Business 7.2258 at $3.75 from the vendor on a
/// $4.50 line; 1TB 7.1935 rounded up at $1.25 on a $1.00 line (below cost); Chat with no rate
/// on a $2.00 line the price list has at $2.50; and Evergreen Clinic, unmapped, 6 × Business
/// Plus at $3.75 (also the HTML page's money fixture).
pub(crate) fn priced() -> Scenario {
    Scenario::new()
        .currency("USD")
        .model("keeper", BillingModel::DailyAverage)
        .company("1", "Acme")
        .service("BP")
        .service("TB")
        .service("CHAT")
        .contract(
            "C-1",
            "1",
            &[("C-1-1", "BP", 6), ("C-1-2", "TB", 7), ("C-1-3", "CHAT", 2)],
        )
        .priced("C-1-1", Some(dec!(4.50)), Some(dec!(3.10)))
        .priced("C-1-2", Some(dec!(1.00)), None)
        .priced("C-1-3", Some(dec!(2.00)), Some(dec!(1)))
        .map_account("keeper", "100", "1", None)
        .map_service("keeper", "Business", "BP")
        .map_service("keeper", "1TB", "TB")
        .map_service("keeper", "KeeperChat", "CHAT")
        .rounding("keeper", "TB", RoundingMode::Up)
        .list_price("keeper", "KeeperChat", dec!(2.5))
        .usage("keeper", ("100", "Acme"), "Business", 7, 1..=24)
        .usage("keeper", ("100", "Acme"), "Business", 8, 25..=31)
        .usage("keeper", ("100", "Acme"), "1TB", 7, 1..=25)
        .usage("keeper", ("100", "Acme"), "1TB", 8, 26..=31)
        .usage("keeper", ("100", "Acme"), "KeeperChat", 2, 1..=31)
        .usage(
            "keeper",
            ("200", "Evergreen Clinic"),
            "Business Plus",
            6,
            1..=31,
        )
        .rate("keeper", "Business", "$3.75")
        .rate("keeper", "1TB", "$1.25")
        .rate("keeper", "Business Plus", "$3.75")
}

fn change<'a>(plan: &'a Plan, service: &str) -> &'a crate::plan::Change {
    plan.changes
        .iter()
        .find(|c| c.psa_service == service)
        .expect("change")
}

#[test]
fn each_change_carries_exact_revenue_vendor_cost_and_margin() {
    let plan = priced().plan();
    insta::assert_snapshot!("money", rendered(&plan));
    let bp = change(&plan, "BP");
    assert_eq!(bp.usage.round_dp(4), dec!(7.2258));
    assert_eq!(bp.quantity, dec!(7));
    assert_eq!(bp.revenue_before(), Some(dec!(27.00)));
    assert_eq!(bp.revenue_after(), Some(dec!(31.50)));
    assert_eq!(bp.revenue_delta(), Some(dec!(4.50)));
    let cost = bp.money.vendor_cost.as_ref().expect("cost").amount;
    // 224/31 × 3.75, exactly as far as a decimal goes: never through a float.
    assert_eq!(cost.round_dp(20), dec!(27.09677419354838709677));
    assert_eq!(bp.margin().map(|m| m.round_dp(4)), Some(dec!(4.4032)));
    assert_eq!(bp.money.unit_cost, Some(dec!(3.10)));

    let tb = change(&plan, "TB");
    assert_eq!(tb.quantity, dec!(8), "7.1935 rounded up");
    assert_eq!(tb.revenue_after(), Some(dec!(8.00)));
    assert!(tb.margin().is_some_and(|m| m.is_sign_negative()));

    let chat = change(&plan, "CHAT");
    assert_eq!(chat.money.vendor_cost, None, "no rate: unknown, not 0");
    assert_eq!(chat.margin(), None);
    assert_eq!(chat.revenue_after(), Some(dec!(4.00)));
}

#[test]
fn unmapped_usage_priced_at_the_vendors_cost_leads_the_findings() {
    let plan = priced().plan();
    let first = &plan.findings[0];
    assert_eq!(first.kind, FindingKind::UnmappedAccount);
    assert!(
        first
            .message
            .contains("$22.50/month from keeper, not billed"),
        "{}",
        first.message
    );
    assert_eq!(
        first.vendor_cost.as_ref().map(|c| c.amount),
        Some(dec!(22.50))
    );
    let kinds: Vec<FindingKind> = plan.findings.iter().map(|f| f.kind).collect();
    assert!(kinds.contains(&FindingKind::BelowCost), "{kinds:?}");
    assert!(kinds.contains(&FindingKind::PriceMismatch), "{kinds:?}");
    let below = plan
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::BelowCost)
        .expect("below-cost");
    assert_eq!(below.psa_service.as_deref(), Some("TB"));
    let mismatch = plan
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::PriceMismatch)
        .expect("price-mismatch");
    assert!(mismatch.message.contains("$2.00") && mismatch.message.contains("$2.50"));
}

#[test]
fn totals_add_the_known_and_count_the_unknown() {
    let plan = priced().plan();
    let money = plan.money();
    assert_eq!(money.total.count, 3);
    assert_eq!(money.total.revenue_after.exact(), Some(dec!(43.50)));
    assert_eq!(money.total.revenue_before.exact(), Some(dec!(38.00)));
    assert_eq!(money.total.delta(), Some(dec!(5.50)));
    assert_eq!(money.total.vendor_cost.unknown, 1, "Chat has no rate");
    assert_eq!(money.total.vendor_cost.known.round_dp(2), dec!(36.09));
    assert_eq!(money.unbilled.len(), 1);
    assert_eq!(money.unbilled[0].amount, dec!(22.50));
    let names: Vec<&str> = money.by_service.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["BP", "CHAT", "TB"]);
}

#[test]
fn a_vendor_cost_in_another_currency_is_a_finding_and_no_margin() {
    let plan = Scenario::one_line(5, 6, 1..=31)
        .currency("USD")
        .priced("C-1-1", Some(dec!(4)), None)
        .rate("keeper", "Business", "€3.00")
        .plan();
    let kinds: Vec<FindingKind> = plan.findings.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, [FindingKind::CurrencyMismatch]);
    assert!(plan.findings[0].message.contains("EUR"));
    let change = &plan.changes[0];
    assert_eq!(change.revenue_after(), Some(dec!(24)));
    assert_eq!(change.margin(), None, "nothing is converted");
    // No below-cost either: €3.00 is not comparable with $4.00.
}

#[test]
fn a_workspace_without_prices_shows_no_money_and_no_price_findings() {
    let plan = Scenario::one_line(5, 6, 1..=31).plan();
    assert!(!plan.money().any);
    assert!(!rendered(&plan).contains("revenue"));
    assert_eq!(plan.changes[0].revenue_after(), None);
    let _ = Decimal::ZERO;
}

/// Acme's contract C-1 without a BP line, 3 Business seats a day, and lines created for
/// usage: the line is to be created.
fn to_create() -> Scenario {
    Scenario::new()
        .currency("USD")
        .company("1", "Acme")
        .service("BP")
        .contract("C-1", "1", &[])
        .map_account("keeper", "100", "1", None)
        .map_service("keeper", "Business", "BP")
        .usage("keeper", ("100", "Acme"), "Business", 3, 1..=31)
        .policy(|p| p.create_missing_lines = true)
}

#[test]
fn a_created_line_is_priced_from_the_price_list_and_bills_nothing_before() {
    let plan = to_create()
        .list_price("keeper", "Business", dec!(4.25))
        .plan();
    let change = &plan.changes[0];
    assert_eq!(change.revenue_before(), Some(Decimal::ZERO));
    assert_eq!(change.revenue_after(), Some(dec!(12.75)));
    assert!(
        plan.findings
            .iter()
            .all(|f| f.kind != FindingKind::PriceMismatch),
        "a line to create has no price of its own to mismatch"
    );
}

#[test]
fn a_created_line_is_priced_from_the_psa_catalogue_before_the_price_list() {
    let scenario = || to_create().rate("keeper", "Business", "$3.75");
    // The PSA gives a line it creates the catalogue's price: that is what it will bill.
    let plan = scenario()
        .catalogue_priced("BP", Some(dec!(4.90)), Some(dec!(3.60)))
        .list_price("keeper", "Business", dec!(4.25))
        .plan();
    let change = &plan.changes[0];
    assert_eq!(change.money.unit_price, Some(dec!(4.90)));
    assert_eq!(change.money.unit_cost, Some(dec!(3.60)));
    assert_eq!(change.revenue_after(), Some(dec!(14.70)));
    assert_eq!(change.margin(), Some(dec!(3.45)), "14.70 − 3 × 3.75");
    // A catalogue entry without a price: the price list's, and no cost.
    let plan = scenario()
        .list_price("keeper", "Business", dec!(4.25))
        .plan();
    assert_eq!(plan.changes[0].revenue_after(), Some(dec!(12.75)));
    assert_eq!(plan.changes[0].money.unit_cost, None);
    // Neither: unknown, never 0.
    let plan = scenario().plan();
    assert_eq!(plan.changes[0].revenue_after(), None);
    assert_eq!(plan.changes[0].revenue_before(), Some(Decimal::ZERO));
}
