//! The state interface: the apply lock, the journal and the history, kept either in the
//! workspace's `.reckon/` folder or in a PostgreSQL database shared by every runner.
//!
//! [`Store::open`] is the one place the backend is chosen (from `state:` in reckon.yaml);
//! `ops::apply`, `ops::plan`, watch and status see only [`Store`] and [`Held`], never which
//! backend they use. Both give the same guarantees: one apply per PSA tenant at a time, no PSA
//! write before its intent is durable, and the history every command reads.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use super::journal::{self, Position, Record, Sink};
use super::lock::{self, LockError, LockInfo};
use super::postgres::{self, Postgres};
use crate::config::Workspace;
use crate::config::model::{PsaConfig, StateConfig};
use crate::error::Error;

/// Where a workspace's state lives.
#[derive(Debug)]
pub enum Store {
    /// `.reckon/` under the workspace root.
    Local(PathBuf),
    /// The shared database.
    Postgres(Box<Postgres>),
}

/// A lock holder as `status` shows it.
#[derive(Debug, Clone)]
pub struct Holder {
    /// Who holds (or held) it.
    pub info: LockInfo,
    /// `false`: only a description is left (its database connection is gone, so the lock is
    /// free); `reckon unlock ID` removes it.
    pub live: bool,
}

impl Store {
    /// The workspace's state, as its `state:` block says; for PostgreSQL this connects and
    /// migrates the schema.
    pub async fn open(workspace: &Workspace) -> Result<Self, Error> {
        match &workspace.state {
            StateConfig::Local => Ok(Self::Local(workspace.root.join(super::STATE_DIR))),
            StateConfig::Postgres { url, schema } => {
                let url = match url {
                    Some(url) => Some(
                        url.resolve(&workspace.root, "state.url")
                            .map_err(|e| state_error(e.to_string()))?,
                    ),
                    None => None,
                };
                let target = postgres::Target::new(url.as_ref()).map_err(db_error)?;
                Postgres::open(target, schema, tenant(&workspace.psa))
                    .await
                    .map(|db| Self::Postgres(Box::new(db)))
                    .map_err(db_error)
            }
        }
    }

    /// Where the state is, for people.
    pub fn describe(&self) -> String {
        match self {
            Self::Local(_) => format!("local ({}/)", super::STATE_DIR),
            Self::Postgres(db) => db.describe(),
        }
    }

    /// Every journal record, oldest first.
    pub async fn history(&self) -> Result<Vec<Record>, Error> {
        match self {
            Self::Local(dir) => journal::read(dir).map_err(|source| Error::Io {
                context: "cannot read the apply journal .reckon/journal.jsonl".into(),
                source,
            }),
            Self::Postgres(db) => db.history().await.map_err(db_error),
        }
    }

    /// The lock's holder, if there is one (a stale PostgreSQL holder row shows as not live).
    pub async fn holder(&self) -> Result<Option<Holder>, LockError> {
        match self {
            Self::Local(dir) => Ok(lock::read(dir)?.map(|info| Holder { info, live: true })),
            Self::Postgres(db) => Ok(db.holder().await?.map(|h| Holder {
                info: h.info,
                live: h.live,
            })),
        }
    }

    /// Removes someone else's lock (local) or a stale holder row (PostgreSQL), only with its id.
    pub async fn unlock(&self, id: &str) -> Result<LockInfo, LockError> {
        match self {
            Self::Local(dir) => lock::unlock(dir, id),
            Self::Postgres(db) => db.unlock(id).await,
        }
    }

    /// Takes the apply lock for `command`, waiting up to `timeout`, and opens the journal.
    pub async fn lock(self, command: &str, timeout: Duration) -> Result<Held, Error> {
        match self {
            Self::Local(dir) => {
                let root = dir.parent().map(PathBuf::from).unwrap_or_default();
                let dir = super::dir(&root).map_err(|source| Error::Io {
                    context: "cannot create the workspace's .reckon folder".into(),
                    source,
                })?;
                let lock = lock::Lock::acquire(&dir, command, timeout)
                    .await
                    .map_err(lock_refusal)?;
                let writer = journal::Writer::open(&dir).map_err(journal_error)?;
                Ok(Held::Local { lock, writer })
            }
            Self::Postgres(db) => Ok(Held::Postgres(
                (*db).lock(command, timeout).await.map_err(lock_refusal)?,
            )),
        }
    }
}

/// A held apply lock and the journal written under it.
// One per apply, made once and never moved in a loop: the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Held {
    /// `.reckon/lock` and `.reckon/journal.jsonl`.
    Local {
        /// The lock file.
        lock: lock::Lock,
        /// The journal file.
        writer: journal::Writer,
    },
    /// The advisory lock and the journal table, on one connection.
    Postgres(postgres::Session),
}

impl Held {
    /// The lock's details (its id names the run in the journal).
    pub fn info(&self) -> &LockInfo {
        match self {
            Self::Local { lock, .. } => lock.info(),
            Self::Postgres(session) => session.info(),
        }
    }

    /// Where journal records go.
    pub fn sink(&self) -> HeldSink<'_> {
        match self {
            Self::Local { writer, .. } => HeldSink::Local(writer),
            Self::Postgres(session) => HeldSink::Postgres(session.writer()),
        }
    }

    /// Records one entry and waits until it is durable.
    pub async fn record(&self, record: &Record) -> Result<(), Error> {
        let sink = self.sink();
        let position = sink.push(record).map_err(journal_error)?;
        sink.durable(position).await.map_err(journal_error)
    }

    /// Lets go of the lock (dropping does too; this also tidies the PostgreSQL holder row).
    pub async fn release(self) {
        match self {
            Self::Local { lock, .. } => drop(lock),
            Self::Postgres(session) => session.release().await,
        }
    }
}

/// The journal sink of a [`Held`] lock.
#[derive(Debug, Clone, Copy)]
pub enum HeldSink<'a> {
    /// The local file.
    Local(&'a journal::Writer),
    /// The journal table.
    Postgres(&'a postgres::Writer),
}

impl Sink for HeldSink<'_> {
    fn push(&self, record: &Record) -> io::Result<Position> {
        match self {
            Self::Local(w) => Sink::push(*w, record),
            Self::Postgres(w) => w.push(record),
        }
    }
    async fn durable(&self, through: Position) -> io::Result<()> {
        match self {
            Self::Local(w) => Sink::durable(*w, through).await,
            Self::Postgres(w) => w.durable(through).await,
        }
    }
    fn pushed(&self) -> Position {
        match self {
            Self::Local(w) => Sink::pushed(*w),
            Self::Postgres(w) => w.pushed(),
        }
    }
    fn durable_through(&self) -> Position {
        match self {
            Self::Local(w) => Sink::durable_through(*w),
            Self::Postgres(w) => w.durable_through(),
        }
    }
}

/// What names one PSA tenant for the shared lock and journal: its kind and the address that
/// tells tenants apart (never a credential). Over-sharing is safe (two tenants behind one name
/// only wait for each other); an Autotask workspace whose zone is discovered shares one name.
pub fn tenant(psa: &PsaConfig) -> String {
    match psa {
        PsaConfig::Sandbox { path, .. } => format!("sandbox {}", path.display()),
        PsaConfig::Autotask { base_url, .. } => {
            format!(
                "autotask {}",
                base_url.as_deref().unwrap_or("(zone discovered)")
            )
        }
        PsaConfig::ConnectWise {
            site, company_id, ..
        } => format!("connectwise {site} {company_id}"),
        PsaConfig::HaloPsa {
            resource_server,
            tenant,
            ..
        } => format!(
            "halopsa {resource_server} {}",
            tenant.as_deref().unwrap_or("")
        )
        .trim_end()
        .to_owned(),
    }
}

fn lock_refusal(error: LockError) -> Error {
    crate::ops::Refusal::from(error).into()
}

fn journal_error(source: io::Error) -> Error {
    Error::Io {
        context: "cannot write the apply journal; nothing was applied".into(),
        source,
    }
}

fn db_error(error: postgres::DbError) -> Error {
    state_error(error.0)
}

fn state_error(message: String) -> Error {
    Error::refused(
        format!("cannot use the shared state: {message}"),
        "check reckon.yaml's state block, the variable or file its url names, and that the \
         database server is reachable; nothing was applied",
    )
}
