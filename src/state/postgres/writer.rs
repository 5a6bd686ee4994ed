//! The journal table's writer: records committed in groups, on the apply's own connection.
//!
//! The same rules as the local file's [`crate::state::journal::Writer`]: [`Writer::durable`]
//! returns only once a record is committed (PostgreSQL's `synchronous_commit`, on by default,
//! has flushed it to the server's WAL); callers waiting at once share one commit (one
//! multi-row `INSERT`), and whoever waits behind a running commit is covered by the next one.
//! Outcomes and resolutions need no waiter: pushing one starts a commit in the background, so
//! a runner killed after its write loses at most the outcomes of that moment (they show as
//! "outcome unknown" and are re-read, as with the local journal). A failed commit breaks the
//! writer: no later intent is acknowledged, so no further PSA write starts — and because the
//! connection also holds the apply lock, an acknowledged intent proves the lock was still ours.

use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio_postgres::Client;

use super::connect::Target;
use crate::state::journal::{Position, Record, Sink};

/// Appends journal records to the `journal` table.
#[derive(Clone)]
pub struct Writer(Arc<Inner>);

struct Inner {
    client: Arc<Client>,
    target: Target,
    tenant: String,
    insert: String,
    progress: Mutex<Progress>,
    /// Held while a commit runs: commits never overlap, so waiters share the next one.
    turn: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "postgres::Writer({})", self.0.target.label)
    }
}

#[derive(Debug, Default)]
struct Progress {
    pending: Vec<serde_json::Value>,
    pushed: u64,
    durable: u64,
    commits: u64,
    broken: Option<String>,
}

impl Writer {
    /// A writer for `tenant`'s records in `schema`, on `client` (the connection holding the
    /// apply lock).
    pub fn new(client: Arc<Client>, target: Target, schema: &str, tenant: &str) -> Self {
        let insert = format!(
            "INSERT INTO {schema}.journal (tenant, apply, seq, kind, record) \
             SELECT $1, r->>'apply', (r->>'seq')::integer, r->>'record', r \
             FROM jsonb_array_elements($2::text::jsonb) WITH ORDINALITY AS t(r, n) ORDER BY n"
        );
        Self(Arc::new(Inner {
            client,
            target,
            tenant: tenant.to_owned(),
            insert,
            progress: Mutex::default(),
            turn: tokio::sync::Mutex::new(()),
        }))
    }

    /// Commits made so far (each covers every record pushed before it started).
    pub fn commits(&self) -> u64 {
        self.progress().commits
    }

    async fn commit(&self, through: Position) -> io::Result<()> {
        // Writes admitted together push their intents in one round of polling; let them all
        // push before the first commit starts, so that it covers them all.
        tokio::task::yield_now().await;
        let _turn = self.0.turn.lock().await;
        let (batch, target) = {
            let mut progress = self.progress();
            usable(&progress)?;
            if progress.durable >= through.0 {
                return Ok(()); // the commit this caller waited behind covered it
            }
            (std::mem::take(&mut progress.pending), progress.pushed)
        };
        let rows = serde_json::Value::Array(batch).to_string();
        let result = self
            .0
            .client
            .execute(&self.0.insert, &[&self.0.tenant, &rows])
            .await;
        let mut progress = self.progress();
        progress.commits += 1;
        match result {
            Ok(_) => {
                progress.durable = progress.durable.max(target);
                Ok(())
            }
            Err(error) => {
                let error = self
                    .0
                    .target
                    .error("cannot write the apply journal", &error);
                progress.broken = Some(format!("an earlier journal commit failed: {error}"));
                Err(error.into_io())
            }
        }
    }

    fn progress(&self) -> MutexGuard<'_, Progress> {
        self.0
            .progress
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

fn usable(progress: &Progress) -> io::Result<()> {
    match &progress.broken {
        Some(why) => Err(io::Error::other(why.clone())),
        None => Ok(()),
    }
}

impl Sink for Writer {
    fn push(&self, record: &Record) -> io::Result<Position> {
        let value = serde_json::to_value(record).map_err(io::Error::other)?;
        let position = {
            let mut progress = self.progress();
            usable(&progress)?;
            progress.pending.push(value);
            progress.pushed += 1;
            Position(progress.pushed)
        };
        if !matches!(record, Record::Intent(_)) {
            // Nobody waits for an outcome; commit it soon anyway (sharing the next commit).
            let writer = self.clone();
            tokio::spawn(async move {
                let _ = writer.commit(position).await;
            });
        }
        Ok(position)
    }

    async fn durable(&self, through: Position) -> io::Result<()> {
        self.commit(through).await
    }

    fn pushed(&self) -> Position {
        Position(self.progress().pushed)
    }

    fn durable_through(&self) -> Position {
        Position(self.progress().durable)
    }
}
