//! Fitting a rendered document into a size budget (a pull-request comment has a hard limit) by
//! leaving out rows from the end, and saying so. Knows nothing about plans: a document is a
//! list of parts, each either text that must stay or a group of rows that may be cut.

/// One part of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Text that is never left out (the summary, approvals, errors).
    Keep(String),
    /// Rows that may be left out from the end, between a head and a tail that stay with them.
    Rows {
        /// Before the rows (a heading, a table header).
        head: String,
        /// The rows, each ending in a newline.
        rows: Vec<String>,
        /// After the rows (closing markup).
        tail: String,
        /// What a row is, for the note: "table rows", "warnings".
        what: &'static str,
    },
}

/// How the note about cut rows reads; given how many were left out of how many.
pub type Note<'a> = &'a dyn Fn(usize, usize, &str) -> String;

/// The document as text of at most `max_bytes` bytes when that is possible, leaving out rows
/// from the end of the last cuttable group first (then the group before it), each cut group
/// followed by `note`, and the whole by `summary` when anything was left out. Kept text is never
/// cut: when it alone exceeds the budget, everything it holds is still printed.
pub fn fit(parts: &[Part], max_bytes: usize, note: Note<'_>, summary: Note<'_>) -> String {
    let full: usize = parts.iter().map(size).sum();
    let mut keep: Vec<usize> = parts
        .iter()
        .map(|part| match part {
            Part::Keep(_) => 0,
            Part::Rows { rows, .. } => rows.len(),
        })
        .collect();
    if full > max_bytes {
        cut(parts, &mut keep, full, max_bytes, note, summary);
    }
    render(parts, &keep, note, summary)
}

fn size(part: &Part) -> usize {
    match part {
        Part::Keep(text) => text.len(),
        Part::Rows {
            head, rows, tail, ..
        } => head.len() + rows.iter().map(String::len).sum::<usize>() + tail.len(),
    }
}

/// Leaves rows out from the end until the text with its notes fits. Notes are counted at their
/// largest (with the group's whole row count), so the result never passes the budget because of
/// a note's digits.
fn cut(
    parts: &[Part],
    keep: &mut [usize],
    full: usize,
    max_bytes: usize,
    note: Note<'_>,
    summary: Note<'_>,
) {
    let total_rows: usize = keep.iter().sum();
    let mut size = full + summary(total_rows, total_rows, "rows").len();
    for (index, part) in parts.iter().enumerate().rev() {
        let Part::Rows { rows, what, .. } = part else {
            continue;
        };
        while size > max_bytes && keep[index] > 0 {
            if keep[index] == rows.len() {
                size += note(rows.len(), rows.len(), what).len();
            }
            keep[index] -= 1;
            size -= rows[keep[index]].len();
        }
        if size <= max_bytes {
            return;
        }
    }
}

fn render(parts: &[Part], keep: &[usize], note: Note<'_>, summary: Note<'_>) -> String {
    let mut out = String::new();
    let mut left_out = 0;
    let mut of = 0;
    for (part, &kept) in parts.iter().zip(keep) {
        match part {
            Part::Keep(text) => out.push_str(text),
            Part::Rows {
                head,
                rows,
                tail,
                what,
            } => {
                out.push_str(head);
                rows[..kept].iter().for_each(|row| out.push_str(row));
                if kept < rows.len() {
                    out.push_str(&note(rows.len() - kept, rows.len(), what));
                }
                out.push_str(tail);
                left_out += rows.len() - kept;
                of += rows.len();
            }
        }
    }
    if left_out > 0 {
        out.push_str(&summary(left_out, of, "rows"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(left_out: usize, of: usize, what: &str) -> String {
        format!("[{left_out}/{of} {what} cut]\n")
    }

    fn rows(what: &'static str, n: usize) -> Part {
        Part::Rows {
            head: "H\n".into(),
            rows: (0..n).map(|i| format!("{what}{i}\n")).collect(),
            tail: "T\n".into(),
            what,
        }
    }

    #[test]
    fn a_document_within_the_budget_is_unchanged() {
        let parts = [Part::Keep("k\n".into()), rows("r", 3)];
        assert_eq!(fit(&parts, 1000, &note, &note), "k\nH\nr0\nr1\nr2\nT\n");
    }

    #[test]
    fn rows_are_cut_from_the_end_of_the_last_group_first_and_noted() {
        let parts = [Part::Keep("k\n".into()), rows("a", 50), rows("b", 50)];
        let text = fit(&parts, 300, &note, &note);
        assert!(text.len() <= 300, "{}", text.len());
        assert!(text.contains("a49\n"), "the first group is whole: {text}");
        assert!(text.contains("b0\n") && !text.contains("b49\n"), "{text}");
        let cut = 50 - text.matches("\nb").count();
        assert!(text.contains(&format!("[{cut}/50 b cut]\nT\n")), "{text}");
        assert!(text.ends_with(&format!("[{cut}/100 rows cut]\n")), "{text}");
    }

    #[test]
    fn kept_text_stays_even_beyond_the_budget() {
        let big = "x".repeat(500);
        let parts = [Part::Keep(big.clone()), rows("r", 10)];
        let text = fit(&parts, 100, &note, &note);
        assert!(text.starts_with(&big));
        assert!(!text.contains("r0"), "{text}");
        assert!(text.contains("[10/10 r cut]"));
    }
}
