//! Requests that providers send order (gateways' IPNs, carriers' webhooks), as their
//! providers read them, and the raw answers their protocols expect.

use kit::{ApiError, ApiResult, Request, Response};

/// The largest callback body read: providers send a few hundred bytes.
const MAX_BODY: usize = 64 * 1024;

/// A provider's request as it arrived: method, raw query, headers in lower case, body.
pub struct Parts {
    pub method: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The parts of `req`; 413 past [`MAX_BODY`].
pub fn parts(req: &Request) -> ApiResult<Parts> {
    if req.body().len() > MAX_BODY {
        return Err(ApiError::payload_too_large(MAX_BODY));
    }
    Ok(Parts {
        method: req.method().to_string(),
        query: req.query().to_string(),
        headers: req
            .headers()
            .map(|(n, v)| {
                (
                    n.to_ascii_lowercase(),
                    v.as_str().unwrap_or_default().to_string(),
                )
            })
            .collect(),
        body: req.body().to_vec(),
    })
}

/// The answer a provider's protocol expects, as its provider wrote it.
pub fn raw(status: u16, content_type: &str, body: &str) -> ApiResult<Response> {
    Ok(Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(body.to_string())
        .build())
}
