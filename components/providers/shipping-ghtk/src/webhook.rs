//! GHTK's status webhook: authenticated, read, and answered.
//!
//! GHTK signs nothing; the callback URL Souk registers with it carries a secret
//! (`…?hash=<ghtk_webhook_secret>`), compared in constant time. The body is a form, or JSON
//! (GHTK's docs show both); `protocols::ghtk` reads either. GHTK resends a webhook not
//! answered HTTP 200, so a refusal's reply decides whether it comes again.

use std::collections::BTreeMap;

use protocols::form;
use protocols::ghtk::read_webhook;
use serde_json::{Value, json};

use crate::souk::shipping::types::{Inbound, Refusal, Reply, Tracking};
use crate::status::Report;
use crate::time;

fn reply(status: u16, body: &Value) -> Reply {
    Reply {
        status,
        content_type: "application/json".to_string(),
        body: body.to_string(),
    }
}

fn refusal(status: u16, reason: String) -> Refusal {
    Refusal {
        reply: reply(
            status,
            &json!({ "success": status == 200, "message": reason }),
        ),
        reason,
    }
}

/// The refusal of every webhook while the provider is not configured (`reason` says which
/// variable is missing; the reply does not): 500, so that GHTK resends it once.
pub fn unconfigured(reason: String) -> Refusal {
    Refusal {
        reply: reply(
            500,
            &json!({ "success": false, "message": "not configured" }),
        ),
        reason,
    }
}

/// What GHTK expects once a webhook is recorded: HTTP 200 (anything else is resent).
pub fn acknowledge() -> Reply {
    reply(200, &json!({ "success": true }))
}

/// The first value of header `name`.
fn header<'a>(request: &'a Inbound, name: &str) -> Option<&'a str> {
    request
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The webhook's fields, from a JSON body (by its content type, or by its look when it has
/// none) or else a form; `Err` says what is wrong with the body.
fn fields(request: &Inbound) -> Result<BTreeMap<String, String>, String> {
    let body = std::str::from_utf8(&request.body)
        .map_err(|_| "the webhook's body is not UTF-8".to_string())?;
    let content_type = header(request, "content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    let json = content_type.contains("json")
        || (content_type.trim().is_empty() && body.trim_start().starts_with('{'));
    if json {
        let value: Value = serde_json::from_str(body)
            .map_err(|e| format!("the webhook's JSON body is malformed: {e}"))?;
        if !value.is_object() {
            return Err("the webhook's JSON body is not an object".to_string());
        }
        Ok(protocols::ghtk::json_fields(&value))
    } else {
        form::parse(body.trim()).ok_or_else(|| "the webhook's form body is malformed".to_string())
    }
}

/// Checks a webhook against `secret` (`ghtk_webhook_secret`) and reads it.
///
/// Refused: without the secret (401), or with a malformed body (400) — GHTK's one resend
/// changes neither, and neither is believed. A well-formed webhook whose `status_id` is not
/// an order status (a courier's report such as `123`, "shipper picked up", or a code GHTK
/// does not document) changes nothing Souk tracks, and the WIT `tracking` must name a state:
/// it is refused too, but answered 200 so that GHTK stops resending it; the consumer records
/// nothing for a refusal.
pub fn verify(secret: &str, request: &Inbound) -> Result<Tracking, Refusal> {
    let query = form::parse(request.query.trim_start_matches('?')).unwrap_or_default();
    let hash = query.get("hash").map(String::as_str);
    if !protocols::secret_matches(secret, hash) {
        return Err(refusal(
            401,
            "the webhook's hash is missing or wrong".to_string(),
        ));
    }
    let fields = fields(request).map_err(|reason| refusal(400, reason))?;
    let webhook = read_webhook(&fields).map_err(|field| {
        refusal(
            400,
            format!("the webhook's `{field}` is missing or malformed"),
        )
    })?;
    let Some(status) = webhook.status else {
        let reason = format!("not an order status: {}", webhook.status_id);
        return Err(refusal(200, reason));
    };
    Ok(Report {
        label: webhook.label,
        reference: webhook.partner_id,
        status,
        words: None,
        detail: webhook.reason.unwrap_or_default(),
        at_ms: webhook.action_time.as_deref().and_then(time::instant_ms),
    }
    .tracking())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::souk::shipping::types::State;

    const SECRET: &str = "hook-secret";

    fn inbound(query: &str, content_type: Option<&str>, body: &str) -> Inbound {
        Inbound {
            method: "POST".into(),
            query: query.into(),
            headers: content_type
                .map(|c| vec![("Content-Type".to_string(), c.to_string())])
                .unwrap_or_default(),
            body: body.as_bytes().to_vec(),
        }
    }

    const FORM: &str = "label_id=S22749126.SGP39-J31.1375835526&partner_id=shp_1&status_id=5\
        &action_time=2024-11-26T14%3A05%3A00%2B07%3A00&reason_code=&reason=&weight=0.4\
        &fee=22000&pick_money=450000&return_part_package=0";

    #[test]
    fn a_webhook_without_the_secret_is_refused_401_and_the_reply_never_shows_it() {
        let form = "application/x-www-form-urlencoded";
        for query in [
            "",
            "hash=",
            "hash=hook-secreT",
            "hash=hook-secret-",
            "x=hook-secret",
        ] {
            let refused = verify(SECRET, &inbound(query, Some(form), FORM)).unwrap_err();
            assert_eq!(refused.reply.status, 401, "{query}");
            assert_eq!(refused.reply.content_type, "application/json");
            assert!(!refused.reply.body.contains(SECRET) && !refused.reason.contains(SECRET));
            let body: Value = serde_json::from_str(&refused.reply.body).unwrap();
            assert_eq!(body["success"], false);
        }
        let twice = inbound("hash=hook-secret&hash=hook-secret", Some(form), FORM);
        assert_eq!(verify(SECRET, &twice).unwrap_err().reply.status, 401);
        let unset = verify("", &inbound("hash=", Some(form), FORM)).unwrap_err();
        assert_eq!(
            unset.reply.status, 401,
            "no secret configured admits nobody"
        );
    }

    #[test]
    fn a_form_webhook_with_the_secret_is_read_into_tracking() {
        let request = inbound(
            "?hash=hook-secret",
            Some("application/x-www-form-urlencoded; charset=UTF-8"),
            FORM,
        );
        let t = verify(SECRET, &request).unwrap();
        assert_eq!(t.tracking_code, "S22749126.SGP39-J31.1375835526");
        assert_eq!(t.reference.as_deref(), Some("shp_1"));
        assert_eq!(
            (t.state, t.delayed, t.final_),
            (State::Delivered, false, false)
        );
        assert_eq!((t.carrier_status.as_str(), t.detail.as_str()), ("5", ""));
        assert_eq!(t.at_ms, Some(1_732_554_000_000 + 14 * 3_600_000 + 300_000));
    }

    #[test]
    fn a_json_webhook_is_read_as_well_with_or_without_its_content_type() {
        let body = json!({
            "label_id": "S1.SBX1.1375800001", "partner_id": "shp_2", "status_id": 8,
            "action_time": "garbled", "reason": "Shop hẹn lấy lại", "weight": 0.9,
        })
        .to_string();
        for content_type in [Some("application/json"), None] {
            let t = verify(SECRET, &inbound("hash=hook-secret", content_type, &body)).unwrap();
            assert_eq!((t.state, t.delayed), (State::PickingUp, true));
            assert_eq!((t.detail.as_str(), t.at_ms), ("Shop hẹn lấy lại", None));
            assert_eq!(t.reference.as_deref(), Some("shp_2"));
        }
    }

    #[test]
    fn a_malformed_body_is_refused_400() {
        let cases = [
            (Some("application/json"), "{not json"),
            (Some("application/json"), "[1, 2]"),
            (
                Some("application/x-www-form-urlencoded"),
                "label_id=%ZZ&status_id=5",
            ),
            (
                Some("application/x-www-form-urlencoded"),
                "label_id=S1&status_id=five",
            ),
            (Some("application/x-www-form-urlencoded"), "status_id=5"),
            (None, ""),
        ];
        for (content_type, body) in cases {
            let refused = verify(SECRET, &inbound("hash=hook-secret", content_type, body));
            assert_eq!(refused.unwrap_err().reply.status, 400, "{body}");
        }
        let mut binary = inbound("hash=hook-secret", None, "");
        binary.body = vec![0xFF, 0xFE];
        assert_eq!(verify(SECRET, &binary).unwrap_err().reply.status, 400);
    }

    #[test]
    fn a_courier_s_report_or_an_undocumented_status_is_refused_but_answered_200() {
        for id in [123, 127, 128, 45, 49, 410, 14] {
            let body = format!("label_id=S1.A.2&partner_id=shp_1&status_id={id}");
            let request = inbound(
                "hash=hook-secret",
                Some("application/x-www-form-urlencoded"),
                &body,
            );
            let refused = verify(SECRET, &request).unwrap_err();
            assert_eq!(
                refused.reply.status, 200,
                "{id}: GHTK must stop resending it"
            );
            assert_eq!(refused.reason, format!("not an order status: {id}"));
        }
    }

    #[test]
    fn a_recorded_webhook_is_acknowledged_with_200() {
        let ack = acknowledge();
        assert_eq!(
            (ack.status, ack.content_type.as_str()),
            (200, "application/json")
        );
        assert_eq!(ack.body, r#"{"success":true}"#);
    }
}
