//! The HTTP trigger as Spin runs it: routes, `spin-*` headers, service chaining, outbound
//! rules, failures, logs and shutdown.

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;

fn manifest(dir: &std::path::Path, outbound_port: u16) {
    let probe = wasm("host-probe");
    std::fs::write(
        dir.join("spin.toml"),
        format!(
            r#"
spin_manifest_version = 2
[application]
name = "http-test"

[[trigger.http]]
route = "/hello/..."
component = "probe"
[[trigger.http]]
route = "/exact"
component = "probe"
[[trigger.http]]
route = "/users/:id/posts/:post/..."
component = "probe"
[[trigger.http]]
route = "/api/..."
component = "probe"
[[trigger.http]]
route = "/api/special"
component = "peer"
[[trigger.http]]
route = {{ private = true }}
component = "hidden"

[component.probe]
source = "{probe}"
allowed_outbound_hosts = [
    "http://peer.spin.internal", "http://hidden.spin.internal", "http://127.0.0.1:{outbound_port}",
]
[component.peer]
source = "{probe}"
[component.hidden]
source = "{probe}"
"#
        ),
    )
    .unwrap();
}

async fn headers(base: &str, path: &str) -> serde_json::Value {
    let (status, body) = get(&format!("{base}{path}")).await;
    assert_eq!(status, 200, "{path}: {body}");
    body["headers"].clone()
}

#[tokio::test]
async fn requests_carry_spins_headers_for_each_kind_of_route() {
    let dir = workdir("headers");
    manifest(&dir, 1);
    let host = start(&dir, &[], &[]);
    let b = &host.base;

    let h = headers(b, "/hello/foo/bar?q=1").await;
    assert_eq!(h["spin-component-route"], "/hello");
    assert_eq!(h["spin-matched-route"], "/hello/...");
    assert_eq!(h["spin-raw-component-route"], "/hello/...");
    assert_eq!(h["spin-path-info"], "/foo/bar");
    assert_eq!(h["spin-full-url"], format!("{b}/hello/foo/bar?q=1"));
    assert_eq!(h["spin-base-path"], "/");
    assert!(
        h["spin-client-addr"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );
    assert!(
        h.get("host").is_none(),
        "the Host header is not passed to the component"
    );

    assert_eq!(headers(b, "/hello").await["spin-path-info"], "");

    let h = headers(b, "/exact").await;
    assert_eq!(
        (
            h["spin-component-route"].as_str(),
            h["spin-matched-route"].as_str()
        ),
        (Some("/exact"), Some("/exact"))
    );
    assert_eq!(h["spin-path-info"], "");

    let h = headers(b, "/users/42/posts/abc/rest/of/path").await;
    assert_eq!(h["spin-path-match-id"], "42");
    assert_eq!(h["spin-path-match-post"], "abc");
    assert_eq!(h["spin-path-info"], "/rest/of/path");
    assert_eq!(h["spin-component-route"], "/users/:id/posts/:post");

    let spoofed = reqwest::Client::new()
        .get(format!("{b}/exact"))
        .header("spin-client-addr", "6.6.6.6:1")
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_ne!(
        spoofed["headers"]["spin-client-addr"], "6.6.6.6:1",
        "clients cannot set spin-* headers"
    );
}

#[tokio::test]
async fn unmatched_paths_are_404_and_the_most_specific_route_wins() {
    let dir = workdir("routing");
    manifest(&dir, 1);
    let host = start(&dir, &[], &[]);
    // Spin answers an unmatched path with an empty 404.
    let nowhere = reqwest::get(format!("{}/nowhere", host.base))
        .await
        .unwrap();
    assert_eq!(nowhere.status(), 404);
    assert_eq!(nowhere.text().await.unwrap(), "");
    assert_eq!(
        reqwest::get(format!("{}/exact/more", host.base))
            .await
            .unwrap()
            .status(),
        404
    );
    let (_, body) = get(&format!("{}/api/special", host.base)).await;
    assert_eq!(body["headers"]["spin-matched-route"], "/api/special");
    let (_, body) = get(&format!("{}/api/other", host.base)).await;
    assert_eq!(body["headers"]["spin-matched-route"], "/api/...");
}

#[tokio::test]
async fn a_private_route_is_reachable_only_by_service_chaining() {
    let dir = workdir("chaining");
    manifest(&dir, 1);
    let host = start(&dir, &[], &[]);
    let probe = format!("{}/api/outbound", host.base);
    let request = json!({
        "url": "http://hidden.spin.internal/inner/path?x=1", "headers": { "x-custom": "yes" },
    });
    let (_, body) = post(&probe, request).await;
    assert_eq!(body["status"], 200, "{body}");
    let seen: serde_json::Value = serde_json::from_str(body["body"].as_str().unwrap()).unwrap();
    // The callee sees the URI its caller addressed, while spin-full-url says localhost.
    assert_eq!(
        seen["uri"], "http://hidden.spin.internal/inner/path?x=1",
        "{seen}"
    );
    let h = &seen["headers"];
    assert_eq!(h["spin-full-url"], "http://localhost/inner/path?x=1");
    assert_eq!(h["spin-client-addr"], "0.0.0.0:0");
    assert_eq!(h["spin-matched-route"], "/...");
    assert_eq!(h["spin-raw-component-route"], "/...");
    assert_eq!(h["spin-component-route"], "");
    assert_eq!(h["spin-path-info"], "/inner/path");
    assert_eq!(h["x-custom"], "yes");
    assert!(
        host.wait_for_log("chained from probe", Duration::from_secs(5)),
        "{}",
        host.log()
    );
}

#[tokio::test]
async fn chaining_and_outbound_http_are_limited_to_allowed_hosts() {
    let port = tiny_http_server();
    let dir = workdir("outbound");
    manifest(&dir, port);
    let host = start(&dir, &[], &[]);
    let (_, body) = post(
        &format!("{}/api/outbound", host.base),
        json!({ "url": format!("http://127.0.0.1:{port}/") }),
    )
    .await;
    assert_eq!(body["status"], 200, "{body}");
    assert_eq!(body["body"], "hello");

    // A request with a body is denied the same way: the guest writes its body before it
    // awaits the response, and that write must not fail first.
    let long_body = "x".repeat(100_000);
    for url in [
        "http://example.com/",
        "http://127.0.0.1:1/",
        format!("{}/", host.base).as_str(),
        "http://unlisted.spin.internal/",
    ] {
        for request in [
            json!({ "url": url }),
            json!({ "url": url, "body": long_body }),
        ] {
            let (_, body) = post(&format!("{}/api/outbound", host.base), request).await;
            assert!(
                body["error"]
                    .as_str()
                    .is_some_and(|e| e.contains("HttpRequestDenied")),
                "{url}: {body}"
            );
        }
    }
}

#[tokio::test]
async fn a_trapping_request_is_500_and_the_host_keeps_serving() {
    let dir = workdir("trap");
    manifest(&dir, 1);
    let host = start(&dir, &["--request-timeout", "2"], &[]);
    assert_eq!(
        reqwest::get(format!("{}/api/trap", host.base))
            .await
            .unwrap()
            .status(),
        500
    );
    let started = std::time::Instant::now();
    let status = reqwest::get(format!("{}/api/spin", host.base))
        .await
        .unwrap()
        .status();
    assert_eq!(status, 500);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "a runaway guest is stopped at its deadline"
    );
    let (status, _) = get(&format!("{}/exact", host.base)).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn large_bodies_stream_whole_and_output_is_logged_per_component() {
    let dir = workdir("stream");
    manifest(&dir, 1);
    let host = start(&dir, &[], &[]);
    let (status, body) = get(&format!("{}/api/stream", host.base)).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"].as_str().unwrap().len(), 3 * 1024 * 1024);
    let big = vec![b'a'; 2 * 1024 * 1024];
    let resp = reqwest::Client::new()
        .post(format!("{}/api/echo", host.base))
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap()["body_len"],
        2 * 1024 * 1024
    );
    get(&format!("{}/api/print", host.base)).await;
    assert!(
        host.wait_for_log("[probe] hello from stdout", Duration::from_secs(5)),
        "{}",
        host.log()
    );
    assert!(
        host.wait_for_log("[probe stderr] hello from stderr", Duration::from_secs(5)),
        "{}",
        host.log()
    );
    assert!(
        host.wait_for_log("GET /api/print probe 200 ", Duration::from_secs(5)),
        "{}",
        host.log()
    );
    let access = host
        .log()
        .lines()
        .any(|l| l.contains("GET /api/print probe 200 ") && l.ends_with("ms"));
    assert!(access, "one access line per request: {}", host.log());
}

#[tokio::test]
async fn sigterm_stops_the_host_cleanly() {
    let dir = workdir("shutdown");
    manifest(&dir, 1);
    let host = start(&dir, &[], &[]);
    get(&format!("{}/exact", host.base)).await;
    assert!(
        host.terminate(),
        "the host exits with status 0 after SIGTERM"
    );
}

/// Sends `body` to `/api/echo` chunked (no `Content-Length`) over a raw connection, in one
/// write; returns the status and the response text.
fn post_chunked(base: &str, body: &[u8], chunk: usize) -> (u16, String) {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut request = format!(
        "POST /api/echo HTTP/1.1\r\nhost: {addr}\r\ntransfer-encoding: chunked\r\n\
         connection: close\r\n\r\n"
    )
    .into_bytes();
    for part in body.chunks(chunk) {
        request.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        request.extend_from_slice(part);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    // The host may answer before it has read everything; what counts is its answer.
    let _ = stream.write_all(&request);
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, response)
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_whether_declared_or_streamed() {
    let dir = workdir("body-limit");
    manifest(&dir, 1);
    let host = start(&dir, &["--max-request-body", "1000"], &[]);
    let client = reqwest::Client::new();
    let post = |len: usize| {
        client
            .post(format!("{}/api/echo", host.base))
            .body(vec![b'a'; len])
            .send()
    };
    let at_limit = post(1000).await.unwrap();
    assert_eq!(at_limit.status(), 200);
    assert_eq!(
        at_limit.json::<serde_json::Value>().await.unwrap()["body_len"],
        1000
    );

    let over = post(1001).await.unwrap();
    assert_eq!(over.status(), 413);
    assert_eq!(
        over.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let body: serde_json::Value = over.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large", "{body}");
    assert!(
        host.wait_for_log("POST /api/echo probe 413 ", Duration::from_secs(5)),
        "{}",
        host.log()
    );

    // Without Content-Length the host counts the bytes as they stream to the guest.
    let (status, text) = post_chunked(&host.base, &[b'b'; 900], 300);
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("\"body_len\":900"), "{text}");
    let (status, text) = post_chunked(&host.base, &[b'b'; 3000], 500);
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("payload_too_large"), "{text}");

    // The host keeps serving.
    assert_eq!(get(&format!("{}/api/echo", host.base)).await.0, 200);
}
