//! Where journal records go: the one seam between the apply journal's rules (intent durable
//! before the write, outcome after it, group commit) and the medium that keeps them — the local
//! file ([`super::Writer`]) or the shared database ([`crate::state::postgres::Writer`]).

use std::future::Future;
use std::io;

use super::{Position, Record};

/// Appends journal records and makes them durable, sharing one sync (an fsync, a commit) among
/// the callers waiting at once. A failed sync breaks the sink: every later call fails.
pub trait Sink {
    /// Hands one record over without waiting for durability; it is durable once
    /// [`Sink::durable`] returns for its position.
    fn push(&self, record: &Record) -> io::Result<Position>;
    /// Returns once every record up to `through` is durable.
    fn durable(&self, through: Position) -> impl Future<Output = io::Result<()>>;
    /// The position of the last record pushed.
    fn pushed(&self) -> Position;
    /// The position through which every record is known to be durable.
    fn durable_through(&self) -> Position;
}

impl Sink for super::Writer {
    fn push(&self, record: &Record) -> io::Result<Position> {
        super::Writer::push(self, record)
    }
    async fn durable(&self, through: Position) -> io::Result<()> {
        super::Writer::durable(self, through).await
    }
    fn pushed(&self) -> Position {
        super::Writer::pushed(self)
    }
    fn durable_through(&self) -> Position {
        super::Writer::durable_through(self)
    }
}

impl<S: Sink> Sink for &S {
    fn push(&self, record: &Record) -> io::Result<Position> {
        (**self).push(record)
    }
    async fn durable(&self, through: Position) -> io::Result<()> {
        (**self).durable(through).await
    }
    fn pushed(&self) -> Position {
        (**self).pushed()
    }
    fn durable_through(&self) -> Position {
        (**self).durable_through()
    }
}
