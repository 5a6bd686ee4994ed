//! `compute`: (validated workspace, measured usage, PSA snapshot, grants, interrupted writes)
//! → [`Plan`]. Pure and deterministic: no I/O, no clock (today is an input), output sorted. Every
//! decision is made here, once: the approvals, the severities and the blockers; nothing edits a
//! plan afterwards.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::approval::{self, Grant};
use super::findings::{self, about_target, finding_key};
use super::matching::{AccountMatch, CompanyIndex, match_account};
use super::money::{self, ChangeMoney};
use super::target::Target;
use super::{
    Action, Change, Finding, FindingKind, Interrupted, Plan, Severity, blockers, saturating_sum,
};
use crate::config::Workspace;
use crate::config::model::Integration;
use crate::observed::{Contract, PsaSnapshot};
use crate::period::Period;
use crate::usage::AccountUsage;

/// Everything the planner needs, loaded beforehand.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The validated workspace.
    pub workspace: &'a Workspace,
    /// The billing period.
    pub period: Period,
    /// Measured usage, keyed by integration name; only these integrations are planned.
    pub usage: &'a BTreeMap<String, Vec<AccountUsage>>,
    /// The PSA as observed, with quantities at the effective date.
    pub psa: &'a PsaSnapshot,
    /// Whether integrations were left out on request.
    pub partial: bool,
    /// Approvals: `approvals.yaml`'s entries and this run's `--approve` addresses.
    pub grants: &'a [Grant],
    /// Writes of an earlier apply whose outcome is unknown, as found in the apply journal.
    pub interrupted: &'a [Interrupted],
    /// Today, to tell a period that has not ended yet.
    pub today: NaiveDate,
    /// Where the plan comes from, built by the caller (the planner reads no clock or env).
    pub provenance: &'a super::Provenance,
}

/// Computes the plan.
pub fn compute(inputs: &Inputs<'_>) -> Plan {
    let mut planner = Planner::new(inputs);
    for integration in &inputs.workspace.integrations {
        if let Some(usage) = inputs.usage.get(&integration.name) {
            planner.plan_integration(integration, usage);
        }
    }
    planner.drop_conflicting_changes();
    planner.report_prices();
    planner.report_lines_without_usage();
    let plan = planner.finish();
    debug_assert_eq!(plan.check(), Ok(()), "the planner broke a plan invariant");
    plan
}

struct Planner<'a> {
    inputs: &'a Inputs<'a>,
    companies: CompanyIndex<'a>,
    catalogue: BTreeSet<&'a str>,
    contracts_of: BTreeMap<&'a str, Vec<&'a Contract>>,
    /// (contract, service) pairs some usage was headed for, whatever came of it.
    touched: BTreeSet<(String, String)>,
    changes: Vec<Change>,
    findings: Vec<Finding>,
    /// Error findings between integrations (conflicts), counted per integration concerned.
    also_blocked: BTreeMap<String, usize>,
}

impl<'a> Planner<'a> {
    fn new(inputs: &'a Inputs<'a>) -> Self {
        let mut contracts_of: BTreeMap<&str, Vec<&Contract>> = BTreeMap::new();
        for contract in &inputs.psa.contracts {
            contracts_of
                .entry(contract.company_id.as_str())
                .or_default()
                .push(contract);
        }
        Self {
            inputs,
            companies: CompanyIndex::new(&inputs.psa.companies),
            catalogue: inputs.psa.services.iter().map(|s| s.id.as_str()).collect(),
            contracts_of,
            touched: BTreeSet::new(),
            changes: Vec::new(),
            findings: Vec::new(),
            also_blocked: BTreeMap::new(),
        }
    }

    fn plan_integration(&mut self, integration: &'a Integration, usage: &'a [AccountUsage]) {
        self.findings.extend(findings::unmapped_services(
            integration,
            usage,
            self.inputs.workspace.currency.as_ref(),
        ));
        self.findings
            .extend(findings::missing_services(integration, &self.catalogue));
        self.findings.extend(money::currency_findings(
            integration,
            usage,
            self.inputs.workspace.currency.as_ref(),
        ));
        let targets = self.collect_targets(integration, usage);
        for target in targets.values() {
            self.plan_target(integration, target);
        }
    }

    /// Groups usage by the PSA company and service it bills, reporting accounts that go nowhere.
    fn collect_targets(
        &mut self,
        integration: &'a Integration,
        usage: &'a [AccountUsage],
    ) -> BTreeMap<(&'a str, &'a str), Target<'a>> {
        let mut targets: BTreeMap<(&str, &str), Target<'a>> = BTreeMap::new();
        for account in by_account(usage) {
            let first = account[0];
            let matched = match_account(
                &integration.accounts,
                &self.companies,
                &first.account_id,
                &first.account_name,
            );
            let (company, contract, matched_by) = match matched {
                AccountMatch::Company {
                    company,
                    contract,
                    by,
                } => (company, contract, by),
                AccountMatch::Excluded => continue,
                other => {
                    self.findings.extend(findings::unmatched(
                        integration,
                        &account,
                        other,
                        self.inputs.workspace.currency.as_ref(),
                    ));
                    continue;
                }
            };
            for row in &account {
                for mapping in integration
                    .services
                    .iter()
                    .filter(|s| s.vendor_sku == row.sku)
                {
                    let key = (company.id.as_str(), mapping.psa_service.as_str());
                    let target = targets.entry(key).or_insert_with(|| Target {
                        account: row,
                        company_id: &company.id,
                        company_name: &company.name,
                        contract,
                        matched_by,
                        service: &mapping.psa_service,
                        contributions: Vec::new(),
                    });
                    if target.account.account_id == row.account_id {
                        target.contributions.push(row);
                    } else {
                        self.findings
                            .push(findings::two_accounts(integration, target, row));
                    }
                }
            }
        }
        targets
    }

    fn plan_target(&mut self, integration: &Integration, target: &Target<'a>) {
        if !self.catalogue.contains(target.service) {
            return; // reported once per service by `report_missing_services`
        }
        let usage = saturating_sum(target.contributions.iter().map(|u| u.measure.usage));
        let rounding = self
            .inputs
            .workspace
            .rounding_for(integration, target.service);
        let quantity = rounding.apply(usage);
        let (contract, line) = match self.locate_line(integration, target, usage) {
            Ok(found) => found,
            Err(finding) => {
                self.touch_candidate_lines(target);
                return self.findings.push(*finding);
            }
        };
        self.touched
            .insert((contract.id.clone(), target.service.to_owned()));
        let nothing_to_add = line.is_none() && quantity.is_zero();
        if !nothing_to_add
            && let Some(finding) = findings::unwritable(
                integration,
                target,
                contract,
                line,
                usage,
                self.inputs.workspace.effective_date(self.inputs.period),
            )
        {
            return self.findings.push(finding);
        }
        let action = match line {
            Some(line) if line.quantity.normalize() == quantity => Action::NoOp {
                line: line.id.clone(),
            },
            Some(line) => Action::Update {
                line: line.id.clone(),
                from: line.quantity.normalize(),
            },
            None if quantity.is_zero() => return,
            None if self.inputs.workspace.policy.create_missing_lines => Action::Create,
            None => {
                let name = self.service_name(target.service);
                let finding = findings::missing_line(integration, target, name, contract, usage);
                return self.findings.push(finding);
            }
        };
        let skus: Vec<String> = target.contributions.iter().map(|u| u.sku.clone()).collect();
        let mut change = Change {
            address: format!(
                "{}/{}/{} → {}/{}",
                integration.name,
                target.account.account_name,
                skus.join("+"),
                target.company_name,
                target.service
            ),
            action,
            integration: integration.name.clone(),
            vendor_account: target.account.account_id.clone(),
            vendor_account_name: target.account.account_name.clone(),
            vendor_services: skus,
            psa_company: target.company_id.to_owned(),
            psa_company_name: target.company_name.to_owned(),
            psa_service: target.service.to_owned(),
            psa_service_name: self.service_name(target.service).to_owned(),
            contract: contract.id.clone(),
            usage,
            quantity,
            effective_date: self.inputs.workspace.effective_date(self.inputs.period),
            billing_model: integration.billing_model,
            rounding,
            matched_by: target.matched_by,
            daily: combined_daily(&target.contributions),
            approval: super::Approval::NotNeeded,
            money: ChangeMoney::of(
                self.inputs.workspace.currency.as_ref(),
                line,
                self.catalogue_entry(target.service),
                self.inputs.workspace.price_for(integration, target.service),
                &target.contributions,
            ),
        };
        change.approval = self.standing(integration, &change);
        self.changes.push(change);
    }

    /// The catalogue name of PSA service `id`, or `""` when the catalogue does not list it.
    fn service_name(&self, id: &str) -> &'a str {
        self.catalogue_entry(id).map_or("", |s| s.name.as_str())
    }

    /// PSA service `id` as the catalogue lists it.
    fn catalogue_entry(&self, id: &str) -> Option<&'a crate::observed::Service> {
        self.inputs.psa.services.iter().find(|s| s.id == id)
    }

    /// The usage was headed for the company's lines of the service, whichever one it belongs on:
    /// they are not also "lines without usage".
    fn touch_candidate_lines(&mut self, target: &Target<'a>) {
        let contracts = self
            .contracts_of
            .get(target.company_id)
            .into_iter()
            .flatten();
        for contract in contracts {
            if contract
                .lines
                .iter()
                .any(|l| l.service_id == target.service)
            {
                self.touched
                    .insert((contract.id.clone(), target.service.to_owned()));
            }
        }
    }

    /// A change's standing against the thresholds and sanity bounds, and the grants.
    fn standing(&self, integration: &Integration, change: &Change) -> super::Approval {
        if change.action.kind() == super::ActionKind::NoOp {
            return super::Approval::NotNeeded;
        }
        let policy = &self.inputs.workspace.policy;
        let thresholds = policy.thresholds_for(&integration.name, &change.psa_service);
        let reasons = approval::reasons(
            change.current(),
            change.quantity,
            &thresholds,
            &policy.limits,
        );
        approval::standing(change, reasons, self.inputs.period, self.inputs.grants)
    }

    /// The contract (and line, if it has one) that `target`'s usage belongs on.
    fn locate_line(
        &self,
        integration: &Integration,
        target: &Target<'a>,
        usage: Decimal,
    ) -> Result<(&'a Contract, Option<&'a crate::observed::Line>), Box<Finding>> {
        let contracts = self
            .contracts_of
            .get(target.company_id)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let problem = |kind, message: String, hint: &str| {
            let mut finding = Finding::new(kind, message);
            finding.hint = Some(hint.to_owned());
            Box::new(about_target(finding, integration, target, Some(usage)))
        };
        let contract = if let Some(wanted) = target.contract {
            contracts.iter().copied().find(|c| c.id == wanted).ok_or_else(|| {
                problem(
                    FindingKind::ContractNotFound,
                    format!("contract {wanted} named in the mapping is not an active contract of {}", target.company_name),
                    "fix `contract:` in the account mapping",
                )
            })?
        } else {
            let with_line: Vec<&Contract> = contracts
                .iter()
                .copied()
                .filter(|c| {
                    c.lines.iter().any(|l| l.service_id == target.service)
                        || c.bundled.iter().any(|b| b.service_id == target.service)
                })
                .collect();
            match (with_line.as_slice(), contracts) {
                ([only], _) | ([], [only]) => *only,
                ([], []) => {
                    return Err(problem(
                        FindingKind::ContractNotFound,
                        format!("{} has no active recurring contract", target.company_name),
                        "create the contract in the PSA, or map the account to another company",
                    ));
                }
                _ => {
                    return Err(problem(
                        FindingKind::AmbiguousContract,
                        format!(
                            "{} has several contracts that could bill {}",
                            target.company_name, target.service
                        ),
                        "name the contract with `contract:` in the account mapping",
                    ));
                }
            }
        };
        let lines: Vec<_> = contract
            .lines
            .iter()
            .filter(|l| l.service_id == target.service)
            .collect();
        match lines.as_slice() {
            [] => Ok((contract, None)),
            [line] => Ok((contract, Some(*line))),
            _ => Err(problem(
                FindingKind::AmbiguousContract,
                format!(
                    "contract {} has {} lines for {}",
                    contract.id,
                    lines.len(),
                    target.service
                ),
                "merge the lines in the PSA so one line carries the service",
            )),
        }
    }

    fn drop_conflicting_changes(&mut self) {
        let (found, concerned) = findings::drop_conflicting_changes(&mut self.changes);
        self.findings.extend(found);
        for (integration, n) in concerned {
            *self.also_blocked.entry(integration).or_default() += n;
        }
    }

    /// Lines billed under the vendor's cost, or at another price than the price list's.
    fn report_prices(&mut self) {
        let found: Vec<Finding> = self.changes.iter().flat_map(money::findings).collect();
        self.findings.extend(found);
    }

    fn report_lines_without_usage(&mut self) {
        let mapped: BTreeSet<&str> = self
            .inputs
            .workspace
            .integrations
            .iter()
            .filter(|i| self.inputs.usage.contains_key(&i.name))
            .flat_map(|i| i.services.iter().map(|s| s.psa_service.as_str()))
            .collect();
        let found = findings::lines_without_usage(
            &self.inputs.psa.contracts,
            &self.companies,
            |id| self.service_name(id),
            &mapped,
            &self.touched,
            self.inputs.period,
        );
        self.findings.extend(found);
    }

    /// Sorts, sets each finding's severity under `policy.fail_on`, and decides the blockers.
    fn finish(mut self) -> Plan {
        let inputs = self.inputs;
        let workspace = inputs.workspace;
        for finding in &mut self.findings {
            if workspace.policy.fail_on.contains(&finding.kind) {
                finding.severity = Severity::Error;
            }
        }
        self.changes
            .sort_by(|a, b| (&a.address, &a.contract).cmp(&(&b.address, &b.contract)));
        self.findings
            .sort_by(|a, b| finding_key(a).cmp(&finding_key(b)));
        let partial = blockers::partial_data(inputs.usage, inputs.period, inputs.today);
        let blockers =
            blockers::blockers(&self.changes, &self.findings, &self.also_blocked, partial);
        Plan {
            period: inputs.period,
            effective_date: workspace.effective_date(inputs.period),
            psa: workspace.psa.kind().to_owned(),
            integrations: inputs.usage.keys().cloned().collect(),
            partial: inputs.partial,
            changes: self.changes,
            findings: self.findings,
            interrupted: inputs.interrupted.to_vec(),
            blockers,
            provenance: inputs.provenance.clone(),
        }
    }
}

/// The daily counts of several SKUs added per date, in date order (so the series is as
/// deterministic as the rest of the plan).
fn combined_daily(contributions: &[&AccountUsage]) -> Vec<(NaiveDate, Decimal)> {
    let mut by_day: BTreeMap<NaiveDate, Decimal> = BTreeMap::new();
    for (date, count) in contributions.iter().flat_map(|u| &u.daily) {
        let day = by_day.entry(*date).or_default();
        *day = day.saturating_add(*count);
    }
    by_day.into_iter().collect()
}

/// Usage rows grouped per account, in account-id order.
fn by_account(usage: &[AccountUsage]) -> Vec<Vec<&AccountUsage>> {
    let mut groups: BTreeMap<&str, Vec<&AccountUsage>> = BTreeMap::new();
    for row in usage {
        groups.entry(&row.account_id).or_default().push(row);
    }
    groups.into_values().collect()
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;
    use crate::usage::Measure;

    fn usage(sku: &str, daily: &[(u32, Decimal)]) -> AccountUsage {
        AccountUsage {
            vendor_unit_cost: None,
            account_id: "1".into(),
            account_name: "A".into(),
            sku: sku.into(),
            measure: Measure {
                days_with_data: 0,
                total: Decimal::ZERO,
                usage: Decimal::ZERO,
            },
            daily: daily
                .iter()
                .map(|(d, q)| (NaiveDate::from_ymd_opt(2026, 10, *d).expect("date"), *q))
                .collect(),
        }
    }

    #[test]
    fn sums_of_huge_usage_saturate_instead_of_panicking() {
        let max = Decimal::MAX;
        assert_eq!(saturating_sum([max, max].into_iter()), max);
        let a = usage("A", &[(1, max)]);
        let b = usage("B", &[(1, max)]);
        assert_eq!(combined_daily(&[&a, &b])[0].1, max);
    }

    #[test]
    fn the_daily_series_of_several_skus_adds_up_per_date_in_date_order() {
        let bp = usage("BP", &[(2, dec!(3)), (1, dec!(1))]);
        let plus = usage("Plus", &[(2, dec!(4)), (3, dec!(5))]);
        let day = |d| NaiveDate::from_ymd_opt(2026, 10, d).expect("date");
        assert_eq!(
            combined_daily(&[&bp, &plus]),
            vec![(day(1), dec!(1)), (day(2), dec!(7)), (day(3), dec!(5))]
        );
    }
}
