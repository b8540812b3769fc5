//! The reads other modules make of an account: its wallet's balance, and one of its contacts,
//! which another account's id never reveals.

use super::*;

async fn wallet_of(account: &str) -> Reply {
    stack()
        .internal("account")
        .get(&format!("/internal/accounts/{account}/wallet"))
        .send()
        .await
}

async fn contact_of(contact: &str, query: &str) -> Reply {
    stack()
        .internal("account")
        .get(&format!("/internal/contacts/{contact}{query}"))
        .send()
        .await
}

#[tokio::test]
async fn the_wallet_read_answers_the_balance_in_the_accounts_currency() {
    let (id, _) = stack().register("VN").await;
    let empty = wallet_of(&id.to_string()).await;
    empty.assert_status(200);
    assert_eq!(
        empty.json(),
        &json!({ "account_id": id, "balance": 0, "currency": "VND" })
    );
    let (japanese, _) = stack().register("JP").await;
    assert_eq!(wallet_of(&japanese.to_string()).await["currency"], "JPY");

    stack()
        .internal("account")
        .post("/internal/wallet/credit")
        .header("idempotency-key", &unique("k"))
        .json(json!({ "account_id": id, "amount": 250, "currency": "VND", "reason": "test" }))
        .send()
        .await
        .assert_status(200);
    assert_eq!(wallet_of(&id.to_string()).await["balance"], 250);

    wallet_of(&Uuid::new_v4().to_string())
        .await
        .assert_error(404, "account_not_found");
    wallet_of("nope")
        .await
        .assert_error(404, "account_not_found");
}

#[tokio::test]
async fn the_contact_read_answers_only_the_accounts_own_contact() {
    let (owner, token) = stack().register("VN").await;
    let created = add_contact(&token, "Lan").await;
    created.assert_status(201);
    let contact = created["id"].as_str().unwrap();

    let read = contact_of(contact, &format!("?account_id={owner}")).await;
    read.assert_status(200);
    assert_eq!(
        read.json(),
        created.json(),
        "the contact as its owner sees it"
    );

    let (stranger, _) = stack().register("VN").await;
    contact_of(contact, &format!("?account_id={stranger}"))
        .await
        .assert_error(404, "contact_not_found");
    contact_of(&Uuid::new_v4().to_string(), &format!("?account_id={owner}"))
        .await
        .assert_error(404, "contact_not_found");

    contact_of(contact, "")
        .await
        .assert_error(422, "validation");
    contact_of(contact, "?account_id=nope")
        .await
        .assert_error(422, "validation");
}
