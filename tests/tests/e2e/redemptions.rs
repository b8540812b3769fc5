//! Redemptions through the real stack: a checkout reserves, commits or releases the promotions
//! its quote applied — all or nothing, exactly once, never past a limit or a budget.

use serde_json::{Value, json};
use souk_e2e::{Reply, eventually, stack};
use uuid::Uuid;

use crate::promotion::{created, delete, draft, get, key, seller};

/// `POST /internal/redemptions` under `key`.
pub(crate) async fn reserve(body: Value, key: &str) -> Reply {
    stack()
        .internal("promotion")
        .post("/internal/redemptions")
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
}

/// Commits or releases (`action`) the redemption of `reference` under `key`.
pub(crate) async fn finish(reference: &str, action: &str, key: &str) -> Reply {
    stack()
        .internal("promotion")
        .post(&format!("/internal/redemptions/{reference}/{action}"))
        .header("idempotency-key", key)
        .send()
        .await
}

/// A checkout of its own taking `amount` of `promotion`, for `buyer`.
pub(crate) fn one_line(promotion: &str, amount: i64, buyer: Option<Uuid>) -> Value {
    json!({
        "reference": format!("checkout-{}", key()),
        "buyer_id": buyer,
        "lines": [{ "promotion_id": promotion, "amount_minor": amount }],
    })
}

#[tokio::test]
async fn a_redemption_is_reserved_committed_or_released_exactly_once() {
    let owner = seller();
    let p = created(
        &owner.token,
        draft(json!({ "total_limit": 2, "budget_minor": 1000, "currency": "VND" })),
    )
    .await;
    let id = p["id"].as_str().unwrap();
    let body = one_line(id, 600, None);
    let reference = body["reference"].as_str().unwrap().to_string();
    let k = key();
    let first = reserve(body.clone(), &k).await;
    first.assert_status(201);
    assert_eq!(first.body["status"], "reserved");
    // A retry replays the answer and takes nothing more.
    let again = reserve(body.clone(), &k).await;
    again.assert_status(201);
    assert_eq!(again.body, first.body);
    let counted = get(id, None).await.body;
    assert_eq!(
        (counted["uses"].as_i64(), counted["spent_minor"].as_i64()),
        (Some(1), Some(600))
    );
    // The same checkout under another key is refused: one redemption per reference.
    reserve(body.clone(), &key())
        .await
        .assert_error(409, "redemption_exists");
    // Not enough budget left for a second 600.
    reserve(one_line(id, 600, None), &key())
        .await
        .assert_error(409, "promotion_budget_exhausted");

    // Released: uses and budget come back; a second release is refused, a retry replays.
    let k = key();
    let released = finish(&reference, "release", &k).await;
    released.assert_status(200);
    assert_eq!(released.body["status"], "released");
    assert_eq!(finish(&reference, "release", &k).await.body, released.body);
    finish(&reference, "release", &key())
        .await
        .assert_error(409, "redemption_released");
    finish(&reference, "commit", &key())
        .await
        .assert_error(409, "redemption_released");
    let counted = get(id, None).await.body;
    assert_eq!(
        (counted["uses"].as_i64(), counted["spent_minor"].as_i64()),
        (Some(0), Some(0))
    );

    // Committed: spent for good.
    let paid = one_line(id, 1000, None);
    let paid_ref = paid["reference"].as_str().unwrap().to_string();
    reserve(paid, &key()).await.assert_status(201);
    let committed = finish(&paid_ref, "commit", &key()).await;
    committed.assert_status(200);
    assert_eq!(committed.body["status"], "committed");
    finish(&paid_ref, "release", &key())
        .await
        .assert_error(409, "redemption_committed");
    let counted = get(id, None).await.body;
    assert_eq!(
        (counted["uses"].as_i64(), counted["spent_minor"].as_i64()),
        (Some(1), Some(1000))
    );

    // A redeemed promotion is ended, not deleted, and can no longer be redeemed or changed.
    delete(id, &owner.token).await.assert_status(204);
    let kept = get(id, None).await;
    kept.assert_status(200);
    assert_eq!(kept.body["status"], "ended");
    assert!(kept.body["ended_at"].is_string());
    reserve(one_line(id, 0, None), &key())
        .await
        .assert_error(409, "promotion_not_active");
    stack()
        .api()
        .patch(&format!("/api/v1/promotion/promotions/{id}"))
        .bearer(&owner.token)
        .json(json!({ "name": "again" }))
        .send()
        .await
        .assert_error(409, "promotion_ended");

    finish("no-such-checkout", "commit", &key())
        .await
        .assert_error(404, "redemption_not_found");
}

#[tokio::test]
async fn a_bad_reservation_is_refused_and_takes_nothing() {
    let owner = seller();
    let limited = created(&owner.token, draft(json!({ "per_buyer_limit": 1 }))).await;
    let free = created(&owner.token, draft(json!({}))).await;
    let scheduled = created(
        &owner.token,
        draft(json!({ "schedule": { "starts_at": "2099-01-01T00:00:00Z" } })),
    )
    .await;
    let (limited, free) = (
        limited["id"].as_str().unwrap(),
        free["id"].as_str().unwrap(),
    );
    let buyer = Uuid::new_v4();

    reserve(one_line(limited, 0, None), &key())
        .await
        .assert_error(422, "buyer_required");
    reserve(one_line(limited, 0, Some(buyer)), &key())
        .await
        .assert_status(201);
    // The buyer's one use is taken: a cart with both promotions is refused whole.
    let both = json!({
        "reference": format!("checkout-{}", key()),
        "buyer_id": buyer,
        "lines": [
            { "promotion_id": free, "amount_minor": 5 },
            { "promotion_id": limited, "amount_minor": 5 },
        ],
    });
    reserve(both, &key())
        .await
        .assert_error(409, "buyer_limit_reached");
    assert_eq!(get(free, None).await.body["uses"], 0, "all or nothing");
    // Another buyer still may.
    reserve(one_line(limited, 0, Some(Uuid::new_v4())), &key())
        .await
        .assert_status(201);

    reserve(one_line(scheduled["id"].as_str().unwrap(), 0, None), &key())
        .await
        .assert_error(409, "promotion_not_active");
    // Running, but outside its weekly window: a day two days away, all day, is shut now.
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let today = chrono::Utc::now().format("%u").to_string();
    let later = days[(today.parse::<usize>().unwrap() + 1) % 7];
    let shut = created(
        &owner.token,
        draft(
            json!({ "schedule": { "starts_at": "2020-01-01T00:00:00Z", "timezone": "UTC",
                                    "windows": [{ "days": [later], "from": "00:00",
                                                  "to": "24:00" }] } }),
        ),
    )
    .await;
    reserve(one_line(shut["id"].as_str().unwrap(), 0, None), &key())
        .await
        .assert_error(409, "promotion_not_active");
    reserve(one_line(&Uuid::new_v4().to_string(), 0, None), &key())
        .await
        .assert_error(404, "promotion_not_found");
    reserve(one_line(free, -1, None), &key())
        .await
        .assert_error(422, "validation");
    let twice = json!({
        "reference": "twice",
        "lines": [{ "promotion_id": free, "amount_minor": 1 }, { "promotion_id": free, "amount_minor": 1 }],
    });
    reserve(twice, &key()).await.assert_error(422, "validation");
    reserve(json!({ "reference": "empty", "lines": [] }), &key())
        .await
        .assert_error(422, "validation");
    reserve(
        json!({ "reference": "", "lines": [{ "promotion_id": free, "amount_minor": 1 }] }),
        &key(),
    )
    .await
    .assert_error(422, "validation");
    // Writes need a key, and internal routes the service token.
    stack()
        .internal("promotion")
        .post("/internal/redemptions")
        .json(one_line(free, 0, None))
        .send()
        .await
        .assert_error(400, "idempotency_key_required");
    stack()
        .api()
        .post("/internal/redemptions")
        .header("idempotency-key", &key())
        .json(one_line(free, 0, None))
        .send()
        .await
        .assert_status(404);
    assert_eq!(get(free, None).await.body["uses"], 0);
}

#[tokio::test]
async fn twenty_checkouts_racing_for_a_promotion_limited_to_three_uses_get_three() {
    let owner = seller();
    let p = created(&owner.token, draft(json!({ "total_limit": 3 }))).await;
    let id = p["id"].as_str().unwrap().to_string();
    let replies = futures::future::join_all((0..20).map(|_| {
        let id = id.clone();
        async move { reserve(one_line(&id, 100, Some(Uuid::new_v4())), &key()).await }
    }))
    .await;
    let won = replies.iter().filter(|r| r.status == 201).count();
    for r in replies.iter().filter(|r| r.status != 201) {
        r.assert_error(409, "promotion_limit_reached");
    }
    assert_eq!(won, 3);
    let counted = get(&id, None).await.body;
    assert_eq!(
        (counted["uses"].as_i64(), counted["spent_minor"].as_i64()),
        (Some(3), Some(300))
    );
}

/// The wallet of the account whose token is `token`: (balance, currency).
async fn wallet(token: &str) -> (i64, String) {
    let reply = stack()
        .api()
        .get("/api/v1/account/wallet")
        .bearer(token)
        .send()
        .await;
    reply.assert_status(200);
    (
        reply["balance"].as_i64().unwrap(),
        reply["currency"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn cashback_is_credited_to_the_buyers_wallet_once_after_the_payout() {
    let owner = seller();
    let back = created(
        &owner.token,
        draft(
            json!({ "kind": { "type": "cashback", "percent": 5 }, "budget_minor": 10_000,
                     "currency": "VND" }),
        ),
    )
    .await;
    let back = back["id"].as_str().unwrap();
    let (buyer, buyer_token) = crate::catalog::account("VN").await;
    assert_eq!(wallet(&buyer_token).await, (0, "VND".to_string()));

    // Cashback goes to a buyer's wallet in the checkout's currency: both must be named.
    reserve(one_line(back, 2_500, None), &key())
        .await
        .assert_error(422, "cashback_needs_buyer_and_currency");
    reserve(one_line(back, 2_500, Some(buyer)), &key())
        .await
        .assert_error(422, "cashback_needs_buyer_and_currency");
    let mut body = one_line(back, 2_500, Some(buyer));
    body["currency"] = json!("XYZ");
    reserve(body.clone(), &key())
        .await
        .assert_error(422, "validation");
    body["currency"] = json!("USD");
    reserve(body.clone(), &key())
        .await
        .assert_error(422, "currency_mismatch");
    assert_eq!(get(back, None).await.body["uses"], 0, "nothing taken");

    body["currency"] = json!("VND");
    let reference = body["reference"].as_str().unwrap().to_string();
    let reserved = reserve(body, &key()).await;
    reserved.assert_status(201);
    assert_eq!(reserved["cashback_minor"], 2_500, "{}", reserved.text);
    // Not before the checkout is paid.
    finish(&reference, "cashback", &key())
        .await
        .assert_error(409, "redemption_not_committed");
    finish(&reference, "commit", &key())
        .await
        .assert_status(200);
    let k = key();
    let paid = finish(&reference, "cashback", &k).await;
    paid.assert_status(200);
    assert!(paid["cashback_paid_at"].is_string(), "{}", paid.text);
    // The credit reaches account through the outbox.
    let credited = eventually(std::time::Duration::from_secs(20), async || {
        let (balance, _) = wallet(&buyer_token).await;
        (balance != 0).then_some(balance)
    })
    .await;
    assert_eq!(credited, Some(2_500));
    // A retry replays; another request is refused; the wallet is credited once.
    let again = finish(&reference, "cashback", &k).await;
    again.assert_status(200);
    assert_eq!(again.body, paid.body);
    finish(&reference, "cashback", &key())
        .await
        .assert_error(409, "cashback_paid");
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(wallet(&buyer_token).await.0, 2_500);

    // A released checkout earns nothing.
    let mut other = one_line(back, 1_000, Some(buyer));
    other["currency"] = json!("VND");
    let other_ref = other["reference"].as_str().unwrap().to_string();
    reserve(other, &key()).await.assert_status(201);
    finish(&other_ref, "release", &key())
        .await
        .assert_status(200);
    finish(&other_ref, "cashback", &key())
        .await
        .assert_error(409, "redemption_not_committed");
    // A checkout without cashback promotions is paid nothing, and says so.
    let plain = created(&owner.token, draft(json!({}))).await;
    let plain_body = one_line(plain["id"].as_str().unwrap(), 100, Some(buyer));
    let plain_ref = plain_body["reference"].as_str().unwrap().to_string();
    reserve(plain_body, &key()).await.assert_status(201);
    finish(&plain_ref, "commit", &key())
        .await
        .assert_status(200);
    let none = finish(&plain_ref, "cashback", &key()).await;
    none.assert_status(200);
    assert_eq!(none["cashback_minor"], 0);
    assert_eq!(wallet(&buyer_token).await.0, 2_500);
}
