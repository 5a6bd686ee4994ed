//! `reckon status`: the sync state from the workspace's records — `.reckon/` or the shared
//! database, whichever `state:` names (no PSA call).

use crate::config::approvals;
use crate::error::{Error, ExitStatus};
use crate::render;
use crate::state::Store;
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
pub async fn run(context: &super::Context, args: &Args) -> Result<ExitStatus, Error> {
    let loaded = super::load(context)?;
    let workspace = &loaded.workspace;
    let store = Store::open(workspace).await?;
    let records = store.history().await?;
    let holder = store.holder().await.map_err(super::lock_error)?;
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
    let (live, stale) = match holder {
        Some(h) if h.live => (Some(h.info), None),
        Some(h) => (None, Some(h.info)),
        None => (None, None),
    };
    let mut status = status::build(&names, &records, live, &grants);
    status.stale_lock = stale;
    if let Store::Postgres(_) = store {
        status.backend = Some(store.describe());
    }
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
