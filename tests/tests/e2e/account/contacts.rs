//! Contacts: one default, never zero, created once per idempotency key.

use super::*;

#[tokio::test]
async fn contacts_keep_exactly_one_default_and_at_least_one_contact() {
    let (_, token) = user().await;
    let api = stack().api();
    let first = add_contact(&token, "Home").await;
    first.assert_status(201);
    assert_eq!(
        first["is_default"], true,
        "the first contact becomes the default"
    );
    let second = add_contact(&token, "Work").await;
    assert_eq!(second["is_default"], false);
    let (a, b) = (
        first["id"].as_str().unwrap(),
        second["id"].as_str().unwrap(),
    );
    api.post(&format!("/api/v1/account/contacts/{b}/default"))
        .bearer(&token)
        .send()
        .await
        .assert_status(200);
    let list = api
        .get("/api/v1/account/contacts")
        .bearer(&token)
        .send()
        .await;
    let defaults: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["is_default"] == true)
        .collect();
    assert_eq!((defaults.len(), defaults[0]["id"].as_str()), (1, Some(b)));
    api.delete(&format!("/api/v1/account/contacts/{b}"))
        .bearer(&token)
        .send()
        .await
        .assert_status(204);
    assert_eq!(
        api.get(&format!("/api/v1/account/contacts/{a}"))
            .bearer(&token)
            .send()
            .await["is_default"],
        true,
        "the default moves"
    );
    api.delete(&format!("/api/v1/account/contacts/{a}"))
        .bearer(&token)
        .send()
        .await
        .assert_error(409, "cannot_delete_last_contact");
    let patched = api
        .patch(&format!("/api/v1/account/contacts/{a}"))
        .bearer(&token)
        .json(json!({ "full_name": "Nhà" }))
        .send()
        .await;
    assert_eq!(patched["full_name"], "Nhà");
    api.patch(&format!("/api/v1/account/contacts/{a}"))
        .bearer(&token)
        .json(json!({ "address_type": "boat" }))
        .send()
        .await
        .assert_error(422, "validation");
    stack()
        .api()
        .post("/api/v1/account/contacts")
        .bearer(&token)
        .json(json!({ "full_name": "x", "phone": "12", "address": "a", "address_type": "home" }))
        .send()
        .await
        .assert_error(422, "validation");

    let (_, stranger) = user().await;
    api.get(&format!("/api/v1/account/contacts/{a}"))
        .bearer(&stranger)
        .send()
        .await
        .assert_error(404, "contact_not_found");
    api.delete(&format!("/api/v1/account/contacts/{a}"))
        .bearer(&stranger)
        .send()
        .await
        .assert_error(404, "contact_not_found");
}

#[tokio::test]
async fn a_contact_created_twice_with_one_idempotency_key_exists_once() {
    let (_, token) = user().await;
    let key = unique("contact");
    let create = || add_contact_keyed(&token, "Lan", Some(&key));
    let first = create().await;
    first.assert_status(201);
    let again = create().await;
    again.assert_status(201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        again["id"], first["id"],
        "the first answer, not a second contact"
    );
    assert_eq!(again.header("location"), first.header("location"));
    let listed = stack()
        .api()
        .get("/api/v1/account/contacts")
        .bearer(&token)
        .send()
        .await;
    listed.assert_status(200);
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_contacts_name_is_one_line() {
    let (_, token) = user().await;
    add_contact(&token, "Nhà\nriêng")
        .await
        .assert_error(422, "validation");
    add_contact(&token, "Nhà\triêng")
        .await
        .assert_error(422, "validation");
    add_contact(&token, "Nhà riêng").await.assert_status(201);
}

/// Adds a contact at `address` for `token`'s account.
async fn contact_at(token: &str, address: &str) -> Reply {
    stack()
        .api()
        .post("/api/v1/account/contacts")
        .bearer(token)
        .json(json!({
            "full_name": "Lan", "phone": "+84901234567", "address": address,
            "address_type": "home",
        }))
        .send()
        .await
}

#[tokio::test]
async fn a_contact_stores_where_its_address_is_and_another_country_is_refused() {
    let (_, token) = user().await;
    let api = stack().api();
    let here = contact_at(&token, "Chợ Bến Thành, Quận 1").await;
    here.assert_status(201);
    let location = &here["location"];
    assert_eq!(location["country"], "VN", "{}", here.text);
    assert!((location["latitude"].as_f64().unwrap() - 10.77).abs() < 0.05);

    contact_at(&token, "Singapore")
        .await
        .assert_error(422, "address_not_in_country");
    let moved = api
        .patch(&format!(
            "/api/v1/account/contacts/{}",
            here["id"].as_str().unwrap()
        ))
        .bearer(&token)
        .json(json!({ "address": "Singapore" }))
        .send()
        .await;
    moved.assert_error(422, "address_not_in_country");
    let kept = api
        .get("/api/v1/account/contacts")
        .bearer(&token)
        .send()
        .await;
    assert_eq!(
        kept["items"].as_array().unwrap().len(),
        1,
        "nothing half-written"
    );
    assert_eq!(kept["items"][0]["address"], "Chợ Bến Thành, Quận 1");

    // An address no map knows is still a delivery address: kept, unresolved.
    let unknown = contact_at(&token, "Hẻm 42/7 Không Tên, Ấp Mười Hai").await;
    unknown.assert_status(201);
    assert_eq!(unknown["location"], Value::Null);
}
