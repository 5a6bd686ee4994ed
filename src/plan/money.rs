//! Money in the plan: what each change is worth, what the vendor charges for it, and the
//! findings about prices (`below-cost`, `price-mismatch`, `currency-mismatch`).
//!
//! Pure, and only arithmetic on figures read elsewhere: the PSA line's unit price and cost (as
//! the adapters read them), the price list (`services[].price`), the vendor's cost per unit
//! (Keeper's `rate`, a CSV `unit_cost`) and `billing.currency`. Nothing is guessed: a figure
//! missing anywhere is `None` (shown "unknown"), never 0, and nothing is converted between
//! currencies. Revenue is the rounded quantity the line bills × its unit price; vendor cost is
//! the unrounded usage (what the vendor measures) × the vendor's cost per unit.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::{Action, Change, Finding, FindingKind, Plan};
use crate::config::model::Integration;
use crate::money::{Currency, Money, times};
use crate::observed::{Line, Service};
use crate::usage::AccountUsage;

/// The money of one change, as read; the derived figures are methods of [`Change`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChangeMoney {
    /// `billing.currency`: the currency of the PSA's prices and the price list.
    pub currency: Option<Currency>,
    /// What the line bills per unit: the PSA line's price; for a line still to be created, the
    /// PSA catalogue's (which the PSA gives a line it creates), else the price list's.
    pub unit_price: Option<Decimal>,
    /// What the line costs per unit as the PSA holds it (the catalogue's, for a line to create).
    pub unit_cost: Option<Decimal>,
    /// `services[].price`, when the price list has the service.
    pub list_price: Option<Decimal>,
    /// The vendor's cost per unit, when every SKU of the line has one and it is the same.
    pub vendor_unit_cost: Option<Money>,
    /// The vendor's cost of the month's usage: Σ usage × cost per unit over the line's SKUs;
    /// `None` when a SKU's cost is unknown or the SKUs' currencies differ.
    pub vendor_cost: Option<Money>,
}

impl ChangeMoney {
    /// The money of a change billing `contributions` on `line` (`None`: to be created, from
    /// `catalogue`, the PSA's entry for the service).
    pub fn of(
        currency: Option<&Currency>,
        line: Option<&Line>,
        catalogue: Option<&Service>,
        list_price: Option<Decimal>,
        contributions: &[&AccountUsage],
    ) -> Self {
        let rates: Vec<Option<&Money>> = contributions
            .iter()
            .map(|u| u.vendor_unit_cost.as_ref())
            .collect();
        let vendor_unit_cost = match rates.split_first() {
            Some((Some(first), rest)) if rest.iter().all(|r| *r == Some(*first)) => {
                Some((*first).clone())
            }
            _ => None,
        };
        Self {
            currency: currency.cloned(),
            unit_price: match line {
                Some(line) => line.unit_price,
                None => catalogue.and_then(|s| s.unit_price).or(list_price),
            },
            unit_cost: match line {
                Some(line) => line.unit_cost,
                None => catalogue.and_then(|s| s.unit_cost),
            },
            list_price,
            vendor_unit_cost: vendor_unit_cost.map(|m| adopt(m, currency)),
            vendor_cost: vendor_cost(contributions.iter().copied()).map(|m| adopt(m, currency)),
        }
    }

    /// Whether the vendor's figures can be set against the PSA's: the vendor states no currency
    /// (a bare number is read as the workspace's), or states `billing.currency`.
    fn comparable(&self, vendor: &Money) -> bool {
        match (&vendor.currency, &self.currency) {
            (None, _) => true,
            (Some(vendor), Some(ours)) => vendor == ours,
            (Some(_), None) => false,
        }
    }

    /// The vendor cost in the workspace's currency, when it is known and comparable.
    pub fn vendor_cost_comparable(&self) -> Option<Decimal> {
        self.vendor_cost
            .as_ref()
            .filter(|c| self.comparable(c))
            .map(|c| c.amount)
    }

    /// `amount` in the workspace's currency, for display.
    pub fn in_currency(&self, amount: Decimal) -> Money {
        Money::new(amount, self.currency.clone())
    }
}

/// `money`, in `currency` when it states none (a bare number is read as the workspace's).
fn adopt(money: Money, currency: Option<&Currency>) -> Money {
    match money.currency {
        Some(_) => money,
        None => Money::new(money.amount, currency.cloned()),
    }
}

/// Σ usage × the vendor's cost per unit over `rows`: `None` when one has no cost, the costs
/// are in different currencies, or the sum does not fit.
pub fn vendor_cost<'a>(mut rows: impl Iterator<Item = &'a AccountUsage>) -> Option<Money> {
    let first = rows.next()?;
    let rate = first.vendor_unit_cost.as_ref()?;
    let mut total = Money::new(
        times(first.measure.usage, rate.amount)?,
        rate.currency.clone(),
    );
    for row in rows {
        let rate = row.vendor_unit_cost.as_ref()?;
        if !rate.same_currency(&total) {
            return None;
        }
        total.amount = total
            .amount
            .checked_add(times(row.measure.usage, rate.amount)?)?;
        total.currency = total.currency.or_else(|| rate.currency.clone());
    }
    Some(total)
}

impl Change {
    /// Monthly revenue before the change: the observed quantity × unit price (0 for a line
    /// still to be created: it bills nothing yet).
    pub fn revenue_before(&self) -> Option<Decimal> {
        match &self.action {
            Action::Create => Some(Decimal::ZERO),
            _ => times(self.current()?, self.money.unit_price?),
        }
    }

    /// Monthly revenue after it: the planned quantity × unit price.
    pub fn revenue_after(&self) -> Option<Decimal> {
        times(self.quantity, self.money.unit_price?)
    }

    /// After − before.
    pub fn revenue_delta(&self) -> Option<Decimal> {
        self.revenue_after()?.checked_sub(self.revenue_before()?)
    }

    /// Revenue billed now − the vendor's cost of the period's usage, when both are known.
    pub fn billed_margin(&self) -> Option<Decimal> {
        self.revenue_before()?
            .checked_sub(self.money.vendor_cost_comparable()?)
    }

    /// Revenue after the change − the vendor's cost, when both are known in one currency.
    pub fn margin(&self) -> Option<Decimal> {
        self.revenue_after()?
            .checked_sub(self.money.vendor_cost_comparable()?)
    }
}

/// The unbilled vendor cost of `rows` and its note for a finding's message
/// (`; $22.50/month from keeper, not billed`), or `None` and no note when no row has a cost.
pub(super) fn unbilled(
    integration: &Integration,
    rows: &[&AccountUsage],
    currency: Option<&Currency>,
) -> (Option<Money>, String) {
    if rows.iter().all(|r| r.vendor_unit_cost.is_none()) {
        return (None, String::new());
    }
    match vendor_cost(rows.iter().copied()).map(|m| adopt(m, currency)) {
        Some(cost) => {
            let note = format!("; {cost}/month from {}, not billed", integration.vendor);
            (Some(cost), note)
        }
        None => (
            None,
            "; vendor cost unknown (a product has no rate)".to_owned(),
        ),
    }
}

/// A below-cost finding for `change` when its unit price is under the vendor's cost per unit
/// (unit price × usage < vendor cost), and a price-mismatch finding when the line's price is
/// not the price list's.
pub(super) fn findings(change: &Change) -> Vec<Finding> {
    let money = &change.money;
    let mut found = Vec::new();
    if let (Some(price), Some(cost)) = (money.unit_price, money.vendor_cost_comparable())
        && !change.usage.is_zero()
        && times(price, change.usage).is_some_and(|billed| billed < cost)
    {
        let per_unit = money.vendor_unit_cost.as_ref().map_or_else(
            || format!("{} for usage {}", money.in_currency(cost), change.usage),
            |rate| format!("{rate} per unit"),
        );
        found.push(about(
            change,
            FindingKind::BelowCost,
            format!(
                "{}'s {} line bills {} per unit, under the vendor's cost of {per_unit}",
                change.psa_company_name,
                service_label(change),
                money.in_currency(price)
            ),
            "raise the line's price in the PSA, or check the vendor's rate",
        ));
    }
    if let (Some(listed), Some(price), Some(_)) =
        (money.list_price, money.unit_price, change.line())
        && listed.normalize() != price.normalize()
    {
        found.push(about(
            change,
            FindingKind::PriceMismatch,
            format!(
                "{}'s {} line bills {} per unit; the price list says {}",
                change.psa_company_name,
                service_label(change),
                money.in_currency(price),
                money.in_currency(listed)
            ),
            "correct the price in the PSA (reckon never writes prices), or `price:` in the mapping",
        ));
    }
    found
}

/// `Keeper Business Plus (31)`, or the id alone when the catalogue gave no other name (as
/// `render::names::service` words it; the planner may not use the renderers).
fn service_label(change: &Change) -> String {
    let (id, name) = (&change.psa_service, &change.psa_service_name);
    if name.is_empty() || name == id {
        id.clone()
    } else {
        format!("{name} ({id})")
    }
}

fn about(change: &Change, kind: FindingKind, message: String, hint: &str) -> Finding {
    let mut finding = Finding::new(kind, message);
    finding.hint = Some(hint.to_owned());
    finding.integration = Some(change.integration.clone());
    finding.vendor_account = Some(change.vendor_account.clone());
    finding.vendor_account_name = Some(change.vendor_account_name.clone());
    finding.vendor_service = Some(change.vendor_services.join("+"));
    finding.usage = Some(change.usage);
    finding.psa_company = Some(change.psa_company.clone());
    finding.psa_service = Some(change.psa_service.clone());
    finding.contract = Some(change.contract.clone());
    finding.line = change.line().map(str::to_owned);
    finding.vendor_cost = change.money.vendor_cost.clone();
    finding
}

/// One finding per vendor currency of `integration`'s usage that is not `billing.currency`
/// (nothing is converted: the products' margins are unknown).
pub(super) fn currency_findings(
    integration: &Integration,
    usage: &[AccountUsage],
    currency: Option<&Currency>,
) -> Vec<Finding> {
    let Some(ours) = currency else {
        return Vec::new();
    };
    let mut others: BTreeMap<&Currency, Vec<&str>> = BTreeMap::new();
    for row in usage {
        if let Some(theirs) = row
            .vendor_unit_cost
            .as_ref()
            .and_then(|r| r.currency.as_ref())
            && theirs != ours
        {
            let skus = others.entry(theirs).or_default();
            if !skus.contains(&row.sku.as_str()) {
                skus.push(&row.sku);
            }
        }
    }
    others
        .into_iter()
        .map(|(theirs, skus)| {
            let mut finding = Finding::new(
                FindingKind::CurrencyMismatch,
                format!(
                    "the vendor prices {} in {theirs}, the workspace bills in {ours}; their \
                     margins are unknown (reckon converts no currency)",
                    skus.join(", ")
                ),
            );
            finding.hint = Some(format!(
                "set `billing.currency: {theirs}` in reckon.yaml if the PSA bills in {theirs}"
            ));
            finding.integration = Some(integration.name.clone());
            finding
        })
        .collect()
}

/// A sum of money over several changes: the known part and how many were unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Total {
    /// The sum of the known figures.
    pub known: Decimal,
    /// How many figures were unknown (then `known` is a part of the whole).
    pub unknown: usize,
}

impl Total {
    fn add(&mut self, figure: Option<Decimal>) {
        match figure.and_then(|f| self.known.checked_add(f)) {
            Some(sum) => self.known = sum,
            None => self.unknown += 1,
        }
    }

    /// The figure when nothing in it is unknown.
    pub fn exact(&self) -> Option<Decimal> {
        (self.unknown == 0).then_some(self.known)
    }
}

/// The money of a group of changes (an integration, a service, an account, or all).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Totals {
    /// What the group is: an integration name, a PSA service, the PSA company (with the vendor
    /// account's name when it differs), or `total`.
    pub name: String,
    /// How many changes it adds up.
    pub count: usize,
    /// Monthly revenue before the changes.
    pub revenue_before: Total,
    /// Monthly revenue after them.
    pub revenue_after: Total,
    /// The vendor's cost (in the workspace's currency only).
    pub vendor_cost: Total,
    /// Revenue after − vendor cost, over the changes where both are known.
    pub margin: Total,
    /// Revenue billed now (before the changes) − vendor cost: what the period earns as the PSA
    /// stands.
    pub billed_margin: Total,
}

impl Totals {
    fn named(name: String) -> Self {
        Self {
            name,
            ..Self::default()
        }
    }

    fn add(&mut self, change: &Change) {
        self.count += 1;
        self.revenue_before.add(change.revenue_before());
        self.revenue_after.add(change.revenue_after());
        self.vendor_cost.add(change.money.vendor_cost_comparable());
        self.margin.add(change.margin());
        self.billed_margin.add(change.billed_margin());
    }

    /// After − before, when both are exact.
    pub fn delta(&self) -> Option<Decimal> {
        self.revenue_after
            .exact()?
            .checked_sub(self.revenue_before.exact()?)
    }
}

/// The plan's money: totals per integration, per PSA service and per account, the whole, and
/// the vendor cost of usage that bills nowhere (the findings that carry one).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Summary {
    /// `billing.currency`, as the changes carry it.
    pub currency: Option<Currency>,
    /// Per integration, by name.
    pub by_integration: Vec<Totals>,
    /// Per PSA service, by identifier.
    pub by_service: Vec<Totals>,
    /// Per account (`PSA company (vendor account)`), lowest margin first.
    pub by_account: Vec<Totals>,
    /// Every change.
    pub total: Totals,
    /// The vendor cost of the usage of unmapped accounts, per currency (`None`: the vendor
    /// stated none).
    pub unbilled: Vec<Money>,
    /// Whether any figure at all is known (a workspace without prices shows no money).
    pub any: bool,
}

impl Plan {
    /// The plan's money (over every change, no-ops included: they bill too).
    pub fn money(&self) -> Summary {
        let mut by_integration: BTreeMap<&str, Totals> = BTreeMap::new();
        let mut by_service: BTreeMap<&str, Totals> = BTreeMap::new();
        let mut by_account: BTreeMap<String, Totals> = BTreeMap::new();
        let mut total = Totals::named("total".into());
        for change in &self.changes {
            let account = if change.psa_company_name == change.vendor_account_name {
                change.psa_company_name.clone()
            } else {
                format!(
                    "{} ({})",
                    change.psa_company_name, change.vendor_account_name
                )
            };
            by_integration
                .entry(&change.integration)
                .or_insert_with(|| Totals::named(change.integration.clone()))
                .add(change);
            by_service
                .entry(&change.psa_service)
                .or_insert_with(|| Totals::named(service_label(change)))
                .add(change);
            by_account
                .entry(account.clone())
                .or_insert_with(|| Totals::named(account))
                .add(change);
            total.add(change);
        }
        // Unmapped accounts only: an unmapped-service finding also counts the usage of
        // unmapped accounts, so adding both would count it twice.
        let mut unbilled: BTreeMap<Option<Currency>, Decimal> = BTreeMap::new();
        let unmapped = self
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::UnmappedAccount);
        for cost in unmapped.filter_map(|f| f.vendor_cost.as_ref()) {
            let sum = unbilled.entry(cost.currency.clone()).or_default();
            *sum = sum.saturating_add(cost.amount);
        }
        let any = self
            .changes
            .iter()
            .any(|c| c.money.unit_price.is_some() || c.money.vendor_cost.is_some())
            || !unbilled.is_empty();
        let mut by_account: Vec<Totals> = by_account.into_values().collect();
        by_account.sort_by_key(|t| (Reverse(t.margin.unknown), t.margin.known));
        Summary {
            currency: self.changes.first().and_then(|c| c.money.currency.clone()),
            by_integration: by_integration.into_values().collect(),
            by_service: by_service.into_values().collect(),
            by_account,
            total,
            unbilled: unbilled
                .into_iter()
                .map(|(currency, amount)| Money::new(amount, currency))
                .collect(),
            any,
        }
    }
}

/// `reckon report margin`: per account and per PSA service, billed revenue, vendor cost and
/// margin, lowest margin first (unknown margins first of all: they need a price or a rate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarginReport {
    /// The plan's money.
    pub summary: Summary,
}

impl MarginReport {
    /// The report of `plan`.
    pub fn of(plan: &Plan) -> Self {
        let mut summary = plan.money();
        for rows in [&mut summary.by_account, &mut summary.by_service] {
            rows.sort_by(|a, b| {
                (
                    Reverse(a.billed_margin.unknown),
                    a.billed_margin.known,
                    &a.name,
                )
                    .cmp(&(
                        Reverse(b.billed_margin.unknown),
                        b.billed_margin.known,
                        &b.name,
                    ))
            });
        }
        Self { summary }
    }
}
