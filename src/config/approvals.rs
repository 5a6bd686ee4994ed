//! `approvals.yaml`: approvals for changes beyond the policy thresholds, committed and reviewed
//! like any other workspace file. Each entry names the plan address, the period and the exact
//! quantity approved, so it expires with the period and never covers a different change.
//!
//! Reads one file and nothing else; the grants it returns are [`Grant`]s of the model, and
//! matching them to changes is the planner's ([`crate::plan::approval`]).

use std::path::Path;

use rust_decimal::Decimal;
use serde::Deserialize;

use super::APPROVALS_FILE;
use super::model::Grant;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::period::Period;
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
    Ok(load_located(root)?.into_iter().map(|l| l.grant).collect())
}

/// A grant and where its address is written (`None` for `--approve`).
#[derive(Debug, Clone)]
pub struct Located {
    /// The grant, its address normalised ([`normalize_address`]).
    pub grant: Grant,
    /// The address's line and column in `approvals.yaml`.
    pub at: Option<crate::diagnostic::Location>,
}

/// The plan address `text` names: `->` (what anyone can type) read as the `→` plans print,
/// with the spaces around it as plans print them. Text that already has `→`, or no arrow at
/// all, is returned as it is.
pub fn normalize_address(text: &str) -> String {
    match text.split_once("->") {
        Some((from, to)) if !text.contains('→') => {
            format!("{} → {}", from.trim_end(), to.trim_start())
        }
        _ => text.to_owned(),
    }
}

/// Why `address` can never be a plan address (`integration/account/service → company/service`)
/// of a workspace with `integrations`, with the nearest integration name when one is close.
pub fn address_problem(address: &str, integrations: &[&str]) -> Option<String> {
    let Some((from, _to)) = address.split_once('→') else {
        return Some(
            "is not a plan address: `integration/account/service → company/service` (→ or ->)"
                .into(),
        );
    };
    let integration = from.split('/').next().unwrap_or_default().trim();
    if integrations.contains(&integration) {
        return None;
    }
    Some(
        match crate::diagnostic::nearest(integration, integrations.iter().copied()) {
            Some(near) => format!(
                "names integration `{integration}`, which does not exist (did you mean `{near}`?)"
            ),
            None => format!(
                "names integration `{integration}`, which does not exist (the workspace has: {})",
                integrations.join(", ")
            ),
        },
    )
}

/// Warnings for the entries of `approvals.yaml` that can never match a plan line, because their
/// address is malformed or names no integration of the workspace (for `validate`).
pub fn address_warnings(root: &Path, grants: &[Located], integrations: &[&str]) -> Diagnostics {
    let file = super::shown_path(root, Path::new(APPROVALS_FILE));
    let mut warnings = Diagnostics::default();
    for located in grants {
        if let Some(problem) = address_problem(&located.grant.address, integrations) {
            warnings.push(
                Diagnostic::warning(
                    &file,
                    located.at,
                    format!("approval address \"{}\" {problem}", located.grant.address),
                )
                .with_hint(
                    "copy the address from `reckon plan` output; it never matches as written",
                ),
            );
        }
    }
    warnings
}

/// Like [`load`], with where each address is written.
pub fn load_located(root: &Path) -> Result<Vec<Located>, Diagnostics> {
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
            (Ok(period), Ok(quantity)) => grants.push(Located {
                grant: Grant {
                    address: normalize_address(&entry.address.value),
                    period: Some(period),
                    quantity: Some(quantity),
                    source: match at {
                        Some(at) => format!("{APPROVALS_FILE}:{}", at.line),
                        None => APPROVALS_FILE.to_owned(),
                    },
                },
                at,
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
    fn an_ascii_arrow_is_read_as_the_arrow_plans_print() {
        let printed = "keeper/Acme Dental/1TB → Acme Dental/KEEPER-1TB";
        for typed in [
            "keeper/Acme Dental/1TB -> Acme Dental/KEEPER-1TB",
            "keeper/Acme Dental/1TB->Acme Dental/KEEPER-1TB",
            printed,
        ] {
            assert_eq!(normalize_address(typed), printed, "{typed}");
        }
        assert_eq!(normalize_address("a → b-> c"), "a → b-> c");
    }

    #[test]
    fn addresses_that_can_never_match_say_why() {
        let names = ["keeper", "pax8"];
        assert_eq!(address_problem("keeper/a/b → c/d", &names), None);
        assert!(
            address_problem("keeper/a/b c/d", &names)
                .is_some_and(|p| p.contains("not a plan address"))
        );
        assert!(
            address_problem("keepr/a/b → c/d", &names)
                .is_some_and(|p| p.contains("did you mean `keeper`"))
        );
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
