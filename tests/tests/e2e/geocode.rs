//! Geocoding and exchange rates through the real providers composed into common (Nominatim
//! and ExchangeRate-API's open rates), against the local sandbox that plays both: lookups for
//! signed-in accounts only, Nominatim's one request a second held under concurrent lookups,
//! answers cached, rates kept as snapshots and conversions exact in minor units.

use serde_json::{Value, json};
use souk_e2e::stack;

async fn stats() -> Value {
    reqwest::get(format!("{}/sandbox/nominatim/stats", stack().sandbox_url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_address_is_found_for_a_signed_in_account_only() {
    let (_, token) = stack().register("VN").await;
    let api = stack().api();
    api.get("/api/v1/common/geocode/forward?address=Hồ%20Hoàn%20Kiếm")
        .send()
        .await
        .assert_status(401);
    let found = api
        .get("/api/v1/common/geocode/search?q=Hoan%20Kiem&countries=VN&limit=3")
        .bearer(&token)
        .send()
        .await;
    found.assert_status(200);
    let first = &found["items"][0];
    assert!(
        first["display_name"]
            .as_str()
            .unwrap()
            .contains("Hoàn Kiếm"),
        "{}",
        found.text
    );
    assert_eq!(first["country_code"], "VN");
    let back = api
        .get(&format!(
            "/api/v1/common/geocode/reverse?lat={}&lon={}",
            first["latitude"], first["longitude"]
        ))
        .bearer(&token)
        .send()
        .await;
    back.assert_status(200);
    assert!(back["place"]["display_name"].is_string(), "{}", back.text);

    for bad in [
        "/api/v1/common/geocode/reverse?lat=91&lon=0",
        "/api/v1/common/geocode/reverse?lat=x&lon=0",
        "/api/v1/common/geocode/search?q=Ha%20Noi&limit=0",
        "/api/v1/common/geocode/search?q=Ha%20Noi&countries=Vietnam",
        "/api/v1/common/geocode/forward?address=",
    ] {
        api.get(bad)
            .bearer(&token)
            .send()
            .await
            .assert_error(422, "validation");
    }
}

#[tokio::test]
async fn concurrent_lookups_keep_nominatims_one_request_a_second_and_answers_are_cached() {
    let (_, token) = stack().register("VN").await;
    let run = uuid::Uuid::new_v4().simple().to_string();
    let before = stats().await;
    let lookups = (0..4).map(|n| {
        let token = token.clone();
        let q = format!("Ha Noi {run}{n}");
        async move {
            stack()
                .api()
                .get(&format!(
                    "/api/v1/common/geocode/search?q={}",
                    q.replace(' ', "%20")
                ))
                .bearer(&token)
                .send()
                .await
        }
    });
    let replies = futures::future::join_all(lookups).await;
    let answered = replies.iter().filter(|r| r.status == 200).count();
    for r in &replies {
        assert!(
            r.status == 200 || (r.status == 429 && r.json()["error"]["code"] == "geocoder_busy"),
            "{}",
            r.text
        );
    }
    assert!(
        answered >= 3,
        "four lookups at once are served about a second apart"
    );
    let after = stats().await;
    assert_eq!(
        after["too_fast"], before["too_fast"],
        "Nominatim never saw two requests within a second"
    );
    assert_eq!(after["no_agent"], before["no_agent"]);

    // The same search again comes from the cache: Nominatim is not asked.
    let answered_before = stats().await["answered"].as_i64().unwrap();
    let again = stack()
        .api()
        .get(&format!(
            "/api/v1/common/geocode/search?q=Ha%20Noi%20{run}0"
        ))
        .bearer(&token)
        .send()
        .await;
    if replies[0].status == 200 {
        again.assert_status(200);
        assert_eq!(stats().await["answered"].as_i64().unwrap(), answered_before);
    }
}

#[tokio::test]
async fn rates_come_from_a_snapshot_and_conversions_are_exact_and_repeatable() {
    let published: Value = reqwest::get(format!("{}/v6/latest/USD", stack().sandbox_url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let vnd_per_usd = published["rates"]["VND"].as_f64().unwrap();

    let rates = stack()
        .api()
        .get("/api/v1/common/currencies/rates")
        .send()
        .await;
    rates.assert_status(200);
    assert_eq!(rates["base"], "USD");
    let listed: f64 = rates["rates"]["VND"].as_str().unwrap().parse().unwrap();
    assert_eq!(listed, vnd_per_usd);
    let in_dong = stack()
        .api()
        .get("/api/v1/common/currencies/rates?base=VND")
        .send()
        .await;
    in_dong.assert_status(200);
    assert_eq!(in_dong["snapshot_id"], rates["snapshot_id"]);
    assert!(
        in_dong["rates"]["USD"]
            .as_str()
            .unwrap()
            .starts_with("0.0000")
    );
    stack()
        .api()
        .get("/api/v1/common/currencies/rates?base=XYZ")
        .send()
        .await
        .assert_status(422);

    let convert = |body: Value| async move {
        stack()
            .internal("common")
            .post("/internal/rates/convert")
            .json(body)
            .send()
            .await
    };
    let ten_dollars = convert(json!({ "amount_minor": 1000, "from": "USD", "to": "VND" })).await;
    ten_dollars.assert_status(200);
    assert_eq!(
        ten_dollars["amount_minor"],
        (vnd_per_usd * 10.0).round() as i64
    );
    let snapshot = ten_dollars["snapshot_id"].clone();
    let again = convert(json!({
        "amount_minor": 1000, "from": "USD", "to": "VND", "snapshot_id": snapshot,
    }))
    .await;
    assert_eq!(
        again["amount_minor"], ten_dollars["amount_minor"],
        "the same snapshot, the same amount"
    );
    convert(json!({ "amount_minor": 1, "from": "USD", "to": "XXX" }))
        .await
        .assert_status(422);
    convert(
        json!({ "amount_minor": 1, "from": "USD", "to": "VND", "snapshot_id": uuid::Uuid::nil() }),
    )
    .await
    .assert_error(404, "rate_snapshot_not_found");
}

#[tokio::test]
async fn a_durable_timer_keeps_fetching_rates_without_any_request() {
    let own = souk_e2e::Stack::private_with(souk_e2e::Variant {
        env: vec![("SPIN_VARIABLE_RATES_REFRESH_SECONDS".into(), "2".into())],
        ..Default::default()
    })
    .expect("a stack refreshing rates every 2 s starts");
    // The first use finds no snapshot: it fetches one and starts the timer's chain.
    own.api()
        .get("/api/v1/common/currencies/rates")
        .send()
        .await
        .assert_status(200);
    let db = own.db().await;
    let count = async || -> i64 {
        db.query_one("SELECT count(*) FROM common.rate_snapshot", &[])
            .await
            .unwrap()
            .get(0)
    };
    let first = count().await;
    let grown = souk_e2e::eventually(std::time::Duration::from_secs(30), async || {
        let now = count().await;
        (now >= first + 2).then_some(now)
    })
    .await;
    assert!(
        grown.is_some(),
        "the timer fetched again, twice, with no request: {}",
        own.log()
    );
    let chain: i64 = db
        .query_one(
            "SELECT count(*) FROM common.invocation WHERE workflow = 'rates_refresh'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        chain >= 2,
        "one invocation per slot, each handing over to the next"
    );
}
