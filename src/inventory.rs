//! Inventory: every vendor account and vendor service an integration knows of, with the PSA
//! company or service it bills (or none), for `reckon accounts` and `reckon services`.
//!
//! Pure. Accounts come from the period's usage plus the mapped ones without usage; their status
//! uses the planner's own matching ([`crate::plan::matching`]), so the table never disagrees
//! with `plan`. Services come from the usage plus the configured mappings.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::model::Integration;
use crate::observed::{Company, Service};
use crate::plan::MatchedBy;
use crate::plan::matching::{AccountMatch, CompanyIndex, match_account};
use crate::usage::AccountUsage;

/// How a vendor account is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountStatus {
    /// An `accounts.map` entry names an existing company.
    Mapped,
    /// Matched by `auto_match: exact-name`.
    ExactName,
    /// In `accounts.exclude`.
    Excluded,
    /// No mapping, no exact-name match.
    Unmapped,
    /// Several PSA companies carry its exact name.
    Ambiguous,
    /// The mapping names a company the PSA does not have.
    CompanyNotFound,
}

impl AccountStatus {
    /// The name shown in the table.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mapped => "mapped",
            Self::ExactName => "exact-name",
            Self::Excluded => "excluded",
            Self::Unmapped => "unmapped",
            Self::Ambiguous => "ambiguous",
            Self::CompanyNotFound => "company-not-found",
        }
    }

    /// Whether the account's usage goes nowhere although nobody decided so.
    pub fn needs_mapping(self) -> bool {
        matches!(
            self,
            Self::Unmapped | Self::Ambiguous | Self::CompanyNotFound
        )
    }
}

/// One vendor account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    /// Integration name.
    pub integration: String,
    /// Vendor account id.
    pub account: String,
    /// Vendor account name (`None` when it had no usage in the period).
    pub name: Option<String>,
    /// The PSA company id it bills, or the missing one a mapping names.
    pub psa_company: Option<String>,
    /// That company's name.
    pub psa_company_name: Option<String>,
    /// How it is billed.
    pub status: AccountStatus,
}

/// One vendor service (and one row per PSA service it feeds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRow {
    /// Integration name.
    pub integration: String,
    /// Vendor SKU.
    pub service: String,
    /// Vendor accounts with usage of it in the period.
    pub accounts_with_usage: usize,
    /// The PSA service identifier it maps to, if any.
    pub psa_service: Option<String>,
    /// That service's name in the PSA (`None` when unmapped or not in the catalogue).
    pub psa_service_name: Option<String>,
}

/// Every account of `integrations`, sorted by integration and account id.
pub fn accounts(
    integrations: &[&Integration],
    usage: &BTreeMap<String, Vec<AccountUsage>>,
    companies: &[Company],
) -> Vec<AccountRow> {
    let index = CompanyIndex::new(companies);
    let mut rows = Vec::new();
    for integration in integrations {
        let mut names: BTreeMap<&str, &str> = BTreeMap::new();
        for row in usage.get(&integration.name).into_iter().flatten() {
            names.insert(&row.account_id, &row.account_name);
        }
        let rules = &integration.accounts;
        let ids: BTreeSet<&str> = names
            .keys()
            .copied()
            .chain(rules.map.keys().map(String::as_str))
            .collect();
        for id in ids {
            let name = names.get(id).copied();
            let matched = match_account(rules, &index, id, name.unwrap_or(""));
            let (status, company, company_name) = match matched {
                AccountMatch::Company { company, by, .. } => (
                    match by {
                        MatchedBy::Mapping => AccountStatus::Mapped,
                        MatchedBy::ExactName => AccountStatus::ExactName,
                    },
                    Some(company.id.clone()),
                    Some(company.name.clone()),
                ),
                AccountMatch::Excluded => (AccountStatus::Excluded, None, None),
                AccountMatch::Unmapped => (AccountStatus::Unmapped, None, None),
                AccountMatch::Ambiguous(_) => (AccountStatus::Ambiguous, None, None),
                AccountMatch::MissingCompany { id, .. } => {
                    (AccountStatus::CompanyNotFound, Some(id.to_owned()), None)
                }
            };
            rows.push(AccountRow {
                integration: integration.name.clone(),
                account: id.to_owned(),
                name: name.map(str::to_owned),
                psa_company: company,
                psa_company_name: company_name,
                status,
            });
        }
    }
    rows
}

/// Every vendor service of `integrations`, sorted by integration and SKU; a SKU that fans out
/// to several PSA services has a row for each.
pub fn services(
    integrations: &[&Integration],
    usage: &BTreeMap<String, Vec<AccountUsage>>,
    catalogue: &[Service],
) -> Vec<ServiceRow> {
    let names: BTreeMap<&str, &str> = catalogue
        .iter()
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();
    let mut rows = Vec::new();
    for integration in integrations {
        let mut accounts: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for row in usage.get(&integration.name).into_iter().flatten() {
            accounts
                .entry(&row.sku)
                .or_default()
                .insert(&row.account_id);
        }
        for mapping in &integration.services {
            accounts.entry(&mapping.vendor_sku).or_default();
        }
        for (sku, with_usage) in accounts {
            let mapped: Vec<&str> = integration
                .services
                .iter()
                .filter(|m| m.vendor_sku == sku)
                .map(|m| m.psa_service.as_str())
                .collect();
            let targets: Vec<Option<&str>> = match mapped.is_empty() {
                true => vec![None],
                false => mapped.into_iter().map(Some).collect(),
            };
            for target in targets {
                rows.push(ServiceRow {
                    integration: integration.name.clone(),
                    service: sku.to_owned(),
                    accounts_with_usage: with_usage.len(),
                    psa_service: target.map(str::to_owned),
                    psa_service_name: target.and_then(|t| names.get(t)).map(|n| (*n).to_owned()),
                });
            }
        }
    }
    rows
}

/// Whether `text` occurs (case-insensitively) in any of `fields`.
pub fn matches_search(text: &str, fields: &[Option<&str>]) -> bool {
    let needle = text.to_lowercase();
    fields
        .iter()
        .flatten()
        .any(|field| field.to_lowercase().contains(&needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_is_a_case_insensitive_substring_of_any_field() {
        let fields = [Some("5120"), Some("Evergreen Clinic"), None];
        assert!(matches_search("clinic", &fields));
        assert!(matches_search("512", &fields));
        assert!(!matches_search("acme", &fields));
    }

    #[test]
    fn only_accounts_nobody_decided_about_need_a_mapping() {
        let needs: Vec<&str> = [
            AccountStatus::Mapped,
            AccountStatus::ExactName,
            AccountStatus::Excluded,
            AccountStatus::Unmapped,
            AccountStatus::Ambiguous,
            AccountStatus::CompanyNotFound,
        ]
        .into_iter()
        .filter(|s| s.needs_mapping())
        .map(AccountStatus::as_str)
        .collect();
        assert_eq!(needs, ["unmapped", "ambiguous", "company-not-found"]);
    }
}
