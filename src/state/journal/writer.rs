//! Appending records to the journal file and making them durable.
//!
//! Owns the file handle and what is known to be on disk; knows nothing of what a record means.
//! Appending and syncing are separate so that one fsync can cover several records (group
//! commit): [`Writer::push`] appends, [`Writer::durable`] waits until everything up to a
//! position is on disk.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::Record;

/// Appends records to the journal as JSON lines.
///
/// Concurrent callers of [`Writer::durable`] share syncs: one fsync runs at a time, on a
/// blocking thread so the async tasks (PSA requests in flight) keep running, and whoever waits
/// behind it is covered by the next one, which syncs everything pushed meanwhile.
///
/// A failed append or sync breaks the writer: every later call fails with that error. After a
/// torn append the next record would be glued to the fragment and unreadable; after a failed
/// fsync the kernel may have dropped the dirty pages, and a second fsync can report success
/// for data that never reached the disk. Neither may ever acknowledge an intent.
#[derive(Debug)]
pub struct Writer {
    file: Arc<File>,
    path: PathBuf,
    progress: Mutex<Progress>,
    /// Held while a sync runs: syncs never overlap, so waiters queue and share the next one.
    sync_turn: tokio::sync::Mutex<()>,
}

/// A record's place in the file: the count of records pushed up to and including it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position(pub(in crate::state) u64);

/// What has been appended and what is known to be on disk.
#[derive(Debug, Default)]
struct Progress {
    pushed: u64,
    durable: u64,
    syncs: u64,
    broken: Option<String>,
}

impl Progress {
    fn usable(&self) -> io::Result<()> {
        match &self.broken {
            Some(why) => Err(io::Error::other(why.clone())),
            None => Ok(()),
        }
    }
}

impl Writer {
    /// Opens (creating) the journal in `state_dir` for appending; a link or a file with other
    /// names in its place is refused ([`crate::fsio::write::open_append`]).
    pub fn open(state_dir: &Path) -> io::Result<Self> {
        let path = super::path(state_dir);
        let file = crate::fsio::write::open_append(&path)?;
        Ok(Self {
            file: Arc::new(file),
            path,
            progress: Mutex::default(),
            sync_turn: tokio::sync::Mutex::new(()),
        })
    }

    /// Appends one record and waits until it is on disk, blocking the thread (for records
    /// written outside a concurrent apply).
    pub fn append(&mut self, record: &Record) -> io::Result<()> {
        let target = self.push(record)?;
        let synced = self.file.sync_data();
        self.settle(target, synced)
    }

    /// Appends one record as one line without waiting for the disk; the record is durable once
    /// [`Writer::durable`] returns for its position. The kernel holds it from here on, so a
    /// crash of this process alone does not lose it; a power loss before the sync may.
    pub fn push(&self, record: &Record) -> io::Result<Position> {
        let mut line = serde_json::to_string(record).map_err(io::Error::other)?;
        line.push('\n');
        let mut progress = self.progress();
        progress.usable()?;
        if let Err(error) = (&*self.file).write_all(line.as_bytes()) {
            progress.broken = Some(format!("an earlier journal append failed: {error}"));
            return Err(error);
        }
        progress.pushed += 1;
        Ok(Position(progress.pushed))
    }

    /// The position of the last record pushed.
    pub fn pushed(&self) -> Position {
        Position(self.progress().pushed)
    }

    /// Returns once every record up to `through` is on disk, sharing syncs with concurrent
    /// callers.
    pub async fn durable(&self, through: Position) -> io::Result<()> {
        // Writes admitted together push their intents in one round of polling; let them all
        // push before the first sync starts, so that it covers them all.
        tokio::task::yield_now().await;
        let _turn = self.sync_turn.lock().await;
        let target = {
            let progress = self.progress();
            progress.usable()?;
            if progress.durable >= through.0 {
                return Ok(()); // the sync this caller waited behind covered it
            }
            Position(progress.pushed)
        };
        let file = Arc::clone(&self.file);
        let synced = tokio::task::spawn_blocking(move || file.sync_data())
            .await
            .unwrap_or_else(|joined| Err(io::Error::other(joined)));
        self.settle(target, synced)
    }

    /// The position through which every record is on disk.
    pub fn durable_through(&self) -> Position {
        Position(self.progress().durable)
    }

    /// Syncs made so far (each covers every record pushed before it started).
    pub fn syncs(&self) -> u64 {
        self.progress().syncs
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records a sync's result: everything through `target` is durable, or the writer breaks.
    fn settle(&self, target: Position, synced: io::Result<()>) -> io::Result<()> {
        let mut progress = self.progress();
        progress.syncs += 1;
        match synced {
            Ok(()) => {
                progress.durable = progress.durable.max(target.0);
                Ok(())
            }
            Err(error) => {
                progress.broken = Some(format!("an earlier journal sync failed: {error}"));
                Err(error)
            }
        }
    }

    fn progress(&self) -> MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Resolved;
    use super::*;

    fn record(seq: u32) -> Record {
        Record::Resolved(Resolved {
            apply: "a".into(),
            seq,
            time: String::new(),
            found: None,
        })
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_sync() {
        let dir = tempfile::tempdir().expect("tempdir");
        let writer = Writer::open(dir.path()).expect("open");
        let positions: Vec<Position> = (1..=3)
            .map(|seq| writer.push(&record(seq)).expect("push"))
            .collect();
        let (a, b, c) = tokio::join!(
            writer.durable(positions[0]),
            writer.durable(positions[1]),
            writer.durable(positions[2])
        );
        assert!(a.is_ok() && b.is_ok() && c.is_ok());
        assert_eq!(writer.syncs(), 1);
        assert_eq!(super::super::read(dir.path()).expect("read").len(), 3);
    }

    #[tokio::test]
    async fn a_failed_sync_refuses_every_later_record() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut writer = Writer::open(dir.path()).expect("open");
        let pushed = writer.push(&record(1)).expect("push");
        let failed = writer.settle(pushed, Err(io::Error::other("EIO")));
        assert!(failed.is_err());
        let later = [
            writer.push(&record(2)).err(),
            writer.durable(pushed).await.err(),
            writer.append(&record(3)).err(),
        ];
        for error in later {
            let error = error.map(|e| e.to_string());
            assert_eq!(
                error.as_deref(),
                Some("an earlier journal sync failed: EIO")
            );
        }
    }
}
