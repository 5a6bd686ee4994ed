//! Neutralising text reckon did not write — vendor account and service names, PSA company and
//! contract names, PSA error text, and workspace files a pull request may have changed — for the
//! sink it goes to.
//!
//! - [`text`]: terminals and plain text. Control characters (C0 including line breaks, DEL, C1),
//!   Unicode bidi overrides and line separators become visible escapes (`\n`, `\u{1b}`,
//!   `\u{202e}`), so a name can neither clear the screen, retitle the terminal, recolour or hide
//!   lines, nor start a line of its own that looks like part of the plan.
//! - [`markdown`]: a pull-request comment. [`text`] plus markup characters escaped, and `@name`
//!   mentions and `#123` references broken with a word joiner (U+2060) so nobody is pinged and
//!   no issue is linked; the rendered text looks the same.
//! - [`annotation_data`] / [`annotation_property`]: a GitHub workflow command's message and
//!   property values, escaped as the runner unescapes them (`%25`, `%0D`, `%0A`, `%3A`, `%2C`:
//!   actions/runner `src/Runner.Common/ActionCommand.cs`, `_escapeDataMappings` and
//!   `_escapePropertyMappings`), other control characters made visible.
//! - [`Guard`]: the last line of defence on stdout and stderr, whatever the format. The runner
//!   executes a line that starts with `::` once leading white space is trimmed (`TryParseV2`) and
//!   a `##[command]` anywhere in a line (`TryParse`); Azure Pipelines reads `##vso[`. The guard
//!   writes such a line start as `\::` and such a prefix as `##\[`, and escapes control characters
//!   that reached the stream, except the colour codes reckon itself writes on a colour terminal.
//!
//! Owns the escaping rules and nothing else: renderers call these functions at the points where
//! outside text is written; the core keeps the raw values (they are matched against config).

use std::borrow::Cow;
use std::io::{self, Write};

/// Whether `c` must never reach a terminal or a log raw.
pub fn is_hostile(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' // Arabic letter mark
                | '\u{200e}' | '\u{200f}' // left-to-right and right-to-left marks
                | '\u{2028}' | '\u{2029}' // line and paragraph separators
                | '\u{202a}'..='\u{202e}' // bidi embeddings and overrides
                | '\u{2066}'..='\u{2069}' // bidi isolates
        )
}

/// The visible form of a hostile character: `\n`, `\r`, `\t`, or `\u{1b}`.
fn visible(c: char, out: &mut String) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        _ => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
    }
}

/// Text for a terminal or a plain-text report: every control character, line break and bidi
/// override shown as a visible escape.
pub fn text(raw: &str) -> Cow<'_, str> {
    escaped(raw, is_hostile)
}

/// Like [`text`], keeping line breaks and tabs: for HTML, where a line break is layout (inside
/// `<pre>`) or white space, never a new line of a log or terminal.
pub fn multiline(raw: &str) -> Cow<'_, str> {
    escaped(raw, |c| is_hostile(c) && c != '\n' && c != '\t')
}

fn escaped(raw: &str, hostile: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !raw.chars().any(&hostile) {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len() + 8);
    for c in raw.chars() {
        if hostile(c) {
            visible(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Text for a markdown table cell or list item: [`text`], markup characters escaped, mentions
/// and issue references broken.
pub fn markdown(raw: &str) -> String {
    let safe = text(raw);
    let mut out = String::with_capacity(safe.len() + 8);
    let mut chars = safe.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '|' | '*' | '_' | '`' | '<' | '>' | '[' | ']' | '\\' | '~' => {
                out.push('\\');
                out.push(c);
            }
            // `@name` pings, `#123` and `GH-123` link: a word joiner after the sigil breaks
            // both, and renders as nothing.
            '@' | '#' => {
                out.push(c);
                if chars.peek().is_some_and(|next| next.is_alphanumeric()) {
                    out.push('\u{2060}');
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// A workflow command's message: `%`, CR and LF escaped as the runner unescapes them, other
/// control characters visible, and a legacy `##[command]` inside it broken as `##\[`.
pub fn annotation_data(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if is_hostile(c) => visible(c, &mut out),
            c => out.push(c),
        }
    }
    out.replace("##[", "##\\[").replace("##vso[", "##vso\\[")
}

/// A workflow command's property value (`file=`, `title=`): [`annotation_data`] plus `:` and `,`.
pub fn annotation_property(raw: &str) -> String {
    annotation_data(raw).replace(':', "%3A").replace(',', "%2C")
}

/// What a [`Guard`] writes to: decides how a hostile character is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    /// Text, markdown or HTML; `color` lets reckon's own colour codes through.
    Text {
        /// Whether reckon is colouring this output (a terminal).
        color: bool,
    },
    /// JSON: hostile characters (which can only be inside strings) as `\uXXXX`, which JSON
    /// parsers read back as the same value.
    Json,
}

/// The colour codes [`super::Style::paint`] writes; the only escape sequences let through.
const OWN_COLORS: [&str; 6] = [
    "\u{1b}[0m",
    "\u{1b}[1m",
    "\u{1b}[2m",
    "\u{1b}[31m",
    "\u{1b}[32m",
    "\u{1b}[33m",
];

/// A writer that neutralises what reaches stdout or stderr, one line at a time (see the module
/// documentation). Lines are passed on whole; [`Write::flush`] passes on a partial line (a
/// prompt) and remembers whether its line has started.
#[derive(Debug)]
pub struct Guard<W: Write> {
    inner: W,
    sink: Sink,
    pending: Vec<u8>,
    /// Only white space written on the current line so far.
    line_blank: bool,
}

impl<W: Write> Guard<W> {
    /// Guards `inner` for `sink`.
    pub fn new(inner: W, sink: Sink) -> Self {
        Self {
            inner,
            sink,
            pending: Vec::new(),
            line_blank: true,
        }
    }

    /// Writes out everything pending, even a line start that could still become a command.
    pub fn finish(mut self) -> io::Result<()> {
        self.pass_partial(false)?;
        self.inner.flush()
    }

    /// Runs `write` on the guard, then [`Guard::finish`]es it.
    pub fn finish_with(
        mut self,
        write: impl FnOnce(&mut Self) -> io::Result<()>,
    ) -> io::Result<()> {
        write(&mut self)?;
        self.finish()
    }

    /// Passes on the partial line in `pending`; with `hold`, keeps back a character cut in half
    /// and a tail that the next write could complete into `::` at a line start or `##[`.
    fn pass_partial(&mut self, hold: bool) -> io::Result<()> {
        let complete = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            Err(e) if hold && e.error_len().is_none() => e.valid_up_to(),
            Err(_) => self.pending.len(),
        };
        let keep = if hold {
            let text = String::from_utf8_lossy(&self.pending[..complete]);
            self.unfinished_tail(&text)
        } else {
            0
        };
        self.pass_on(complete - keep)
    }

    fn unfinished_tail(&self, text: &str) -> usize {
        if self.line_blank && text.trim_start() == ":" {
            return text.len();
        }
        ["##vso[", "##["]
            .iter()
            .flat_map(|prefix| (1..prefix.len()).map(|k| &prefix[..k]))
            .filter(|start| text.ends_with(*start))
            .map(|start| start.len())
            .max()
            .unwrap_or(0)
    }

    fn pass_on(&mut self, upto: usize) -> io::Result<()> {
        let chunk: Vec<u8> = self.pending.drain(..upto).collect();
        let mut safe = String::with_capacity(chunk.len() + 8);
        self.neutralise(&String::from_utf8_lossy(&chunk), &mut safe);
        self.inner.write_all(safe.as_bytes())
    }

    fn neutralise(&mut self, chunk: &str, out: &mut String) {
        for line in chunk.split_inclusive('\n') {
            if self.is_plain(line) {
                // Most lines: printable ASCII, no `#`, not starting with `::`: as they are.
                out.push_str(line);
                self.line_blank =
                    line.ends_with('\n') || (self.line_blank && line.bytes().all(|b| b == b' '));
                continue;
            }
            let mut rest = line;
            while let Some(c) = rest.chars().next() {
                let taken = self.one(rest, c, out);
                rest = &rest[taken..];
            }
        }
    }

    /// Whether `line` needs no character-by-character look: printable ASCII (and a final line
    /// break) without `#`, and not a command start.
    fn is_plain(&self, line: &str) -> bool {
        let body = line.strip_suffix('\n').unwrap_or(line);
        body.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'#')
            && !(self.line_blank && body.trim_start().starts_with(':'))
    }

    /// Writes the start of `rest` (whose first character is `c`) and returns the bytes taken.
    fn one(&mut self, rest: &str, c: char, out: &mut String) -> usize {
        if c == '\n' {
            out.push('\n');
            self.line_blank = true;
            return 1;
        }
        if c == '\t' || (self.line_blank && c.is_whitespace() && !is_hostile(c)) {
            out.push(c);
            return c.len_utf8();
        }
        if c == '\u{1b}'
            && self.sink == (Sink::Text { color: true })
            && let Some(code) = OWN_COLORS.iter().find(|code| rest.starts_with(**code))
        {
            out.push_str(code);
            return code.len();
        }
        if is_hostile(c) {
            self.line_blank = false;
            match self.sink {
                Sink::Text { .. } => visible(c, out),
                Sink::Json => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            }
            return c.len_utf8();
        }
        if self.line_blank && rest.starts_with("::") && matches!(self.sink, Sink::Text { .. }) {
            self.line_blank = false;
            out.push_str("\\:");
            return 1;
        }
        self.line_blank = false;
        for prefix in ["##[", "##vso["] {
            if rest.starts_with(prefix) {
                out.push_str(&prefix[..prefix.len() - 1]);
                out.push_str(match self.sink {
                    Sink::Text { .. } => "\\[",
                    Sink::Json => "\\u005b",
                });
                return prefix.len();
            }
        }
        out.push(c);
        c.len_utf8()
    }
}

impl<W: Write> Write for Guard<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        // Only the new bytes are searched: a long line written in many pieces stays linear.
        if let Some(last) = buf.iter().rposition(|&b| b == b'\n') {
            let upto = self.pending.len() - buf.len() + last + 1;
            self.pass_on(upto)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.pass_partial(true)?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for Guard<W> {
    fn drop(&mut self) {
        let _ = self.pass_partial(false);
        let _ = self.inner.flush();
    }
}

/// Standard output, guarded for `sink`.
pub fn stdout(sink: Sink) -> Guard<io::StdoutLock<'static>> {
    Guard::new(io::stdout().lock(), sink)
}

/// Standard error, guarded as text (`color` when reckon colours it).
pub fn stderr(color: bool) -> Guard<io::StderrLock<'static>> {
    Guard::new(io::stderr().lock(), Sink::Text { color })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str =
        "Acme\n::error file=x::pwned\u{1b}]0;title\u{7}\u{1b}[2J\u{9b}31m\u{202e}txt @someone #123";

    fn guarded(sink: Sink, writes: &[&str]) -> String {
        let mut out = Vec::new();
        {
            let mut guard = Guard::new(&mut out, sink);
            for w in writes {
                guard.write_all(w.as_bytes()).expect("write");
            }
        }
        String::from_utf8(out).expect("utf8")
    }

    #[test]
    fn text_shows_every_control_character_as_a_visible_escape() {
        let shown = text(HOSTILE);
        assert_eq!(
            shown,
            "Acme\\n::error file=x::pwned\\u{1b}]0;title\\u{7}\\u{1b}[2J\\u{9b}31m\\u{202e}txt \
             @someone #123"
        );
        assert!(!shown.chars().any(is_hostile));
        assert!(matches!(text("Acme Dental"), Cow::Borrowed(_)));
    }

    #[test]
    fn markdown_breaks_mentions_references_and_markup() {
        let shown = markdown("@someone fixed #123 | *x* in C# 2");
        assert_eq!(
            shown,
            "@\u{2060}someone fixed #\u{2060}123 \\| \\*x\\* in C# 2"
        );
        assert!(!markdown(HOSTILE).chars().any(is_hostile));
    }

    #[test]
    fn annotations_escape_as_the_runner_unescapes() {
        assert_eq!(
            annotation_data("100%\r\nnext\u{1b}[2J"),
            "100%25%0D%0Anext\\u{1b}[2J"
        );
        assert_eq!(annotation_property("a:b,c"), "a%3Ab%2Cc");
        assert_eq!(annotation_data("x ##[error]y"), "x ##\\[error]y");
    }

    #[test]
    fn no_line_of_text_output_starts_a_workflow_command() {
        let out = guarded(
            Sink::Text { color: false },
            &[
                "plan\n",
                "  ::add-mask::x\n::stop-commands::t\n",
                "a ##[error]b ##vso[task]c\n",
            ],
        );
        assert_eq!(
            out,
            "plan\n  \\::add-mask::x\n\\::stop-commands::t\na ##\\[error]b ##vso\\[task]c\n"
        );
        for line in out.lines() {
            assert!(!line.trim_start().starts_with("::"), "{line}");
        }
    }

    #[test]
    fn a_line_start_split_across_writes_and_flushes_is_still_guarded() {
        let mut out = Vec::new();
        {
            let mut guard = Guard::new(&mut out, Sink::Text { color: false });
            guard.write_all(b"  ").expect("write");
            guard.flush().expect("flush");
            guard.write_all(b":").expect("write");
            guard.flush().expect("flush");
            guard.write_all(b":error::x\n").expect("write");
        }
        assert_eq!(String::from_utf8(out).expect("utf8"), "  \\::error::x\n");
    }

    #[test]
    fn only_reckons_own_colours_pass_and_only_on_a_colour_terminal() {
        let own = "\u{1b}[32m+ create\u{1b}[0m x\n";
        assert_eq!(guarded(Sink::Text { color: true }, &[own]), own);
        assert_eq!(
            guarded(Sink::Text { color: false }, &[own]),
            "\\u{1b}[32m+ create\\u{1b}[0m x\n"
        );
        assert_eq!(
            guarded(Sink::Text { color: true }, &["\u{1b}[2J\u{1b}]0;t\u{7}\n"]),
            "\\u{1b}[2J\\u{1b}]0;t\\u{7}\n"
        );
    }

    #[test]
    fn json_keeps_its_value_and_its_validity() {
        let value = serde_json::json!({ "name": "a\u{9b}b\u{202e}c ##[error]x\u{7f}" });
        let raw = serde_json::to_string_pretty(&value).expect("json");
        let out = guarded(Sink::Json, &[&raw, "\n"]);
        assert!(!out.chars().any(|c| is_hostile(c) && c != '\n'), "{out}");
        assert!(!out.contains("##["));
        let back: serde_json::Value = serde_json::from_str(&out).expect("still JSON");
        assert_eq!(back, value);
    }

    #[test]
    fn a_character_cut_between_writes_survives() {
        let bytes = "é\n".as_bytes();
        let mut out = Vec::new();
        {
            let mut guard = Guard::new(&mut out, Sink::Text { color: false });
            guard.write_all(&bytes[..1]).expect("write");
            guard.flush().expect("flush");
            guard.write_all(&bytes[1..]).expect("write");
        }
        assert_eq!(String::from_utf8(out).expect("utf8"), "é\n");
    }
}
