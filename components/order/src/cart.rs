//! `/api/v1/order/cart`: the signed-in buyer's cart.
//!
//! - `GET …/cart`: the lines grouped by seller, each with the price a shopper sees now (after
//!   the automatic promotions catalog keeps) and what is in stock, subtotals per seller in the
//!   seller's currency; a line that cannot be bought (a deleted SKU, a disabled product, the
//!   buyer's own product, nothing in stock) is shown with its reason and counted in no total.
//! - `POST …/cart/items` `{sku_id, quantity}`: adds to a line; `PUT …/cart/items/:sku_id`
//!   `{quantity}` sets it; `DELETE …/cart/items/:sku_id` removes it; `DELETE …/cart` empties
//!   the cart.
//!
//! A line holds 1 to 99 units; a cart at most 100 lines. Changes of one cart take its lock,
//! so concurrent additions never pass the limits. Prices and availability are read from
//! catalog and inventory each time, in one batch call each, never stored in the cart.

use contracts::catalog::SkuSummary;
use contracts::inventory::Availability;
use kit::db::Db;
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::model::cart::{self, Line, MAX_LINES, MAX_QUANTITY};
use crate::peers;

fn quantity(n: i64) -> ApiResult<i32> {
    i32::try_from(n)
        .ok()
        .filter(|n| (1..=MAX_QUANTITY).contains(n))
        .ok_or_else(|| ApiError::validation(format!("quantity: 1 to {MAX_QUANTITY}")))
}

/// Why a line cannot be bought now, if it cannot.
fn unavailable(
    buyer: Uuid,
    line: &Line,
    sku: Option<&SkuSummary>,
    stock: Option<&Availability>,
) -> Option<&'static str> {
    let Some(sku) = sku else {
        return Some("sku_not_found");
    };
    if !sku.available {
        return Some("not_for_sale");
    }
    if sku.seller_id == buyer {
        return Some("own_product");
    }
    match stock {
        Some(s) if s.available >= i64::from(line.quantity) => None,
        Some(s) if s.available > 0 => Some("not_enough_stock"),
        _ => Some("out_of_stock"),
    }
}

/// The cart of `buyer` as shown: lines grouped by seller, in the order first added.
async fn view(ctx: &Ctx, buyer: Uuid) -> ApiResult<Value> {
    let lines = cart::lines(ctx.db()?, buyer)?;
    let ids: Vec<Uuid> = lines.iter().map(|l| l.sku_id).collect();
    let skus = peers::skus(&ctx.internal("catalog"), ids.clone()).await?;
    let stock = peers::stock(&ctx.internal("inventory"), ids).await?;
    let mut groups: Vec<(Uuid, String, Vec<Value>, i64)> = Vec::new();
    let mut unknown = Vec::new();
    for line in &lines {
        let sku = skus.get(&line.sku_id);
        let held = stock.get(&line.sku_id);
        let reason = unavailable(buyer, line, sku, held);
        let Some(sku) = sku else {
            unknown.push(json!({
                "sku_id": line.sku_id, "quantity": line.quantity, "unavailable": reason,
            }));
            continue;
        };
        let price = sku.promoted_price_minor.unwrap_or(sku.unit_price_minor);
        let total = price * i64::from(line.quantity);
        let shown = json!({
            "sku_id": line.sku_id, "product_id": sku.product_id, "name": sku.name,
            "attributes": sku.attributes, "quantity": line.quantity,
            "unit_price_minor": price, "original_price_minor": sku.unit_price_minor,
            "line_total_minor": total, "currency": sku.currency,
            "in_stock": held.map_or(0, |s| s.available), "unavailable": reason,
        });
        let counted = if reason.is_none() { total } else { 0 };
        match groups
            .iter_mut()
            .find(|(seller, currency, _, _)| *seller == sku.seller_id && *currency == sku.currency)
        {
            Some(group) => {
                group.2.push(shown);
                group.3 += counted;
            }
            None => groups.push((sku.seller_id, sku.currency.clone(), vec![shown], counted)),
        }
    }
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(seller, currency, lines, subtotal)| {
            json!({
                "seller_id": seller, "currency": currency, "lines": lines,
                "subtotal_minor": subtotal,
            })
        })
        .collect();
    Ok(json!({ "groups": groups, "unknown": unknown, "lines": lines.len() }))
}

/// `GET /api/v1/order/cart`.
pub async fn get(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let buyer = ctx.user()?.sub;
    json::ok(&view(&ctx, buyer).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddRequest {
    sku_id: Uuid,
    quantity: i64,
}

/// Refuses what no cart may hold: a SKU catalog does not have (404), one not for sale (409
/// `sku_unavailable`), the buyer's own product (422 `own_product`).
async fn buyable(ctx: &Ctx, buyer: Uuid, sku: Uuid) -> ApiResult<()> {
    let found = peers::skus(&ctx.internal("catalog"), vec![sku]).await?;
    let sku = found
        .get(&sku)
        .ok_or_else(|| ApiError::not_found("sku_not_found", format!("no SKU {sku}")))?;
    if !sku.available {
        return Err(ApiError::conflict(
            "sku_unavailable",
            "this SKU is not for sale",
        ));
    }
    if sku.seller_id == buyer {
        return Err(ApiError::unprocessable(
            "own_product",
            "a seller cannot buy its own product",
        ));
    }
    Ok(())
}

/// `POST /api/v1/order/cart/items` — adds `quantity` to the SKU's line (created when
/// missing); 200 the cart. 409 `cart_full` past 100 lines, `cart_quantity_exceeded` past 99
/// units in a line.
pub async fn add(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let buyer = ctx.user()?.sub;
    let body: AddRequest = json::read(&req)?;
    let n = quantity(body.quantity)?;
    buyable(&ctx, buyer, body.sku_id).await?;
    ctx.db()?
        .transaction(async |db: &Db| {
            let count = cart::lock(db, buyer)?;
            if count >= MAX_LINES && !cart::has(db, buyer, body.sku_id)? {
                return Err(ApiError::conflict(
                    "cart_full",
                    format!("a cart holds at most {MAX_LINES} lines"),
                ));
            }
            cart::add(db, buyer, body.sku_id, n)
        })
        .await?;
    json::ok(&view(&ctx, buyer).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetRequest {
    quantity: i64,
}

/// `PUT /api/v1/order/cart/items/:sku_id` `{quantity}` — sets the line (0 removes it); 404
/// `cart_line_not_found` for a SKU the cart does not hold.
pub async fn set(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let buyer = ctx.user()?.sub;
    let sku = ctx.param_id("sku_id", "SKU")?;
    let body: SetRequest = json::read(&req)?;
    let n = if body.quantity == 0 {
        None
    } else {
        Some(quantity(body.quantity)?)
    };
    ctx.db()?
        .transaction(async |db: &Db| {
            cart::lock(db, buyer)?;
            if !cart::has(db, buyer, sku)? {
                return Err(line_not_found());
            }
            match n {
                Some(n) => cart::set(db, buyer, sku, n),
                None => cart::remove(db, buyer, sku).map(|_| ()),
            }
        })
        .await?;
    json::ok(&view(&ctx, buyer).await?)
}

fn line_not_found() -> ApiError {
    ApiError::not_found("cart_line_not_found", "the cart holds no such SKU")
}

/// `DELETE /api/v1/order/cart/items/:sku_id` — 404 `cart_line_not_found` when not held.
pub async fn remove(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let buyer = ctx.user()?.sub;
    let sku = ctx.param_id("sku_id", "SKU")?;
    let removed = ctx
        .db()?
        .transaction(async |db: &Db| {
            cart::lock(db, buyer)?;
            cart::remove(db, buyer, sku)
        })
        .await?;
    if !removed {
        return Err(line_not_found());
    }
    json::ok(&view(&ctx, buyer).await?)
}

/// `DELETE /api/v1/order/cart` — empties the cart; 204.
pub async fn clear(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let buyer = ctx.user()?.sub;
    ctx.db()?
        .transaction(async |db: &Db| {
            cart::lock(db, buyer)?;
            cart::clear(db, buyer)
        })
        .await?;
    json::no_content()
}
