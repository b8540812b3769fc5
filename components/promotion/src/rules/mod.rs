//! The promotion module's rules as pure functions: no database, no HTTP, compiled and tested
//! natively.
//!
//! - [`terms`]: what a promotion gives, to which lines, on which conditions — parsed from JSON.
//! - [`schedule`]: when it runs, in its time zone, and the next instant that changes.
//! - [`engine`]: [`engine::quote`], the prices a cart pays under a set of offers.
//! - `json`: reading JSON fields with errors that name them.

pub mod engine;
mod json;
pub mod schedule;
pub mod terms;
