//! Start-up failures: each stops the host with one clear line naming the file, component or
//! variable at fault, and a non-zero exit.

mod common;

use common::*;

fn write(dir: &std::path::Path, text: &str) {
    std::fs::write(dir.join("spin.toml"), text).unwrap();
}

fn app(component: &str) -> String {
    format!(
        r#"spin_manifest_version = 2
[application]
name = "startup-test"
[[trigger.http]]
route = "/..."
component = "web"
[component.web]
{component}
"#
    )
}

fn error_line(stderr: &str) -> &str {
    stderr
        .lines()
        .find(|l| l.starts_with("souk-host:"))
        .unwrap_or_else(|| panic!("no error line in:\n{stderr}"))
}

#[test]
fn a_missing_manifest_is_named() {
    let dir = workdir("no-manifest");
    let line = error_line(&fails(&dir, &[], &[])).to_string();
    assert!(
        line.contains("cannot read manifest") && line.contains("spin.toml"),
        "{line}"
    );
}

#[test]
fn invalid_toml_and_unknown_keys_are_refused() {
    let dir = workdir("bad-toml");
    write(&dir, "spin_manifest_version = 2\n[application\n");
    assert!(error_line(&fails(&dir, &[], &[])).contains("invalid manifest"));
    write(
        &dir,
        &app(&format!(
            "source = \"{}\"\nallowed_outbound_hostz = []",
            wasm("host-probe")
        )),
    );
    let stderr = fails(&dir, &[], &[]);
    assert!(
        error_line(&stderr).contains("allowed_outbound_hostz"),
        "{stderr}"
    );
}

#[test]
fn a_missing_wasm_file_names_the_file_and_what_builds_it() {
    let dir = workdir("no-wasm");
    write(
        &dir,
        &app("source = \"missing.wasm\"\n[component.web.build]\ncommand = \"cargo build -p web\""),
    );
    let line = error_line(&fails(&dir, &[], &[])).to_string();
    assert!(
        line.contains("component `web`")
            && line.contains("missing.wasm")
            && line.contains("cargo build -p web"),
        "{line}"
    );
}

#[test]
fn a_required_variable_without_a_value_is_named() {
    let dir = workdir("no-var");
    let text = app(&format!("source = \"{}\"", wasm("host-probe"))).replace(
        "[[trigger.http]]",
        "[variables]\napi_key = { required = true, secret = true }\n[[trigger.http]]",
    );
    write(&dir, &text);
    let line = error_line(&fails(&dir, &[], &[])).to_string();
    assert!(
        line.contains("no provider resolved required variable(s): [\"api_key\"]")
            && line.contains("SPIN_VARIABLE_API_KEY"),
        "{line}"
    );
}

#[test]
fn a_component_needing_an_import_the_host_lacks_is_named() {
    let dir = workdir("bad-import");
    write(
        &dir,
        &app(&format!("source = \"{}\"", wasm("host-needs-sqlite"))),
    );
    let line = error_line(&fails(&dir, &[], &[])).to_string();
    assert!(
        line.contains("component `web` needs an import") && line.contains("sqlite"),
        "{line}"
    );
}

#[test]
fn a_component_without_the_triggers_handler_is_named() {
    let dir = workdir("no-handler");
    write(
        &dir,
        &app(&format!("source = \"{}\"", wasm("host-redis-sink"))),
    );
    let line = error_line(&fails(&dir, &[], &[])).to_string();
    assert!(
        line.contains("component `web` is used by a http trigger but does not export its handler"),
        "{line}"
    );
}

#[test]
fn an_unconfigured_key_value_store_is_refused() {
    let dir = workdir("no-store");
    write(
        &dir,
        &app(&format!(
            "source = \"{}\"\nkey_value_stores = [\"cache\"]",
            wasm("host-probe")
        )),
    );
    let line = error_line(&fails(&dir, &[], &[])).to_string();
    assert!(
        line.contains("unknown key_value_stores label \"cache\" for component \"web\""),
        "{line}"
    );
}

#[test]
fn bad_routes_and_outbound_entries_are_refused() {
    let dir = workdir("bad-route");
    let probe = wasm("host-probe");
    write(
        &dir,
        &app(&format!("source = \"{probe}\"")).replace("route = \"/...\"", "route = \"no-slash\""),
    );
    assert!(error_line(&fails(&dir, &[], &[])).contains("no-slash"));
    write(
        &dir,
        &app(&format!(
            "source = \"{probe}\"\nallowed_outbound_hosts = [\"example.com\"]"
        )),
    );
    assert!(error_line(&fails(&dir, &[], &[])).contains("example.com"));
}

#[test]
fn a_listen_port_in_use_is_named() {
    let dir = workdir("port");
    write(&dir, &app(&format!("source = \"{}\"", wasm("host-probe"))));
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let line = error_line(&fails(&dir, &["--listen", &addr], &[])).to_string();
    assert!(
        line.contains("cannot listen on") && line.contains(&addr),
        "{line}"
    );
}

#[test]
fn a_redis_triggered_component_asking_for_service_chaining_stops_the_app_in_spins_words() {
    let dir = workdir("redis-chaining");
    let text = format!(
        r#"spin_manifest_version = 2
[application]
name = "startup-test"
[application.trigger.redis]
address = "redis://127.0.0.1:6379"
[[trigger.http]]
route = "/..."
component = "web"
[[trigger.redis]]
channel = "c"
component = "sink"
[component.web]
source = "{}"
[component.sink]
source = "{}"
allowed_outbound_hosts = ["http://*.spin.internal"]
"#,
        wasm("host-probe"),
        wasm("host-redis-sink")
    );
    write(&dir, &text);
    let line = error_line(&fails(&dir, &[], &[])).to_string();
    assert!(
        line.ends_with(
            "This application requires the following features that are not available in this \
             version of the 'redis' trigger: local_service_chaining"
        ),
        "{line}"
    );
}
