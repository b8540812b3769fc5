//! JSON in and out: bodies are read within a size limit into types that refuse unknown fields,
//! and every response body is JSON.

use serde::Serialize;
use serde::de::DeserializeOwned;
use spin_sdk::http::{Request, Response};

use crate::error::{ApiError, ApiResult};

/// Largest JSON body a public endpoint reads unless it asks for another limit.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// Reads the body as `T` within [`DEFAULT_BODY_LIMIT`].
pub fn read<T: DeserializeOwned>(req: &Request) -> ApiResult<T> {
    read_limited(req, DEFAULT_BODY_LIMIT)
}

/// Reads the body as `T` within `limit` bytes: 413 over it, 415 when it is not JSON, 400 for
/// malformed JSON, 422 naming the field for a wrong type, a missing or an unknown field.
pub fn read_limited<T: DeserializeOwned>(req: &Request, limit: usize) -> ApiResult<T> {
    let body = req.body();
    if body.len() > limit {
        return Err(ApiError::payload_too_large(limit));
    }
    if let Some(ct) = req.header("content-type").and_then(|v| v.as_str())
        && !ct
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("application/json")
    {
        return Err(ApiError::new(
            415,
            "unsupported_media_type",
            "send the body as application/json",
        ));
    }
    parse(body)
}

/// Parses JSON bytes as `T` with the same error mapping as [`read`].
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "invalid_json",
            "the request needs a JSON body",
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => ApiError::validation(strip_position(&e.to_string())),
            Category::Syntax | Category::Eof | Category::Io => {
                ApiError::bad_request("invalid_json", format!("the body is not valid JSON: {e}"))
            }
        }
    })
}

/// serde's messages end in " at line 1 column 42", which says nothing to an API client.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// A JSON response with `status`.
pub fn respond<T: Serialize>(status: u16, value: &T) -> ApiResult<Response> {
    let body = serde_json::to_vec(value).map_err(ApiError::internal)?;
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body)
        .build())
}

/// 200 with a JSON body.
pub fn ok<T: Serialize>(value: &T) -> ApiResult<Response> {
    respond(200, value)
}

/// 202 with a JSON body: accepted, with the work still to be done.
pub fn accepted<T: Serialize>(value: &T) -> ApiResult<Response> {
    respond(202, value)
}

/// 201 with a JSON body and `Location`.
pub fn created<T: Serialize>(location: &str, value: &T) -> ApiResult<Response> {
    let mut response = respond(201, value)?;
    response.set_header("location", location);
    Ok(response)
}

/// 204 without a body.
pub fn no_content() -> ApiResult<Response> {
    Ok(Response::builder().status(204).build())
}

/// The response for an error, with its request id and `Retry-After` when set.
pub fn error_response(e: &ApiError, request_id: &str) -> Response {
    let mut builder = Response::builder();
    builder
        .status(e.status)
        .header("content-type", "application/json")
        .body(e.body(request_id).to_string());
    if let Some(secs) = e.retry_after {
        builder.header("retry-after", secs.to_string());
    }
    if let Some(allow) = &e.allow {
        builder.header("allow", allow.as_str());
    }
    if e.status == 401 {
        builder.header("www-authenticate", "Bearer");
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "fields exist to be parsed")]
    struct Body {
        name: String,
        count: u32,
    }

    #[test]
    fn wrong_types_and_unknown_fields_are_422_naming_the_field() {
        let e = parse::<Body>(br#"{"name":"a","count":"x"}"#).unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (422, "validation"));
        assert!(e.message.contains("invalid type"), "{}", e.message);
        let e = parse::<Body>(br#"{"name":"a","count":1,"extra":true}"#).unwrap_err();
        assert!(e.message.contains("unknown field `extra`"), "{}", e.message);
        let e = parse::<Body>(br#"{"name":"a"}"#).unwrap_err();
        assert!(e.message.contains("missing field `count`"), "{}", e.message);
        assert!(!e.message.contains("line"), "{}", e.message);
    }

    fn post(content_type: &str, body: Vec<u8>) -> Request {
        Request::builder()
            .method(spin_sdk::http::Method::Post)
            .uri("/api/v1/x/items")
            .header("content-type", content_type)
            .body(body)
            .build()
    }

    #[test]
    fn a_body_over_the_limit_is_a_413_json_error_before_anything_else_is_checked() {
        let over = br#"{"name":"a","count":1}"#.len() - 1;
        for (content_type, body) in [
            ("application/json", br#"{"name":"a","count":1}"#.to_vec()),
            // Neither the media type nor the JSON is looked at past the limit.
            ("text/plain", b"x".repeat(over + 1)),
            ("application/json", b"{not json".repeat(10)),
        ] {
            let e = read_limited::<Body>(&post(content_type, body), over).unwrap_err();
            assert_eq!((e.status, e.code.as_ref()), (413, "payload_too_large"));
            assert!(
                e.message.contains(&format!("{over}-byte limit")),
                "{}",
                e.message
            );
            let response = error_response(&e, "req-1");
            assert_eq!(response.status(), &413);
            let json: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
            assert_eq!(json["error"]["code"], "payload_too_large", "{json}");
            assert_eq!(
                response.header("content-type").and_then(|v| v.as_str()),
                Some("application/json")
            );
        }
        let at_limit = br#"{"name":"a","count":1}"#.to_vec();
        let limit = at_limit.len();
        assert!(read_limited::<Body>(&post("application/json", at_limit), limit).is_ok());
        let big = format!(
            r#"{{"name":"{}","count":1}}"#,
            "a".repeat(DEFAULT_BODY_LIMIT)
        );
        let e = read::<Body>(&post("application/json", big.into_bytes())).unwrap_err();
        assert_eq!(e.status, 413);
    }

    #[test]
    fn malformed_or_empty_json_is_400() {
        assert_eq!(
            parse::<Body>(b"{not json").unwrap_err().code,
            "invalid_json"
        );
        assert_eq!(parse::<Body>(b"  ").unwrap_err().code, "invalid_json");
    }
}
