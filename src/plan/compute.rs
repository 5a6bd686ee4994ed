//! `compute`: (validated workspace, measured usage, PSA snapshot) → [`Plan`]. Pure and
//! deterministic: no I/O, no clock, output sorted.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::findings::finding_key;
use super::matching::{AccountMatch, CompanyIndex, match_account};
use super::{Action, Approval, Change, Finding, FindingKind, MatchedBy, Plan, approval};
use crate::config::Workspace;
use crate::config::model::Integration;
use crate::observed::{Contract, PsaSnapshot};
use crate::period::Period;
use crate::usage::{AccountUsage, display_usage};

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
    planner.report_lines_without_usage();
    planner.finish()
}

/// Usage headed for one PSA company and service.
pub(super) struct Target<'a> {
    pub(super) account: &'a AccountUsage,
    pub(super) company_id: &'a str,
    pub(super) company_name: &'a str,
    pub(super) contract: Option<&'a str>,
    pub(super) matched_by: MatchedBy,
    pub(super) service: &'a str,
    pub(super) contributions: Vec<&'a AccountUsage>,
}

pub(super) struct Planner<'a> {
    pub(super) inputs: &'a Inputs<'a>,
    pub(super) companies: CompanyIndex<'a>,
    pub(super) catalogue: BTreeSet<&'a str>,
    pub(super) contracts_of: BTreeMap<&'a str, Vec<&'a Contract>>,
    /// (contract, service) pairs some usage was headed for, whatever came of it.
    pub(super) touched: BTreeSet<(String, String)>,
    pub(super) changes: Vec<Change>,
    pub(super) findings: Vec<Finding>,
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
        }
    }

    fn plan_integration(&mut self, integration: &'a Integration, usage: &'a [AccountUsage]) {
        self.report_unmapped_services(integration, usage);
        self.report_missing_services(integration);
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
                    self.report_unmatched(integration, &account, other);
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
                        self.report_two_accounts(integration, target, row);
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
        let usage: Decimal = target.contributions.iter().map(|u| u.measure.usage).sum();
        let rounding = self
            .inputs
            .workspace
            .rounding_for(integration, target.service);
        let quantity = rounding.apply(usage);
        let (contract, line) = match self.locate_line(integration, target, usage) {
            Ok(found) => found,
            Err(finding) => return self.findings.push(*finding),
        };
        self.touched
            .insert((contract.id.clone(), target.service.to_owned()));
        let nothing_to_add = line.is_none() && quantity.is_zero();
        if !nothing_to_add
            && let Some(finding) = self.unwritable(integration, target, contract, line, usage)
        {
            return self.findings.push(finding);
        }
        let action = match line {
            Some(line) if line.quantity.normalize() == quantity => Action::NoOp,
            Some(_) => Action::Update,
            None if quantity.is_zero() => return,
            None if self.inputs.workspace.policy.create_missing_lines => Action::Create,
            None => {
                let mut finding = Finding::new(
                    FindingKind::MissingLine,
                    format!(
                        "contract {} of {} has no {} line for usage {} of {}",
                        contract.id,
                        target.company_name,
                        target.service,
                        display_usage(usage),
                        target.account.account_name
                    ),
                );
                finding.hint = Some(format!(
                    "add a {} line to contract {}, or set `policy.create_missing_lines: true` in reckon.yaml",
                    target.service, contract.id
                ));
                return self.findings.push(self.about_target(
                    finding,
                    integration,
                    target,
                    Some(usage),
                ));
            }
        };
        let skus: Vec<String> = target.contributions.iter().map(|u| u.sku.clone()).collect();
        self.changes.push(Change {
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
            contract: contract.id.clone(),
            line: line.map(|l| l.id.clone()),
            usage,
            quantity,
            current: line.map(|l| l.quantity.normalize()),
            effective_date: self.inputs.workspace.effective_date(self.inputs.period),
            billing_model: integration.billing_model,
            rounding,
            matched_by: target.matched_by,
            daily: combined_daily(&target.contributions),
            approval: match action {
                Action::NoOp => Approval::NotNeeded,
                _ => {
                    let thresholds = self
                        .inputs
                        .workspace
                        .policy
                        .thresholds_for(&integration.name, target.service);
                    let current = line.map(|l| l.quantity.normalize());
                    match approval::reasons(current, quantity, &thresholds) {
                        reasons if reasons.is_empty() => Approval::NotNeeded,
                        reasons => Approval::Needed(reasons),
                    }
                }
            },
        });
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
            Box::new(self.about_target(finding, integration, target, Some(usage)))
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

    fn finish(mut self) -> Plan {
        self.changes
            .sort_by(|a, b| (&a.address, &a.contract).cmp(&(&b.address, &b.contract)));
        self.findings
            .sort_by(|a, b| finding_key(a).cmp(&finding_key(b)));
        let workspace = self.inputs.workspace;
        Plan {
            period: self.inputs.period,
            effective_date: workspace.effective_date(self.inputs.period),
            psa: workspace.psa.kind().to_owned(),
            integrations: self.inputs.usage.keys().cloned().collect(),
            partial: self.inputs.partial,
            changes: self.changes,
            findings: self.findings,
            interrupted: Vec::new(),
        }
    }
}

/// The daily counts of several SKUs added per date, in date order (so the series is as
/// deterministic as the rest of the plan).
fn combined_daily(contributions: &[&AccountUsage]) -> Vec<(NaiveDate, Decimal)> {
    let mut by_day: BTreeMap<NaiveDate, Decimal> = BTreeMap::new();
    for (date, count) in contributions.iter().flat_map(|u| &u.daily) {
        *by_day.entry(*date).or_default() += *count;
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
