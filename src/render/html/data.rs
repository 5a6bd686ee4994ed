//! The rows of a data table as compact JSON inside the page, for its script to render a page
//! of rows at a time: at 20,000 lines a DOM row per line costs seconds in the browser, while
//! the data costs tens of milliseconds to parse.
//!
//! The format (read by `script.js`): `{"s": [strings…], "r": [[cell…]…]}`. A cell is a number
//! (an index into `s`: names that repeat, such as integrations, accounts and services, are
//! written once), a string (the text itself: quantities, which rarely repeat), `null` (shown as
//! `—`) or a pair `[main, sub]` of those (a second, smaller line under the main text).
//!
//! Owns the encoding and its escaping: every text goes through
//! [`crate::render::escape::multiline`] (control characters and bidi overrides made visible, as
//! in the rest of the page) and then JSON escaping with `<`, `>` and `&` written as `\u003c`…,
//! so no name can end the `<script>` element it sits in. The script only ever puts these texts
//! into the page as text.

use std::collections::HashMap;
use std::fmt::Write as _;

/// One cell's text.
#[derive(Clone, Copy)]
pub enum Cell<'a> {
    /// Text that repeats down the column: written once, referred to by index.
    Shared(&'a str),
    /// Text written in place.
    Own(&'a str),
    /// Nothing to show (`—`).
    Missing,
}

/// The table being written.
#[derive(Default)]
pub struct Rows {
    strings: Vec<String>,
    index: HashMap<String, usize>,
    json: String,
    /// A value was written since the last `[`: the next one needs a comma.
    after_value: bool,
}

impl Rows {
    /// Starts a row.
    pub fn start(&mut self) {
        self.separate();
        self.json.push('[');
        self.after_value = false;
    }

    /// Ends the row started last.
    pub fn end(&mut self) {
        self.json.push(']');
        self.after_value = true;
    }

    /// Adds one cell to the row.
    pub fn cell(&mut self, cell: Cell<'_>) {
        self.separate();
        self.value(cell);
        self.after_value = true;
    }

    /// Adds a cell with a second line: `[main, sub]`.
    pub fn pair(&mut self, main: Cell<'_>, sub: Cell<'_>) {
        self.separate();
        self.json.push('[');
        self.value(main);
        self.json.push(',');
        self.value(sub);
        self.json.push(']');
        self.after_value = true;
    }

    fn separate(&mut self) {
        if self.after_value {
            self.json.push(',');
        }
    }

    fn value(&mut self, cell: Cell<'_>) {
        match cell {
            Cell::Missing => self.json.push_str("null"),
            Cell::Own(text) => string(&mut self.json, text),
            Cell::Shared(text) => {
                let next = self.strings.len();
                let at = *self.index.entry(text.to_owned()).or_insert(next);
                if at == next {
                    self.strings.push(text.to_owned());
                }
                let _ = write!(self.json, "{at}");
            }
        }
    }

    /// Writes `<script type="application/json" id="ID">…</script>`.
    pub fn write(&self, html: &mut String, id: &str) {
        let _ = write!(
            html,
            "<script type=\"application/json\" id=\"{id}\">{{\"s\":["
        );
        for (at, text) in self.strings.iter().enumerate() {
            if at > 0 {
                html.push(',');
            }
            string(html, text);
        }
        html.push_str("],\n\"r\":[");
        html.push_str(&self.json);
        html.push_str("]}</script>\n");
    }
}

/// `text` as a JSON string that is also safe inside a `<script>` element.
fn string(out: &mut String, text: &str) {
    out.push('"');
    for ch in crate::render::escape::multiline(text).chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_names_are_written_once_and_markup_cannot_end_the_script() {
        let mut rows = Rows::default();
        for _ in 0..2 {
            rows.start();
            rows.cell(Cell::Shared("Acme </script><b>"));
            rows.cell(Cell::Own("9.5"));
            rows.pair(
                Cell::Shared("! needs approval"),
                Cell::Own("a \"b\"\u{202e}"),
            );
            rows.cell(Cell::Missing);
            rows.end();
        }
        let mut html = String::new();
        rows.write(&mut html, "d");
        assert_eq!(
            html,
            "<script type=\"application/json\" id=\"d\">{\"s\":[\"Acme \\u003c/script\\u003e\\u003cb\\u003e\",\
             \"! needs approval\"],\n\"r\":[[0,\"9.5\",[1,\"a \\\"b\\\"\\\\u{202e}\"],null],\
             [0,\"9.5\",[1,\"a \\\"b\\\"\\\\u{202e}\"],null]]}</script>\n"
        );
        let json = &html[html.find('{').expect("json")..html.rfind('}').expect("json") + 1];
        let parsed: serde_json::Value = serde_json::from_str(json).expect("valid JSON");
        assert_eq!(parsed["s"][0], "Acme </script><b>");
    }
}
