//! Durable workflows through the real stack, with the test-only `lab` component's workflows
//! (`tests/components/lab`): exactly-once steps, replays after failures at every step boundary,
//! rollbacks newest first, timers and signals woken through Spin's redis trigger, the sweep that
//! recovers lost wake-ups, retry limits and the operator's API.

use std::time::Duration;

use serde_json::{Value, json};
use souk_e2e::{Stack, eventually, stack};
use uuid::Uuid;

fn key() -> String {
    format!("test-{}", Uuid::new_v4())
}

/// Now, once the shared stack is up (its start must not eat into a timer's delay).
fn now_ms() -> i64 {
    stack();
    chrono::Utc::now().timestamp_millis()
}

async fn start_on(on: &Stack, workflow: &str, key: &str, input: Value) -> Value {
    let reply = on
        .api()
        .post(&format!("/api/v1/lab/workflows/{workflow}"))
        .json(json!({ "key": key, "input": input }))
        .send()
        .await;
    reply.assert_status(200);
    reply.json().clone()
}

async fn start(workflow: &str, input: Value) -> Value {
    start_on(stack(), workflow, &key(), input).await
}

fn id_of(outcome: &Value) -> Uuid {
    outcome["invocation_id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("an invocation id in {outcome}"))
}

/// The operator's view of an invocation (durable's API, admin token).
async fn view_on(on: &Stack, id: Uuid) -> Value {
    let reply = on
        .api()
        .get(&format!("/api/v1/durable/invocations/{id}"))
        .bearer(&on.admin_token)
        .send()
        .await;
    reply.assert_status(200);
    reply.json().clone()
}

async fn view(id: Uuid) -> Value {
    view_on(stack(), id).await
}

async fn ledger_on(on: &Stack, id: Uuid) -> Vec<String> {
    let reply = on
        .api()
        .get(&format!("/api/v1/lab/ledger/{id}"))
        .send()
        .await;
    reply.assert_status(200);
    reply["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entry"].as_str().unwrap().to_string())
        .collect()
}

async fn ledger(id: Uuid) -> Vec<String> {
    ledger_on(stack(), id).await
}

/// Waits until the invocation has `status`; fails with its view and the host log otherwise.
async fn until_status_on(on: &Stack, id: Uuid, status: &str, limit: Duration) -> Value {
    let reached = eventually(limit, async || {
        let v = view_on(on, id).await;
        (v["status"] == status).then_some(v)
    })
    .await;
    match reached {
        Some(v) => v,
        None => panic!(
            "invocation {id} never reached `{status}`: {:#}\nhost log:\n{}",
            view_on(on, id).await,
            on.log()
        ),
    }
}

async fn until_status(id: Uuid, status: &str, limit: Duration) -> Value {
    until_status_on(stack(), id, status, limit).await
}

/// Runs the invocation now, as a wake-up would.
async fn wake(id: Uuid) -> Value {
    let reply = stack()
        .internal("lab")
        .post("/internal/workflows/run")
        .json(json!({ "id": id }))
        .send()
        .await;
    reply.assert_status(200);
    reply.json().clone()
}

fn transfer_input(seller: Uuid) -> Value {
    json!({ "amount": 250, "sku_id": Uuid::new_v4(), "seller_id": seller })
}

#[tokio::test]
async fn a_workflow_runs_each_step_once_and_a_repeated_start_returns_the_same_invocation() {
    let input = transfer_input(Uuid::new_v4());
    let k = key();
    let first = start_on(stack(), "transfer", &k, input.clone()).await;
    assert_eq!(first["status"], "completed", "{first}\n{}", stack().log());
    let id = id_of(&first);
    let again = start_on(stack(), "transfer", &k, input.clone()).await;
    assert_eq!((id_of(&again), &again["output"]), (id, &first["output"]));
    assert_eq!(ledger(id).await, ["debit", "stock", "credit"]);

    let mut other = input.clone();
    other["amount"] = json!(1);
    stack()
        .api()
        .post("/api/v1/lab/workflows/transfer")
        .json(json!({ "key": k, "input": other }))
        .send()
        .await
        .assert_error(422, "idempotency_key_reused");

    let v = view(id).await;
    let steps: Vec<(&str, &str)> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [("debit", "done"), ("stock", "done"), ("credit", "done")]
    );
    assert_eq!(
        (
            v["module"].as_str(),
            v["workflow"].as_str(),
            v["attempts"].as_i64()
        ),
        (Some("lab"), Some("transfer"), Some(1))
    );
}

#[tokio::test]
async fn parallel_starts_with_one_key_make_one_invocation_with_one_effect_each() {
    let input = transfer_input(Uuid::new_v4());
    let k = key();
    let starts = (0..8).map(|_| start_on(stack(), "transfer", &k, input.clone()));
    let outcomes = futures::future::join_all(starts).await;
    let id = id_of(&outcomes[0]);
    assert!(outcomes.iter().all(|o| id_of(o) == id), "{outcomes:#?}");
    until_status(id, "completed", Duration::from_secs(15)).await;
    assert_eq!(ledger(id).await, ["debit", "stock", "credit"]);
}

#[tokio::test]
async fn a_workflow_failing_at_every_step_boundary_resumes_to_the_same_end_without_duplicate_effects()
 {
    let seller = Uuid::new_v4();
    let input = transfer_input(seller);
    let sku = input["sku_id"].as_str().unwrap().parse::<Uuid>().unwrap();
    let first = start("faulty", input).await;
    let id = id_of(&first);
    assert_eq!(first["status"], "pending", "{first}");
    assert_eq!(first["error"]["code"], "fault_injected");

    // The durable component retries on its own (the backoff's wake-up key expires) …
    let retried = eventually(Duration::from_secs(15), async || {
        let v = view(id).await;
        (v["attempts"].as_i64() >= Some(2)).then_some(v)
    })
    .await;
    assert!(
        retried.is_some(),
        "retried by itself; log:\n{}",
        stack().log()
    );

    // … and every further wake-up gets one boundary further, until the end.
    let mut runs = 0;
    while view(id).await["status"] != "completed" {
        runs += 1;
        assert!(runs < 40, "completes: {:#}", view(id).await);
        wake(id).await;
    }
    let v = view(id).await;
    let mut fired: Vec<String> = v["faults_fired"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    fired.sort();
    let mut expected: Vec<String> = ["debit", "stock", "credit"]
        .iter()
        .flat_map(|s| ["before", "before-commit", "after"].map(|p| format!("{p}:{s}")))
        .collect();
    expected.sort();
    assert_eq!(fired, expected, "every boundary failed once");
    assert!(v["attempts"].as_i64().unwrap() >= 10);

    // One effect each, locally and in inventory (whose stock was created by a step that ran
    // twice, once rolled back after the remote call: the step's key made it once).
    assert_eq!(ledger(id).await, ["debit", "stock", "credit"]);
    let db = stack().db().await;
    let stocks: i64 = db
        .query_one(
            "SELECT count(*) FROM inventory.stock WHERE sku_id = $1",
            &[&sku],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stocks, 1);
    let output = &v["output"];
    assert_eq!(output["sku_id"], sku.to_string());
}

#[tokio::test]
async fn a_refused_step_rolls_back_the_finished_steps_newest_first() {
    let outcome = start("saga", json!({ "refuse": true })).await;
    let id = id_of(&outcome);
    assert_eq!(outcome["status"], "rolled_back", "{outcome}");
    assert_eq!(outcome["error"]["code"], "lab_refused");
    assert_eq!(
        ledger(id).await,
        ["do:a", "do:b", "do:c", "undo:c", "undo:b", "undo:a"]
    );
    let v = view(id).await;
    let check = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "check")
        .unwrap();
    assert_eq!(
        (&check["status"], &check["error"]["code"]),
        (&json!("failed"), &json!("lab_refused"))
    );

    let fine = start("saga", json!({ "refuse": false })).await;
    assert_eq!(fine["status"], "completed");
    assert_eq!(ledger(id_of(&fine)).await, ["do:a", "do:b", "do:c"]);
}

#[tokio::test]
async fn an_interrupted_rollback_resumes_without_undoing_anything_twice() {
    let outcome = start("saga_faulty", json!({ "refuse": true })).await;
    let id = id_of(&outcome);
    assert_eq!(outcome["status"], "compensating", "{outcome}");
    let mut runs = 0;
    while view(id).await["status"] != "rolled_back" {
        runs += 1;
        assert!(runs < 20, "rolls back: {:#}", view(id).await);
        wake(id).await;
    }
    assert_eq!(
        ledger(id).await,
        ["do:a", "do:b", "do:c", "undo:c", "undo:b", "undo:a"]
    );
}

#[tokio::test]
async fn a_timer_fires_at_its_due_time_woken_by_its_key_not_the_sweep() {
    let due = now_ms() + 2_000;
    let outcome = start("timer", json!({ "at_ms": due })).await;
    let id = id_of(&outcome);
    assert_eq!(outcome["status"], "waiting");
    let waiting = view(id).await;
    assert_eq!(waiting["timers"][0]["name"], "wait", "{waiting}");

    let done = until_status(id, "completed", Duration::from_secs(10)).await;
    let fired = done["output"]["fired_at_ms"].as_i64().unwrap();
    // Before the sweep's 5 s: the timer key's expiry woke it. Redis expires keys in sampled
    // cycles and Spin's redis trigger hands wake-ups over one at a time, so on a loaded machine
    // the event can trail the due time by seconds (1.1 s seen under souk-host, 3.3 s under
    // Spin while the checkout tests ran).
    assert!(
        (due..due + 4_500).contains(&fired),
        "fired {} ms after its due time",
        fired - due
    );
    assert_eq!(ledger(id).await, ["fired"]);
}

#[tokio::test]
async fn a_signal_is_delivered_whether_it_arrives_before_or_after_the_wait() {
    let api = stack().api();
    let early = format!("early-{}", Uuid::new_v4());
    api.post("/api/v1/lab/signals")
        .json(json!({ "name": early, "payload": { "paid": 1 } }))
        .send()
        .await
        .assert_status(200);
    let outcome = start("signal", json!({ "signal": early })).await;
    assert_eq!(outcome["status"], "completed", "{outcome}");
    assert_eq!(outcome["output"]["payload"], json!({ "paid": 1 }));

    let late = format!("late-{}", Uuid::new_v4());
    let outcome = start("signal", json!({ "signal": late })).await;
    let id = id_of(&outcome);
    assert_eq!(outcome["status"], "waiting");
    assert_eq!(view(id).await["waiting_for"], late);
    let sent = api
        .post("/api/v1/lab/signals")
        .json(json!({ "name": late, "payload": { "paid": 2 } }))
        .send()
        .await;
    assert_eq!(sent["woken"], json!([id]));
    let done = until_status(id, "completed", Duration::from_secs(10)).await;
    assert_eq!(done["output"]["payload"], json!({ "paid": 2 }));
    assert_eq!(ledger(id).await, ["signalled"]);
}

#[tokio::test]
async fn a_wait_for_a_signal_ends_at_its_deadline() {
    let outcome = start(
        "signal",
        json!({ "signal": format!("never-{}", Uuid::new_v4()), "deadline_ms": now_ms() + 1_000 }),
    )
    .await;
    let id = id_of(&outcome);
    let done = until_status(id, "completed", Duration::from_secs(10)).await;
    assert_eq!(done["output"]["payload"], Value::Null);
    assert_eq!(ledger(id).await, ["timed_out"]);
}

#[tokio::test]
async fn a_lost_wake_up_is_recovered_by_the_sweep() {
    let outcome = start("timer", json!({ "at_ms": now_ms() + 3_000 })).await;
    let id = id_of(&outcome);
    let client = redis::Client::open(stack().redis_url.as_str()).unwrap();
    let mut redis = client.get_multiplexed_async_connection().await.unwrap();
    let removed: i64 = redis::cmd("DEL")
        .arg(format!("souk:wake:lab/{id}"))
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(removed, 1, "the wake-up key was armed: {outcome}");
    until_status(id, "completed", Duration::from_secs(15)).await;
}

#[tokio::test]
async fn retries_stop_at_the_limit_and_an_operator_can_retry_or_cancel() {
    let a = id_of(&start("flaky", json!({})).await);
    let b = id_of(&start("flaky", json!({})).await);
    let failed = until_status(a, "failed", Duration::from_secs(20)).await;
    assert_eq!(
        (failed["failures"].as_i64(), &failed["error"]["code"]),
        (Some(3), &json!("lab_flaky"))
    );
    until_status(b, "failed", Duration::from_secs(20)).await;

    let api = stack().api();
    let admin = &stack().admin_token;
    let listed = api
        .get("/api/v1/durable/invocations?status=failed&workflow=flaky&limit=100")
        .bearer(admin)
        .send()
        .await;
    listed.assert_status(200);
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&a.to_string().as_str()) && ids.contains(&b.to_string().as_str()));
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["status"] == "failed" && i["workflow"] == "flaky")
    );

    let cancelled = api
        .post(&format!("/api/v1/durable/invocations/{b}/cancel"))
        .bearer(admin)
        .send()
        .await;
    cancelled.assert_status(200);
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["error"]["code"], "cancelled");
    api.post(&format!("/api/v1/durable/invocations/{b}/retry"))
        .bearer(admin)
        .send()
        .await
        .assert_error(409, "invocation_not_changeable");

    stack()
        .db()
        .await
        .execute(
            "INSERT INTO lab.switch (name, enabled) VALUES ('flaky', false) \
             ON CONFLICT (name) DO UPDATE SET enabled = false",
            &[],
        )
        .await
        .unwrap();
    let retried = api
        .post(&format!("/api/v1/durable/invocations/{a}/retry"))
        .bearer(admin)
        .send()
        .await;
    retried.assert_status(200);
    assert_eq!(retried["status"], "completed", "{}", retried.json());
    assert_eq!(ledger(a).await, ["tried"]);
    assert!(ledger(b).await.is_empty());
}

#[tokio::test]
async fn the_operator_api_needs_the_admin_token_and_checks_its_input() {
    let api = stack().api();
    let id = id_of(&start("saga", json!({})).await);
    api.get(&format!("/api/v1/durable/invocations/{id}"))
        .send()
        .await
        .assert_error(401, "unauthorized");
    api.get(&format!("/api/v1/durable/invocations/{id}"))
        .bearer("not-the-token")
        .send()
        .await
        .assert_error(401, "unauthorized");
    let admin = &stack().admin_token;
    api.get(&format!("/api/v1/durable/invocations/{}", Uuid::new_v4()))
        .bearer(admin)
        .send()
        .await
        .assert_error(404, "invocation_not_found");
    api.get("/api/v1/durable/invocations/not-a-uuid")
        .bearer(admin)
        .send()
        .await
        .assert_error(404, "invocation_not_found");
    for (query, code) in [
        ("status=bogus", "invalid_status"),
        ("limit=0", "invalid_limit"),
        ("module=nowhere", "invalid_module"),
        ("older_than=-3", "invalid_older_than"),
        ("before=yesterday", "invalid_before"),
    ] {
        api.get(&format!("/api/v1/durable/invocations?{query}"))
            .bearer(admin)
            .send()
            .await
            .assert_error(400, code);
    }
    api.post(&format!("/api/v1/durable/invocations/{id}/cancel"))
        .bearer(admin)
        .send()
        .await
        .assert_error(409, "invocation_not_changeable");
    let page = api
        .get("/api/v1/durable/invocations?workflow=saga&status=completed&limit=1")
        .bearer(admin)
        .send()
        .await;
    page.assert_status(200);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let before = page["next_before"].as_str().unwrap().to_string();
    let next = api
        .get(&format!(
            "/api/v1/durable/invocations?workflow=saga&status=completed&limit=1&before={before}"
        ))
        .bearer(admin)
        .send()
        .await;
    next.assert_status(200);
    for item in next["items"].as_array().unwrap() {
        assert!(item["created_at"].as_str().unwrap() < before.as_str());
    }
}

#[tokio::test]
async fn a_timer_and_a_signal_survive_a_host_restart() {
    let mut own = Stack::private().expect("a private stack starts");
    let due = now_ms() + 2_000;
    let timer = id_of(&start_on(&own, "timer", &key(), json!({ "at_ms": due })).await);
    let signal_name = format!("restart-{}", Uuid::new_v4());
    let waiter = id_of(&start_on(&own, "signal", &key(), json!({ "signal": signal_name })).await);
    assert_eq!(view_on(&own, waiter).await["status"], "waiting");

    own.restart().expect("the host restarts");
    let sent = own
        .api()
        .post("/api/v1/lab/signals")
        .json(json!({ "name": signal_name, "payload": "after the restart" }))
        .send()
        .await;
    sent.assert_status(200);

    let done = until_status_on(&own, waiter, "completed", Duration::from_secs(15)).await;
    assert_eq!(done["output"]["payload"], "after the restart");
    let fired = until_status_on(&own, timer, "completed", Duration::from_secs(15)).await;
    assert!(fired["output"]["fired_at_ms"].as_i64().unwrap() >= due);
    assert_eq!(ledger_on(&own, timer).await, ["fired"]);
}

#[tokio::test]
async fn a_workflow_input_that_does_not_decode_is_a_422_and_starts_nothing() {
    let k = key();
    let reply = stack()
        .api()
        .post("/api/v1/lab/workflows/timer")
        .json(json!({ "key": k, "input": { "at_ms": "soon" } }))
        .send()
        .await;
    reply.assert_error(422, "validation");
    let started: i64 = stack()
        .db()
        .await
        .query_one(
            "SELECT count(*) FROM lab.invocation WHERE start_key = $1",
            &[&k],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(started, 0);
}

#[tokio::test]
async fn a_step_that_opens_a_transaction_of_its_own_is_refused_and_commits_nothing() {
    let id = id_of(&start("nested", json!({})).await);
    let failed = until_status(id, "failed", Duration::from_secs(10)).await;
    assert_eq!(failed["error"]["code"], "transaction_in_step", "{failed:#}");
    assert!(ledger(id).await.is_empty(), "nothing of the step committed");
}

#[tokio::test]
async fn a_step_refused_after_its_remote_effect_keeps_its_undo_and_it_runs() {
    let outcome = start("late_refusal", json!({})).await;
    let id = id_of(&outcome);
    assert_eq!(outcome["status"], "rolled_back", "{outcome:#}");
    assert_eq!(outcome["error"]["code"], "lab_refused");
    assert_eq!(ledger(id).await, ["sink", "undo:hold"]);
}

#[tokio::test]
async fn cancelling_a_failed_invocation_undoes_the_step_interrupted_after_its_remote_effect() {
    let id = id_of(&start("late_failure", json!({})).await);
    let failed = until_status(id, "failed", Duration::from_secs(10)).await;
    let hold = &failed["steps"][0];
    assert_eq!(
        (&hold["name"], &hold["status"]),
        (&json!("hold"), &json!("interrupted"))
    );
    assert_eq!(ledger(id).await, ["sink"]);
    let cancelled = stack()
        .api()
        .post(&format!("/api/v1/durable/invocations/{id}/cancel"))
        .bearer(&stack().admin_token)
        .send()
        .await;
    cancelled.assert_status(200);
    assert_eq!(cancelled["status"], "cancelled", "{}", cancelled.json());
    assert_eq!(ledger(id).await, ["sink", "undo:hold"]);
}
