//! Promotions through the real stack: owners and their checks, bad input, and lists and their
//! filters. Redemptions are in `redemptions.rs`, quotes in `quotes.rs`.

use serde_json::{Value, json};
use souk_e2e::{Reply, stack};
use uuid::Uuid;

use crate::catalog::{account, add_sku, product};
use crate::catalog_batch::category;
use crate::redemptions::{one_line, reserve};

/// A seller: an account id and its access token.
pub(crate) struct Seller {
    pub(crate) id: Uuid,
    pub(crate) token: String,
}

pub(crate) fn seller() -> Seller {
    let id = Uuid::new_v4();
    Seller {
        id,
        token: stack().token_for(id),
    }
}

/// A registered seller with one product holding one SKU: (seller, product id, SKU id).
async fn seller_with_sku() -> (Seller, Uuid, Uuid) {
    let (id, token) = account("VN").await;
    let category = category("promoted", None).await;
    let made = product(&token, "Promoted Kettle", &category, &[]).await;
    let product_id = made["id"].as_str().unwrap().to_string();
    let sku = add_sku(&token, &product_id, 100_000).await;
    let parse = |v: &Value| v.as_str().unwrap().parse::<Uuid>().unwrap();
    (Seller { id, token }, parse(&made["id"]), parse(&sku["id"]))
}

pub(crate) fn key() -> String {
    Uuid::new_v4().to_string()
}

/// A code no other test uses (codes are unique among live promotions).
fn code() -> String {
    format!("c{}", &Uuid::new_v4().simple().to_string()[..12])
}

/// A running 10% promotion on all of its owner's products, with `extra` fields on top.
pub(crate) fn draft(extra: Value) -> Value {
    let mut body = json!({
        "name": "Ten off",
        "kind": { "type": "percentage", "percent": 10 },
        "target": { "type": "all" },
        "schedule": { "starts_at": "2020-01-01T00:00:00Z" },
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

async fn create(token: &str, body: Value) -> Reply {
    stack()
        .api()
        .post("/api/v1/promotion/promotions")
        .bearer(token)
        .json(body)
        .send()
        .await
}

pub(crate) async fn created(token: &str, body: Value) -> Value {
    let reply = create(token, body).await;
    reply.assert_status(201);
    reply.body
}

pub(crate) async fn get(id: &str, token: Option<&str>) -> Reply {
    let call = stack()
        .api()
        .get(&format!("/api/v1/promotion/promotions/{id}"));
    match token {
        Some(t) => call.bearer(t),
        None => call,
    }
    .send()
    .await
}

/// `DELETE /api/v1/promotion/promotions/{id}` with `token`.
pub(crate) async fn delete(id: &str, token: &str) -> Reply {
    stack()
        .api()
        .delete(&format!("/api/v1/promotion/promotions/{id}"))
        .bearer(token)
        .send()
        .await
}

async fn list(query: &str) -> Value {
    let reply = stack()
        .api()
        .get(&format!("/api/v1/promotion/promotions?{query}"))
        .send()
        .await;
    reply.assert_status(200);
    reply.body
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_seller_creates_reads_updates_and_deletes_its_promotion() {
    let (owner, _, sku) = seller_with_sku().await;
    let code = code();
    let p = created(
        &owner.token,
        draft(json!({ "code": code, "priority": 5,
                      "target": { "type": "skus", "ids": [sku] } })),
    )
    .await;
    assert_eq!(
        p["owner"],
        json!({ "kind": "seller", "seller_id": owner.id })
    );
    assert_eq!(
        (
            p["status"].as_str(),
            p["code"].as_str(),
            p["automatic"].as_bool()
        ),
        (Some("active"), Some(code.as_str()), Some(false))
    );
    assert_eq!(p["target"], json!({ "type": "skus", "ids": [sku] }));
    let id = p["id"].as_str().unwrap();

    // Anyone reads it; only its owner sees the code.
    let public = get(id, None).await;
    public.assert_status(200);
    assert_eq!(public.body["name"], "Ten off");
    assert!(public.body.get("code").is_none(), "{}", public.text);
    let other = seller();
    assert!(get(id, Some(&other.token)).await.body.get("code").is_none());
    assert_eq!(
        get(id, Some(&owner.token)).await.body["code"],
        code.as_str()
    );

    let patch = |token: &str, body: Value| {
        let token = token.to_string();
        async move {
            stack()
                .api()
                .patch(&format!("/api/v1/promotion/promotions/{id}"))
                .bearer(&token)
                .json(body)
                .send()
                .await
        }
    };
    let twenty = json!({
        "name": "Twenty off",
        "kind": { "type": "percentage", "percent": 20 },
        "code": null,
    });
    let changed = patch(&owner.token, twenty).await;
    changed.assert_status(200);
    assert_eq!(
        (
            changed.body["name"].as_str(),
            changed.body["kind"]["percent"].as_i64(),
            changed.body["automatic"].as_bool()
        ),
        (Some("Twenty off"), Some(20), Some(true))
    );
    // The whole result is checked: a change that breaks a rule changes nothing.
    patch(
        &owner.token,
        json!({ "name": "x", "kind": { "type": "percentage", "percent": 101 } }),
    )
    .await
    .assert_error(422, "percent_out_of_range");
    assert_eq!(get(id, None).await.body["name"], "Twenty off");

    // Another seller, the platform and nobody at all cannot touch it: it does not exist to them.
    patch(&other.token, json!({ "name": "mine" }))
        .await
        .assert_error(404, "promotion_not_found");
    patch(&stack().admin_token, json!({ "name": "mine" }))
        .await
        .assert_error(404, "promotion_not_found");
    stack()
        .api()
        .patch(&format!("/api/v1/promotion/promotions/{id}"))
        .json(json!({ "name": "mine" }))
        .send()
        .await
        .assert_error(401, "unauthorized");
    delete(id, &other.token)
        .await
        .assert_error(404, "promotion_not_found");
    assert_eq!(get(id, None).await.status, 200);

    delete(id, &owner.token).await.assert_status(204);
    get(id, None).await.assert_error(404, "promotion_not_found");
    delete(id, &owner.token)
        .await
        .assert_error(404, "promotion_not_found");
}

#[tokio::test]
async fn platform_promotions_are_created_with_the_admin_token_only() {
    // On a category nothing is in: a platform promotion reaches every seller's lines, and this
    // one must not change the prices other tests quote.
    let p = created(
        &stack().admin_token,
        draft(json!({ "target": { "type": "categories", "ids": [Uuid::new_v4()] } })),
    )
    .await;
    assert_eq!(p["owner"], json!({ "kind": "platform" }));
    let id = p["id"].as_str().unwrap();
    let page = list("owner=platform&limit=100").await;
    assert!(ids(&page).contains(&id.to_string()), "{page}");
    // A seller cannot change the platform's promotion.
    delete(id, &seller().token)
        .await
        .assert_error(404, "promotion_not_found");
    stack()
        .api()
        .post("/api/v1/promotion/promotions")
        .json(draft(json!({})))
        .send()
        .await
        .assert_error(401, "unauthorized");
    create("not-a-token", draft(json!({})))
        .await
        .assert_error(401, "unauthorized");
}

#[tokio::test]
async fn bad_promotions_are_refused_with_a_reason_and_nothing_is_written() {
    let owner = seller();
    let sku = Uuid::new_v4();
    let cases = [
        (
            json!({ "kind": { "type": "percentage", "percent": 0 } }),
            422,
            "percent_out_of_range",
        ),
        (
            json!({ "kind": { "type": "percentage", "percent": 101 } }),
            422,
            "percent_out_of_range",
        ),
        (json!({ "kind": { "type": "lottery" } }), 422, "validation"),
        (json!({ "kind": 7 }), 422, "validation"),
        (
            json!({ "schedule": { "starts_at": "2030-01-02T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z" } }),
            422,
            "end_before_start",
        ),
        (
            json!({ "schedule": { "starts_at": "tomorrow" } }),
            422,
            "validation",
        ),
        (json!({ "schedule": {} }), 422, "validation"),
        (
            json!({ "target": { "type": "skus", "ids": [] } }),
            422,
            "validation",
        ),
        (
            json!({ "target": { "type": "shops", "ids": [sku] } }),
            422,
            "validation",
        ),
        (
            json!({ "target": { "type": "all", "ids": [sku] } }),
            422,
            "validation",
        ),
        (json!({ "code": "no spaces" }), 422, "validation"),
        (json!({ "code": "ab" }), 422, "validation"),
        (json!({ "total_limit": 0 }), 422, "validation"),
        (json!({ "budget_minor": 1000 }), 422, "validation"),
        (json!({ "currency": "dollars" }), 422, "validation"),
        (json!({ "priority": 5000 }), 422, "validation"),
        (json!({ "name": "" }), 422, "validation"),
        (json!({ "surprise": true }), 422, "validation"),
    ];
    for (extra, status, code) in cases {
        let reply = create(&owner.token, draft(extra.clone())).await;
        assert_eq!(reply.status, status, "{extra}: {}", reply.text);
        assert_eq!(reply.body["error"]["code"], code, "{extra}: {}", reply.text);
    }
    let mine = list(&format!("owner={}", owner.id)).await;
    assert_eq!(ids(&mine), Vec::<String>::new(), "nothing was written");
    stack()
        .api()
        .post("/api/v1/promotion/promotions")
        .bearer(&owner.token)
        .body("application/json", "{not json")
        .send()
        .await
        .assert_status(400);
}

#[tokio::test]
async fn a_code_belongs_to_one_live_promotion_whatever_its_letter_case() {
    let code = code();
    let first = created(&seller().token, draft(json!({ "code": code }))).await;
    let other = seller();
    create(&other.token, draft(json!({ "code": code.to_uppercase() })))
        .await
        .assert_error(409, "code_taken");
    // Found by its code in any case, by anyone who knows it.
    let found = list(&format!("code={}", code.to_uppercase())).await;
    assert_eq!(ids(&found), vec![first["id"].as_str().unwrap().to_string()]);

    // An ended promotion gives its code back: redeem it once, then delete it (it ends).
    let id = first["id"].as_str().unwrap();
    reserve(one_line(id, 0, None), &key())
        .await
        .assert_status(201);
    let owner_token = stack().token_for(
        first["owner"]["seller_id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap(),
    );
    delete(id, &owner_token).await.assert_status(204);
    created(&other.token, draft(json!({ "code": code.to_uppercase() }))).await;
}

#[tokio::test]
async fn lists_filter_by_owner_status_target_and_code_and_page_by_cursor() {
    let (owner, product, sku) = seller_with_sku().await;
    let category = Uuid::new_v4();
    let on_sku = created(
        &owner.token,
        draft(json!({ "target": { "type": "skus", "ids": [sku] } })),
    )
    .await;
    let on_product = created(
        &owner.token,
        draft(json!({ "target": { "type": "products", "ids": [product] } })),
    )
    .await;
    let on_category = created(
        &owner.token,
        draft(
            json!({ "target": { "type": "categories", "ids": [category] },
                    "schedule": { "starts_at": "2099-01-01T00:00:00Z" } }),
        ),
    )
    .await;
    let ended = created(
        &owner.token,
        draft(json!({
            "target": { "type": "skus", "ids": [sku] },
            "schedule": {
                "starts_at": "2020-01-01T00:00:00Z",
                "ends_at": "2021-01-01T00:00:00Z",
            },
        })),
    )
    .await;
    let id = |p: &Value| p["id"].as_str().unwrap().to_string();
    assert_eq!(on_category["status"], "scheduled");
    assert_eq!(ended["status"], "ended");

    let mine = format!("owner={}", owner.id);
    assert_eq!(
        ids(&list(&mine).await),
        vec![id(&ended), id(&on_category), id(&on_product), id(&on_sku)],
        "newest first"
    );
    assert_eq!(
        ids(&list(&format!("{mine}&status=active")).await),
        vec![id(&on_product), id(&on_sku)]
    );
    assert_eq!(
        ids(&list(&format!("{mine}&status=scheduled")).await),
        vec![id(&on_category)]
    );
    assert_eq!(
        ids(&list(&format!("{mine}&status=ended")).await),
        vec![id(&ended)]
    );
    assert_eq!(
        ids(&list(&format!("sku={sku}")).await),
        vec![id(&ended), id(&on_sku)]
    );
    assert_eq!(
        ids(&list(&format!("product={product}")).await),
        vec![id(&on_product)]
    );
    assert_eq!(
        ids(&list(&format!("category={category}")).await),
        vec![id(&on_category)]
    );

    let first = list(&format!("{mine}&limit=3")).await;
    assert_eq!(ids(&first).len(), 3);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = list(&format!("{mine}&limit=3&cursor={cursor}")).await;
    assert_eq!(ids(&second), vec![id(&on_sku)]);
    assert!(second["next_cursor"].is_null());

    for bad in [
        "status=later",
        "sku=nope",
        "owner=nope",
        "limit=0",
        "cursor=%21",
        "sku={s}&product={s}",
    ] {
        let bad = bad.replace("{s}", &sku.to_string());
        let reply = stack()
            .api()
            .get(&format!("/api/v1/promotion/promotions?{bad}"))
            .send()
            .await;
        assert_eq!(reply.status, 400, "{bad}: {}", reply.text);
    }
}

#[tokio::test]
async fn a_seller_s_promotion_names_only_its_own_products_and_skus() {
    let (owner, product, sku) = seller_with_sku().await;
    let (_, other_product, other_sku) = seller_with_sku().await;
    for target in [
        json!({ "type": "skus", "ids": [sku, other_sku] }),
        json!({ "type": "products", "ids": [other_product] }),
        json!({ "type": "skus", "ids": [Uuid::new_v4()] }),
    ] {
        create(&owner.token, draft(json!({ "target": target })))
            .await
            .assert_error(422, "target_not_owned");
    }
    let bundle = json!({ "type": "bundle", "price_minor": 150_000, "items": [
        { "sku_id": sku, "quantity": 1 }, { "sku_id": other_sku, "quantity": 1 },
    ] });
    create(
        &owner.token,
        draft(json!({ "kind": bundle, "currency": "VND" })),
    )
    .await
    .assert_error(422, "target_not_owned");
    let mine = created(
        &owner.token,
        draft(json!({ "target": { "type": "products", "ids": [product] } })),
    )
    .await;
    let id = mine["id"].as_str().unwrap();
    stack()
        .api()
        .patch(&format!("/api/v1/promotion/promotions/{id}"))
        .bearer(&owner.token)
        .json(json!({ "target": { "type": "skus", "ids": [other_sku] } }))
        .send()
        .await
        .assert_error(422, "target_not_owned");
    assert_eq!(
        get(id, None).await.body["target"],
        json!({ "type": "products", "ids": [product] }),
        "unchanged"
    );
    // The platform's promotions may name any seller's products.
    created(
        &stack().admin_token,
        draft(json!({ "target": { "type": "skus", "ids": [other_sku] } })),
    )
    .await;
}
