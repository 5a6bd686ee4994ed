//! Positions of clients by id and of invoice lines by id and by invoice, extended on use.
//!
//! The simulator and its tests only append to these lists and never change an id, so a
//! position stays valid; each lookup still checks the row it finds, and a list that shrank or
//! no longer matches is indexed again from the start. Spares the scans per page and per write
//! that made the simulator's CPU grow with the square of the book (0.9–1.2 s of the
//! 20,000-client bench's plan against reckon's 0.18 s, by `examples/bench`'s CPU split).

use std::collections::HashMap;

use super::{Client, Line, State};

/// One list's index: `covered` rows indexed so far.
#[derive(Debug, Default)]
struct Positions {
    covered: usize,
    at: HashMap<i64, Vec<usize>>,
}

impl Positions {
    /// Positions of the rows whose `key` is `wanted`, in row order.
    fn of<T>(&mut self, rows: &[T], key: impl Fn(&T) -> i64, wanted: i64) -> Vec<usize> {
        if rows.len() < self.covered {
            *self = Self::default();
        }
        self.extend(rows, &key);
        let found = self.at.get(&wanted).cloned().unwrap_or_default();
        if found
            .iter()
            .all(|&i| rows.get(i).is_some_and(|r| key(r) == wanted))
        {
            return found;
        }
        *self = Self::default();
        self.extend(rows, &key);
        self.at.get(&wanted).cloned().unwrap_or_default()
    }

    fn extend<T>(&mut self, rows: &[T], key: &impl Fn(&T) -> i64) {
        for (position, row) in rows.iter().enumerate().skip(self.covered) {
            self.at.entry(key(row)).or_default().push(position);
        }
        self.covered = rows.len();
    }
}

/// The simulator's indexes.
#[derive(Debug, Default)]
pub(super) struct Indexes {
    clients: Positions,
    lines: Positions,
    lines_of_invoice: Positions,
}

impl State {
    /// The position in `clients` of client `id`.
    pub(super) fn client_at(&mut self, id: i64) -> Option<usize> {
        let key = |c: &Client| c.id;
        self.indexes
            .clients
            .of(&self.clients, key, id)
            .first()
            .copied()
    }

    /// The position in `lines` of line `id`.
    pub(super) fn line_at(&mut self, id: i64) -> Option<usize> {
        let key = |l: &Line| l.id;
        self.indexes.lines.of(&self.lines, key, id).first().copied()
    }

    /// The positions in `lines` of invoice `ihid`'s lines, in order.
    pub(super) fn lines_of(&mut self, ihid: i64) -> Vec<usize> {
        let key = |l: &Line| l.ihid;
        self.indexes.lines_of_invoice.of(&self.lines, key, ihid)
    }
}
