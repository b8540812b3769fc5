//! VNPay 2.1.0, played locally.
//!
//! - `GET /paymentv2/vpcpay.html?…` — the payment page. The request is checked as VNPay checks
//!   it (version, command, terminal, amount ×100, currency, reference, dates in GMT+7, return
//!   URL, IP, and the signature over the re-encoded parameters); a bad one gets VNPay's error
//!   code on a 400 page. A good one shows the attempt with three buttons.
//! - `POST /paymentv2/decide` (form `txn_ref`, `outcome` = `pay`, `fail` or `cancel`) — what the
//!   buttons send: the attempt ends (expired instead, past its `vnp_ExpireDate`), the signed
//!   IPN goes to the configured IPN URL — sent again, as VNPay does, until it is answered with
//!   `RspCode` `00` or `02`, at most [`IPN_ATTEMPTS`] times — and the browser is sent to the
//!   return URL with the same signed parameters.
//! - `POST /merchant_webapi/api/transaction` — `querydr` and `refund`, JSON, checksums checked
//!   and signed as VNPay's.
//! - `GET /sandbox/vnpay/attempts/:txn_ref` — the sandbox's own view of an attempt (state, the
//!   RspCode of each IPN delivery), for developers and tests.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use hyper::{Method, StatusCode};
use protocols::vnpay::{
    QUERYDR_ANSWER_ORDER, QUERYDR_ORDER, REFUND_ANSWER_ORDER, REFUND_ORDER, format_time,
    hash_matches, hmac_sha512_hex, json_checksum, parse_amount_field, parse_time, signed_query,
};
use serde_json::{Value, json};

use crate::{Call, Reply, buttons, clicked, escape, keep_sending, page, redirect, reply};

/// IPN deliveries of one attempt, at most (VNPay's: the first and nine retries).
pub const IPN_ATTEMPTS: usize = 10;

/// VNPay's side of the sandbox.
#[derive(Clone, Debug)]
pub struct Config {
    /// The terminal code the merchant is issued (`vnp_TmnCode`).
    pub tmn_code: String,
    /// The secret both sides sign with (`vnp_HashSecret`).
    pub hash_secret: String,
    /// Where IPNs go (VNPay's merchant portal setting); `None`: none are sent.
    pub ipn_url: Option<String>,
    /// The wait between IPN deliveries (VNPay: 5 minutes).
    pub ipn_retry: Duration,
}

/// How an attempt stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Pending,
    Paid,
    Failed,
    Cancelled,
    Expired,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Stage::Pending => "pending",
            Stage::Paid => "paid",
            Stage::Failed => "failed",
            Stage::Cancelled => "cancelled",
            Stage::Expired => "expired",
        }
    }
}

#[derive(Clone, Debug)]
struct Attempt {
    params: BTreeMap<String, String>,
    amount_vnd: i64,
    expires: DateTime<Utc>,
    stage: Stage,
    transaction_no: Option<String>,
    paid_at: Option<DateTime<Utc>>,
    refunded_vnd: i64,
    ipn_replies: Vec<String>,
}

/// The attempts the sandbox has seen, by `vnp_TxnRef`.
pub struct State {
    config: Config,
    attempts: Mutex<HashMap<String, Attempt>>,
    requests: Mutex<Vec<String>>,
    next_transaction: Mutex<u64>,
    client: reqwest::Client,
}

impl State {
    /// An empty sandbox.
    pub fn new(config: Config) -> State {
        State {
            config,
            attempts: Mutex::new(HashMap::new()),
            requests: Mutex::new(Vec::new()),
            next_transaction: Mutex::new(14_000_000),
            client: crate::callback_client(),
        }
    }
}

/// Answers the VNPay routes; `None` for any other.
pub async fn handle(state: &Arc<State>, call: &Call) -> Option<Reply> {
    Some(match (&call.method, call.path.as_str()) {
        (&Method::GET, "/paymentv2/vpcpay.html") => payment_page(state, &call.query),
        (&Method::POST, "/paymentv2/decide") => decide(state, &call.body),
        (&Method::POST, "/merchant_webapi/api/transaction") => transaction(state, &call.body),
        (&Method::GET, path) if path.starts_with("/sandbox/vnpay/attempts/") => {
            view(state, &path["/sandbox/vnpay/attempts/".len()..])
        }
        _ => return None,
    })
}

/// A 400 page with VNPay's error code, as VNPay shows a bad payment request.
fn refused(code: &str, why: &str) -> Reply {
    let body = format!(
        "<h1>Giao dịch không thành công (error {code})</h1><p>{}</p>",
        escape(why)
    );
    page(
        StatusCode::BAD_REQUEST,
        &format!("VNPay sandbox: error {code}"),
        &body,
    )
}

/// Checks a pay request field by field; `Err` is VNPay's code and why.
fn check_pay(config: &Config, p: &BTreeMap<String, String>) -> Result<Attempt, (String, String)> {
    let bad = |code: &str, why: String| (code.to_string(), why);
    let field = |name: &str| {
        p.get(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| bad("03", format!("{name} is required")))
    };
    let hash = field("vnp_SecureHash")?;
    if !hash_matches(
        &config.hash_secret,
        &signed_query(p.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        hash,
    ) {
        return Err(bad("97", "invalid signature".into()));
    }
    if p.contains_key("vnp_SecureHashType") {
        return Err(bad("03", "vnp_SecureHashType is not sent in 2.1.0".into()));
    }
    let expect = |name: &str, want: &str| {
        let got = field(name)?;
        if got == want {
            Ok(())
        } else {
            Err(bad("03", format!("{name} must be {want}, not {got}")))
        }
    };
    expect("vnp_Version", "2.1.0")?;
    expect("vnp_Command", "pay")?;
    expect("vnp_CurrCode", "VND")?;
    if field("vnp_TmnCode")? != &config.tmn_code {
        return Err(bad("02", "unknown terminal (vnp_TmnCode)".into()));
    }
    let amount = field("vnp_Amount")?;
    let amount_vnd = parse_amount_field(amount)
        .filter(|a| *a > 0)
        .ok_or_else(|| bad("03", format!("vnp_Amount {amount}: whole đồng ×100")))?;
    let txn_ref = field("vnp_TxnRef")?;
    if txn_ref.len() > 100 || !txn_ref.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(bad("03", "vnp_TxnRef: 1 to 100 letters and digits".into()));
    }
    let info = field("vnp_OrderInfo")?;
    if info.chars().count() > 255 {
        return Err(bad("03", "vnp_OrderInfo: at most 255 characters".into()));
    }
    field("vnp_OrderType")?;
    let locale = field("vnp_Locale")?;
    if locale != "vn" && locale != "en" {
        return Err(bad("03", "vnp_Locale: vn or en".into()));
    }
    let url = field("vnp_ReturnUrl")?;
    if !(10..=255).contains(&url.chars().count()) {
        return Err(bad("03", "vnp_ReturnUrl: 10 to 255 characters".into()));
    }
    if !(7..=45).contains(&field("vnp_IpAddr")?.len()) {
        return Err(bad("03", "vnp_IpAddr: an IP address".into()));
    }
    let date = |name: &str| {
        parse_time(field(name)?)
            .ok_or_else(|| bad("03", format!("{name}: yyyyMMddHHmmss in GMT+7")))
    };
    let created = date("vnp_CreateDate")?;
    let expires = date("vnp_ExpireDate")?;
    if expires <= created {
        return Err(bad(
            "03",
            "vnp_ExpireDate must follow vnp_CreateDate".into(),
        ));
    }
    Ok(Attempt {
        params: p.clone(),
        amount_vnd,
        expires,
        stage: Stage::Pending,
        transaction_no: None,
        paid_at: None,
        refunded_vnd: 0,
        ipn_replies: Vec::new(),
    })
}

fn payment_page(state: &Arc<State>, query: &str) -> Reply {
    let Some(params) = protocols::form::parse(query) else {
        return refused("03", "the query is malformed or names a parameter twice");
    };
    let attempt = match check_pay(&state.config, &params) {
        Ok(attempt) => attempt,
        Err((code, why)) => return refused(&code, &why),
    };
    let txn_ref = params["vnp_TxnRef"].clone();
    {
        let mut attempts = state.attempts.lock().expect("attempts lock");
        match attempts.get(&txn_ref) {
            Some(known) if known.params != attempt.params => {
                return refused("02", "this vnp_TxnRef was used for another payment");
            }
            Some(known) if known.stage != Stage::Pending => {
                return refused("02", "this payment has already been processed");
            }
            Some(_) => {}
            None => {
                attempts.insert(txn_ref.clone(), attempt.clone());
            }
        }
    }
    let body = format!(
        "<h1>VNPay sandbox</h1><p>{} VND — {}</p><p>Reference {}</p>{}",
        attempt.amount_vnd,
        escape(&params["vnp_OrderInfo"]),
        escape(&txn_ref),
        buttons("/paymentv2/decide", &txn_ref, OUTCOMES),
    );
    page(StatusCode::OK, "VNPay sandbox", &body)
}

/// The payment page's buttons.
const OUTCOMES: &[(&str, &str)] = &[
    ("pay", "Pay"),
    ("fail", "Fail (insufficient balance)"),
    ("cancel", "Cancel"),
];

/// The signed callback query for `a` as it ended.
fn callback_query(config: &Config, a: &Attempt) -> String {
    let (code, status) = match a.stage {
        Stage::Paid => ("00", "00"),
        Stage::Failed => ("51", "02"),
        Stage::Cancelled => ("24", "02"),
        Stage::Expired => ("11", "02"),
        Stage::Pending => ("99", "01"),
    };
    let bank = a.params.get("vnp_BankCode").map_or("NCB", String::as_str);
    let card = if bank == "VNPAYQR" { "QRCODE" } else { "ATM" };
    let pay_date = format_time(a.paid_at.unwrap_or_else(Utc::now));
    let transaction_no = a.transaction_no.clone().unwrap_or_else(|| "0".to_string());
    let fields = [
        ("vnp_TmnCode", config.tmn_code.as_str()),
        ("vnp_Amount", a.params["vnp_Amount"].as_str()),
        ("vnp_BankCode", bank),
        ("vnp_CardType", card),
        ("vnp_OrderInfo", a.params["vnp_OrderInfo"].as_str()),
        ("vnp_PayDate", pay_date.as_str()),
        ("vnp_ResponseCode", code),
        ("vnp_TransactionNo", transaction_no.as_str()),
        ("vnp_TransactionStatus", status),
        ("vnp_TxnRef", a.params["vnp_TxnRef"].as_str()),
    ];
    let query = signed_query(fields);
    let hash = hmac_sha512_hex(&config.hash_secret, &query);
    format!("{query}&vnp_SecureHash={hash}")
}

fn decide(state: &Arc<State>, body: &[u8]) -> Reply {
    let Some((txn_ref, outcome)) = clicked(body) else {
        return reply(
            StatusCode::BAD_REQUEST,
            "text/plain",
            "reference and outcome",
        );
    };
    let mut attempts = state.attempts.lock().expect("attempts lock");
    let Some(attempt) = attempts.get_mut(&txn_ref) else {
        return refused("01", "no such payment");
    };
    if attempt.stage != Stage::Pending {
        return refused("02", "this payment has already been processed");
    }
    let now = Utc::now();
    attempt.stage = match outcome.as_str() {
        _ if now > attempt.expires => Stage::Expired,
        "pay" => Stage::Paid,
        "fail" => Stage::Failed,
        "cancel" => Stage::Cancelled,
        _ => {
            return reply(
                StatusCode::BAD_REQUEST,
                "text/plain",
                "outcome: pay, fail or cancel",
            );
        }
    };
    if attempt.stage == Stage::Paid {
        let mut next = state.next_transaction.lock().expect("counter lock");
        *next += 1;
        attempt.transaction_no = Some(next.to_string());
        attempt.paid_at = Some(now);
    }
    let query = callback_query(&state.config, attempt);
    let return_url = attempt.params["vnp_ReturnUrl"].clone();
    drop(attempts);
    if let Some(ipn_url) = state.config.ipn_url.clone() {
        let state = state.clone();
        let (txn_ref, query) = (txn_ref.clone(), query.clone());
        tokio::spawn(async move { deliver_ipn(state, ipn_url, txn_ref, query).await });
    }
    redirect(&return_url, &query)
}

/// Sends the IPN until the merchant answers `00` or `02`, as VNPay does.
async fn deliver_ipn(state: Arc<State>, ipn_url: String, txn_ref: String, query: String) {
    let separator = if ipn_url.contains('?') { '&' } else { '?' };
    let url = format!("{ipn_url}{separator}{query}");
    let send = || {
        let request = state.client.get(&url);
        async move {
            let code = match request.send().await {
                Ok(response) => match response.bytes().await {
                    Ok(bytes) => serde_json::from_slice::<Value>(&bytes)
                        .ok()
                        .and_then(|body| body["RspCode"].as_str().map(str::to_string))
                        .unwrap_or_else(|| "no RspCode".to_string()),
                    Err(e) => format!("unreadable: {e}"),
                },
                Err(e) => format!("unreachable: {e}"),
            };
            (code == "00" || code == "02", code)
        }
    };
    let record =
        |code: String| crate::update(&state.attempts, &txn_ref, |a| a.ipn_replies.push(code));
    keep_sending(IPN_ATTEMPTS, state.config.ipn_retry, send, record).await;
}

fn view(state: &Arc<State>, txn_ref: &str) -> Reply {
    let attempts = state.attempts.lock().expect("attempts lock");
    match attempts.get(txn_ref) {
        Some(a) => crate::json(
            StatusCode::OK,
            &json!({
                "txn_ref": txn_ref, "state": a.stage.as_str(), "amount_vnd": a.amount_vnd,
                "transaction_no": a.transaction_no, "refunded_vnd": a.refunded_vnd,
                "ipn_replies": a.ipn_replies,
            }),
        ),
        None => crate::json(
            StatusCode::NOT_FOUND,
            &json!({ "error": "no such attempt" }),
        ),
    }
}

/// A signed answer of the transaction API, with the fields of `order`.
fn api_answer(config: &Config, order: &[&str], mut fields: Value) -> Reply {
    let hash = json_checksum(&config.hash_secret, order, &fields);
    fields["vnp_SecureHash"] = hash.into();
    crate::json(StatusCode::OK, &fields)
}

fn transaction(state: &Arc<State>, body: &[u8]) -> Reply {
    let config = &state.config;
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return crate::json(
            StatusCode::BAD_REQUEST,
            &json!({ "vnp_ResponseCode": "03" }),
        );
    };
    let text = |name: &str| request[name].as_str().unwrap_or("").to_string();
    let command = text("vnp_Command");
    let order: &[&str] = match command.as_str() {
        "querydr" => &QUERYDR_ORDER,
        "refund" => &REFUND_ORDER,
        _ => return crate::json(StatusCode::OK, &json!({ "vnp_ResponseCode": "03" })),
    };
    let answer_order: &[&str] = if command == "querydr" {
        &QUERYDR_ANSWER_ORDER
    } else {
        REFUND_ANSWER_ORDER
    };
    let request_id = text("vnp_RequestId");
    let mut answer = json!({
        "vnp_ResponseId": format!("SBX{request_id}"), "vnp_Command": command,
        "vnp_TmnCode": config.tmn_code, "vnp_TxnRef": text("vnp_TxnRef"),
    });
    let respond = |mut answer: Value, code: &str, message: &str| {
        answer["vnp_ResponseCode"] = code.into();
        answer["vnp_Message"] = message.into();
        api_answer(config, answer_order, answer)
    };
    let given = text("vnp_SecureHash");
    let want = json_checksum(&config.hash_secret, order, &request);
    if !protocols::same_bytes(want.as_bytes(), given.to_ascii_lowercase().as_bytes()) {
        return respond(answer, "97", "Invalid checksum");
    }
    if text("vnp_TmnCode") != config.tmn_code {
        return respond(answer, "02", "Invalid TmnCode");
    }
    let fresh = {
        let mut seen = state.requests.lock().expect("requests lock");
        let fresh = !request_id.is_empty() && !seen.contains(&request_id);
        seen.push(request_id.clone());
        fresh
    };
    if !fresh {
        return respond(answer, "94", "Duplicate request");
    }
    let mut attempts = state.attempts.lock().expect("attempts lock");
    let Some(a) = attempts.get_mut(&text("vnp_TxnRef")) else {
        return respond(answer, "91", "Transaction not found");
    };
    if command == "refund" {
        if a.stage != Stage::Paid {
            return respond(answer, "95", "Transaction is not successful at VNPay");
        }
        let asked = parse_amount_field(&text("vnp_Amount")).unwrap_or(0);
        let left = a.amount_vnd - a.refunded_vnd;
        if asked <= 0 || asked > left {
            return respond(answer, "93", "Invalid refund amount");
        }
        let kind = text("vnp_TransactionType");
        if (kind == "02" && (asked != a.amount_vnd || a.refunded_vnd > 0))
            || (kind != "02" && kind != "03")
        {
            return respond(
                answer,
                "03",
                "vnp_TransactionType: 02 (full) or 03 (partial)",
            );
        }
        a.refunded_vnd += asked;
        answer["vnp_Amount"] = text("vnp_Amount").into();
        answer["vnp_TransactionType"] = kind.into();
    } else {
        answer["vnp_Amount"] = a.params["vnp_Amount"].clone().into();
        answer["vnp_TransactionType"] = "01".into();
    }
    let status = match (a.stage, a.refunded_vnd > 0) {
        (Stage::Paid, true) => "05",
        (Stage::Paid, false) => "00",
        (Stage::Pending, _) => "01",
        _ => "02",
    };
    answer["vnp_TransactionStatus"] = status.into();
    answer["vnp_BankCode"] = a
        .params
        .get("vnp_BankCode")
        .cloned()
        .unwrap_or_default()
        .into();
    answer["vnp_PayDate"] = a.paid_at.map(format_time).unwrap_or_default().into();
    answer["vnp_TransactionNo"] = a.transaction_no.clone().unwrap_or_default().into();
    answer["vnp_OrderInfo"] = a.params["vnp_OrderInfo"].clone().into();
    respond(answer, "00", "Success")
}
