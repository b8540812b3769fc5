//! The data layer, below every handler: one file per table, each with its row type, its
//! decoding and its named queries. Every SQL statement of the module is here.
//!
//! - [`cart`]: buyers' cart lines.
//! - [`checkout`]: checkouts, their items and their shipping, and how the buyer's asks reach
//!   the checkout workflow.
//! - [`ledger`]: the money taken for checkouts and given back.
//! - [`attempt`]: payment attempts, where each stands, and the rule that settles one from a
//!   gateway's notice.
//! - [`callback`]: every callback a gateway sent, and the verdict it got.
//! - [`order`]: orders — what one seller ships to one buyer — and their escrow.
//! - [`order_refund`]: refunds of delivered orders in two stages, and disputes over rejected
//!   ones.
//! - [`outbox`]: the messages order sends (late payments refunded).
//! - [`refund`]: refunds of paid attempts.
//! - [`seller_stats`]: a seller's dashboard: orders, revenue, units, refunds and payouts by
//!   period, pending actions, best-selling products.
//! - [`shipment`]: shipments booked with the carrier, every status it reported, and the rule
//!   that moves a shipment on a report.

pub mod attempt;
pub mod callback;
pub mod cart;
pub mod checkout;
pub mod ledger;
pub mod order;
pub mod order_refund;
pub mod outbox;
pub mod refund;
pub mod seller_stats;
pub mod shipment;

pub use outbox::SCHEMA;
