//! The billing period a command works on, made visible: a period defaulted to the previous
//! month is named on stderr, and a usage file missing for it gets a hint listing the periods
//! whose files do exist (the usual cause is planning a month whose export has not been made).

use std::path::Path;

use crate::config::Workspace;
use crate::config::model::SourceInput;
use crate::diagnostic::Diagnostics;
use crate::error::Error;
use crate::period::Period;

/// The period a command runs for: `--period`, or the month before today.
#[derive(Debug, Clone, Copy)]
pub struct Chosen {
    /// The period.
    pub period: Period,
    /// Whether it was defaulted (no `--period`).
    pub defaulted: bool,
}

/// `--period`, or the month before today — then said so on stderr, as every output would
/// otherwise leave it implicit.
pub fn choose(context: &super::Context, given: Option<Period>) -> Chosen {
    match given {
        Some(period) => Chosen {
            period,
            defaulted: false,
        },
        None => {
            let period = Period::previous_to(context.today);
            eprintln!(
                "note: no --period given: using {period}, the month before today (pass \
                 --period YYYY-MM for another)"
            );
            Chosen {
                period,
                defaulted: true,
            }
        }
    }
}

/// `error` with a hint added to each "file not found" usage problem of `chosen`'s period:
/// how the period was chosen and which periods have usage files.
pub fn explain_missing_usage(workspace: &Workspace, chosen: Chosen, error: Error) -> Error {
    let Error::Usage(problems) = error else {
        return error;
    };
    let mut explained = Diagnostics::default();
    for mut problem in problems.sorted().into_iter().cloned() {
        let template = workspace
            .integrations
            .iter()
            .find_map(|i| match &i.source.input {
                SourceInput::File(t) if problem.file.ends_with(t.expand(chosen.period)) => Some(t),
                _ => None,
            });
        if let Some(template) = template.filter(|_| problem.message == "file not found") {
            problem.hint = Some(hint(
                chosen,
                &periods_with_files(&workspace.root, template.as_str()),
            ));
        }
        explained.push(problem);
    }
    Error::Usage(explained)
}

fn hint(chosen: Chosen, present: &[Period]) -> String {
    let how = if chosen.defaulted {
        format!(
            "the period defaulted to {}, the month before today",
            chosen.period
        )
    } else {
        format!("--period {} was given", chosen.period)
    };
    match present.first() {
        None => format!("{how}; no period has a usage file yet: export the vendor's usage first"),
        Some(latest) => {
            let list: Vec<String> = present.iter().map(Period::to_string).collect();
            format!(
                "{how}; usage files exist for {}: pass --period {latest} to plan that month",
                list.join(", ")
            )
        }
    }
}

/// The periods, latest first, for which `template` (`usage/keeper-{period}.csv`) names an
/// existing file under `root`. Only a `{period}` in the file name is searched for.
pub fn periods_with_files(root: &Path, template: &str) -> Vec<Period> {
    let path = Path::new(template);
    let (Some(name), parent) = (path.file_name().and_then(|n| n.to_str()), path.parent()) else {
        return Vec::new();
    };
    let Some((prefix, suffix)) = name.split_once("{period}") else {
        return Vec::new();
    };
    let dir = root.join(parent.unwrap_or(Path::new("")));
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut periods: Vec<Period> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            name.strip_prefix(prefix)?
                .strip_suffix(suffix)?
                .parse()
                .ok()
        })
        .collect();
    periods.sort_by(|a, b| b.cmp(a));
    periods
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_with_files_are_found_from_the_template_latest_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("usage")).expect("mkdir");
        for name in [
            "keeper-2026-09.csv",
            "keeper-2026-10.csv",
            "keeper-notes.csv",
            "pax8-2026-11.csv",
        ] {
            std::fs::write(dir.path().join("usage").join(name), "").expect("write");
        }
        let found = periods_with_files(dir.path(), "usage/keeper-{period}.csv");
        let shown: Vec<String> = found.iter().map(Period::to_string).collect();
        assert_eq!(shown, ["2026-10", "2026-09"]);
        assert!(periods_with_files(dir.path(), "usage/{period}/keeper.csv").is_empty());
    }
}
