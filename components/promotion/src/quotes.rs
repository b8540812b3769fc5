//! `/api/v1/promotion/quote` and `/internal/quote`: what a cart pays under the promotions that
//! run now — per line the original and final price, the shipping discount, which promotions
//! applied and why each other one considered did not ([`engine::quote`] decides; this loads
//! and answers).
//!
//! The public quote is a shopper's cart preview: SKUs and quantities, priced from catalog's
//! batch read (one call per quote); a signed-in shopper's per-buyer limits are counted. The
//! internal quote takes lines whose seller, product, category and price the caller already
//! has (checkout), so pricing never calls back into catalog; the cards quote prices one unit
//! of each SKU of a page for catalog's cards and detail.
//!
//! What is weighed: the running automatic promotions of the cart's sellers and the platform,
//! and every promotion whose code the cart carries, whatever its schedule or owner, so that a
//! typed code that gives nothing says why. Order does not record orders yet, so the public
//! quote cannot tell a first order: first-order-only promotions answer `first_order_only`
//! there, and apply through the internal quote, whose caller says.

use std::collections::{BTreeSet, HashMap};

use chrono::{SecondsFormat, Utc};
use contracts::catalog::{SkusBatchAnswer, SkusBatchRequest};
use contracts::promotion::{
    CARDS_BODY_LIMIT, CARDS_MAX, CardPrice, CardsAnswer, CardsRequest, QuoteLine, QuoteRequest,
    QuoteShipment,
};
use kit::db::Db;
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use crate::model::promotion::{self, Promotion};
use crate::model::usage;
use crate::rules::engine::{self, Buyer, Cart, Line, Offer, Remaining, Shipment};
use crate::rules::schedule::Schedule;
use crate::rules::terms::{Conditions, Kind};

/// Most lines a cart prices at once.
const MAX_LINES: usize = 100;

/// Most codes a cart carries.
const MAX_CODES: usize = 10;

/// Longest code (promotion codes are 3 to 32 characters; a longer one matches nothing).
const MAX_CODE_CHARS: usize = 32;

/// Most units of one line.
const MAX_QUANTITY: i64 = 1_000_000;

/// Dearest unit price, as catalog allows a SKU's price.
const MAX_UNIT_PRICE: i64 = 1_000_000_000_000;

/// A shopper's cart as the public quote takes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PreviewRequest {
    lines: Vec<PreviewLine>,
    #[serde(default)]
    codes: Vec<String>,
    #[serde(default)]
    shipping: Vec<QuoteShipment>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PreviewLine {
    sku_id: Uuid,
    quantity: i64,
}

/// `POST /api/v1/promotion/quote` — public; a signed-in shopper's per-buyer limits count.
/// 404 `sku_not_found`, 409 `sku_unavailable`, 422 `currency_mismatch` (SKUs priced in two
/// currencies) and the checks of every quote.
pub async fn preview(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let buyer = ctx.optional_user()?.map(|u| u.sub);
    let body: PreviewRequest = json::read(&req)?;
    count("lines", body.lines.len(), 1, MAX_LINES)?;
    let asked: Vec<Uuid> = body.lines.iter().map(|l| l.sku_id).collect();
    unique_skus(&asked)?;
    let known: SkusBatchAnswer = ctx
        .internal("catalog")
        .post(
            "/internal/skus/batch",
            &SkusBatchRequest { sku_ids: asked },
            None,
        )
        .await?;
    let by_id: HashMap<Uuid, _> = known.items.into_iter().map(|s| (s.sku_id, s)).collect();
    let mut lines = Vec::with_capacity(body.lines.len());
    for line in &body.lines {
        let sku = by_id.get(&line.sku_id).ok_or_else(|| {
            ApiError::not_found("sku_not_found", format!("no SKU {}", line.sku_id))
        })?;
        if !sku.available {
            return Err(ApiError::conflict(
                "sku_unavailable",
                format!("SKU {} is no longer sold", line.sku_id),
            ));
        }
        lines.push(QuoteLine {
            sku_id: sku.sku_id,
            product_id: sku.product_id,
            seller_id: sku.seller_id,
            category_path: sku.category_path.clone(),
            unit_price_minor: sku.unit_price_minor,
            quantity: line.quantity,
        });
    }
    let currencies: BTreeSet<&str> = by_id.values().map(|s| s.currency.as_str()).collect();
    let [currency] = currencies.into_iter().collect::<Vec<_>>()[..] else {
        return Err(ApiError::unprocessable(
            "currency_mismatch",
            "the cart's SKUs are priced in more than one currency: quote each apart",
        ));
    };
    let request = QuoteRequest {
        currency: currency.to_string(),
        lines,
        shipping: body.shipping,
        buyer_id: buyer,
        first_order: false,
        codes: body.codes,
    };
    answer(ctx.db()?, request)
}

/// `POST /internal/quote` — a cart whose lines the caller has read from catalog.
pub async fn internal(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: QuoteRequest = json::read(&req)?;
    answer(ctx.db()?, body)
}

/// `POST /internal/quote/cards` — one unit of each SKU priced alone under the automatic
/// promotions running now, with no buyer: the promoted price catalog stores when it reprices
/// (`/internal/skus/reprice`), which cards and detail show. One query loads the promotions of
/// every seller in the batch.
pub async fn cards(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: CardsRequest = json::read_limited(&req, CARDS_BODY_LIMIT)?;
    count("items", body.items.len(), 1, CARDS_MAX)?;
    let skus: Vec<Uuid> = body.items.iter().map(|i| i.sku_id).collect();
    unique_skus(&skus)?;
    let at = Utc::now();
    let sellers: Vec<Uuid> = body
        .items
        .iter()
        .map(|i| i.seller_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let found = promotion::offers(ctx.db()?, &sellers, &[])?;
    let offers = found
        .iter()
        .map(|p| offer(p, None))
        .collect::<ApiResult<Vec<Offer>>>()?;
    let mut by_seller: HashMap<Uuid, Vec<Offer>> = HashMap::new();
    let mut items = Vec::with_capacity(body.items.len());
    for item in body.items {
        let request = QuoteRequest {
            currency: item.currency,
            lines: vec![QuoteLine {
                sku_id: item.sku_id,
                product_id: item.product_id,
                seller_id: item.seller_id,
                category_path: item.category_path,
                unit_price_minor: item.unit_price_minor,
                quantity: 1,
            }],
            shipping: Vec::new(),
            buyer_id: None,
            first_order: false,
            codes: Vec::new(),
        };
        // Only the platform's and this seller's promotions can touch its line: picked once
        // per seller of the page.
        let mine = by_seller.entry(item.seller_id).or_insert_with(|| {
            offers
                .iter()
                .filter(|o| o.seller_id.is_none() || o.seller_id == Some(item.seller_id))
                .cloned()
                .collect::<Vec<Offer>>()
        });
        let quote = engine::quote(&cart(request)?, mine, at);
        let line = quote
            .lines
            .first()
            .ok_or_else(|| ApiError::internal("a quote of one line answered no line"))?;
        items.push(CardPrice {
            sku_id: line.sku_id,
            price_minor: line.final_minor,
            original_minor: line.original_minor,
            promotion_ids: line.applied.iter().map(|s| s.promotion_id).collect(),
        });
    }
    json::ok(&CardsAnswer { items, at })
}

/// Checks the cart, loads what it weighs, prices it and answers.
fn answer(db: &Db, request: QuoteRequest) -> ApiResult<Response> {
    let at = Utc::now();
    let buyer_id = request.buyer_id;
    let cart = cart(request)?;
    let sellers: Vec<Uuid> = cart
        .lines
        .iter()
        .map(|l| l.seller_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let codes: Vec<String> = cart.codes.iter().map(|c| c.to_lowercase()).collect();
    let found = promotion::offers(db, &sellers, &codes)?;
    let used: HashMap<Uuid, i64> = match buyer_id {
        Some(buyer) => {
            let ids: Vec<Uuid> = found.iter().map(|p| p.stored.id).collect();
            usage::buyer_uses(db, buyer, &ids)?.into_iter().collect()
        }
        None => HashMap::new(),
    };
    let offers = found
        .iter()
        .map(|p| offer(p, buyer_id.map(|_| &used)))
        .collect::<ApiResult<Vec<Offer>>>()?;
    let quote = engine::quote(&cart, &offers, at);
    let names: HashMap<Uuid, &str> = found
        .iter()
        .map(|p| (p.stored.id, p.stored.name.as_str()))
        .collect();
    let mut body = serde_json::to_value(&quote).map_err(ApiError::internal)?;
    for list in ["applied", "not_applied"] {
        for entry in body[list].as_array_mut().into_iter().flatten() {
            let name = entry["promotion_id"]
                .as_str()
                .and_then(|id| id.parse().ok())
                .and_then(|id: Uuid| names.get(&id).copied());
            entry["name"] = name.map_or(Value::Null, Value::from);
        }
    }
    body["at"] = Value::from(at.to_rfc3339_opts(SecondsFormat::Millis, true));
    json::ok(&body)
}

/// 422 unless `n` lies in `min..=max`.
fn count(field: &str, n: usize, min: usize, max: usize) -> ApiResult<()> {
    if (min..=max).contains(&n) {
        return Ok(());
    }
    Err(ApiError::validation(format!(
        "{field}: {min} to {max} entries"
    )))
}

/// 422 `duplicate_sku` when a SKU is on two lines: a cart holds each SKU once, with its
/// quantity.
fn unique_skus(skus: &[Uuid]) -> ApiResult<()> {
    let mut seen = BTreeSet::new();
    match skus.iter().find(|s| !seen.insert(**s)) {
        Some(twice) => Err(ApiError::unprocessable(
            "duplicate_sku",
            format!("SKU {twice} is on two lines: give it once, with its quantity"),
        )),
        None => Ok(()),
    }
}

/// The cart the engine prices, every field checked: 422 for anything out of range.
fn cart(request: QuoteRequest) -> ApiResult<Cart> {
    let currency = kit::validate::Currency::parse("currency", &request.currency)?;
    count("lines", request.lines.len(), 1, MAX_LINES)?;
    let skus: Vec<Uuid> = request.lines.iter().map(|l| l.sku_id).collect();
    unique_skus(&skus)?;
    let mut lines = Vec::with_capacity(request.lines.len());
    for l in request.lines {
        if !(1..=MAX_QUANTITY).contains(&l.quantity) {
            return Err(ApiError::validation(format!(
                "lines.quantity: 1 to {MAX_QUANTITY} (SKU {})",
                l.sku_id
            )));
        }
        if !(0..=MAX_UNIT_PRICE).contains(&l.unit_price_minor) {
            return Err(ApiError::validation(format!(
                "lines.unit_price_minor: 0 to {MAX_UNIT_PRICE} (SKU {})",
                l.sku_id
            )));
        }
        lines.push(Line {
            sku_id: l.sku_id,
            product_id: l.product_id,
            seller_id: l.seller_id,
            category_path: l.category_path,
            unit_price_minor: l.unit_price_minor,
            quantity: l.quantity,
        });
    }
    let mut shippers = BTreeSet::new();
    let mut shipping = Vec::with_capacity(request.shipping.len());
    for s in request.shipping {
        if !shippers.insert(s.seller_id) {
            return Err(ApiError::validation(format!(
                "shipping: seller {} twice",
                s.seller_id
            )));
        }
        if !(0..=MAX_UNIT_PRICE).contains(&s.amount_minor) {
            return Err(ApiError::validation(format!(
                "shipping.amount_minor: 0 to {MAX_UNIT_PRICE}"
            )));
        }
        shipping.push(Shipment {
            seller_id: s.seller_id,
            amount_minor: s.amount_minor,
        });
    }
    count("codes", request.codes.len(), 0, MAX_CODES)?;
    for code in &request.codes {
        kit::validate::line("codes", code, 1, MAX_CODE_CHARS)?;
    }
    Ok(Cart {
        currency: currency.as_str().to_string(),
        lines,
        shipping,
        buyer: request.buyer_id.map(|_| Buyer {
            first_order: request.first_order,
        }),
        codes: request.codes,
    })
}

/// A stored promotion as the engine weighs it; `used` holds the buyer's uses when a buyer is
/// signed in. Its terms were checked by the same parsers when it was written, so one that no
/// longer parses is a bug, not the caller's mistake.
fn offer(p: &Promotion, used: Option<&HashMap<Uuid, i64>>) -> ApiResult<Offer> {
    let s = &p.stored;
    let stored = |e: ApiError| {
        ApiError::internal(format_args!(
            "promotion {}'s stored terms do not parse: {}",
            s.id, e.message
        ))
    };
    let limits = p.counts.limits;
    Ok(Offer {
        id: s.id,
        seller_id: s.seller_id,
        kind: Kind::parse(&s.terms).map_err(stored)?,
        target: s.target()?,
        conditions: Conditions::parse(Some(&s.conditions)).map_err(stored)?,
        code: s.code.clone(),
        priority: s.priority,
        exclusive: s.exclusive,
        currency: s.currency.clone(),
        schedule: Schedule::parse(&s.schedule).map_err(stored)?,
        remaining: Remaining {
            uses: limits.total_limit.map(|l| l - p.counts.uses),
            buyer_uses: limits
                .per_buyer_limit
                .and_then(|l| used.map(|u| l - u.get(&s.id).copied().unwrap_or(0))),
            budget_minor: limits.budget_minor.map(|b| b - p.counts.spent_minor),
        },
        per_buyer_limited: limits.per_buyer_limit.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(sku: u128, quantity: i64, price: i64) -> QuoteLine {
        QuoteLine {
            sku_id: Uuid::from_u128(sku),
            product_id: Uuid::from_u128(100 + sku),
            seller_id: Uuid::from_u128(7),
            category_path: vec![],
            unit_price_minor: price,
            quantity,
        }
    }

    fn request(lines: Vec<QuoteLine>) -> QuoteRequest {
        QuoteRequest {
            currency: "VND".into(),
            lines,
            shipping: vec![],
            buyer_id: None,
            first_order: false,
            codes: vec![],
        }
    }

    #[test]
    fn a_cart_out_of_range_is_refused_with_its_reason() {
        let code = |r: QuoteRequest| cart(r).err().map(|e| e.code.to_string());
        assert_eq!(code(request(vec![line(1, 1, 100)])), None);
        assert_eq!(code(request(vec![])).as_deref(), Some("validation"));
        let twice = request(vec![line(1, 1, 100), line(1, 2, 100)]);
        assert_eq!(code(twice).as_deref(), Some("duplicate_sku"));
        let none = request(vec![line(1, 0, 100)]);
        assert_eq!(code(none).as_deref(), Some("validation"));
        let negative = request(vec![line(1, 1, -1)]);
        assert_eq!(code(negative).as_deref(), Some("validation"));
        let mut dollars = request(vec![line(1, 1, 100)]);
        dollars.currency = "dollars".into();
        assert_eq!(code(dollars).as_deref(), Some("validation"));
        let mut codes = request(vec![line(1, 1, 100)]);
        codes.codes = vec!["A".repeat(33)];
        assert_eq!(code(codes).as_deref(), Some("validation"));
    }

    #[test]
    fn a_guest_cart_has_no_buyer_and_a_signed_in_one_says_whether_it_is_a_first_order() {
        let mut r = request(vec![line(1, 1, 100)]);
        assert_eq!(cart(r.clone()).unwrap().buyer, None);
        r.buyer_id = Some(Uuid::from_u128(9));
        r.first_order = true;
        assert_eq!(cart(r).unwrap().buyer, Some(Buyer { first_order: true }));
    }
}
