//! `reckon unlock <id>`: remove the workspace's apply lock (local), or a shared lock's holder
//! row whose connection is gone (PostgreSQL), only when given its id.

use crate::error::{Error, ExitStatus};
use crate::state::{self, Store};

/// Arguments of `unlock`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The lock's id, as printed by the apply that was refused (or `reckon status`).
    pub id: String,
}

/// Removes the lock if `id` matches.
pub async fn run(context: &super::Context, args: &Args) -> Result<ExitStatus, Error> {
    // A workspace whose config does not load can still have its local lock removed.
    let store = match super::load(context) {
        Ok(loaded) => Store::open(&loaded.workspace).await?,
        Err(_) => Store::Local(context.dir.join(state::STATE_DIR)),
    };
    let held = store.unlock(&args.id).await.map_err(super::lock_error)?;
    println!("Unlocked: removed {held}.");
    Ok(ExitStatus::Success)
}
