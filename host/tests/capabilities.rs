//! What components may use besides HTTP: variables, environment, files, key-value, Redis,
//! PostgreSQL, and the redis and cron triggers.

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;

/// The Redis logical database the tests' `default` store is configured on, as Souk's is: apart
/// from database 0, where the app keeps its locks, throttles and wake-up keys.
const KV_DATABASE: u8 = 1;

fn probe_manifest(dir: &std::path::Path, extra: &str) {
    let probe = wasm("host-probe");
    let redis = host_port(&redis_url());
    let pg = host_port(&database_url());
    std::fs::create_dir_all(dir.join("assets/nested")).unwrap();
    std::fs::write(dir.join("assets/nested/greeting.txt"), "hi from a file").unwrap();
    std::fs::write(dir.join("secret.txt"), "not mounted").unwrap();
    std::fs::write(
        dir.join("spin.toml"),
        format!(
            r#"
spin_manifest_version = 2
[application]
name = "caps-test"

[variables]
region = {{ default = "eu" }}
token = {{ required = true, secret = true }}

[[trigger.http]]
route = "/..."
component = "probe"

[component.probe]
source = "{probe}"
allowed_outbound_hosts = ["redis://{redis}", "postgres://{pg}"]
key_value_stores = ["default", "disk"]
files = ["assets/**/*.txt"]
environment = {{ FROM_MANIFEST = "manifest" }}
[component.probe.variables]
greeting = "hello-{{{{ region }}}}"
api_token = "{{{{ token }}}}"
{extra}
"#
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("runtime-config.toml"),
        format!(
            "[key_value_store.default]\ntype = \"redis\"\nurl = \"{}/{KV_DATABASE}\"\n\
             [key_value_store.disk]\ntype = \"spin\"\npath = \"kv-disk\"\n",
            redis_url()
        ),
    )
    .unwrap();
}

fn run(dir: &std::path::Path) -> Host {
    let rc = dir.join("runtime-config.toml");
    start(
        dir,
        &[
            "--runtime-config-file",
            rc.to_str().unwrap(),
            "--env",
            "FROM_FLAG=flag",
        ],
        &[("SPIN_VARIABLE_TOKEN", "t0k3n")],
    )
}

async fn redis_conn() -> redis::aio::MultiplexedConnection {
    redis_db(0).await
}

/// A connection to logical database `db` of the test Redis.
async fn redis_db(db: u8) -> redis::aio::MultiplexedConnection {
    redis::Client::open(format!("{}/{db}", redis_url()))
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

#[tokio::test]
async fn variables_expand_templates_and_take_spin_variable_environment_values() {
    let dir = workdir("vars");
    probe_manifest(&dir, "");
    let host = run(&dir);
    assert_eq!(
        get(&format!("{}/var/greeting", host.base)).await.1["value"],
        "hello-eu"
    );
    assert_eq!(
        get(&format!("{}/var/api_token", host.base)).await.1["value"],
        "t0k3n"
    );
    let undefined = get(&format!("{}/var/nope", host.base)).await.1;
    // Spin's wording names the component and the variable.
    assert!(
        undefined["error"]
            .as_str()
            .unwrap()
            .contains(r#"Undefined("no variable for \"probe\".\"nope\"")"#),
        "{undefined}"
    );
    let invalid = get(&format!("{}/var/Bad-Name", host.base)).await.1;
    assert!(
        invalid["error"].as_str().unwrap().contains("InvalidName"),
        "{invalid}"
    );
}

#[tokio::test]
async fn environment_and_mounted_files_are_visible_and_nothing_else() {
    let dir = workdir("env-files");
    probe_manifest(&dir, "");
    let host = run(&dir);
    let env = get(&format!("{}/env", host.base)).await.1;
    assert_eq!(env["FROM_MANIFEST"], "manifest");
    assert_eq!(env["FROM_FLAG"], "flag");
    assert!(
        env.get("SPIN_VARIABLE_TOKEN").is_none(),
        "the host's environment does not leak in"
    );
    let file = get(&format!("{}/file/assets/nested/greeting.txt", host.base)).await;
    assert_eq!(file.1["content"], "hi from a file");
    assert_eq!(get(&format!("{}/file/secret.txt", host.base)).await.0, 404);
}

#[tokio::test]
async fn key_value_stores_live_in_their_redis_database_unprefixed_and_on_disk_across_restarts() {
    let dir = workdir("kv");
    probe_manifest(&dir, "");
    let key = format!("host-test-kv-{}", std::process::id());
    // A key of the app's own in database 0, as a lock or a throttle counter is.
    let internal = format!("host-test-internal-{}", std::process::id());
    let _: () = redis::AsyncCommands::set(&mut redis_conn().await, &internal, "app")
        .await
        .unwrap();
    {
        let host = run(&dir);
        let client = reqwest::Client::new();
        client
            .put(format!("{}/kv/default/{key}", host.base))
            .body("v1")
            .send()
            .await
            .unwrap();
        client
            .put(format!("{}/kv/disk/{key}", host.base))
            .body("d1")
            .send()
            .await
            .unwrap();
        assert_eq!(
            get(&format!("{}/kv/default/{key}", host.base)).await.1["value"],
            "v1"
        );
        let direct: Option<String> =
            redis::AsyncCommands::get(&mut redis_db(KV_DATABASE).await, &key)
                .await
                .unwrap();
        assert_eq!(
            direct.as_deref(),
            Some("v1"),
            "Spin writes keys to the URL's database as given, without a prefix"
        );
        let in_db0: Option<String> = redis::AsyncCommands::get(&mut redis_conn().await, &key)
            .await
            .unwrap();
        assert_eq!(in_db0, None, "the store's keys stay out of database 0");
        let listed = get(&format!("{}/kv/default", host.base)).await.1;
        let listed = listed["keys"].as_array().unwrap();
        assert!(listed.contains(&json!(key)), "{listed:?}");
        assert!(
            !listed.contains(&json!(internal)),
            "get-keys lists the store's database only: {listed:?}"
        );
        assert_eq!(
            get(&format!("{}/kv/default/{internal}", host.base)).await.1["value"],
            serde_json::Value::Null,
            "the store cannot read the app's keys"
        );
        let denied = get(&format!("{}/kv/other/{key}", host.base)).await.1;
        assert!(
            denied["error"]
                .as_str()
                .is_some_and(|e| e.contains("AccessDenied")),
            "{denied}"
        );
        assert!(host.terminate());
    }
    let _: () = redis::AsyncCommands::del(&mut redis_conn().await, &internal)
        .await
        .unwrap();
    let host = run(&dir);
    assert_eq!(
        get(&format!("{}/kv/disk/{key}", host.base)).await.1["value"],
        "d1"
    );
    let keys = get(&format!("{}/kv/disk", host.base)).await.1;
    assert!(
        keys["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k == &json!(key))
    );
    reqwest::Client::new()
        .delete(format!("{}/kv/default/{key}", host.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        get(&format!("{}/kv/default/{key}", host.base)).await.1["value"],
        serde_json::Value::Null
    );
}

#[tokio::test]
async fn outbound_redis_runs_commands_and_is_limited_to_allowed_hosts() {
    let dir = workdir("redis");
    probe_manifest(&dir, "");
    let host = run(&dir);
    let key = format!("host-test-redis-{}", std::process::id());
    let (_, body) = post(
        &format!("{}/redis", host.base),
        json!({ "address": redis_url(), "key": key, "value": "x" }),
    )
    .await;
    assert_eq!(body["get"], "x", "{body}");
    assert_eq!(body["incr"], 1);
    let (_, denied) = post(
        &format!("{}/redis", host.base),
        json!({ "address": "redis://127.0.0.1:1" }),
    )
    .await;
    assert!(
        denied["error"]
            .as_str()
            .is_some_and(|e| e.contains("not permitted")),
        "{denied}"
    );
}

#[tokio::test]
async fn each_redis_open_is_a_connection_of_its_own_so_a_select_moves_only_that_one() {
    let dir = workdir("redis-select");
    probe_manifest(&dir, "");
    let host = run(&dir);
    let key = format!("host-test-select-{}", std::process::id());
    for round in 0..2 {
        let (_, body) = post(
            &format!("{}/redis-select", host.base),
            json!({ "address": redis_url(), "key": key }),
        )
        .await;
        assert_eq!(body["moved"], "in-db-1", "round {round}: {body}");
        assert_eq!(
            body["other"],
            serde_json::Value::Null,
            "round {round}: another open is still on database 0: {body}"
        );
    }
    let in_db0: Option<String> = redis::AsyncCommands::get(&mut redis_conn().await, &key)
        .await
        .unwrap();
    assert_eq!(in_db0, None);
    let mut db1 = redis_db(1).await;
    let in_db1: Option<String> = redis::AsyncCommands::get(&mut db1, &key).await.unwrap();
    assert_eq!(in_db1.as_deref(), Some("in-db-1"));
    let _: () = redis::AsyncCommands::del(&mut db1, &key).await.unwrap();
}

#[tokio::test]
async fn error_texts_handed_to_guests_carry_no_credentials() {
    let dir = workdir("redact");
    probe_manifest(&dir, "");
    let host = run(&dir);
    let secret = "s3cret-pw";
    let redis = host_port(&redis_url());
    let pg = host_port(&database_url());
    let cases = [
        // The test Redis has no password: AUTH fails while connecting.
        (
            "/redis",
            json!({ "address": format!("redis://:{secret}@{redis}") }),
        ),
        (
            "/redis",
            json!({ "address": format!("redis://:{secret}@127.0.0.1:1") }),
        ),
        (
            "/pg",
            json!({ "address": format!("postgres://postgres:{secret}@{pg}/host_test_no_such_db"),
                    "statements": [] }),
        ),
        (
            "/pg",
            json!({ "address": format!("host=127.0.0.1 port=1 password={secret}"),
                    "statements": [] }),
        ),
    ];
    for (path, input) in cases {
        let (_, body) = post(&format!("{}{path}", host.base), input.clone()).await;
        let error = body["error"].as_str().unwrap_or_default();
        assert!(!error.is_empty(), "{input} must fail: {body}");
        assert!(
            !error.contains(secret),
            "{input}: the password reached the guest: {error}"
        );
    }
}

#[tokio::test]
async fn postgres_through_a_guest_keeps_transactions_and_spins_refusals() {
    let dir = workdir("pg");
    probe_manifest(&dir, "");
    let host = run(&dir);
    let table = format!("host_test_pg_{}", std::process::id());
    let url = database_url();
    let stmt = |sql: &str| json!({ "sql": sql });
    let (_, body) = post(
        &format!("{}/pg", host.base),
        json!({ "address": url, "statements": [
            stmt(&format!("DROP TABLE IF EXISTS {table}")),
            stmt(&format!("CREATE TABLE {table} (id int4 PRIMARY KEY, name text)")),
            { "sql": format!("INSERT INTO {table} VALUES ($1, $2)"),
              "params": [{ "type": "int32", "value": 1 }, { "type": "str", "value": "kept" }] },
            stmt("BEGIN"),
            { "sql": format!("INSERT INTO {table} VALUES ($1, $2)"),
              "params": [{ "type": "int32", "value": 2 }, { "type": "str", "value": "undone" }] },
            stmt("ROLLBACK"),
            stmt(&format!("SELECT id, name FROM {table} ORDER BY id")),
            stmt("SELECT now()"),
            { "sql": "SELECT $1::uuid",
              "params": [{ "type": "str", "value": "0b6f1c1e-6a4e-4c57-9d2a-1f1f7f4b1a11" }] },
            { "sql": "SELECT $1::int4", "params": [{ "type": "int64", "value": 1 }] },
            stmt(&format!("DROP TABLE {table}")),
        ]}),
    )
    .await;
    let r = &body["results"];
    assert_eq!(r[6]["rows"], json!([[1, "kept"]]), "{body}");
    for i in [7, 8, 9] {
        assert!(
            r[i]["error"]
                .as_str()
                .is_some_and(|e| e.contains("QueryFailed")),
            "statement {i} must be refused: {body}"
        );
    }
    let (_, denied) = post(
        &format!("{}/pg", host.base),
        json!({ "address": "postgres://postgres@127.0.0.1:1/x", "statements": [] }),
    )
    .await;
    assert!(
        denied["error"]
            .as_str()
            .is_some_and(|e| e.contains("not permitted")),
        "{denied}"
    );
}

#[tokio::test]
async fn the_redis_trigger_delivers_published_messages_and_key_expiry_events() {
    let dir = workdir("redis-trigger");
    let sink = wasm("host-redis-sink");
    let probe = wasm("host-probe");
    let list = format!("host-test-sink-{}", std::process::id());
    let redis = redis_url();
    let channel = format!("host-test-channel-{}", std::process::id());
    std::fs::write(
        dir.join("spin.toml"),
        format!(
            r#"
spin_manifest_version = 2
[application]
name = "redis-trigger-test"
[application.trigger.redis]
address = "{redis}"
[[trigger.redis]]
channel = "{channel}"
component = "sink"
[[trigger.redis]]
channel = "__keyevent@0__:expired"
component = "sink"
[[trigger.http]]
route = "/..."
component = "probe"
[component.sink]
source = "{sink}"
allowed_outbound_hosts = ["redis://{}", "*://*:*"]
[component.sink.variables]
sink_address = "{redis}"
sink_key = "{list}"
[component.probe]
source = "{probe}"
"#,
            host_port(&redis)
        ),
    )
    .unwrap();
    let host = start(&dir, &[], &[]);
    assert!(
        host.wait_for_log(&format!("subscribed to {channel}"), Duration::from_secs(10)),
        "{}",
        host.log()
    );
    let mut conn = redis_conn().await;
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("notify-keyspace-events")
        .arg("Ex")
        .query_async(&mut conn)
        .await
        .unwrap();
    let _: i64 = redis::AsyncCommands::publish(&mut conn, &channel, "first")
        .await
        .unwrap();
    let _: i64 = redis::AsyncCommands::publish(&mut conn, &channel, "chain:probe")
        .await
        .unwrap();
    let expiring = format!("host-test-expiring-{}", std::process::id());
    let _: () = redis::cmd("SET")
        .arg(&expiring)
        .arg("1")
        .arg("PX")
        .arg(200)
        .query_async(&mut conn)
        .await
        .unwrap();
    let mut seen: Vec<String> = Vec::new();
    for _ in 0..100 {
        seen = redis::AsyncCommands::lrange(&mut conn, &list, 0, -1)
            .await
            .unwrap();
        if seen.contains(&"first".to_string()) && seen.contains(&expiring) && seen.len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // As in Spin, service chaining exists only inside the HTTP trigger (a redis-triggered
    // component cannot even list a `*.spin.internal` host): allowed to reach any host, it
    // finds `probe.spin.internal` to be a name that does not resolve.
    assert!(
        seen.iter().any(|s| s.starts_with("chain failed")),
        "chaining from a redis-triggered instance fails: {seen:?}\n{}",
        host.log()
    );
    assert!(
        seen.contains(&"first".to_string()),
        "published message delivered: {seen:?}\n{}",
        host.log()
    );
    assert!(
        seen.contains(&expiring),
        "expiry event delivered: {seen:?}\n{}",
        host.log()
    );
    let _: () = redis::AsyncCommands::del(&mut conn, &list).await.unwrap();
}

#[tokio::test]
async fn the_cron_trigger_runs_its_component_on_schedule() {
    let dir = workdir("cron");
    let tick = wasm("host-cron-tick");
    std::fs::write(
        dir.join("spin.toml"),
        format!(
            r#"
spin_manifest_version = 2
[application]
name = "cron-test"
[[trigger.cron]]
cron_expression = "* * * * * *"
component = "tick"
[component.tick]
source = "{tick}"
"#
        ),
    )
    .unwrap();
    let host = start(&dir, &[], &[]);
    assert!(
        host.wait_for_log("CRON tick ok", Duration::from_secs(10)),
        "{}",
        host.log()
    );
    let ticks = || {
        host.log()
            .lines()
            .filter(|l| l.contains("[tick] tick "))
            .count()
    };
    let started = std::time::Instant::now();
    while ticks() < 2 && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ticks() >= 2, "{}", host.log());
}

fn dependency_manifest(dir: &std::path::Path, inherit: bool, key: &str) {
    std::fs::write(
        dir.join("spin.toml"),
        format!(
            r#"
spin_manifest_version = 2
[application]
name = "dependency-test"
[[trigger.http]]
route = "/..."
component = "consumer"
[component.consumer]
source = "{}"
dependencies_inherit_configuration = {inherit}
[component.consumer.variables]
greeting = "hi"
[component.consumer.dependencies]
"{key}" = {{ path = "{}" }}
"#,
            wasm("host-greeting-consumer"),
            wasm("host-greeter"),
        ),
    )
    .unwrap();
}

#[tokio::test]
async fn a_dependency_is_composed_in_and_sees_configuration_only_when_inherited() {
    let dir = workdir("dependency");
    dependency_manifest(&dir, false, "souk:test/greeter@0.1.0");
    let host = start(&dir, &[], &[]);
    let text = reqwest::get(format!("{}/ada", host.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        text, "hello, ada",
        "without inheritance the provider's variable reads are undefined"
    );
    drop(host);

    dependency_manifest(&dir, true, "souk:test");
    let host = start(&dir, &[], &[]);
    let text = reqwest::get(format!("{}/ada", host.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        text, "hi, ada",
        "with inheritance the provider reads the consumer's variables"
    );
}

#[test]
fn a_dependency_that_matches_no_import_is_refused() {
    let dir = workdir("dependency-unmatched");
    dependency_manifest(&dir, true, "souk:other/thing");
    let stderr = fails(&dir, &[], &[]);
    assert!(
        stderr.contains("dependency `souk:other/thing` matches none of the component's imports"),
        "{stderr}"
    );
}

fn slots_manifest(dir: &std::path::Path, slots: &[(&str, &str)]) {
    let lines: String = slots
        .iter()
        .map(|(slot, export)| {
            format!(
                "\"{slot}\" = {{ path = \"{}\", export = \"{export}\" }}\n",
                wasm("host-voices")
            )
        })
        .collect();
    std::fs::write(
        dir.join("spin.toml"),
        format!(
            r#"
spin_manifest_version = 2
[application]
name = "slots-test"
[[trigger.http]]
route = "/..."
component = "consumer"
[component.consumer]
source = "{}"
[component.consumer.dependencies]
{lines}"#,
            wasm("host-slots-consumer"),
        ),
    )
    .unwrap();
}

#[tokio::test]
async fn plain_named_slots_are_each_filled_by_the_export_their_dependency_names() {
    let dir = workdir("dependency-slots");
    slots_manifest(
        &dir,
        &[
            ("slot-a", "souk:test/shouter@0.1.0"),
            ("slot-b", "souk:test/whisperer@0.1.0"),
        ],
    );
    let host = start(&dir, &[], &[]);
    let text = reqwest::get(format!("{}/ada", host.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text, "HEY ADA\nPSST ada", "{}", host.log());
}

#[test]
fn a_slot_left_unfilled_stops_the_start_as_spin_does() {
    let dir = workdir("dependency-slot-missing");
    slots_manifest(&dir, &[("slot-a", "souk:test/shouter@0.1.0")]);
    let stderr = fails(&dir, &[], &[]);
    assert!(
        stderr.contains("component imports instance `slot-b`"),
        "{stderr}"
    );
}

#[test]
fn the_redis_triggers_log_lines_carry_no_password() {
    let dir = workdir("redis-trigger-redact");
    let secret = "s3cret-pw";
    std::fs::write(
        dir.join("spin.toml"),
        format!(
            r#"
spin_manifest_version = 2
[application]
name = "redis-trigger-redact-test"
[application.trigger.redis]
address = "redis://:{secret}@{}"
[[trigger.redis]]
channel = "host-test-redact"
component = "sink"
[component.sink]
source = "{}"
"#,
            host_port(&redis_url()),
            wasm("host-redis-sink"),
        ),
    )
    .unwrap();
    let host = start(&dir, &[], &[]);
    // The test Redis has no password, so the subscription's AUTH fails and is logged.
    assert!(
        host.wait_for_log("retrying in", Duration::from_secs(10)),
        "{}",
        host.log()
    );
    assert!(host.log().contains("redis://***@"), "{}", host.log());
    assert!(!host.log().contains(secret), "{}", host.log());
}
