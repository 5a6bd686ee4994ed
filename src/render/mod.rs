//! Rendering: plans, usage tables, apply reports and diagnostics as text, JSON, markdown or CI
//! annotations. Every renderer writes to an `impl Write` handed in by the caller, never straight
//! to stdout, and takes no decisions: it only formats what it is given.

pub mod apply;
pub mod command_line;
pub mod diagnostics;
pub mod escape;
pub mod fit;
pub mod github;
pub mod html;
pub mod import;
pub mod inventory;
pub mod json;
pub mod markdown;
pub mod names;
pub mod provenance;
pub mod status;
pub mod table;
pub mod text;
pub mod usage;
pub mod watch;

/// Terminal styling: ANSI colour only when the caller decided the output is a colour terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    /// Whether to emit ANSI colour codes.
    pub color: bool,
}

/// ANSI colours used by the text renderers.
#[derive(Debug, Clone, Copy)]
pub enum Paint {
    /// Creations.
    Green,
    /// Updates and warnings.
    Yellow,
    /// Errors and failures.
    Red,
    /// Hints and secondary text.
    Dim,
    /// Headings.
    Bold,
}

impl Style {
    /// `text` in `paint`, or plain when colour is off.
    pub fn paint(self, paint: Paint, text: &str) -> String {
        if !self.color {
            return text.to_owned();
        }
        let code = match paint {
            Paint::Green => "32",
            Paint::Yellow => "33",
            Paint::Red => "31",
            Paint::Dim => "2",
            Paint::Bold => "1",
        };
        format!("\u{1b}[{code}m{text}\u{1b}[0m")
    }

    /// `hint: …`, dimmed: the one look of every hint reckon prints.
    pub fn hint(self, hint: &str) -> String {
        self.paint(Paint::Dim, &format!("hint: {hint}"))
    }
}
