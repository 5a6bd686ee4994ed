//! A scenario builder for planner tests: PSA companies, contracts and lines, integrations with
//! their mappings, daily usage rows, policy and grants — then [`Scenario::plan`] runs the real
//! [`crate::plan::compute`] and checks the plan's invariants. No files, no PSA, no clock.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::config::Workspace;
use crate::config::model::{
    AccountMapping, AccountRules, AutoMatch, EffectiveDate, Integration, Origin, Policy, PsaConfig,
    ServiceMapping, Source, SourceInput, SourceKind,
};
use crate::config::template::PathTemplate;
use crate::observed::{Company, Contract, Line, PsaSnapshot, Service};
use crate::period::Period;
use crate::plan::approval::Grant;
use crate::plan::{Interrupted, Plan, compute};
use crate::render::{Style, text};
use crate::usage::{BillingModel, UsageRow, summarize};

/// The period every scenario plans: October 2026 (31 days).
pub fn october() -> Period {
    "2026-10".parse().expect("period")
}

/// A day of October 2026.
pub fn oct(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 10, day).expect("date")
}

/// A workspace, a PSA and usage, built up step by step.
pub struct Scenario {
    workspace: Workspace,
    psa: PsaSnapshot,
    rows: BTreeMap<String, Vec<UsageRow>>,
    grants: Vec<Grant>,
    interrupted: Vec<Interrupted>,
    today: NaiveDate,
}

impl Scenario {
    /// A sandbox workspace with one `sum`-model integration `keeper` and an empty PSA; today is
    /// 2 November 2026, so October has ended.
    pub fn new() -> Self {
        Self {
            workspace: Workspace {
                root: PathBuf::from("/nonexistent"),
                psa: PsaConfig::Sandbox {
                    path: "sandbox.json".into(),
                    integer_quantities: true,
                    write_concurrency: None,
                },
                effective_date: EffectiveDate::NextMonthStart,
                rounding_mode: crate::usage::RoundingMode::Nearest,
                decimals: 0,
                policy: Policy::default(),
                currency: None,
                integrations: Vec::new(),
                state: Default::default(),
            },
            psa: PsaSnapshot {
                companies: Vec::new(),
                services: Vec::new(),
                contracts: Vec::new(),
            },
            rows: BTreeMap::new(),
            grants: Vec::new(),
            interrupted: Vec::new(),
            today: NaiveDate::from_ymd_opt(2026, 11, 2).expect("date"),
        }
        .integration("keeper")
    }

    /// Acme (company 1), whose contract C-1 has one line C-1-1 of service BP holding `current`;
    /// keeper's account 100 ("Acme") maps to it and uses `count` Business seats on `days`.
    pub fn one_line(current: u32, count: u64, days: RangeInclusive<u32>) -> Self {
        Self::new()
            .company("1", "Acme")
            .service("BP")
            .contract("C-1", "1", &[("C-1-1", "BP", current)])
            .map_account("keeper", "100", "1", None)
            .map_service("keeper", "Business", "BP")
            .usage("keeper", ("100", "Acme"), "Business", count, days)
    }

    /// Adds an integration (billing model `peak`, so a constant daily count is the quantity).
    pub fn integration(mut self, name: &str) -> Self {
        self.workspace.integrations.push(Integration {
            name: name.into(),
            file: format!("integrations/{name}.yaml").into(),
            vendor: name.into(),
            source: Source {
                kind: SourceKind::Csv,
                input: SourceInput::File(PathTemplate::parse("usage.csv").expect("template")),
            },
            billing_model: BillingModel::Peak,
            accounts: AccountRules {
                auto_match: AutoMatch::None,
                map: BTreeMap::new(),
                exclude: Default::default(),
            },
            services: Vec::new(),
        });
        self.workspace
            .integrations
            .sort_by(|a, b| a.name.cmp(&b.name));
        self.rows.entry(name.into()).or_default();
        self
    }

    fn integration_mut(&mut self, name: &str) -> &mut Integration {
        self.workspace
            .integrations
            .iter_mut()
            .find(|i| i.name == name)
            .expect("integration declared")
    }

    /// A PSA company.
    pub fn company(mut self, id: &str, name: &str) -> Self {
        self.psa.companies.push(Company {
            id: id.into(),
            name: name.into(),
        });
        self
    }

    /// A service of the PSA's catalogue.
    pub fn service(mut self, id: &str) -> Self {
        self.psa.services.push(Service::named(id, id));
        self
    }

    /// An active recurring contract of `company` with lines `(line id, service, quantity)`.
    pub fn contract(mut self, id: &str, company: &str, lines: &[(&str, &str, u32)]) -> Self {
        self.psa.contracts.push(Contract {
            id: id.into(),
            company_id: company.into(),
            name: format!("{id} recurring"),
            lines: lines
                .iter()
                .map(|(line, service, quantity)| Line {
                    id: (*line).into(),
                    service_id: (*service).into(),
                    quantity: Decimal::from(*quantity),
                    quantity_unknown: None,
                    unit_price: None,
                    unit_cost: None,
                })
                .collect(),
            bundled: Vec::new(),
        });
        self
    }

    /// Line `line` of the contracts holds no quantity on the effective date, for `why`
    /// (Autotask: no ContractServiceUnits row covers it).
    pub fn quantity_unknown(mut self, line: &str, why: &str) -> Self {
        for contract in &mut self.psa.contracts {
            for l in contract.lines.iter_mut().filter(|l| l.id == line) {
                l.quantity_unknown = Some(why.into());
            }
        }
        self
    }

    /// Contract `contract` bills `service` inside bundle `bundle` (not on a line of its own).
    pub fn bundled(mut self, contract: &str, service: &str, bundle: &str) -> Self {
        for c in self.psa.contracts.iter_mut().filter(|c| c.id == contract) {
            c.bundled.push(crate::observed::BundledService {
                service_id: service.into(),
                bundle: bundle.into(),
            });
        }
        self
    }

    /// `accounts.map: [{vendor, psa, contract}]` in `integration`.
    pub fn map_account(
        mut self,
        integration: &str,
        vendor: &str,
        company: &str,
        contract: Option<&str>,
    ) -> Self {
        let origin = origin(integration, 10);
        self.integration_mut(integration).accounts.map.insert(
            vendor.into(),
            AccountMapping {
                psa_company: company.into(),
                contract: contract.map(str::to_owned),
                origin,
            },
        );
        self
    }

    /// `accounts.auto_match: exact-name` in `integration`.
    pub fn exact_names(mut self, integration: &str) -> Self {
        self.integration_mut(integration).accounts.auto_match = AutoMatch::ExactName;
        self
    }

    /// `services: [{vendor: sku, psa: service}]` in `integration`.
    pub fn map_service(mut self, integration: &str, sku: &str, service: &str) -> Self {
        let origin = origin(integration, 20);
        self.integration_mut(integration)
            .services
            .push(ServiceMapping {
                vendor_sku: sku.into(),
                psa_service: service.into(),
                rounding: None,
                price: None,
                origin,
            });
        self
    }

    /// A daily count of `count` for `account` (named `name`) and `sku` on each day of `days`
    /// of October.
    pub fn usage(
        mut self,
        integration: &str,
        (account, name): (&str, &str),
        sku: &str,
        count: u64,
        days: RangeInclusive<u32>,
    ) -> Self {
        let rows = self.rows.entry(integration.into()).or_default();
        for day in days {
            rows.push(UsageRow {
                date: oct(day),
                account_id: Arc::from(account),
                account_name: Arc::from(name),
                sku: Arc::from(sku),
                quantity: Decimal::from(count),
                unit_cost: None,
                line: u64::try_from(rows.len()).expect("small") + 2,
            });
        }
        self
    }

    /// `billing.currency`.
    pub fn currency(mut self, code: &str) -> Self {
        self.workspace.currency = Some(crate::money::Currency::parse(code).expect("code"));
        self
    }

    /// `integration`'s billing model.
    pub fn model(mut self, integration: &str, model: BillingModel) -> Self {
        self.integration_mut(integration).billing_model = model;
        self
    }

    /// The vendor's cost per unit of `sku` on every row so far, as a source reads `text`.
    pub fn rate(mut self, integration: &str, sku: &str, text: &str) -> Self {
        let rate = crate::money::parse_price(text)
            .expect("price")
            .map(Arc::new);
        for row in self.rows.entry(integration.into()).or_default() {
            if &*row.sku == sku {
                row.unit_cost = rate.clone();
            }
        }
        self
    }

    /// Line `line` bills `price` per unit and costs `cost` per unit in the PSA.
    pub fn priced(mut self, line: &str, price: Option<Decimal>, cost: Option<Decimal>) -> Self {
        for contract in &mut self.psa.contracts {
            for l in contract.lines.iter_mut().filter(|l| l.id == line) {
                l.unit_price = price;
                l.unit_cost = cost;
            }
        }
        self
    }

    /// PSA service `service`'s catalogue price and cost per unit.
    pub fn catalogue_priced(
        mut self,
        service: &str,
        price: Option<Decimal>,
        cost: Option<Decimal>,
    ) -> Self {
        for s in self.psa.services.iter_mut().filter(|s| s.id == service) {
            s.unit_price = price;
            s.unit_cost = cost;
        }
        self
    }

    /// `price:` on `integration`'s mapping of `sku` (the price list).
    pub fn list_price(mut self, integration: &str, sku: &str, price: Decimal) -> Self {
        for mapping in self
            .integration_mut(integration)
            .services
            .iter_mut()
            .filter(|m| m.vendor_sku == sku)
        {
            mapping.price = Some(price);
        }
        self
    }

    /// Service `service` of `integration` rounds `mode`.
    pub fn rounding(
        mut self,
        integration: &str,
        service: &str,
        mode: crate::usage::RoundingMode,
    ) -> Self {
        for mapping in self
            .integration_mut(integration)
            .services
            .iter_mut()
            .filter(|m| m.psa_service == service)
        {
            mapping.rounding = Some(mode);
        }
        self
    }

    /// Changes the workspace's policy.
    pub fn policy(mut self, change: impl FnOnce(&mut Policy)) -> Self {
        change(&mut self.workspace.policy);
        self
    }

    /// An `approvals.yaml` entry for `address` at `quantity`, this period.
    pub fn grant(mut self, address: &str, quantity: u32) -> Self {
        self.grants.push(Grant {
            address: address.into(),
            period: Some(october()),
            quantity: Some(Decimal::from(quantity)),
            source: format!("approvals.yaml:{}", self.grants.len() * 4 + 2),
        });
        self
    }

    /// A write an earlier apply never recorded the outcome of.
    pub fn interrupted(mut self, write: Interrupted) -> Self {
        self.interrupted.push(write);
        self
    }

    /// Today's date (to plan a period that has not ended).
    pub fn today(mut self, today: NaiveDate) -> Self {
        self.today = today;
        self
    }

    /// The plan, computed by the real planner; its invariants are checked.
    pub fn plan(&self) -> Plan {
        let usage: BTreeMap<String, Vec<_>> = self
            .workspace
            .integrations
            .iter()
            .map(|i| {
                let rows = self.rows.get(&i.name).map(Vec::as_slice).unwrap_or(&[]);
                let usage = summarize(rows, i.billing_model, october()).expect("no overflow");
                (i.name.clone(), usage)
            })
            .collect();
        let plan = compute(&crate::plan::Inputs {
            workspace: &self.workspace,
            period: october(),
            usage: &usage,
            psa: &self.psa,
            partial: false,
            grants: &self.grants,
            interrupted: &self.interrupted,
            today: self.today,
            provenance: &provenance(),
        });
        assert_eq!(plan.check(), Ok(()), "plan invariants");
        plan
    }
}

/// Where a mapping of `integration` was written.
fn origin(integration: &str, line: u64) -> Origin {
    Origin {
        file: format!("integrations/{integration}.yaml").into(),
        location: Some(crate::diagnostic::Location { line, column: 7 }),
    }
}

/// The text plan without colour, as `reckon plan` prints it.
pub fn rendered(plan: &Plan) -> String {
    let mut out = Vec::new();
    text::plan(&mut out, plan, Style::default()).expect("render");
    String::from_utf8(out).expect("utf8")
}

/// A fixed provenance for golden tests: a dirty checkout, a person at a terminal.
pub fn provenance() -> crate::plan::Provenance {
    crate::plan::Provenance {
        tenant: "sandbox (sandbox/psa.yaml)".into(),
        git: Some(crate::fingerprint::GitState {
            commit: "4b825dc642cb6eb9a060e54bf8d69288fbee4904".into(),
            dirty: true,
        }),
        time: "2026-11-02T09:00:00Z".into(),
        user: "ann".into(),
        host: "laptop".into(),
        ci: None,
        reckon_version: "0.1.0".into(),
    }
}
