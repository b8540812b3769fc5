//! The Nominatim sandbox as Souk's geocoding provider will use it: queries built by
//! `protocols::nominatim` find places accent-insensitively and read back as places; the usage
//! policy is enforced — an unnamed client is refused and a second request within a second is
//! 429, whoever sends it.

mod common;

use std::time::Duration;

use common::{client, sandbox};
use protocols::nominatim::{read_reverse, read_search, reverse_query, search_query};
use serde_json::Value;

const AGENT: &str = "Souk-tests/0.1 (+https://souk.example)";

async fn get(base: &str, path: &str, agent: Option<&str>) -> (u16, Value) {
    let mut request = client().get(format!("{base}{path}"));
    if let Some(agent) = agent {
        request = request.header("user-agent", agent);
    }
    let r = request.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// Waits out the one-request-per-second policy.
async fn pause() {
    tokio::time::sleep(Duration::from_millis(1050)).await;
}

#[tokio::test]
async fn searches_find_places_without_accents_and_reverse_finds_the_nearest() {
    let base = sandbox(None, None, None).await;
    let (status, found) = get(
        &base,
        &format!(
            "/search?{}",
            search_query("cho ben thanh", &["VN"], 5, "vi")
        ),
        Some(AGENT),
    )
    .await;
    assert_eq!(status, 200, "{found}");
    let places = read_search(&found).unwrap();
    assert_eq!(places.len(), 1, "{found}");
    assert!(places[0].display_name.starts_with("Chợ Bến Thành"));
    assert_eq!(places[0].country_code.as_deref(), Some("VN"));
    pause().await;
    let (_, abroad) = get(
        &base,
        &format!("/search?{}", search_query("Hà Nội", &["TH"], 5, "vi")),
        Some(AGENT),
    )
    .await;
    assert_eq!(read_search(&abroad).unwrap(), vec![], "not in Thailand");
    pause().await;
    let (_, near) = get(
        &base,
        &format!("/reverse?{}", reverse_query(21.0290, 105.8520, 18, "vi")),
        Some(AGENT),
    )
    .await;
    let place = read_reverse(&near).unwrap().unwrap();
    assert!(place.display_name.starts_with("Hồ Hoàn Kiếm"), "{near}");
    pause().await;
    let (_, sea) = get(
        &base,
        &format!("/reverse?{}", reverse_query(0.0, -30.0, 18, "en")),
        Some(AGENT),
    )
    .await;
    assert_eq!(
        read_reverse(&sea).unwrap(),
        None,
        "the middle of the Atlantic"
    );
}

#[tokio::test]
async fn the_usage_policy_is_enforced() {
    let base = sandbox(None, None, None).await;
    let query = format!("/search?{}", search_query("Da Nang", &[], 5, "en"));
    assert_eq!(get(&base, &query, None).await.0, 403, "no User-Agent");
    assert_eq!(get(&base, &query, Some("reqwest/0.12")).await.0, 403);
    assert_eq!(
        get(&base, "/search?q=Da+Nang", Some(AGENT)).await.0,
        400,
        "no format"
    );
    pause().await;
    // Four lookups at once: one is answered, the others are refused.
    let one = || get(&base, &query, Some(AGENT));
    let (a, b, c, d) = tokio::join!(one(), one(), one(), one());
    let mut statuses = [a.0, b.0, c.0, d.0];
    statuses.sort();
    assert_eq!(statuses, [200, 429, 429, 429]);
    let (_, stats) = get(&base, "/sandbox/nominatim/stats", None).await;
    assert_eq!(stats["too_fast"], 3);
    assert_eq!(stats["no_agent"], 2);
}
