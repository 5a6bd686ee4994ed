//! The API budget of one apply: how many requests its writes will make (by the adapter's own
//! protocol, [`Psa::apply_cost`]) against what the tenant has left this hour, where the PSA
//! publishes it ([`Psa::api_budget`], Autotask's `ThresholdInformation`, read once), and
//! whether that is more than `policy.max_api_share` of it. Warns; never refuses (the budget is
//! shared, so it can only be judged, and the writes are what the plan decided).

use crate::plan::{Action, Plan};
use crate::psa::{ApiBudget, Psa};

/// What an apply will spend and what is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Requests the apply's writes will make (an estimate: retries can add some).
    pub requests: u64,
    /// The tenant's budget for the current timeframe, when the PSA publishes it.
    pub tenant: Option<ApiBudget>,
    /// `policy.max_api_share`, in percent.
    pub share: u32,
}

impl Budget {
    /// `plan`'s writes on `psa`, with the tenant's budget read once.
    pub async fn of<P: Psa>(plan: &Plan, psa: &P, share: u32) -> Self {
        let (mut updates, mut creates) = (0, 0);
        for change in plan.applicable() {
            match change.action {
                Action::Update { .. } => updates += 1,
                Action::Create => creates += 1,
                Action::NoOp { .. } => {}
            }
        }
        Self {
            requests: psa.apply_cost(updates, creates),
            tenant: psa.api_budget().await,
            share,
        }
    }

    /// Whether the apply would use more than [`Budget::share`] of what the tenant has left.
    pub fn over_share(&self) -> bool {
        self.tenant.is_some_and(|tenant| {
            u128::from(self.requests) * 100
                > u128::from(tenant.remaining()) * u128::from(self.share)
        })
    }

    /// One line for the person applying, e.g. `this apply makes about 2008 PSA requests; the
    /// tenant has 7500 of 10000 left this hour`.
    pub fn describe(&self) -> String {
        let mut text = format!("this apply makes about {} PSA requests", self.requests);
        if let Some(tenant) = self.tenant {
            text.push_str(&format!(
                "; the tenant has {} of {} left this hour",
                tenant.remaining(),
                tenant.limit
            ));
        }
        text
    }

    /// The warning when [`Budget::over_share`], with what to do.
    pub fn warning(&self) -> Option<String> {
        let tenant = self.tenant.filter(|_| self.over_share())?;
        Some(format!(
            "this apply would use {} of the {} API requests the tenant has left this hour, more than policy.max_api_share ({} %); every integration of the tenant shares them: apply later, or raise policy.max_api_share in reckon.yaml",
            self.requests,
            tenant.remaining(),
            self.share
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(requests: u64, used: u64) -> Budget {
        Budget {
            requests,
            tenant: Some(ApiBudget {
                limit: 10_000,
                used,
            }),
            share: 50,
        }
    }

    #[test]
    fn an_apply_over_its_share_of_what_is_left_is_warned_about() {
        assert!(budget(2_008, 0).warning().is_none());
        assert!(budget(5_000, 0).warning().is_none(), "exactly half");
        let over = budget(2_008, 7_000);
        let warning = over.warning().expect("2008 of 3000 left is over half");
        assert!(warning.contains("2008 of the 3000"), "{warning}");
        assert!(warning.contains("policy.max_api_share (50 %)"), "{warning}");
        assert_eq!(
            over.describe(),
            "this apply makes about 2008 PSA requests; the tenant has 3000 of 10000 left this hour"
        );
    }

    #[test]
    fn without_a_published_budget_there_is_nothing_to_warn_about() {
        let unknown = Budget {
            requests: 1_000_000,
            tenant: None,
            share: 1,
        };
        assert!(unknown.warning().is_none());
        assert_eq!(
            unknown.describe(),
            "this apply makes about 1000000 PSA requests"
        );
    }
}
