//! `reckon schema`: write the JSON Schemas for the workspace files.

use std::path::PathBuf;

use crate::error::{Error, ExitStatus};

/// Arguments of `schema`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder to write the schemas to (default: `schemas/` in the workspace).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Writes `workspace.schema.json` and `integration.schema.json`.
pub fn run(context: &super::Context, args: &Args) -> Result<ExitStatus, Error> {
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| context.dir.join("schemas"));
    std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
        context: format!("cannot create {}", dir.display()),
        source,
    })?;
    for (name, text) in crate::schema::generate() {
        let path = dir.join(name);
        crate::fsio::write::replace(&path, text.as_bytes()).map_err(|source| Error::Io {
            context: format!("cannot write {}", path.display()),
            source,
        })?;
        println!("wrote {}", path.display());
    }
    Ok(ExitStatus::Success)
}
