//! `/api/v1/promotion/promotions`: promotions and their owners. A seller (signed in) creates
//! promotions of its own, which only ever discount its own lines; the platform's are created
//! with the admin token. Anyone may read and list them (a voucher's code is shown to its owner
//! only); only the owner updates or deletes one, and to anyone else another's promotion does
//! not exist (404). A promotion that has been redeemed is ended, not deleted, so orders keep
//! their history. Every write of an automatic promotion asks catalog to reprice what it
//! targeted and targets, and watches the new version's schedule ([`crate::timers`]).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use contracts::catalog::{
    BATCH_MAX, ProductsBatchAnswer, ProductsBatchRequest, SkusBatchAnswer, SkusBatchRequest,
};
use kit::db::Db;
use kit::patch::Field;
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::model::promotion::{self, Filter, Promotion, Stored};
use crate::model::usage::{self, Limits};
use crate::model::{Lock, SCHEMA, outbox};
use crate::rules::schedule::Schedule;
use crate::rules::terms::{Conditions, Kind, Target};
use crate::timers;

/// Who is asking: a seller (its account) or the platform (the admin token).
fn caller(ctx: &Ctx, req: &Request) -> ApiResult<Option<Uuid>> {
    ctx.acting_account(req)
}

/// Who may see a promotion's code and change it: its owner, and nobody else.
fn viewer(ctx: &Ctx, req: &Request) -> ApiResult<Option<Option<Uuid>>> {
    if kit::auth::require_admin(req).is_ok() {
        return Ok(Some(None));
    }
    Ok(ctx.optional_user()?.map(|u| Some(u.sub)))
}

/// A new promotion, as the client sends it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRequest {
    name: String,
    kind: Value,
    target: Value,
    #[serde(default)]
    conditions: Option<Value>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    priority: i32,
    #[serde(default)]
    exclusive: bool,
    #[serde(default)]
    currency: Option<String>,
    schedule: Value,
    #[serde(default)]
    total_limit: Option<i64>,
    #[serde(default)]
    per_buyer_limit: Option<i64>,
    #[serde(default)]
    budget_minor: Option<i64>,
}

/// A change: every field is optional; `null` clears a nullable one.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateRequest {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    kind: Option<Value>,
    #[serde(default)]
    target: Option<Value>,
    #[serde(default)]
    conditions: Option<Value>,
    #[serde(default)]
    code: Field<String>,
    #[serde(default)]
    priority: Option<i32>,
    #[serde(default)]
    exclusive: Option<bool>,
    #[serde(default)]
    currency: Field<String>,
    #[serde(default)]
    schedule: Option<Value>,
    #[serde(default)]
    total_limit: Field<i64>,
    #[serde(default)]
    per_buyer_limit: Field<i64>,
    #[serde(default)]
    budget_minor: Field<i64>,
}

/// A promotion as the API shows it.
#[derive(Serialize)]
struct PromotionAnswer {
    id: Uuid,
    owner: Owner,
    name: String,
    kind: Value,
    target: Value,
    conditions: Value,
    /// Shown to the owner only; `automatic` says whether it needs one.
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    automatic: bool,
    priority: i32,
    exclusive: bool,
    currency: Option<String>,
    schedule: Value,
    status: String,
    total_limit: Option<i64>,
    per_buyer_limit: Option<i64>,
    budget_minor: Option<i64>,
    uses: i64,
    spent_minor: i64,
    ended_at: Option<DateTime<Utc>>,
    /// When the schedule next opens or closes (a window, the start, the end); `None` once it
    /// never changes again.
    next_change_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(Serialize)]
struct Owner {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    seller_id: Option<Uuid>,
}

fn answer(p: Promotion, viewer: Option<Option<Uuid>>) -> ApiResult<PromotionAnswer> {
    let owned = viewer == Some(p.stored.seller_id);
    // Written by the same parser, so it parses; an ended promotion changes no more.
    let next_change_at = Schedule::parse(&p.stored.schedule)
        .ok()
        .filter(|_| p.ended_at.is_none())
        .and_then(|s| s.next_change(Utc::now()));
    let target = p.stored.target()?.to_json();
    Ok(PromotionAnswer {
        id: p.stored.id,
        owner: Owner {
            kind: if p.stored.seller_id.is_some() {
                "seller"
            } else {
                "platform"
            },
            seller_id: p.stored.seller_id,
        },
        name: p.stored.name,
        kind: p.stored.terms,
        target,
        conditions: p.stored.conditions,
        automatic: p.stored.code.is_none(),
        code: p.stored.code.filter(|_| owned),
        priority: p.stored.priority,
        exclusive: p.stored.exclusive,
        currency: p.stored.currency,
        schedule: p.stored.schedule,
        status: p.status,
        total_limit: p.counts.limits.total_limit,
        per_buyer_limit: p.counts.limits.per_buyer_limit,
        budget_minor: p.counts.limits.budget_minor,
        uses: p.counts.uses,
        spent_minor: p.counts.spent_minor,
        ended_at: p.ended_at,
        next_change_at,
        created_at: p.created_at,
        updated_at: p.updated_at,
    })
}

/// Longest name.
const MAX_NAME_CHARS: usize = 200;

/// A promotion's fields before they are checked, as created or after a change is applied.
struct Draft {
    name: String,
    kind: Value,
    target: Value,
    conditions: Value,
    code: Option<String>,
    priority: i32,
    exclusive: bool,
    currency: Option<String>,
    schedule: Value,
    limits: Limits,
}

fn positive(field: &str, limit: Option<i64>) -> ApiResult<Option<i64>> {
    match limit {
        Some(n) if n <= 0 => Err(ApiError::validation(format!("{field} must be positive"))),
        other => Ok(other),
    }
}

/// The products and SKUs a promotion names, in its target and its terms.
struct Named {
    skus: Vec<Uuid>,
    products: Vec<Uuid>,
}

/// 422 `target_not_owned` unless every product and SKU a seller's promotion names is one of
/// the seller's own, as catalog's batch reads tell (an id catalog does not know is not the
/// seller's either); the platform's may name any. The quote applies a seller's promotion to
/// that seller's lines only, whatever it names: this tells the seller at once.
async fn ensure_owned(ctx: &Ctx, owner: Option<Uuid>, named: &Named) -> ApiResult<()> {
    let Some(seller) = owner else {
        return Ok(());
    };
    let catalog = ctx.internal("catalog");
    let not_owned = |what: &str, id: &Uuid| {
        ApiError::unprocessable(
            "target_not_owned",
            format!("{what} {id} is not one of your products"),
        )
    };
    for chunk in named.skus.chunks(BATCH_MAX) {
        let request = SkusBatchRequest {
            sku_ids: chunk.to_vec(),
        };
        let found: SkusBatchAnswer = catalog.post("/internal/skus/batch", &request, None).await?;
        let theirs: HashSet<Uuid> = found
            .items
            .iter()
            .filter(|s| s.seller_id == seller)
            .map(|s| s.sku_id)
            .collect();
        if let Some(id) = chunk.iter().find(|id| !theirs.contains(id)) {
            return Err(not_owned("SKU", id));
        }
    }
    for chunk in named.products.chunks(BATCH_MAX) {
        let request = ProductsBatchRequest {
            product_ids: chunk.to_vec(),
        };
        let found: ProductsBatchAnswer = catalog
            .post("/internal/products/batch", &request, None)
            .await?;
        let theirs: HashSet<Uuid> = found
            .items
            .iter()
            .filter(|p| p.seller_id == seller)
            .map(|p| p.product_id)
            .collect();
        if let Some(id) = chunk.iter().find(|id| !theirs.contains(id)) {
            return Err(not_owned("product", id));
        }
    }
    Ok(())
}

impl Draft {
    /// Checks every field — the kind, target, conditions and schedule by the rules' own
    /// parsers, which the quote reads them back with — and gives the columns to store for
    /// `owner` (`None`: the platform).
    fn check(self, id: Uuid, owner: Option<Uuid>) -> ApiResult<(Stored, Limits, Named)> {
        let name = kit::validate::line("name", &self.name, 1, MAX_NAME_CHARS)?;
        let kind = Kind::parse(&self.kind)?;
        let target = Target::parse(&self.target)?;
        let conditions = Conditions::parse(Some(&self.conditions))?;
        let schedule = Schedule::parse(&self.schedule)?;
        let code = self
            .code
            .map(|c| {
                let ok = (3..=32).contains(&c.len())
                    && c.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                ok.then_some(c).ok_or_else(|| {
                    ApiError::validation("code: 3 to 32 letters, digits, `-` or `_`")
                })
            })
            .transpose()?;
        if !(-1000..=1000).contains(&self.priority) {
            return Err(ApiError::validation("priority: from -1000 to 1000"));
        }
        let currency = self
            .currency
            .map(|c| kit::validate::Currency::parse("currency", &c).map(|c| c.as_str().to_string()))
            .transpose()?;
        if kind.needs_currency() && currency.is_none() {
            return Err(ApiError::validation(
                "currency: required for a promotion that gives an amount",
            ));
        }
        let limits = Limits {
            total_limit: positive("total_limit", self.limits.total_limit)?,
            per_buyer_limit: positive("per_buyer_limit", self.limits.per_buyer_limit)?,
            budget_minor: positive("budget_minor", self.limits.budget_minor)?,
        };
        if limits.budget_minor.is_some() && currency.is_none() {
            return Err(ApiError::validation("a budget needs a currency"));
        }
        let mut named = Named {
            skus: kind.skus(),
            products: Vec::new(),
        };
        match &target {
            Target::Skus(ids) => named.skus.extend(ids),
            Target::Products(ids) => named.products.extend(ids),
            Target::All | Target::Categories(_) => {}
        }
        let (target_kind, target_ids) = target.parts();
        let stored = Stored {
            id,
            seller_id: owner,
            name,
            kind: kind.tag().to_string(),
            terms: kind.to_json(),
            target_kind: target_kind.to_string(),
            target_ids,
            conditions: serde_json::to_value(&conditions).map_err(ApiError::internal)?,
            code,
            priority: self.priority,
            exclusive: self.exclusive,
            currency,
            starts_at: schedule.starts_at,
            ends_at: schedule.ends_at,
            schedule: schedule.to_json(),
        };
        Ok((stored, limits, named))
    }

    /// The draft of a stored promotion, to apply a change to.
    fn of(p: &Promotion) -> ApiResult<Draft> {
        Ok(Draft {
            name: p.stored.name.clone(),
            kind: p.stored.terms.clone(),
            target: p.stored.target()?.to_json(),
            conditions: p.stored.conditions.clone(),
            code: p.stored.code.clone(),
            priority: p.stored.priority,
            exclusive: p.stored.exclusive,
            currency: p.stored.currency.clone(),
            schedule: p.stored.schedule.clone(),
            limits: p.counts.limits,
        })
    }

    fn apply(self, change: UpdateRequest) -> Draft {
        Draft {
            name: change.name.unwrap_or(self.name),
            kind: change.kind.unwrap_or(self.kind),
            target: change.target.unwrap_or(self.target),
            conditions: change.conditions.unwrap_or(self.conditions),
            code: change.code.apply(self.code),
            priority: change.priority.unwrap_or(self.priority),
            exclusive: change.exclusive.unwrap_or(self.exclusive),
            currency: change.currency.apply(self.currency),
            schedule: change.schedule.unwrap_or(self.schedule),
            limits: Limits {
                total_limit: change.total_limit.apply(self.limits.total_limit),
                per_buyer_limit: change.per_buyer_limit.apply(self.limits.per_buyer_limit),
                budget_minor: change.budget_minor.apply(self.limits.budget_minor),
            },
        }
    }
}

/// `POST /api/v1/promotion/promotions` — 201 the promotion; 409 `code_taken`.
pub async fn create(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let owner = caller(&ctx, &req)?;
    let body: CreateRequest = json::read(&req)?;
    let draft = Draft {
        name: body.name,
        kind: body.kind,
        target: body.target,
        conditions: body.conditions.unwrap_or_else(|| serde_json::json!({})),
        code: body.code,
        priority: body.priority,
        exclusive: body.exclusive,
        currency: body.currency,
        schedule: body.schedule,
        limits: Limits {
            total_limit: body.total_limit,
            per_buyer_limit: body.per_buyer_limit,
            budget_minor: body.budget_minor,
        },
    };
    let (stored, limits, named) = draft.check(kit::ids::new_id(), owner)?;
    ensure_owned(&ctx, owner, &named).await?;
    ctx.db()?
        .transaction(async |db: &Db| {
            promotion::insert(db, &stored)?;
            usage::insert(db, stored.id, limits)?;
            let created = promotion::load(db, stored.id, Lock::None)?;
            prices_follow(&ctx, db, None, Some(&created))?;
            json::created(
                &format!("/api/v1/promotion/promotions/{}", stored.id),
                &answer(created, Some(owner))?,
            )
        })
        .await
        .inspect(|_| kit::outbox::wake(&ctx, SCHEMA))
}

/// Catalog's promoted prices follow a write: what the promotion targeted `before` and targets
/// `after` are priced again (once when they are the same), and the schedule of the version
/// written is watched. The outbox and the watch only act on automatic promotions.
fn prices_follow(
    ctx: &Ctx,
    db: &Db,
    before: Option<&Stored>,
    after: Option<&Promotion>,
) -> ApiResult<()> {
    if let Some(before) = before {
        outbox::reprice(db, before)?;
    }
    if let Some(after) = after {
        let a = &after.stored;
        let repriced = before.is_some_and(|b| {
            b.code.is_none()
                && (&b.seller_id, &b.target_kind, &b.target_ids)
                    == (&a.seller_id, &a.target_kind, &a.target_ids)
        });
        if !repriced {
            outbox::reprice(db, a)?;
        }
        timers::begin(ctx, db, after)?;
    }
    Ok(())
}

/// `GET /api/v1/promotion/promotions/:id` — public; the code is shown to its owner only.
pub async fn get(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let id = ctx.param_id("id", "promotion")?;
    let viewer = viewer(&ctx, &req)?;
    let found = promotion::load(ctx.db()?, id, Lock::None)?;
    json::ok(&answer(found, viewer)?)
}

/// The owner's promotion `id`, locked; 404 for anyone else's, as if it did not exist.
fn owned(db: &Db, id: Uuid, owner: Option<Uuid>) -> ApiResult<Promotion> {
    let found = promotion::load(db, id, Lock::ForUpdate)?;
    if found.stored.seller_id != owner {
        return Err(usage::not_found(id));
    }
    Ok(found)
}

/// `PATCH /api/v1/promotion/promotions/:id` — the owner changes any field; the result is
/// checked whole. 409 `promotion_ended` once ended, `code_taken`, `limit_below_use`.
pub async fn update(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let owner = caller(&ctx, &req)?;
    let id = ctx.param_id("id", "promotion")?;
    let change: UpdateRequest = json::read(&req)?;
    ctx.db()?
        .transaction(async |db: &Db| {
            let current = owned(db, id, owner)?;
            if current.status == "ended" {
                return Err(ApiError::conflict(
                    "promotion_ended",
                    format!("promotion {id} has ended and can no longer change"),
                ));
            }
            let (stored, limits, named) = Draft::of(&current)?.apply(change).check(id, owner)?;
            ensure_owned(&ctx, owner, &named).await?;
            promotion::update(db, &stored)?;
            usage::set_limits(db, id, limits)?;
            let updated = promotion::load(db, id, Lock::None)?;
            prices_follow(&ctx, db, Some(&current.stored), Some(&updated))?;
            json::ok(&answer(updated, Some(owner))?)
        })
        .await
        .inspect(|_| kit::outbox::wake(&ctx, SCHEMA))
}

/// `DELETE /api/v1/promotion/promotions/:id` — 204. A promotion that was ever redeemed is
/// ended instead (it stays readable, with status `ended`, and gives its code back).
pub async fn delete(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let owner = caller(&ctx, &req)?;
    let id = ctx.param_id("id", "promotion")?;
    ctx.db()?
        .transaction(async |db: &Db| {
            let current = owned(db, id, owner)?;
            if current.counts.redeemed {
                promotion::end(db, id)?;
            } else {
                promotion::delete(db, id)?;
            }
            prices_follow(&ctx, db, Some(&current.stored), None)?;
            json::no_content()
        })
        .await
        .inspect(|_| kit::outbox::wake(&ctx, SCHEMA))
}

/// `GET /api/v1/promotion/promotions` — public, newest first; filters `owner` (`platform` or
/// a seller's id), `status` (`scheduled`, `active`, `ended`), `product`, `sku`, `category`,
/// `code`; keyset pages (`limit`, `cursor`).
pub async fn list(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let viewer = viewer(&ctx, &req)?;
    let page = kit::page::request::<Uuid>(&ctx)?;
    let id = |field: &str| -> ApiResult<Option<Uuid>> {
        ctx.query(field)
            .map(|v| {
                v.parse()
                    .map_err(|_| ApiError::bad_request("invalid_filter", format!("{field}: an id")))
            })
            .transpose()
    };
    let owner = match ctx.query("owner").as_deref() {
        None => None,
        Some("platform") => Some(None),
        Some(_) => Some(id("owner")?),
    };
    let status = ctx.query("status");
    if status
        .as_deref()
        .is_some_and(|s| !["scheduled", "active", "ended"].contains(&s))
    {
        return Err(ApiError::bad_request(
            "invalid_filter",
            "status: scheduled, active or ended",
        ));
    }
    let mut targets = Vec::new();
    for (field, kind) in [
        ("product", "products"),
        ("sku", "skus"),
        ("category", "categories"),
    ] {
        if let Some(t) = id(field)? {
            targets.push((t, kind));
        }
    }
    if targets.len() > 1 {
        return Err(ApiError::bad_request(
            "invalid_filter",
            "filter by one of product, sku and category",
        ));
    }
    let filter = Filter {
        owner,
        status,
        target: targets.first().map(|(t, _)| *t),
        target_kind: targets.first().map(|(_, k)| *k),
        code: ctx.query("code"),
        after: page.after,
    };
    let rows = promotion::page(ctx.db()?, &filter, page.fetch())?;
    let items = rows
        .into_iter()
        .map(|p| answer(p, viewer))
        .collect::<ApiResult<Vec<PromotionAnswer>>>()?;
    let page = page.page(items, |p| p.id);
    json::ok(&page)
}
