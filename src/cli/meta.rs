//! `reckon completions SHELL`, `reckon man` and `reckon version`: about reckon itself; they
//! read no workspace.

use std::io::Write;

use clap::CommandFactory;

use crate::error::{Error, ExitStatus};

/// Arguments of `completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Arguments of `version`.
#[derive(Debug, clap::Args)]
pub struct VersionArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = VersionFormat::Text)]
    pub format: VersionFormat,
}

/// Output formats for `version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VersionFormat {
    /// `reckon 0.1.0 (commit abc123)`.
    Text,
    /// `{"version", "commit"}`.
    Json,
}

/// The git commit this binary was built from (`unknown` without git).
pub const COMMIT: &str = env!("RECKON_BUILD_COMMIT");

/// Prints the completion script for `args.shell` on stdout.
pub fn completions(args: &CompletionsArgs) -> Result<ExitStatus, Error> {
    let mut command = super::Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "reckon", &mut out);
    write_out(&out)
}

/// Prints reckon's man page (roff) on stdout: `reckon man > reckon.1`.
pub fn man() -> Result<ExitStatus, Error> {
    let mut out = Vec::new();
    clap_mangen::Man::new(super::Cli::command())
        .render(&mut out)
        .map_err(super::output_error)?;
    write_out(&out)
}

/// Prints the version and the commit it was built from.
pub fn version(args: &VersionArgs) -> Result<ExitStatus, Error> {
    let version = env!("CARGO_PKG_VERSION");
    let text = match args.format {
        VersionFormat::Text => format!("reckon {version} (commit {COMMIT})\n"),
        VersionFormat::Json => format!(
            "{}\n",
            serde_json::json!({"version": version, "commit": COMMIT})
        ),
    };
    write_out(text.as_bytes())
}

fn write_out(bytes: &[u8]) -> Result<ExitStatus, Error> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(super::output_error)?;
    Ok(ExitStatus::Success)
}
