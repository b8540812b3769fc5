//! A provider component for souk-host's dependency tests: exports `souk:test/greeter`, and
//! mentions the `greeting` variable when it can read one (it can only with inherited
//! configuration).

#![expect(
    unsafe_code,
    reason = "wit-bindgen's export! generates the unsafe export glue of the component"
)]

spin_sdk::wit_bindgen::generate!({
    world: "provider",
    path: "../wit",
    runtime_path: "::spin_sdk::wit_bindgen::rt",
    generate_all,
});

struct Greeter;

impl exports::souk::test::greeter::Guest for Greeter {
    fn greet(name: String) -> String {
        match fermyon::spin::variables::get("greeting") {
            Ok(greeting) => format!("{greeting}, {name}"),
            Err(_) => format!("hello, {name}"),
        }
    }
}

export!(Greeter);
