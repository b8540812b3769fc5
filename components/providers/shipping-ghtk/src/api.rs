//! The calls to GHTK's API, one function per operation: each builds its request with
//! [`crate::request`], sends it through `outbound` with Souk's credentials, and reads the
//! answer with [`crate::answer`]. The only code here that does I/O.

use outbound::{Call, Failure};
use serde_json::Value;

use crate::answer::{self, Envelope};
use crate::config::Config;
use crate::request;
use crate::souk::shipping::types::{
    Booked, Error, FeeQuote, QuoteRequest, ShipmentRequest, State, Tracking,
};

/// Sends `call` with the `Token` and `X-Client-Source` GHTK wants, and reads its envelope.
/// `outbound` describes a call by method, host and path only, so no error shows the token.
fn send(config: &Config, call: Call) -> Result<Envelope, Error> {
    let answer = call
        .header("token", &config.token)
        .header("x-client-source", &config.client_source)
        .send()
        .map_err(|failure| match failure {
            Failure::Invalid(m) => Error::Misconfigured(m),
            Failure::Timeout(m) | Failure::Unreachable(m) => Error::Unavailable(m),
        })?;
    answer::envelope(answer.status, &answer.body)
}

/// A fee (GET, idempotent).
pub fn quote(config: &Config, request: &QuoteRequest) -> Result<FeeQuote, Error> {
    let path = request::fee_path(request)?;
    match send(config, Call::get(config.url(&path)))? {
        Envelope::Accepted(answer) => answer::quote(&answer),
        Envelope::Refused(_, answer) => Err(Error::Declined(answer::message(&answer))),
    }
}

/// Books a shipment, answering the first booking when its reference was booked before.
pub fn create(config: &Config, request: &ShipmentRequest, now_ms: i64) -> Result<Booked, Error> {
    let body = request::order_body(request)?;
    // Marked idempotent: GHTK books a partner order `id` once and refuses it afterwards
    // (`success: false`, with `error.code` `ORDER_ID_EXIST` naming the existing label), so a
    // retry of a POST that did book cannot book again; its refusal is answered below with
    // the first booking.
    let call = Call::post(config.url(request::ORDER_PATH))
        .body("application/json", body.to_string())
        .idempotent(true);
    let refusal = match send(config, call)? {
        Envelope::Accepted(answer) => return answer::booked(&answer, now_ms),
        Envelope::Refused(_, answer) => answer,
    };
    // GHTK does not always say a refusal is the duplicate (the sandbox only says so in
    // words), so any refusal is checked against the orders GHTK has under the reference: one
    // found is the first booking; none, and the refusal stands. A lookup that fails is
    // `unavailable`: the booking may be retried, since it cannot book twice.
    let message = answer::message(&refusal);
    let key = answer::existing_label(&refusal).unwrap_or_else(|| request.reference.clone());
    match lookup(config, &key) {
        Ok(order) => answer::first_booking(&order, &request.reference, &message, now_ms),
        Err(Error::NotFound(_) | Error::Declined(_)) => Err(Error::Declined(message)),
        Err(e) => Err(e),
    }
}

/// The status answer of the order `key` names (a label or a partner id; GET, idempotent).
fn lookup(config: &Config, key: &str) -> Result<Value, Error> {
    let path = request::status_path(key)?;
    match send(config, Call::get(config.url(&path)))? {
        Envelope::Accepted(answer) => Ok(answer),
        Envelope::Refused(status, answer) if answer::means_not_found(status, &answer) => {
            Err(Error::NotFound(format!(
                "GHTK knows no shipment {key}: {}",
                answer::message(&answer)
            )))
        }
        Envelope::Refused(_, answer) => Err(Error::Declined(answer::message(&answer))),
    }
}

/// Where shipment `code` stands.
pub fn status(config: &Config, code: &str) -> Result<Tracking, Error> {
    answer::tracking(&lookup(config, code)?)
}

/// Cancels shipment `code` while GHTK allows it (status 1, 2 or 12).
pub fn cancel(config: &Config, code: &str) -> Result<Tracking, Error> {
    let path = request::cancel_path(code)?;
    // Marked idempotent: cancelling twice cancels once. GHTK refuses a second cancel
    // ("Đơn hàng đã ở trạng thái hủy"), which is answered below as the cancellation it is.
    let call = Call::post(config.url(&path)).idempotent(true);
    let refusal = match send(config, call)? {
        Envelope::Accepted(answer) => return Ok(answer::cancelled(code, &answer)),
        Envelope::Refused(_, answer) => answer,
    };
    // Why GHTK refused is read from the shipment itself rather than from its words: unknown
    // (`not-found`), already cancelled (answered as cancelled), or past pickup (`declined`).
    let key = code.trim();
    let tracking = answer::tracking(&lookup(
        config,
        key.strip_prefix("partner_id:").unwrap_or(key),
    )?)?;
    if tracking.state == State::Cancelled {
        Ok(tracking)
    } else {
        Err(Error::Declined(answer::message(&refusal)))
    }
}
