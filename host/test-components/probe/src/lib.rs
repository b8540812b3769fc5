//! A test component for souk-host. Each path (after the route prefix) exercises one thing and
//! answers JSON:
//! `/echo/...` (method, URI, headers, body size), `/env`, `/var/<name>`, `/file/<path>`,
//! `/outbound` (POST {url, headers?, body?}: a GET, or a POST of `body`), `/kv/<store>/<key>`
//! (GET/PUT/DELETE) and `/kv/<store>`, `/redis` (POST {address, key, value, channel}),
//! `/redis-select` (POST {address, key}: two connections, one moved to database 1), `/pg`
//! (POST {address, statements}), `/trap`, `/spin`, `/stream`, `/print`, and `/ok` (a two-byte
//! answer, for measuring a runner alone).

#![expect(
    unsafe_code,
    reason = "#[http_component] generates the unsafe export glue of the component"
)]

use serde_json::{Value, json};
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use spin_sdk::pg4::{Connection, DbValue, ParameterValue};

fn reply(status: u16, body: Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.to_string())
        .build()
}

fn input(req: &Request) -> Value {
    serde_json::from_slice(req.body()).unwrap_or(Value::Null)
}

#[http_component]
async fn handle(req: Request) -> Response {
    // Dispatch on the part of the path the route's wildcard matched, so the probe answers the
    // same under any route prefix and through service chaining.
    let path = req
        .header("spin-path-info")
        .and_then(|v| v.as_str())
        .filter(|p| !p.is_empty())
        .unwrap_or("/")
        .to_string();
    let rest = |prefix: &str| path.strip_prefix(prefix).unwrap_or("").to_string();
    match path.as_str() {
        p if p.starts_with("/env") => {
            let vars: serde_json::Map<String, Value> =
                std::env::vars().map(|(k, v)| (k, json!(v))).collect();
            reply(200, Value::Object(vars))
        }
        p if p.starts_with("/var/") => match spin_sdk::variables::get(&rest("/var/")) {
            Ok(v) => reply(200, json!({ "value": v })),
            Err(e) => reply(200, json!({ "error": format!("{e:?}") })),
        },
        p if p.starts_with("/file/") => {
            match std::fs::read_to_string(format!("/{}", rest("/file/"))) {
                Ok(text) => reply(200, json!({ "content": text })),
                Err(e) => reply(404, json!({ "error": e.to_string() })),
            }
        }
        "/outbound" => outbound(input(&req)).await,
        p if p.starts_with("/kv/") => key_value(req.method(), &rest("/kv/"), req.body()),
        "/redis" => redis(input(&req)),
        "/redis-select" => redis_select(input(&req)),
        "/pg" => postgres(input(&req)),
        "/ok" => Response::builder().status(200).body("ok").build(),
        "/trap" => panic!("probe asked to trap"),
        "/spin" => {
            let mut n: u64 = 0;
            loop {
                n = n.wrapping_add(1);
                std::hint::black_box(n);
            }
        }
        "/stream" => reply(200, json!({ "data": "x".repeat(3 * 1024 * 1024) })),
        "/print" => {
            println!("hello from stdout");
            eprintln!("hello from stderr");
            reply(200, json!({ "printed": true }))
        }
        _ => {
            let headers: serde_json::Map<String, Value> = req
                .headers()
                .map(|(k, v)| (k.to_string(), json!(v.as_str().unwrap_or(""))))
                .collect();
            reply(
                200,
                json!({
                    "method": format!("{:?}", req.method()),
                    "uri": req.uri(),
                    "path": req.path(),
                    "query": req.query(),
                    "headers": headers,
                    "body_len": req.body().len(),
                }),
            )
        }
    }
}

async fn outbound(input: Value) -> Response {
    let url = input["url"].as_str().unwrap_or_default().to_string();
    let mut builder = Request::builder();
    builder.uri(url);
    match input["body"].as_str() {
        Some(body) => builder.method(Method::Post).body(body.to_string()),
        None => builder.method(Method::Get),
    };
    if let Some(headers) = input["headers"].as_object() {
        for (k, v) in headers {
            builder.header(k.as_str(), v.as_str().unwrap_or_default());
        }
    }
    match spin_sdk::http::send::<_, Response>(builder.build()).await {
        Ok(resp) => reply(
            200,
            json!({ "status": resp.status(), "body": String::from_utf8_lossy(resp.body()) }),
        ),
        Err(e) => reply(200, json!({ "error": format!("{e:?}") })),
    }
}

fn key_value(method: &Method, rest: &str, body: &[u8]) -> Response {
    let (label, key) = rest.split_once('/').unwrap_or((rest, ""));
    let store = match spin_sdk::key_value::Store::open(label) {
        Ok(s) => s,
        Err(e) => return reply(200, json!({ "error": format!("{e:?}") })),
    };
    let result = match (method, key) {
        (Method::Get, "") => store.get_keys().map(|k| json!({ "keys": k })),
        (Method::Get, key) => store
            .get(key)
            .map(|v| json!({ "value": v.map(|b| String::from_utf8_lossy(&b).into_owned()) })),
        (Method::Put, key) => store.set(key, body).map(|()| json!({ "set": true })),
        (Method::Delete, key) => store.delete(key).map(|()| json!({ "deleted": true })),
        _ => return reply(405, json!({})),
    };
    match result {
        Ok(v) => reply(200, v),
        Err(e) => reply(200, json!({ "error": format!("{e:?}") })),
    }
}

fn redis(input: Value) -> Response {
    let address = input["address"].as_str().unwrap_or_default();
    let conn = match spin_sdk::redis::Connection::open(address) {
        Ok(c) => c,
        Err(e) => return reply(200, json!({ "error": format!("{e:?}") })),
    };
    let key = input["key"].as_str().unwrap_or("probe");
    let value = input["value"].as_str().unwrap_or("v");
    let steps = (|| -> Result<Value, spin_sdk::redis::Error> {
        conn.set(key, value.as_bytes())?;
        let got = conn
            .get(key)?
            .map(|b| String::from_utf8_lossy(&b).into_owned());
        let counter = conn.incr(&format!("{key}:n"))?;
        let listed = conn.execute(
            "LRANGE",
            &[
                spin_sdk::redis::RedisParameter::Binary(b"nothing".to_vec()),
                spin_sdk::redis::RedisParameter::Int64(0),
                spin_sdk::redis::RedisParameter::Int64(-1),
            ],
        )?;
        if let Some(channel) = input["channel"].as_str() {
            conn.publish(channel, value.as_bytes())?;
        }
        Ok(json!({ "get": got, "incr": counter, "execute_len": listed.len() }))
    })();
    match steps {
        Ok(v) => reply(200, v),
        Err(e) => reply(200, json!({ "error": format!("{e:?}") })),
    }
}

/// Opens two connections, moves the first to database 1 with `SELECT` and writes `key` there,
/// then reads `key` through both: the second must still be on database 0.
fn redis_select(input: Value) -> Response {
    let address = input["address"].as_str().unwrap_or_default();
    let key = input["key"].as_str().unwrap_or("probe-select");
    let steps = (|| -> Result<Value, spin_sdk::redis::Error> {
        let moved = spin_sdk::redis::Connection::open(address)?;
        let other = spin_sdk::redis::Connection::open(address)?;
        moved.execute("SELECT", &[spin_sdk::redis::RedisParameter::Int64(1)])?;
        moved.set(key, b"in-db-1")?;
        let text = |v: Option<Vec<u8>>| v.map(|b| String::from_utf8_lossy(&b).into_owned());
        Ok(json!({
            "moved": text(moved.get(key)?),
            "other": text(other.get(key)?),
        }))
    })();
    match steps {
        Ok(v) => reply(200, v),
        Err(e) => reply(200, json!({ "error": format!("{e:?}") })),
    }
}

fn param(v: &Value) -> ParameterValue {
    let kind = v["type"].as_str().unwrap_or("null");
    let value = &v["value"];
    match kind {
        "str" => ParameterValue::Str(value.as_str().unwrap_or_default().into()),
        "int32" => ParameterValue::Int32(value.as_i64().unwrap_or_default() as i32),
        "int64" => ParameterValue::Int64(value.as_i64().unwrap_or_default()),
        "uuid" => ParameterValue::Uuid(value.as_str().unwrap_or_default().into()),
        "bool" => ParameterValue::Boolean(value.as_bool().unwrap_or_default()),
        _ => ParameterValue::DbNull,
    }
}

fn cell(v: &DbValue) -> Value {
    match v {
        DbValue::Str(s) | DbValue::Uuid(s) | DbValue::Decimal(s) => json!(s),
        DbValue::Int32(n) => json!(n),
        DbValue::Int64(n) => json!(n),
        DbValue::Boolean(b) => json!(b),
        DbValue::DbNull => Value::Null,
        other => json!(format!("{other:?}")),
    }
}

fn postgres(input: Value) -> Response {
    let address = input["address"].as_str().unwrap_or_default();
    let conn = match Connection::open(address) {
        Ok(c) => c,
        Err(e) => return reply(200, json!({ "error": format!("{e:?}") })),
    };
    let mut results = Vec::new();
    for stmt in input["statements"].as_array().cloned().unwrap_or_default() {
        let sql = stmt["sql"].as_str().unwrap_or_default();
        let params: Vec<ParameterValue> = stmt["params"]
            .as_array()
            .map(|p| p.iter().map(param).collect())
            .unwrap_or_default();
        let outcome = match conn.query(sql, &params) {
            Ok(set) => {
                let rows: Vec<Vec<_>> = set
                    .rows
                    .iter()
                    .map(|r| r.iter().map(cell).collect())
                    .collect();
                json!({ "rows": rows })
            }
            Err(e) => json!({ "error": format!("{e:?}") }),
        };
        results.push(outcome);
    }
    reply(200, json!({ "results": results }))
}
