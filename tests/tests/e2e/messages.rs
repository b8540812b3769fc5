//! What modules tell each other, on a stack of its own whose order module is a local stand-in
//! that lets any buyer review (the order module does not answer purchase checks yet): every
//! outbox message built from the longest and strangest text the API accepts is delivered, none
//! dead-lettered; and reviews, their votes' neighbours — ratings and reply counts — hold under
//! requests sent at once.

use std::io::{Read, Write};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Value, json};
use souk_e2e::{Stack, Variant, eventually};
use uuid::Uuid;

const BOOKS: &str = "01900000-0000-7000-8000-00000000000d";

/// Answers every request `200 {"reviewable": true}`, as the order module's purchase check will
/// for a buyer whose order holds the product. On a thread of its own, since each test has its
/// own runtime and the stack outlives them all.
fn fake_order() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for socket in listener.incoming() {
            let Ok(mut socket) = socket else { continue };
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let mut chunk = [0_u8; 4096];
                let end = loop {
                    match socket.read(&mut chunk) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                    if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break end;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                // The body is read to its end before answering (Spin sends it chunked, and a
                // stream closed under it is an error), though nothing in it matters.
                let chunked = head.contains("transfer-encoding: chunked");
                let done = |buf: &[u8]| {
                    if chunked {
                        buf[end..].windows(5).any(|w| w == b"0\r\n\r\n")
                    } else {
                        buf.len() >= end + 4 + length
                    }
                };
                while !done(&buf) {
                    match socket.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let body = r#"{"reviewable":true}"#;
                let _ = socket.write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                         content-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    )
                    .as_bytes(),
                );
            });
        }
    });
    port
}

/// The stack these tests share, with the stand-in order module.
fn own() -> &'static Stack {
    static OWN: OnceLock<Stack> = OnceLock::new();
    OWN.get_or_init(|| {
        let port = fake_order();
        let host = format!("http://127.0.0.1:{port}");
        let allowed = host.clone();
        Stack::private_with(Variant {
            // Catalog (and every module) may reach the stand-in besides the real order module.
            manifest: Box::new(move |m| {
                m.replace(
                    r#""http://order.spin.internal", "http://promotion"#,
                    &format!(r#""http://order.spin.internal", "{allowed}", "http://promotion"#),
                )
            }),
            env: vec![("SPIN_VARIABLE_ORDER_BASE_URL".into(), host)],
        })
        .expect("a stack with a stand-in order module starts")
    })
}

/// `s`, repeated and cut to exactly `n` characters.
fn exactly(s: &str, n: usize) -> String {
    s.chars().cycle().take(n).collect()
}

/// `text` with its line breaks written in turn as each of `breaks`.
fn with_breaks(text: &str, breaks: &[&str]) -> String {
    let mut n = 0;
    text.chars()
        .map(|c| {
            if c == '\n' {
                n += 1;
                breaks[n % breaks.len()].to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Text that every text field must carry intact: several scripts, right-to-left, emoji joined
/// by zero-width joiners, a combining accent, a byte-order mark, markup and format strings.
const STRANGE: &str = "Điện thoại 📱 «Ưu việt» \"quoted\" \\back\\slash <b>b</b> %s {{x}} \
    مرحبا עברית 👩‍👩‍👧‍👦 e\u{301} \u{feff}ắ ";

async fn create_review(token: &str, product: &str, score: i16, body: &str) -> souk_e2e::Reply {
    own()
        .api()
        .post(&format!("/api/v1/catalog/products/{product}/reviews"))
        .bearer(token)
        .json(json!({ "order_id": Uuid::new_v4(), "score": score, "body": body }))
        .send()
        .await
}

/// A product of `token`'s with one SKU.
async fn product_with_sku(token: &str, name: &str) -> (String, String) {
    let api = own().api();
    let created = api
        .post("/api/v1/catalog/products")
        .bearer(token)
        .json(json!({ "category_id": BOOKS, "name": name }))
        .send()
        .await;
    created.assert_status(201);
    let id = created["id"].as_str().unwrap().to_string();
    let sku = api
        .post(&format!("/api/v1/catalog/products/{id}/skus"))
        .bearer(token)
        .json(json!({ "price": 1000 }))
        .send()
        .await;
    sku.assert_status(201);
    (id, sku["id"].as_str().unwrap().to_string())
}

/// Every message of every outbox on the stack, once none is pending: (module, status, path,
/// last error).
async fn settled_outboxes() -> Vec<(String, String, String, Option<String>)> {
    let db = own().db().await;
    let read = async || {
        let mut all = Vec::new();
        for module in ["catalog", "inventory"] {
            let rows = db
                .query(
                    &format!("SELECT status, path, last_error FROM {module}.outbox"),
                    &[],
                )
                .await
                .unwrap();
            all.extend(
                rows.iter()
                    .map(|r| (module.to_string(), r.get(0), r.get(1), r.get(2))),
            );
        }
        all
    };
    let settled = eventually(Duration::from_secs(60), async || {
        let all = read().await;
        all.iter()
            .all(|(_, status, _, _): &(String, String, String, Option<String>)| status != "pending")
            .then_some(all)
    })
    .await;
    settled.unwrap_or_else(|| panic!("messages still pending; log:\n{}", own().log()))
}

#[tokio::test]
async fn every_outbox_message_built_from_the_longest_and_strangest_text_is_delivered() {
    let stack = own();
    let api = stack.api();
    let (seller_id, seller) = stack.register("VN").await;
    let (_, buyer) = stack.register("VN").await;
    // Each field at its longest, line breaks in every spelling where several lines are allowed.
    let name = exactly(STRANGE, 200);
    let lines = exactly(&format!("{STRANGE}\n"), 20_000);
    let description = with_breaks(&lines, &["\r\n", "\r", "\n"]);
    let tags: Vec<String> = (0..20)
        .map(|i| format!("thẻ{i:02}{}", exactly("ữ", 45)))
        .collect();
    let created = api
        .post("/api/v1/catalog/products")
        .bearer(&seller)
        .json(json!({
            "category_id": BOOKS, "name": name, "description": description, "tags": tags,
            "specifications": [{ "name": exactly(STRANGE, 100), "value": exactly(STRANGE, 500) }],
        }))
        .send()
        .await;
    created.assert_status(201);
    assert_eq!(
        created["description"],
        lines.trim(),
        "line breaks stored as \\n"
    );
    let id = created["id"].as_str().unwrap().to_string();
    let sku = api
        .post(&format!("/api/v1/catalog/products/{id}/skus"))
        .bearer(&seller)
        .json(
            json!({ "price": 1000, "attributes": [{ "name": exactly(STRANGE, 100),
                      "value": exactly(STRANGE, 500) }] }),
        )
        .send()
        .await;
    sku.assert_status(201);
    let sku = sku["id"].as_str().unwrap().to_string();
    // A restock and a sale of its only unit: stock levels, and the seller told it sold out.
    api.post(&format!("/api/v1/inventory/stock/{sku}/import"))
        .bearer(&seller)
        .json(json!({ "quantity": 1, "reason": exactly(STRANGE, 500) }))
        .send()
        .await
        .assert_status(200);
    let internal = stack.internal("inventory");
    let held = internal
        .post("/internal/reservations")
        .header("idempotency-key", &Uuid::new_v4().to_string())
        .json(json!({ "reference": exactly(STRANGE, 200), "lines": [{ "sku_id": sku, "quantity": 1 }] }))
        .send()
        .await;
    held.assert_status(201);
    internal
        .post(&format!(
            "/internal/reservations/{}/commit",
            held["reservation_id"].as_str().unwrap()
        ))
        .header("idempotency-key", &Uuid::new_v4().to_string())
        .send()
        .await
        .assert_status(200);
    // The longest review, with CRLF, CR, NEL and U+2028 breaks: its seller is told of it.
    let review = exactly(&format!("{STRANGE}\n"), 4000);
    let sent = with_breaks(
        &review,
        &["\r\n", "\r", "\u{85}", "\u{2028}", "\u{2029}", "\n"],
    );
    let written = create_review(&buyer, &id, 5, &sent).await;
    written.assert_status(201);
    assert_eq!(written["body"], review.trim());

    let undelivered: Vec<_> = settled_outboxes()
        .await
        .into_iter()
        .filter(|(_, status, _, _)| status != "delivered")
        .collect();
    assert!(
        undelivered.is_empty(),
        "dead messages (module, status, path, error): {undelivered:#?}"
    );
    let notifications = api
        .get("/api/v1/account/notifications?limit=50")
        .bearer(&seller)
        .send()
        .await;
    notifications.assert_status(200);
    let kinds: Vec<&Value> = notifications["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["type"])
        .collect();
    assert!(kinds.contains(&&json!("stock_sold_out")), "{kinds:?}");
    let notice = notifications["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["type"] == "new_review")
        .unwrap_or_else(|| panic!("no review notification for {seller_id}"));
    let title = notice["title"].as_str().unwrap();
    assert!(title.chars().count() <= 200, "{title}");
    assert!(title.starts_with("5★ review of Điện thoại") && title.ends_with('…'));
    let content = notice["content"].as_str().unwrap();
    assert!(
        !content.contains('\r') && content.starts_with("Điện thoại"),
        "{content:?}"
    );
}

#[tokio::test]
async fn ratings_and_reply_counts_hold_under_requests_sent_at_once() {
    let stack = own();
    let api = stack.api();
    let (_, seller) = stack.register("VN").await;
    let (id, _) = product_with_sku(&seller, "Crowded Teapot").await;
    let mut buyers = Vec::new();
    for _ in 0..10 {
        buyers.push(stack.register("VN").await.1);
    }
    // Ten reviews at once, and the same order reviewed ten times at once: eleven count.
    let scores: Vec<i16> = (0..10).map(|i| 1 + (i % 5)).collect();
    let reviews = futures::future::join_all(
        buyers
            .iter()
            .zip(&scores)
            .map(|(b, s)| create_review(b, &id, *s, "Seen")),
    )
    .await;
    assert!(
        reviews.iter().all(|r| r.status == 201),
        "{:?}; log:\n{}",
        reviews.iter().map(|r| r.status).collect::<Vec<_>>(),
        stack.log()
    );
    let order = Uuid::new_v4();
    let twice = futures::future::join_all((0..10).map(|_| {
        api.post(&format!("/api/v1/catalog/products/{id}/reviews"))
            .bearer(&buyers[0])
            .json(json!({ "order_id": order, "score": 5 }))
            .send()
    }))
    .await;
    let statuses: Vec<u16> = twice.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    let rating = async || {
        let detail = api
            .get(&format!("/api/v1/catalog/products/{id}"))
            .send()
            .await;
        detail.assert_status(200);
        (
            detail["rating"]["count"].clone(),
            detail["rating"]["average"].clone(),
        )
    };
    let sum: i16 = scores.iter().sum::<i16>() + 5;
    assert_eq!(
        rating().await,
        (
            json!(11),
            json!((f64::from(sum) / 11.0 * 10.0).round() / 10.0)
        )
    );
    // Every author changes their score at once, and half delete theirs at once, each twice.
    let ids: Vec<String> = reviews
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    let edits = futures::future::join_all(ids.iter().zip(&buyers).flat_map(|(r, b)| {
        [5, 1].map(|score| {
            api.patch(&format!("/api/v1/catalog/reviews/{r}"))
                .bearer(b)
                .json(json!({ "score": score }))
                .send()
        })
    }))
    .await;
    assert!(edits.iter().all(|r| r.status == 200));
    let deletes = futures::future::join_all(ids.iter().zip(&buyers).take(5).flat_map(|(r, b)| {
        [0, 1].map(|_| {
            api.delete(&format!("/api/v1/catalog/reviews/{r}"))
                .bearer(b)
                .send()
        })
    }))
    .await;
    assert_eq!(deletes.iter().filter(|r| r.status == 204).count(), 5);
    let db = stack.db().await;
    let product: Uuid = id.parse().unwrap();
    let row = db
        .query_one(
            "SELECT p.rating_count, p.rating_sum, \
               (SELECT count(*)::int4 FROM catalog.review WHERE product_id = p.id AND deleted_at IS NULL), \
               (SELECT coalesce(sum(score), 0)::int4 FROM catalog.review \
                WHERE product_id = p.id AND deleted_at IS NULL) \
             FROM catalog.product p WHERE p.id = $1",
            &[&product],
        )
        .await
        .unwrap();
    let (count, points, live, live_points): (i32, i32, i32, i32) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    assert_eq!(
        (count, points),
        (live, live_points),
        "the rating is its live reviews'"
    );
    assert_eq!(count, 6);

    // Twenty replies at once, then one reply deleted five times at once: nineteen.
    let review = &ids[9];
    let replies = futures::future::join_all(buyers.iter().chain(&buyers).map(|b| {
        api.post(&format!("/api/v1/catalog/reviews/{review}/replies"))
            .bearer(b)
            .json(json!({ "body": "Agreed" }))
            .send()
    }))
    .await;
    assert!(replies.iter().all(|r| r.status == 201));
    let first = replies[0]["id"].as_str().unwrap();
    let removed = futures::future::join_all((0..5).map(|_| {
        api.delete(&format!("/api/v1/catalog/replies/{first}"))
            .bearer(&buyers[0])
            .send()
    }))
    .await;
    assert_eq!(removed.iter().filter(|r| r.status == 204).count(), 1);
    let listed = api
        .get(&format!("/api/v1/catalog/products/{id}/reviews?limit=50"))
        .send()
        .await;
    let shown = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == review.as_str())
        .unwrap()
        .clone();
    assert_eq!(shown["replies"], 19);
}
