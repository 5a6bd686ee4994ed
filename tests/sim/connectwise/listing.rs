//! List endpoints as ConnectWise serves them: `conditions` filtering, `fields` trimming, and
//! `page`/`pageSize` paging (default 25, at most 1000) with a `Link` header.
//!
//! The `Link` header's URLs carry the request's own parameters with commas left raw
//! (`fields=id,name`), as ConnectWise writes them (issue 14, reproduced against its Link
//! header; RFC 3986 §3.4 allows a raw comma in a query): a client that splits the header on
//! commas before reading the `<…>` target loses the next page.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::api::Json;

/// A list request's paging, filtering and trimming.
pub(super) struct Listing<'a> {
    pub(super) query: &'a [(String, String)],
    pub(super) url: String,
    /// Whether to leave `rel="next"` out of the `Link` header (a lost link, for tests).
    pub(super) drop_next: bool,
}

impl Listing<'_> {
    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(super) fn list(&self, items: &[Value]) -> Response {
        let page: usize = match self.param("page").map(str::parse).unwrap_or(Ok(1)) {
            Ok(page) if page >= 1 => page,
            _ => return out_of_range("page"),
        };
        let size: usize = match self.param("pageSize").map(str::parse).unwrap_or(Ok(25)) {
            Ok(size) if (1..=1000).contains(&size) => size,
            _ => return out_of_range("pageSize"),
        };
        let mut kept = Vec::new();
        for item in items {
            match self.param("conditions").map(|c| matches(item, c)) {
                Some(Err(problem)) => {
                    let body = json!({"code": "InvalidObject", "message": problem, "errors": []});
                    return (StatusCode::BAD_REQUEST, Json(body)).into_response();
                }
                Some(Ok(false)) => {}
                Some(Ok(true)) | None => kept.push(item),
            }
        }
        let pages = kept.len().div_ceil(size).max(1);
        let shown: Vec<Value> = kept
            .into_iter()
            .skip((page - 1) * size)
            .take(size)
            .map(|item| self.trim(item))
            .collect();
        let mut links = Vec::new();
        if page < pages && !self.drop_next {
            links.push(format!("<{}>; rel=\"next\"", self.page_url(page + 1)));
            links.push(format!("<{}>; rel=\"last\"", self.page_url(pages)));
        }
        if page > 1 {
            links.push(format!("<{}>; rel=\"prev\"", self.page_url(page - 1)));
            links.push(format!("<{}>; rel=\"first\"", self.page_url(1)));
        }
        let mut response = Json(Value::Array(shown)).into_response();
        if !links.is_empty() {
            response
                .headers_mut()
                .insert(header::LINK, links.join(", ").parse().expect("link header"));
        }
        response
    }

    fn page_url(&self, page: usize) -> String {
        let mut pairs: Vec<String> = self
            .query
            .iter()
            .filter(|(k, _)| k != "page")
            .map(|(k, v)| format!("{}={}", query_escape(k), query_escape(v)))
            .collect();
        pairs.push(format!("page={page}"));
        format!("{}?{}", self.url, pairs.join("&"))
    }

    /// Keeps only the top-level fields named in `fields`, as ConnectWise does.
    fn trim(&self, item: &Value) -> Value {
        let (Some(fields), Value::Object(all)) = (self.param("fields"), item) else {
            return item.clone();
        };
        let wanted: Vec<&str> = fields.split(',').map(str::trim).collect();
        Value::Object(
            all.iter()
                .filter(|(k, _)| wanted.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    }
}

/// Percent-encodes what a query parameter cannot hold raw (RFC 3986 §3.4: `&`, `=`, `#`, `+`,
/// spaces, quotes, `<>`), leaving the other sub-delims (commas above all) as they are.
fn query_escape(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        let raw = byte.is_ascii_alphanumeric() || b"-._~!$'()*,;:@/?".contains(&byte);
        if raw {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn out_of_range(field: &str) -> Response {
    let body = json!({
        "code": "InvalidObject",
        "message": format!("{field} object is invalid"),
        "errors": [{"code": "OutOfRange", "message": format!("{field} is out of range"), "field": field}]
    });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// Evaluates `field=value and other!=value` against `item`.
fn matches(item: &Value, conditions: &str) -> Result<bool, String> {
    let lower = conditions.to_lowercase();
    let mut clauses = Vec::new();
    let mut start = 0;
    while let Some(found) = lower[start..].find(" and ") {
        clauses.push(&conditions[start..start + found]);
        start += found + 5;
    }
    clauses.push(&conditions[start..]);
    for clause in clauses {
        let (field, negated, literal) = if let Some((f, v)) = clause.split_once("!=") {
            (f, true, v)
        } else if let Some((f, v)) = clause.split_once('=') {
            (f, false, v)
        } else {
            return Err(format!("conditions: cannot parse \"{clause}\""));
        };
        let literal = literal_value(literal.trim())
            .ok_or_else(|| format!("conditions: cannot parse value in \"{clause}\""))?;
        let mut actual = item;
        for part in field.trim().split('/') {
            actual = actual.get(part).unwrap_or(&Value::Null);
        }
        let equal = match (&literal, actual) {
            (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
            (a, b) => a == b,
        };
        if equal == negated {
            return Ok(false);
        }
    }
    Ok(true)
}

fn literal_value(text: &str) -> Option<Value> {
    let quoted = |q: char| {
        text.strip_prefix(q)
            .and_then(|t| t.strip_suffix(q))
            .map(|t| Value::String(t.to_owned()))
    };
    match text {
        "true" => Some(Value::Bool(true)),
        "false" => Some(Value::Bool(false)),
        "null" => Some(Value::Null),
        _ => quoted('"').or_else(|| quoted('\'')).or_else(|| {
            serde_json::from_str::<serde_json::Number>(text)
                .ok()
                .map(Value::Number)
        }),
    }
}
