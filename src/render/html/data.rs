//! The rows of a data table as compact JSON inside the page, for its script to render a page
//! of rows at a time: at 20,000 lines a DOM row per line costs seconds in the browser, while
//! the data costs tens of milliseconds to parse.
//!
//! The format (read by `script.js`): `{"s": [strings…], "k": {"COLUMN": cell…}, "r": [[cell…]…]}`.
//! A cell is a number (in a text column an index into `s`: names that repeat, such as
//! integrations, accounts and services, are written once; in a number column the number
//! itself, see [`Cell::Number`]), a string (the text itself), `null` (shown as `—`) or a pair
//! `[main, sub]` of those (a second, smaller line under the main text). A column whose cell is
//! the same in every row (one integration, one rounding) is written once, in `k`, and left out
//! of the rows: the script puts it back.
//!
//! Owns the encoding and its escaping: every text goes through
//! [`crate::render::escape::multiline`] (control characters and bidi overrides made visible, as
//! in the rest of the page) and then JSON escaping with `<`, `>` and `&` written as `\u003c`…,
//! so no name can end the `<script>` element it sits in. The script only ever puts these texts
//! into the page as text.

use std::collections::HashMap;
use std::fmt::Write as _;

use rust_decimal::Decimal;

/// One cell's text.
#[derive(Clone, Copy)]
pub enum Cell<'a> {
    /// Text that repeats down the column: written once, referred to by index.
    Shared(&'a str),
    /// Text written in place.
    Own(&'a str),
    /// Nothing to show (`—`).
    Missing,
    /// A number shown as it is (a quantity, a usage), for a number column: a JSON number when
    /// the browser prints it back as the same text (see [`number`]), else its text.
    Number(Decimal),
    /// A whole number, for a column whose script knows what it counts (an amount in minor
    /// units of the currency).
    Integer(i64),
}

/// The table being written: each row's cells as JSON, so that a column the same in every row
/// can be written once.
#[derive(Default)]
pub struct Rows {
    strings: Vec<String>,
    index: HashMap<String, usize>,
    rows: Vec<Vec<String>>,
}

impl Rows {
    /// Starts a row.
    pub fn start(&mut self) {
        self.rows.push(Vec::new());
    }

    /// Ends the row started last.
    pub fn end(&mut self) {}

    /// Adds one cell to the row.
    pub fn cell(&mut self, cell: Cell<'_>) {
        let mut json = String::new();
        self.value(&mut json, cell);
        self.push(json);
    }

    /// Adds a cell with a second line: `[main, sub]`.
    pub fn pair(&mut self, main: Cell<'_>, sub: Cell<'_>) {
        let mut json = String::from("[");
        self.value(&mut json, main);
        json.push(',');
        self.value(&mut json, sub);
        json.push(']');
        self.push(json);
    }

    fn push(&mut self, json: String) {
        if self.rows.is_empty() {
            self.start();
        }
        if let Some(row) = self.rows.last_mut() {
            row.push(json);
        }
    }

    fn value(&mut self, json: &mut String, cell: Cell<'_>) {
        match cell {
            Cell::Missing => json.push_str("null"),
            Cell::Own(text) => string(json, text),
            Cell::Shared(text) => {
                let next = self.strings.len();
                let at = *self.index.entry(text.to_owned()).or_insert(next);
                if at == next {
                    self.strings.push(text.to_owned());
                }
                let _ = write!(json, "{at}");
            }
            Cell::Number(value) => number(json, value),
            Cell::Integer(value) => {
                let _ = write!(json, "{value}");
            }
        }
    }

    /// The columns whose cell is the same in every row (of two rows or more), by index.
    fn constant(&self) -> Vec<usize> {
        let Some((first, rest)) = self.rows.split_first() else {
            return Vec::new();
        };
        if rest.is_empty() {
            return Vec::new();
        }
        (0..first.len())
            .filter(|&col| rest.iter().all(|row| row.get(col) == first.get(col)))
            .collect()
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
        html.push_str("],\n\"k\":{");
        let constant = self.constant();
        let first = self.rows.first();
        for (at, col) in constant.iter().enumerate() {
            if at > 0 {
                html.push(',');
            }
            let cell = first
                .and_then(|row| row.get(*col))
                .map_or("null", String::as_str);
            let _ = write!(html, "\"{col}\":{cell}");
        }
        html.push_str("},\n\"r\":[");
        for (at, row) in self.rows.iter().enumerate() {
            if at > 0 {
                html.push(',');
            }
            html.push('[');
            let cells = row
                .iter()
                .enumerate()
                .filter(|(col, _)| !constant.contains(col));
            for (n, (_, cell)) in cells.enumerate() {
                if n > 0 {
                    html.push(',');
                }
                html.push_str(cell);
            }
            html.push(']');
        }
        html.push_str("]}</script>\n");
    }
}

/// The most significant digits a JSON number may have for the browser to print it back as the
/// same text: every decimal of at most 15 significant digits is the shortest text of the
/// double nearest to it, which is what JavaScript's `String(number)` prints.
const ROUND_TRIP_DIGITS: u32 = 15;

/// `value` as a JSON number that the script's `String(n)` prints as `value.normalize()`
/// prints it: at most [`ROUND_TRIP_DIGITS`] significant digits, and between 1e-6 and 1e15 in
/// size (JavaScript writes smaller and larger numbers with an exponent). Else its text.
fn number(json: &mut String, value: Decimal) {
    let value = value.normalize();
    let text = value.to_string();
    let digits = text.trim_start_matches(['-', '0', '.']).replace('.', "");
    let size = value.abs();
    let fits = digits.len() <= ROUND_TRIP_DIGITS as usize
        && size >= Decimal::new(1, 6)
        && size < Decimal::from(1_000_000_000_000_000_i64);
    if value.is_zero() {
        json.push('0');
    } else if fits {
        json.push_str(&text);
    } else {
        string(json, &text);
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
    use rust_decimal_macros::dec;

    use super::*;

    #[test]
    fn repeated_names_are_written_once_and_markup_cannot_end_the_script() {
        let mut rows = Rows::default();
        for own in ["9.5", "10"] {
            rows.start();
            rows.cell(Cell::Shared("Acme </script><b>"));
            rows.cell(Cell::Own(own));
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
             \"! needs approval\"],\n\"k\":{\"0\":0,\"2\":[1,\"a \\\"b\\\"\\\\u{202e}\"],\"3\":null},\n\
             \"r\":[[\"9.5\"],[\"10\"]]}</script>\n"
        );
        let json = &html[html.find('{').expect("json")..html.rfind('}').expect("json") + 1];
        let parsed: serde_json::Value = serde_json::from_str(json).expect("valid JSON");
        assert_eq!(parsed["s"][0], "Acme </script><b>");
    }

    #[test]
    fn a_single_row_keeps_every_cell() {
        let mut rows = Rows::default();
        rows.start();
        rows.cell(Cell::Shared("keeper"));
        rows.end();
        let mut html = String::new();
        rows.write(&mut html, "d");
        assert!(html.contains("\"k\":{},\n\"r\":[[0]]"), "{html}");
    }

    /// A number is written bare only where JavaScript's `String(n)` gives back its text.
    #[test]
    fn numbers_are_bare_only_where_the_browser_prints_them_back_the_same() {
        let cases = [
            (dec!(12), "12"),
            (dec!(12.500), "12.5"),
            (dec!(7.2258), "7.2258"),
            (dec!(-3.75), "-3.75"),
            (dec!(0.000), "0"),
            (dec!(0.000001), "0.000001"),
            (dec!(0.0000001), "\"0.0000001\""),
            (dec!(123456789012345), "123456789012345"),
            (dec!(1234567890123456), "\"1234567890123456\""),
            (dec!(1.23456789012345), "1.23456789012345"),
            (dec!(1.234567890123456), "\"1.234567890123456\""),
        ];
        for (value, json) in cases {
            let mut out = String::new();
            number(&mut out, value);
            assert_eq!(out, json, "{value}");
        }
    }
}
