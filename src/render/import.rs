//! `reckon import`'s report: the proposed mappings, what is left for a human (with suggestions),
//! and the file change as a unified diff.

use std::io::{self, Write};

use super::{Paint, Style};
use crate::import::{Match, Proposal, Unmatched};

/// What the report is about.
pub struct Header<'a> {
    /// Integration name.
    pub integration: &'a str,
    /// The file shown in the diff.
    pub file: &'a str,
    /// The usage period the vendor accounts came from.
    pub period: String,
    /// Vendor accounts seen.
    pub accounts: usize,
    /// PSA companies seen.
    pub companies: usize,
}

/// Writes the report; `original` is the file before the change.
pub fn report(
    out: &mut dyn Write,
    header: &Header<'_>,
    proposal: &Proposal,
    original: &str,
    style: Style,
) -> io::Result<()> {
    let title = format!(
        "reckon import for {}: {} vendor account(s) with usage in {}, {} PSA company(ies).",
        header.integration, header.accounts, header.period, header.companies
    );
    writeln!(out, "{}", style.paint(Paint::Bold, &title))?;
    writeln!(out)?;
    matches(
        out,
        "Account mappings proposed (exact name)",
        &proposal.accounts,
    )?;
    matches(
        out,
        "Service mappings proposed (exact name)",
        &proposal.services,
    )?;
    unmatched(
        out,
        "Accounts left for you",
        &proposal.unmatched_accounts,
        style,
    )?;
    unmatched(
        out,
        "Services left for you",
        &proposal.unmatched_services,
        style,
    )?;
    if !proposal.changes_file(original) {
        return writeln!(
            out,
            "Nothing to import: {} already maps, excludes or notes every vendor account and service.",
            header.file
        );
    }
    diff(out, header.file, original, &proposal.text, style)
}

fn matches(out: &mut dyn Write, title: &str, list: &[Match]) -> io::Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    writeln!(out, "{title}:")?;
    for m in list {
        let vendor = if m.vendor == m.vendor_name {
            format!("\"{}\"", m.vendor)
        } else {
            format!("{} \"{}\"", m.vendor, m.vendor_name)
        };
        writeln!(out, "  + {vendor} → {} \"{}\"", m.psa, m.psa_name)?;
    }
    writeln!(out)
}

fn unmatched(out: &mut dyn Write, title: &str, list: &[Unmatched], style: Style) -> io::Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "{title} (suggestions are written as comments, never as mappings):"
    )?;
    for u in list {
        let vendor = if u.vendor == u.vendor_name {
            format!("\"{}\"", u.vendor)
        } else {
            format!("{} \"{}\"", u.vendor, u.vendor_name)
        };
        writeln!(out, "  ? {vendor}: {}", u.reason)?;
        let similar: Vec<String> = u
            .suggestions
            .iter()
            .map(|(id, name)| format!("{id} \"{name}\""))
            .collect();
        let line = match similar.is_empty() {
            true => "no similar names".to_owned(),
            false => format!("similar: {}", similar.join(", ")),
        };
        writeln!(out, "      {}", style.paint(Paint::Dim, &line))?;
    }
    writeln!(out)
}

/// A unified diff of `file`, three lines of context.
pub fn diff(out: &mut dyn Write, file: &str, old: &str, new: &str, style: Style) -> io::Result<()> {
    let text_diff = similar::TextDiff::from_lines(old, new);
    let mut unified = text_diff.unified_diff();
    let a = format!("a/{file}");
    let b = format!("b/{file}");
    let rendered = unified.context_radius(3).header(&a, &b).to_string();
    for line in rendered.lines() {
        let paint = match line.as_bytes().first() {
            Some(b'+') if !line.starts_with("+++") => Some(Paint::Green),
            Some(b'-') if !line.starts_with("---") => Some(Paint::Red),
            Some(b'@') => Some(Paint::Dim),
            _ => None,
        };
        match paint {
            Some(paint) => writeln!(out, "{}", style.paint(paint, line))?,
            None => writeln!(out, "{line}")?,
        }
    }
    Ok(())
}
