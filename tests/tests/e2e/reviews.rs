//! Reviews through the real stack: the purchase check order answers from real checkouts, and
//! listing, votes, replies and ratings on reviews.

use serde_json::{Value, json};
use souk_e2e::stack;
use uuid::Uuid;

use crate::catalog::{BOOKS, account, add_sku, list, names, product};

/// A review written straight into catalog's tables (the row and the product's rating, as the
/// create endpoint writes them), for tests about what happens to reviews once written.
async fn seed_review(product: &str, author: Uuid, score: i16) -> Uuid {
    let id = Uuid::now_v7();
    let product: Uuid = product.parse().unwrap();
    let db = stack().db().await;
    db.execute(
        "INSERT INTO catalog.review (id, product_id, author_id, order_id, score, body) \
         VALUES ($1, $2, $3, $4, $5, 'Seeded')",
        &[&id, &product, &author, &Uuid::new_v4(), &score],
    )
    .await
    .unwrap();
    db.execute(
        "UPDATE catalog.product SET rating_count = rating_count + 1, rating_sum = rating_sum + $2 \
         WHERE id = $1",
        &[&product, &i32::from(score)],
    )
    .await
    .unwrap();
    id
}

#[tokio::test]
async fn a_review_needs_a_purchase_the_order_module_confirms() {
    let (_, seller) = account("VN").await;
    let (_, buyer) = account("VN").await;
    let p = product(&seller, "Reviewed Kettle", BOOKS, &[]).await;
    let id = p["id"].as_str().unwrap();
    add_sku(&seller, id, 500).await;
    let api = stack().api();
    let body = json!({ "order_id": Uuid::new_v4(), "score": 5, "body": "Great" });
    api.post(&format!("/api/v1/catalog/products/{id}/reviews"))
        .json(body.clone())
        .send()
        .await
        .assert_error(401, "unauthorized");
    api.post(&format!("/api/v1/catalog/products/{id}/reviews"))
        .bearer(&seller)
        .json(body.clone())
        .send()
        .await
        .assert_error(403, "forbidden");
    for bad in [
        json!({ "order_id": Uuid::new_v4(), "score": 0 }),
        json!({ "order_id": Uuid::new_v4(), "score": 6 }),
        json!({ "order_id": Uuid::new_v4(), "score": 3, "body": "x".repeat(4001) }),
    ] {
        api.post(&format!("/api/v1/catalog/products/{id}/reviews"))
            .bearer(&buyer)
            .json(bad)
            .send()
            .await
            .assert_error(422, "validation");
    }
    // No purchase, no review: an order id that is not a paid checkout of the buyer's.
    api.post(&format!("/api/v1/catalog/products/{id}/reviews"))
        .bearer(&buyer)
        .json(body)
        .send()
        .await
        .assert_error(403, "must_purchase_to_review");
    let reviews = api
        .get(&format!("/api/v1/catalog/products/{id}/reviews"))
        .send()
        .await;
    assert_eq!(reviews["items"], json!([]));
}

#[tokio::test]
async fn a_buyer_reviews_what_they_bought_in_a_paid_checkout_and_no_one_else_can() {
    let (_, _, skus) = crate::checkout::seller(stack(), &[70_000], 3).await;
    let (_, buyer) = crate::checkout::buyer(stack(), 0).await;
    let bought = crate::checkout::checkout(
        stack(),
        &buyer,
        json!({
            "items": [{ "sku_id": skus[0], "quantity": 1 }],
            "payment": { "gateway": "cod" }, "return_url": crate::checkout::RETURN_URL,
        }),
    )
    .await;
    bought.assert_status(201);
    let order = bought["id"].as_str().unwrap();
    let product = bought["items"][0]["product_id"].as_str().unwrap();
    let review = json!({ "order_id": order, "score": 4, "body": "Arrived well packed" });
    let api = stack().api();
    let (_, stranger) = account("VN").await;
    api.post(&format!("/api/v1/catalog/products/{product}/reviews"))
        .bearer(&stranger)
        .json(review.clone())
        .send()
        .await
        .assert_error(403, "must_purchase_to_review");
    let written = api
        .post(&format!("/api/v1/catalog/products/{product}/reviews"))
        .bearer(&buyer)
        .json(review.clone())
        .send()
        .await;
    written.assert_status(201);
    api.post(&format!("/api/v1/catalog/products/{product}/reviews"))
        .bearer(&buyer)
        .json(review)
        .send()
        .await
        .assert_error(409, "order_already_reviewed");
}

#[tokio::test]
async fn reviews_are_listed_voted_on_replied_to_and_rate_the_product() {
    let (seller_id, seller) = account("VN").await;
    let (a, author) = account("VN").await;
    let (b, _) = account("VN").await;
    let (_, voter) = account("VN").await;
    let p = product(&seller, "Rated Lamp", BOOKS, &[]).await;
    let id = p["id"].as_str().unwrap();
    add_sku(&seller, id, 900).await;
    let mine = seed_review(id, a, 4).await;
    seed_review(id, b, 2).await;
    let api = stack().api();

    let detail = api
        .get(&format!("/api/v1/catalog/products/{id}"))
        .send()
        .await;
    assert_eq!(detail["rating"]["average"], 3.0);
    assert_eq!(detail["rating"]["count"], 2);
    assert_eq!(
        detail["rating"]["breakdown"],
        json!({ "1": 0, "2": 1, "3": 0, "4": 1, "5": 0 })
    );

    // One vote per account, changeable and revocable.
    let vote = |v: &str| {
        api.post(&format!("/api/v1/catalog/reviews/{mine}/vote"))
            .bearer(&voter)
            .json(json!({ "vote": v }))
            .send()
    };
    let up = vote("up").await;
    assert_eq!(
        (&up["upvotes"], &up["downvotes"], &up["my_vote"]),
        (&json!(1), &json!(0), &json!(1))
    );
    let again = vote("up").await;
    assert_eq!(again["upvotes"], 1, "a second up vote changes nothing");
    let down = vote("down").await;
    assert_eq!(
        (&down["upvotes"], &down["downvotes"]),
        (&json!(0), &json!(1))
    );
    let none = vote("none").await;
    assert_eq!(
        (&none["upvotes"], &none["downvotes"], &none["my_vote"]),
        (&json!(0), &json!(0), &Value::Null)
    );
    vote("sideways").await.assert_error(422, "validation");
    api.post(&format!("/api/v1/catalog/reviews/{mine}/vote"))
        .bearer(&author)
        .json(json!({ "vote": "up" }))
        .send()
        .await
        .assert_error(403, "forbidden");
    vote("up").await.assert_status(200);

    // Most helpful first, and by score.
    let helpful = api
        .get(&format!(
            "/api/v1/catalog/products/{id}/reviews?sort=helpful"
        ))
        .send()
        .await;
    assert_eq!(helpful["items"][0]["id"], mine.to_string());
    let twos = api
        .get(&format!("/api/v1/catalog/products/{id}/reviews?score=2"))
        .send()
        .await;
    assert_eq!(twos["items"].as_array().unwrap().len(), 1);

    // The seller replies; only a reply's author may change it.
    let reply = api
        .post(&format!("/api/v1/catalog/reviews/{mine}/replies"))
        .bearer(&seller)
        .json(json!({ "body": "Thank you!" }))
        .send()
        .await;
    reply.assert_status(201);
    assert_eq!(reply["author_id"], seller_id.to_string());
    let reply_id = reply["id"].as_str().unwrap();
    api.patch(&format!("/api/v1/catalog/replies/{reply_id}"))
        .bearer(&author)
        .json(json!({ "body": "hijacked" }))
        .send()
        .await
        .assert_error(403, "forbidden");
    api.post(&format!("/api/v1/catalog/reviews/{mine}/replies"))
        .bearer(&author)
        .json(json!({ "body": "   " }))
        .send()
        .await
        .assert_error(422, "validation");
    let replies = api
        .get(&format!("/api/v1/catalog/reviews/{mine}/replies"))
        .send()
        .await;
    assert_eq!(replies["items"][0]["body"], "Thank you!");

    // The author edits and deletes; others may not; the rating follows.
    api.patch(&format!("/api/v1/catalog/reviews/{mine}"))
        .bearer(&voter)
        .json(json!({ "score": 1 }))
        .send()
        .await
        .assert_error(403, "forbidden");
    let edited = api
        .patch(&format!("/api/v1/catalog/reviews/{mine}"))
        .bearer(&author)
        .json(json!({ "score": 5, "body": "Even better after a month" }))
        .send()
        .await;
    edited.assert_status(200);
    assert_eq!(
        (&edited["score"], &edited["replies"]),
        (&json!(5), &json!(1))
    );
    let detail = api
        .get(&format!("/api/v1/catalog/products/{id}"))
        .send()
        .await;
    assert_eq!(detail["rating"]["average"], 3.5);
    api.delete(&format!("/api/v1/catalog/reviews/{mine}"))
        .bearer(&author)
        .send()
        .await
        .assert_status(204);
    let detail = api
        .get(&format!("/api/v1/catalog/products/{id}"))
        .send()
        .await;
    assert_eq!(
        (&detail["rating"]["average"], &detail["rating"]["count"]),
        (&json!(2.0), &json!(1))
    );

    // Best rated first.
    let better = product(&seller, "Better Lamp", BOOKS, &[]).await;
    seed_review(better["id"].as_str().unwrap(), a, 5).await;
    let by_rating = list(&format!("seller_id={seller_id}&sort=rating"), None).await;
    assert_eq!(names(&by_rating), ["Better Lamp", "Rated Lamp"]);

    let stats = api
        .get(&format!("/api/v1/catalog/sellers/{seller_id}/stats"))
        .send()
        .await;
    stats.assert_status(200);
    assert_eq!(
        (
            &stats["product_count"],
            &stats["review_count"],
            &stats["average_rating"],
            &stats["total_sold"]
        ),
        (&json!(2), &json!(2), &json!(3.5), &json!(0))
    );
}

#[tokio::test]
async fn one_account_gets_one_vote_however_many_it_sends_at_once() {
    let (_, seller) = account("VN").await;
    let (a, _) = account("VN").await;
    let (_, voter) = account("VN").await;
    let p = product(&seller, "Contested Lamp", BOOKS, &[]).await;
    let id = p["id"].as_str().unwrap();
    add_sku(&seller, id, 900).await;
    let review = seed_review(id, a, 5).await;
    let api = stack().api();
    let votes = (0..10).map(|_| {
        api.post(&format!("/api/v1/catalog/reviews/{review}/vote"))
            .bearer(&voter)
            .json(json!({ "vote": "up" }))
            .send()
    });
    for answer in futures::future::join_all(votes).await {
        answer.assert_status(200);
    }
    let listed = api
        .get(&format!("/api/v1/catalog/products/{id}/reviews"))
        .send()
        .await;
    listed.assert_status(200);
    let shown = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"].as_str() == Some(&review.to_string()))
        .cloned()
        .expect("the review is listed");
    assert_eq!(shown["upvotes"], 1, "{shown}");
}
