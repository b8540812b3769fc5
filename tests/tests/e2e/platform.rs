//! What every module shares: health, the OpenAPI document, errors for unknown routes, request
//! ids.

use souk_e2e::stack;

const MODULES: [&str; 9] = [
    "account",
    "catalog",
    "order",
    "inventory",
    "promotion",
    "analytic",
    "chat",
    "common",
    "durable",
];

#[tokio::test]
async fn every_module_reports_its_schema_version_and_a_live_database() {
    let api = stack().api();
    for module in MODULES {
        let reply = api.get(&format!("/api/v1/{module}/health")).send().await;
        reply.assert_status(200);
        assert_eq!(reply["module"], module, "{}", reply.text);
        assert_eq!(reply["status"], "ok", "{}", reply.text);
        assert_eq!(reply["database"], "ok", "{}", reply.text);
        assert!(
            reply["schema_version"].as_i64().is_some_and(|v| v >= 1),
            "{}",
            reply.text
        );
    }
}

#[tokio::test]
async fn the_openapi_document_is_served_as_openapi_3_1() {
    let reply = stack().api().get("/api/v1/openapi.json").send().await;
    reply.assert_status(200);
    assert!(
        reply["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        reply.text
    );
    assert!(reply["paths"]["/api/v1/account/health"].is_object());
}

#[tokio::test]
async fn an_unknown_path_inside_a_module_is_a_json_404() {
    let reply = stack()
        .api()
        .get("/api/v1/account/no-such-thing")
        .send()
        .await;
    reply.assert_error(404, "not_found");
}

#[tokio::test]
async fn a_path_outside_every_route_is_404() {
    stack()
        .api()
        .get("/nowhere")
        .send()
        .await
        .assert_status(404);
}

#[tokio::test]
async fn internal_routes_are_not_reachable_from_outside() {
    stack()
        .api()
        .get("/internal/anything")
        .send()
        .await
        .assert_status(404);
}

#[tokio::test]
async fn the_request_id_is_echoed_and_generated_when_absent() {
    let api = stack().api();
    let given = api
        .get("/api/v1/common/health")
        .header("x-request-id", "test-rid-123")
        .send()
        .await;
    assert_eq!(given.header("x-request-id"), Some("test-rid-123"));
    let generated = api.get("/api/v1/common/health").send().await;
    assert!(
        generated
            .header("x-request-id")
            .is_some_and(|v| !v.is_empty())
    );
    let error = api
        .get("/api/v1/account/no-such-thing")
        .header("x-request-id", "rid-err")
        .send()
        .await;
    assert_eq!(error["error"]["request_id"], "rid-err", "{}", error.text);
}
