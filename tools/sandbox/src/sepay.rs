//! SePay's payment gateway, played locally.
//!
//! - `POST /v1/checkout/init` — the form the buyer's browser posts. It is checked as SePay
//!   checks it: the merchant, `PURCHASE`, a whole positive amount in VND, the invoice number,
//!   and the signature over the signed fields in the order they were posted. A bad one gets a
//!   400 page naming the field; a good one shows the checkout with three buttons.
//! - `POST /v1/checkout/decide` (form `reference`, `outcome` = `pay`, `fail` or `cancel`) —
//!   what the buttons send. A payment sends the `ORDER_PAID` IPN (JSON, the IPN secret in
//!   `X-Secret-Key`) to the configured IPN URL, again until it is answered with HTTP 200, at
//!   most [`IPN_ATTEMPTS`] times, and sends the browser to `success_url`; a failure or a
//!   cancellation sends it to `error_url` or `cancel_url` and no IPN, as SePay does.
//! - `GET /v1/order/detail/:invoice` — the REST API's order detail (SePay serves it on its
//!   `pgapi` host; the sandbox on the same one), for the checkouts it has seen: HTTP Basic
//!   authentication with the merchant id and the secret key, or 401; an unknown invoice is a
//!   404. Times are GMT+7, as SePay writes them (the IPN's too).
//! - `GET /sandbox/sepay/checkouts/:invoice` — the sandbox's own view of a checkout.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use hyper::{Method, StatusCode};
use protocols::form;
use protocols::sepay::{CURRENCY, OrderStatus, SIGNED_ORDER, basic_auth, format_time, signature};
use serde_json::json;

use crate::{Call, Reply, buttons, clicked, escape, keep_sending, page, redirect, reply};

/// IPN deliveries of one payment, at most.
pub const IPN_ATTEMPTS: usize = 7;

/// SePay's side of the sandbox.
#[derive(Clone, Debug)]
pub struct Config {
    /// The merchant id SePay issued (`merchant`).
    pub merchant: String,
    /// The secret key checkout forms are signed with.
    pub secret_key: String,
    /// Where IPNs go (SePay's dashboard setting); `None`: none are sent.
    pub ipn_url: Option<String>,
    /// The secret sent with every IPN in `X-Secret-Key`.
    pub ipn_secret: String,
    /// The wait between IPN deliveries.
    pub ipn_retry: Duration,
}

#[derive(Clone, Debug)]
struct Checkout {
    fields: HashMap<String, String>,
    amount_vnd: i64,
    state: &'static str,
    /// SePay's own number of the order (its `id`), set when the sandbox first takes the form.
    number: usize,
    created_at: DateTime<Utc>,
    /// When it was paid, failed or cancelled.
    decided_at: Option<DateTime<Utc>>,
    transaction_id: Option<String>,
    ipn_replies: Vec<String>,
}

impl Checkout {
    /// SePay's order id (`order_id`), as its `SEPAY-…` ids look.
    fn order_id(&self) -> String {
        format!("SEPAY-SBX{:08X}", self.number)
    }
}

/// The checkouts the sandbox has seen, by invoice number.
pub struct State {
    config: Config,
    checkouts: Mutex<HashMap<String, Checkout>>,
    next_transaction: Mutex<u64>,
    client: reqwest::Client,
}

impl State {
    /// An empty sandbox.
    pub fn new(config: Config) -> State {
        State {
            config,
            checkouts: Mutex::new(HashMap::new()),
            next_transaction: Mutex::new(500),
            client: crate::callback_client(),
        }
    }
}

/// Answers the SePay routes; `None` for any other.
pub async fn handle(state: &Arc<State>, call: &Call) -> Option<Reply> {
    Some(match (&call.method, call.path.as_str()) {
        (&Method::POST, "/v1/checkout/init") => init(state, &call.body),
        (&Method::POST, "/v1/checkout/decide") => decide(state, &call.body),
        (&Method::GET, path) if path.starts_with("/v1/order/detail/") => {
            order_detail(state, call, &path["/v1/order/detail/".len()..])
        }
        (&Method::GET, path) if path.starts_with("/sandbox/sepay/checkouts/") => {
            view(state, &path["/sandbox/sepay/checkouts/".len()..])
        }
        _ => return None,
    })
}

fn refused(why: &str) -> Reply {
    let body = format!("<h1>SePay: invalid checkout</h1><p>{}</p>", escape(why));
    page(
        StatusCode::BAD_REQUEST,
        "SePay sandbox: invalid checkout",
        &body,
    )
}

/// The posted form's fields in the order they came; `None` when one is broken or repeated.
fn ordered_form(body: &[u8]) -> Option<Vec<(String, String)>> {
    let text = std::str::from_utf8(body).ok()?;
    let mut fields: Vec<(String, String)> = Vec::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (name, value) = (form::decode(name)?, form::decode(value)?);
        if fields.iter().any(|(n, _)| *n == name) {
            return None;
        }
        fields.push((name, value));
    }
    Some(fields)
}

/// Checks a checkout form; `Err` says which field is wrong.
fn check(config: &Config, fields: &[(String, String)]) -> Result<Checkout, String> {
    let map: HashMap<String, String> = fields.iter().cloned().collect();
    let field = |name: &str| {
        map.get(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("{name} is required"))
    };
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let given = field("signature")?;
    let want = signature(&config.secret_key, &pairs);
    if !protocols::same_bytes(want.as_bytes(), given.as_bytes()) {
        return Err("signature: does not match the signed fields in the order posted".into());
    }
    if field("merchant")? != &config.merchant {
        return Err("merchant: unknown".into());
    }
    if field("operation")? != "PURCHASE" {
        return Err("operation: PURCHASE".into());
    }
    if field("currency")? != CURRENCY {
        return Err("currency: VND".into());
    }
    let amount = field("order_amount")?;
    let amount_vnd = Some(amount)
        .filter(|a| a.len() <= 15 && a.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|a| a.parse::<i64>().ok())
        .filter(|a| *a > 0)
        .ok_or_else(|| format!("order_amount {amount}: whole đồng above 0"))?;
    let invoice = field("order_invoice_number")?;
    let invoice_ok = invoice.len() <= 100
        && invoice
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !invoice_ok {
        return Err("order_invoice_number: letters, digits, _ and -, at most 100".into());
    }
    if let Some(method) = map.get("payment_method")
        && !["CARD", "BANK_TRANSFER", "NAPAS_BANK_TRANSFER"].contains(&method.as_str())
    {
        return Err("payment_method: CARD, BANK_TRANSFER or NAPAS_BANK_TRANSFER".into());
    }
    let unknown = fields
        .iter()
        .map(|(n, _)| n.as_str())
        .find(|n| !SIGNED_ORDER.contains(n) && !["signature", "custom_data", "env"].contains(n));
    if let Some(name) = unknown {
        return Err(format!("{name}: not a checkout field"));
    }
    Ok(Checkout {
        fields: map,
        amount_vnd,
        state: "pending",
        number: 0,
        created_at: Utc::now(),
        decided_at: None,
        transaction_id: None,
        ipn_replies: Vec::new(),
    })
}

fn init(state: &Arc<State>, body: &[u8]) -> Reply {
    let Some(fields) = ordered_form(body) else {
        return refused("the form is malformed or names a field twice");
    };
    let checkout = match check(&state.config, &fields) {
        Ok(checkout) => checkout,
        Err(why) => return refused(&why),
    };
    let invoice = checkout.fields["order_invoice_number"].clone();
    {
        let mut checkouts = state.checkouts.lock().expect("checkouts lock");
        if let Some(known) = checkouts.get(&invoice) {
            if known.fields != checkout.fields || known.state != "pending" {
                return refused("order_invoice_number: used already");
            }
        } else {
            let number = checkouts.len() + 1;
            checkouts.insert(
                invoice.clone(),
                Checkout {
                    number,
                    ..checkout.clone()
                },
            );
        }
    }
    let body = format!(
        "<h1>SePay sandbox</h1><p>{} VND — {}</p><p>Invoice {}</p>{}",
        checkout.amount_vnd,
        escape(
            checkout
                .fields
                .get("order_description")
                .map_or("", String::as_str)
        ),
        escape(&invoice),
        buttons("/v1/checkout/decide", &invoice, OUTCOMES),
    );
    page(StatusCode::OK, "SePay sandbox", &body)
}

/// The checkout page's buttons.
const OUTCOMES: &[(&str, &str)] = &[("pay", "Pay"), ("fail", "Fail"), ("cancel", "Cancel")];

fn decide(state: &Arc<State>, body: &[u8]) -> Reply {
    let Some((invoice, outcome)) = clicked(body) else {
        return reply(
            StatusCode::BAD_REQUEST,
            "text/plain",
            "reference and outcome",
        );
    };
    let mut checkouts = state.checkouts.lock().expect("checkouts lock");
    let Some(checkout) = checkouts.get_mut(&invoice) else {
        return refused("no such checkout");
    };
    if checkout.state != "pending" {
        return refused("this checkout has already been processed");
    }
    let (state_name, url_field) = match outcome.as_str() {
        "pay" => ("paid", "success_url"),
        "fail" => ("failed", "error_url"),
        "cancel" => ("cancelled", "cancel_url"),
        _ => {
            return reply(
                StatusCode::BAD_REQUEST,
                "text/plain",
                "outcome: pay, fail or cancel",
            );
        }
    };
    checkout.state = state_name;
    checkout.decided_at = Some(Utc::now());
    let back = checkout.fields.get(url_field).cloned().unwrap_or_default();
    if state_name == "paid" {
        let mut next = state.next_transaction.lock().expect("counter lock");
        *next += 1;
        let transaction_id = format!("sbx{:08x}", *next);
        checkout.transaction_id = Some(transaction_id.clone());
        let ipn = ipn_body(checkout, &transaction_id);
        if let Some(url) = state.config.ipn_url.clone() {
            let state = state.clone();
            let invoice = invoice.clone();
            tokio::spawn(async move { deliver_ipn(state, url, invoice, ipn).await });
        }
    }
    drop(checkouts);
    if back.is_empty() {
        return page(
            StatusCode::OK,
            "SePay sandbox",
            &format!("<p>{state_name}</p>"),
        );
    }
    redirect(&back, "")
}

/// The `ORDER_PAID` IPN of `c`, in SePay's shape.
fn ipn_body(c: &Checkout, transaction_id: &str) -> serde_json::Value {
    let amount = format!("{}.00", c.amount_vnd);
    let field = |name: &str| c.fields.get(name).cloned().unwrap_or_default();
    let paid_at = c.decided_at.unwrap_or_else(Utc::now);
    json!({
        "timestamp": Utc::now().timestamp(),
        "notification_type": "ORDER_PAID",
        "order": {
            "id": c.number.to_string(), "order_id": c.order_id(),
            "order_status": "CAPTURED", "order_currency": CURRENCY, "order_amount": amount,
            "order_invoice_number": field("order_invoice_number"),
            "order_description": field("order_description"),
            "custom_data": field("custom_data"),
        },
        "transaction": {
            "id": transaction_id, "payment_method": field("payment_method"),
            "transaction_id": transaction_id, "transaction_type": "PAYMENT",
            "transaction_date": format_time(paid_at),
            "transaction_status": "APPROVED", "transaction_amount": amount,
            "transaction_currency": CURRENCY,
        },
    })
}

/// SePay's `order_status` of a checkout in state `state`.
fn order_status(state: &str) -> OrderStatus {
    match state {
        "paid" => OrderStatus::Captured,
        "failed" => OrderStatus::Failed,
        "cancelled" => OrderStatus::Cancelled,
        _ => OrderStatus::Pending,
    }
}

/// The order detail of `invoice`, in SePay's shape, to a caller with the merchant's
/// credentials.
fn order_detail(state: &Arc<State>, call: &Call, invoice: &str) -> Reply {
    let given = call
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    let want = basic_auth(&state.config.merchant, &state.config.secret_key);
    if !protocols::secret_matches(&want, given) {
        return crate::json(
            StatusCode::UNAUTHORIZED,
            &json!({ "message": "Unauthenticated: wrong merchant id or secret key" }),
        );
    }
    let checkouts = state.checkouts.lock().expect("checkouts lock");
    let Some(c) = checkouts.get(invoice) else {
        return crate::json(
            StatusCode::NOT_FOUND,
            &json!({ "message": "Order not found" }),
        );
    };
    let field = |name: &str| c.fields.get(name).cloned().unwrap_or_default();
    let transactions: Vec<serde_json::Value> = c
        .transaction_id
        .iter()
        .map(|id| {
            json!({
                "id": id, "payment_method": field("payment_method"),
                "transaction_type": "PAYMENT", "transaction_amount": c.amount_vnd.to_string(),
                "transaction_currency": CURRENCY, "transaction_status": "APPROVED",
                "transaction_date": format_time(c.decided_at.unwrap_or(c.created_at)),
            })
        })
        .collect();
    crate::json(
        StatusCode::OK,
        &json!({ "data": {
            "id": c.number.to_string(), "customer_id": null, "order_id": c.order_id(),
            "order_invoice_number": invoice, "order_status": order_status(c.state).as_str(),
            "order_amount": format!("{}.00", c.amount_vnd), "order_currency": CURRENCY,
            "order_description": field("order_description"),
            "created_at": format_time(c.created_at),
            "updated_at": format_time(c.decided_at.unwrap_or(c.created_at)),
            "transactions": transactions,
        }}),
    )
}

/// Posts the IPN until the merchant answers HTTP 200.
async fn deliver_ipn(state: Arc<State>, url: String, invoice: String, body: serde_json::Value) {
    let send = || {
        let request = state
            .client
            .post(&url)
            .header("content-type", "application/json")
            .header("x-secret-key", &state.config.ipn_secret)
            .body(body.to_string());
        async move {
            match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    (status == 200, status.to_string())
                }
                Err(e) => (false, format!("unreachable: {e}")),
            }
        }
    };
    let record =
        |what: String| crate::update(&state.checkouts, &invoice, |c| c.ipn_replies.push(what));
    keep_sending(IPN_ATTEMPTS, state.config.ipn_retry, send, record).await;
}

fn view(state: &Arc<State>, invoice: &str) -> Reply {
    let checkouts = state.checkouts.lock().expect("checkouts lock");
    match checkouts.get(invoice) {
        Some(c) => crate::json(
            StatusCode::OK,
            &json!({
                "invoice": invoice, "state": c.state, "amount_vnd": c.amount_vnd,
                "transaction_id": c.transaction_id, "ipn_replies": c.ipn_replies,
            }),
        ),
        None => crate::json(
            StatusCode::NOT_FOUND,
            &json!({ "error": "no such checkout" }),
        ),
    }
}
