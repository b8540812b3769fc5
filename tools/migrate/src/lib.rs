//! Souk's migration runner: `migrations/<module>/NNNN_name.up.sql` (with a matching
//! `.down.sql`), one PostgreSQL schema per module, applied in version order within each module.
//!
//! - [`files`] reads the migration tree into [`Migration`]s (pure file handling).
//! - [`plan`](mod@plan) compares them with what the database recorded: pending files, or the
//!   applied file that was edited or removed (pure logic).
//! - [`database`] holds the commands that talk to the database: [`up`], [`down`], [`status`].

pub mod database;
pub mod files;
pub mod plan;

pub use database::{down, status, up};
pub use files::{Migration, checksum, discover, parse_file_name};
pub use plan::{Applied, plan};
