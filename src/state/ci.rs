//! Which CI run is executing reckon, read from the variables CI systems set: the actor and the
//! run's URL, for lock holders, journal records, saved plans and status ("who did it").
//!
//! Owns only the reading of those variables (pure over a lookup function, so tests need no real
//! environment); it never decides anything from them.
//!
//! Sources: GitHub Actions' default variables (`GITHUB_ACTIONS`, `GITHUB_ACTOR`,
//! `GITHUB_SERVER_URL`, `GITHUB_REPOSITORY`, `GITHUB_RUN_ID`; docs.github.com, "Variables
//! reference", Default environment variables) and GitLab CI/CD's predefined variables
//! (`GITLAB_CI`, `GITLAB_USER_LOGIN`, `CI_JOB_URL`; docs.gitlab.com, "Predefined CI/CD variables
//! reference").

use serde::{Deserialize, Serialize};

/// A CI run: who started it and where to see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CiRun {
    /// `github` or `gitlab`.
    pub system: String,
    /// The account that triggered the run (`GITHUB_ACTOR`, `GITLAB_USER_LOGIN`), when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The run's (GitHub) or job's (GitLab) page, when it can be built from the variables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl CiRun {
    /// The CI run described by this process's environment, if any.
    pub fn from_env() -> Option<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The CI run described by `var` (a variable's value by name; empty counts as unset).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Option<Self> {
        let get = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        if get("GITHUB_ACTIONS").as_deref() == Some("true") {
            let url = match (
                get("GITHUB_SERVER_URL"),
                get("GITHUB_REPOSITORY"),
                get("GITHUB_RUN_ID"),
            ) {
                (Some(server), Some(repository), Some(run)) => Some(format!(
                    "{}/{repository}/actions/runs/{run}",
                    server.trim_end_matches('/')
                )),
                _ => None,
            };
            return Some(Self {
                system: "github".into(),
                actor: get("GITHUB_ACTOR"),
                url,
            });
        }
        if get("GITLAB_CI").as_deref() == Some("true") {
            return Some(Self {
                system: "gitlab".into(),
                actor: get("GITLAB_USER_LOGIN"),
                url: get("CI_JOB_URL"),
            });
        }
        None
    }
}

impl std::fmt::Display for CiRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.actor {
            Some(actor) => write!(f, "{actor} via {}", self.system)?,
            None => write!(f, "{}", self.system)?,
        }
        if let Some(url) = &self.url {
            write!(f, " ({url})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn github_run_url_is_built_from_server_repository_and_run_id() {
        let run = CiRun::from_lookup(lookup(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_ACTOR", "octocat"),
            ("GITHUB_SERVER_URL", "https://github.com/"),
            ("GITHUB_REPOSITORY", "acme/billing"),
            ("GITHUB_RUN_ID", "42"),
        ]))
        .expect("a GitHub run");
        assert_eq!(run.actor.as_deref(), Some("octocat"));
        assert_eq!(
            run.url.as_deref(),
            Some("https://github.com/acme/billing/actions/runs/42")
        );
        assert_eq!(
            run.to_string(),
            "octocat via github (https://github.com/acme/billing/actions/runs/42)"
        );
    }

    #[test]
    fn gitlab_uses_its_job_url_and_user_login() {
        let run = CiRun::from_lookup(lookup(&[
            ("GITLAB_CI", "true"),
            ("GITLAB_USER_LOGIN", "ana"),
            ("CI_JOB_URL", "https://gitlab.example/acme/billing/-/jobs/7"),
        ]))
        .expect("a GitLab run");
        assert_eq!(run.system, "gitlab");
        assert_eq!(run.actor.as_deref(), Some("ana"));
        assert_eq!(
            run.url.as_deref(),
            Some("https://gitlab.example/acme/billing/-/jobs/7")
        );
    }

    #[test]
    fn no_ci_variables_means_no_run_and_partial_github_has_no_url() {
        assert_eq!(CiRun::from_lookup(lookup(&[("GITHUB_ACTOR", "x")])), None);
        let run = CiRun::from_lookup(lookup(&[("GITHUB_ACTIONS", "true")])).expect("run");
        assert_eq!((run.actor, run.url), (None, None));
    }
}
