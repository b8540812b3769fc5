//! The payment gateway of a slot that no gateway fills. The order module imports four gateway
//! slots, and Spin refuses to start a component one of whose imports is not filled, so every
//! slot needs a component: this one is named by the empty `id`, offers no methods, refuses
//! every call as misconfigured and answers any callback that reaches it 404. It reads no
//! variables and calls nothing.

#![expect(
    unsafe_code,
    reason = "wit-bindgen's export! generates the unsafe export glue of the component"
)]

spin_sdk::wit_bindgen::generate!({
    world: "gateway-provider",
    path: "../../../wit/payment",
    runtime_path: "::spin_sdk::wit_bindgen::rt",
});

use exports::souk::payment::gateway::{
    Error, Guest, Inbound, Method, Notice, RefundReceipt, RefundRequest, Refusal, Reply,
    StartRequest, Started, Status, StatusRequest, Verdict,
};

/// Why every call fails.
const UNFILLED: &str = "no payment gateway fills this slot";

/// What a callback sent here is answered: nobody should be sending one.
fn not_here() -> Reply {
    Reply {
        status: 404,
        content_type: "application/json".to_string(),
        body: r#"{"error":"no payment gateway here"}"#.to_string(),
    }
}

fn unfilled() -> Error {
    Error::Misconfigured(UNFILLED.to_string())
}

struct Gateway;

impl Guest for Gateway {
    fn id() -> String {
        String::new()
    }

    fn methods() -> Vec<Method> {
        Vec::new()
    }

    fn start(_: StartRequest) -> Result<Started, Error> {
        Err(unfilled())
    }

    fn verify(_: Inbound) -> Result<Notice, Refusal> {
        Err(Refusal {
            reason: UNFILLED.to_string(),
            reply: not_here(),
        })
    }

    fn answer(_: Verdict) -> Reply {
        not_here()
    }

    fn query(_: StatusRequest) -> Result<Status, Error> {
        Err(unfilled())
    }

    fn refund(_: RefundRequest) -> Result<RefundReceipt, Error> {
        Err(unfilled())
    }
}

export!(Gateway);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callbacks_get_a_json_404_whatever_they_carry() {
        let refused = Gateway::verify(Inbound {
            method: "GET".to_string(),
            query: "vnp_TxnRef=1".to_string(),
            headers: Vec::new(),
            body: Vec::new(),
        })
        .unwrap_err();
        assert_eq!(refused.reason, UNFILLED);
        assert_eq!(refused.reply.status, 404);
        assert_eq!(refused.reply.content_type, "application/json");
        assert_eq!(refused.reply.body, r#"{"error":"no payment gateway here"}"#);
        let answered = Gateway::answer(Verdict::Accepted);
        assert_eq!((answered.status, answered.body), (404, refused.reply.body));
    }

    #[test]
    fn the_slot_has_no_name_no_methods_and_refuses_calls_as_misconfigured() {
        assert_eq!(Gateway::id(), "");
        assert!(Gateway::methods().is_empty());
        let request = StatusRequest {
            reference: "a1".to_string(),
            created_at_ms: 0,
            requester_ip: "127.0.0.1".to_string(),
        };
        assert!(matches!(Gateway::query(request), Err(Error::Misconfigured(m)) if m == UNFILLED));
    }
}
