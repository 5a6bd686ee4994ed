//! The apply lock: `.reckon/lock`, created exclusively (`O_EXCL`) by the one process allowed to
//! write to the PSA tenant, holding who took it, where, when and for which command.
//!
//! Owns taking, waiting for, releasing and breaking the lock; it never decides whether a lock is
//! abandoned (a lock from a dead process is reported, not broken: only `reckon unlock <id>`
//! removes someone else's lock, and only with its id).

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Actor;
use crate::fsio::limit;

/// The lock file's name inside `.reckon/`.
pub const LOCK_FILE: &str = "lock";

/// What the lock file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// The nonce `reckon unlock` must be given.
    pub id: String,
    /// OS user.
    pub user: String,
    /// Host name.
    pub host: String,
    /// Process id.
    pub pid: u32,
    /// When it was taken (RFC 3339, UTC).
    pub time: String,
    /// The command holding it, e.g. `apply plan.json`.
    pub command: String,
    /// The CI run holding it, when CI variables said so (absent in older lock files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<super::CiRun>,
}

impl LockInfo {
    /// Whether the holder is known to be gone: same host, and no such process (Linux `/proc`).
    /// `false` when it cannot be told.
    pub fn holder_is_gone(&self) -> bool {
        let proc = std::path::Path::new("/proc");
        self.host == super::Actor::current().host
            && proc.join("self").exists()
            && !proc.join(self.pid.to_string()).exists()
    }
}

impl std::fmt::Display for LockInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "lock {} held by {}@{} (pid {}) since {} for `reckon {}`",
            self.id, self.user, self.host, self.pid, self.time, self.command
        )?;
        if let Some(run) = &self.ci {
            write!(f, ", in the CI run of {run}")?;
        }
        if self.holder_is_gone() {
            write!(f, "; that process is no longer running")?;
        }
        Ok(())
    }
}

/// Why the lock could not be taken or released.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Someone else holds it.
    #[error("the workspace is locked: {0}")]
    Held(Box<LockInfo>),
    /// A lock file exists but cannot be read as one.
    #[error("{} exists but is not a reckon lock", .0.display())]
    Unreadable(PathBuf),
    /// `unlock` with an id that is not the lock's.
    #[error("the lock's id is {actual}, not {given}; nothing was unlocked")]
    WrongId {
        /// The id given.
        given: String,
        /// The lock's id.
        actual: String,
    },
    /// `unlock` when nothing is locked.
    #[error("the workspace is not locked")]
    NotLocked,
    /// The lock was released while reckon was trying to take it; trying again will do.
    #[error("the lock was released while reckon was taking it; run the command again")]
    Released,
    /// The file system failed.
    #[error("cannot use the lock file {}: {source}", .path.display())]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A held lock; dropping it removes the file (if it is still ours).
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
    info: LockInfo,
}

impl Lock {
    /// Takes the lock in `state_dir`, retrying every 100 ms for up to `timeout` (zero: once).
    pub async fn acquire(
        state_dir: &Path,
        command: &str,
        timeout: Duration,
    ) -> Result<Self, LockError> {
        let now = tokio::time::Instant::now();
        // `parse_timeout` caps the timeout; a caller passing more waits "forever" (a year).
        let deadline = now
            .checked_add(timeout)
            .or_else(|| now.checked_add(Duration::from_secs(365 * 86_400)))
            .unwrap_or(now);
        loop {
            match Self::try_acquire(state_dir, command) {
                Err(LockError::Released) => {}
                Err(LockError::Held(_)) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                other => return other,
            }
        }
    }

    /// One attempt: create the file exclusively, or report its holder.
    ///
    /// The content is written to a private temp file first and then hard-linked into place:
    /// the link fails if the lock exists, and a reader never sees a half-written lock.
    pub fn try_acquire(state_dir: &Path, command: &str) -> Result<Self, LockError> {
        let path = state_dir.join(LOCK_FILE);
        let info = new_info(command);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let tmp = state_dir.join(format!("{LOCK_FILE}.{}.tmp", info.id));
        let text = serde_json::to_string_pretty(&info).map_err(|e| io(e.into()))?;
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .and_then(|mut file| {
                file.write_all(text.as_bytes())?;
                file.sync_all()
            })
            .map_err(io)?;
        let linked = std::fs::hard_link(&tmp, &path);
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => Ok(Self { path, info }),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(match read(state_dir)? {
                    Some(holder) => LockError::Held(Box::new(holder)),
                    // Released between our attempt and the read: the caller may retry.
                    None => LockError::Released,
                })
            }
            Err(e) => Err(io(e)),
        }
    }

    /// The lock's details.
    pub fn info(&self) -> &LockInfo {
        &self.info
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Only remove the file if it still holds our id (never someone else's lock).
        let within = super::within_workspace(self.path.parent().unwrap_or(Path::new(".")));
        let ours = crate::fsio::read::text(&self.path, within, limit::LOCK)
            .ok()
            .and_then(|t| serde_json::from_str::<LockInfo>(&t).ok())
            .is_some_and(|held| held.id == self.info.id);
        if ours {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The current lock in `state_dir`, if any.
pub fn read(state_dir: &Path) -> Result<Option<LockInfo>, LockError> {
    let path = state_dir.join(LOCK_FILE);
    let within = super::within_workspace(state_dir);
    match crate::fsio::read::text_if_exists(&path, within, limit::LOCK) {
        Ok(Some(text)) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|_| LockError::Unreadable(path)),
        Ok(None) => Ok(None),
        Err(error) => Err(LockError::Io {
            path,
            source: std::io::Error::other(error),
        }),
    }
}

/// Removes the lock, only if its id is `id`.
pub fn unlock(state_dir: &Path, id: &str) -> Result<LockInfo, LockError> {
    let path = state_dir.join(LOCK_FILE);
    let held = read(state_dir)?.ok_or(LockError::NotLocked)?;
    if held.id != id {
        return Err(LockError::WrongId {
            given: id.to_owned(),
            actual: held.id,
        });
    }
    std::fs::remove_file(&path).map_err(|source| LockError::Io { path, source })?;
    Ok(held)
}

/// The longest `--lock-timeout`: a day (an apply holds the lock for minutes).
pub const MAX_TIMEOUT: Duration = Duration::from_secs(86_400);

/// Parses `30s`, `2m`, `1h`, `500ms` or a bare number of seconds, at most [`MAX_TIMEOUT`].
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 30s, 2m or 0"))?;
    let timeout = match unit {
        "" | "s" => Some(Duration::from_secs(n)),
        "ms" => Some(Duration::from_millis(n)),
        "m" => n.checked_mul(60).map(Duration::from_secs),
        "h" => n.checked_mul(3600).map(Duration::from_secs),
        _ => {
            return Err(format!(
                "unknown unit `{unit}` in `{text}`: use ms, s, m or h"
            ));
        }
    };
    match timeout {
        Some(timeout) if timeout <= MAX_TIMEOUT => Ok(timeout),
        _ => Err(format!("`{text}`: the lock timeout must be at most 24h")),
    }
}

fn new_info(command: &str) -> LockInfo {
    let actor = Actor::current();
    let now = chrono::Utc::now();
    LockInfo {
        id: lock_id(actor.pid, now),
        user: actor.user,
        host: actor.host,
        pid: actor.pid,
        time: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        command: command.to_owned(),
        ci: actor.ci,
    }
}

/// A short nonce from the pid and the clock: unique enough to name one lock among the few a
/// workspace ever sees, and hard to guess by accident.
fn lock_id(pid: u32, now: chrono::DateTime<chrono::Utc>) -> String {
    let nanos = now.timestamp_nanos_opt().unwrap_or_default() as u64;
    let mixed = crate::fingerprint::fnv1a64(format!("{pid}:{nanos}").as_bytes());
    format!("{:012x}", mixed & 0xffff_ffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_acquire_reports_the_holder_and_unlock_needs_the_id() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = Lock::try_acquire(dir.path(), "apply").expect("first lock");
        let Err(LockError::Held(holder)) = Lock::try_acquire(dir.path(), "apply") else {
            panic!("second acquire must fail");
        };
        assert_eq!(holder.id, first.info().id);
        assert!(matches!(
            unlock(dir.path(), "wrong"),
            Err(LockError::WrongId { .. })
        ));
        let id = first.info().id.clone();
        std::mem::forget(first); // simulate a crashed holder
        unlock(dir.path(), &id).expect("unlock with the id");
        assert!(read(dir.path()).expect("read").is_none());
    }

    #[test]
    fn dropping_the_lock_releases_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        drop(Lock::try_acquire(dir.path(), "apply").expect("lock"));
        Lock::try_acquire(dir.path(), "apply").expect("free again");
    }

    #[test]
    fn timeouts_parse() {
        assert_eq!(parse_timeout("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_timeout("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_timeout("0"), Ok(Duration::ZERO));
        assert_eq!(parse_timeout("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_timeout("soon").is_err());
        assert!(parse_timeout("3d").is_err());
        assert_eq!(parse_timeout("24h"), Ok(MAX_TIMEOUT));
        for too_long in ["25h", "5124095576030431h", "86400001ms"] {
            assert!(parse_timeout(too_long).is_err(), "{too_long}");
        }
    }
}
