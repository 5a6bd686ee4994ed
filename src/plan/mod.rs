//! The plan: every decision reckon makes about a billing period, as data.
//!
//! [`compute`] is a pure function of the validated workspace, the measured usage, the PSA
//! snapshot, the approvals granted and the interrupted writes found; it decides everything —
//! each line's [`Action`], each finding's [`Severity`], each change's [`Approval`] and the plan's
//! [`Blocker`]s — and nothing edits a plan afterwards ([`Plan::check`] states the invariants).
//! `apply` executes a plan's actions and decides nothing. Order is deterministic (sorted by
//! address) so plans can be diffed and snapshot-tested.

pub mod approval;
mod blockers;
mod check;
mod compute;
mod findings;
mod kind;
pub mod matching;
mod target;
#[cfg(test)]
pub(crate) mod tests;

use chrono::NaiveDate;
use rust_decimal::Decimal;

pub use blockers::{Blocker, PartialData, of_changes as blockers_of_changes};
pub use compute::{Inputs, compute};
pub use kind::{FindingKind, Severity};

use crate::config::model::Origin;
use crate::period::Period;
pub use crate::provenance::Provenance;
use crate::usage::{BillingModel, Rounding};

/// The planned changes and the findings for one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The billing period measured.
    pub period: Period,
    /// The date every change takes effect.
    pub effective_date: NaiveDate,
    /// The PSA kind, e.g. `sandbox`.
    pub psa: String,
    /// The integrations planned (all of them unless `--integration` narrowed it).
    pub integrations: Vec<String>,
    /// Whether some integrations were left out on request.
    pub partial: bool,
    /// One entry per PSA line reckon computed a quantity for, including unchanged ones.
    pub changes: Vec<Change>,
    /// Everything that needs a human: unmapped accounts, missing lines, ambiguities.
    pub findings: Vec<Finding>,
    /// Writes of an earlier apply whose outcome is unknown (it was interrupted), as the caller
    /// found them in the apply journal (an input: the planner reads no files).
    pub interrupted: Vec<Interrupted>,
    /// Why apply must not write some or all of this plan, decided by the planner.
    pub blockers: Vec<Blocker>,
    /// Where the plan came from (tenant, commit, time, who, version): an input, copied as is.
    pub provenance: Provenance,
}

/// A write an earlier apply started but never recorded the outcome of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interrupted {
    /// The plan address written.
    pub address: String,
    /// PSA contract id.
    pub contract: String,
    /// PSA line id (`None` for a create).
    pub line: Option<String>,
    /// The quantity the interrupted apply planned against.
    pub before: Option<Decimal>,
    /// The quantity it was writing.
    pub after: Decimal,
    /// What the line holds now, re-read before planning (`None` when not readable).
    pub found: Option<Decimal>,
    /// When the write was started (RFC 3339).
    pub time: String,
}

/// What apply will do to one line, with what it needs to do it: an update always has its line
/// and the quantity planned against, a create never has a line. (The quantity to write is the
/// change's [`Change::quantity`].)
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Add a line for the change's service to its contract.
    Create,
    /// Change the quantity of `line` from `from`.
    Update {
        /// PSA line id.
        line: String,
        /// The line's quantity on the effective date as observed.
        from: Decimal,
    },
    /// `line` already holds the right quantity.
    NoOp {
        /// PSA line id.
        line: String,
    },
}

/// An [`Action`] without its payload: for counting, filtering and the JSON formats.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    /// `create`
    Create,
    /// `update`
    Update,
    /// `no-op`
    NoOp,
}

impl Action {
    /// The kind, without the payload.
    pub fn kind(&self) -> ActionKind {
        match self {
            Self::Create => ActionKind::Create,
            Self::Update { .. } => ActionKind::Update,
            Self::NoOp { .. } => ActionKind::NoOp,
        }
    }

    /// The name used in JSON and text.
    pub fn as_str(&self) -> &'static str {
        self.kind().as_str()
    }
}

impl ActionKind {
    /// The name used in JSON and text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::NoOp => "no-op",
        }
    }
}

/// How a vendor account was matched to its PSA company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatchedBy {
    /// An `accounts.map` entry.
    Mapping,
    /// `auto_match: exact-name`.
    ExactName,
}

impl MatchedBy {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mapping => "mapping",
            Self::ExactName => "exact-name",
        }
    }
}

/// One PSA line and the quantity reckon computed for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `integration/account name/sku → company name/service`.
    pub address: String,
    /// What apply does.
    pub action: Action,
    /// The integration the usage came from.
    pub integration: String,
    /// Vendor account id.
    pub vendor_account: String,
    /// Vendor account name.
    pub vendor_account_name: String,
    /// The vendor SKUs whose usage adds up into this line.
    pub vendor_services: Vec<String>,
    /// PSA company id.
    pub psa_company: String,
    /// PSA company name.
    pub psa_company_name: String,
    /// PSA service identifier.
    pub psa_service: String,
    /// The PSA service's name from its catalogue; empty when the catalogue does not list it.
    pub psa_service_name: String,
    /// PSA contract id.
    pub contract: String,
    /// Raw usage (the billing model's result, summed over the SKUs), unrounded.
    pub usage: Decimal,
    /// The rounded quantity the line should hold (what a create or an update writes).
    pub quantity: Decimal,
    /// When the quantity takes effect.
    pub effective_date: NaiveDate,
    /// The integration's billing model.
    pub billing_model: BillingModel,
    /// The rounding applied.
    pub rounding: Rounding,
    /// How the account was matched.
    pub matched_by: MatchedBy,
    /// The daily counts behind `usage`, summed over the SKUs, by date — for the HTML report's
    /// charts. Not part of the JSON plan.
    pub daily: Vec<(NaiveDate, Decimal)>,
    /// Whether the change is beyond an approval threshold, and who approved it.
    pub approval: Approval,
}

/// A change's standing against the approval thresholds (`policy:` in reckon.yaml).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Approval {
    /// Within every threshold.
    #[default]
    NotNeeded,
    /// Beyond a threshold (the reasons), and not approved: apply holds it back.
    Needed(Vec<String>),
    /// Beyond a threshold and approved.
    Approved {
        /// Why it needed approval.
        reasons: Vec<String>,
        /// Who approved it: `approvals.yaml:LINE` or `--approve`.
        by: String,
    },
}

/// Something that needs a human; never silently dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What kind.
    pub kind: FindingKind,
    /// How bad: the kind's default, or an error when `policy.fail_on` lists the kind.
    pub severity: Severity,
    /// The integration concerned, if any.
    pub integration: Option<String>,
    /// What was found, in plain words.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// Vendor account id.
    pub vendor_account: Option<String>,
    /// Vendor account name.
    pub vendor_account_name: Option<String>,
    /// Vendor SKU.
    pub vendor_service: Option<String>,
    /// Usage at stake (unrounded), when there is some.
    pub usage: Option<Decimal>,
    /// PSA company id.
    pub psa_company: Option<String>,
    /// PSA service identifier.
    pub psa_service: Option<String>,
    /// PSA contract id.
    pub contract: Option<String>,
    /// PSA line id.
    pub line: Option<String>,
    /// The YAML that the finding is about, when there is one.
    pub origin: Option<Origin>,
}

impl Finding {
    /// A finding of `kind` with only a message; the planner fills in the fields that apply.
    pub fn new(kind: FindingKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            severity: kind.default_severity(),
            integration: None,
            message: message.into(),
            hint: None,
            vendor_account: None,
            vendor_account_name: None,
            vendor_service: None,
            usage: None,
            psa_company: None,
            psa_service: None,
            contract: None,
            line: None,
            origin: None,
        }
    }
}

/// The sum of `values`, saturating at the largest decimal rather than overflowing: vendor
/// figures that large exceed `policy.max_quantity` and are held for approval, never written.
fn saturating_sum(values: impl Iterator<Item = Decimal>) -> Decimal {
    values.fold(Decimal::ZERO, Decimal::saturating_add)
}

/// Counts for the closing line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Lines to create.
    pub create: usize,
    /// Lines to update.
    pub update: usize,
    /// Lines already right.
    pub unchanged: usize,
    /// Findings.
    pub findings: usize,
    /// Findings that are errors.
    pub errors: usize,
    /// Findings that are warnings.
    pub warnings: usize,
}

impl Change {
    /// The PSA line, unless the change creates it.
    pub fn line(&self) -> Option<&str> {
        match &self.action {
            Action::Create => None,
            Action::Update { line, .. } | Action::NoOp { line } => Some(line),
        }
    }

    /// The line's quantity as observed (`None` when creating).
    pub fn current(&self) -> Option<Decimal> {
        match &self.action {
            Action::Create => None,
            Action::Update { from, .. } => Some(*from),
            Action::NoOp { .. } => Some(self.quantity),
        }
    }
}

impl Plan {
    /// Counts of actions and findings.
    pub fn summary(&self) -> Summary {
        let count = |kind| {
            self.changes
                .iter()
                .filter(|c| c.action.kind() == kind)
                .count()
        };
        let errors = self
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        Summary {
            create: count(ActionKind::Create),
            update: count(ActionKind::Update),
            unchanged: count(ActionKind::NoOp),
            findings: self.findings.len(),
            errors,
            warnings: self.findings.len() - errors,
        }
    }

    /// Whether apply would write anything.
    pub fn has_changes(&self) -> bool {
        self.actions().next().is_some()
    }

    /// The changes apply would write, in plan order.
    pub fn actions(&self) -> impl Iterator<Item = &Change> {
        self.changes
            .iter()
            .filter(|c| c.action.kind() != ActionKind::NoOp)
    }

    /// Whether any finding is an error (`plan` and `apply` then exit 1).
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}
