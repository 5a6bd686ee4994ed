//! A target: the usage one vendor account sends to one PSA company and service, as the planner
//! groups it before locating the contract line. Shared by [`super::compute`] and
//! [`super::findings`] (which describes targets that go wrong).

use super::MatchedBy;
use crate::usage::AccountUsage;

/// Usage headed for one PSA company and service.
pub(super) struct Target<'a> {
    /// The first usage row (account and SKU) that made the target.
    pub(super) account: &'a AccountUsage,
    pub(super) company_id: &'a str,
    pub(super) company_name: &'a str,
    /// The contract named by the account mapping, if any.
    pub(super) contract: Option<&'a str>,
    pub(super) matched_by: MatchedBy,
    pub(super) service: &'a str,
    /// The rows (one per SKU) whose usage adds up on the line.
    pub(super) contributions: Vec<&'a AccountUsage>,
}

impl Target<'_> {
    /// The SKUs feeding the line, `+`-joined.
    pub(super) fn skus(&self) -> String {
        self.contributions
            .iter()
            .map(|u| u.sku.as_str())
            .collect::<Vec<_>>()
            .join("+")
    }
}
