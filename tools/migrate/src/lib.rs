//! Souk's migration runner: `migrations/<module>/NNNN_name.up.sql` (with a matching
//! `.down.sql`), one PostgreSQL schema per module, applied in version order within each module,
//! then the tables of the kit features the module lists in its `kit.features`.
//!
//! - [`features`] holds the kit's DDL templates (embedded from `crates/kit/sql`), reads a
//!   module's `kit.features` and renders a template for the module's schema.
//! - [`files`] reads the migration tree into [`Migration`]s, kit features' included, and the
//!   `-- supersedes sha256:<hex>` lines of rewritten files (pure file handling).
//! - [`plan`](mod@plan) compares them with what the database recorded: pending files, files
//!   whose recorded checksum they supersede, or the applied file that was edited or removed
//!   (pure logic).
//! - [`database`] holds the commands that talk to the database: [`up`], [`down`], [`status`].

pub mod database;
pub mod features;
pub mod files;
pub mod plan;

pub use database::{Report, down, down_with, status, status_with, up, up_with};
pub use features::{Features, TemplateFile};
pub use files::{Migration, checksum, discover, discover_with, parse_file_name};
pub use plan::{Applied, Plan, State, plan};
