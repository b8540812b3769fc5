//! `contracts`: the bodies that cross between modules, one Rust type for both sides. A module
//! serving an internal route deserialises the request and serialises the answer with the types
//! here; its callers use the same types, so a renamed field breaks the build, not production.
//!
//! - [`account`]: account's internal routes (accounts batch, currency, notifications, …).
//! - [`catalog`]: catalog's internal routes and the messages catalog receives.
//! - [`common`]: common's internal routes (geocoding for other modules).
//! - [`inventory`]: inventory's internal routes (stock, availability, reservations, …).
//! - [`order`]: order's internal routes (payment attempts and refunds).
//! - [`promotion`]: promotion's internal routes (redemptions).
//!
//! Types here carry data only (serde derives, no I/O, no kit): a module's rules stay in the
//! module.

pub mod account;
pub mod catalog;
pub mod common;
pub mod inventory;
pub mod order;
pub mod promotion;
