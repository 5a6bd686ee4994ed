//! `reckon validate`: check the workspace files and report every problem.

use std::io::Write;

use crate::config;
use crate::diagnostic::Diagnostics;
use crate::error::{Error, ExitStatus};
use crate::render::{self, diagnostics};

/// Output formats for `validate`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// `error: file:line:col: message` lines.
    Text,
    /// `{"valid", "error_count", "warning_count", "diagnostics"}`.
    Json,
    /// GitHub Actions annotations (`::error file=…,line=…,col=…::message`).
    Github,
}

/// Arguments of `validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Validates; exit 1 when there is any error.
pub fn run(context: &super::Context, args: &Args) -> Result<ExitStatus, Error> {
    let (mut problems, names) = match config::load(&context.dir) {
        Ok(loaded) => {
            let names: Vec<String> = loaded
                .workspace
                .integrations
                .iter()
                .map(|i| i.name.clone())
                .collect();
            (loaded.warnings, Some(names))
        }
        Err(problems) => (problems, None),
    };
    match config::approvals::load_located(&context.dir) {
        Ok(grants) => {
            if let Some(names) = &names {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                problems.extend(config::approvals::address_warnings(
                    &context.dir,
                    &grants,
                    &names,
                ));
            }
        }
        Err(approval_problems) => problems.extend(approval_problems),
    }
    let integrations = names.as_ref().map(Vec::len);
    let summary = match integrations {
        Some(count) if !problems.has_errors() => {
            format!("Workspace is valid: {count} integration(s).")
        }
        _ => format!(
            "Workspace is invalid: {} error(s), {} warning(s).",
            problems.error_count(),
            problems.warning_count()
        ),
    };
    // Annotations are workflow commands by design, each value escaped by `diagnostics::github`.
    let mut out: Box<dyn Write> = match args.format {
        Format::Text => Box::new(render::escape::stdout(render::escape::Sink::Text {
            color: context.style.color,
        })),
        Format::Json => Box::new(render::escape::stdout(render::escape::Sink::Json)),
        Format::Github => Box::new(std::io::stdout().lock()),
    };
    write(&mut out, args.format, &problems, &summary, context).map_err(super::output_error)?;
    Ok(if problems.has_errors() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

fn write(
    out: &mut dyn Write,
    format: Format,
    problems: &Diagnostics,
    summary: &str,
    context: &super::Context,
) -> std::io::Result<()> {
    match format {
        Format::Text => {
            diagnostics::text(out, problems, context.style)?;
            writeln!(out, "{summary}")
        }
        Format::Json => diagnostics::json(out, problems),
        Format::Github => diagnostics::github(out, problems),
    }
}
