//! Notifications: created by other modules, read by their owner.

use super::*;

#[tokio::test]
async fn notifications_come_from_other_modules_and_are_read_by_their_owner() {
    let (id, token) = user().await;
    let internal = stack().internal("account");
    let k = unique("k");
    for (i, key) in [k.clone(), k.clone(), unique("k")].iter().enumerate() {
        internal
            .post("/internal/notifications")
            .header("idempotency-key", key)
            .json(json!({
                "account_id": id, "type": "welcome",
                "title": if i == 2 { "second" } else { "first" },
                "metadata": { "n": 1 },
            }))
            .send()
            .await
            .assert_status(201);
    }
    let api = stack().api();
    assert_eq!(
        api.get("/api/v1/account/notifications/unread-count")
            .bearer(&token)
            .send()
            .await["count"],
        3,
        "two from other modules (the repeated key created one) and the welcome notification"
    );
    let list = api
        .get("/api/v1/account/notifications")
        .bearer(&token)
        .send()
        .await;
    assert_eq!(list["items"][0]["title"], "second");
    assert_eq!(list["items"][1]["metadata"], json!({ "n": 1 }));
    let first_id = list["items"][1]["id"].as_str().unwrap();
    let (_, stranger) = user().await;
    assert_eq!(
        api.post("/api/v1/account/notifications/read")
            .bearer(&stranger)
            .json(json!({ "ids": [first_id] }))
            .send()
            .await["marked"],
        0
    );
    assert_eq!(
        api.post("/api/v1/account/notifications/read")
            .bearer(&token)
            .json(json!({ "ids": [first_id] }))
            .send()
            .await["marked"],
        1
    );
    assert_eq!(
        api.get("/api/v1/account/notifications/unread-count")
            .bearer(&token)
            .send()
            .await["count"],
        2
    );
    api.post("/api/v1/account/notifications/read-all")
        .bearer(&token)
        .send()
        .await
        .assert_status(200);
    assert_eq!(
        api.get("/api/v1/account/notifications/unread-count")
            .bearer(&token)
            .send()
            .await["count"],
        0
    );
    api.post("/api/v1/account/notifications/read")
        .bearer(&token)
        .json(json!({ "ids": [] }))
        .send()
        .await
        .assert_error(422, "validation");
    internal
        .post("/internal/notifications")
        .header("idempotency-key", &unique("k"))
        .json(json!({ "account_id": id, "type": "Bad Type", "title": "x" }))
        .send()
        .await
        .assert_error(422, "validation");
}
