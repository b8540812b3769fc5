//! `"order".cart_line`: what each buyer's cart holds, SKU by SKU.

use kit::db::{Db, FromRow, Row, uuid};
use kit::{ApiError, ApiResult};
use uuid::Uuid;

/// The most one line holds.
pub const MAX_QUANTITY: i32 = 99;

/// The most lines one cart holds.
pub const MAX_LINES: i64 = 100;

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Line {
    pub sku_id: Uuid,
    pub quantity: i32,
}

impl FromRow for Line {
    fn from_row(row: &Row<'_>) -> ApiResult<Line> {
        Ok(Line {
            sku_id: row.get("sku_id")?,
            quantity: row.get("quantity")?,
        })
    }
}

/// The lines of `buyer`'s cart, oldest first.
pub fn lines(db: &Db, buyer: Uuid) -> ApiResult<Vec<Line>> {
    db.fetch_all(
        "SELECT sku_id, quantity FROM \"order\".cart_line WHERE buyer_id = $1 \
         ORDER BY added_at, sku_id",
        &[uuid(buyer)],
    )
}

/// Takes `buyer`'s cart rows' lock, so concurrent changes of one cart apply one after the
/// other (the line count holds); the count of lines.
pub fn lock(db: &Db, buyer: Uuid) -> ApiResult<i64> {
    db.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('order.cart:' || $1::text, 0))",
        &[kit::db::text(buyer.to_string())],
    )?;
    db.scalar(
        "SELECT count(*)::int8 FROM \"order\".cart_line WHERE buyer_id = $1",
        &[uuid(buyer)],
    )
}

/// Adds `quantity` of `sku` (to what the line holds); the line's new quantity. 409
/// `cart_quantity_exceeded` past [`MAX_QUANTITY`].
pub fn add(db: &Db, buyer: Uuid, sku: Uuid, quantity: i32) -> ApiResult<i32> {
    let held: Option<i32> = db.scalar(
        "SELECT (SELECT quantity FROM \"order\".cart_line WHERE buyer_id = $1 AND sku_id = $2)",
        &[uuid(buyer), uuid(sku)],
    )?;
    let total = held.unwrap_or(0) + quantity;
    if total > MAX_QUANTITY {
        return Err(ApiError::conflict(
            "cart_quantity_exceeded",
            format!("a cart line holds at most {MAX_QUANTITY}"),
        ));
    }
    set(db, buyer, sku, total)?;
    Ok(total)
}

/// Sets the line of `sku` to `quantity` (1 to [`MAX_QUANTITY`]), adding it when missing.
pub fn set(db: &Db, buyer: Uuid, sku: Uuid, quantity: i32) -> ApiResult<()> {
    db.execute(
        "INSERT INTO \"order\".cart_line (buyer_id, sku_id, quantity) VALUES ($1, $2, $3) \
         ON CONFLICT (buyer_id, sku_id) DO UPDATE SET quantity = EXCLUDED.quantity",
        &[uuid(buyer), uuid(sku), quantity.into()],
    )?;
    Ok(())
}

/// Whether `buyer`'s cart has a line of `sku`.
pub fn has(db: &Db, buyer: Uuid, sku: Uuid) -> ApiResult<bool> {
    db.scalar(
        "SELECT EXISTS (SELECT 1 FROM \"order\".cart_line WHERE buyer_id = $1 AND sku_id = $2)",
        &[uuid(buyer), uuid(sku)],
    )
}

/// Removes the line of `sku`; whether there was one.
pub fn remove(db: &Db, buyer: Uuid, sku: Uuid) -> ApiResult<bool> {
    Ok(db.execute(
        "DELETE FROM \"order\".cart_line WHERE buyer_id = $1 AND sku_id = $2",
        &[uuid(buyer), uuid(sku)],
    )? > 0)
}

/// Empties `buyer`'s cart.
pub fn clear(db: &Db, buyer: Uuid) -> ApiResult<()> {
    db.execute(
        "DELETE FROM \"order\".cart_line WHERE buyer_id = $1",
        &[uuid(buyer)],
    )?;
    Ok(())
}

/// Takes the lines of `skus` out of `buyer`'s cart (they are being checked out); the lines
/// taken, to put back should the checkout end without payment.
pub fn take(db: &Db, buyer: Uuid, skus: &[Uuid]) -> ApiResult<Vec<Line>> {
    let set = db.query(
        "DELETE FROM \"order\".cart_line WHERE buyer_id = $1 \
         AND sku_id = ANY($2::text[]::uuid[]) RETURNING sku_id, quantity",
        &[uuid(buyer), kit::db::uuids(skus)],
    )?;
    kit::db::rows(&set).map(|r| Line::from_row(&r)).collect()
}

/// Puts `lines` back into `buyer`'s cart, each unless the buyer has added that SKU again since.
pub fn put_back(db: &Db, buyer: Uuid, lines: &[Line]) -> ApiResult<()> {
    for l in lines {
        db.execute(
            "INSERT INTO \"order\".cart_line (buyer_id, sku_id, quantity) VALUES ($1, $2, $3) \
             ON CONFLICT (buyer_id, sku_id) DO NOTHING",
            &[uuid(buyer), uuid(l.sku_id), l.quantity.into()],
        )?;
    }
    Ok(())
}
