//! The vocabulary of findings: their kinds and severities. A leaf module (it imports nothing of
//! reckon), so that `policy.fail_on` in the config can name kinds without the config depending
//! on the planner.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Needs a person, but the configuration is sound: the exit code is unchanged.
    Warning,
    /// The configuration points at nothing: `plan` exits 1 and `apply` writes nothing for the
    /// integration concerned.
    Error,
}

impl Severity {
    /// The name used in JSON and text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kinds of finding, most costly first (unmapped usage is lost revenue). A new kind goes in
/// [`FindingKind::ALL`] too (so `policy.fail_on` can name it), and `as_str` and
/// `default_severity` make you decide its name and severity; give it a case in the planner's
/// golden tests (`src/plan/tests/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
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
    /// Every kind, in order.
    pub const ALL: [FindingKind; 12] = [
        Self::UnmappedAccount,
        Self::UnmappedService,
        Self::AmbiguousName,
        Self::MissingLine,
        Self::CompanyNotFound,
        Self::ServiceNotFound,
        Self::ContractNotFound,
        Self::AmbiguousContract,
        Self::ConflictingSources,
        Self::LineWithoutUsage,
        Self::QuantityUnknown,
        Self::BundledService,
    ];

    /// The name used in JSON, text and `policy.fail_on`.
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

    /// The kind called `name` (as [`FindingKind::as_str`] spells it).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The severity without `policy.fail_on`: errors when the configuration points at nothing
    /// (or at two things), warnings when a person is needed but the configuration is sound.
    pub fn default_severity(self) -> Severity {
        match self {
            Self::CompanyNotFound
            | Self::ServiceNotFound
            | Self::ContractNotFound
            | Self::AmbiguousName
            | Self::AmbiguousContract
            | Self::ConflictingSources => Severity::Error,
            Self::UnmappedAccount
            | Self::UnmappedService
            | Self::MissingLine
            | Self::LineWithoutUsage
            // The PSA's data, not the configuration, stops these lines; nothing is written to
            // them, the rest of the integration is.
            | Self::QuantityUnknown
            | Self::BundledService => Severity::Warning,
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_name() {
        for kind in FindingKind::ALL {
            assert_eq!(FindingKind::from_name(kind.as_str()), Some(kind));
        }
        assert_eq!(FindingKind::from_name("company-missing"), None);
    }
}
