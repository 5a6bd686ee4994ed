//! The planner's findings: everything that needs a human (unmapped accounts and services,
//! missing companies, services and lines, conflicting sources, lines no usage fed), each with a
//! hint saying what to do. Free functions of what they describe, called by
//! [`super::compute`] (which they never call back). Part of the pure planner: no I/O.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use super::matching::{AccountMatch, CompanyIndex};
use super::target::Target;
use super::{Change, Finding, FindingKind};
use crate::config::model::Integration;
use crate::money::Currency;
use crate::observed::{Contract, Line};
use crate::period::Period;
use crate::usage::{AccountUsage, display_usage};

/// `finding`, filled in with what `target` concerns.
pub(super) fn about_target(
    mut finding: Finding,
    integration: &Integration,
    target: &Target<'_>,
    usage: Option<Decimal>,
) -> Finding {
    finding.integration = Some(integration.name.clone());
    finding.vendor_account = Some(target.account.account_id.clone());
    finding.vendor_account_name = Some(target.account.account_name.clone());
    finding.vendor_service = Some(target.skus());
    finding.psa_company = Some(target.company_id.to_owned());
    finding.psa_service = Some(target.service.to_owned());
    finding.usage = usage;
    finding
}

/// A mapped account and service whose contract has no line for the service.
pub(super) fn missing_line(
    integration: &Integration,
    target: &Target<'_>,
    service_name: &str,
    contract: &Contract,
    usage: Decimal,
) -> Finding {
    let service = service_label(target.service, service_name);
    let mut finding = Finding::new(
        FindingKind::MissingLine,
        format!(
            "contract {} of {} has no {service} line for usage {} of {}",
            contract.id,
            target.company_name,
            display_usage(usage),
            target.account.account_name
        ),
    );
    finding.hint = Some(format!(
        "add a {service} line to contract {}, or set `policy.create_missing_lines: true` in reckon.yaml",
        contract.id
    ));
    about_target(finding, integration, target, Some(usage))
}

/// Why `account` goes nowhere (`None` when that is intended, or it has no usage).
pub(super) fn unmatched(
    integration: &Integration,
    account: &[&AccountUsage],
    matched: AccountMatch<'_>,
    currency: Option<&Currency>,
) -> Option<Finding> {
    let first = account[0];
    let total = super::saturating_sum(account.iter().map(|u| u.measure.usage));
    let (vendor_cost, cost_note) = super::money::unbilled(integration, account, currency);
    let by_sku: Vec<String> = account
        .iter()
        .map(|u| format!("{} {}", u.sku, display_usage(u.measure.usage)))
        .collect();
    let mut finding = match matched {
        AccountMatch::Unmapped if total.is_zero() => return None,
        AccountMatch::Unmapped => {
            let mut f = Finding::new(
                FindingKind::UnmappedAccount,
                format!(
                    "vendor account \"{}\" (id {}) has usage but no PSA company: {}{cost_note}",
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
        AccountMatch::Company { .. } | AccountMatch::Excluded => return None,
    };
    finding.integration = Some(integration.name.clone());
    finding.vendor_account = Some(first.account_id.clone());
    finding.vendor_account_name = Some(first.account_name.clone());
    finding.usage = Some(total);
    if finding.kind == FindingKind::UnmappedAccount {
        finding.vendor_cost = vendor_cost;
    }
    Some(finding)
}

/// A second vendor account (`row`'s) billing the line `target` already bills.
pub(super) fn two_accounts(
    integration: &Integration,
    target: &Target<'_>,
    row: &AccountUsage,
) -> Finding {
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
    finding
}

/// One finding per SKU with usage that no service mapping covers.
pub(super) fn unmapped_services(
    integration: &Integration,
    usage: &[AccountUsage],
    currency: Option<&Currency>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut unmapped: BTreeMap<&str, (Decimal, BTreeSet<&str>, Vec<&AccountUsage>)> =
        BTreeMap::new();
    for row in usage
        .iter()
        .filter(|u| !integration.accounts.exclude.contains(&u.account_id))
    {
        if !integration.services.iter().any(|s| s.vendor_sku == row.sku) {
            let entry = unmapped.entry(&row.sku).or_default();
            entry.0 = entry.0.saturating_add(row.measure.usage);
            entry.1.insert(&row.account_id);
            entry.2.push(row);
        }
    }
    for (sku, (total, accounts, rows)) in unmapped
        .into_iter()
        .filter(|(_, (total, _, _))| !total.is_zero())
    {
        let (vendor_cost, cost_note) = super::money::unbilled(integration, &rows, currency);
        let mut finding = Finding::new(
            FindingKind::UnmappedService,
            format!(
                "vendor service \"{sku}\" has usage {} across {} account(s) but no PSA \
                 service{cost_note}",
                display_usage(total),
                accounts.len()
            ),
        );
        finding.vendor_cost = vendor_cost;
        finding.hint = Some(format!(
            "map it in {}: `- {{vendor: \"{sku}\", psa: \"<service id>\"}}` under services",
            integration.file.display()
        ));
        finding.integration = Some(integration.name.clone());
        finding.vendor_service = Some(sku.to_owned());
        finding.usage = Some(total);
        findings.push(finding);
    }
    findings
}

/// One finding per mapped PSA service the catalogue does not have.
pub(super) fn missing_services(
    integration: &Integration,
    catalogue: &BTreeSet<&str>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut seen = BTreeSet::new();
    for mapping in &integration.services {
        if catalogue.contains(mapping.psa_service.as_str()) || !seen.insert(&mapping.psa_service) {
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
        findings.push(finding);
    }
    findings
}

/// Two integrations computing a quantity for one line would make apply flip-flop: neither is
/// planned, and a finding says why. Returns the findings and, per integration concerned, how many
/// of them concern it.
pub(super) fn drop_conflicting_changes(
    changes: &mut Vec<Change>,
) -> (Vec<Finding>, BTreeMap<String, usize>) {
    let mut findings = Vec::new();
    let mut concerned: BTreeMap<String, usize> = BTreeMap::new();
    // Per contract and service: the service's catalogue name and the integrations planning it.
    let mut per_line: BTreeMap<(&str, &str), (&str, Vec<&str>)> = BTreeMap::new();
    for change in changes.iter() {
        per_line
            .entry((&change.contract, &change.psa_service))
            .or_insert_with(|| (&change.psa_service_name, Vec::new()))
            .1
            .push(&change.integration);
    }
    let conflicts: BTreeMap<(String, String), (String, Vec<String>)> = per_line
        .into_iter()
        .filter(|(_, (_, sources))| sources.len() > 1)
        .map(|((c, s), (name, sources))| {
            (
                (c.to_owned(), s.to_owned()),
                (
                    name.to_owned(),
                    sources.iter().map(|s| (*s).to_owned()).collect(),
                ),
            )
        })
        .collect();
    changes.retain(|c| !conflicts.contains_key(&(c.contract.clone(), c.psa_service.clone())));
    for ((contract, service), (name, sources)) in conflicts {
        for source in &sources {
            *concerned.entry(source.clone()).or_default() += 1;
        }
        let mut finding = Finding::new(
            FindingKind::ConflictingSources,
            format!(
                "integrations {} all compute a quantity for {} on contract {contract}; none is planned",
                sources.join(", "),
                service_label(&service, &name)
            ),
        );
        finding.hint = Some("map the service in one integration only".into());
        finding.contract = Some(contract);
        finding.psa_service = Some(service);
        findings.push(finding);
    }
    (findings, concerned)
}

/// PSA lines for a mapped service (`mapped`) that no usage fed (`touched` lists the contract
/// and service pairs some usage was headed for): billing for something unused, or a mapping
/// that is missing.
pub(super) fn lines_without_usage<'n>(
    contracts: &[Contract],
    companies: &CompanyIndex<'_>,
    service_name: impl Fn(&str) -> &'n str,
    mapped: &BTreeSet<&str>,
    touched: &BTreeSet<(String, String)>,
    period: Period,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for contract in contracts {
        for line in &contract.lines {
            let key = (contract.id.clone(), line.service_id.clone());
            if !mapped.contains(line.service_id.as_str())
                || touched.contains(&key)
                || line.quantity.is_zero()
            {
                continue;
            }
            let company = companies
                .get(&contract.company_id)
                .map_or(contract.company_id.as_str(), |c| &c.name);
            let mut finding = Finding::new(
                FindingKind::LineWithoutUsage,
                format!(
                    "{company}: contract {} line {} bills {} × {} but no usage fed it in {}",
                    contract.id,
                    line.id,
                    line.quantity.normalize(),
                    service_label(&line.service_id, service_name(&line.service_id)),
                    period
                ),
            );
            finding.hint =
                Some("map the vendor account that uses it, or end the line in the PSA".into());
            finding.psa_company = Some(contract.company_id.clone());
            finding.psa_service = Some(line.service_id.clone());
            finding.contract = Some(contract.id.clone());
            finding.line = Some(line.id.clone());
            findings.push(finding);
        }
    }
    findings
}

/// A PSA service as a finding names it: its id, with its catalogue name beside it when the
/// catalogue has one (`31 ("Keeper Business Plus")`): an Autotask id alone says nothing to the
/// person reading the plan.
pub(super) fn service_label(id: &str, name: &str) -> String {
    if name.is_empty() || name == id {
        id.to_owned()
    } else {
        format!("{id} (\"{name}\")")
    }
}

/// Orders findings: most costly kind first, then by what they concern.
pub(super) fn finding_key(f: &Finding) -> impl Ord + '_ {
    (
        f.kind,
        // The costliest first within a kind: unbilled usage leads with what it loses.
        std::cmp::Reverse(f.vendor_cost.as_ref().map(|c| c.amount)),
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

/// Why the usage cannot be written to `contract` at all, if it cannot: its line holds no
/// quantity on the effective date (a change from an unknown quantity is no change), or the
/// contract bills the service inside a bundle (a standalone line would bill it twice).
pub(super) fn unwritable(
    integration: &Integration,
    target: &Target<'_>,
    contract: &Contract,
    line: Option<&Line>,
    usage: Decimal,
    effective_date: chrono::NaiveDate,
) -> Option<Finding> {
    let mut finding = match line {
        Some(line) => {
            let why = line.quantity_unknown.as_deref()?;
            let mut f = Finding::new(
                FindingKind::QuantityUnknown,
                format!(
                    "contract {} line {} ({} of {}) has no quantity on {effective_date}: {why}; usage {} not written",
                    contract.id,
                    line.id,
                    target.service,
                    target.company_name,
                    display_usage(usage)
                ),
            );
            f.hint = Some(
                "check the contract's periods and the line's units in the PSA, then plan again"
                    .into(),
            );
            f.line = Some(line.id.clone());
            f
        }
        None => {
            let bundled = contract
                .bundled
                .iter()
                .find(|b| b.service_id == target.service)?;
            let mut f = Finding::new(
                FindingKind::BundledService,
                format!(
                    "contract {} of {} bills {} inside {}; usage {} of {} not written",
                    contract.id,
                    target.company_name,
                    target.service,
                    bundled.bundle,
                    display_usage(usage),
                    target.account.account_name
                ),
            );
            f.hint = Some(
                "adjust the bundle's units in the PSA, or move the service out of the bundle onto a line of its own; reckon never adds a second, standalone line"
                    .into(),
            );
            f
        }
    };
    finding.contract = Some(contract.id.clone());
    Some(about_target(finding, integration, target, Some(usage)))
}

#[cfg(test)]
mod tests {
    use super::service_label;

    #[test]
    fn a_service_is_named_beside_its_id_when_the_catalogue_names_it() {
        assert_eq!(
            service_label("31", "Keeper Business Plus"),
            "31 (\"Keeper Business Plus\")"
        );
        assert_eq!(service_label("31", ""), "31", "not in the catalogue");
        assert_eq!(service_label("KEEPER-BP", "KEEPER-BP"), "KEEPER-BP");
    }
}
