//! Products (SPUs), one file per kind of request; none imports another.
//!
//! - [`list`]: `GET /api/v1/catalog/products` — cards, filtered, sorted and searched.
//! - [`detail`]: `GET /api/v1/catalog/products/:key` — one product with its SKUs and category.
//! - [`write`]: `POST`, `PATCH` and `DELETE` — the owning seller's changes.

mod detail;
mod list;
mod write;

pub use detail::get;
pub use list::list;
pub use write::{create, delete, update};
