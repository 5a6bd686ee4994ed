//! One ConnectWise request and its answer: what was asked (method, path, query, JSON body,
//! whether it may be repeated), what came back (body, `Link` paging), and why a request failed,
//! in words that carry URLs and ConnectWise's own messages but never a credential: whatever
//! text came from the server passes a [`Redactor`] first, so an error body echoing the request's
//! headers prints `****` where they were.

use std::sync::Arc;

use reqwest::Method;
use serde::de::DeserializeOwned;

use super::wire;
use crate::secret::Redactor;

/// Why a request produced no usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Failure {
    /// No HTTP answer (refused, dropped, timed out), after every allowed attempt.
    Transport {
        /// What was requested.
        url: String,
        /// The last transport error, sources included.
        reason: String,
        /// Attempts made.
        attempts: u32,
    },
    /// An HTTP error status.
    Status {
        /// The status code.
        status: u16,
        /// ConnectWise's error body, summarised, or the start of the body.
        message: String,
    },
    /// A success whose body reckon cannot read.
    Body {
        /// What was requested.
        url: String,
        /// Why it could not be read.
        reason: String,
    },
    /// The codebase could not be discovered.
    Discovery(String),
    /// Not sent: the address is outside what reckon may reach (see [`crate::psa::http::Outbound`]).
    Refused(String),
}

impl Failure {
    /// Records how many attempts a transport failure took.
    pub(super) fn after(self, attempts: u32) -> Self {
        match self {
            Self::Transport { url, reason, .. } => Self::Transport {
                url,
                reason,
                attempts,
            },
            other => other,
        }
    }
}

/// One request, described once so it can be sent again.
pub(super) struct Request {
    pub(super) method: Method,
    pub(super) path: String,
    pub(super) endpoint: &'static str,
    pub(super) query: Vec<(&'static str, String)>,
    /// JSON, serialised once in field order (a `serde_json::Value` would sort the keys).
    pub(super) body: Option<Vec<u8>>,
    /// Whether a 5xx or a lost connection may be retried (the request is idempotent).
    pub(super) repeatable: bool,
    /// Whether a 404 may mean the codebase moved (false where 404 has another meaning).
    pub(super) may_be_stale: bool,
}

impl Request {
    /// A GET of `path` (below `/apis/3.0/`), counted under `endpoint`.
    pub fn get(path: String, endpoint: &'static str) -> Self {
        Self {
            method: Method::GET,
            path,
            endpoint,
            query: Vec::new(),
            body: None,
            repeatable: true,
            may_be_stale: true,
        }
    }

    /// A PATCH: setting fields to absolute values is idempotent, so it may be repeated.
    pub fn patch(path: String, endpoint: &'static str, body: &impl serde::Serialize) -> Self {
        Self {
            method: Method::PATCH,
            body: Some(json(body)),
            ..Self::get(path, endpoint)
        }
    }

    /// A POST: repeating one after a lost answer could create a record twice, so only a 429
    /// (which ConnectWise sends before doing anything) is retried.
    pub fn post(path: String, endpoint: &'static str, body: &impl serde::Serialize) -> Self {
        Self {
            method: Method::POST,
            body: Some(json(body)),
            repeatable: false,
            ..Self::get(path, endpoint)
        }
    }

    /// A POST that only reads, so may be repeated like a GET: `/system/bundles`, whose 404
    /// means "no bundles on this server" rather than a moved codebase.
    pub fn post_read(path: String, endpoint: &'static str, body: &impl serde::Serialize) -> Self {
        Self {
            repeatable: true,
            may_be_stale: false,
            ..Self::post(path, endpoint, body)
        }
    }

    /// Adds a query parameter.
    pub fn param(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.query.push((name, value.into()));
        self
    }
}

/// `body` as JSON bytes. The wire types are plain structs of strings and numbers, which
/// always serialise; the empty fallback only keeps this free of a panic path.
fn json(body: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(body).unwrap_or_default()
}

/// A successful answer.
pub(super) struct Response {
    pub(super) url: String,
    pub(super) body: Vec<u8>,
    pub(super) link: Option<String>,
    /// Removes credentials from what a body that cannot be read makes serde quote.
    pub(super) redactor: Arc<Redactor>,
}

impl Response {
    /// The body as `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Failure> {
        serde_json::from_slice(&self.body).map_err(|error| Failure::Body {
            url: self.url.clone(),
            reason: self.redactor.redact(&error.to_string()),
        })
    }

    /// The page number of the `Link` header's `rel="next"` entry, if there is one.
    pub(super) fn next_page(&self) -> Option<u32> {
        let next = links(self.link.as_deref()?)
            .into_iter()
            .find(|link| link.has_rel("next"))?;
        let query = next.target.split_once('?')?.1;
        let query = query.split_once('#').map_or(query, |(q, _)| q);
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("page="))
            .and_then(|page| page.parse().ok())
    }
}

/// One link-value of a `Link` header (RFC 8288 §3): its target and its `rel` types.
#[derive(Debug, PartialEq, Eq)]
struct Link<'a> {
    target: &'a str,
    rels: Vec<String>,
}

impl Link<'_> {
    /// Whether `rel` is one of the link's relation types (compared case-insensitively, §2.1.1).
    fn has_rel(&self, rel: &str) -> bool {
        self.rels.iter().any(|r| r.eq_ignore_ascii_case(rel))
    }
}

/// The link-values of a `Link` header, per RFC 8288 §3: `<URI-Reference> *( ";" link-param )`,
/// separated by commas. The target is read up to its closing `>`, so a comma inside it (which
/// RFC 3986 §3.4 allows raw in a query, and ConnectWise writes there) does not split it; a
/// parameter's quoted-string may hold commas and semicolons too. A malformed value ends the
/// parse with the links read so far.
fn links(header: &str) -> Vec<Link<'_>> {
    let mut found = Vec::new();
    let mut rest = header;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        let Some(after) = rest.strip_prefix('<') else {
            return found;
        };
        let Some((target, params)) = after.split_once('>') else {
            return found;
        };
        let (rels, next) = link_params(params);
        found.push(Link { target, rels });
        rest = next;
    }
}

/// Reads `; name=value` parameters up to the comma ending the link-value; returns the `rel`
/// types and what follows that comma.
fn link_params(mut text: &str) -> (Vec<String>, &str) {
    let mut rels = Vec::new();
    loop {
        text = text.trim_start_matches([' ', '\t']);
        match text.chars().next() {
            Some(';') => text = &text[1..],
            Some(',') | None => return (rels, text.get(1..).unwrap_or("")),
            // Not a parameter: skip to the next link-value.
            Some(_) => {
                let end = text.find(',').unwrap_or(text.len());
                text = &text[end..];
                continue;
            }
        }
        text = text.trim_start_matches([' ', '\t']);
        let name_end = text.find(['=', ';', ',']).unwrap_or(text.len());
        let name = text[..name_end].trim();
        text = &text[name_end..];
        let mut value = String::new();
        if let Some(after) = text.strip_prefix('=') {
            let (read, remaining) = param_value(after.trim_start_matches([' ', '\t']));
            value = read;
            text = remaining;
        }
        if name.eq_ignore_ascii_case("rel") {
            rels.extend(value.split_ascii_whitespace().map(str::to_owned));
        }
    }
}

/// A parameter value, a token or a quoted-string (RFC 9110 §5.6.4, with `\` escapes), and the
/// text after it.
fn param_value(text: &str) -> (String, &str) {
    let Some(quoted) = text.strip_prefix('"') else {
        let end = text.find([';', ',']).unwrap_or(text.len());
        return (text[..end].trim().to_owned(), &text[end..]);
    };
    let mut value = String::new();
    let mut chars = quoted.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return (value, &quoted[at + 1..]),
            '\\' => {
                if let Some((_, escaped)) = chars.next() {
                    value.push(escaped);
                }
            }
            other => value.push(other),
        }
    }
    (value, "")
}

/// ConnectWise's `{code, message, errors[]}` summarised, or the start of a non-JSON body; with
/// credentials redacted before it is cut (so no prefix of one survives the cut).
pub(super) fn error_message(body: &[u8], redactor: &Redactor) -> String {
    if let Ok(error) = serde_json::from_slice::<wire::ErrorBody>(body)
        && (error.code.is_some() || error.message.is_some())
    {
        return redactor.redact(&error.summary());
    }
    crate::psa::http::short_text(&redactor.redact(&String::from_utf8_lossy(body)))
}

/// A failure in words, without the action it interrupted.
pub(super) fn describe(failure: &Failure) -> String {
    match failure {
        Failure::Transport {
            url,
            reason,
            attempts,
        } => format!("got no answer from {url} ({reason}; {attempts} attempt(s))"),
        Failure::Status { status, message } => format!("HTTP {status}: {message}"),
        Failure::Body { url, reason } => format!("cannot read the answer from {url}: {reason}"),
        Failure::Discovery(reason) | Failure::Refused(reason) => reason.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_link(link: Option<&str>) -> Response {
        Response {
            url: "http://cw/x".into(),
            body: Vec::new(),
            link: link.map(str::to_owned),
            redactor: Arc::default(),
        }
    }

    #[test]
    fn the_next_page_comes_from_the_link_header() {
        let link = "<https://cw/v/apis/3.0/company/companies?conditions=a%3D1&pageSize=1000&page=3>; \
                    rel=\"next\", <https://cw/v/apis/3.0/company/companies?pageSize=1000&page=9>; \
                    rel=\"last\"";
        assert_eq!(with_link(Some(link)).next_page(), Some(3));
        let last = "<https://cw/x?page=1>; rel=\"first\", <https://cw/x?page=8>; rel=\"prev\"";
        assert_eq!(with_link(Some(last)).next_page(), None);
        assert_eq!(with_link(None).next_page(), None);
    }

    #[test]
    fn a_next_link_with_raw_commas_in_its_query_is_read_whole() {
        // RFC 3986 §3.4 allows a raw comma in a query; RFC 8288 §3 delimits the target by <…>.
        let link = "<https://cw/v/apis/3.0/company/companies?conditions=deletedFlag=false&fields=id,name&pageSize=1000&page=2>; rel=\"next\", \
                    <https://cw/v/apis/3.0/company/companies?fields=id,name&pageSize=1000&page=5>; rel=\"last\"";
        assert_eq!(with_link(Some(link)).next_page(), Some(2));
        let first = "<https://cw/x?fields=a,b&page=1>; rel=\"first\", <https://cw/x?fields=a,b&page=4>; rel=next";
        assert_eq!(with_link(Some(first)).next_page(), Some(4), "a token rel");
        let several = "<https://cw/x?page=7>; title=\"a, b; c\"; rel=\"prefetch NEXT\"";
        assert_eq!(
            with_link(Some(several)).next_page(),
            Some(7),
            "quoted commas, rel list"
        );
        assert_eq!(with_link(Some("garbage")).next_page(), None);
    }

    #[test]
    fn error_bodies_are_summarised_or_cut() {
        let body = br#"{"code":"NotFound","message":"Agreement not found","errors":[]}"#;
        let none = Redactor::new();
        assert_eq!(error_message(body, &none), "NotFound: Agreement not found");
        assert_eq!(error_message(b"", &none), "no error message");
        let html = "<html>".repeat(100);
        let cut = error_message(html.as_bytes(), &none);
        assert!(cut.ends_with('…') && cut.chars().count() == 201, "{cut}");
    }

    #[test]
    fn an_echoed_credential_is_redacted_before_the_body_is_cut() {
        let key = crate::secret::Secret::new("private-key-0123456789");
        let redactor = Redactor::new().secret(&key);
        // The key straddles the 200-character cut: redacting after cutting would leave its start.
        let body = format!("{}{}", "x".repeat(190), key.expose());
        let text = error_message(body.as_bytes(), &redactor);
        assert!(!text.contains("private-key"), "{text}");
        assert!(text.ends_with("****"), "{text}");
        let json = format!(
            r#"{{"code":"Unauthorized","message":"bad key {}"}}"#,
            key.expose()
        );
        assert_eq!(
            error_message(json.as_bytes(), &redactor),
            "Unauthorized: bad key ****"
        );
    }
}
