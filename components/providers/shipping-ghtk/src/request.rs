//! Souk's requests as GHTK wants them: the fee query, the order body, the paths of a
//! shipment. Each is checked before any call: GHTK ships within Vietnam, in đồng, by the gram.

use protocols::form;
use serde_json::{Value, json};

use crate::souk::shipping::types::{
    Address, Error, Item, Money, Party, QuoteRequest, Service, ShipmentRequest,
};

/// The only currency GHTK takes; VND has no minor unit, so `minor` is đồng.
pub const CURRENCY: &str = "VND";

/// The order API, at the version GHTK documents (the sandbox ignores the version). Without
/// the trailing `/` GHTK's docs show before `?`: the sandbox's route has none, and GHTK
/// answers both.
pub const ORDER_PATH: &str = "/services/shipment/order?ver=1.5";

/// The receiver's hamlet when Souk names none: GHTK wants a `street` or a `hamlet`, and
/// documents `Khác` ("other") for an address in no particular hamlet.
const NO_HAMLET: &str = "Khác";

fn invalid(message: String) -> Error {
    Error::Invalid(message)
}

/// An amount in đồng: zero in any currency (nothing to collect or insure), else VND and not
/// negative.
fn dong(money: &Money, field: &str) -> Result<i64, Error> {
    if money.minor == 0 {
        return Ok(0);
    }
    if money.currency != CURRENCY {
        return Err(invalid(format!(
            "{field}: GHTK takes amounts in {CURRENCY} only, not `{}`",
            money.currency
        )));
    }
    if money.minor < 0 {
        return Err(invalid(format!("{field}: must not be negative")));
    }
    Ok(money.minor)
}

/// Checks that `address` is one GHTK serves and can read.
fn vietnamese(address: &Address, field: &str) -> Result<(), Error> {
    if !address.country.trim().eq_ignore_ascii_case("VN") {
        return Err(invalid(format!(
            "{field}: GHTK ships within Vietnam only (country VN, not `{}`)",
            address.country
        )));
    }
    for (part, value) in [
        ("province", &address.province),
        ("district", &address.district),
    ] {
        if value.trim().is_empty() {
            return Err(invalid(format!("{field}.{part}: GHTK needs it")));
        }
    }
    Ok(())
}

/// GHTK's `transport` for a service: by air for express, by road otherwise (GHTK has no
/// cheaper tier than road). `deliver_option` stays `none`: `xteam` is XFast, a same-day
/// product within one city that none of Souk's services promises.
fn transport(service: Service) -> &'static str {
    match service {
        Service::Express => "fly",
        Service::Standard | Service::Economy => "road",
    }
}

/// The path and query of GHTK's fee API for `request`.
pub fn fee_path(request: &QuoteRequest) -> Result<String, Error> {
    vietnamese(&request.pickup, "pickup")?;
    vietnamese(&request.delivery, "delivery")?;
    let parcel = &request.parcel;
    if parcel.weight_grams == 0 {
        return Err(invalid(
            "parcel.weight-grams: must be above zero".to_string(),
        ));
    }
    let value = dong(&parcel.declared_value, "parcel.declared-value")?;
    let (weight, value) = (parcel.weight_grams.to_string(), value.to_string());
    let (from, to) = (&request.pickup, &request.delivery);
    let pairs = [
        ("pick_province", from.province.trim()),
        ("pick_district", from.district.trim()),
        ("pick_ward", from.ward.trim()),
        ("pick_address", from.street.trim()),
        ("province", to.province.trim()),
        ("district", to.district.trim()),
        ("ward", to.ward.trim()),
        ("address", to.street.trim()),
        ("weight", weight.as_str()),
        ("value", value.as_str()),
        ("transport", transport(request.service)),
        ("deliver_option", "none"),
    ];
    let query = form::encode_pairs(pairs.into_iter().filter(|(_, v)| !v.is_empty()));
    Ok(format!("/services/shipment/fee?{query}"))
}

/// A phone number as GHTK takes it: Vietnamese numbers in their national form (Souk stores
/// E.164, `+84912345678` → `0912345678`); any other as given.
pub fn local_phone(phone: &str) -> String {
    let phone = phone.trim();
    match phone.strip_prefix("+84") {
        Some(rest) => format!("0{rest}"),
        None => phone.to_string(),
    }
}

/// Checks that `party` has what GHTK requires of a sender or receiver.
fn party(party: &Party, field: &str) -> Result<(), Error> {
    vietnamese(&party.address, &format!("{field}.address"))?;
    for (part, value) in [
        ("name", &party.name),
        ("phone", &party.phone),
        ("address.street", &party.address.street),
    ] {
        if value.trim().is_empty() {
            return Err(invalid(format!("{field}.{part}: GHTK needs it")));
        }
    }
    Ok(())
}

/// GHTK's `products`: one per item, its weight being one unit's, in grams (the order says
/// `weight_option: gram`).
fn products(items: &[Item]) -> Result<Vec<Value>, Error> {
    if items.is_empty() {
        return Err(invalid("items: GHTK needs at least one".to_string()));
    }
    items
        .iter()
        .enumerate()
        .map(|(n, item)| {
            if item.name.trim().is_empty() || item.quantity == 0 || item.weight_grams == 0 {
                return Err(invalid(format!(
                    "items[{n}]: GHTK needs a name, a quantity and a weight above zero"
                )));
            }
            Ok(json!({
                "name": item.name.trim(), "quantity": item.quantity, "weight": item.weight_grams,
            }))
        })
        .collect()
}

/// The body of GHTK's order API for `request`.
///
/// `id` is Souk's reference, which GHTK books once. `is_freeship: 1` makes the seller pay
/// GHTK's fee, so the courier collects exactly `pick_money`, the cash on delivery Souk set
/// (Souk charged the buyer for shipping at checkout). `total_weight` is the parcel's
/// weight, packaging included, which GHTK charges by instead of the products' sum.
pub fn order_body(request: &ShipmentRequest) -> Result<Value, Error> {
    let reference = request.reference.trim();
    if reference.is_empty() {
        return Err(invalid(
            "reference: GHTK needs it as the order's id".to_string(),
        ));
    }
    party(&request.pickup, "pickup")?;
    party(&request.delivery, "delivery")?;
    if request.delivery.address.ward.trim().is_empty() {
        return Err(invalid("delivery.address.ward: GHTK needs it".to_string()));
    }
    if request.parcel.weight_grams == 0 {
        return Err(invalid(
            "parcel.weight-grams: must be above zero".to_string(),
        ));
    }
    let products = products(&request.items)?;
    let cod = dong(&request.cash_on_delivery, "cash-on-delivery")?;
    let value = dong(&request.parcel.declared_value, "parcel.declared-value")?;
    let (from, to) = (&request.pickup, &request.delivery);
    let mut order = json!({
        "id": reference,
        "pick_name": from.name.trim(),
        "pick_money": cod,
        "pick_address": from.address.street.trim(),
        "pick_province": from.address.province.trim(),
        "pick_district": from.address.district.trim(),
        "pick_tel": local_phone(&from.phone),
        "name": to.name.trim(),
        "address": to.address.street.trim(),
        "province": to.address.province.trim(),
        "district": to.address.district.trim(),
        "ward": to.address.ward.trim(),
        "hamlet": NO_HAMLET,
        "tel": local_phone(&to.phone),
        "is_freeship": 1,
        "weight_option": "gram",
        "total_weight": request.parcel.weight_grams,
        "value": value,
        "transport": transport(request.service),
        "deliver_option": "none",
    });
    if !from.address.ward.trim().is_empty() {
        order["pick_ward"] = from.address.ward.trim().into();
    }
    if !request.note.trim().is_empty() {
        order["note"] = request.note.trim().into();
    }
    Ok(json!({ "products": products, "order": order }))
}

/// `code` as one path segment: GHTK's labels (`S22749126.SGP39-J31.1375835526`) and
/// `partner_id:<id>` pass as they are, anything else percent-encoded.
fn segment(code: &str, field: &str) -> Result<String, Error> {
    let code = code.trim();
    if code.is_empty() {
        return Err(invalid(format!("{field}: must not be empty")));
    }
    let mut out = String::with_capacity(code.len());
    for b in code.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' => {
                out.push(b as char);
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    Ok(out)
}

/// The status API's path for `key`: a GHTK label, or Souk's reference (GHTK finds an order by
/// either).
pub fn status_path(key: &str) -> Result<String, Error> {
    Ok(format!(
        "/services/shipment/v2/{}",
        segment(key, "tracking-code")?
    ))
}

/// The cancel API's path for tracking code `code`.
pub fn cancel_path(code: &str) -> Result<String, Error> {
    Ok(format!(
        "/services/shipment/cancel/{}",
        segment(code, "tracking-code")?
    ))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn vietnamese_numbers_go_to_ghtk_in_their_national_form() {
        assert_eq!(local_phone("+84912345678"), "0912345678");
        assert_eq!(local_phone(" 0912345678 "), "0912345678");
        assert_eq!(local_phone("+6591234567"), "+6591234567");
    }
    use crate::souk::shipping::types::Parcel;

    pub fn vnd(minor: i64) -> Money {
        Money {
            minor,
            currency: CURRENCY.to_string(),
        }
    }

    pub fn address(street: &str, ward: &str, district: &str, province: &str) -> Address {
        Address {
            street: street.into(),
            ward: ward.into(),
            district: district.into(),
            province: province.into(),
            country: "VN".into(),
        }
    }

    fn parcel(grams: u32, value: i64) -> Parcel {
        Parcel {
            weight_grams: grams,
            length_mm: 300,
            width_mm: 200,
            height_mm: 100,
            declared_value: vnd(value),
        }
    }

    pub fn quote_request(service: Service) -> QuoteRequest {
        QuoteRequest {
            pickup: address("1 Lê Lợi", "Phường Bến Nghé", "Quận 1", "TP. Hồ Chí Minh"),
            delivery: address("2 Kim Mã", "", "Quận Ba Đình", "Hà Nội"),
            parcel: parcel(1_200, 3_000_000),
            service,
        }
    }

    pub fn shipment_request() -> ShipmentRequest {
        ShipmentRequest {
            reference: "shp_1".into(),
            pickup: Party {
                name: "Seller".into(),
                phone: "0900000001".into(),
                address: address("1 Lê Lợi", "", "Quận 1", "TP. Hồ Chí Minh"),
            },
            delivery: Party {
                name: "Buyer".into(),
                phone: "0900000002".into(),
                address: address("2 Kim Mã", "Phường Kim Mã", "Quận Ba Đình", "Hà Nội"),
            },
            parcel: parcel(900, 300_000),
            items: vec![Item {
                name: "Lamp".into(),
                quantity: 2,
                weight_grams: 400,
            }],
            service: Service::Standard,
            cash_on_delivery: vnd(450_000),
            note: " Gọi trước khi giao ".into(),
        }
    }

    #[test]
    fn the_fee_query_names_both_ends_in_grams_and_dong_with_the_transport_of_the_service() {
        let path = fee_path(&quote_request(Service::Express)).unwrap();
        let (route, query) = path.split_once('?').unwrap();
        assert_eq!(route, "/services/shipment/fee");
        let q = form::parse(query).unwrap();
        let get = |k: &str| q.get(k).map(String::as_str);
        assert_eq!(get("pick_province"), Some("TP. Hồ Chí Minh"));
        assert_eq!(get("pick_district"), Some("Quận 1"));
        assert_eq!(get("pick_ward"), Some("Phường Bến Nghé"));
        assert_eq!(get("pick_address"), Some("1 Lê Lợi"));
        assert_eq!(
            (get("province"), get("district")),
            (Some("Hà Nội"), Some("Quận Ba Đình"))
        );
        assert_eq!(get("ward"), None, "an empty ward is left out");
        assert_eq!(
            (get("weight"), get("value")),
            (Some("1200"), Some("3000000"))
        );
        assert_eq!(
            (get("transport"), get("deliver_option")),
            (Some("fly"), Some("none"))
        );
        for service in [Service::Standard, Service::Economy] {
            let path = fee_path(&quote_request(service)).unwrap();
            assert!(path.contains("&transport=road&"), "{path}");
        }
        assert!(
            path.contains("pick_province=TP.+H%E1%BB%93+Ch%C3%AD+Minh"),
            "{path}"
        );
    }

    #[test]
    fn a_fee_outside_vietnam_or_dong_or_without_weight_is_invalid_before_any_call() {
        let mut abroad = quote_request(Service::Standard);
        abroad.delivery.country = "TH".into();
        assert!(matches!(fee_path(&abroad), Err(Error::Invalid(m)) if m.contains("Vietnam")));
        let mut dollars = quote_request(Service::Standard);
        dollars.parcel.declared_value = Money {
            minor: 10_000,
            currency: "USD".into(),
        };
        assert!(matches!(fee_path(&dollars), Err(Error::Invalid(m)) if m.contains("VND")));
        let mut weightless = quote_request(Service::Standard);
        weightless.parcel.weight_grams = 0;
        assert!(matches!(fee_path(&weightless), Err(Error::Invalid(_))));
        let mut nowhere = quote_request(Service::Standard);
        nowhere.pickup.district = " ".into();
        assert!(matches!(fee_path(&nowhere), Err(Error::Invalid(m)) if m.contains("district")));
        let mut uninsured = quote_request(Service::Standard);
        uninsured.parcel.declared_value = Money {
            minor: 0,
            currency: String::new(),
        };
        assert!(fee_path(&uninsured).unwrap().contains("&value=0&"));
    }

    #[test]
    fn the_order_body_books_the_reference_with_cash_value_and_products() {
        let body = order_body(&shipment_request()).unwrap();
        let order = &body["order"];
        assert_eq!(order["id"], "shp_1");
        assert_eq!(
            (order["pick_money"].as_i64(), order["value"].as_i64()),
            (Some(450_000), Some(300_000))
        );
        assert_eq!(
            order["is_freeship"], 1,
            "the courier collects exactly the cash on delivery"
        );
        assert_eq!(
            (order["pick_name"].as_str(), order["pick_tel"].as_str()),
            (Some("Seller"), Some("0900000001"))
        );
        assert_eq!(order["pick_address"], "1 Lê Lợi");
        assert_eq!(
            (
                order["pick_province"].as_str(),
                order["pick_district"].as_str()
            ),
            (Some("TP. Hồ Chí Minh"), Some("Quận 1"))
        );
        assert!(
            order.get("pick_ward").is_none(),
            "an empty ward is left out"
        );
        assert_eq!(
            (order["name"].as_str(), order["tel"].as_str()),
            (Some("Buyer"), Some("0900000002"))
        );
        assert_eq!(
            (order["address"].as_str(), order["ward"].as_str()),
            (Some("2 Kim Mã"), Some("Phường Kim Mã"))
        );
        assert_eq!(
            (order["province"].as_str(), order["district"].as_str()),
            (Some("Hà Nội"), Some("Quận Ba Đình"))
        );
        assert_eq!(order["hamlet"], "Khác");
        assert_eq!(
            (
                order["weight_option"].as_str(),
                order["total_weight"].as_u64()
            ),
            (Some("gram"), Some(900))
        );
        assert_eq!(
            (
                order["transport"].as_str(),
                order["deliver_option"].as_str()
            ),
            (Some("road"), Some("none"))
        );
        assert_eq!(order["note"], "Gọi trước khi giao");
        assert_eq!(
            body["products"],
            json!([{ "name": "Lamp", "quantity": 2, "weight": 400 }])
        );
        let mut express = shipment_request();
        express.service = Service::Express;
        assert_eq!(order_body(&express).unwrap()["order"]["transport"], "fly");
    }

    #[test]
    fn an_order_missing_what_ghtk_requires_is_invalid() {
        type Breaks = fn(&mut ShipmentRequest);
        let broken: [(&str, Breaks); 8] = [
            ("reference", |r| r.reference = " ".into()),
            ("items", |r| r.items.clear()),
            ("items[0]", |r| r.items[0].weight_grams = 0),
            ("delivery.address.ward", |r| r.delivery.address.ward.clear()),
            ("pickup.phone", |r| r.pickup.phone.clear()),
            ("delivery.address", |r| {
                r.delivery.address.country = "LA".into()
            }),
            ("cash-on-delivery", |r| {
                r.cash_on_delivery.currency = "EUR".into()
            }),
            ("cash-on-delivery", |r| r.cash_on_delivery = vnd(-1)),
        ];
        for (field, breaks) in broken {
            let mut request = shipment_request();
            breaks(&mut request);
            match order_body(&request) {
                Err(Error::Invalid(message)) => assert!(message.starts_with(field), "{message}"),
                other => panic!("{field}: {other:?}"),
            }
        }
        let mut no_cash = shipment_request();
        no_cash.cash_on_delivery = Money {
            minor: 0,
            currency: String::new(),
        };
        assert_eq!(order_body(&no_cash).unwrap()["order"]["pick_money"], 0);
    }

    #[test]
    fn shipment_paths_keep_labels_and_partner_ids_and_encode_the_rest() {
        assert_eq!(
            status_path("S22749126.SGP39-J31.1375835526").unwrap(),
            "/services/shipment/v2/S22749126.SGP39-J31.1375835526"
        );
        assert_eq!(
            cancel_path("partner_id:shp_1").unwrap(),
            "/services/shipment/cancel/partner_id:shp_1"
        );
        assert_eq!(
            status_path("a/b c").unwrap(),
            "/services/shipment/v2/a%2Fb%20c"
        );
        assert!(matches!(status_path(" "), Err(Error::Invalid(_))));
    }
}
