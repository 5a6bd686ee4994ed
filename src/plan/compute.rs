//! `compute`: (validated workspace, measured usage, PSA snapshot) → [`Plan`]. Pure and
//! deterministic: no I/O, no clock, output sorted.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

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
struct Target<'a> {
    account: &'a AccountUsage,
    company_id: &'a str,
    company_name: &'a str,
    contract: Option<&'a str>,
    matched_by: MatchedBy,
    service: &'a str,
    contributions: Vec<&'a AccountUsage>,
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
                .filter(|c| c.lines.iter().any(|l| l.service_id == target.service))
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

    fn about_target(
        &self,
        mut finding: Finding,
        integration: &Integration,
        target: &Target<'a>,
        usage: Option<Decimal>,
    ) -> Finding {
        finding.integration = Some(integration.name.clone());
        finding.vendor_account = Some(target.account.account_id.clone());
        finding.vendor_account_name = Some(target.account.account_name.clone());
        finding.vendor_service = Some(
            target
                .contributions
                .iter()
                .map(|u| u.sku.as_str())
                .collect::<Vec<_>>()
                .join("+"),
        );
        finding.psa_company = Some(target.company_id.to_owned());
        finding.psa_service = Some(target.service.to_owned());
        finding.usage = usage;
        finding
    }

    fn report_unmatched(
        &mut self,
        integration: &Integration,
        account: &[&AccountUsage],
        matched: AccountMatch<'_>,
    ) {
        let first = account[0];
        let total: Decimal = account.iter().map(|u| u.measure.usage).sum();
        let by_sku: Vec<String> = account
            .iter()
            .map(|u| format!("{} {}", u.sku, display_usage(u.measure.usage)))
            .collect();
        let mut finding = match matched {
            AccountMatch::Unmapped if total.is_zero() => return,
            AccountMatch::Unmapped => {
                let mut f = Finding::new(
                    FindingKind::UnmappedAccount,
                    format!(
                        "vendor account \"{}\" (id {}) has usage but no PSA company: {}",
                        first.account_name,
                        first.account_id,
                        by_sku.join(", ")
                    ),
                );
                f.hint = Some(format!(
                    "map it in {}: `- {{vendor: \"{}\", psa: \"<company id>\"}}` under accounts.map, \
                     or add it to accounts.exclude",
                    integration.file.display(),
                    first.account_id
                ));
                f
            }
            AccountMatch::Ambiguous(companies) => {
                let ids: Vec<&str> = companies.iter().map(|c| c.id.as_str()).collect();
                let mut f = Finding::new(
                    FindingKind::AmbiguousName,
                    format!(
                        "vendor account \"{}\" (id {}) matches {} PSA companies by name (ids {})",
                        first.account_name,
                        first.account_id,
                        ids.len(),
                        ids.join(", ")
                    ),
                );
                f.hint = Some("map the account explicitly in accounts.map".into());
                f
            }
            AccountMatch::MissingCompany { id, origin } => {
                let mut f = Finding::new(
                    FindingKind::CompanyNotFound,
                    format!(
                        "vendor account \"{}\" (id {}) is mapped to PSA company {id}, which does not exist or is inactive",
                        first.account_name, first.account_id
                    ),
                );
                f.hint = Some("fix the company id in the mapping".into());
                f.psa_company = Some(id.to_owned());
                f.origin = Some(origin.clone());
                f
            }
            AccountMatch::Company { .. } | AccountMatch::Excluded => return,
        };
        finding.integration = Some(integration.name.clone());
        finding.vendor_account = Some(first.account_id.clone());
        finding.vendor_account_name = Some(first.account_name.clone());
        finding.usage = Some(total);
        self.findings.push(finding);
    }

    fn report_two_accounts(
        &mut self,
        integration: &Integration,
        target: &Target<'a>,
        row: &AccountUsage,
    ) {
        let mut finding = Finding::new(
            FindingKind::ConflictingSources,
            format!(
                "vendor accounts {} and {} both bill {} of {}; the usage of {} is not planned",
                target.account.account_id,
                row.account_id,
                target.service,
                target.company_name,
                row.account_id
            ),
        );
        finding.hint =
            Some("map one vendor account per PSA company; exclude or remap the other".into());
        finding.integration = Some(integration.name.clone());
        finding.vendor_account = Some(row.account_id.clone());
        finding.vendor_account_name = Some(row.account_name.clone());
        finding.psa_company = Some(target.company_id.to_owned());
        finding.usage = Some(row.measure.usage);
        self.findings.push(finding);
    }

    /// One finding per SKU with usage that no service mapping covers.
    fn report_unmapped_services(&mut self, integration: &Integration, usage: &[AccountUsage]) {
        let mut unmapped: BTreeMap<&str, (Decimal, BTreeSet<&str>)> = BTreeMap::new();
        for row in usage
            .iter()
            .filter(|u| !integration.accounts.exclude.contains(&u.account_id))
        {
            if !integration.services.iter().any(|s| s.vendor_sku == row.sku) {
                let entry = unmapped.entry(&row.sku).or_default();
                entry.0 += row.measure.usage;
                entry.1.insert(&row.account_id);
            }
        }
        for (sku, (total, accounts)) in unmapped
            .into_iter()
            .filter(|(_, (total, _))| !total.is_zero())
        {
            let mut finding = Finding::new(
                FindingKind::UnmappedService,
                format!(
                    "vendor service \"{sku}\" has usage {} across {} account(s) but no PSA service",
                    display_usage(total),
                    accounts.len()
                ),
            );
            finding.hint = Some(format!(
                "map it in {}: `- {{vendor: \"{sku}\", psa: \"<service id>\"}}` under services",
                integration.file.display()
            ));
            finding.integration = Some(integration.name.clone());
            finding.vendor_service = Some(sku.to_owned());
            finding.usage = Some(total);
            self.findings.push(finding);
        }
    }

    /// One finding per mapped PSA service the catalogue does not have.
    fn report_missing_services(&mut self, integration: &Integration) {
        let mut seen = BTreeSet::new();
        for mapping in &integration.services {
            if self.catalogue.contains(mapping.psa_service.as_str())
                || !seen.insert(&mapping.psa_service)
            {
                continue;
            }
            let mut finding = Finding::new(
                FindingKind::ServiceNotFound,
                format!(
                    "PSA service \"{}\" (mapped from \"{}\") is not in the PSA's catalogue",
                    mapping.psa_service, mapping.vendor_sku
                ),
            );
            finding.hint = Some("fix the `psa:` identifier of the service mapping".into());
            finding.integration = Some(integration.name.clone());
            finding.psa_service = Some(mapping.psa_service.clone());
            finding.origin = Some(mapping.origin.clone());
            self.findings.push(finding);
        }
    }

    /// Two integrations computing a quantity for one line would make apply flip-flop: neither
    /// is planned, and a finding says why.
    fn drop_conflicting_changes(&mut self) {
        let mut per_line: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
        for change in &self.changes {
            per_line
                .entry((&change.contract, &change.psa_service))
                .or_default()
                .push(&change.integration);
        }
        let conflicts: BTreeMap<(String, String), Vec<String>> = per_line
            .into_iter()
            .filter(|(_, sources)| sources.len() > 1)
            .map(|((c, s), sources)| {
                (
                    (c.to_owned(), s.to_owned()),
                    sources.iter().map(|s| (*s).to_owned()).collect(),
                )
            })
            .collect();
        self.changes
            .retain(|c| !conflicts.contains_key(&(c.contract.clone(), c.psa_service.clone())));
        for ((contract, service), sources) in conflicts {
            let mut finding = Finding::new(
                FindingKind::ConflictingSources,
                format!(
                    "integrations {} all compute a quantity for {service} on contract {contract}; none is planned",
                    sources.join(", ")
                ),
            );
            finding.hint = Some("map the service in one integration only".into());
            finding.contract = Some(contract);
            finding.psa_service = Some(service);
            self.findings.push(finding);
        }
    }

    /// PSA lines for a mapped service that no usage fed: billing for something unused, or a
    /// mapping that is missing.
    fn report_lines_without_usage(&mut self) {
        let mapped: BTreeSet<&str> = self
            .inputs
            .workspace
            .integrations
            .iter()
            .filter(|i| self.inputs.usage.contains_key(&i.name))
            .flat_map(|i| i.services.iter().map(|s| s.psa_service.as_str()))
            .collect();
        for contract in &self.inputs.psa.contracts {
            for line in &contract.lines {
                let key = (contract.id.clone(), line.service_id.clone());
                if !mapped.contains(line.service_id.as_str())
                    || self.touched.contains(&key)
                    || line.quantity.is_zero()
                {
                    continue;
                }
                let company = self
                    .companies
                    .get(&contract.company_id)
                    .map_or(contract.company_id.as_str(), |c| &c.name);
                let mut finding = Finding::new(
                    FindingKind::LineWithoutUsage,
                    format!(
                        "{company}: contract {} line {} bills {} × {} but no usage fed it in {}",
                        contract.id,
                        line.id,
                        line.quantity.normalize(),
                        line.service_id,
                        self.inputs.period
                    ),
                );
                finding.hint =
                    Some("map the vendor account that uses it, or end the line in the PSA".into());
                finding.psa_company = Some(contract.company_id.clone());
                finding.psa_service = Some(line.service_id.clone());
                finding.contract = Some(contract.id.clone());
                finding.line = Some(line.id.clone());
                self.findings.push(finding);
            }
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

fn finding_key(f: &Finding) -> impl Ord + '_ {
    (
        f.kind,
        &f.integration,
        &f.vendor_account,
        &f.vendor_service,
        &f.psa_company,
        &f.contract,
        &f.line,
        &f.psa_service,
        &f.message,
    )
}

/// Usage rows grouped per account, in account-id order.
fn by_account(usage: &[AccountUsage]) -> Vec<Vec<&AccountUsage>> {
    let mut groups: BTreeMap<&str, Vec<&AccountUsage>> = BTreeMap::new();
    for row in usage {
        groups.entry(&row.account_id).or_default().push(row);
    }
    groups.into_values().collect()
}
