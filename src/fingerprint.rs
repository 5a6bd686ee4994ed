//! Fingerprints of what a plan was computed from: the workspace's git commit (and whether the
//! tree was dirty), and content hashes of the config files and of the usage files.
//!
//! Reads files and runs `git` as a subprocess; decides nothing. The hash is FNV-1a (64-bit): it
//! detects change between plan and apply, it is not a defence against someone forging a file.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::config::{self, Workspace};
use crate::period::Period;

/// The workspace's git state, when it is a git work tree.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitState {
    /// `HEAD`'s commit id.
    pub commit: String,
    /// Whether tracked or untracked files differ from `HEAD`.
    pub dirty: bool,
}

/// FNV-1a, 64-bit.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// `git rev-parse HEAD` and `git status --porcelain` in `root`; `None` without git or outside a
/// work tree (reckon works without git, the plan file then says so).
pub fn git_state(root: &Path) -> Option<GitState> {
    let run = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let commit = run(&["rev-parse", "HEAD"])?;
    // Only the workspace's own files count (`-- .`); `.reckon/` is git-ignored.
    let status = run(&["status", "--porcelain", "--", "."])?;
    Some(GitState {
        commit,
        dirty: !status.is_empty(),
    })
}

/// The hash of the workspace's files ([`config::workspace_files`]: `reckon.yaml`, every
/// `integrations/*.yaml` and `approvals.yaml` when present), names included, in a fixed order.
pub fn config_hash(root: &Path) -> std::io::Result<String> {
    hash_files(root, &config::workspace_files(root)?)
}

/// The hash of every integration's usage file for `period` ([`config::usage_files`]). Sources
/// that run a command have no file to hash: their output is read afresh by every run.
pub fn usage_hash(workspace: &Workspace, period: Period) -> std::io::Result<String> {
    hash_files(&workspace.root, &config::usage_files(workspace, period))
}

/// Hashes names and contents; a missing file hashes as absent (so creating it is a change).
fn hash_files(root: &Path, files: &[PathBuf]) -> std::io::Result<String> {
    let mut all = Vec::new();
    for file in files {
        all.extend_from_slice(file.to_string_lossy().as_bytes());
        all.push(0);
        let within = crate::fsio::Within::Workspace(root);
        match crate::fsio::read::bytes(&root.join(file), within, crate::fsio::limit::USAGE) {
            Ok(bytes) => {
                all.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
                all.extend_from_slice(&bytes);
            }
            Err(crate::fsio::ReadError::NotFound) => all.extend_from_slice(b"absent"),
            Err(e) => return Err(std::io::Error::other(e)),
        }
        all.push(0);
    }
    Ok(format!("fnv1a64:{:016x}", fnv1a64(&all)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_the_reference_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn config_hash_changes_with_any_config_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join(config::WORKSPACE_FILE),
            "psa: {kind: sandbox}\n",
        )
        .expect("write");
        let before = config_hash(dir.path()).expect("hash");
        assert_eq!(before, config_hash(dir.path()).expect("hash"));
        std::fs::write(dir.path().join(config::APPROVALS_FILE), "approvals: []\n").expect("write");
        assert_ne!(before, config_hash(dir.path()).expect("hash"));
    }
}
