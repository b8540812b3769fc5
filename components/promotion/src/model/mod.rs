//! The data layer, below every handler: one file per table, each with its row type, its column
//! list, its decoding and its named queries. Every SQL statement of the module is here, written
//! out in full or from constant pieces, never from input; a statement's failures that mean
//! something to the client (a code taken, a limit reached) become client errors here, where
//! the statement runs.
//!
//! - [`promotion`]: promotions as stored, with their counters.
//! - [`usage`]: a promotion's limits and what has been taken of them, the row every
//!   reservation locks first; a buyer's uses.
//! - [`redemption`]: redemptions and their lines.
//! - [`outbox`]: the messages promotion sends (catalog's promoted prices).

pub mod outbox;
pub mod promotion;
pub mod redemption;
pub mod usage;

pub use kit::db::Lock;

/// The module's schema.
pub const SCHEMA: &str = "promotion";
