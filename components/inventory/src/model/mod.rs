//! The data layer, below every handler: one file per table, each with its row type, its column
//! list, its decoding and its named queries. Every SQL statement of the module is here, written
//! out in full or from constant pieces, never from input; a statement's failures that mean
//! something to the client (a violated constraint, a conditional update that matched nothing)
//! become client errors here, where the statement runs.
//!
//! - [`stock`]: a SKU's counts, the row every change locks first.
//! - [`serial`]: a SKU's serial numbers and their states.
//! - [`history`]: the append-only record of every change of counts.
//! - [`reservation`]: reservations and their lines.
//! - [`outbox`]: the messages inventory sends other modules, written with their cause.

pub mod history;
pub mod outbox;
pub mod reservation;
pub mod serial;
pub mod stock;

/// The schema inventory owns; its idempotency records and its outbox live in it as well.
pub const SCHEMA: &str = "inventory";

/// Whether a read locks the rows it returns until the transaction ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lock {
    /// A plain read of the last committed state.
    None,
    /// `FOR UPDATE`: a change in flight is waited for, and no other can start until this
    /// transaction ends, so what was read stays true while the handler decides.
    ForUpdate,
}

impl Lock {
    /// The clause that ends a `SELECT` taking this lock.
    fn clause(self) -> &'static str {
        match self {
            Lock::None => "",
            Lock::ForUpdate => " FOR UPDATE",
        }
    }
}
