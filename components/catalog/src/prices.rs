//! `POST /internal/skus/reprice`: the promoted prices catalog keeps, so that listings filter
//! and sort by the price a shopper pays and cards show it without asking promotion per page.
//! Promotion sends this message through its outbox whenever the price of a scope may have
//! changed — a promotion created, changed or ended, a schedule's start, end or window edge
//! reached (its durable timers), a limited promotion running out or given back uses — and
//! catalog sends it itself when a SKU's price or a product's category changes. Each run reads
//! the scope's SKUs as they are then, asks promotion for one unit of each (one call), and stores
//! what changed with the instant promotion's answer holds at, so a late or repeated message
//! never puts back an older price.

use std::collections::{BTreeSet, HashMap};

use contracts::catalog::{REPRICE_IDS_MAX, RepriceAnswer, RepriceRequest, RepriceScope};
use contracts::promotion::{CARDS_MAX, CardItem, CardsAnswer, CardsRequest};
use kit::db::Db;
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use uuid::Uuid;

use crate::model::{SCHEMA, outbox, product, sku};

/// `POST /internal/skus/reprice` `{seller_id, scope, after}` — prices up to 500 SKUs of the
/// scope; a longer scope goes on in a follow-up message from where this run stopped. Promotion
/// not answering is a 503 (the message is retried), never a stale price stored.
pub async fn reprice(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: RepriceRequest = json::read(&req)?;
    let named = match &body.scope {
        RepriceScope::All => 0,
        RepriceScope::Products(ids) | RepriceScope::Skus(ids) | RepriceScope::Categories(ids) => {
            ids.len()
        }
    };
    if named > REPRICE_IDS_MAX {
        return Err(ApiError::validation(format!(
            "scope.ids: at most {REPRICE_IDS_MAX}"
        )));
    }
    let db = ctx.db()?;
    let ids = sku::in_scope(
        db,
        body.seller_id,
        &body.scope,
        body.after,
        CARDS_MAX as i64,
    )?;
    if ids.is_empty() {
        return json::ok(&RepriceAnswer {
            priced: 0,
            changed: 0,
            next: None,
        });
    }
    let summaries = sku::summaries(db, &ids)?;
    let items: Vec<CardItem> = summaries
        .iter()
        .map(|s| CardItem {
            sku_id: s.sku_id,
            product_id: s.product_id,
            seller_id: s.seller_id,
            category_path: s.category_path.clone(),
            unit_price_minor: s.unit_price_minor,
            currency: s.currency.clone(),
        })
        .collect();
    let priced: CardsAnswer = ctx
        .internal("promotion")
        .post("/internal/quote/cards", &CardsRequest { items }, None)
        .await?;
    let asked: HashMap<Uuid, (Uuid, i64)> = summaries
        .iter()
        .map(|s| (s.sku_id, (s.product_id, s.unit_price_minor)))
        .collect();
    let products: BTreeSet<Uuid> = asked.values().map(|(p, _)| *p).collect();
    // A run that filled its batch may have left SKUs behind: the rest of the scope follows.
    let next = (ids.len() == CARDS_MAX).then(|| ids[ids.len() - 1]);
    let changed = db
        .transaction(async |db: &Db| {
            // Products first, in id order, as every SKU write takes its product first: the
            // price ranges recomputed below then see every sibling SKU settled.
            product::lock_all(db, &products)?;
            let mut moved = BTreeSet::new();
            let mut changed = 0;
            for item in &priced.items {
                let Some(&(_, unit_price)) = asked.get(&item.sku_id) else {
                    continue;
                };
                let promoted = (item.price_minor < unit_price).then_some(item.price_minor);
                if let Some(product) =
                    sku::set_promoted(db, item.sku_id, unit_price, promoted, priced.at)?
                {
                    moved.insert(product);
                    changed += 1;
                }
            }
            for product in moved {
                product::refresh_prices(db, product)?;
            }
            if let Some(after) = next {
                outbox::reprice(
                    db,
                    &RepriceRequest {
                        after: Some(after),
                        ..body.clone()
                    },
                )?;
            }
            Ok(changed)
        })
        .await?;
    if next.is_some() {
        kit::outbox::wake(&ctx, SCHEMA);
    }
    json::ok(&RepriceAnswer {
        priced: priced.items.len(),
        changed,
        next,
    })
}
