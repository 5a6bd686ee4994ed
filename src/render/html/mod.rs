//! The review page: the plan and the usage table as one self-contained HTML file (inline CSS and
//! a little inline JavaScript, no external resources) for the people who approve billing.
//!
//! Owns the page shell, HTML escaping and the pieces the plan and usage pages share. Like every
//! renderer it only formats what it is given: it computes no quantities and reads nothing.
//! Every name that comes from vendor or PSA data goes through [`escape`].

mod amounts;
mod data;
mod margin;
mod plan;
mod provenance;
mod series;
mod usage;

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

pub use margin::margin;
pub use plan::plan;
pub use usage::usage;

const STYLE: &str = include_str!("style.css");
const SCRIPT: &str = include_str!("script.js");

/// `text` safe inside HTML text and double- or single-quoted attribute values.
/// Control characters and bidi overrides become visible escapes ([`super::escape::multiline`]).
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'']) {
        return super::escape::multiline(text);
    }
    let text = &*super::escape::multiline(text);
    let mut out = String::with_capacity(text.len() + 16);
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    Cow::Owned(out)
}

/// Writes the whole document: `title` (plain text) and `body` (HTML already built).
fn page(out: &mut dyn Write, title: &str, body: &str) -> io::Result<()> {
    write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"reckon\">\n<title>{}</title>\n<style>\n{STYLE}</style>\n\
         </head>\n<body>\n{body}<script>\n{SCRIPT}</script>\n</body>\n</html>\n",
        escape(title)
    )
}

/// How the script shows and sorts one column of a data table.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Text, sorted as text.
    Text,
    /// The row's name (`<th scope=row>`), sorted as text.
    RowHeader,
    /// Right-aligned and sorted as a number.
    Number,
    /// A number whose cells are bare JSON numbers where they print back exactly
    /// ([`data::Cell::Number`]); shown and sorted as [`Kind::Number`].
    Quantity,
    /// An amount of money in minor units of the currency ([`amounts`]); `null` is `unknown`.
    Amount,
    /// A line's revenue after and before the change, which the script computes from the unit
    /// price in the cell and the line's quantities ([`amounts`]).
    Revenue,
    /// An action or approval mark whose first symbol gives the cell its colour class.
    Mark,
    /// The button that opens the row's daily-usage chart below it.
    Chart,
}

/// One column of a data table.
#[derive(Clone, Copy)]
struct Column {
    label: &'static str,
    kind: Kind,
}

impl Column {
    const fn text(label: &'static str) -> Self {
        Self::of(label, Kind::Text)
    }

    const fn of(label: &'static str, kind: Kind) -> Self {
        Self { label, kind }
    }
}

/// The `<thead>` of a data table; `selftest` names the column the browser test sorts by. The
/// script reads each column's kind from its `data-k` attribute.
fn table_head(html: &mut String, columns: &[Column], selftest: &str) {
    html.push_str("<thead>\n<tr>");
    for column in columns {
        let (class, kind) = match column.kind {
            Kind::Text => ("", "t"),
            Kind::RowHeader => ("", "h"),
            Kind::Number => (" class=\"n\"", "n"),
            Kind::Quantity => (" class=\"n\"", "q"),
            Kind::Amount => (" class=\"n\"", "$"),
            Kind::Revenue => (" class=\"n\"", "r"),
            Kind::Mark => ("", "m"),
            Kind::Chart => (" class=\"chart\"", "c"),
        };
        let hook = if column.label == selftest {
            " data-selftest"
        } else {
            ""
        };
        let label = column.label;
        if column.kind == Kind::Chart {
            let _ = write!(
                html,
                "<th scope=\"col\"{class} data-k=\"{kind}\">{label}</th>"
            );
        } else {
            let _ = write!(
                html,
                "<th scope=\"col\"{class} data-k=\"{kind}\"{hook}><button type=\"button\">{label}</button></th>"
            );
        }
    }
    html.push_str("</tr>\n</thead>\n");
}

/// The filter form and the pager, hidden until the script shows them (without JavaScript they
/// could do nothing). `selects` are (label, column index, options), matching a cell's whole
/// text; `texts` are (label, column index), matching part of it.
fn filters(
    html: &mut String,
    selects: &[(&str, usize, Vec<String>)],
    texts: &[(&str, usize)],
    rows: usize,
) {
    html.push_str("<form class=\"filters\" hidden>\n");
    for (label, column, options) in selects {
        let _ = write!(
            html,
            "<label>{label}<select data-col=\"{column}\"><option value=\"\">all</option>"
        );
        for option in options {
            let option = escape(option);
            let _ = write!(html, "<option value=\"{option}\">{option}</option>");
        }
        html.push_str("</select></label>\n");
    }
    for (label, column) in texts {
        let _ = writeln!(
            html,
            "<label>{label}<input type=\"search\" data-col=\"{column}\"></label>"
        );
    }
    let _ = writeln!(
        html,
        "<label>Search<input type=\"search\" data-search></label>\n\
         <button type=\"button\" data-charts aria-pressed=\"false\">Open the charts of this page</button>\n\
         <output id=\"shown\" aria-live=\"polite\">{rows} of {rows} shown</output>\n</form>"
    );
}

/// The pager under a data table, hidden until the script fills it.
fn pager(html: &mut String) {
    html.push_str(
        "<nav class=\"pager\" aria-label=\"pages\" hidden><button type=\"button\" data-page=\"-1\">\
         \u{2190} previous</button> <span data-at></span> <button type=\"button\" data-page=\"1\">\
         next \u{2192}</button> <label>rows per page <select data-size><option>25</option>\
         <option selected>100</option><option>500</option></select></label></nav>\n",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<script>alert(1)</script> & \"x\" 'y'"),
            "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot; &#39;y&#39;"
        );
        assert!(matches!(escape("Acme Dental"), Cow::Borrowed(_)));
    }

    #[test]
    fn page_is_self_contained() {
        let mut out = Vec::new();
        page(&mut out, "t <b>", "<p>x</p>\n").expect("test value");
        let html = String::from_utf8(out).expect("test value");
        assert!(html.contains("<title>t &lt;b&gt;</title>"));
        // The SVG namespace is a name the script passes to createElementNS, never fetched.
        let html = html.replace("'http://www.w3.org/2000/svg'", "");
        for external in [
            "http://",
            "https://",
            "src=",
            "href=",
            "@import",
            "url(",
            "fetch(",
            "XMLHttpRequest",
        ] {
            assert!(!html.contains(external), "{external} in the page");
        }
    }
}
