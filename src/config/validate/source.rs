//! Validation of an integration's `source:` block and of the vendor product names its service
//! mappings use: which input the source reads (a file or a command), the command's timeout, and
//! Keeper's product catalogue for `keeper-commander` sources.
//!
//! Reports through the parent's [`Checker`]; reads no file and runs nothing.

use std::time::Duration;

use super::Checker;
use crate::config::model::{CommandInput, Source, SourceInput};
use crate::config::raw::{RawSource, SourceKind};
use crate::config::template::{CommandTemplate, PathTemplate};
use crate::sources::command::{self, Limits};
use crate::sources::keeper::catalogue;
use crate::yaml::Spanned;

/// How long a command may run when `timeout` is not given: Commander logs in and downloads a
/// month of daily snapshots, which takes seconds to a minute.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// The validated source, or `None` after reporting why not.
pub(super) fn source(check: &mut Checker<'_>, raw: &RawSource) -> Option<Source> {
    let kind = raw.kind.value;
    let kind_name = kind_name(kind);
    if kind == SourceKind::Csv {
        for (field, present) in [
            ("command", raw.command.is_some()),
            ("timeout", raw.timeout.is_some()),
            ("max_stdout", raw.max_stdout.is_some()),
            ("max_stderr", raw.max_stderr.is_some()),
        ] {
            if present {
                check.error(
                    &raw.kind,
                    format!("source.{field} does not apply to source.kind {kind_name}"),
                    Some("a csv source reads `path`; `command` is for keeper-commander".into()),
                );
            }
        }
    }
    if raw.command.is_none() {
        for (field, value) in [
            ("timeout", &raw.timeout),
            ("max_stdout", &raw.max_stdout),
            ("max_stderr", &raw.max_stderr),
        ] {
            if let Some(value) = value {
                check.error(
                    value,
                    format!("source.{field} applies only with source.command"),
                    Some(format!(
                        "remove `{field}`, or run the report with `command:`"
                    )),
                );
            }
        }
    }
    let input = match (&raw.path, &raw.command) {
        (Some(_), Some(command)) => {
            check.error(
                command,
                "source.path and source.command are both set",
                Some(
                    "read the report from a file (`path`) or run a command (`command`), not both"
                        .into(),
                ),
            );
            return None;
        }
        (Some(path), None) => file(check, path)?,
        (None, Some(command)) if kind != SourceKind::Csv => {
            SourceInput::Command(command_input(check, command, raw)?)
        }
        (None, Some(_)) => return None, // reported above
        (None, None) => {
            let wanted = if kind == SourceKind::Csv {
                "source.path is required"
            } else {
                "source.path or source.command is required"
            };
            check.error(
                &raw.kind,
                format!("{wanted} for a {kind_name} source"),
                None,
            );
            return None;
        }
    };
    Some(Source { kind, input })
}

fn kind_name(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Csv => "csv",
        SourceKind::KeeperCommander => "keeper-commander",
    }
}

fn file(check: &mut Checker<'_>, path: &Spanned<String>) -> Option<SourceInput> {
    match PathTemplate::parse(&path.value) {
        Ok(template) => Some(SourceInput::File(template)),
        Err(error) => {
            check.error(path, format!("source.path: {error}"), None);
            None
        }
    }
}

fn command_input(
    check: &mut Checker<'_>,
    command: &Spanned<Vec<String>>,
    raw: &RawSource,
) -> Option<CommandInput> {
    let argv = CommandTemplate::parse(&command.value)
        .map_err(|error| check.error(command, format!("source.command: {error}"), None))
        .ok();
    if let Some(flag) = command
        .value
        .iter()
        .find(|arg| *arg == "--output" || arg.starts_with("--output="))
    {
        // With --output, Commander writes the file and prints nothing (commands/base.py:395-400).
        check.error(
            command,
            format!(
                "source.command has `{flag}`: Commander then writes the report to a file and \
                 prints nothing, but reckon reads the command's standard output"
            ),
            Some(
                "remove `--output …` from `command`, or export the file beforehand and read it \
                 with `source.path`"
                    .into(),
            ),
        );
    }
    let max_stdout = output_limit(
        check,
        "max_stdout",
        raw.max_stdout.as_ref(),
        Limits::DEFAULT.stdout,
    );
    let max_stderr = output_limit(
        check,
        "max_stderr",
        raw.max_stderr.as_ref(),
        Limits::DEFAULT.stderr,
    );
    let timeout = match raw.timeout.as_ref() {
        None => Some(DEFAULT_TIMEOUT),
        Some(text) => {
            let parsed = parse_timeout(&text.value);
            if parsed.is_none() {
                check.error(
                    text,
                    format!("source.timeout `{}` is not a duration", text.value),
                    Some("write whole seconds or minutes, e.g. `120s` or `5m`".into()),
                );
            }
            parsed
        }
    };
    Some(CommandInput {
        argv: argv?,
        timeout: timeout?,
        max_stdout: max_stdout?,
        max_stderr: max_stderr?,
        origin: check.origin(command),
    })
}

/// `source.max_stdout` / `source.max_stderr`, or `default` when not given.
fn output_limit(
    check: &mut Checker<'_>,
    field: &str,
    written: Option<&Spanned<String>>,
    default: u64,
) -> Option<u64> {
    let Some(text) = written else {
        return Some(default);
    };
    let parsed = parse_size(&text.value);
    if parsed.is_none() {
        check.error(
            text,
            format!("source.{field} `{}` is not a size", text.value),
            Some(format!(
                "write a whole number and a unit, e.g. `{}` (B, KB, MB, GB; 1 KB = 1024 bytes)",
                command::size(default).replace(' ', "")
            )),
        );
    }
    parsed
}

/// `64KB`, `256MB`, `1GB`, `500B` (a positive whole number and a unit of 1024s).
fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let multiple: u64 = match unit.trim() {
        "B" => 1,
        "KB" => 1 << 10,
        "MB" => 1 << 20,
        "GB" => 1 << 30,
        _ => return None,
    };
    let count: u64 = number.parse().ok()?;
    count.checked_mul(multiple).filter(|bytes| *bytes > 0)
}

/// `120s` or `5m` (a positive whole number and a unit).
fn parse_timeout(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, unit_seconds) = if let Some(n) = text.strip_suffix('s') {
        (n, 1)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60)
    } else {
        return None;
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seconds: u64 = number.parse().ok()?;
    (seconds > 0).then(|| Duration::from_secs(seconds.saturating_mul(unit_seconds)))
}

/// The vendor product as reckon compares it: for a `keeper-commander` source, a Keeper code is
/// turned into the display name the report prints, and a name Keeper does not have is a warning
/// (with the nearest known product) — a typo there would leave usage unbilled.
pub(super) fn vendor_product(
    check: &mut Checker<'_>,
    kind: SourceKind,
    written: &Spanned<String>,
    sku: String,
) -> String {
    if kind != SourceKind::KeeperCommander {
        return sku;
    }
    if let Some(product) = catalogue::find(&sku) {
        return product.name.to_owned();
    }
    if let Some(product) = catalogue::deprecated(&sku) {
        check.warning(
            written,
            format!(
                "`{sku}` is Keeper's enterprise storage code; Commander's MSP code for {} is `{}`",
                product.name, product.code
            ),
            format!(
                "write `vendor: {}` (or `vendor: {}`, as the report prints it); `{sku}` still \
                 matches {} for now",
                product.code, product.name, product.name
            ),
        );
        return product.name.to_owned();
    }
    if !catalogue::is_product_id(&sku) {
        let hint = match catalogue::nearest_name(&sku) {
            Some(name) => format!("did you mean `{name}`?"),
            None => "use a product name as the billing report prints it (e.g. `Business Plus`) \
                     or its Commander code (e.g. `businessPlus`)"
                .to_owned(),
        };
        check.warning(
            written,
            format!("Keeper has no product \"{sku}\"; this mapping will never match usage"),
            hint,
        );
    }
    sku
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_whole_numbers_of_bytes_kb_mb_or_gb() {
        assert_eq!(parse_size("64KB"), Some(64 * 1024));
        assert_eq!(parse_size("256MB"), Some(256 << 20));
        assert_eq!(parse_size("1 GB"), Some(1 << 30));
        assert_eq!(parse_size("500B"), Some(500));
        for bad in [
            "",
            "MB",
            "0MB",
            "1.5MB",
            "-1KB",
            "10",
            "2TB",
            "99999999999999GB",
        ] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
    }

    #[test]
    fn timeouts_are_whole_seconds_or_minutes() {
        assert_eq!(parse_timeout("120s"), Some(Duration::from_secs(120)));
        assert_eq!(parse_timeout("5m"), Some(Duration::from_secs(300)));
        for bad in ["", "s", "0s", "1.5s", "-3s", "10", "2h", "ten s"] {
            assert_eq!(parse_timeout(bad), None, "{bad}");
        }
    }
}
