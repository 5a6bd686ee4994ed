//! `reckon status`: the sync state from the workspace's local records (offline).

use crate::config::approvals;
use crate::error::{Error, ExitStatus};
use crate::render;
use crate::state::{self, journal, lock};
use crate::status;

/// Arguments of `status`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Output formats for `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// For scripts (see README).
    Json,
}

/// Reads the journal, the lock and approvals.yaml, and prints the status.
pub fn run(context: &super::Context, args: &Args) -> Result<ExitStatus, Error> {
    let loaded = super::load(context)?;
    let workspace = &loaded.workspace;
    let dir = workspace.root.join(state::STATE_DIR);
    let records = journal::read(&dir).map_err(|source| Error::Io {
        context: "cannot read the apply journal .reckon/journal.jsonl".into(),
        source,
    })?;
    let held = lock::read(&dir).map_err(super::lock_error)?;
    let names: Vec<String> = workspace
        .integrations
        .iter()
        .map(|i| i.name.clone())
        .collect();
    // An approval whose address can never match a plan line is never pending: validate and
    // plan warn about it instead.
    let known: Vec<&str> = names.iter().map(String::as_str).collect();
    let grants: Vec<_> = approvals::load(&workspace.root)
        .map_err(Error::Config)?
        .into_iter()
        .filter(|g| approvals::address_problem(&g.address, &known).is_none())
        .collect();
    let status = status::build(&names, &records, held, &grants);
    match args.format {
        Format::Text => render::status::text(
            &mut render::escape::stdout(render::escape::Sink::Text {
                color: context.style.color,
            }),
            &status,
            context.style,
        ),
        Format::Json => render::status::json(
            &mut render::escape::stdout(render::escape::Sink::Json),
            &status,
        ),
    }
    .map_err(super::output_error)?;
    Ok(ExitStatus::Success)
}
