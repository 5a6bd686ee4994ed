//! Secrets: values that must never be printed, and the references config uses to find them.
//!
//! A [`Secret`] prints as `****` through both `Display` and `Debug`, so it cannot leak through an
//! error chain or a log line by accident. Config never holds a secret literally; it holds a
//! [`CredentialRef`] (`{env: NAME}` or `{file: path}`) that is resolved only by commands that
//! connect to a PSA.

use std::fmt;
use std::path::{Path, PathBuf};

/// A credential value. Reading it takes an explicit call to [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value read from the environment or a file.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for building an auth header. Never format the result.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

/// Where a credential comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialRef {
    /// An environment variable's name.
    Env(String),
    /// A file (relative paths are relative to the workspace) whose content, trimmed, is the value.
    File(PathBuf),
}

/// A credential that could not be read. Never carries the value itself.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// The named environment variable is not set (or not valid UTF-8).
    #[error("environment variable {name} is not set (needed for {field})")]
    EnvNotSet {
        /// Variable name.
        name: String,
        /// Which config field asked for it, e.g. `psa.secret`.
        field: String,
    },
    /// The credential file could not be read.
    #[error("cannot read credential file {} for {field}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// Which config field asked for it.
        field: String,
        /// Why.
        source: crate::fsio::ReadError,
    },
    /// The variable or file exists but is empty.
    #[error("credential for {field} is empty ({origin})")]
    Empty {
        /// Which config field asked for it.
        field: String,
        /// `env NAME` or `file PATH`.
        origin: String,
    },
}

impl CredentialRef {
    /// Reads the credential. `field` names the config field in errors; `root` anchors relative
    /// file paths.
    pub fn resolve(&self, root: &Path, field: &str) -> Result<Secret, CredentialError> {
        let (value, origin) = match self {
            Self::Env(name) => {
                let value = std::env::var(name).map_err(|_| CredentialError::EnvNotSet {
                    name: name.clone(),
                    field: field.to_owned(),
                })?;
                (value, format!("env {name}"))
            }
            Self::File(path) => {
                let full = root.join(path);
                // Anywhere: a credential file may be a link into a secret store; its content is
                // never printed. Regular and bounded: a FIFO or `/dev/zero` must not hang reckon.
                let within = crate::fsio::Within::Anywhere;
                let value = crate::fsio::read::text(&full, within, crate::fsio::limit::CREDENTIAL)
                    .map_err(|source| CredentialError::File {
                        path: full.clone(),
                        field: field.to_owned(),
                        source,
                    })?;
                (value, format!("file {}", path.display()))
            }
        };
        let value = value.trim();
        if value.is_empty() {
            return Err(CredentialError::Empty {
                field: field.to_owned(),
                origin,
            });
        }
        Ok(Secret::new(value))
    }

    /// Whether the reference can be resolved right now (for `validate` warnings).
    pub fn is_available(&self, root: &Path) -> bool {
        self.resolve(root, "").is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_format_their_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret}"), "****");
        assert_eq!(format!("{secret:?}"), "****");
        assert_eq!(format!("{:?}", Some(&secret)), "Some(****)");
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn missing_env_var_names_the_variable_and_field_but_no_value() {
        let reference = CredentialRef::Env("RECKON_TEST_SURELY_UNSET_VAR".into());
        let error = reference
            .resolve(Path::new("."), "psa.secret")
            .expect_err("unset");
        assert_eq!(
            error.to_string(),
            "environment variable RECKON_TEST_SURELY_UNSET_VAR is not set (needed for psa.secret)"
        );
    }

    #[test]
    fn file_credentials_are_trimmed_and_relative_to_the_workspace() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("key"), "s3cret\n").expect("write");
        let secret = CredentialRef::File("key".into()).resolve(dir.path(), "psa.secret");
        assert_eq!(secret.expect("resolved").expose(), "s3cret");
    }
}
