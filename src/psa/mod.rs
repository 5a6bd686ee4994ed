//! PSAs: the systems holding the contracts reckon writes quantities to.
//!
//! One trait, [`Psa`], and one file per implementation. Adapters convert their wire types into
//! [`crate::observed`] types at their edge; nothing PSA-specific leaves this folder.

pub mod autotask;
pub mod connectwise;
pub mod halopsa;
pub mod http;
pub mod number;
pub mod sandbox;

use std::future::Future;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::observed::{Company, Contract, LineRef, Service};

/// A PSA that reckon can read contracts from and write quantities to.
///
/// Reads take the effective date because a line's quantity can change over time (Autotask's
/// ContractServiceUnits, ConnectWise's effective/cancelled dates): reckon compares against the
/// quantity in force on the date its change would take effect.
pub trait Psa: Send + Sync {
    /// A short description for messages, e.g. `sandbox (sandbox/psa.yaml)`. Never a secret.
    fn describe(&self) -> String;

    /// Active customer companies.
    fn companies(&self) -> impl Future<Output = Result<Vec<Company>, PsaError>> + Send;

    /// The service catalogue.
    fn services(&self) -> impl Future<Output = Result<Vec<Service>, PsaError>> + Send;

    /// Active recurring contracts with their lines' quantities on `at`.
    fn contracts(
        &self,
        at: NaiveDate,
    ) -> impl Future<Output = Result<Vec<Contract>, PsaError>> + Send;

    /// The quantity of one line on `at`, read fresh.
    fn line_quantity(
        &self,
        line: &LineRef,
        at: NaiveDate,
    ) -> impl Future<Output = Result<Decimal, PsaError>> + Send;

    /// Sets a line's quantity from `at` on. `expected` is the quantity the plan saw; an adapter
    /// refuses the write when the line no longer holds it, so an out-of-band edit is never
    /// overwritten blindly.
    fn set_quantity(
        &self,
        line: &LineRef,
        expected: Decimal,
        quantity: Decimal,
        at: NaiveDate,
    ) -> impl Future<Output = Result<(), PsaError>> + Send;

    /// Test Connection: authenticate, find the API, read one company — each step's outcome,
    /// without writing anything.
    fn check(&self) -> impl Future<Output = Vec<CheckStep>> + Send;

    /// API requests made so far, by endpoint (for rate-limited PSAs); empty when not counted.
    fn requests_used(&self) -> RequestCount {
        RequestCount::default()
    }

    /// How many writes ([`Psa::set_quantity`], [`Psa::create_line`]) apply may run at once.
    /// One unless the adapter is safe to write concurrently and bounds its own requests; then
    /// enough to keep the PSA's limit busy.
    fn write_concurrency(&self) -> usize {
        1
    }

    /// Whether [`Psa::line_quantities`] reads many lines in fewer requests than one each. When
    /// it does, apply checks every line it will update in one batched read just before the
    /// writes, writes with [`Psa::write_checked`], and confirms in one batched read after them
    /// (`crate::apply`'s batched mode) instead of a read before and after each write.
    fn batches_line_reads(&self) -> bool {
        false
    }

    /// The quantities of `lines` on `at`, read fresh, one result per line in the same order.
    /// The default reads them one at a time ([`Psa::line_quantity`]); an adapter whose API
    /// reads many records in one request overrides it.
    fn line_quantities(
        &self,
        lines: &[LineRef],
        at: NaiveDate,
    ) -> impl Future<Output = Vec<Result<Decimal, PsaError>>> + Send {
        async move {
            let mut found = Vec::with_capacity(lines.len());
            for line in lines {
                found.push(self.line_quantity(line, at).await);
            }
            found
        }
    }

    /// Sets a line's quantity from `at` on when the caller has just read (with
    /// [`Psa::line_quantities`]) that it holds `checked`: no read before the write. An answer
    /// that shows the stored quantity is [`Written::Confirmed`]; otherwise the caller confirms
    /// with a batched read, as it does after [`PsaError::OutcomeUnknown`] — a write whose
    /// answer was lost is settled by reading, never sent again. The default is
    /// [`Psa::set_quantity`], with its own reads.
    fn write_checked(
        &self,
        line: &LineRef,
        checked: Decimal,
        quantity: Decimal,
        at: NaiveDate,
    ) -> impl Future<Output = Result<Written, PsaError>> + Send {
        async move {
            self.set_quantity(line, checked, quantity, at).await?;
            Ok(Written::Confirmed)
        }
    }

    /// What the tenant has left of its API budget, when the PSA publishes it (Autotask's
    /// `ThresholdInformation`); read once per call, so call it once per apply.
    fn api_budget(&self) -> impl Future<Output = Option<ApiBudget>> + Send {
        async { None }
    }

    /// The requests an apply of `updates` quantity changes and `creates` new lines will make,
    /// by this adapter's protocol (for the budget warning; an estimate where retries or
    /// fallbacks can add some).
    fn apply_cost(&self, updates: u64, creates: u64) -> u64 {
        let batched = if self.batches_line_reads() { 1 } else { 2 };
        updates * batched + creates * 3
    }

    /// Adds a line for `service` to `contract` with `quantity` from `at` on; returns its id.
    fn create_line(
        &self,
        contract: &str,
        service: &str,
        quantity: Decimal,
        at: NaiveDate,
    ) -> impl Future<Output = Result<String, PsaError>> + Send;
}

/// What [`Psa::write_checked`] knows of its write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The PSA's answer shows the line holding the quantity written.
    Confirmed,
    /// Accepted, but the answer does not show what the line holds (an Autotask adjustment
    /// cannot be read back): the caller confirms it by reading.
    Unconfirmed,
}

/// A tenant's API budget for the current timeframe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiBudget {
    /// Requests allowed per timeframe (Autotask: 10,000 an hour by default).
    pub limit: u64,
    /// Requests already used in it, by every integration of the tenant.
    pub used: u64,
}

impl ApiBudget {
    /// What is left.
    pub fn remaining(&self) -> u64 {
        self.limit.saturating_sub(self.used)
    }
}

/// One step of [`Psa::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckStep {
    /// What was tried, e.g. `authenticate`.
    pub name: String,
    /// What was found (`Ok`) or what went wrong and what to check (`Err`). Never a secret.
    pub outcome: Result<String, String>,
}

/// API requests made by a PSA client, by endpoint, in the order first used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestCount {
    /// `(endpoint, requests)` pairs, e.g. `("Companies/query", 3)`.
    pub by_endpoint: Vec<(String, u64)>,
}

impl RequestCount {
    /// All requests.
    pub fn total(&self) -> u64 {
        self.by_endpoint.iter().map(|(_, n)| n).sum()
    }
}

/// A PSA operation that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PsaError {
    /// The entity does not exist (any more).
    #[error("{entity} {id} not found in the PSA")]
    NotFound {
        /// Contract, line, service…
        entity: &'static str,
        /// Its id.
        id: String,
    },
    /// The line no longer holds the quantity the plan was computed against.
    #[error(
        "line {line} of contract {contract} changed since it was read: expected {expected}, found {found}"
    )]
    Changed {
        /// Contract id.
        contract: String,
        /// Line id.
        line: String,
        /// What the plan saw.
        expected: Decimal,
        /// What the PSA holds now.
        found: Decimal,
    },
    /// The PSA refused the request.
    #[error("the PSA refused to {action}: {message}")]
    Rejected {
        /// What reckon tried to do.
        action: String,
        /// The PSA's reason.
        message: String,
    },
    /// The PSA could not be reached or read.
    #[error("cannot read the PSA: {0}")]
    Unavailable(String),
    /// A write was sent but no answer came back, so whether it was made is unknown.
    #[error(
        "sent a request to {action} but {message}; whether it was made is unknown until the next plan"
    )]
    OutcomeUnknown {
        /// What reckon tried to do.
        action: String,
        /// What went wrong.
        message: String,
    },
}

/// Every PSA kind, for dispatch without trait objects (the trait's async methods are not
/// object-safe, and an enum keeps the match in one place).
#[derive(Debug)]
pub enum AnyPsa {
    /// The embedded sandbox.
    Sandbox(sandbox::SandboxPsa),
    /// Autotask REST (boxed: its client is much larger than the sandbox).
    Autotask(Box<autotask::AutotaskPsa>),
    /// ConnectWise PSA.
    ConnectWise(connectwise::ConnectWisePsa),
    /// HaloPSA (boxed: its client, retry policy and invoice index are much larger than the
    /// sandbox).
    HaloPsa(Box<halopsa::HaloPsa>),
}

/// Why a PSA client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// A credential reference could not be resolved.
    #[error(transparent)]
    Credential(#[from] crate::secret::CredentialError),
    /// The PSA's HTTP client could not be set up (bad base URL, TLS).
    #[error("cannot set up the {kind} client: {message}")]
    Setup {
        /// The PSA kind.
        kind: &'static str,
        /// Why.
        message: String,
    },
}

/// Builds the PSA client `workspace` configures, resolving its credentials; a network PSA
/// sends requests only to the hosts `RECKON_PSA_HOSTS` allows, when it is set.
pub fn connect(workspace: &crate::config::Workspace) -> Result<AnyPsa, ConnectError> {
    use crate::config::model::PsaConfig;
    let outbound =
        http::Outbound::from_list(std::env::var(http::Outbound::VARIABLE).ok().as_deref());
    match &workspace.psa {
        PsaConfig::Sandbox {
            path,
            integer_quantities,
            write_concurrency,
        } => Ok(AnyPsa::Sandbox(
            sandbox::SandboxPsa::new(
                workspace.root.join(path),
                crate::config::shown_path(&workspace.root, path),
                *integer_quantities,
            )
            .within(&workspace.root)
            .writing_at_once(write_concurrency.unwrap_or(sandbox::WRITES_AT_ONCE)),
        )),
        PsaConfig::Autotask {
            username,
            secret,
            integration_code,
            base_url,
        } => {
            let credentials = autotask::Credentials {
                username: username.resolve(&workspace.root, "psa.username")?,
                secret: secret.resolve(&workspace.root, "psa.secret")?,
                integration_code: integration_code
                    .resolve(&workspace.root, "psa.integration_code")?,
            };
            let options = autotask::Options {
                outbound,
                ..Default::default()
            };
            autotask::AutotaskPsa::new(credentials, base_url.clone(), options)
                .map(|psa| psa.with_picklist_cache(workspace.root.join(crate::state::STATE_DIR)))
                .map(|psa| AnyPsa::Autotask(Box::new(psa)))
                .map_err(|e| ConnectError::Setup {
                    kind: "autotask",
                    message: e.to_string(),
                })
        }
        PsaConfig::ConnectWise {
            site,
            company_id,
            public_key,
            private_key,
            client_id,
            base_url,
            write_concurrency,
        } => {
            let settings = connectwise::Settings {
                site: site.clone(),
                company_id: company_id.clone(),
                public_key: public_key.resolve(&workspace.root, "psa.public_key")?,
                private_key: private_key.resolve(&workspace.root, "psa.private_key")?,
                client_id: client_id.clone(),
                base_url: base_url.clone(),
            };
            let defaults = connectwise::Options::default();
            let options = connectwise::Options {
                write_concurrency: write_concurrency.unwrap_or(defaults.write_concurrency),
                ..defaults
            };
            connectwise::ConnectWisePsa::reaching(settings, options, outbound)
                .map(AnyPsa::ConnectWise)
                .map_err(|e| ConnectError::Setup {
                    kind: "connectwise",
                    message: e.to_string(),
                })
        }
        PsaConfig::HaloPsa {
            resource_server,
            auth_server,
            client_id,
            client_secret,
            tenant,
        } => {
            // HaloPSA is reached only at these two configured addresses (no discovery, no
            // redirect followed), so checking them before any credential is read keeps every
            // request, the token request included, inside RECKON_PSA_HOSTS.
            for url in [resource_server, auth_server] {
                outbound.check(url).map_err(|message| ConnectError::Setup {
                    kind: "halopsa",
                    message,
                })?;
            }
            let settings = halopsa::Settings {
                resource_server: resource_server.clone(),
                auth_server: auth_server.clone(),
                client_id: client_id.resolve(&workspace.root, "psa.client_id")?,
                client_secret: client_secret.resolve(&workspace.root, "psa.client_secret")?,
                tenant: tenant.clone(),
            };
            halopsa::HaloPsa::new(settings, halopsa::Options::default())
                .map(|psa| AnyPsa::HaloPsa(Box::new(psa)))
                .map_err(|e| ConnectError::Setup {
                    kind: "halopsa",
                    message: e.to_string(),
                })
        }
    }
}

impl Psa for AnyPsa {
    fn describe(&self) -> String {
        match self {
            Self::Sandbox(psa) => psa.describe(),
            Self::Autotask(psa) => psa.describe(),
            Self::ConnectWise(psa) => psa.describe(),
            Self::HaloPsa(psa) => psa.describe(),
        }
    }

    async fn check(&self) -> Vec<CheckStep> {
        match self {
            Self::Sandbox(psa) => psa.check().await,
            Self::Autotask(psa) => psa.check().await,
            Self::ConnectWise(psa) => psa.check().await,
            Self::HaloPsa(psa) => psa.check().await,
        }
    }

    fn requests_used(&self) -> RequestCount {
        match self {
            Self::Sandbox(psa) => psa.requests_used(),
            Self::Autotask(psa) => psa.requests_used(),
            Self::ConnectWise(psa) => psa.requests_used(),
            Self::HaloPsa(psa) => psa.requests_used(),
        }
    }

    fn write_concurrency(&self) -> usize {
        match self {
            Self::Sandbox(psa) => psa.write_concurrency(),
            Self::Autotask(psa) => psa.write_concurrency(),
            Self::ConnectWise(psa) => psa.write_concurrency(),
            Self::HaloPsa(psa) => psa.write_concurrency(),
        }
    }

    fn batches_line_reads(&self) -> bool {
        match self {
            Self::Sandbox(psa) => psa.batches_line_reads(),
            Self::Autotask(psa) => psa.batches_line_reads(),
            Self::ConnectWise(psa) => psa.batches_line_reads(),
            Self::HaloPsa(psa) => psa.batches_line_reads(),
        }
    }

    async fn line_quantities(
        &self,
        lines: &[LineRef],
        at: NaiveDate,
    ) -> Vec<Result<Decimal, PsaError>> {
        match self {
            Self::Sandbox(psa) => psa.line_quantities(lines, at).await,
            Self::Autotask(psa) => psa.line_quantities(lines, at).await,
            Self::ConnectWise(psa) => psa.line_quantities(lines, at).await,
            Self::HaloPsa(psa) => psa.line_quantities(lines, at).await,
        }
    }

    async fn write_checked(
        &self,
        line: &LineRef,
        checked: Decimal,
        quantity: Decimal,
        at: NaiveDate,
    ) -> Result<Written, PsaError> {
        match self {
            Self::Sandbox(psa) => psa.write_checked(line, checked, quantity, at).await,
            Self::Autotask(psa) => psa.write_checked(line, checked, quantity, at).await,
            Self::ConnectWise(psa) => psa.write_checked(line, checked, quantity, at).await,
            Self::HaloPsa(psa) => psa.write_checked(line, checked, quantity, at).await,
        }
    }

    async fn api_budget(&self) -> Option<ApiBudget> {
        match self {
            Self::Sandbox(psa) => psa.api_budget().await,
            Self::Autotask(psa) => psa.api_budget().await,
            Self::ConnectWise(psa) => psa.api_budget().await,
            Self::HaloPsa(psa) => psa.api_budget().await,
        }
    }

    fn apply_cost(&self, updates: u64, creates: u64) -> u64 {
        match self {
            Self::Sandbox(psa) => psa.apply_cost(updates, creates),
            Self::Autotask(psa) => psa.apply_cost(updates, creates),
            Self::ConnectWise(psa) => psa.apply_cost(updates, creates),
            Self::HaloPsa(psa) => psa.apply_cost(updates, creates),
        }
    }

    async fn companies(&self) -> Result<Vec<Company>, PsaError> {
        match self {
            Self::Sandbox(psa) => psa.companies().await,
            Self::Autotask(psa) => psa.companies().await,
            Self::ConnectWise(psa) => psa.companies().await,
            Self::HaloPsa(psa) => psa.companies().await,
        }
    }

    async fn services(&self) -> Result<Vec<Service>, PsaError> {
        match self {
            Self::Sandbox(psa) => psa.services().await,
            Self::Autotask(psa) => psa.services().await,
            Self::ConnectWise(psa) => psa.services().await,
            Self::HaloPsa(psa) => psa.services().await,
        }
    }

    async fn contracts(&self, at: NaiveDate) -> Result<Vec<Contract>, PsaError> {
        match self {
            Self::Sandbox(psa) => psa.contracts(at).await,
            Self::Autotask(psa) => psa.contracts(at).await,
            Self::ConnectWise(psa) => psa.contracts(at).await,
            Self::HaloPsa(psa) => psa.contracts(at).await,
        }
    }

    async fn line_quantity(&self, line: &LineRef, at: NaiveDate) -> Result<Decimal, PsaError> {
        match self {
            Self::Sandbox(psa) => psa.line_quantity(line, at).await,
            Self::Autotask(psa) => psa.line_quantity(line, at).await,
            Self::ConnectWise(psa) => psa.line_quantity(line, at).await,
            Self::HaloPsa(psa) => psa.line_quantity(line, at).await,
        }
    }

    async fn set_quantity(
        &self,
        line: &LineRef,
        expected: Decimal,
        quantity: Decimal,
        at: NaiveDate,
    ) -> Result<(), PsaError> {
        match self {
            Self::Sandbox(psa) => psa.set_quantity(line, expected, quantity, at).await,
            Self::Autotask(psa) => psa.set_quantity(line, expected, quantity, at).await,
            Self::ConnectWise(psa) => psa.set_quantity(line, expected, quantity, at).await,
            Self::HaloPsa(psa) => psa.set_quantity(line, expected, quantity, at).await,
        }
    }

    async fn create_line(
        &self,
        contract: &str,
        service: &str,
        quantity: Decimal,
        at: NaiveDate,
    ) -> Result<String, PsaError> {
        match self {
            Self::Sandbox(psa) => psa.create_line(contract, service, quantity, at).await,
            Self::Autotask(psa) => psa.create_line(contract, service, quantity, at).await,
            Self::ConnectWise(psa) => psa.create_line(contract, service, quantity, at).await,
            Self::HaloPsa(psa) => psa.create_line(contract, service, quantity, at).await,
        }
    }
}
