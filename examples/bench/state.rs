//! The soak's state backend (`--state local|postgres`) and its witness: what the journal and
//! the lock say, read straight from `.reckon/` or from the PostgreSQL tables, so the soak
//! judges both backends by the same records.
//!
//! `postgres` starts a throwaway server (the integration tests' harness,
//! `tests/it/pg_server.rs`) and points the workspace's `state:` block at it through a
//! credential file (the URL holds the password).

use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use reckon::state::journal::{self, Record};
use reckon::state::{STATE_DIR, lock};

use crate::pg_server::PgServer;
use crate::run::Failure;

/// Where the soak's workspace keeps its state.
pub enum State {
    /// `.reckon/` of the workspace.
    Local(PathBuf),
    /// A throwaway PostgreSQL server.
    Postgres(PgServer),
}

impl State {
    /// The backend `postgres` names (`true`: PostgreSQL) for the workspace in `dir`, its
    /// reckon.yaml told so.
    pub fn set_up(dir: &Path, postgres: bool) -> Result<Self, Failure> {
        if !postgres {
            std::fs::create_dir_all(dir.join(STATE_DIR))?;
            return Ok(Self::Local(dir.join(STATE_DIR)));
        }
        let server = PgServer::start();
        // The schema first, so that the journal table can be read before the first apply.
        let url = reckon::secret::Secret::new(server.url());
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(async {
                let target = reckon::state::postgres::Target::new(Some(&url))?;
                reckon::state::postgres::Postgres::open(target, "reckon", "soak".into())
                    .await
                    .map(drop)
            })
            .map_err(|e| e.0)?;
        std::fs::write(dir.join("state-url"), server.url())?;
        let yaml = dir.join("reckon.yaml");
        let text = std::fs::read_to_string(&yaml)?;
        std::fs::write(
            &yaml,
            format!("{text}\nstate:\n  backend: postgres\n  url: {{ file: state-url }}\n"),
        )?;
        Ok(Self::Postgres(server))
    }

    /// Whether the lock lives in the database (it goes with its holder's connection).
    pub fn shared(&self) -> bool {
        matches!(self, Self::Postgres(_))
    }

    /// The journal's end now: a later [`State::appended`] returns what came after.
    pub fn mark(&self) -> u64 {
        match self {
            Self::Local(dir) => std::fs::metadata(journal::path(dir)).map_or(0, |m| m.len()),
            Self::Postgres(pg) => pg
                .query("SELECT coalesce(max(id), 0) FROM reckon.journal")
                .first()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0),
        }
    }

    /// The records written after `from` (a torn last line of the file is skipped).
    pub fn appended(&self, from: u64) -> std::io::Result<Vec<Record>> {
        match self {
            Self::Local(dir) => {
                let mut file = match std::fs::File::open(journal::path(dir)) {
                    Ok(file) => file,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                    Err(e) => return Err(e),
                };
                file.seek(std::io::SeekFrom::Start(from))?;
                let mut text = String::new();
                file.read_to_string(&mut text)?;
                Ok(text
                    .lines()
                    .filter_map(|l| serde_json::from_str(l).ok())
                    .collect())
            }
            Self::Postgres(pg) => Ok(pg
                .query(&format!(
                    "SELECT record::text FROM reckon.journal WHERE id > {from} ORDER BY id"
                ))
                .iter()
                .filter_map(|r| serde_json::from_str(r).ok())
                .collect()),
        }
    }

    /// Every record.
    pub fn all(&self) -> std::io::Result<Vec<Record>> {
        match self {
            Self::Local(dir) => journal::read(dir),
            Self::Postgres(_) => self.appended(0),
        }
    }

    /// Whether an apply left its holder record behind: the local lock file, or a row of the
    /// `lock_holders` table (an apply removes its own as it ends; a killed one cannot).
    pub fn holder_left(&self) -> Result<bool, Failure> {
        Ok(match self {
            Self::Local(dir) => lock::read(dir)?.is_some(),
            Self::Postgres(pg) => pg.query("SELECT count(*) FROM reckon.lock_holders")[0] != "0",
        })
    }

    /// Whether nobody holds the apply lock (for PostgreSQL: within a few seconds, as a
    /// closed connection's backend exits a moment after its client).
    pub fn lock_free(&self) -> Result<bool, Failure> {
        Ok(match self {
            Self::Local(dir) => lock::read(dir)?.is_none(),
            Self::Postgres(pg) => {
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
                loop {
                    let held =
                        pg.query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'");
                    if held[0] == "0" {
                        break true;
                    }
                    if std::time::Instant::now() > deadline {
                        break false;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
            }
        })
    }
}
