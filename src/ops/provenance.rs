//! Building a plan's [`Provenance`] at the edge: the one place it reads the clock, the
//! environment (user, host, CI variables) and git for it, so the planner gets it as data.
//!
//! The time honours `SOURCE_DATE_EPOCH` (reproducible-builds.org's variable for "the time this
//! output is dated"), so a rendered plan can be made byte for byte again; tests set it.

use crate::config::Workspace;
use crate::fingerprint;
use crate::provenance::Provenance;
use crate::psa::Psa;
use crate::state::Actor;

/// The provenance of a plan made now, in `workspace`, against `psa`.
pub fn now<P: Psa>(workspace: &Workspace, psa: &P) -> Provenance {
    let actor = Actor::current();
    Provenance {
        tenant: psa.describe(),
        git: fingerprint::git_state(&workspace.root),
        time: time(std::env::var("SOURCE_DATE_EPOCH").ok().as_deref()),
        user: actor.user,
        host: actor.host,
        ci: actor.ci,
        reckon_version: env!("CARGO_PKG_VERSION").to_owned(),
    }
}

/// RFC 3339 (UTC, seconds) of `SOURCE_DATE_EPOCH` when it is a valid epoch, else of now.
fn time(source_date_epoch: Option<&str>) -> String {
    let fixed = source_date_epoch
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0));
    fixed
        .unwrap_or_else(chrono::Utc::now)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_date_epoch_fixes_the_time_and_a_bad_one_is_ignored() {
        assert_eq!(time(Some("1793491200")), "2026-11-01T00:00:00Z");
        assert_ne!(time(Some("next tuesday")), "");
        assert!(time(None).ends_with('Z'));
    }
}
