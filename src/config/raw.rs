//! Serde types that mirror the workspace's YAML files exactly: `reckon.yaml` and
//! `integrations/<name>.yaml`.
//!
//! No logic here: every struct denies unknown fields, values that need a location for error
//! messages are [`Spanned`], and the JSON Schemas under `schemas/` are generated from these
//! types. The names are a contract with users' files: extend, never rename.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::usage::{BillingModel, RoundingMode};
use crate::yaml::Spanned;

/// `reckon.yaml`: the PSA connection and global billing policy.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "reckon workspace (reckon.yaml)")]
pub struct RawWorkspace {
    /// Which PSA the contracts live in, and how to reach it.
    pub psa: RawPsa,
    /// When written quantities take effect.
    #[serde(default)]
    pub billing: RawBilling,
    /// How fractional usage becomes a quantity the PSA accepts.
    #[serde(default)]
    pub rounding: RawRounding,
    /// What reckon may do without being asked.
    #[serde(default)]
    pub policy: RawPolicy,
    /// Where the apply lock, journal and history live (default: `.reckon/` in the workspace).
    #[serde(default)]
    pub state: Option<RawState>,
}

/// Where reckon keeps its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StateBackend {
    /// `.reckon/` in the workspace: one machine (a laptop, `watch` on a server).
    Local,
    /// A PostgreSQL database shared by every runner (CI).
    Postgres,
}

/// `state:` — the state backend.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawState {
    /// local | postgres
    #[schemars(with = "StateBackend")]
    pub backend: Spanned<StateBackend>,
    /// postgres: the `postgres://` URL (it holds a password), as `{env: NAME}` or `{file: path}`;
    /// libpq's PG* variables fill in what it leaves out (or everything, when absent).
    #[schemars(with = "Option<CredentialSchema>")]
    pub url: Option<Spanned<RawCredential>>,
    /// postgres: the schema reckon's tables live in (created when missing); default `reckon`.
    #[schemars(with = "Option<String>")]
    pub schema: Option<Spanned<String>>,
}

/// The kinds of PSA reckon can talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PsaKind {
    /// A file-backed PSA embedded in reckon, for trying things out and for tests.
    Sandbox,
    /// Datto/Kaseya Autotask PSA (REST API).
    Autotask,
    /// ConnectWise PSA (Manage REST API).
    Connectwise,
    /// HaloPSA (REST API v2, OAuth2 client credentials).
    Halopsa,
}

/// `psa:` — one block for every kind; which fields apply depends on `kind`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPsa {
    /// sandbox | autotask | connectwise | halopsa
    #[schemars(with = "PsaKind")]
    pub kind: Spanned<PsaKind>,
    /// sandbox: the YAML file holding the sandbox PSA's live state, relative to the workspace.
    #[schemars(with = "Option<String>")]
    pub path: Option<Spanned<String>>,
    /// sandbox: behave like a PSA that only takes whole-number quantities (as Autotask does).
    #[schemars(with = "Option<bool>")]
    pub integer_quantities: Option<Spanned<bool>>,
    /// autotask: API user name, as `{env: NAME}` or `{file: path}`.
    #[schemars(with = "Option<CredentialSchema>")]
    pub username: Option<Spanned<RawCredential>>,
    /// autotask: API user secret, as `{env: NAME}` or `{file: path}`.
    #[schemars(with = "Option<CredentialSchema>")]
    pub secret: Option<Spanned<RawCredential>>,
    /// autotask: API tracking identifier (integration code), as `{env: NAME}` or `{file: path}`.
    #[schemars(with = "Option<CredentialSchema>")]
    pub integration_code: Option<Spanned<RawCredential>>,
    /// autotask/connectwise: API base URL; discovered when absent.
    #[schemars(with = "Option<String>")]
    pub base_url: Option<Spanned<String>>,
    /// connectwise, sandbox: writes apply runs at once, 1–32 (ConnectWise: default 6, it
    /// publishes no limit; sandbox: default 32, writes made at once share one rewrite).
    #[schemars(with = "Option<u32>")]
    pub write_concurrency: Option<Spanned<u32>>,
    /// connectwise: site host, e.g. `api-na.myconnectwise.net`.
    #[schemars(with = "Option<String>")]
    pub site: Option<Spanned<String>>,
    /// connectwise: the company id used to log in.
    #[schemars(with = "Option<String>")]
    pub company_id: Option<Spanned<String>>,
    /// connectwise: API member public key, as `{env: NAME}` or `{file: path}`.
    #[schemars(with = "Option<CredentialSchema>")]
    pub public_key: Option<Spanned<RawCredential>>,
    /// connectwise: API member private key, as `{env: NAME}` or `{file: path}`.
    #[schemars(with = "Option<CredentialSchema>")]
    pub private_key: Option<Spanned<RawCredential>>,
    /// connectwise: the clientId registered for the integration (a plain string).
    /// halopsa: the API application's Client ID, as `{env: NAME}` or `{file: path}`.
    #[schemars(with = "Option<ClientIdSchema>")]
    pub client_id: Option<Spanned<RawCredential>>,
    /// halopsa: the API application's Client Secret, as `{env: NAME}` or `{file: path}`.
    #[schemars(with = "Option<CredentialSchema>")]
    pub client_secret: Option<Spanned<RawCredential>>,
    /// halopsa: the resource server, e.g. `https://acme.halopsa.com/api`.
    #[schemars(with = "Option<String>")]
    pub resource_server: Option<Spanned<String>>,
    /// halopsa: the authorisation server, e.g. `https://acme.halopsa.com/auth`.
    #[schemars(with = "Option<String>")]
    pub auth_server: Option<Spanned<String>>,
    /// halopsa: the tenant name hosted instances need on the token request (`?tenant=`).
    #[schemars(with = "Option<String>")]
    pub tenant: Option<Spanned<String>>,
}

/// A credential as written in YAML. Only the reference forms are valid; the others exist so
/// validation can say precisely what is wrong (and never echo a literal secret).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawCredential {
    /// `{env: NAME}`
    Env {
        /// Environment variable name.
        env: String,
    },
    /// `{file: path}`
    File {
        /// File path, relative to the workspace.
        file: String,
    },
    /// A literal string: rejected, secrets do not belong in git.
    Literal(String),
    /// Anything else: rejected with the expected shape.
    Other(serde_json::Value),
}

/// The schema of a credential reference: `{env: NAME}` or `{file: path}`.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum CredentialSchema {
    /// Read the value from an environment variable.
    Env {
        /// Environment variable name.
        env: String,
    },
    /// Read the value from a file (content trimmed).
    File {
        /// File path, relative to the workspace.
        file: String,
    },
}

/// The schema of `client_id`: a plain string (ConnectWise's clientId) or a credential reference
/// (HaloPSA's Client ID).
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum ClientIdSchema {
    /// ConnectWise: the registered clientId.
    Plain(String),
    /// HaloPSA: a credential reference.
    Credential(CredentialSchema),
}

/// When written quantities take effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EffectiveDate {
    /// The first day of the month after the billing period (the vendor's invoice date).
    #[default]
    NextMonthStart,
    /// The first day of the billing period itself (bill in arrears, back-dated).
    PeriodStart,
}

/// `billing:`
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBilling {
    /// next-month-start (default) | period-start
    #[serde(default)]
    pub effective_date: Option<EffectiveDate>,
    /// The workspace's currency, an ISO 4217 code such as USD: the currency of the PSA's prices
    /// and of `services[].price`. A vendor cost in another currency is a finding (nothing is
    /// converted); without it, margins are computed only against costs stated without one.
    #[schemars(with = "Option<String>")]
    #[serde(default)]
    pub currency: Option<Spanned<String>>,
}

/// `rounding:`
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRounding {
    /// nearest (default; half away from zero) | up | down
    #[serde(default)]
    pub mode: Option<RoundingMode>,
    /// Decimal places for PSAs that accept decimals (default 2).
    #[schemars(with = "Option<u32>")]
    #[serde(default)]
    pub decimals: Option<Spanned<u32>>,
}

/// `policy:`
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    /// Create a contract line when a mapped account has usage for a mapped service but the
    /// contract has no line for it (default false: reported as a finding instead).
    #[serde(default)]
    pub create_missing_lines: Option<bool>,
    /// A change raising a line by more than this percentage needs approval.
    #[serde(default)]
    pub max_increase_percent: Option<u32>,
    /// A change lowering a line by more than this percentage needs approval.
    #[serde(default)]
    pub max_decrease_percent: Option<u32>,
    /// A change of more than this many units (either way) needs approval.
    #[serde(default)]
    pub max_change_units: Option<u32>,
    /// Whether lowering a billing line to zero may happen without approval (default false).
    #[serde(default)]
    pub allow_decrease_to_zero: Option<bool>,
    /// Thresholds for one integration (and optionally one PSA service), overriding the ones
    /// above field by field; entries naming a service win over integration-wide ones.
    #[serde(default)]
    pub overrides: Vec<RawPolicyOverride>,
    /// Sanity bound: a line set above this quantity needs approval (default 100000).
    #[serde(default)]
    pub max_quantity: Option<u64>,
    /// Sanity bound: a change of more than this many units (either way) needs approval
    /// (default 10000), whatever `max_change_units` says.
    #[serde(default)]
    pub max_quantity_change: Option<u64>,
    /// Finding kinds that are warnings by default (unmapped-account, unmapped-service,
    /// missing-line, line-without-usage) to treat as errors: `plan` exits 1 and `apply`
    /// writes nothing for the integration concerned.
    #[schemars(with = "Vec<String>")]
    #[serde(default)]
    pub fail_on: Vec<Spanned<String>>,
    /// Warn before an apply that would use more than this percentage of the PSA's remaining
    /// hourly API budget, where the PSA publishes it (Autotask); 1–100, default 50.
    #[schemars(with = "Option<u32>")]
    #[serde(default)]
    pub max_api_share: Option<Spanned<u32>>,
}

/// One `policy.overrides` entry.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPolicyOverride {
    /// The integration (file stem) it applies to.
    pub integration: String,
    /// The PSA service identifier it applies to (all of the integration's when absent).
    #[serde(default)]
    pub service: Option<String>,
    /// As `policy.max_increase_percent`.
    #[serde(default)]
    pub max_increase_percent: Option<u32>,
    /// As `policy.max_decrease_percent`.
    #[serde(default)]
    pub max_decrease_percent: Option<u32>,
    /// As `policy.max_change_units`.
    #[serde(default)]
    pub max_change_units: Option<u32>,
    /// As `policy.allow_decrease_to_zero`.
    #[serde(default)]
    pub allow_decrease_to_zero: Option<bool>,
}

/// `integrations/<name>.yaml`: one vendor integration with its usage source and mappings.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "reckon integration (integrations/<name>.yaml)")]
pub struct RawIntegration {
    /// The vendor, e.g. `keeper`.
    #[schemars(with = "String")]
    pub vendor: Spanned<String>,
    /// Where the usage data comes from.
    pub source: RawSource,
    /// How a month of daily counts becomes one billable number.
    #[schemars(with = "BillingModel")]
    pub billing_model: Spanned<BillingModel>,
    /// Vendor account → PSA company mappings.
    pub accounts: RawAccounts,
    /// Vendor SKU → PSA service mappings.
    #[serde(default)]
    pub services: Vec<RawServiceMap>,
}

/// The kinds of usage source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// A CSV file with the header `date,account_id,account_name,sku,quantity`.
    Csv,
    /// Keeper Commander's `msp-billing-report --month YYYY-MM -d -c` output (CSV or JSON), from
    /// a file (`path`) or by running Commander (`command`).
    KeeperCommander,
}

/// `source:`
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    /// csv | keeper-commander
    #[schemars(with = "SourceKind")]
    pub kind: Spanned<SourceKind>,
    /// The usage file, relative to the workspace; `{period}` expands to YYYY-MM.
    #[schemars(with = "Option<String>")]
    pub path: Option<Spanned<String>>,
    /// keeper-commander, instead of `path`: the program and its arguments, run without a shell
    /// in the workspace directory; `{period}` expands to YYYY-MM. Its standard output is the
    /// report.
    #[schemars(with = "Option<Vec<String>>")]
    pub command: Option<Spanned<Vec<String>>>,
    /// With `command`: how long it may run, e.g. `120s` or `5m` (default 120s).
    #[schemars(with = "Option<String>")]
    pub timeout: Option<Spanned<String>>,
    /// With `command`: how much it may print on standard output (the report), e.g. `256MB`
    /// (default 256MB; units B, KB, MB, GB of 1024).
    #[schemars(with = "Option<String>")]
    pub max_stdout: Option<Spanned<String>>,
    /// With `command`: how much it may print on standard error, e.g. `64KB` (default 64KB).
    #[schemars(with = "Option<String>")]
    pub max_stderr: Option<Spanned<String>>,
}

/// How unmapped vendor accounts are matched to PSA companies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AutoMatch {
    /// Only explicit mappings.
    #[default]
    None,
    /// An unmapped account whose name equals, character for character, the name of exactly one
    /// PSA company is matched to it.
    ExactName,
}

/// `accounts:`
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAccounts {
    /// none (default) | exact-name
    #[serde(default)]
    pub auto_match: Option<AutoMatch>,
    /// Explicit mappings, by id.
    #[serde(default)]
    pub map: Vec<RawAccountMap>,
    /// Vendor account ids deliberately not billed.
    #[schemars(with = "Vec<String>")]
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
}

/// One `accounts.map` entry.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAccountMap {
    /// The vendor account id.
    #[schemars(with = "String")]
    pub vendor: Spanned<String>,
    /// The PSA company id.
    #[schemars(with = "String")]
    pub psa: Spanned<String>,
    /// Which contract, when the company has several.
    #[schemars(with = "Option<String>")]
    #[serde(default)]
    pub contract: Option<Spanned<String>>,
}

/// One `services` entry.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawServiceMap {
    /// The vendor SKU / product name as it appears in the usage data.
    #[schemars(with = "String")]
    pub vendor: Spanned<String>,
    /// The PSA service / product identifier (ConnectWise: Product ID).
    #[schemars(with = "String")]
    pub psa: Spanned<String>,
    /// Per-service rounding mode, overriding `rounding.mode`.
    #[serde(default)]
    pub rounding: Option<RoundingMode>,
    /// Set on every entry of a SKU that deliberately feeds more than one PSA service.
    #[serde(default)]
    pub fan_out: Option<bool>,
    /// The price per unit the PSA service should bill, in `billing.currency` (e.g. 4.50): a
    /// line billed at another price is a `price-mismatch` finding. reckon never writes prices.
    /// Read as the YAML text, so `4.50` is exactly 4.50 and never goes through a float.
    #[schemars(with = "Option<rust_decimal::Decimal>")]
    #[serde(default)]
    pub price: Option<Spanned<String>>,
}
