//! Approvals that approve nothing: an `approvals.yaml` entry for the plan's period, or an
//! `--approve ADDRESS`, whose address is no line of the plan. Shown as warnings on stderr with
//! the nearest address, so a typo does not silently leave a change held.

use std::path::Path;

use crate::config::approvals::{self, Located};
use crate::config::model::Grant;
use crate::diagnostic::{Diagnostic, Diagnostics, nearest};
use crate::plan::Plan;

/// Prints a warning for each approval of `plan`'s period (from `root/approvals.yaml` and
/// `approve`) that matches no line of `plan`.
pub fn warn_unmatched(style: crate::render::Style, root: &Path, plan: &Plan, approve: &[String]) {
    // The plan was made from this file a moment ago; an unreadable file now has nothing to say.
    let mut grants = approvals::load_located(root).unwrap_or_default();
    grants.extend(approve.iter().map(|address| Located {
        grant: Grant {
            address: approvals::normalize_address(address),
            period: None,
            quantity: None,
            source: "--approve".into(),
        },
        at: None,
    }));
    let warnings = unmatched(root, &grants, plan);
    if !warnings.is_empty() {
        let mut err = crate::render::escape::stderr(style.color);
        let _ = crate::render::diagnostics::text(&mut err, &warnings, style);
    }
}

/// The warnings for `grants` of `plan`'s period whose address is no line of `plan`.
fn unmatched(root: &Path, grants: &[Located], plan: &Plan) -> Diagnostics {
    let file = crate::config::shown_path(root, Path::new(crate::config::APPROVALS_FILE));
    let addresses: Vec<&str> = plan.changes.iter().map(|c| c.address.as_str()).collect();
    let mut warnings = Diagnostics::default();
    for Located { grant, at } in grants {
        if grant.period.is_some_and(|p| p != plan.period)
            || addresses.contains(&grant.address.as_str())
        {
            continue;
        }
        let shown = if grant.source == "--approve" {
            Path::new("--approve")
        } else {
            file.as_path()
        };
        let message = format!(
            "approval for \"{}\" matches no line of the {} plan; nothing is approved by it",
            grant.address, plan.period
        );
        let hint = match nearest(&grant.address, addresses.iter().copied()) {
            Some(near) => format!("the nearest address in the plan is \"{near}\""),
            None => "copy the address from the plan output (→ or -> between the two sides)".into(),
        };
        warnings.push(Diagnostic::warning(shown, *at, message).with_hint(hint));
    }
    warnings
}
