//! The embedded sandbox PSA: a YAML file holding companies, services and contracts.
//!
//! It exists so reckon can be tried, demonstrated and tested without a real PSA. Every call reads
//! the file fresh (so another process's writes are seen), and every write replaces it atomically
//! (temp file in the same folder, fsync, rename), so a crash never leaves a half-written file.
//! A write holds an advisory lock on the file ([`crate::fsio::locked`]) from its read to its
//! rename, so two processes writing at once (two workspaces sharing the file) lose nothing.
//! Quantity writes made at once share one rewrite ([`commits`]).
//! Quantities change from an effective date on, like a real PSA's history: each line keeps a base
//! quantity and a list of dated changes.

mod commits;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{CheckStep, Psa, PsaError};
use crate::fsio;
use crate::observed::{Company, Contract, Line, LineRef, Service};

/// Quantity writes apply runs at once by default (`psa.write_concurrency`), which share one
/// rewrite of the file: at 5,000 accounts an apply of 13,356 writes took 82 s instead of about
/// 37 minutes (release build; README, where the sandbox PSA is described).
pub const WRITES_AT_ONCE: usize = 32;

/// The sandbox file's content.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxState {
    /// Customer companies.
    #[serde(default)]
    pub companies: Vec<SandboxCompany>,
    /// The service catalogue.
    #[serde(default)]
    pub services: Vec<SandboxService>,
    /// Recurring contracts.
    #[serde(default)]
    pub contracts: Vec<SandboxContract>,
}

/// A company in the sandbox file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxCompany {
    /// Company id.
    pub id: String,
    /// Company name.
    pub name: String,
}

/// A service in the sandbox file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxService {
    /// Service identifier.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The catalogue price per unit (a decimal string), which a line created for it gets.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub price: Option<Decimal>,
    /// The catalogue cost per unit (a decimal string), which a line created for it gets.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub cost: Option<Decimal>,
}

/// A contract in the sandbox file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxContract {
    /// Contract id.
    pub id: String,
    /// Company id.
    pub company: String,
    /// Display name.
    pub name: String,
    /// Recurring lines.
    #[serde(default)]
    pub lines: Vec<SandboxLine>,
}

/// A contract line in the sandbox file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxLine {
    /// Line id.
    pub id: String,
    /// Service identifier.
    pub service: String,
    /// Quantity before any dated change.
    #[serde(with = "rust_decimal::serde::str")]
    pub quantity: Decimal,
    /// What the line bills per unit (a decimal string), when the file says.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub price: Option<Decimal>,
    /// What the line costs the MSP per unit (a decimal string), when the file says.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub cost: Option<Decimal>,
    /// Dated changes, oldest first; written by `apply`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<SandboxChange>,
}

/// A quantity in force from a date on.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxChange {
    /// First day the quantity applies.
    pub effective_date: NaiveDate,
    /// The quantity.
    #[serde(with = "rust_decimal::serde::str")]
    pub quantity: Decimal,
}

impl SandboxLine {
    /// The quantity in force on `at`.
    pub fn quantity_at(&self, at: NaiveDate) -> Decimal {
        self.changes
            .iter()
            .filter(|change| change.effective_date <= at)
            .max_by_key(|change| change.effective_date)
            .map_or(self.quantity, |change| change.quantity)
            .normalize()
    }

    fn set_from(&mut self, at: NaiveDate, quantity: Decimal) {
        self.changes.retain(|change| change.effective_date != at);
        self.changes.push(SandboxChange {
            effective_date: at,
            quantity,
        });
        self.changes.sort_by_key(|change| change.effective_date);
    }
}

/// The sandbox PSA over one state file.
#[derive(Debug)]
pub struct SandboxPsa {
    path: PathBuf,
    shown: PathBuf,
    /// The folder the file must stay inside once links are resolved.
    workspace: PathBuf,
    integer_quantities: bool,
    /// Serializes read-modify-write cycles within this process.
    write_lock: Mutex<()>,
    /// Quantity writes waiting to share the next rewrite.
    commits: commits::Commits<Update>,
    /// Writes apply runs at once ([`Psa::write_concurrency`]).
    writes_at_once: usize,
    /// The last parsed state and the file stamp it was parsed from: one plan asks for
    /// companies, services and contracts separately, and a large file should be parsed once.
    /// A changed stamp (another process wrote the file) forces a fresh read.
    cache: Mutex<Option<(FileStamp, Arc<SandboxState>)>>,
}

/// What identifies one version of the state file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileStamp {
    modified: Option<std::time::SystemTime>,
    len: u64,
}

impl FileStamp {
    fn of(path: &Path) -> Option<Self> {
        let metadata = std::fs::metadata(path).ok()?;
        Some(Self {
            modified: metadata.modified().ok(),
            len: metadata.len(),
        })
    }
}

impl SandboxPsa {
    /// A sandbox over `path` (`shown` is the path used in messages). Links may not lead out of
    /// the file's folder; [`SandboxPsa::within`] widens that to the workspace.
    pub fn new(path: PathBuf, shown: PathBuf, integer_quantities: bool) -> Self {
        let folder = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        Self {
            workspace: folder,
            path,
            shown,
            integer_quantities,
            write_lock: Mutex::new(()),
            commits: commits::Commits::default(),
            writes_at_once: WRITES_AT_ONCE,
            cache: Mutex::new(None),
        }
    }

    /// The same sandbox, its file allowed anywhere inside the workspace `root`.
    pub fn within(self, root: &Path) -> Self {
        Self {
            workspace: root.to_path_buf(),
            ..self
        }
    }

    /// The same sandbox, apply running `writes` writes at once (at least one).
    pub fn writing_at_once(self, writes: usize) -> Self {
        Self {
            writes_at_once: writes.max(1),
            ..self
        }
    }

    /// Reads the state file (parsed once per version of the file).
    pub fn load(&self) -> Result<SandboxState, PsaError> {
        self.load_shared().map(|state| (*state).clone())
    }

    fn load_shared(&self) -> Result<Arc<SandboxState>, PsaError> {
        let stamp = FileStamp::of(&self.path);
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let (Some(stamp), Some((cached, state))) = (&stamp, cache.as_ref())
            && stamp == cached
        {
            return Ok(Arc::clone(state));
        }
        let state = Arc::new(self.parse()?);
        *cache = stamp.map(|stamp| (stamp, Arc::clone(&state)));
        Ok(state)
    }

    /// Parses the file with the state file's budget ([`crate::yaml::STATE_MAX_VALUES`]): a
    /// book at MSP scale, with its history of changes, is more than a workspace file may hold.
    fn parse(&self) -> Result<SandboxState, PsaError> {
        let within = fsio::Within::Workspace(&self.workspace);
        let text = crate::config::read_text(&self.path, &self.shown, within, fsio::limit::CONFIG)
            .map_err(|d| self.unreadable(&d))?;
        self.decode(&text)
    }

    fn decode(&self, text: &str) -> Result<SandboxState, PsaError> {
        crate::yaml::from_str_within(text, &self.shown, crate::yaml::Budget::State)
            .map_err(|d| self.unreadable(&d))
    }

    fn unreadable(&self, diagnostic: &crate::diagnostic::Diagnostic) -> PsaError {
        let at = diagnostic
            .location
            .map(|l| format!(":{}:{}", l.line, l.column))
            .unwrap_or_default();
        PsaError::Unavailable(format!(
            "sandbox file {}{at}: {}",
            self.shown.display(),
            diagnostic.message
        ))
    }

    /// Reads the file under its lock, which the returned handle holds.
    fn lock_and_read(&self) -> Result<(fsio::read::Opened, SandboxState), PsaError> {
        let unreadable = |error: fsio::ReadError| {
            self.unreadable(&crate::diagnostic::Diagnostic::error(
                &self.shown,
                None,
                error.to_string(),
            ))
        };
        let within = fsio::Within::Workspace(&self.workspace);
        let mut locked = fsio::locked::exclusive(&self.path, within).map_err(unreadable)?;
        let bytes = fsio::read::bounded(&mut locked, fsio::limit::CONFIG).map_err(unreadable)?;
        let text = String::from_utf8(bytes).map_err(|_| unreadable(fsio::ReadError::NotText))?;
        let state = self.decode(&text)?;
        Ok((locked, state))
    }

    /// Replaces the state file atomically. Takes no lock: a read-modify-write of another
    /// process's file goes through `modify`, which holds it.
    pub fn save(&self, state: &SandboxState) -> Result<(), PsaError> {
        let text = crate::yaml::to_string(state)
            .map_err(|e| PsaError::Unavailable(format!("cannot encode sandbox state: {e}")))?;
        fsio::write::replace(&self.path, text.as_bytes()).map_err(|e| {
            PsaError::Unavailable(format!(
                "cannot write sandbox file {}: {e}",
                self.shown.display()
            ))
        })?;
        // A write within the file's timestamp granularity could keep the stamp: forget it.
        *self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        Ok(())
    }

    fn modify<T>(
        &self,
        change: impl FnOnce(&mut SandboxState) -> Result<T, PsaError>,
    ) -> Result<T, PsaError> {
        let _guard = self
            .write_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Read under the lock, not from the cache: another process may have written since.
        let (held, mut state) = self.lock_and_read()?;
        let result = change(&mut state)?;
        self.save(&state)?;
        drop(held);
        Ok(result)
    }

    fn check_quantity(&self, quantity: Decimal) -> Result<(), PsaError> {
        if quantity.is_sign_negative() {
            return Err(PsaError::Rejected {
                action: "set a quantity".into(),
                message: format!("negative quantity {quantity}"),
            });
        }
        if self.integer_quantities && !quantity.fract().is_zero() {
            return Err(PsaError::Rejected {
                action: "set a quantity".into(),
                message: format!("{quantity} is not a whole number; this PSA takes whole units"),
            });
        }
        Ok(())
    }
}

/// One quantity write, as [`Psa::set_quantity`] was asked for it.
#[derive(Debug)]
struct Update {
    line: LineRef,
    expected: Decimal,
    quantity: Decimal,
    at: NaiveDate,
}

impl Update {
    /// Changes `state` when the line holds what the write expects; else changes nothing.
    fn apply(&self, state: &mut SandboxState) -> Result<(), PsaError> {
        let target = find_line(state, &self.line)?;
        let found = target.quantity_at(self.at);
        if found != self.expected.normalize() {
            return Err(PsaError::Changed {
                contract: self.line.contract.clone(),
                line: self.line.line.clone(),
                expected: self.expected,
                found,
            });
        }
        target.set_from(self.at, self.quantity);
        Ok(())
    }
}

impl SandboxPsa {
    /// Applies `updates` to one read of the file and saves them with one rewrite: one result
    /// per update; when the file cannot be read or saved, that error for each (nothing of them
    /// was written: the file is replaced whole or not at all).
    fn save_updates(&self, updates: Vec<Update>) -> Vec<Result<(), PsaError>> {
        let saved = self.modify(|state| Ok(updates.iter().map(|u| u.apply(state)).collect()));
        saved.unwrap_or_else(|error| updates.iter().map(|_| Err(error.clone())).collect())
    }
}

fn find_line<'s>(
    state: &'s mut SandboxState,
    line: &LineRef,
) -> Result<&'s mut SandboxLine, PsaError> {
    let contract = state
        .contracts
        .iter_mut()
        .find(|c| c.id == line.contract)
        .ok_or_else(|| PsaError::NotFound {
            entity: "contract",
            id: line.contract.clone(),
        })?;
    contract
        .lines
        .iter_mut()
        .find(|l| l.id == line.line)
        .ok_or_else(|| PsaError::NotFound {
            entity: "line",
            id: line.line.clone(),
        })
}

impl Psa for SandboxPsa {
    fn describe(&self) -> String {
        format!("sandbox ({})", self.shown.display())
    }

    /// Writes in flight share one rewrite of the file ([`commits`]): this many at once make
    /// a large book's apply about as many times faster, and bound how many outcomes one failed
    /// rewrite can fail together.
    fn write_concurrency(&self) -> usize {
        self.writes_at_once
    }

    async fn check(&self) -> Vec<CheckStep> {
        let read = self.load().map(|state| {
            format!(
                "{} companies, {} services, {} contracts",
                state.companies.len(),
                state.services.len(),
                state.contracts.len()
            )
        });
        vec![CheckStep {
            name: "read the sandbox file".into(),
            outcome: read.map_err(|e| e.to_string()),
        }]
    }

    async fn companies(&self) -> Result<Vec<Company>, PsaError> {
        let state = self.load()?;
        Ok(state
            .companies
            .into_iter()
            .map(|c| Company {
                id: c.id,
                name: c.name,
            })
            .collect())
    }

    async fn services(&self) -> Result<Vec<Service>, PsaError> {
        let state = self.load()?;
        Ok(state
            .services
            .into_iter()
            .map(|s| Service {
                id: s.id,
                name: s.name,
                unit_price: s.price,
                unit_cost: s.cost,
            })
            .collect())
    }

    async fn contracts(&self, at: NaiveDate) -> Result<Vec<Contract>, PsaError> {
        let state = self.load_shared()?;
        Ok(state
            .contracts
            .iter()
            .map(|c| Contract {
                lines: c
                    .lines
                    .iter()
                    .map(|l| Line {
                        id: l.id.clone(),
                        service_id: l.service.clone(),
                        quantity: l.quantity_at(at),
                        quantity_unknown: None,
                        unit_price: l.price,
                        unit_cost: l.cost,
                    })
                    .collect(),
                id: c.id.clone(),
                company_id: c.company.clone(),
                name: c.name.clone(),
                bundled: Vec::new(),
            })
            .collect())
    }

    async fn line_quantity(&self, line: &LineRef, at: NaiveDate) -> Result<Decimal, PsaError> {
        let mut state = self.load()?;
        Ok(find_line(&mut state, line)?.quantity_at(at))
    }

    async fn set_quantity(
        &self,
        line: &LineRef,
        expected: Decimal,
        quantity: Decimal,
        at: NaiveDate,
    ) -> Result<(), PsaError> {
        self.check_quantity(quantity)?;
        let update = Update {
            line: line.clone(),
            expected,
            quantity,
            at,
        };
        self.commits
            .submit(update, |updates| self.save_updates(updates))
            .await
    }

    async fn create_line(
        &self,
        contract: &str,
        service: &str,
        quantity: Decimal,
        at: NaiveDate,
    ) -> Result<String, PsaError> {
        self.check_quantity(quantity)?;
        self.modify(|state| {
            // A created line takes the catalogue's price and cost, as Autotask's and
            // ConnectWise's do (what the plan priced it at).
            let Some((price, cost)) = state
                .services
                .iter()
                .find(|s| s.id == service)
                .map(|s| (s.price, s.cost))
            else {
                return Err(PsaError::NotFound {
                    entity: "service",
                    id: service.to_owned(),
                });
            };
            let target = state
                .contracts
                .iter_mut()
                .find(|c| c.id == contract)
                .ok_or_else(|| PsaError::NotFound {
                    entity: "contract",
                    id: contract.to_owned(),
                })?;
            if target.lines.iter().any(|l| l.service == service) {
                return Err(PsaError::Rejected {
                    action: format!("add a {service} line to contract {contract}"),
                    message: "the contract already has a line for this service".into(),
                });
            }
            let id = format!("{contract}-{}", target.lines.len() + 1);
            target.lines.push(SandboxLine {
                id: id.clone(),
                service: service.to_owned(),
                quantity: Decimal::ZERO,
                price,
                cost,
                changes: vec![SandboxChange {
                    effective_date: at,
                    quantity,
                }],
            });
            Ok(id)
        })
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    fn sandbox(dir: &Path, integer: bool) -> SandboxPsa {
        let path = dir.join("psa.yaml");
        std::fs::write(
            &path,
            "companies: [{id: '1', name: Acme}]\nservices: [{id: S, name: Seats}]\n\
             contracts:\n  - id: C1\n    company: '1'\n    name: MSA\n    lines:\n      \
             - {id: L1, service: S, quantity: '10'}\n",
        )
        .expect("write");
        SandboxPsa::new(path.clone(), path, integer)
    }

    fn line() -> LineRef {
        LineRef {
            contract: "C1".into(),
            line: "L1".into(),
        }
    }

    /// A book of 5,000 accounts × 4 priced lines with one dated change on every line: about
    /// 430,000 values, more than a workspace file may hold (250,000). reckon wrote it, so it
    /// must read it back.
    #[test]
    fn a_priced_book_of_5000_accounts_with_a_change_on_every_line_reads_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let psa = sandbox(dir.path(), true);
        let line = |a: usize, s: usize| SandboxLine {
            id: format!("C{a}-{s}"),
            service: format!("S{s}"),
            quantity: dec!(10),
            price: Some(dec!(5.00)),
            cost: Some(dec!(3.75)),
            changes: vec![SandboxChange {
                effective_date: date("2026-11-01"),
                quantity: dec!(12),
            }],
        };
        let state = SandboxState {
            companies: (0..5_000)
                .map(|a| SandboxCompany {
                    id: a.to_string(),
                    name: format!("Customer {a:04}"),
                })
                .collect(),
            services: (0..4)
                .map(|s| SandboxService {
                    id: format!("S{s}"),
                    name: format!("Service {s}"),
                    price: None,
                    cost: None,
                })
                .collect(),
            contracts: (0..5_000)
                .map(|a| SandboxContract {
                    id: format!("C{a}"),
                    company: a.to_string(),
                    name: "Managed Services".into(),
                    lines: (0..4).map(|s| line(a, s)).collect(),
                })
                .collect(),
        };
        psa.save(&state).expect("save");
        let read = psa.load().expect("a book reckon wrote reads back");
        assert_eq!(read.contracts.len(), 5_000);
        assert_eq!(
            read.contracts[4_999].lines[3].quantity_at(date("2026-11-01")),
            dec!(12)
        );
    }

    /// Writes made at once land together (one rewrite: `commits` tests it), each with its own
    /// result: a line that moved is refused and the others are written.
    #[tokio::test]
    async fn writes_made_at_once_share_a_rewrite_and_a_refused_one_fails_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("psa.yaml");
        std::fs::write(
            &path,
            "services: [{id: S, name: Seats}]\ncontracts:\n  - id: C1\n    company: '1'\n    \
             name: MSA\n    lines:\n      - {id: L1, service: S, quantity: '1'}\n      \
             - {id: L2, service: S, quantity: '2'}\n      - {id: L3, service: S, quantity: '3'}\n",
        )
        .expect("write");
        let psa = SandboxPsa::new(path.clone(), path.clone(), false);
        let at = date("2026-11-01");
        let line = |id: &str| LineRef {
            contract: "C1".into(),
            line: id.into(),
        };
        let (l1, l2, l3) = (line("L1"), line("L2"), line("L3"));
        let results = futures_util::future::join_all([
            psa.set_quantity(&l1, dec!(1), dec!(10), at),
            psa.set_quantity(&l2, dec!(7), dec!(20), at),
            psa.set_quantity(&l3, dec!(3), dec!(30), at),
        ])
        .await;
        assert_eq!(results[0], Ok(()));
        assert!(
            matches!(results[1], Err(PsaError::Changed { .. })),
            "{results:?}"
        );
        assert_eq!(results[2], Ok(()));
        let held: Vec<Decimal> = psa.load().expect("load").contracts[0]
            .lines
            .iter()
            .map(|l| l.quantity_at(at))
            .collect();
        assert_eq!(held, [dec!(10), dec!(2), dec!(30)]);
    }

    #[tokio::test]
    async fn a_change_applies_from_its_effective_date_on() {
        let dir = tempfile::tempdir().expect("tempdir");
        let psa = sandbox(dir.path(), false);
        psa.set_quantity(&line(), dec!(10), dec!(12.5), date("2026-11-01"))
            .await
            .expect("set");
        assert_eq!(
            psa.line_quantity(&line(), date("2026-10-31")).await,
            Ok(dec!(10))
        );
        assert_eq!(
            psa.line_quantity(&line(), date("2026-11-01")).await,
            Ok(dec!(12.5))
        );
        assert_eq!(
            psa.line_quantity(&line(), date("2027-01-01")).await,
            Ok(dec!(12.5))
        );
    }

    #[tokio::test]
    async fn a_write_against_a_changed_line_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let psa = sandbox(dir.path(), false);
        let error = psa
            .set_quantity(&line(), dec!(9), dec!(12), date("2026-11-01"))
            .await;
        assert!(matches!(error, Err(PsaError::Changed { found, .. }) if found == dec!(10)));
        assert_eq!(
            psa.line_quantity(&line(), date("2026-11-01")).await,
            Ok(dec!(10))
        );
    }

    #[tokio::test]
    async fn an_integer_sandbox_rejects_fractions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let psa = sandbox(dir.path(), true);
        let error = psa
            .set_quantity(&line(), dec!(10), dec!(12.5), date("2026-11-01"))
            .await;
        assert!(matches!(error, Err(PsaError::Rejected { .. })));
    }

    #[tokio::test]
    async fn created_lines_are_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let psa = sandbox(dir.path(), false);
        let error = psa
            .create_line("C1", "S", dec!(1), date("2026-11-01"))
            .await;
        assert!(
            matches!(error, Err(PsaError::Rejected { .. })),
            "duplicate service line"
        );
        let mut state = psa.load().expect("load");
        state.services.push(SandboxService {
            id: "T".into(),
            name: "Other".into(),
            price: Some(dec!(4.5)),
            cost: None,
        });
        psa.save(&state).expect("save");
        let id = psa
            .create_line("C1", "T", dec!(4), date("2026-11-01"))
            .await
            .expect("create");
        let contracts = psa.contracts(date("2026-11-01")).await.expect("contracts");
        let created = contracts[0]
            .lines
            .iter()
            .find(|l| l.id == id)
            .expect("line");
        assert_eq!(created.quantity, dec!(4));
        assert_eq!(created.unit_price, Some(dec!(4.5)), "the catalogue's price");
        assert_eq!(created.unit_cost, None);
        let catalogue = psa.services().await.expect("services");
        let other = catalogue.iter().find(|s| s.id == "T").expect("T");
        assert_eq!((other.unit_price, other.unit_cost), (Some(dec!(4.5)), None));
    }

    /// Two writers over one file (two workspaces sharing a sandbox), each with its own handle
    /// as two processes have: every update of each must survive the other's.
    #[test]
    fn two_writers_sharing_the_file_lose_no_update() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("psa.yaml");
        std::fs::write(
            &path,
            "services: [{id: S, name: Seats}, {id: T, name: Storage}]\ncontracts:\n  - id: C1\n    \
             company: '1'\n    name: MSA\n    lines:\n      - {id: L1, service: S, quantity: '0'}\n      \
             - {id: L2, service: T, quantity: '0'}\n",
        )
        .expect("write");
        let at = date("2026-11-01");
        let writer = |line: &'static str| {
            let path = path.clone();
            std::thread::spawn(move || {
                let psa = SandboxPsa::new(path.clone(), path, false);
                let line = LineRef {
                    contract: "C1".into(),
                    line: line.into(),
                };
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .expect("runtime");
                for n in 0..40u32 {
                    runtime
                        .block_on(psa.set_quantity(&line, n.into(), (n + 1).into(), at))
                        .expect("the line holds what this writer last wrote");
                }
            })
        };
        let (first, second) = (writer("L1"), writer("L2"));
        first.join().expect("first writer");
        second.join().expect("second writer");
        let state = SandboxPsa::new(path.clone(), path, false)
            .load()
            .expect("load");
        let quantities: Vec<Decimal> = state.contracts[0]
            .lines
            .iter()
            .map(|l| l.quantity_at(at))
            .collect();
        assert_eq!(quantities, [dec!(40), dec!(40)]);
    }

    #[tokio::test]
    async fn a_write_by_another_process_is_seen_despite_the_cache() {
        let dir = tempfile::tempdir().expect("tempdir");
        let psa = sandbox(dir.path(), false);
        assert_eq!(psa.companies().await.expect("read").len(), 1);
        let other = SandboxPsa::new(dir.path().join("psa.yaml"), "psa.yaml".into(), false);
        let mut state = other.load().expect("load");
        state.companies.push(SandboxCompany {
            id: "2".into(),
            name: "Beta".into(),
        });
        other.save(&state).expect("save");
        assert_eq!(psa.companies().await.expect("read").len(), 2);
    }
}
