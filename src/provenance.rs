//! Where a plan came from: the PSA tenant it read, the workspace's git commit (and whether the
//! tree was dirty), when it was made, by whom (the CI actor and run, or `user@host`) and with
//! which reckon. One record, built at the edge ([`crate::ops::provenance`]: it reads the clock,
//! the environment and git) and handed to the planner as data, which copies it into the plan;
//! the saved plan keeps it, and the text (`show`), markdown, HTML and JSON outputs show it.
//!
//! Pure data and its wording; reads nothing.

use serde::{Deserialize, Serialize};

use crate::fingerprint::GitState;
use crate::state::CiRun;

/// The provenance of one plan. Its serde form is the `provenance` object of the JSON plan and of
/// the saved plan (one wire shape, documented in the README).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// The PSA as its adapter names it (`sandbox (sandbox/psa.yaml)`,
    /// `ConnectWise (na.myconnectwise.net, company acme)`): kind and tenant.
    pub tenant: String,
    /// The workspace's git state (`None`: not a git work tree, or no git).
    pub git: Option<GitState>,
    /// When the plan was made (RFC 3339, UTC, seconds).
    pub time: String,
    /// The OS user who ran reckon.
    pub user: String,
    /// The host it ran on.
    pub host: String,
    /// The CI run, when CI variables said so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<CiRun>,
    /// The reckon version that made the plan.
    pub reckon_version: String,
}

impl Provenance {
    /// Who made the plan, for people: the CI actor and run when there is one, else `user@host`
    /// (as [`crate::state::Actor::who`] says it).
    pub fn who(&self) -> String {
        crate::state::who(&self.user, &self.host, self.ci.as_ref())
    }

    /// `abc1234 (dirty)`, `abc1234`, or `not in git`.
    pub fn commit(&self) -> String {
        match &self.git {
            Some(git) if git.dirty => format!("{} (uncommitted changes)", short(&git.commit)),
            Some(git) => short(&git.commit).to_owned(),
            None => "not in git".to_owned(),
        }
    }

    /// The facts as (label, value) pairs, in the order every output shows them.
    pub fn facts(&self) -> [(&'static str, String); 5] {
        [
            ("PSA", self.tenant.clone()),
            ("commit", self.commit()),
            ("made", self.time.clone()),
            ("by", self.who()),
            ("reckon", self.reckon_version.clone()),
        ]
    }
}

/// A commit id shortened to 12 characters, as people quote them.
fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Provenance {
        Provenance {
            git: Some(GitState {
                commit: "0123456789abcdef0123".into(),
                dirty: true,
            }),
            ..crate::plan::tests::builder::provenance()
        }
    }

    #[test]
    fn who_is_the_ci_run_when_there_is_one() {
        let mut provenance = sample();
        assert_eq!(provenance.who(), "ann@laptop");
        provenance.ci = Some(CiRun {
            system: "github".into(),
            actor: Some("octocat".into()),
            url: Some("https://github.com/a/b/actions/runs/1".into()),
        });
        assert_eq!(
            provenance.who(),
            "octocat via github (https://github.com/a/b/actions/runs/1)"
        );
    }

    #[test]
    fn the_commit_is_short_and_says_when_the_tree_was_dirty() {
        let mut provenance = sample();
        assert_eq!(provenance.commit(), "0123456789ab (uncommitted changes)");
        provenance.git = None;
        assert_eq!(provenance.commit(), "not in git");
    }
}
