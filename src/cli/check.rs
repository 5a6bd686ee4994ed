//! `reckon check`: Test Connection. Resolves credentials, reaches the PSA, reads a little, and
//! says what works and what does not. Never writes.

use std::io::Write;

use crate::error::{Error, ExitStatus};
use crate::psa::{self, Psa};
use crate::render::{Paint, Style};

/// Arguments of `check`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs every check step; exit 1 if any failed.
pub async fn run(context: &super::Context, _args: &Args) -> Result<ExitStatus, Error> {
    let loaded = super::load(context)?;
    let psa = psa::connect(&loaded.workspace)?;
    let steps = psa.check().await;
    let mut out = crate::render::escape::stdout(crate::render::escape::Sink::Text {
        color: context.style.color,
    });
    let style: Style = context.style;
    let shown = crate::render::escape::text;
    writeln!(out, "Checking {}", shown(&psa.describe())).map_err(super::output_error)?;
    for step in &steps {
        let line = match &step.outcome {
            Ok(detail) => format!(
                "  {} {}: {}",
                style.paint(Paint::Green, "ok"),
                step.name,
                shown(detail)
            ),
            // The PSA's own words: escaped, as any text from outside.
            Err(problem) => format!(
                "  {} {}: {}",
                style.paint(Paint::Red, "failed"),
                step.name,
                shown(problem)
            ),
        };
        writeln!(out, "{line}").map_err(super::output_error)?;
    }
    super::print_requests(&psa);
    Ok(if steps.iter().all(|s| s.outcome.is_ok()) {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}
