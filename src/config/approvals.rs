//! `approvals.yaml`: approvals for changes beyond the policy thresholds, committed and reviewed
//! like any other workspace file. Each entry names the plan address, the period and the exact
//! quantity approved, so it expires with the period and never covers a different change.
//!
//! Reads one file and nothing else; matching approvals to changes is the planner's
//! ([`crate::plan::approval`]).

use std::path::Path;

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::fingerprint::APPROVALS_FILE;
use crate::period::Period;
use crate::plan::approval::Grant;
use crate::yaml::{self, Spanned};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApprovals {
    #[serde(default)]
    approvals: Vec<RawApproval>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApproval {
    address: Spanned<String>,
    period: Spanned<String>,
    quantity: Spanned<String>,
    /// Who approved and why: for reviewers, not read by reckon.
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

/// The grants in `root/approvals.yaml` (none when the file does not exist), or every problem.
pub fn load(root: &Path) -> Result<Vec<Grant>, Diagnostics> {
    if !root.join(APPROVALS_FILE).exists() {
        return Ok(Vec::new());
    }
    let shown = super::shown_path(root, Path::new(APPROVALS_FILE));
    let file = shown.as_path();
    let mut problems = Diagnostics::default();
    let raw: RawApprovals =
        super::read_yaml(root, &root.join(APPROVALS_FILE), file).map_err(|d| {
            let mut all = Diagnostics::default();
            all.push(d);
            all
        })?;
    let mut grants = Vec::new();
    for entry in raw.approvals {
        let at = yaml::location(&entry.address);
        let period = entry.period.value.parse::<Period>().map_err(|_| {
            Diagnostic::error(
                file,
                yaml::location(&entry.period),
                format!("period `{}` is not YYYY-MM", entry.period.value),
            )
        });
        let quantity = entry.quantity.value.trim().parse::<Decimal>().map_err(|_| {
            Diagnostic::error(
                file,
                yaml::location(&entry.quantity),
                format!("quantity `{}` is not a number", entry.quantity.value),
            )
            .with_hint("write the approved quantity as a quoted string, e.g. quantity: \"12\"")
        });
        match (period, quantity) {
            (Ok(period), Ok(quantity)) => grants.push(Grant {
                address: entry.address.value,
                period: Some(period),
                quantity: Some(quantity),
                source: match at {
                    Some(at) => format!("{APPROVALS_FILE}:{}", at.line),
                    None => APPROVALS_FILE.to_owned(),
                },
            }),
            (period, quantity) => {
                for problem in [period.err(), quantity.err()].into_iter().flatten() {
                    problems.push(problem);
                }
            }
        }
    }
    if problems.has_errors() {
        Err(problems)
    } else {
        Ok(grants)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_become_grants_with_their_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join(APPROVALS_FILE),
            "approvals:\n  - address: \"k/a/b → c/d\"\n    period: \"2026-10\"\n    quantity: \"12\"\n",
        )
        .expect("write");
        let grants = load(dir.path()).expect("valid");
        assert_eq!(grants.len(), 1);
        assert_eq!(grants[0].source, "approvals.yaml:2");
        assert_eq!(grants[0].quantity, Some(Decimal::from(12)));
    }

    #[test]
    fn a_bad_period_is_reported_at_its_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join(APPROVALS_FILE),
            "approvals:\n  - address: x\n    period: October\n    quantity: \"12\"\n",
        )
        .expect("write");
        let problems = load(dir.path()).expect_err("invalid");
        assert_eq!(problems.error_count(), 1);
    }
}
