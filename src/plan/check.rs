//! `Plan::check`: the invariants every plan holds, checked after [`super::compute`] (in debug
//! builds) and on every saved plan read back. A plan that fails is a bug (or an edited file),
//! never something to apply.

use std::collections::BTreeSet;

use super::blockers::{self, Blocker};
use super::findings::finding_key;
use super::{Action, ActionKind, Approval, Plan, Severity};

impl Plan {
    /// Every broken invariant, in words; `Ok` when there is none.
    pub fn check(&self) -> Result<(), Vec<String>> {
        let mut broken = Vec::new();
        self.check_changes(&mut broken);
        self.check_blockers(&mut broken);
        if broken.is_empty() {
            Ok(())
        } else {
            Err(broken)
        }
    }

    fn check_changes(&self, broken: &mut Vec<String>) {
        let mut lines = BTreeSet::new();
        for pair in self.changes.windows(2) {
            if (&pair[0].address, &pair[0].contract) > (&pair[1].address, &pair[1].contract) {
                broken.push(format!("changes out of order at {}", pair[1].address));
            }
        }
        for c in &self.changes {
            if !self.integrations.contains(&c.integration) {
                broken.push(format!(
                    "{}: integration {} was not planned",
                    c.address, c.integration
                ));
            }
            if !lines.insert((&c.contract, &c.psa_service)) {
                broken.push(format!(
                    "{}: a second change for {} on contract {}",
                    c.address, c.psa_service, c.contract
                ));
            }
            if c.quantity.is_sign_negative() && !c.quantity.is_zero() {
                broken.push(format!("{}: negative quantity {}", c.address, c.quantity));
            }
            match &c.action {
                Action::Update { from, .. } if from.normalize() == c.quantity.normalize() => {
                    broken.push(format!("{}: an update to the quantity it holds", c.address));
                }
                Action::NoOp { .. } if c.approval != Approval::NotNeeded => {
                    broken.push(format!("{}: a no-op with an approval", c.address));
                }
                _ => {}
            }
            if c.effective_date != self.effective_date {
                broken.push(format!("{}: another effective date", c.address));
            }
        }
        for pair in self.findings.windows(2) {
            if finding_key(&pair[0]) > finding_key(&pair[1]) {
                broken.push(format!("findings out of order at {}", pair[1].message));
            }
        }
    }

    fn check_blockers(&self, broken: &mut Vec<String>) {
        for f in &self.findings {
            if f.severity == Severity::Error
                && let Some(integration) = &f.integration
                && !self.is_blocked(integration)
            {
                broken.push(format!(
                    "{integration}: an error finding ({}) without a blocker",
                    f.kind
                ));
            }
        }
        for partial in self.partial_data() {
            if !self.integrations.contains(&partial.integration) {
                broken.push(format!("partial data of unplanned {}", partial.integration));
            }
        }
        if self.zeroes_every_line() != blockers::zeroes_every_line(&self.changes) {
            broken.push("the zero-every-line blocker disagrees with the changes".into());
        }
        let held = self
            .actions()
            .filter(|c| !self.is_blocked(&c.integration))
            .filter(|c| matches!(c.approval, Approval::Needed(_)))
            .count();
        let writable = self.applicable().count();
        let all_held = held > 0 && writable == 0;
        match self
            .blockers
            .iter()
            .find(|b| matches!(b, Blocker::AllHeld { .. }))
        {
            Some(Blocker::AllHeld { held: n }) if all_held && *n == held => {}
            None if !all_held => {}
            _ => broken.push("the all-held blocker disagrees with the changes".into()),
        }
        if self
            .applicable()
            .any(|c| c.action.kind() == ActionKind::NoOp)
        {
            broken.push("a no-op among the writes".into());
        }
    }
}
