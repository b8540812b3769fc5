//! The data layer, below every handler: one file per table, each with its row type, its column
//! list, its decoding and its named queries. Every SQL statement of the module is here, written
//! out in full or from constant pieces, never from input; a statement's failures that mean
//! something to the client (a violated constraint, a row that is not there) become client
//! errors here, where the statement runs.
//!
//! - [`category`]: the category tree.
//! - [`product`]: products (SPUs) and what is kept on them for lists: search document, price
//!   range, rating, stock summary, embedding.
//! - [`sku`]: SKUs, with the stock levels inventory announces.
//! - [`tag`]: the tags products use.
//! - [`review`]: reviews, their votes, and a product's rating breakdown.
//! - [`reply`]: replies to reviews.
//! - [`listing`]: the one query behind product lists and search.
//! - [`search_word`]: the words products use, for spelling correction.
//! - [`query_embedding`]: search queries' embeddings, kept for reuse.
//! - [`outbox`]: the messages catalog sends, written with their cause.

pub mod category;
pub mod listing;
pub mod outbox;
pub mod product;
pub mod query_embedding;
pub mod reply;
pub mod review;
pub mod search_word;
pub mod sku;
pub mod tag;

use kit::db::Row;
use kit::{ApiError, ApiResult};
use uuid::Uuid;

/// The schema catalog owns; its idempotency records and its outbox live in it as well.
pub const SCHEMA: &str = "catalog";

pub use kit::db::Lock;

/// A `text[]` column as a list. Spin decodes an array's elements as nullable; catalog's arrays
/// hold no NULLs, and one that did would be dropped rather than fail the whole row.
fn string_list(row: &Row<'_>, column: &str) -> ApiResult<Vec<String>> {
    Ok(row
        .get::<Vec<Option<String>>>(column)?
        .into_iter()
        .flatten()
        .collect())
}

/// A `text[]` column of ids as a list. Spin decodes no `uuid[]`, so queries select id arrays
/// as `text[]`; an element that is not a UUID is a bug of the query, hence a 500.
fn uuid_list(row: &Row<'_>, column: &str) -> ApiResult<Vec<Uuid>> {
    string_list(row, column)?
        .iter()
        .map(|id| {
            id.parse()
                .map_err(|e| ApiError::internal(format_args!("column `{column}`: {e}")))
        })
        .collect()
}
