//! `reckon init`: scaffold a commented workspace that validates and plans against the sandbox.

use std::path::{Path, PathBuf};

use crate::config::{INTEGRATIONS_DIR, WORKSPACE_FILE};
use crate::error::{Error, ExitStatus};
use crate::period::Period;

/// Arguments of `init`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to create the workspace (default: the `-C` directory).
    pub dir: Option<PathBuf>,
}

/// Writes the starter files; refuses to touch an existing workspace.
pub fn run(context: &super::Context, args: &Args) -> Result<ExitStatus, Error> {
    let dir = args.dir.clone().unwrap_or_else(|| context.dir.clone());
    if dir.join(WORKSPACE_FILE).exists() {
        return Err(Error::refused(
            format!("{} already has a {WORKSPACE_FILE}", dir.display()),
            "init only creates new workspaces; edit the existing files instead",
        ));
    }
    let period = Period::previous_to(context.today);
    let schemas = crate::schema::generate()
        .into_iter()
        .map(|(name, text)| (Path::new("schemas").join(name), text));
    let all: Vec<(PathBuf, String)> = files(period).into_iter().chain(schemas).collect();
    refuse_existing(&dir, &all)?;
    for (relative, content) in &all {
        write(&dir, relative, content)?;
    }
    ignore_state_folder(&dir)?;
    println!("Created a reckon workspace in {}.", dir.display());
    println!("Next: reckon -C {} plan", dir.display());
    Ok(ExitStatus::Success)
}

fn files(period: Period) -> Vec<(PathBuf, String)> {
    vec![
        (
            PathBuf::from(WORKSPACE_FILE),
            include_str!("init/reckon.yaml").to_owned(),
        ),
        (
            Path::new(INTEGRATIONS_DIR).join("keeper.yaml"),
            include_str!("init/integration.yaml").to_owned(),
        ),
        (
            PathBuf::from("sandbox/psa.yaml"),
            include_str!("init/psa.yaml").to_owned(),
        ),
        (
            PathBuf::from(format!("usage/keeper-{period}.csv")),
            sample_usage(period),
        ),
    ]
}

/// A month of daily rows: one account mapped by id whose seats grow mid-month, and one matched
/// by exact name.
fn sample_usage(period: Period) -> String {
    let mut csv = String::from("date,account_id,account_name,sku,quantity\n");
    for offset in 0..period.days() {
        let day = period.first_day() + chrono::Days::new(u64::from(offset));
        let seats = if offset < 15 { 10 } else { 12 };
        csv.push_str(&format!(
            "{day},1001,Example Dental,Business Plus,{seats}\n"
        ));
        csv.push_str(&format!("{day},1002,Northwind Traders,Business Plus,5\n"));
    }
    csv
}

/// Refuses before writing anything when one of the files is already there (or is a link):
/// init never overwrites a file, nor leaves half a workspace.
fn refuse_existing(dir: &Path, files: &[(PathBuf, String)]) -> Result<(), Error> {
    let existing: Vec<String> = files
        .iter()
        .filter(|(relative, _)| std::fs::symlink_metadata(dir.join(relative)).is_ok())
        .map(|(relative, _)| relative.display().to_string())
        .collect();
    if existing.is_empty() {
        return Ok(());
    }
    Err(Error::refused(
        format!(
            "{} already has {}; nothing was written",
            dir.display(),
            existing.join(", ")
        ),
        "init only creates new files; move them aside or run init in an empty folder",
    ))
}

/// Adds `.reckon/` to the folder's `.gitignore`, creating it, or appending to one that does not
/// list it yet (never through a link).
fn ignore_state_folder(dir: &Path) -> Result<(), Error> {
    let path = dir.join(".gitignore");
    let io = |source| Error::Io {
        context: format!("cannot write {}", path.display()),
        source,
    };
    let within = crate::fsio::Within::Workspace(dir);
    let existing = crate::fsio::read::text_if_exists(&path, within, crate::fsio::limit::CONFIG)
        .map_err(|e| io(std::io::Error::other(e)))?;
    if existing.as_deref().is_some_and(|text| {
        text.lines()
            .any(|l| l.trim() == ".reckon/" || l.trim() == ".reckon")
    }) {
        return Ok(());
    }
    let separator = match existing.as_deref() {
        Some(text) if !text.is_empty() && !text.ends_with('\n') => "\n",
        _ => "",
    };
    let mut file = crate::fsio::write::open_append(&path).map_err(io)?;
    std::io::Write::write_all(&mut file, format!("{separator}.reckon/\n").as_bytes()).map_err(io)
}

/// Creates `dir/relative` exclusively: never through a link, never over an existing file.
fn write(dir: &Path, relative: &Path, content: &str) -> Result<(), Error> {
    let path = dir.join(relative);
    let io = |source| Error::Io {
        context: format!("cannot write {}", path.display()),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    if let Some(parent) = relative.parent() {
        crate::fsio::write::ensure_dir(dir, parent).map_err(io)?;
    }
    crate::fsio::write::create_new(&path, content.as_bytes()).map_err(io)
}
