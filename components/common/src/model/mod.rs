//! The data layer: one file per table group, with its row types and every SQL statement.
//!
//! - [`rates`]: exchange-rate snapshots and their rates.
//! - [`options`]: the payment and shipping options checkouts offer.

pub mod options;
pub mod rates;

/// The module's schema.
pub const SCHEMA: &str = "common";
