//! Import: propose `accounts.map` and `services` entries for one integration from what the vendor
//! and the PSA hold, and the edited integration file that would add them.
//!
//! Matching is exact, character for character, and nothing else: a wrong mapping bills the wrong
//! customer, so anything short of an exact, unambiguous name match is left to a human, with up
//! to three *suggestions* ranked by name similarity written as YAML comments (never as
//! mappings). Pure: the caller reads the vendor, the PSA and the file, and decides whether to
//! write. Proposals skip what the file already maps, excludes or comments on, so importing twice
//! adds nothing the second time.

pub mod insert;

use std::collections::{BTreeMap, BTreeSet};

pub use insert::InsertError;

use crate::config::model::Integration;
use crate::observed::{Company, Service};

/// How many suggestions an unmatched account or service gets.
pub const MAX_SUGGESTIONS: usize = 3;

/// Names less similar than this (0..1, `similar`'s character ratio) are not worth suggesting.
const MIN_SIMILARITY: f32 = 0.5;

/// A vendor account seen in the usage data.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct VendorAccount {
    /// The vendor's account id.
    pub id: String,
    /// Its current name.
    pub name: String,
}

/// Everything import looks at.
pub struct Inputs<'a> {
    /// The integration being imported into.
    pub integration: &'a Integration,
    /// Vendor accounts with usage, unique by id.
    pub accounts: &'a [VendorAccount],
    /// Vendor SKUs with usage.
    pub skus: &'a BTreeSet<String>,
    /// PSA companies.
    pub companies: &'a [Company],
    /// PSA services.
    pub services: &'a [Service],
    /// The integration file's current text.
    pub text: &'a str,
}

/// A proposed mapping: vendor id → PSA id, both with names for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Vendor account id or SKU.
    pub vendor: String,
    /// Vendor account name or SKU.
    pub vendor_name: String,
    /// PSA company or service id.
    pub psa: String,
    /// PSA company or service name.
    pub psa_name: String,
}

/// A vendor account or SKU that import will not map, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmatched {
    /// Vendor account id or SKU.
    pub vendor: String,
    /// Vendor account name or SKU.
    pub vendor_name: String,
    /// Why there is no proposal.
    pub reason: String,
    /// Up to [`MAX_SUGGESTIONS`] candidates, most similar first: `(psa id, psa name)`.
    pub suggestions: Vec<(String, String)>,
    /// Whether the file already carries import's comment about it (so none is added).
    pub already_noted: bool,
}

/// What import proposes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// New `accounts.map` entries.
    pub accounts: Vec<Match>,
    /// New `services` entries.
    pub services: Vec<Match>,
    /// Accounts left for a human.
    pub unmatched_accounts: Vec<Unmatched>,
    /// SKUs left for a human.
    pub unmatched_services: Vec<Unmatched>,
    /// The file with the new entries and comments appended.
    pub text: String,
}

impl Proposal {
    /// Whether writing would change the file.
    pub fn changes_file(&self, original: &str) -> bool {
        self.text != original
    }
}

/// Matches, then edits the text.
pub fn propose(inputs: &Inputs<'_>) -> Result<Proposal, InsertError> {
    let (accounts, unmatched_accounts) = match_accounts(inputs);
    let (services, unmatched_services) = match_services(inputs);
    let account_items = items(&accounts, &unmatched_accounts, "account", "company");
    let text = insert::append_to_list(inputs.text, &["accounts", "map"], &account_items)?;
    let service_items = items(&services, &unmatched_services, "service", "service");
    let text = insert::append_to_list(&text, &["services"], &service_items)?;
    Ok(Proposal {
        accounts,
        services,
        unmatched_accounts,
        unmatched_services,
        text,
    })
}

fn match_accounts(inputs: &Inputs<'_>) -> (Vec<Match>, Vec<Unmatched>) {
    let rules = &inputs.integration.accounts;
    let mut taken: BTreeMap<&str, &str> = rules
        .map
        .iter()
        .map(|(vendor, m)| (m.psa_company.as_str(), vendor.as_str()))
        .collect();
    let mut by_name: BTreeMap<&str, Vec<&Company>> = BTreeMap::new();
    for company in inputs.companies {
        by_name.entry(&company.name).or_default().push(company);
    }
    // Two vendor accounts with one name would both claim the same company: neither is a safe
    // guess.
    let mut name_count: BTreeMap<&str, usize> = BTreeMap::new();
    for account in inputs.accounts {
        *name_count.entry(&account.name).or_default() += 1;
    }
    let mut matches = Vec::new();
    let mut unmatched = Vec::new();
    for account in inputs.accounts {
        if rules.map.contains_key(&account.id) || rules.exclude.contains(&account.id) {
            continue;
        }
        let named: &[&Company] = by_name
            .get(account.name.as_str())
            .map_or(&[], Vec::as_slice);
        let reason = match named {
            [_] if name_count[account.name.as_str()] > 1 => Err(format!(
                "{} vendor accounts are named \"{}\"",
                name_count[account.name.as_str()],
                account.name
            )),
            [company] => match taken.get(company.id.as_str()) {
                Some(other) => Err(format!(
                    "PSA company {} is already mapped from vendor account {other}",
                    company.id
                )),
                None => Ok(*company),
            },
            [] => Err(format!(
                "no PSA company is named exactly \"{}\"",
                account.name
            )),
            several => Err(format!(
                "{} PSA companies are named exactly \"{}\"",
                several.len(),
                account.name
            )),
        };
        match reason {
            Ok(company) => {
                taken.insert(&company.id, &account.id);
                matches.push(Match {
                    vendor: account.id.clone(),
                    vendor_name: account.name.clone(),
                    psa: company.id.clone(),
                    psa_name: company.name.clone(),
                });
            }
            Err(reason) => {
                let candidates = inputs.companies.iter().map(|c| (&c.id, &c.name));
                unmatched.push(Unmatched {
                    vendor: account.id.clone(),
                    vendor_name: account.name.clone(),
                    reason,
                    suggestions: suggestions(&account.name, candidates),
                    already_noted: inputs.text.contains(&marker("account", &account.id)),
                });
            }
        }
    }
    (matches, unmatched)
}

fn match_services(inputs: &Inputs<'_>) -> (Vec<Match>, Vec<Unmatched>) {
    let mapped: BTreeSet<&str> = inputs
        .integration
        .services
        .iter()
        .map(|s| s.vendor_sku.as_str())
        .collect();
    let mut matches = Vec::new();
    let mut unmatched = Vec::new();
    for sku in inputs.skus.iter().filter(|s| !mapped.contains(s.as_str())) {
        let named: Vec<&Service> = inputs.services.iter().filter(|s| s.name == *sku).collect();
        if let [service] = named.as_slice() {
            matches.push(Match {
                vendor: sku.clone(),
                vendor_name: sku.clone(),
                psa: service.id.clone(),
                psa_name: service.name.clone(),
            });
            continue;
        }
        let reason = match named.len() {
            0 => format!("no PSA service is named exactly \"{sku}\""),
            n => format!("{n} PSA services are named exactly \"{sku}\""),
        };
        let candidates = inputs.services.iter().map(|s| (&s.id, &s.name));
        unmatched.push(Unmatched {
            vendor: sku.clone(),
            vendor_name: sku.clone(),
            reason,
            suggestions: suggestions(sku, candidates),
            already_noted: inputs.text.contains(&marker("service", sku)),
        });
    }
    (matches, unmatched)
}

/// Up to [`MAX_SUGGESTIONS`] candidates by name similarity (case-insensitive), best first, ties
/// by id so the order is stable.
fn suggestions<'c>(
    name: &str,
    candidates: impl Iterator<Item = (&'c String, &'c String)>,
) -> Vec<(String, String)> {
    let wanted = name.to_lowercase();
    let mut scored: Vec<(f32, &String, &String)> = candidates
        .map(|(id, candidate)| {
            let ratio =
                similar::TextDiff::from_chars(wanted.as_str(), &candidate.to_lowercase()).ratio();
            (ratio, id, candidate)
        })
        .filter(|(ratio, _, _)| *ratio >= MIN_SIMILARITY)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored
        .into_iter()
        .take(MAX_SUGGESTIONS)
        .map(|(_, id, name)| (id.clone(), name.clone()))
        .collect()
}

/// The comment line that marks import's note about one vendor account or SKU; finding it in the
/// file means the note is there already.
fn marker(kind: &str, vendor: &str) -> String {
    format!("# reckon import: vendor {kind} {}", quoted(vendor))
}

/// The list items to append: each match as a mapping, each new unmatched note as comments.
fn items(
    matches: &[Match],
    unmatched: &[Unmatched],
    kind: &str,
    psa_kind: &str,
) -> Vec<Vec<String>> {
    let mut items: Vec<Vec<String>> = matches
        .iter()
        .map(|m| {
            let first = format!("- vendor: {}", quoted(&m.vendor));
            let first = if m.vendor_name == m.vendor {
                first
            } else {
                format!("{first}   # {}", one_line(&m.vendor_name))
            };
            vec![
                first,
                format!("  psa: {}   # {}", quoted(&m.psa), one_line(&m.psa_name)),
            ]
        })
        .collect();
    for note in unmatched.iter().filter(|u| !u.already_noted) {
        let mut lines = vec![format!(
            "{}: {}",
            marker(kind, &note.vendor),
            one_line(&note.reason)
        )];
        if note.suggestions.is_empty() {
            lines.push(format!(
                "#   no similar PSA {psa_kind} names; map it by hand"
            ));
        } else {
            lines.push(format!(
                "#   not mapped; similar PSA {psa_kind} names (uncomment one to map it):"
            ));
            for (id, name) in &note.suggestions {
                lines.push(format!(
                    "# - {{vendor: {}, psa: {}}}   # {}",
                    quoted(&note.vendor),
                    quoted(id),
                    one_line(name)
                ));
            }
        }
        items.push(lines);
    }
    items
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn quoted(value: &str) -> String {
    serde_json::Value::String(value.to_owned()).to_string()
}

/// Names go into comments: no line breaks or control characters may end the comment early.
fn one_line(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests;
