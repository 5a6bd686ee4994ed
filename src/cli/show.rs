//! `reckon show PLAN_FILE`: a saved plan rendered exactly as the `plan` that saved it rendered
//! it, in any of its formats, as `terraform show` does. The text form adds the plan's provenance
//! above it (the markdown, HTML and JSON forms carry it already). Reads only the file: no
//! workspace, no usage, no PSA; checks nothing for staleness (that is `apply`'s job).

use std::path::PathBuf;

use crate::error::{Error, ExitStatus};
use crate::render;
use crate::render::escape::{self, Sink};
use crate::saved_plan::SavedPlan;

/// Output formats for `show`: those of `plan` that render a plan alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The provenance, then the terraform-style text plan.
    Text,
    /// The versioned JSON plan (see README), its `provenance` included.
    Json,
    /// Markdown for a pull-request comment.
    Markdown,
    /// The self-contained HTML review page.
    Html,
}

/// Arguments of `show`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A plan saved with `reckon plan --out FILE`.
    #[arg(value_name = "PLAN_FILE")]
    pub plan_file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Most bytes the markdown plan may take, as for `plan`.
    #[arg(long, value_name = "N", default_value_t = render::markdown::DEFAULT_MAX_BYTES)]
    pub max_bytes: usize,
}

/// Reads the plan file and prints it.
pub fn run(context: &super::Context, args: &Args) -> Result<ExitStatus, Error> {
    let saved = SavedPlan::read(&args.plan_file).map_err(|e| {
        Error::refused(
            e.to_string(),
            "give a file written by `reckon plan --out FILE`",
        )
    })?;
    let plan = &saved.plan;
    let plain = Sink::Text { color: false };
    match args.format {
        Format::Text => {
            let mut out = escape::stdout(Sink::Text {
                color: context.style.color,
            });
            let heading = format!("Saved plan {}:", args.plan_file.display());
            render::provenance::text(&mut out, &heading, plan, context.style)
                .and_then(|()| render::text::plan(&mut out, plan, context.style))
        }
        Format::Json => render::json::plan(&mut escape::stdout(Sink::Json), plan),
        Format::Markdown => {
            render::markdown::plan_within(&mut escape::stdout(plain), plan, args.max_bytes)
        }
        Format::Html => render::html::plan(&mut escape::stdout(plain), plan),
    }
    .map_err(super::output_error)?;
    Ok(ExitStatus::Success)
}
