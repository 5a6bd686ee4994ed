//! Local state in the workspace's `.reckon/` folder (git-ignored): the apply lock and the apply
//! journal. Owns the folder's layout and nothing else; it makes no billing decisions and never
//! talks to the PSA.

pub mod ci;
pub mod journal;
pub mod lock;

pub use ci::CiRun;

use std::path::{Path, PathBuf};

/// The state folder's name inside a workspace.
pub const STATE_DIR: &str = ".reckon";

/// `.reckon/` under `root`, created when missing; refused when it is a link (reckon would write
/// its state wherever the link points).
pub fn dir(root: &Path) -> std::io::Result<PathBuf> {
    crate::fsio::write::ensure_dir(root, Path::new(STATE_DIR))
}

/// Where files read from the state folder `state_dir` may lead: inside its workspace (a
/// `.reckon` linked elsewhere is refused, as [`dir`] refuses it for writing).
pub fn within_workspace(state_dir: &Path) -> crate::fsio::Within<'_> {
    let root = state_dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    crate::fsio::Within::Workspace(root)
}

/// Who is running reckon, where: for lock files and journal records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The OS user (`USER`/`USERNAME`), or `unknown`.
    pub user: String,
    /// The host name, or `unknown`.
    pub host: String,
    /// This process's id.
    pub pid: u32,
    /// The CI run this process belongs to, when CI variables say so.
    pub ci: Option<CiRun>,
}

impl Actor {
    /// The current process's user, host and pid.
    pub fn current() -> Self {
        let user = ["USER", "USERNAME", "LOGNAME"]
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
            .unwrap_or_else(|| "unknown".into());
        let host = std::env::var("HOSTNAME")
            .ok()
            .filter(|v| !v.is_empty())
            .or_else(|| {
                let hostname = Path::new("/etc/hostname");
                crate::fsio::read::text(hostname, crate::fsio::Within::Anywhere, 4096)
                    .ok()
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
            })
            .unwrap_or_else(|| "unknown".into());
        Self {
            user,
            host,
            pid: std::process::id(),
            ci: CiRun::from_env(),
        }
    }

    /// Who, for people: the CI actor and run when there is one, else `user@host`.
    pub fn who(&self) -> String {
        who(&self.user, &self.host, self.ci.as_ref())
    }
}

/// Who did something, for people (lock holders, journal records, status, provenance): the CI
/// actor and run when there is one, else `user@host`.
pub fn who(user: &str, host: &str, ci: Option<&CiRun>) -> String {
    match ci {
        Some(run) => run.to_string(),
        None => format!("{user}@{host}"),
    }
}
