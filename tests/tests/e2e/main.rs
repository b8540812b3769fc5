//! End-to-end tests: every request goes through `souk-host` or real Spin (`scripts/test` runs
//! the suite under each) to the real components, which
//! talk to a real PostgreSQL and Redis. One stack serves the whole binary; each test creates
//! its own users and data, so tests never depend on one another or on their order.

mod account;
mod cart;
mod catalog;
mod catalog_batch;
mod checkout;
mod confirm_faults;
mod durable;
mod embeddings;
mod geocode;
mod inventory;
mod listing;
mod messages;
mod options;
mod orders;
mod payments;
mod platform;
mod prices;
mod promotion;
mod providers;
mod quotes;
mod redemptions;
mod refunds;
mod reservations;
mod reviews;
mod search;
mod sessions;
mod shipments;
mod workflows;
