//! State in PostgreSQL (`state: {backend: postgres}`), shared by every runner of a workspace:
//! the apply lock (an advisory lock per PSA tenant, held by the apply's own connection, and a
//! holder row), the journal (a table, committed in groups) and the history `status` reads.
//!
//! Owns the tables ([`migrate`]), the connection settings ([`connect`]) and the SQL; the journal
//! rules are the local journal's ([`crate::state::journal::ApplyJournal`] drives both). Every
//! message is free of the URL and its password.

pub mod connect;
pub mod lock;
pub mod migrate;
pub mod writer;

use std::sync::Arc;
use std::time::Duration;

use tokio_postgres::Client;

pub use connect::{DbError, Target};
pub use writer::Writer;

use crate::state::journal::Record;
use crate::state::lock::{LockError, LockInfo};

/// An open connection to the state database, its schema migrated.
pub struct Postgres {
    client: Client,
    target: Target,
    schema: String,
    tenant: String,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Postgres({} schema {})", self.target.label, self.schema)
    }
}

impl Postgres {
    /// Connects to `target`, creates and migrates `schema`, for the state of `tenant`.
    pub async fn open(target: Target, schema: &str, tenant: String) -> Result<Self, DbError> {
        let mut client = target.connect().await?;
        migrate::migrate(&mut client, &target, schema).await?;
        Ok(Self {
            client,
            target,
            schema: schema.to_owned(),
            tenant,
        })
    }

    /// `host:port/db schema S`, for people.
    pub fn describe(&self) -> String {
        format!("PostgreSQL {} (schema {})", self.target.label, self.schema)
    }

    /// Drops the whole schema, every tenant's state in it (for benchmarks and tests only).
    pub async fn drop_schema(&self) -> Result<(), DbError> {
        self.client
            .batch_execute(&format!("DROP SCHEMA {} CASCADE", self.schema))
            .await
            .map_err(|e| self.target.error("cannot drop the state schema", &e))
    }

    /// Every journal record of this tenant, oldest first.
    pub async fn history(&self) -> Result<Vec<Record>, DbError> {
        let rows = self
            .client
            .query(
                &format!(
                    "SELECT record::text FROM {}.journal WHERE tenant = $1 ORDER BY id",
                    self.schema
                ),
                &[&self.tenant],
            )
            .await
            .map_err(|e| self.target.error("cannot read the apply journal", &e))?;
        let mut records = Vec::with_capacity(rows.len());
        for row in rows {
            let text: String = row
                .try_get(0)
                .map_err(|e| self.target.error("cannot read the apply journal", &e))?;
            let record = serde_json::from_str(&text)
                .map_err(|e| DbError(format!("a journal row is not a reckon record: {e}")))?;
            records.push(record);
        }
        Ok(records)
    }

    /// The live lock holder, and a stale holder row (its connection gone) when that is all
    /// there is.
    pub async fn holder(&self) -> Result<Option<lock::Holder>, LockError> {
        lock::holder(&self.client, &self.target, &self.schema, &self.tenant).await
    }

    /// Removes a stale holder row, only with its id.
    pub async fn unlock(&self, id: &str) -> Result<LockInfo, LockError> {
        lock::unlock(&self.client, &self.target, &self.schema, &self.tenant, id).await
    }

    /// Takes the tenant's lock on this connection, retrying every 100 ms for up to `timeout`;
    /// the connection then belongs to the apply (its journal is written through it).
    pub async fn lock(self, command: &str, timeout: Duration) -> Result<Session, LockError> {
        let info = crate::state::lock::new_info(command);
        let deadline = crate::state::lock::deadline(timeout);
        loop {
            if lock::try_take(
                &self.client,
                &self.target,
                &self.schema,
                &self.tenant,
                &info,
            )
            .await?
            {
                return Ok(Session::new(self, info));
            }
            let holder = self.holder().await?;
            if tokio::time::Instant::now() >= deadline {
                return Err(match holder {
                    Some(holder) => LockError::Held(Box::new(holder.info)),
                    // Taken by someone who has not written its row yet (or is writing it).
                    None => LockError::Released,
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A held tenant lock and the journal writer on the same connection.
#[derive(Debug)]
pub struct Session {
    client: Arc<Client>,
    schema: String,
    tenant: String,
    info: LockInfo,
    writer: Writer,
    target: Target,
}

impl Session {
    fn new(open: Postgres, info: LockInfo) -> Self {
        let client = Arc::new(open.client);
        let writer = Writer::new(
            Arc::clone(&client),
            open.target.clone(),
            &open.schema,
            &open.tenant,
        );
        Self {
            client,
            schema: open.schema,
            tenant: open.tenant,
            info,
            writer,
            target: open.target,
        }
    }

    /// The lock's holder row as written.
    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    /// The journal writer (sharing the lock's connection).
    pub fn writer(&self) -> &Writer {
        &self.writer
    }

    /// The connection's target (for messages).
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Deletes the holder row and releases the advisory lock.
    pub async fn release(self) {
        lock::release(&self.client, &self.schema, &self.tenant, &self.info.id).await;
    }
}
