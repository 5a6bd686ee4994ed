//! The validated workspace: what the YAML files mean once every rule has been checked.
//!
//! Built only by `config::validate`; the rest of reckon can rely on its invariants (ids unique
//! where they must be, at least one account and service mapping per integration, credentials as
//! references). Pure data, no I/O.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

pub use super::raw::{AutoMatch, EffectiveDate, SourceKind};
use super::template::{CommandTemplate, PathTemplate};
use crate::diagnostic::Location;
use crate::period::Period;
use crate::plan::FindingKind;
use crate::secret::CredentialRef;
use crate::usage::{BillingModel, Rounding, RoundingMode};

/// A vendor product named in a service mapping, as its integration's source kind reads it
/// (`SourceKind::vendor_product`, in [`crate::sources`]: each kind knows its vendor's names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VendorProduct {
    /// Compared as written.
    AsWritten,
    /// A known product, compared under this name (e.g. a Keeper code → the report's name).
    Known(String),
    /// A known product written in an old spelling: compared under `name`, with a warning.
    Renamed {
        /// The name compared.
        name: String,
        /// The warning.
        message: String,
        /// What to write instead.
        hint: String,
    },
    /// A name the vendor has no product by: a mapping that would never match usage.
    Unknown {
        /// The warning.
        message: String,
        /// What to write instead.
        hint: String,
    },
}

/// A `source.command` its source kind cannot use, and what to do instead
/// (`SourceKind::command_problem`, in [`crate::sources`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandProblem {
    /// What is wrong.
    pub message: String,
    /// What to write instead.
    pub hint: String,
}

/// Permission to apply one change that needs approval: an `approvals.yaml` entry or
/// `--approve ADDRESS`. Matching grants to changes is the planner's
/// ([`crate::plan::approval`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The plan address approved.
    pub address: String,
    /// The period it is valid for; `None` (only `--approve`) for this run's period.
    pub period: Option<Period>,
    /// The quantity approved; `None` (only `--approve`) for whatever this run's plan says.
    pub quantity: Option<rust_decimal::Decimal>,
    /// Where it came from, e.g. `approvals.yaml:4` or `--approve`.
    pub source: String,
}

/// A whole workspace: `reckon.yaml` plus every `integrations/*.yaml`.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The workspace directory.
    pub root: PathBuf,
    /// How to reach the PSA.
    pub psa: PsaConfig,
    /// When written quantities take effect.
    pub effective_date: EffectiveDate,
    /// The workspace-wide rounding mode.
    pub rounding_mode: RoundingMode,
    /// Decimal places for PSAs that accept decimals.
    pub decimals: u32,
    /// What reckon may do without being asked.
    pub policy: Policy,
    /// `billing.currency`: the currency of the PSA's prices and the price lists.
    pub currency: Option<crate::money::Currency>,
    /// Integrations, sorted by name.
    pub integrations: Vec<Integration>,
    /// Where the lock, journal and history live.
    pub state: StateConfig,
}

/// `state:` validated: where the apply lock, the journal and the history live.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum StateConfig {
    /// `.reckon/` in the workspace.
    #[default]
    Local,
    /// A PostgreSQL database.
    Postgres {
        /// The URL (a credential: it may hold a password); `None`: libpq's PG* variables only.
        url: Option<CredentialRef>,
        /// The schema of reckon's tables (a plain lower-case identifier).
        schema: String,
    },
}

/// Where a config value was written, for findings that point back at YAML.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Origin {
    /// File relative to the workspace.
    pub file: PathBuf,
    /// Line and column, when known.
    pub location: Option<Location>,
}

/// The PSA connection.
#[derive(Debug, Clone)]
pub enum PsaConfig {
    /// The embedded file-backed PSA.
    Sandbox {
        /// Its state file, relative to the workspace.
        path: PathBuf,
        /// Whether it accepts only whole-number quantities.
        integer_quantities: bool,
        /// `psa.write_concurrency`: writes at once; the sandbox's default when absent.
        write_concurrency: Option<usize>,
    },
    /// Autotask REST.
    Autotask {
        /// API user name.
        username: CredentialRef,
        /// API secret.
        secret: CredentialRef,
        /// API tracking identifier.
        integration_code: CredentialRef,
        /// Fixed zone URL; discovered when absent.
        base_url: Option<String>,
    },
    /// ConnectWise PSA.
    ConnectWise {
        /// Site host.
        site: String,
        /// Login company id.
        company_id: String,
        /// API public key.
        public_key: CredentialRef,
        /// API private key.
        private_key: CredentialRef,
        /// Registered clientId.
        client_id: String,
        /// Fixed codebase URL; discovered when absent.
        base_url: Option<String>,
        /// `psa.write_concurrency`: writes at once; the adapter's default when absent.
        write_concurrency: Option<usize>,
    },
    /// HaloPSA.
    HaloPsa {
        /// Resource server (`https://{tenant}.halopsa.com/api`).
        resource_server: String,
        /// Authorisation server (`https://{tenant}.halopsa.com/auth`).
        auth_server: String,
        /// API application Client ID.
        client_id: CredentialRef,
        /// API application Client Secret.
        client_secret: CredentialRef,
        /// Tenant name for hosted instances' token requests.
        tenant: Option<String>,
    },
}

impl PsaConfig {
    /// The PSA kind as written in config.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Sandbox { .. } => "sandbox",
            Self::Autotask { .. } => "autotask",
            Self::ConnectWise { .. } => "connectwise",
            Self::HaloPsa { .. } => "halopsa",
        }
    }

    /// Whether the PSA accepts only whole-number quantities.
    pub fn integer_quantities(&self) -> bool {
        match self {
            Self::Sandbox {
                integer_quantities, ..
            } => *integer_quantities,
            Self::Autotask { .. } => true,
            Self::ConnectWise { .. } => false,
            // `InvoiceDetail.qty_order` is `number`/`double` in the HaloPSA v2 OpenAPI
            // (components.schemas.InvoiceDetail.properties.qty_order): decimals are taken.
            Self::HaloPsa { .. } => false,
        }
    }
}

/// What reckon may do without being asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Create a missing contract line instead of reporting it.
    pub create_missing_lines: bool,
    /// Workspace-wide approval thresholds.
    pub thresholds: Thresholds,
    /// Per integration (and service) thresholds, integration-wide entries first.
    pub overrides: Vec<ThresholdOverride>,
    /// Sanity bounds beyond which a change is held for approval whatever the thresholds say.
    pub limits: Limits,
    /// Finding kinds treated as errors although they are warnings by default.
    pub fail_on: BTreeSet<FindingKind>,
    /// `policy.max_api_share`: the percentage of the PSA's remaining API budget an apply may
    /// use before reckon warns; `None`: [`Policy::DEFAULT_MAX_API_SHARE`].
    pub max_api_share: Option<u32>,
}

impl Policy {
    /// `policy.max_api_share` when not set.
    pub const DEFAULT_MAX_API_SHARE: u32 = 50;

    /// The percentage of the remaining API budget an apply may use without a warning.
    pub fn api_share(&self) -> u32 {
        self.max_api_share.unwrap_or(Self::DEFAULT_MAX_API_SHARE)
    }
}

/// Sanity bounds on what a line can hold (`policy.max_quantity`, `policy.max_quantity_change`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest quantity a line is set to without approval.
    pub max_quantity: u64,
    /// The largest change (either way, in units) made without approval.
    pub max_quantity_change: u64,
}

impl Limits {
    /// `policy.max_quantity` when not set.
    pub const DEFAULT_MAX_QUANTITY: u64 = 100_000;
    /// `policy.max_quantity_change` when not set.
    pub const DEFAULT_MAX_QUANTITY_CHANGE: u64 = 10_000;
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_quantity: Self::DEFAULT_MAX_QUANTITY,
            max_quantity_change: Self::DEFAULT_MAX_QUANTITY_CHANGE,
        }
    }
}

/// Approval thresholds: a change beyond any of them needs approval. `None`: no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Thresholds {
    /// Largest increase, in percent of the current quantity, applied without approval.
    pub max_increase_percent: Option<u32>,
    /// Largest decrease, in percent of the current quantity, applied without approval.
    pub max_decrease_percent: Option<u32>,
    /// Largest change in units (either way) applied without approval.
    pub max_change_units: Option<u32>,
    /// Whether a line may go to zero without approval.
    pub allow_decrease_to_zero: bool,
}

/// Thresholds for one integration, or one of its PSA services; unset fields inherit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThresholdOverride {
    /// The integration.
    pub integration: String,
    /// The PSA service, or all of the integration's.
    pub service: Option<String>,
    /// Overrides `max_increase_percent` when set.
    pub max_increase_percent: Option<u32>,
    /// Overrides `max_decrease_percent` when set.
    pub max_decrease_percent: Option<u32>,
    /// Overrides `max_change_units` when set.
    pub max_change_units: Option<u32>,
    /// Overrides `allow_decrease_to_zero` when set.
    pub allow_decrease_to_zero: Option<bool>,
}

impl Policy {
    /// The thresholds for `service` of `integration`: the workspace's, then the integration's
    /// override, then the service's.
    pub fn thresholds_for(&self, integration: &str, service: &str) -> Thresholds {
        let mut t = self.thresholds;
        let integration_wide = self
            .overrides
            .iter()
            .filter(|o| o.integration == integration && o.service.is_none());
        let per_service = self
            .overrides
            .iter()
            .filter(|o| o.integration == integration && o.service.as_deref() == Some(service));
        for o in integration_wide.chain(per_service) {
            t.max_increase_percent = o.max_increase_percent.or(t.max_increase_percent);
            t.max_decrease_percent = o.max_decrease_percent.or(t.max_decrease_percent);
            t.max_change_units = o.max_change_units.or(t.max_change_units);
            t.allow_decrease_to_zero = o.allow_decrease_to_zero.unwrap_or(t.allow_decrease_to_zero);
        }
        t
    }
}

/// One vendor integration.
#[derive(Debug, Clone)]
pub struct Integration {
    /// The file stem of `integrations/<name>.yaml`; first segment of plan addresses.
    pub name: String,
    /// The integration file, relative to the workspace.
    pub file: PathBuf,
    /// The vendor, e.g. `keeper`.
    pub vendor: String,
    /// Where usage comes from.
    pub source: Source,
    /// How daily counts become a billable number.
    pub billing_model: BillingModel,
    /// Account matching rules.
    pub accounts: AccountRules,
    /// SKU → PSA service mappings, in file order.
    pub services: Vec<ServiceMapping>,
}

/// A usage source.
#[derive(Debug, Clone)]
pub struct Source {
    /// Which reader.
    pub kind: SourceKind,
    /// Where its input comes from.
    pub input: SourceInput,
}

/// Where a source's input comes from.
#[derive(Debug, Clone)]
pub enum SourceInput {
    /// A file (relative to the workspace), one per period when the template has `{period}`.
    File(PathTemplate),
    /// The standard output of a program.
    Command(CommandInput),
}

/// How much a command source may print before it is stopped (`source.max_stdout`,
/// `source.max_stderr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputLimits {
    /// Bytes of standard output (the report).
    pub stdout: u64,
    /// Bytes of standard error.
    pub stderr: u64,
}

impl OutputLimits {
    /// The defaults: 256 MB of report (a 5,000-company month of Commander JSON is ~95 MB) and
    /// 64 KB of standard error (Commander's messages are a few lines).
    pub const DEFAULT: Self = Self {
        stdout: 256 * 1024 * 1024,
        stderr: 64 * 1024,
    };
}

/// A byte count as people write it: `256 MB`, `64 KB`, `1000 bytes` (1 KB = 1024 bytes).
pub fn size(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GB"), (1 << 20, "MB"), (1 << 10, "KB")];
    UNITS
        .iter()
        .find(|(unit, _)| bytes >= *unit && bytes.is_multiple_of(*unit))
        .map_or_else(
            || format!("{bytes} bytes"),
            |(unit, name)| format!("{} {name}", bytes / unit),
        )
}

/// A program whose standard output is the usage report.
#[derive(Debug, Clone)]
pub struct CommandInput {
    /// Program and arguments, run without a shell.
    pub argv: CommandTemplate,
    /// How long it may run before it is killed.
    pub timeout: std::time::Duration,
    /// How many bytes it may print on standard output before it is killed.
    pub max_stdout: u64,
    /// How many bytes it may print on standard error before it is killed.
    pub max_stderr: u64,
    /// Where `command:` was written, for errors about running it.
    pub origin: Origin,
}

/// How vendor accounts become PSA companies.
#[derive(Debug, Clone)]
pub struct AccountRules {
    /// Automatic matching for accounts without an explicit mapping.
    pub auto_match: AutoMatch,
    /// Explicit mappings, keyed by vendor account id.
    pub map: BTreeMap<String, AccountMapping>,
    /// Vendor account ids never billed.
    pub exclude: BTreeSet<String>,
}

/// One explicit account mapping.
#[derive(Debug, Clone)]
pub struct AccountMapping {
    /// PSA company id.
    pub psa_company: String,
    /// A specific contract id, when the company has several.
    pub contract: Option<String>,
    /// Where it was written.
    pub origin: Origin,
}

/// One SKU → PSA service mapping.
#[derive(Debug, Clone)]
pub struct ServiceMapping {
    /// Vendor SKU as it appears in usage data.
    pub vendor_sku: String,
    /// PSA service identifier.
    pub psa_service: String,
    /// Per-service rounding override.
    pub rounding: Option<RoundingMode>,
    /// `price`: what the PSA service should bill per unit (the price list), if set.
    pub price: Option<rust_decimal::Decimal>,
    /// Where it was written.
    pub origin: Origin,
}

impl Workspace {
    /// The rounding rule for one PSA service of an integration: the service's override (if any)
    /// or the workspace mode, at whole units for integer PSAs and `decimals` places otherwise.
    pub fn rounding_for(&self, integration: &Integration, psa_service: &str) -> Rounding {
        let mode = integration
            .services
            .iter()
            .filter(|s| s.psa_service == psa_service)
            .find_map(|s| s.rounding)
            .unwrap_or(self.rounding_mode);
        let decimals = if self.psa.integer_quantities() {
            0
        } else {
            self.decimals
        };
        Rounding { mode, decimals }
    }

    /// The price list's price per unit for one PSA service of an integration, if set
    /// (validation makes every entry of a service agree).
    pub fn price_for(
        &self,
        integration: &Integration,
        psa_service: &str,
    ) -> Option<rust_decimal::Decimal> {
        integration
            .services
            .iter()
            .filter(|s| s.psa_service == psa_service)
            .find_map(|s| s.price)
    }

    /// The date a change planned for `period` takes effect.
    pub fn effective_date(&self, period: Period) -> chrono::NaiveDate {
        match self.effective_date {
            EffectiveDate::NextMonthStart => period.next_month_start(),
            EffectiveDate::PeriodStart => period.first_day(),
        }
    }

    /// The integration called `name`.
    pub fn integration(&self, name: &str) -> Option<&Integration> {
        self.integrations.iter().find(|i| i.name == name)
    }
}
