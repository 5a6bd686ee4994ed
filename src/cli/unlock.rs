//! `reckon unlock <id>`: remove the workspace's apply lock, only when given its id.

use crate::error::{Error, ExitStatus};
use crate::state::{self, lock};

/// Arguments of `unlock`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The lock's id, as printed by the apply that was refused (or `reckon status`).
    pub id: String,
}

/// Removes the lock if `id` matches.
pub fn run(context: &super::Context, args: &Args) -> Result<ExitStatus, Error> {
    let dir = context.dir.join(state::STATE_DIR);
    let held = lock::unlock(&dir, &args.id).map_err(super::lock_error)?;
    println!("Unlocked: removed {held}.");
    Ok(ExitStatus::Success)
}
