//! The plan: every decision reckon makes about a billing period, as data.
//!
//! [`compute`] is a pure function of the validated workspace, the measured usage and the PSA
//! snapshot; `apply` executes a plan's actions and decides nothing. Order is deterministic
//! (sorted by address) so plans can be diffed and snapshot-tested.

pub mod approval;
mod compute;
mod findings;
pub mod matching;

use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;

pub use compute::{Inputs, compute};

use crate::config::model::Origin;
use crate::period::Period;
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
    /// Writes of an earlier apply whose outcome is unknown (it was interrupted); filled in from
    /// the apply journal by the caller, since the planner reads no files.
    pub interrupted: Vec<Interrupted>,
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

/// What apply will do to one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    /// Add a line to the contract.
    Create,
    /// Change the line's quantity.
    Update,
    /// The line already holds the right quantity.
    NoOp,
}

impl Action {
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// PSA contract id.
    pub contract: String,
    /// PSA line id; `None` for a line still to be created.
    pub line: Option<String>,
    /// Raw usage (the billing model's result, summed over the SKUs), unrounded.
    pub usage: Decimal,
    /// The rounded quantity to write.
    pub quantity: Decimal,
    /// The line's quantity on the effective date as observed; `None` when creating.
    pub current: Option<Decimal>,
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

/// The kinds of finding, most costly first (unmapped usage is lost revenue).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FindingKind {
    /// A vendor account with usage that maps to no PSA company.
    UnmappedAccount,
    /// A vendor SKU with usage that maps to no PSA service.
    UnmappedService,
    /// Two PSA companies carry the account's exact name.
    AmbiguousName,
    /// A mapped account and service, but the contract has no line for it.
    MissingLine,
    /// A mapping names a PSA company that does not exist.
    CompanyNotFound,
    /// A mapping names a PSA service that does not exist.
    ServiceNotFound,
    /// The company has no (or not the named) active recurring contract.
    ContractNotFound,
    /// Several contracts (or lines) could take the usage.
    AmbiguousContract,
    /// Two sources compute a quantity for the same line.
    ConflictingSources,
    /// A PSA line for a mapped service that no usage fed this period.
    LineWithoutUsage,
    /// The line exists but the PSA holds no quantity for it on the effective date (Autotask: no
    /// ContractServiceUnits row covers it), so no change can be computed.
    QuantityUnknown,
    /// The contract bills the service inside a bundle, not on a line reckon can set.
    BundledService,
}

impl FindingKind {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnmappedAccount => "unmapped-account",
            Self::UnmappedService => "unmapped-service",
            Self::AmbiguousName => "ambiguous-name",
            Self::MissingLine => "missing-line",
            Self::CompanyNotFound => "company-not-found",
            Self::ServiceNotFound => "service-not-found",
            Self::ContractNotFound => "contract-not-found",
            Self::AmbiguousContract => "ambiguous-contract",
            Self::ConflictingSources => "conflicting-sources",
            Self::LineWithoutUsage => "line-without-usage",
            Self::QuantityUnknown => "quantity-unknown",
            Self::BundledService => "bundled-service",
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something that needs a human; never silently dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What kind.
    pub kind: FindingKind,
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
}

impl Plan {
    /// Counts of actions and findings.
    pub fn summary(&self) -> Summary {
        let count = |action| self.changes.iter().filter(|c| c.action == action).count();
        Summary {
            create: count(Action::Create),
            update: count(Action::Update),
            unchanged: count(Action::NoOp),
            findings: self.findings.len(),
        }
    }

    /// Whether apply would write anything.
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::NoOp)
    }

    /// The changes apply would write, in plan order.
    pub fn actions(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.action != Action::NoOp)
    }
}
