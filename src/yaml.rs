//! The one place that knows which YAML library reckon uses (serde-saphyr).
//!
//! Why serde-saphyr: a safe pure-Rust parser that reports line and column for every value
//! (`Spanned`), rejects duplicate keys and enforces input budgets against YAML bombs. Keeping all
//! calls here makes a swap a one-file change. Booleans are strict (`yes` is not `true`).

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_saphyr::MessageFormatter;

use crate::diagnostic::{Diagnostic, Location, nearest, plain_words};

/// A value with the place in the YAML file it came from.
pub type Spanned<T> = serde_saphyr::Spanned<T>;

/// Files larger than this are refused before parsing: no workspace file is anywhere near it, and
/// it keeps a stray binary or generated file from eating memory.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// How many values (mappings, sequences and scalars) the sandbox PSA's state file may hold.
/// A workspace file, written by hand, keeps serde-saphyr's default budget (250,000 values,
/// 1,000,000 parser events): plenty for mappings and settings, and a guard against hostile
/// input. The sandbox file is a PSA's book, which reckon itself writes and which grows with the
/// book and with every apply: 5,000 accounts × 4 priced lines are about 290,000 values, and each
/// dated change a line gains adds 5. This figure holds such a book with three years of monthly
/// changes on every line (3.9 million values, a 50 MB file, near [`MAX_FILE_BYTES`]; a whole
/// `reckon plan` over it peaked at 218 MB of memory), and still bounds what a hostile file can
/// make reckon allocate.
pub const STATE_MAX_VALUES: usize = 4_000_000;

/// Which input budget a file is read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// A workspace file (mappings, settings, approvals): serde-saphyr's defaults.
    Workspace,
    /// The sandbox PSA's state file: [`STATE_MAX_VALUES`] values, four parser events a value
    /// (the defaults' ratio).
    State,
}

/// Where a spanned value sits, or `None` when the parser could not tell.
pub fn location<T>(spanned: &Spanned<T>) -> Option<Location> {
    let line = spanned.referenced.line();
    (line > 0).then(|| Location {
        line,
        column: spanned.referenced.column(),
    })
}

/// Parses `text` (the content of `file`, a workspace file) into `T`, or one diagnostic saying
/// where and why not.
pub fn from_str<T: DeserializeOwned>(text: &str, file: &Path) -> Result<T, Diagnostic> {
    from_str_within(text, file, Budget::Workspace)
}

/// [`from_str`] with the input budget `budget`.
pub fn from_str_within<T: DeserializeOwned>(
    text: &str,
    file: &Path,
    budget: Budget,
) -> Result<T, Diagnostic> {
    let options = match budget {
        Budget::Workspace => serde_saphyr::options! { strict_booleans: true },
        Budget::State => serde_saphyr::options! {
            strict_booleans: true,
            budget: serde_saphyr::budget! {
                max_nodes: STATE_MAX_VALUES,
                max_events: STATE_MAX_VALUES.saturating_mul(4),
            },
        },
    };
    serde_saphyr::from_str_with_options(text, options).map_err(|error| {
        let plain = error.without_snippet();
        let message = match plain {
            serde_saphyr::Error::Budget { breach, .. } => budget_message(breach, budget),
            _ => plain_words(&serde_saphyr::UserMessageFormatter.format_message(plain)),
        };
        let location = plain.location().filter(|l| l.line() > 0).map(|l| Location {
            line: l.line(),
            column: l.column(),
        });
        let hint = typo_hint(&message);
        let diagnostic = Diagnostic::error(file, location, message);
        match hint {
            Some(hint) => diagnostic.with_hint(hint),
            None => diagnostic,
        }
    })
}

/// Serializes `value` as YAML.
pub fn to_string<T: Serialize>(value: &T) -> Result<String, String> {
    serde_saphyr::to_string(value).map_err(|error| error.to_string())
}

/// A YAML budget breach in words: the library's own message prints the Rust value
/// (`limits breached: Depth { depth: 65 }`).
fn budget_message(breach: &serde_saphyr::budget::BudgetBreach, budget: Budget) -> String {
    use serde_saphyr::budget::BudgetBreach as B;
    let what = match breach {
        B::Depth { depth } => format!("it nests {depth} levels deep"),
        B::Aliases { aliases } => format!("it uses {aliases} aliases"),
        B::Anchors { anchors } => format!("it defines {anchors} anchors"),
        B::AliasAnchorRatio { aliases, anchors } => {
            format!("it uses {aliases} aliases of only {anchors} anchors")
        }
        B::Nodes { nodes } => format!("it has {nodes} values"),
        B::Events { .. } => "it has too many values".to_owned(),
        B::Documents { documents } => format!("it holds {documents} documents"),
        B::ScalarBytes { total_scalar_bytes } => format!("its text is {total_scalar_bytes} bytes"),
        B::MergeKeys { merge_keys } => format!("it uses {merge_keys} merge keys (`<<`)"),
        _ => "it is too large or too complex".to_owned(),
    };
    match budget {
        Budget::Workspace => format!(
            "the YAML is beyond what reckon reads ({what}); a workspace file needs nothing like this"
        ),
        Budget::State => format!(
            "the YAML is beyond what reckon reads ({what}); a sandbox file holds at most \
             {STATE_MAX_VALUES} values"
        ),
    }
}

/// For "unknown field `x`, expected one of a, b" (and the same for variants), suggests the
/// nearest valid name.
fn typo_hint(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))?;
    let (unknown, expected) = rest.split_once('`')?;
    let candidates = expected
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
        .filter(|word| !word.is_empty() && !matches!(*word, "expected" | "one" | "of" | "or"));
    let best = nearest(unknown, candidates)?;
    Some(format!("did you mean `{best}`?"))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        name: String,
        enabled: Option<bool>,
    }

    fn parse(text: &str) -> Result<Sample, Diagnostic> {
        from_str(text, &PathBuf::from("x.yaml"))
    }

    #[test]
    fn unknown_field_points_at_the_line_and_suggests_the_nearest_name() {
        let error = parse("name: a\nenabeld: true\n").expect_err("unknown field");
        assert_eq!(error.location, Some(Location { line: 2, column: 1 }));
        assert_eq!(error.hint.as_deref(), Some("did you mean `enabled`?"));
    }

    #[test]
    fn duplicate_keys_and_loose_booleans_are_rejected() {
        assert!(parse("name: a\nname: b\n").is_err());
        let error = parse("name: a\nenabled: yes\n").expect_err("strict booleans");
        assert_eq!(
            error.location,
            Some(Location {
                line: 2,
                column: 10
            })
        );
    }

    #[test]
    fn garbage_never_panics() {
        for text in [
            "",
            "\0\u{1}\u{2}",
            "name: [",
            "{{{{{{{{",
            "- - - -",
            "name: !!binary x",
        ] {
            assert!(parse(text).is_err(), "{text:?}");
        }
        let deep = "[".repeat(100_000);
        assert!(parse(&deep).is_err());
    }

    /// `count` values in one flow sequence: `[0,0,…]`.
    fn values(count: usize) -> String {
        format!("[{}0]", "0,".repeat(count.saturating_sub(1)))
    }

    #[test]
    fn a_workspace_file_keeps_the_default_budget_and_the_sandbox_file_its_own() {
        let file = PathBuf::from("x.yaml");
        // 250,000 values less the sequence itself: the default budget's last value.
        let most = values(249_999);
        assert!(from_str::<Vec<u8>>(&most, &file).is_ok());
        let error = from_str::<Vec<u8>>(&values(250_000), &file).expect_err("over the budget");
        assert!(error.message.contains("250001 values"), "{}", error.message);
        assert!(
            error.message.contains("a workspace file"),
            "{}",
            error.message
        );

        let state = from_str_within::<Vec<u8>>(&values(250_000), &file, Budget::State);
        assert_eq!(state.map(|v| v.len()).ok(), Some(250_000));
        // Parsing 4 million values takes seconds in a debug build; serde-saphyr enforces the
        // figure, this checks what a breach of it says.
        let breach = serde_saphyr::budget::BudgetBreach::Nodes {
            nodes: STATE_MAX_VALUES + 1,
        };
        assert_eq!(
            budget_message(&breach, Budget::State),
            "the YAML is beyond what reckon reads (it has 4000001 values); a sandbox file holds \
             at most 4000000 values"
        );
    }

    #[test]
    fn limits_and_decimals_are_explained_without_rust_names() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Quantity {
            quantity: rust_decimal::Decimal,
        }
        let deep = format!("name: {}{}\n", "[".repeat(70), "]".repeat(70));
        let error =
            from_str::<serde_json::Value>(&deep, &PathBuf::from("x.yaml")).expect_err("too deep");
        assert!(error.message.contains("nests"), "{}", error.message);
        assert!(!error.message.contains('{'), "{}", error.message);
        let decimal = from_str::<Quantity>("quantity: 1e99\n", &PathBuf::from("x.yaml"))
            .expect_err("not a decimal");
        assert!(
            !decimal.message.contains("Decimal type"),
            "{}",
            decimal.message
        );
        assert!(
            decimal.message.contains("decimal number"),
            "{}",
            decimal.message
        );
    }
}
