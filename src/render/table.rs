//! A plain aligned text table (left-aligned text, right-aligned numbers).

use std::io::{self, Write};

/// Column alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text columns.
    Left,
    /// Number columns.
    Right,
}

/// Writes `rows` under `headers`, each column as wide as its widest cell.
pub fn write(
    out: &mut dyn Write,
    headers: &[(&str, Align)],
    rows: &[Vec<String>],
) -> io::Result<()> {
    let mut widths: Vec<usize> = headers.iter().map(|(h, _)| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    // Cells hold vendor and PSA names: control characters and line breaks made visible.
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|cell| super::escape::text(cell).into_owned())
                .collect()
        })
        .collect();
    let rows = rows.as_slice();
    let header_cells: Vec<String> = headers.iter().map(|(h, _)| (*h).to_owned()).collect();
    write_row(out, headers, &widths, &header_cells)?;
    for row in rows {
        write_row(out, headers, &widths, row)?;
    }
    Ok(())
}

fn write_row(
    out: &mut dyn Write,
    headers: &[(&str, Align)],
    widths: &[usize],
    cells: &[String],
) -> io::Result<()> {
    let mut line = String::new();
    for (i, ((_, align), width)) in headers.iter().zip(widths).enumerate() {
        let cell = cells.get(i).map_or("", String::as_str);
        let pad = width.saturating_sub(cell.chars().count());
        if i > 0 {
            line.push_str("  ");
        }
        match align {
            Align::Left => {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            }
            Align::Right => {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            }
        }
    }
    writeln!(out, "{}", line.trim_end())
}
