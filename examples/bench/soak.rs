//! Soak (filled in next).

use tokio::runtime::Runtime;

use crate::Kind;
use crate::run::Failure;

/// Runs `cycles` apply cycles against `kind` under random faults.
pub fn run(_runtime: &Runtime, _kind: Kind, _cycles: u32) -> Result<(), Failure> {
    Ok(())
}
