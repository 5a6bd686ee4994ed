//! Reaching the state database: the `state.url` credential completed with libpq's PG*
//! variables, TLS through rustls, and errors that never carry the URL or its password.
//!
//! Owns the connection settings and nothing about what is stored.

use std::time::Duration;

use tokio_postgres::Client;
use tokio_postgres::config::SslMode;

use crate::secret::{Redactor, Secret};

/// How long to wait for the server to answer a connection attempt.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the database is, with the password kept out of every message.
#[derive(Clone)]
pub struct Target {
    config: tokio_postgres::Config,
    redactor: Redactor,
    /// `host:port/db` for messages (no user, no password).
    pub label: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Target({})", self.label)
    }
}

/// A problem reaching or using the database, already free of credentials.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct DbError(pub String);

impl DbError {
    /// As an I/O error, for the journal's [`crate::state::journal::Sink`].
    pub fn into_io(self) -> std::io::Error {
        std::io::Error::other(self.0)
    }
}

impl Target {
    /// The target `url` names (a `postgres://` URL or a libpq `key=value` string), its gaps
    /// filled from `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE` and `PGSSLMODE`
    /// (all of it from them when `url` is `None`).
    pub fn new(url: Option<&Secret>) -> Result<Self, DbError> {
        Self::from_lookup(url, |name| std::env::var(name).ok())
    }

    /// [`Target::new`] over a variable lookup (tests need no real environment).
    pub fn from_lookup(
        url: Option<&Secret>,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, DbError> {
        let var = |name: &str| var(name).filter(|v| !v.is_empty());
        let text = url.map(Secret::expose).unwrap_or("");
        let mut config: tokio_postgres::Config = if text.is_empty() {
            tokio_postgres::Config::new()
        } else {
            text.parse().map_err(|_| {
                DbError(
                    "state.url is not a postgres:// URL (or a libpq key=value string); \
                     its value is not shown because it holds a password"
                        .into(),
                )
            })?
        };
        if config.get_hosts().is_empty() {
            config.host(var("PGHOST").unwrap_or_else(|| "localhost".into()));
        }
        if let (true, Some(port)) = (config.get_ports().is_empty(), var("PGPORT")) {
            let port = port
                .parse()
                .map_err(|_| DbError(format!("PGPORT `{port}` is not a port number")))?;
            config.port(port);
        }
        if let (None, Some(user)) = (config.get_user(), var("PGUSER")) {
            config.user(user);
        }
        if let (None, Some(password)) = (config.get_password(), var("PGPASSWORD")) {
            config.password(password);
        }
        if let (None, Some(db)) = (config.get_dbname(), var("PGDATABASE")) {
            config.dbname(db);
        }
        if let (false, Some(mode)) = (text.contains("sslmode"), var("PGSSLMODE")) {
            config.ssl_mode(ssl_mode(&mode)?);
        }
        config.connect_timeout(CONNECT_TIMEOUT);
        config.application_name("reckon");
        let mut redactor = Redactor::new();
        if let Some(password) = config.get_password() {
            redactor = redactor.secret(&Secret::new(String::from_utf8_lossy(password)));
        }
        if !text.is_empty() {
            redactor = redactor.secret(&Secret::new(text));
        }
        let label = label(&config);
        Ok(Self {
            config,
            redactor,
            label,
        })
    }

    /// A new connection, its I/O driven by a task of the current runtime.
    pub async fn connect(&self) -> Result<Client, DbError> {
        let tls = tls()?;
        let (client, connection) = self
            .config
            .connect(tls)
            .await
            .map_err(|e| self.error(&format!("cannot connect to {}", self.label), &e))?;
        // Ends when the client is dropped or the connection is lost; a lost connection shows
        // as an error on the next query (and releases the advisory lock server-side).
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(client)
    }

    /// `context: error`, with every form of the URL and the password removed.
    pub fn error(&self, context: &str, error: &tokio_postgres::Error) -> DbError {
        let detail = match error.as_db_error() {
            Some(db) => db.message().to_owned(),
            None => error_chain(error),
        };
        DbError(self.redactor.redact(&format!(
            "{context} (state database {}): {detail}",
            self.label
        )))
    }
}

/// `disable`, `prefer` and `require` as libpq means them; `verify-ca` and `verify-full` are
/// `require` (reckon always verifies the server's certificate when it uses TLS).
fn ssl_mode(mode: &str) -> Result<SslMode, DbError> {
    match mode {
        "disable" => Ok(SslMode::Disable),
        "allow" | "prefer" => Ok(SslMode::Prefer),
        "require" | "verify-ca" | "verify-full" => Ok(SslMode::Require),
        other => Err(DbError(format!(
            "PGSSLMODE `{other}` is not one of disable, prefer, require, verify-ca, verify-full"
        ))),
    }
}

/// rustls with the platform's certificate verifier: the same TLS stack, crypto provider
/// (aws-lc-rs) and trust roots as the PSA clients (reqwest).
fn tls() -> Result<tokio_postgres_rustls::MakeRustlsConnect, DbError> {
    use rustls_platform_verifier::ConfigVerifierExt;
    let config = rustls::ClientConfig::with_platform_verifier()
        .map_err(|e| DbError(format!("cannot set up TLS for the state database: {e}")))?;
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

fn label(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
        Some(tokio_postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres");
    format!("{host}:{port}/{db}")
}

fn error_chain(error: &tokio_postgres::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn pg_variables_fill_what_the_url_leaves_out() {
        let url = Secret::new("postgres://ann:pw-s3cret@db.example:6543");
        let vars = [
            ("PGHOST", "other"),
            ("PGPORT", "1"),
            ("PGDATABASE", "billing"),
            ("PGPASSWORD", "nope"),
        ];
        let target = Target::from_lookup(Some(&url), env(&vars)).expect("target");
        assert_eq!(target.label, "db.example:6543/billing");
        assert_eq!(target.config.get_password(), Some(&b"pw-s3cret"[..]));
        assert_eq!(target.config.get_user(), Some("ann"));

        let only_env = [
            ("PGHOST", "/run/pg"),
            ("PGUSER", "bob"),
            ("PGSSLMODE", "require"),
        ];
        let target = Target::from_lookup(None, env(&only_env)).expect("target");
        assert_eq!(target.label, "/run/pg:5432/bob");
        assert_eq!(target.config.get_ssl_mode(), SslMode::Require);
    }

    #[test]
    fn a_bad_url_is_refused_without_echoing_it() {
        let url = Secret::new("postgres://ann:pw-s3cret@db.example:notaport");
        let error = Target::from_lookup(Some(&url), |_| None).expect_err("bad url");
        assert!(!error.0.contains("pw-s3cret"), "{error}");
        assert!(error.0.contains("state.url"), "{error}");
    }
}
