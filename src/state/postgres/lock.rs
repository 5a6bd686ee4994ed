//! The apply lock in PostgreSQL: a session-level advisory lock per PSA tenant, held by the
//! apply's own connection, plus a `lock_holders` row saying who holds it.
//!
//! The advisory lock is the guarantee: the server releases it the moment the holder's
//! connection ends — a runner killed with SIGKILL, a lost network — so no lock outlives its
//! holder. The row is only the description; a row whose connection is gone ("stale") is
//! overwritten by the next apply that gets the lock, and `reckon unlock ID` removes it. A row
//! whose connection still holds the lock is never removed.

use tokio_postgres::Client;

use super::connect::Target;
use crate::state::CiRun;
use crate::state::lock::{LockError, LockInfo};

/// The advisory-lock keys of one tenant in one schema (two `int4`s, as `pg_locks` shows them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keys(i32, i32);

impl Keys {
    /// The keys for `tenant`'s lock among the state in `schema`.
    pub fn new(schema: &str, tenant: &str) -> Self {
        let key = |text: &str| (crate::fingerprint::fnv1a64(text.as_bytes()) & 0x7fff_ffff) as i32;
        Self(key(schema), key(tenant))
    }
}

/// A holder row and whether its connection still holds the lock.
#[derive(Debug, Clone)]
pub struct Holder {
    /// Who, as the row says.
    pub info: LockInfo,
    /// Whether that row's connection holds the advisory lock now.
    pub live: bool,
}

/// Tries the advisory lock once; when taken, writes this run's holder row (replacing a stale
/// one: holding the lock proves its writer is gone).
pub async fn try_take(
    client: &Client,
    target: &Target,
    schema: &str,
    tenant: &str,
    info: &LockInfo,
) -> Result<bool, LockError> {
    let error = |e| backend(target.error("cannot take the apply lock", &e));
    let Keys(a, b) = Keys::new(schema, tenant);
    let row = client
        .query_one("SELECT pg_try_advisory_lock($1, $2)", &[&a, &b])
        .await
        .map_err(error)?;
    let taken: bool = row.try_get(0).map_err(error)?;
    if !taken {
        return Ok(false);
    }
    let ci = info.ci.as_ref();
    let pid = i32::try_from(info.pid).unwrap_or(i32::MAX);
    client
        .execute(
            &format!(
                "INSERT INTO {schema}.lock_holders (tenant, id, os_user, host, pid, taken_at, \
                 command, ci_system, ci_actor, ci_url, backend_pid) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, pg_backend_pid()) \
                 ON CONFLICT (tenant) DO UPDATE SET id = EXCLUDED.id, os_user = EXCLUDED.os_user, \
                 host = EXCLUDED.host, pid = EXCLUDED.pid, taken_at = EXCLUDED.taken_at, \
                 command = EXCLUDED.command, ci_system = EXCLUDED.ci_system, \
                 ci_actor = EXCLUDED.ci_actor, ci_url = EXCLUDED.ci_url, \
                 backend_pid = EXCLUDED.backend_pid"
            ),
            &[
                &tenant,
                &info.id,
                &info.user,
                &info.host,
                &pid,
                &info.time,
                &info.command,
                &ci.map(|c| c.system.as_str()),
                &ci.and_then(|c| c.actor.as_deref()),
                &ci.and_then(|c| c.url.as_deref()),
            ],
        )
        .await
        .map_err(error)?;
    Ok(true)
}

/// The holder row of `tenant`, if any, and whether it is live.
pub async fn holder(
    client: &Client,
    target: &Target,
    schema: &str,
    tenant: &str,
) -> Result<Option<Holder>, LockError> {
    let error = |e| backend(target.error("cannot read the apply lock", &e));
    let Keys(a, b) = Keys::new(schema, tenant);
    let row = client
        .query_opt(
            &format!(
                "SELECT h.id, h.os_user, h.host, h.pid, h.taken_at, h.command, h.ci_system, \
                 h.ci_actor, h.ci_url, EXISTS (SELECT 1 FROM pg_locks l \
                   WHERE l.locktype = 'advisory' AND l.granted AND l.pid = h.backend_pid \
                   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
                   AND l.classid::bigint = $2 AND l.objid::bigint = $3 AND l.objsubid = 2) \
                 FROM {schema}.lock_holders h WHERE h.tenant = $1"
            ),
            &[&tenant, &i64::from(a), &i64::from(b)],
        )
        .await
        .map_err(error)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let get = |i: usize| row.try_get::<_, String>(i).map_err(error);
    let opt = |i: usize| row.try_get::<_, Option<String>>(i).map_err(error);
    let ci = match opt(6)? {
        Some(system) => Some(CiRun {
            system,
            actor: opt(7)?,
            url: opt(8)?,
        }),
        None => None,
    };
    let pid: i32 = row.try_get(3).map_err(error)?;
    Ok(Some(Holder {
        info: LockInfo {
            id: get(0)?,
            user: get(1)?,
            host: get(2)?,
            pid: u32::try_from(pid).unwrap_or_default(),
            time: get(4)?,
            command: get(5)?,
            ci,
        },
        live: row.try_get(9).map_err(error)?,
    }))
}

/// Removes this run's row and lets go of the advisory lock (closing the connection would too).
pub async fn release(client: &Client, schema: &str, tenant: &str, id: &str) {
    let Keys(a, b) = Keys::new(schema, tenant);
    let _ = client
        .execute(
            &format!("DELETE FROM {schema}.lock_holders WHERE tenant = $1 AND id = $2"),
            &[&tenant, &id],
        )
        .await;
    let _ = client
        .execute("SELECT pg_advisory_unlock($1, $2)", &[&a, &b])
        .await;
}

/// Removes `tenant`'s holder row when its id is `id` and its connection is gone.
pub async fn unlock(
    client: &Client,
    target: &Target,
    schema: &str,
    tenant: &str,
    id: &str,
) -> Result<LockInfo, LockError> {
    let held = holder(client, target, schema, tenant)
        .await?
        .ok_or(LockError::NotLocked)?;
    if held.info.id != id {
        return Err(LockError::WrongId {
            given: id.to_owned(),
            actual: held.info.id,
        });
    }
    if held.live {
        return Err(LockError::Live(Box::new(held.info)));
    }
    client
        .execute(
            &format!("DELETE FROM {schema}.lock_holders WHERE tenant = $1 AND id = $2"),
            &[&tenant, &id],
        )
        .await
        .map_err(|e| backend(target.error("cannot remove the lock holder row", &e)))?;
    Ok(held.info)
}

fn backend(error: super::connect::DbError) -> LockError {
    LockError::Backend(error.0)
}
