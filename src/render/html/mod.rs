//! The review page: the plan and the usage table as one self-contained HTML file (inline CSS and
//! a little inline JavaScript, no external resources) for the people who approve billing.
//!
//! Owns the page shell, HTML escaping and the pieces the plan and usage pages share. Like every
//! renderer it only formats what it is given: it computes no quantities and reads nothing.
//! Every name that comes from vendor or PSA data goes through [`escape`].

mod chart;
mod margin;
mod plan;
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

/// One column of a sortable table.
struct Column {
    label: &'static str,
    /// Right-aligned and sorted as a number.
    numeric: bool,
    /// Offers a sort button.
    sortable: bool,
}

impl Column {
    const fn text(label: &'static str) -> Self {
        Self {
            label,
            numeric: false,
            sortable: true,
        }
    }

    const fn number(label: &'static str) -> Self {
        Self {
            label,
            numeric: true,
            sortable: true,
        }
    }

    const fn fixed(label: &'static str) -> Self {
        Self {
            label,
            numeric: false,
            sortable: false,
        }
    }
}

/// The `<thead>` of a sortable table; `selftest` names the column the browser test sorts by.
fn table_head(html: &mut String, columns: &[Column], selftest: &str) {
    html.push_str("<thead>\n<tr>");
    for column in columns {
        let class = if column.numeric { " class=\"n\"" } else { "" };
        let hook = if column.label == selftest {
            " data-selftest"
        } else {
            ""
        };
        if column.sortable {
            let _ = write!(
                html,
                "<th scope=\"col\"{class}{hook}><button type=\"button\">{}</button></th>",
                column.label
            );
        } else {
            let _ = write!(html, "<th scope=\"col\"{class}>{}</th>", column.label);
        }
    }
    html.push_str("</tr>\n</thead>\n");
}

/// The filter form, hidden until the script shows it (without JavaScript it could do nothing).
/// `selects` are (label, column index, options), matching a cell's whole text; `texts` are
/// (label, column index), matching part of it. Rows carry no extra attributes: at 20,000 rows
/// every byte per row counts.
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
         <button type=\"button\" data-charts aria-pressed=\"false\">Open all charts</button>\n\
         <output id=\"shown\" aria-live=\"polite\">{rows} of {rows} shown</output>\n</form>"
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
        for external in ["http://", "https://", "src=", "@import", "url("] {
            assert!(!html.contains(external), "{external} in the page");
        }
    }
}
