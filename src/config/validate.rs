//! Second stage of loading: raw YAML types → the validated [`Workspace`] model.
//!
//! Every rule lives here, and every rule reports through [`Diagnostics`] with the file, line and
//! column of the offending value, so one run lists every problem. No I/O except checking whether
//! a credential reference can be resolved (reported as a warning: only commands that connect to
//! a PSA need it).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

mod source;
mod state;

use super::model::{
    AccountMapping, AccountRules, Integration, Origin, Policy, PsaConfig, ServiceMapping, Workspace,
};
use super::raw::{
    PsaKind, RawAccounts, RawCredential, RawIntegration, RawPsa, RawServiceMap, RawWorkspace,
    SourceKind,
};
use super::template::check_inside_workspace;
use crate::diagnostic::{Diagnostic, Diagnostics, Location};
use crate::secret::CredentialRef;
use crate::yaml::{Spanned, location};

/// The largest `rounding.decimals` accepted: PSAs store at most a handful of places and
/// `rust_decimal` keeps 28.
const MAX_DECIMALS: u32 = 8;

/// Checks one file's worth of values; collects problems into `diagnostics`.
struct Checker<'a> {
    root: &'a Path,
    file: &'a Path,
    diagnostics: &'a mut Diagnostics,
}

impl Checker<'_> {
    fn error<T>(&mut self, at: &Spanned<T>, message: impl Into<String>, hint: Option<String>) {
        self.error_at(location(at), message, hint);
    }

    fn error_at(&mut self, at: Option<Location>, message: impl Into<String>, hint: Option<String>) {
        let diagnostic = Diagnostic::error(self.file, at, message);
        self.diagnostics.push(match hint {
            Some(hint) => diagnostic.with_hint(hint),
            None => diagnostic,
        });
    }

    fn warning<T>(&mut self, at: &Spanned<T>, message: impl Into<String>, hint: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::warning(self.file, location(at), message).with_hint(hint));
    }

    fn origin<T>(&self, at: &Spanned<T>) -> Origin {
        Origin {
            file: self.file.to_path_buf(),
            location: location(at),
        }
    }

    /// A workspace-relative path that must not escape the workspace.
    fn relative_path(&mut self, value: &Spanned<String>, field: &str) -> Option<PathBuf> {
        match check_inside_workspace(&value.value) {
            Ok(()) => Some(PathBuf::from(&value.value)),
            Err(error) => {
                self.error(value, format!("{field}: {error}"), None);
                None
            }
        }
    }

    /// A non-empty id string.
    fn id(&mut self, value: &Spanned<String>, field: &str) -> Option<String> {
        let id = value.value.trim();
        if id.is_empty() {
            self.error(
                value,
                format!("{field} is empty"),
                Some("write the id as a string".into()),
            );
            return None;
        }
        if id != value.value {
            self.error(
                value,
                format!("{field} `{}` has surrounding spaces", value.value),
                None,
            );
            return None;
        }
        Some(id.to_owned())
    }

    /// A credential reference; a literal is an error that never repeats the literal.
    fn credential(&mut self, value: &Spanned<RawCredential>, field: &str) -> Option<CredentialRef> {
        let reference = match &value.value {
            RawCredential::Env { env } if !env.trim().is_empty() => CredentialRef::Env(env.clone()),
            // Anywhere: absolute, or relative to the workspace and outside it (Docker,
            // Kubernetes and CI mount secrets outside the git tree, which is where they belong).
            RawCredential::File { file } if !file.trim().is_empty() => {
                CredentialRef::File(PathBuf::from(file))
            }
            RawCredential::Literal(_) => {
                self.error(
                    value,
                    format!("{field} is written as a literal string; secrets must not be in git"),
                    Some(format!(
                        "write `{field}: {{ env: VARIABLE }}` or `{field}: {{ file: path }}`, \
                         and rotate the credential if this file was ever committed"
                    )),
                );
                return None;
            }
            _ => {
                self.error(
                    value,
                    format!("{field} must be `{{ env: VARIABLE }}` or `{{ file: path }}`"),
                    None,
                );
                return None;
            }
        };
        if let CredentialRef::File(path) = &reference
            && let Some(mode) = crate::secret::readable_by_others(&self.root.join(path))
        {
            self.warning(
                value,
                format!(
                    "{field}: credential file {} is readable by every user of this machine \
                     (mode {mode:o})",
                    path.display()
                ),
                format!("chmod 600 {}", path.display()),
            );
        }
        if !reference.is_available(self.root) {
            let what = match &reference {
                CredentialRef::Env(name) => format!("environment variable {name} is not set"),
                CredentialRef::File(path) => format!("file {} cannot be read", path.display()),
            };
            self.warning(
                value,
                format!("{field}: {what}"),
                "plan and apply need it to connect; validate does not",
            );
        }
        Some(reference)
    }

    /// A PSA address (`psa.site`, `psa.base_url`), refused with the reason when reckon would not
    /// send to it: userinfo in the URL, plain `http://` to a remote host, another scheme.
    fn psa_url(&mut self, value: &Spanned<String>, field: &str) -> Option<String> {
        match crate::psa::http::text_url_problem(&value.value) {
            None => Some(value.value.clone()),
            Some(problem) => {
                self.error(
                    value,
                    format!("psa.{field} is refused: {problem}"),
                    Some(if field == "site" {
                        "write psa.site as a bare host (api-na.myconnectwise.net) or https://host"
                            .to_owned()
                    } else {
                        format!("write psa.{field} as https://host/…")
                    }),
                );
                None
            }
        }
    }

    /// ConnectWise's `client_id`: a plain string (it identifies the integration, not a secret).
    fn plain_client_id(&mut self, value: &Spanned<RawCredential>) -> Option<String> {
        match &value.value {
            RawCredential::Literal(id) if !id.trim().is_empty() => Some(id.clone()),
            _ => {
                self.error(
                    value,
                    "psa.client_id must be the clientId string for psa.kind connectwise",
                    None,
                );
                None
            }
        }
    }

    /// An `http://` or `https://` URL, without its trailing `/`.
    fn http_url(&mut self, value: &Spanned<String>, field: &str) -> Option<String> {
        let url = value.value.trim().trim_end_matches('/');
        if let Some(problem) = crate::psa::http::text_url_problem(url) {
            self.error(value, format!("{field} is refused: {problem}"), None);
            return None;
        }
        if url.starts_with("https://") || url.starts_with("http://") {
            return Some(url.to_owned());
        }
        self.error(
            value,
            format!("{field} must be an https:// URL"),
            Some(format!(
                "hosted HaloPSA: `{field}: https://TENANT.halopsa.com/{}`",
                if field.ends_with("auth_server") {
                    "auth"
                } else {
                    "api"
                }
            )),
        );
        None
    }

    fn required<'v, T>(
        &mut self,
        value: &'v Option<T>,
        at: Option<Location>,
        field: &str,
        kind: &str,
    ) -> Option<&'v T> {
        if value.is_none() {
            self.error_at(
                at,
                format!("psa.{field} is required when psa.kind is {kind}"),
                None,
            );
        }
        value.as_ref()
    }
}

/// Validates `reckon.yaml` and the integrations into a workspace.
pub fn workspace(
    root: &Path,
    file: &Path,
    raw: RawWorkspace,
    integrations: Vec<Integration>,
    diagnostics: &mut Diagnostics,
) -> Option<Workspace> {
    let mut check = Checker {
        root,
        file,
        diagnostics,
    };
    let psa = psa(&mut check, &raw.psa);
    let decimals = match &raw.rounding.decimals {
        Some(decimals) if decimals.value > MAX_DECIMALS => {
            check.error(
                decimals,
                format!(
                    "rounding.decimals is {}; at most {MAX_DECIMALS} places",
                    decimals.value
                ),
                None,
            );
            None
        }
        Some(decimals) => Some(decimals.value),
        None => Some(2),
    };
    let policy = policy(&mut check, &raw.policy);
    let currency = match &raw.billing.currency {
        None => Some(None),
        Some(code) => match crate::money::Currency::parse(code.value.trim()) {
            Some(currency) if currency.code().len() == 3 => Some(Some(currency)),
            _ => {
                check.error(
                    code,
                    format!("billing.currency `{}` is not a currency code", code.value),
                    Some("write the ISO 4217 code in capitals, e.g. `currency: USD`".into()),
                );
                None
            }
        },
    };
    let state = state::state(&mut check, raw.state.as_ref());
    Some(Workspace {
        root: root.to_path_buf(),
        psa: psa?,
        effective_date: raw.billing.effective_date.unwrap_or_default(),
        rounding_mode: raw.rounding.mode.unwrap_or_default(),
        decimals: decimals?,
        policy,
        currency: currency?,
        integrations,
        state: state?,
    })
}

/// `policy:`; the thresholds need no checks beyond their types (any whole number is a limit),
/// `fail_on` must name finding kinds.
fn policy(check: &mut Checker<'_>, raw: &super::raw::RawPolicy) -> Policy {
    let mut fail_on = std::collections::BTreeSet::new();
    for name in &raw.fail_on {
        match crate::plan::FindingKind::from_name(&name.value) {
            Some(kind) => {
                fail_on.insert(kind);
            }
            None => {
                let known: Vec<&str> = crate::plan::FindingKind::ALL
                    .iter()
                    .filter(|k| k.default_severity() == crate::plan::Severity::Warning)
                    .map(|k| k.as_str())
                    .collect();
                check.error(
                    name,
                    format!("policy.fail_on: `{}` is not a kind of finding", name.value),
                    Some(format!("the warning kinds are {}", known.join(", "))),
                );
            }
        }
    }
    let max_api_share = raw.max_api_share.as_ref().and_then(|share| {
        if (1..=100).contains(&share.value) {
            return Some(share.value);
        }
        check.error(
            share,
            format!("policy.max_api_share: {} is not a percentage from 1 to 100", share.value),
            Some("e.g. `max_api_share: 50` warns before an apply using over half the API requests left this hour".into()),
        );
        None
    });
    let limits = super::model::Limits::default();
    Policy {
        max_api_share,
        limits: super::model::Limits {
            max_quantity: raw.max_quantity.unwrap_or(limits.max_quantity),
            max_quantity_change: raw
                .max_quantity_change
                .unwrap_or(limits.max_quantity_change),
        },
        fail_on,
        create_missing_lines: raw.create_missing_lines.unwrap_or(false),
        thresholds: super::model::Thresholds {
            max_increase_percent: raw.max_increase_percent,
            max_decrease_percent: raw.max_decrease_percent,
            max_change_units: raw.max_change_units,
            allow_decrease_to_zero: raw.allow_decrease_to_zero.unwrap_or(false),
        },
        overrides: raw
            .overrides
            .iter()
            .map(|o| super::model::ThresholdOverride {
                integration: o.integration.clone(),
                service: o.service.clone(),
                max_increase_percent: o.max_increase_percent,
                max_decrease_percent: o.max_decrease_percent,
                max_change_units: o.max_change_units,
                allow_decrease_to_zero: o.allow_decrease_to_zero,
            })
            .collect(),
    }
}

fn psa(check: &mut Checker<'_>, raw: &RawPsa) -> Option<PsaConfig> {
    let at = location(&raw.kind);
    let kind = raw.kind.value;
    let foreign: &[(&str, bool)] = match kind {
        PsaKind::Sandbox => &[
            ("username", raw.username.is_some()),
            ("secret", raw.secret.is_some()),
            ("integration_code", raw.integration_code.is_some()),
            ("site", raw.site.is_some()),
            ("public_key", raw.public_key.is_some()),
            ("private_key", raw.private_key.is_some()),
        ],
        PsaKind::Autotask => &[("path", raw.path.is_some()), ("site", raw.site.is_some())],
        PsaKind::Connectwise => &[
            ("path", raw.path.is_some()),
            ("secret", raw.secret.is_some()),
        ],
        PsaKind::Halopsa => &[
            ("path", raw.path.is_some()),
            ("username", raw.username.is_some()),
            ("secret", raw.secret.is_some()),
            ("integration_code", raw.integration_code.is_some()),
            ("base_url", raw.base_url.is_some()),
            ("site", raw.site.is_some()),
            ("company_id", raw.company_id.is_some()),
            ("public_key", raw.public_key.is_some()),
            ("private_key", raw.private_key.is_some()),
        ],
    };
    let halo_only: &[(&str, bool)] = &[
        ("client_secret", raw.client_secret.is_some()),
        ("resource_server", raw.resource_server.is_some()),
        ("auth_server", raw.auth_server.is_some()),
        ("tenant", raw.tenant.is_some()),
    ];
    let mut foreign: Vec<(&str, bool)> = match kind {
        PsaKind::Halopsa => foreign.to_vec(),
        _ => foreign.iter().chain(halo_only).copied().collect(),
    };
    if !matches!(kind, PsaKind::Connectwise | PsaKind::Sandbox) {
        foreign.push(("write_concurrency", raw.write_concurrency.is_some()));
    }
    let kind_name = match kind {
        PsaKind::Sandbox => "sandbox",
        PsaKind::Autotask => "autotask",
        PsaKind::Connectwise => "connectwise",
        PsaKind::Halopsa => "halopsa",
    };
    for (field, _) in foreign.iter().filter(|(_, present)| *present) {
        check.error_at(
            at,
            format!("psa.{field} does not apply to psa.kind {kind_name}"),
            None,
        );
    }
    match kind {
        PsaKind::Sandbox => {
            let path = check.required(&raw.path, at, "path", kind_name)?;
            let path = check.relative_path(path, "psa.path")?;
            let integer_quantities = raw.integer_quantities.as_ref().is_some_and(|v| v.value);
            let write_concurrency = write_concurrency(
                check,
                raw,
                "the sandbox's default, 32, shares one rewrite of the file among 32 writes",
            );
            Some(PsaConfig::Sandbox {
                path,
                integer_quantities,
                write_concurrency,
            })
        }
        PsaKind::Autotask => {
            let username = check.required(&raw.username, at, "username", kind_name);
            let secret = check.required(&raw.secret, at, "secret", kind_name);
            let code = check.required(&raw.integration_code, at, "integration_code", kind_name);
            let username = username.and_then(|v| check.credential(v, "psa.username"));
            let secret = secret.and_then(|v| check.credential(v, "psa.secret"));
            let integration_code = code.and_then(|v| check.credential(v, "psa.integration_code"));
            let base_url = raw
                .base_url
                .as_ref()
                .and_then(|v| check.psa_url(v, "base_url"));
            Some(PsaConfig::Autotask {
                username: username?,
                secret: secret?,
                integration_code: integration_code?,
                base_url: checked(&raw.base_url, base_url)?,
            })
        }
        PsaKind::Connectwise => {
            let site = check
                .required(&raw.site, at, "site", kind_name)
                .and_then(|v| check.psa_url(v, "site"));
            let base_url = raw
                .base_url
                .as_ref()
                .and_then(|v| check.psa_url(v, "base_url"));
            let company = check.required(&raw.company_id, at, "company_id", kind_name);
            let company_id = company.map(|v| v.value.clone());
            let public = check.required(&raw.public_key, at, "public_key", kind_name);
            let private = check.required(&raw.private_key, at, "private_key", kind_name);
            let client = check.required(&raw.client_id, at, "client_id", kind_name);
            let client_id = client.and_then(|v| check.plain_client_id(v));
            let public_key = public.and_then(|v| check.credential(v, "psa.public_key"));
            let private_key = private.and_then(|v| check.credential(v, "psa.private_key"));
            let write_concurrency = write_concurrency(
                check,
                raw,
                "ConnectWise publishes no rate limit; the default, 6, stays clear of 429s",
            );
            Some(PsaConfig::ConnectWise {
                write_concurrency,
                site: site?,
                company_id: company_id?,
                public_key: public_key?,
                private_key: private_key?,
                client_id: client_id?,
                base_url: checked(&raw.base_url, base_url)?,
            })
        }
        PsaKind::Halopsa => {
            let resource = check.required(&raw.resource_server, at, "resource_server", kind_name);
            let resource_server = resource.and_then(|v| check.http_url(v, "psa.resource_server"));
            let auth = check.required(&raw.auth_server, at, "auth_server", kind_name);
            let auth_server = auth.and_then(|v| check.http_url(v, "psa.auth_server"));
            let id = check.required(&raw.client_id, at, "client_id", kind_name);
            let client_id = id.and_then(|v| check.credential(v, "psa.client_id"));
            let secret = check.required(&raw.client_secret, at, "client_secret", kind_name);
            let client_secret = secret.and_then(|v| check.credential(v, "psa.client_secret"));
            Some(PsaConfig::HaloPsa {
                resource_server: resource_server?,
                auth_server: auth_server?,
                client_id: client_id?,
                client_secret: client_secret?,
                tenant: raw
                    .tenant
                    .as_ref()
                    .map(|v| v.value.trim().to_owned())
                    .filter(|t| !t.is_empty()),
            })
        }
    }
}

/// An optional field's checked value: `Some(None)` when absent, `None` when present but refused.
/// `psa.write_concurrency` when it is from 1 to 32; an error saying why the default is what it
/// is (`why_default`) otherwise.
fn write_concurrency(check: &mut Checker<'_>, raw: &RawPsa, why_default: &str) -> Option<usize> {
    let n = raw.write_concurrency.as_ref()?;
    if (1..=32).contains(&n.value) {
        return Some(n.value as usize);
    }
    check.error(
        n,
        format!("psa.write_concurrency: {} is not from 1 to 32", n.value),
        Some(why_default.into()),
    );
    None
}

fn checked<T, U>(raw: &Option<T>, value: Option<U>) -> Option<Option<U>> {
    match (raw, value) {
        (None, _) => Some(None),
        (Some(_), Some(value)) => Some(Some(value)),
        (Some(_), None) => None,
    }
}

/// Validates one integration file.
pub fn integration(
    root: &Path,
    file: &Path,
    name: &str,
    raw: RawIntegration,
    diagnostics: &mut Diagnostics,
) -> Option<Integration> {
    let mut check = Checker {
        root,
        file,
        diagnostics,
    };
    let vendor = check.id(&raw.vendor, "vendor");
    let source = source::source(&mut check, &raw.source);
    let accounts = accounts(&mut check, &raw.accounts, &raw.vendor);
    let services = services(
        &mut check,
        &raw.services,
        &raw.vendor,
        raw.source.kind.value,
    );
    Some(Integration {
        name: name.to_owned(),
        file: file.to_path_buf(),
        vendor: vendor?,
        source: source?,
        billing_model: raw.billing_model.value,
        accounts: accounts?,
        services: services?,
    })
}

fn accounts(
    check: &mut Checker<'_>,
    raw: &RawAccounts,
    anchor: &Spanned<String>,
) -> Option<AccountRules> {
    let auto_match = raw.auto_match.unwrap_or_default();
    if raw.map.is_empty() && auto_match == super::raw::AutoMatch::None {
        check.error(
            anchor,
            "integration has no account mapping",
            Some(
                "add at least one `accounts.map` entry, or set `accounts.auto_match: exact-name`"
                    .into(),
            ),
        );
    }
    let mut ok = true;
    let mut map: BTreeMap<String, AccountMapping> = BTreeMap::new();
    let mut first_line_of_company: BTreeMap<String, Option<Location>> = BTreeMap::new();
    for entry in &raw.map {
        let (Some(vendor), Some(psa)) = (
            check.id(&entry.vendor, "vendor"),
            check.id(&entry.psa, "psa"),
        ) else {
            ok = false;
            continue;
        };
        if let Some(previous) = map.get(&vendor) {
            let line = previous.origin.location.map_or(0, |l| l.line);
            check.error(
                &entry.vendor,
                format!("vendor account \"{vendor}\" is mapped twice (first at line {line})"),
                Some("keep one mapping per vendor account".into()),
            );
            ok = false;
            continue;
        }
        if let Some(first) = first_line_of_company.get(&psa) {
            let line = first.map_or(0, |l| l.line);
            check.error(
                &entry.psa,
                format!(
                    "PSA company \"{psa}\" is mapped from two vendor accounts (first at line {line})"
                ),
                Some("one PSA company takes one vendor account per integration; \
                      remove one mapping or exclude the duplicate account"
                    .into()),
            );
            ok = false;
        }
        first_line_of_company.insert(psa.clone(), location(&entry.psa));
        let contract = entry
            .contract
            .as_ref()
            .and_then(|c| check.id(c, "contract"));
        let origin = check.origin(&entry.vendor);
        map.insert(
            vendor,
            AccountMapping {
                psa_company: psa,
                contract,
                origin,
            },
        );
    }
    let mut exclude = BTreeSet::new();
    for id in &raw.exclude {
        let Some(value) = check.id(id, "exclude") else {
            continue;
        };
        if map.contains_key(&value) {
            check.error(
                id,
                format!("vendor account \"{value}\" is both mapped and excluded"),
                Some("remove it from `exclude` to bill it, or remove its mapping".into()),
            );
            ok = false;
        }
        exclude.insert(value);
    }
    ok.then_some(AccountRules {
        auto_match,
        map,
        exclude,
    })
}

/// Whether `entry`'s `price` is a price and agrees with the price of the other entries of
/// `service` (the first written is remembered in `seen`); reports the problem when not.
fn price_agrees(
    check: &mut Checker<'_>,
    entry: &RawServiceMap,
    service: &str,
    seen: &mut BTreeMap<String, (rust_decimal::Decimal, u64)>,
) -> bool {
    let Some(written) = &entry.price else {
        return true;
    };
    let Some(price) = price_of(written) else {
        check.error(
            written,
            format!("price `{}` is not a price", written.value),
            Some("write the price per unit as a plain decimal, e.g. `price: 4.50`".into()),
        );
        return false;
    };
    let line = location(written).map_or(0, |l| l.line);
    match seen.get(service) {
        Some((first, at)) if first.normalize() != price.normalize() => {
            check.error(
                written,
                format!(
                    "PSA service \"{service}\" is priced {price} here and {first} at line {at}"
                ),
                Some("SKUs that add up into one PSA service share one price".into()),
            );
            false
        }
        Some(_) => true,
        None => {
            seen.insert(service.to_owned(), (price, line));
            true
        }
    }
}

/// `price:` as an exact non-negative decimal, from the YAML text (no currency: prices are in
/// `billing.currency`).
fn price_of(written: &Spanned<String>) -> Option<rust_decimal::Decimal> {
    let text = written.value.trim();
    let price = rust_decimal::Decimal::from_str_exact(text).ok()?;
    (!price.is_sign_negative()).then_some(price)
}

fn services(
    check: &mut Checker<'_>,
    raw: &[RawServiceMap],
    anchor: &Spanned<String>,
    kind: SourceKind,
) -> Option<Vec<ServiceMapping>> {
    if raw.is_empty() {
        check.error(
            anchor,
            "integration has no service mapping",
            Some("add at least one `services` entry: `- {vendor: SKU, psa: SERVICE}`".into()),
        );
        return None;
    }
    let mut ok = true;
    let mut seen: BTreeMap<(String, String), Option<Location>> = BTreeMap::new();
    let mut by_sku: BTreeMap<String, Vec<&RawServiceMap>> = BTreeMap::new();
    let mut rounding_of_service: BTreeMap<
        String,
        (Option<crate::usage::RoundingMode>, Option<Location>),
    > = BTreeMap::new();
    let mut price_of_service = BTreeMap::new();
    let mut out = Vec::new();
    for entry in raw {
        let (Some(sku), Some(service)) = (
            check.id(&entry.vendor, "vendor"),
            check.id(&entry.psa, "psa"),
        ) else {
            ok = false;
            continue;
        };
        let sku = source::vendor_product(check, kind, &entry.vendor, sku);
        if let Some(first) = seen.get(&(sku.clone(), service.clone())) {
            let line = first.map_or(0, |l| l.line);
            check.error(
                &entry.vendor,
                format!(
                    "service mapping {sku} → {service} is written twice (first at line {line})"
                ),
                None,
            );
            ok = false;
            continue;
        }
        seen.insert((sku.clone(), service.clone()), location(&entry.vendor));
        if let Some((mode, line)) = rounding_of_service.get(&service)
            && entry.rounding.is_some()
            && *mode != entry.rounding
        {
            let line = line.map_or(0, |l| l.line);
            check.error(
                &entry.psa,
                format!(
                    "PSA service \"{service}\" gets different rounding modes from its SKUs \
                     (see line {line})"
                ),
                Some("SKUs that add up into one PSA service share one rounding mode".into()),
            );
            ok = false;
        }
        if entry.rounding.is_some() || !rounding_of_service.contains_key(&service) {
            rounding_of_service.insert(service.clone(), (entry.rounding, location(&entry.psa)));
        }
        if !price_agrees(check, entry, &service, &mut price_of_service) {
            ok = false;
        }
        by_sku.entry(sku.clone()).or_default().push(entry);
        out.push(ServiceMapping {
            vendor_sku: sku,
            psa_service: service,
            rounding: entry.rounding,
            price: entry.price.as_ref().and_then(price_of),
            origin: check.origin(&entry.vendor),
        });
    }
    for (sku, entries) in by_sku.iter().filter(|(_, entries)| entries.len() > 1) {
        for entry in entries.iter().filter(|e| e.fan_out != Some(true)) {
            check.error(
                &entry.vendor,
                format!("vendor SKU \"{sku}\" feeds {} PSA services", entries.len()),
                Some("if that is deliberate, set `fan_out: true` on each of its entries".into()),
            );
            ok = false;
        }
    }
    ok.then_some(out)
}
