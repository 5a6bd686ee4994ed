//! Vendor account → PSA company matching: explicit mappings by id, then (when enabled) exact,
//! character-for-character name equality with exactly one PSA company. Never fuzzy, never a
//! guess: two companies with the account's name is an ambiguity for a human.

use std::collections::BTreeMap;

use super::MatchedBy;
use crate::config::model::{AccountRules, AutoMatch, Origin};
use crate::observed::Company;

/// The PSA companies, indexed for matching.
pub struct CompanyIndex<'a> {
    by_id: BTreeMap<&'a str, &'a Company>,
    by_name: BTreeMap<&'a str, Vec<&'a Company>>,
}

impl<'a> CompanyIndex<'a> {
    /// Indexes `companies` by id and by exact name.
    pub fn new(companies: &'a [Company]) -> Self {
        let mut by_name: BTreeMap<&str, Vec<&Company>> = BTreeMap::new();
        for company in companies {
            by_name
                .entry(company.name.as_str())
                .or_default()
                .push(company);
        }
        let by_id = companies.iter().map(|c| (c.id.as_str(), c)).collect();
        Self { by_id, by_name }
    }

    /// The company with `id`.
    pub fn get(&self, id: &str) -> Option<&'a Company> {
        self.by_id.get(id).copied()
    }
}

/// Where a vendor account's usage goes.
pub enum AccountMatch<'a> {
    /// Billed to this company.
    Company {
        /// The company.
        company: &'a Company,
        /// The contract named by the mapping, if any.
        contract: Option<&'a str>,
        /// How it was matched.
        by: MatchedBy,
    },
    /// Deliberately not billed.
    Excluded,
    /// No mapping and no exact-name match.
    Unmapped,
    /// Several PSA companies carry the account's exact name.
    Ambiguous(Vec<&'a Company>),
    /// The mapping names a company the PSA does not have.
    MissingCompany {
        /// The company id in the mapping.
        id: &'a str,
        /// Where the mapping is.
        origin: &'a Origin,
    },
}

/// Matches one vendor account.
pub fn match_account<'a>(
    rules: &'a AccountRules,
    companies: &CompanyIndex<'a>,
    account_id: &str,
    account_name: &str,
) -> AccountMatch<'a> {
    if rules.exclude.contains(account_id) {
        return AccountMatch::Excluded;
    }
    if let Some(mapping) = rules.map.get(account_id) {
        return match companies.get(&mapping.psa_company) {
            Some(company) => AccountMatch::Company {
                company,
                contract: mapping.contract.as_deref(),
                by: MatchedBy::Mapping,
            },
            None => AccountMatch::MissingCompany {
                id: &mapping.psa_company,
                origin: &mapping.origin,
            },
        };
    }
    if rules.auto_match != AutoMatch::ExactName {
        return AccountMatch::Unmapped;
    }
    match companies.by_name.get(account_name).map(Vec::as_slice) {
        Some([company]) => AccountMatch::Company {
            company,
            contract: None,
            by: MatchedBy::ExactName,
        },
        Some(several) if several.len() > 1 => AccountMatch::Ambiguous(several.to_vec()),
        _ => AccountMatch::Unmapped,
    }
}
