//! Loading a workspace: read `reckon.yaml` and `integrations/*.yaml`, parse them (`raw`), check
//! every rule (`validate`) and return the validated model (`model`) or every problem found.
//! Owns the list of the workspace's files ([`workspace_files`], [`usage_files`]) that loading,
//! fingerprints and watch share.
//!
//! This module reads files and nothing else: no network, no PSA, no usage data.

pub mod approvals;
mod collect;
pub mod model;
pub mod raw;
pub mod template;
mod validate;

use std::path::{Path, PathBuf};

pub use model::Workspace;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::fsio::{self, Within};
use crate::yaml;

/// The workspace file's name.
pub const WORKSPACE_FILE: &str = "reckon.yaml";
/// The folder holding one YAML file per integration.
pub const INTEGRATIONS_DIR: &str = "integrations";
/// The approvals file's name (optional; a config file like the others: approving is a change).
pub const APPROVALS_FILE: &str = "approvals.yaml";

/// A validated workspace and the warnings found on the way.
#[derive(Debug)]
pub struct Loaded {
    /// The workspace.
    pub workspace: Workspace,
    /// Problems that do not stop a command.
    pub warnings: Diagnostics,
}

/// Loads and validates the workspace in `root`. On failure, returns every problem found (errors
/// and warnings), not just the first.
pub fn load(root: &Path) -> Result<Loaded, Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    let workspace_file = shown_path(root, Path::new(WORKSPACE_FILE));
    let raw_workspace =
        read_yaml_all::<raw::RawWorkspace>(root, &root.join(WORKSPACE_FILE), &workspace_file)
            .map_err(|all| {
                for d in all {
                    diagnostics.push(d.with_hint_if_missing(missing_workspace_hint(root)));
                }
            })
            .ok();
    let integrations = load_integrations(root, &mut diagnostics);
    let workspace = raw_workspace.and_then(|raw| {
        validate::workspace(root, &workspace_file, raw, integrations, &mut diagnostics)
    });
    match workspace {
        Some(workspace) if !diagnostics.has_errors() => Ok(Loaded {
            workspace,
            warnings: diagnostics,
        }),
        _ => Err(diagnostics),
    }
}

fn missing_workspace_hint(root: &Path) -> String {
    if root.join(WORKSPACE_FILE).exists() {
        String::new()
    } else {
        format!(
            "run reckon in a workspace directory (-C DIR), or create one with `reckon init {}`",
            root.display()
        )
    }
}

fn load_integrations(root: &Path, diagnostics: &mut Diagnostics) -> Vec<model::Integration> {
    let mut integrations = Vec::new();
    for relative in listed_integrations(root, diagnostics) {
        let shown = shown_path(root, &relative);
        let name = relative
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        if !is_valid_name(&name) {
            diagnostics.push(
                Diagnostic::error(
                    &shown,
                    None,
                    format!("integration name `{name}` is not usable"),
                )
                .with_hint("name integration files with letters, digits, `-` and `_` only"),
            );
            continue;
        }
        let parsed = read_yaml_all::<raw::RawIntegration>(root, &root.join(&relative), &shown);
        match parsed {
            Ok(raw) => {
                if let Some(integration) =
                    validate::integration(root, &shown, &name, raw, diagnostics)
                {
                    integrations.push(integration);
                }
            }
            Err(all) => Extend::extend(diagnostics, all),
        }
    }
    integrations.sort_by(|a, b| a.name.cmp(&b.name));
    integrations
}

/// The workspace's own files, relative to `root`, in a fixed order: `reckon.yaml`, every
/// `integrations/*.yaml` (sorted) and `approvals.yaml`. The one list that loading, the saved
/// plan's fingerprint and watch all use; `approvals.yaml` is listed whether or not it exists
/// (creating it is a change). A missing integrations folder lists none; `Err` only when it
/// exists and cannot be read.
pub fn workspace_files(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let integrations = match integration_files(root) {
        Ok(files) => files,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    let mut files = vec![PathBuf::from(WORKSPACE_FILE)];
    files.extend(integrations);
    files.push(PathBuf::from(APPROVALS_FILE));
    Ok(files)
}

/// `integrations/*.yaml` (and `.yml`), relative to `root`, sorted; `Err` (`NotFound` when
/// absent) when the folder cannot be read.
pub fn integration_files(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(INTEGRATIONS_DIR))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        // Not only regular files: a FIFO or device named like an integration must be an error
        // when read (fsio refuses it), not an integration silently left out.
        .filter(|path| std::fs::metadata(path).is_ok_and(|m| !m.is_dir()) && is_yaml(path))
        .filter_map(|path| {
            path.file_name()
                .map(|name| Path::new(INTEGRATIONS_DIR).join(name))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Whether `relative` (a path inside the workspace) names one of [`workspace_files`]' kind of
/// file, existing or not: what a file watcher should react to.
pub fn is_workspace_file(relative: &Path) -> bool {
    relative == Path::new(WORKSPACE_FILE)
        || relative == Path::new(APPROVALS_FILE)
        || (relative.parent() == Some(Path::new(INTEGRATIONS_DIR)) && is_yaml(relative))
}

/// Each integration's usage file for `period`, relative to the workspace (a source that runs a
/// command has no file).
pub fn usage_files(workspace: &Workspace, period: crate::period::Period) -> Vec<PathBuf> {
    workspace
        .integrations
        .iter()
        .filter_map(|i| match &i.source.input {
            model::SourceInput::File(template) => Some(template.expand(period)),
            model::SourceInput::Command(_) => None,
        })
        .collect()
}

fn is_yaml(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "yaml" || e == "yml")
}

/// The integration files, or none with a warning when the folder cannot be read.
fn listed_integrations(root: &Path, diagnostics: &mut Diagnostics) -> Vec<PathBuf> {
    integration_files(root).unwrap_or_else(|_| {
        if root.join(WORKSPACE_FILE).exists() {
            diagnostics.push(Diagnostic::warning(
                &shown_path(root, Path::new(INTEGRATIONS_DIR)),
                None,
                "no integrations folder: nothing to reconcile",
            ));
        }
        Vec::new()
    })
}

fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Reads and parses one YAML file of the workspace in `root`; `shown` is the path used in
/// messages.
pub fn read_yaml<T: serde::de::DeserializeOwned>(
    root: &Path,
    path: &Path,
    shown: &Path,
) -> Result<T, Diagnostic> {
    let text = read_text(path, shown, Within::Workspace(root), fsio::limit::CONFIG)?;
    yaml::from_str(&text, shown)
}

/// [`read_yaml`], with every problem of the file that can be collected ([`collect`]).
fn read_yaml_all<T: serde::de::DeserializeOwned>(
    root: &Path,
    path: &Path,
    shown: &Path,
) -> Result<T, Vec<Diagnostic>> {
    let text = read_text(path, shown, Within::Workspace(root), fsio::limit::CONFIG)
        .map_err(|d| vec![d])?;
    collect::parse_all(&text, shown)
}

/// Reads a text file through [`fsio::read`] (a regular file, at most `limit` bytes, UTF-8), as a
/// diagnostic on failure.
pub fn read_text(
    path: &Path,
    shown: &Path,
    within: Within<'_>,
    limit: u64,
) -> Result<String, Diagnostic> {
    fsio::read::text(path, within, limit)
        .map_err(|error| Diagnostic::error(shown, None, error.to_string()))
}

/// The path shown to users for `relative`: relative to the current directory when possible.
pub fn shown_path(root: &Path, relative: &Path) -> PathBuf {
    if root == Path::new(".") || root.as_os_str().is_empty() {
        relative.to_path_buf()
    } else {
        root.join(relative)
    }
}

impl Diagnostic {
    fn with_hint_if_missing(self, hint: String) -> Self {
        if self.hint.is_none() && !hint.is_empty() {
            self.with_hint(hint)
        } else {
            self
        }
    }
}
