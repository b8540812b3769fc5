//! Favourites: idempotent, checked in batches by other modules.

use super::*;

#[tokio::test]
async fn favorites_are_idempotent_and_checked_in_batches() {
    let (id, token) = user().await;
    let api = stack().api();
    let (p1, p2, p3) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    api.post(&format!("/api/v1/account/favorites/{p1}"))
        .bearer(&token)
        .send()
        .await
        .assert_status(201);
    api.post(&format!("/api/v1/account/favorites/{p1}"))
        .bearer(&token)
        .send()
        .await
        .assert_status(200);
    api.post(&format!("/api/v1/account/favorites/{p2}"))
        .bearer(&token)
        .send()
        .await
        .assert_status(201);
    let page = api
        .get("/api/v1/account/favorites?limit=1")
        .bearer(&token)
        .send()
        .await;
    assert_eq!(page["items"][0]["spu_id"], p2.to_string(), "newest first");
    let cursor = page["next_cursor"].as_str().unwrap();
    let next = api
        .get(&format!(
            "/api/v1/account/favorites?limit=1&cursor={cursor}"
        ))
        .bearer(&token)
        .send()
        .await;
    assert_eq!(next["items"][0]["spu_id"], p1.to_string());
    let check = stack()
        .internal("account")
        .post("/internal/favorites/check")
        .json(json!({ "account_id": id, "spu_ids": [p1, p2, p3] }))
        .send()
        .await;
    let mut expected = vec![p1.to_string(), p2.to_string()];
    expected.sort();
    assert_eq!(check["favorites"], json!(expected));
    api.delete(&format!("/api/v1/account/favorites/{p1}"))
        .bearer(&token)
        .send()
        .await
        .assert_status(204);
    api.delete(&format!("/api/v1/account/favorites/{p1}"))
        .bearer(&token)
        .send()
        .await
        .assert_status(204);
    api.post("/api/v1/account/favorites/not-a-uuid")
        .bearer(&token)
        .send()
        .await
        .assert_error(404, "product_not_found");
}
