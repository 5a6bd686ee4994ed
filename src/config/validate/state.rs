//! Validation of `reckon.yaml`'s `state:` block: which backend keeps the lock, the journal and
//! the history, and for PostgreSQL the URL (a credential: a literal is refused, never echoed)
//! and the schema name.
//!
//! Reports through the parent's [`Checker`]; connects to nothing.

use super::Checker;
use crate::config::model::StateConfig;
use crate::config::raw::{RawState, StateBackend};

/// The schema when `state.schema` is not given.
pub const DEFAULT_SCHEMA: &str = "reckon";

/// The validated `state:` block (`Local` when absent), or `None` after reporting why not.
pub(super) fn state(check: &mut Checker<'_>, raw: Option<&RawState>) -> Option<StateConfig> {
    let Some(raw) = raw else {
        return Some(StateConfig::Local);
    };
    match raw.backend.value {
        StateBackend::Local => {
            for (field, present) in [("url", raw.url.is_some()), ("schema", raw.schema.is_some())] {
                if present {
                    check.error(
                        &raw.backend,
                        format!("state.{field} is only for `backend: postgres`"),
                        Some(format!(
                            "remove state.{field}, or write `backend: postgres`"
                        )),
                    );
                }
            }
            Some(StateConfig::Local)
        }
        StateBackend::Postgres => {
            let url = match &raw.url {
                Some(url) => Some(check.credential(url, "state.url")?),
                None => None,
            };
            let schema = match &raw.schema {
                None => DEFAULT_SCHEMA.to_owned(),
                Some(schema) if is_identifier(&schema.value) => schema.value.clone(),
                Some(schema) => {
                    check.error(
                        schema,
                        format!("state.schema `{}` is not a plain schema name", schema.value),
                        Some(
                            "use lower-case letters, digits and `_` (at most 63), e.g. `reckon`"
                                .into(),
                        ),
                    );
                    return None;
                }
            };
            Some(StateConfig::Postgres { url, schema })
        }
    }
}

/// A PostgreSQL identifier that needs no quoting: `[a-z_][a-z0-9_]*`, at most 63 bytes.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 63
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::is_identifier;

    #[test]
    fn schema_names_are_plain_identifiers() {
        for ok in ["reckon", "_r2", "acme_billing"] {
            assert!(is_identifier(ok), "{ok}");
        }
        for bad in [
            "",
            "Reckon",
            "1st",
            "a-b",
            "a;drop",
            "\"x\"",
            &"a".repeat(64),
        ] {
            assert!(!is_identifier(bad), "{bad}");
        }
    }
}
