//! The `reckon` binary: parse the command line, run, print errors for humans, exit.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use reckon::cli::{self, Cli};
use reckon::error::Error;
use reckon::render::{Paint, Style, diagnostics};

fn main() -> ExitCode {
    // clap exits with 2 on a usage error, which `plan --detailed-exitcode` reserves for "changes";
    // usage errors are errors (1), while --help and --version succeed (0).
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(u8::from(error.use_stderr()));
        }
    };
    logs(cli.verbose);
    let no_color = cli.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let style = Style {
        color: !no_color && std::io::IsTerminal::is_terminal(&std::io::stderr()),
    };
    let invocation = reckon::render::command_line::Invocation::new(&cli.dir);
    match cli::run(cli) {
        Ok(status) => ExitCode::from(status.code()),
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            report(&error, style, &invocation);
            ExitCode::from(if cli::interrupted() { 130 } else { 1 })
        }
    }
}

/// Logs to stderr through `tracing`: `RECKON_LOG` (an `EnvFilter`, e.g. `reckon=debug`) when
/// set, else `-v` info, `-vv` debug, none without. No colour, no time stamps (events carry
/// their own `ms`).
fn logs(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let filter = match std::env::var("RECKON_LOG") {
        Ok(text) if !text.trim().is_empty() => EnvFilter::new(text),
        _ => EnvFilter::new(match verbose {
            0 => "off",
            1 => "reckon=info",
            _ => "reckon=debug",
        }),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .without_time()
        .init();
}

/// Prints the error, the per-file problems behind it, and a hint, to stderr.
fn report(error: &Error, style: Style, invocation: &reckon::render::command_line::Invocation) {
    // Errors carry PSA and workspace text: neutralised like stdout (CI runners read both).
    let mut err = reckon::render::escape::stderr(style.color);
    if let Some(problems) = error.diagnostics() {
        let _ = diagnostics::text(&mut err, problems, style);
    }
    let _ = writeln!(err, "{}: {error}", style.paint(Paint::Red, "error"));
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let _ = writeln!(err, "  caused by: {cause}");
        source = cause.source();
    }
    if let Some(hint) = error.hint() {
        let _ = writeln!(err, "  {}", style.hint(&invocation.pasteable(&hint)));
    }
}

/// Output piped into `head` and closed early is not a failure.
fn is_broken_pipe(error: &Error) -> bool {
    matches!(error, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
}
