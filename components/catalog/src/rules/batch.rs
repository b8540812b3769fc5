//! The ids a batch read names: 1 to [`BATCH_MAX`] of them, each answered once, in the order
//! the request first names it.

use std::collections::HashSet;

use contracts::catalog::BATCH_MAX;
use kit::{ApiError, ApiResult};
use uuid::Uuid;

/// The distinct ids of a batch request, in the order of their first occurrence; never empty
/// and never more than [`BATCH_MAX`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch(Vec<Uuid>);

impl Batch {
    /// The batch `field` names: 422 `validation` naming the field when it holds no id or more
    /// than [`BATCH_MAX`]. The limit counts the ids as sent, repeats included: it bounds the
    /// request, not the answer.
    pub fn parse(field: &str, ids: &[Uuid]) -> ApiResult<Batch> {
        if ids.is_empty() || ids.len() > BATCH_MAX {
            return Err(ApiError::validation(format!(
                "{field}: name 1 to {BATCH_MAX} ids"
            )));
        }
        let mut seen = HashSet::with_capacity(ids.len());
        Ok(Batch(
            ids.iter().copied().filter(|id| seen.insert(*id)).collect(),
        ))
    }

    /// The ids, each once.
    pub fn ids(&self) -> &[Uuid] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_keeps_each_id_once_where_it_first_appears() {
        let [a, b, c] = [1, 2, 3].map(Uuid::from_u128);
        let batch = Batch::parse("sku_ids", &[b, a, b, c, a]).unwrap();
        assert_eq!(batch.ids(), [b, a, c]);
    }

    #[test]
    fn a_batch_names_one_to_the_maximum_ids() {
        let id = Uuid::from_u128(1);
        assert!(Batch::parse("sku_ids", &[id]).is_ok());
        assert!(Batch::parse("sku_ids", &vec![id; BATCH_MAX]).is_ok());
        for len in [0, BATCH_MAX + 1] {
            let refused = Batch::parse("product_ids", &vec![id; len]).unwrap_err();
            assert_eq!((refused.status, refused.code.as_ref()), (422, "validation"));
            let message = &refused.message;
            assert!(message.starts_with("product_ids:"), "{message}");
        }
    }
}
