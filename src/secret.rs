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

/// Removes credentials from text that came from outside (a PSA's error body, a name it
/// returned) before reckon prints it: a server that echoes the request's headers must not get
/// them into a terminal or a CI log. Each credential is matched as it is, base64-encoded, and as
/// the base64 of the `user:password` pairs sent as Basic auth, padded or not; every match
/// becomes `****`. Values shorter than [`Redactor::MIN_LEN`] are left alone (redacting `ab`
/// would mangle ordinary words, and no PSA issues such credentials).
#[derive(Clone, Default)]
pub struct Redactor {
    /// Every form to remove, longest first (so a longer form is never cut by a shorter one).
    forms: Vec<String>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} forms)", self.forms.len())
    }
}

impl Redactor {
    /// The shortest value redacted.
    pub const MIN_LEN: usize = 4;

    /// A redactor removing nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also removes `secret`, raw and base64-encoded.
    pub fn secret(self, secret: &Secret) -> Self {
        let raw = secret.expose();
        self.form(raw).form(&base64(raw.as_bytes()))
    }

    /// Also removes the Basic-auth encoding of `user:password`.
    pub fn basic(self, user: &str, password: &Secret) -> Self {
        let pair = format!("{user}:{}", password.expose());
        self.form(&base64(pair.as_bytes()))
    }

    fn form(mut self, form: &str) -> Self {
        let mut add = |text: &str| {
            if text.chars().count() >= Self::MIN_LEN && !self.forms.iter().any(|f| f == text) {
                self.forms.push(text.to_owned());
            }
        };
        add(form);
        add(form.trim_end_matches('='));
        self.forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
        self
    }

    /// `text` with every form replaced by `****`.
    pub fn redact(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for form in &self.forms {
            if text.contains(form.as_str()) {
                text = text.replace(form.as_str(), "****");
            }
        }
        text
    }
}

/// Standard base64 with padding (RFC 4648 §4), as Basic auth uses.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod redactor_tests {
    use super::*;

    #[test]
    fn every_form_of_a_credential_is_redacted() {
        let public = Secret::new("pub-key-1");
        let private = Secret::new("priv-key-2");
        let redactor = Redactor::new()
            .secret(&public)
            .secret(&private)
            .basic("acme+pub-key-1", &private);
        // base64("acme+pub-key-1:priv-key-2"), worked out independently.
        let basic = "YWNtZStwdWIta2V5LTE6cHJpdi1rZXktMg==";
        let echoed = format!(
            "denied: Authorization: Basic {basic}; raw priv-key-2 / pub-key-1; \
             unpadded {}; b64 {}",
            basic.trim_end_matches('='),
            "cHJpdi1rZXktMg=="
        );
        assert_eq!(
            redactor.redact(&echoed),
            "denied: Authorization: Basic ****; raw **** / ****; unpadded ****; b64 ****"
        );
        assert_eq!(redactor.redact("nothing here"), "nothing here");
    }

    #[test]
    fn very_short_values_are_left_alone() {
        let redactor = Redactor::new().secret(&Secret::new("ab"));
        assert_eq!(redactor.redact("a table"), "a table");
    }
}

/// Where a credential comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialRef {
    /// An environment variable's name.
    Env(String),
    /// A file whose content, trimmed, is the value: an absolute path, or one relative to the
    /// workspace — anywhere, inside the workspace or not (`/run/secrets/…` mounts).
    File(PathBuf),
}

/// The permission bits of the file at `path` when users other than its owner and group may
/// read it (`o+r`); `None` when they may not, or it cannot be inspected.
pub fn readable_by_others(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o004 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
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
