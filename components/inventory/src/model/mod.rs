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

pub use kit::db::Lock;
