//! The files a watch cycle depends on, and the notify watcher that turns their changes into
//! [`Trigger`]s.
//!
//! Watched: `reckon.yaml`, every `integrations/*.yaml`, and each integration's usage file for the
//! period. Directories are watched (not files) because editors save by writing a temp file and
//! renaming it over the original, which a watch on the old file would miss; events are then
//! filtered down to the files above. The watcher debounces (notify-debouncer-full) and only ever
//! says "look again": the loop re-reads everything, so a dropped or merged event is harmless.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notify_debouncer_full::notify::event::{AccessKind, AccessMode, MetadataKind, ModifyKind};
use notify_debouncer_full::notify::{
    self, EventKind, PollWatcher, RecommendedWatcher, RecursiveMode,
};
use notify_debouncer_full::{
    DebounceEventResult, Debouncer, NoCache, RecommendedCache, new_debouncer, new_debouncer_opt,
};
use tokio::sync::mpsc;

use super::Trigger;
use crate::config::model::SourceInput;
use crate::config::{INTEGRATIONS_DIR, WORKSPACE_FILE, Workspace};
use crate::period::Period;

/// How long the debouncer waits for a burst of events (an editor's save) to settle.
pub const DEBOUNCE: Duration = Duration::from_millis(300);

/// How often `--poll` looks at the files.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// `reckon.yaml` and every `integrations/*.yaml` / `*.yml` in `root`, sorted.
pub fn config_files(root: &Path) -> Vec<PathBuf> {
    let mut files = vec![root.join(WORKSPACE_FILE)];
    if let Ok(entries) = std::fs::read_dir(root.join(INTEGRATIONS_DIR)) {
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| is_yaml(p))
            .collect();
        found.sort();
        files.extend(found);
    }
    files
}

/// Each integration's usage file for `period` (a source that runs a command has no file).
pub fn usage_files(workspace: &Workspace, period: Period) -> Vec<PathBuf> {
    workspace
        .integrations
        .iter()
        .filter_map(|i| match &i.source.input {
            SourceInput::File(template) => Some(workspace.root.join(template.expand(period))),
            SourceInput::Command(_) => None,
        })
        .collect()
}

fn is_yaml(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "yaml" || e == "yml")
}

/// The content hashes of a set of files at one moment, to tell later whether any of them
/// changed (hashes, the same FNV-1a as saved plans use, rather than copies of usage files that
/// can be tens of megabytes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stamp(BTreeMap<PathBuf, Option<u64>>);

impl Stamp {
    /// Reads `paths` now (a missing file is recorded as missing).
    pub fn take(paths: &[PathBuf]) -> Self {
        Self(paths.iter().map(|p| (p.clone(), content_hash(p))).collect())
    }

    /// This stamp and `other` together.
    #[must_use]
    pub fn with(mut self, other: Stamp) -> Self {
        self.0.extend(other.0);
        self
    }

    /// Whether every file still holds exactly what it held when stamped.
    pub fn unchanged(&self) -> bool {
        self.0
            .iter()
            .all(|(path, before)| content_hash(path) == *before)
    }
}

/// The file's content hash, `None` when it cannot be read.
fn content_hash(path: &Path) -> Option<u64> {
    // Bounded and regular only: a FIFO among the watched files must not block the watcher.
    let within = crate::fsio::Within::Anywhere;
    crate::fsio::read::bytes(path, within, crate::fsio::limit::USAGE)
        .ok()
        .map(|bytes| crate::fingerprint::fnv1a64(&bytes))
}

/// Why the watcher could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot watch {path}: {source}")]
pub struct WatchError {
    /// What could not be watched.
    pub path: String,
    /// notify's reason.
    pub source: notify::Error,
}

enum Backend {
    Native(Debouncer<RecommendedWatcher, RecommendedCache>),
    Poll(Debouncer<PollWatcher, NoCache>),
}

impl Backend {
    fn watch(&mut self, dir: &Path) -> notify::Result<()> {
        match self {
            Self::Native(d) => d.watch(dir, RecursiveMode::NonRecursive),
            Self::Poll(d) => d.watch(dir, RecursiveMode::NonRecursive),
        }
    }
}

/// What the event filter accepts (shared with the debouncer's thread).
struct Targets {
    /// The workspace, canonical.
    root: PathBuf,
    /// Usage files, canonical where they exist.
    usage: BTreeSet<PathBuf>,
}

impl Targets {
    fn relevant(&self, path: &Path) -> bool {
        path == self.root.join(WORKSPACE_FILE)
            || (path.parent() == Some(&self.root.join(INTEGRATIONS_DIR)) && is_yaml(path))
            || self.usage.contains(path)
    }
}

/// A running watcher; stops when dropped.
pub struct FileWatcher {
    backend: Backend,
    targets: Arc<Mutex<Targets>>,
    watched: BTreeSet<PathBuf>,
}

impl FileWatcher {
    /// Watches the workspace in `root` (and later its usage files, see [`Self::follow`]),
    /// sending a trigger to `triggers` for each settled burst of relevant changes. `poll` uses
    /// notify's polling watcher, for file systems without change events.
    pub fn start(
        root: &Path,
        poll: bool,
        triggers: mpsc::Sender<Trigger>,
    ) -> Result<Self, WatchError> {
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let targets = Arc::new(Mutex::new(Targets {
            root: root.clone(),
            usage: BTreeSet::new(),
        }));
        let filter = Arc::clone(&targets);
        let handler = move |result: DebounceEventResult| {
            // On a watcher error (an overflowed event queue, say) some change may have been
            // lost: look again. Re-reading everything is what every cycle does anyway.
            let Ok(events) = result else {
                let _ = triggers.try_send(Trigger::Files(Vec::new()));
                return;
            };
            let Ok(targets) = filter.lock() else { return };
            let mut changed: Vec<PathBuf> = Vec::new();
            for event in events.iter().filter(|e| is_change(&e.kind)) {
                for path in event.paths.iter().filter(|p| targets.relevant(p)) {
                    let shown = path
                        .strip_prefix(&targets.root)
                        .unwrap_or(path)
                        .to_path_buf();
                    if !changed.contains(&shown) {
                        changed.push(shown);
                    }
                }
            }
            // A full queue already holds a pending cycle, which will see this change too.
            if !changed.is_empty() {
                let _ = triggers.try_send(Trigger::Files(changed));
            }
        };
        let start_error = |source: notify::Error| WatchError {
            path: root.display().to_string(),
            source,
        };
        let backend = if poll {
            let config = notify::Config::default()
                .with_poll_interval(POLL_INTERVAL)
                .with_compare_contents(true);
            Backend::Poll(
                new_debouncer_opt(DEBOUNCE, None, handler, NoCache, config).map_err(start_error)?,
            )
        } else {
            Backend::Native(new_debouncer(DEBOUNCE, None, handler).map_err(start_error)?)
        };
        let mut watcher = Self {
            backend,
            targets,
            watched: BTreeSet::new(),
        };
        watcher.watch_dir(&root).map_err(|source| WatchError {
            path: root.display().to_string(),
            source,
        })?;
        // The integrations folder may not exist yet; the root watch sees it appear.
        let _ = watcher.watch_dir(&root.join(INTEGRATIONS_DIR));
        Ok(watcher)
    }

    /// Also watches `usage_files` (their folders), replacing the previous set. Folders that do
    /// not exist yet are skipped; the next cycle tries again.
    pub fn follow(&mut self, usage_files: &[PathBuf]) {
        let canonical: BTreeSet<PathBuf> = usage_files.iter().map(|p| canonical_file(p)).collect();
        for dir in canonical.iter().filter_map(|p| p.parent()) {
            let _ = self.watch_dir(dir);
        }
        if let Ok(mut targets) = self.targets.lock() {
            targets.usage = canonical;
        }
    }

    fn watch_dir(&mut self, dir: &Path) -> notify::Result<()> {
        if self.watched.contains(dir) {
            return Ok(());
        }
        self.backend.watch(dir)?;
        self.watched.insert(dir.to_path_buf());
        Ok(())
    }
}

/// `path` with its folder canonicalised (the file itself may not exist yet).
fn canonical_file(path: &Path) -> PathBuf {
    match (path.parent().map(std::fs::canonicalize), path.file_name()) {
        (Some(Ok(dir)), Some(name)) => dir.join(name),
        _ => path.to_path_buf(),
    }
}

/// Content changes only: reads (including reckon's own, every cycle) and metadata are not.
fn is_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) | EventKind::Any => true,
        // The polling watcher reports a newer modification time this way.
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::WriteTime)) => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) | EventKind::Other => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_workspace_yaml_and_followed_usage_files_are_relevant() {
        let targets = Targets {
            root: PathBuf::from("/ws"),
            usage: [PathBuf::from("/ws/usage/keeper-2026-10.csv")].into(),
        };
        assert!(targets.relevant(Path::new("/ws/reckon.yaml")));
        assert!(targets.relevant(Path::new("/ws/integrations/keeper.yaml")));
        assert!(targets.relevant(Path::new("/ws/integrations/new.yml")));
        assert!(targets.relevant(Path::new("/ws/usage/keeper-2026-10.csv")));
        assert!(!targets.relevant(Path::new("/ws/integrations/.keeper.yaml.swp")));
        assert!(!targets.relevant(Path::new("/ws/usage/keeper-2026-09.csv")));
        assert!(!targets.relevant(Path::new("/ws/sandbox/psa.yaml")));
        assert!(!targets.relevant(Path::new("/ws/other.yaml")));
    }

    #[test]
    fn reads_do_not_count_as_changes() {
        assert!(!is_change(&EventKind::Access(AccessKind::Open(
            notify::event::AccessMode::Any
        ))));
        assert!(!is_change(&EventKind::Access(AccessKind::Close(
            AccessMode::Read
        ))));
        assert!(is_change(&EventKind::Access(AccessKind::Close(
            AccessMode::Write
        ))));
        assert!(is_change(&EventKind::Modify(ModifyKind::Any)));
        assert!(is_change(&EventKind::Modify(ModifyKind::Metadata(
            MetadataKind::WriteTime
        ))));
        assert!(!is_change(&EventKind::Modify(ModifyKind::Metadata(
            MetadataKind::AccessTime
        ))));
    }

    #[test]
    fn a_stamp_notices_a_rewrite_and_a_deletion() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("a.yaml");
        std::fs::write(&file, "a: 1\n").expect("write");
        let stamp = Stamp::take(std::slice::from_ref(&file));
        assert!(stamp.unchanged());
        std::fs::write(&file, "a: 2\n").expect("write");
        assert!(!stamp.unchanged());
        let stamp = Stamp::take(std::slice::from_ref(&file));
        std::fs::remove_file(&file).expect("remove");
        assert!(!stamp.unchanged());
    }
}
