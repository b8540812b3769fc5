//! Log lines on stderr, which Spin (and souk-host) keep per component. Every line carries the
//! request id of the request being served, so one request can be followed across modules.

use std::cell::RefCell;

thread_local! {
    // A component instance serves exactly one request, so "the current request" is simply
    // what the router set when the request arrived.
    static REQUEST_ID: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Sets the request id that following log lines carry.
pub fn set_request_id(id: &str) {
    REQUEST_ID.with(|r| *r.borrow_mut() = id.to_string());
}

/// The current request id (empty before the router set it).
pub fn request_id() -> String {
    REQUEST_ID.with(|r| r.borrow().clone())
}

fn line(level: &str, args: std::fmt::Arguments<'_>) {
    eprintln!("level={level} request_id={} {args}", request_id());
}

/// An informational line.
pub fn info(args: std::fmt::Arguments<'_>) {
    line("info", args);
}

/// A warning: something unexpected that the request survived.
pub fn warn(args: std::fmt::Arguments<'_>) {
    line("warn", args);
}

/// An error: the request failed for a reason the client cannot fix.
pub fn error(args: std::fmt::Arguments<'_>) {
    line("error", args);
}
