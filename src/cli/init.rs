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
    for (relative, content) in files(period) {
        write(&dir, &relative, &content)?;
    }
    for (name, text) in crate::schema::generate() {
        write(&dir, &Path::new("schemas").join(name), &text)?;
    }
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
        (PathBuf::from(".gitignore"), ".reckon/\n".to_owned()),
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

fn write(dir: &Path, relative: &Path, content: &str) -> Result<(), Error> {
    let path = dir.join(relative);
    let io = |source| Error::Io {
        context: format!("cannot write {}", path.display()),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    std::fs::write(&path, content).map_err(io)
}
