//! What a promotion gives ([`Kind`]), to which lines ([`Target`]) and on which conditions
//! ([`Conditions`]), parsed from the API's JSON and written back in the same shape.

use std::collections::BTreeSet;

use kit::{ApiError, ApiResult};
use serde::{Serialize, Serializer};
use serde_json::{Value, json};
use uuid::Uuid;

use super::json::Obj;

/// Most ids a target lists.
pub const MAX_TARGET_IDS: usize = 500;
/// Fewest and most distinct SKUs in a bundle: one SKU is a quantity discount, not a bundle.
pub const BUNDLE_SKUS: std::ops::RangeInclusive<usize> = 2..=20;
/// Most SKUs a buy-x-get-y lists as the free ones.
pub const MAX_GET_SKUS: usize = 100;

/// Whether a percentage or fixed amount comes off each unit or off the targeted subtotal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Per {
    /// Off each unit of each targeted line.
    Item,
    /// Off the subtotal of the targeted lines, spread over them.
    Order,
}

/// How much a shipping or cashback promotion gives: a share or an amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Off {
    /// A percentage, 1 to 100, rounded down.
    Percent(i64),
    /// An amount in minor units of the promotion's currency.
    Amount(i64),
}

/// One SKU of a bundle and how many of it a set holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleItem {
    /// The SKU.
    pub sku_id: Uuid,
    /// Units of it in one set, 1 to 100.
    pub quantity: i64,
}

/// What a promotion gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `percent` off each unit, or off the targeted subtotal.
    Percentage {
        /// 1 to 100.
        percent: i64,
        /// Per item or per order.
        per: Per,
    },
    /// `amount_minor` off each unit (never below 0), or off the targeted subtotal.
    Fixed {
        /// Greater than 0.
        amount_minor: i64,
        /// Per item or per order.
        per: Per,
    },
    /// Off the shipping of the sellers whose lines it targets.
    Shipping(Off),
    /// For every `buy` targeted units, `get` units are `percent` off, the cheapest first.
    BuyXGetY {
        /// 1 to 100.
        buy: i64,
        /// 1 to 100.
        get: i64,
        /// The SKUs the discounted units are taken from; `None`: the targeted items.
        get_skus: Option<Vec<Uuid>>,
        /// 1 to 100; 100 makes them free.
        percent: i64,
    },
    /// Each complete set of `items` costs `price_minor` instead of its price.
    Bundle {
        /// 2 to 20 distinct SKUs.
        items: Vec<BundleItem>,
        /// Greater than 0.
        price_minor: i64,
    },
    /// Credited to the buyer later, computed on what they pay for the targeted lines.
    Cashback {
        /// A percentage of what is paid, or an amount (never more than what is paid).
        off: Off,
        /// The most a percentage cashback gives; only with a percentage.
        max_minor: Option<i64>,
    },
}

const POSITIVE: std::ops::RangeInclusive<i64> = 1..=i64::MAX;

impl Kind {
    /// The kind a promotion's `kind` JSON describes.
    pub fn parse(value: &Value) -> ApiResult<Kind> {
        let tag = value
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let fields: &[&str] = match tag {
            "percentage" => &["type", "percent", "per"],
            "fixed" => &["type", "amount_minor", "per"],
            "shipping" => &["type", "percent", "amount_minor"],
            "buy_x_get_y" => &["type", "buy", "get", "get_skus", "percent"],
            "bundle" => &["type", "items", "price_minor"],
            "cashback" => &["type", "percent", "amount_minor", "max_minor"],
            _ => {
                return Err(ApiError::validation(
                    "kind.type: must be one of percentage, fixed, shipping, buy_x_get_y, \
                     bundle, cashback",
                ));
            }
        };
        let o = Obj::new(value, "kind", fields)?;
        Ok(match tag {
            "percentage" => Kind::Percentage {
                percent: o
                    .percent("percent")?
                    .ok_or_else(|| o.error("percent", "is required"))?,
                per: per(&o)?,
            },
            "fixed" => Kind::Fixed {
                amount_minor: o.req_int("amount_minor", POSITIVE)?,
                per: per(&o)?,
            },
            "shipping" => Kind::Shipping(off(&o)?),
            "buy_x_get_y" => Kind::BuyXGetY {
                buy: o.req_int("buy", 1..=100)?,
                get: o.req_int("get", 1..=100)?,
                get_skus: o.uuids("get_skus", 1..=MAX_GET_SKUS)?,
                percent: o.percent("percent")?.unwrap_or(100),
            },
            "bundle" => bundle(&o)?,
            _ => {
                let off = off(&o)?;
                let max_minor = o.int("max_minor", POSITIVE)?;
                if max_minor.is_some() && matches!(off, Off::Amount(_)) {
                    return Err(o.error("max_minor", "only goes with a percent"));
                }
                Kind::Cashback { off, max_minor }
            }
        })
    }

    /// Whether the kind names an amount, which means nothing without the promotion's currency.
    pub fn needs_currency(&self) -> bool {
        match self {
            Kind::Percentage { .. } | Kind::BuyXGetY { .. } => false,
            Kind::Fixed { .. } | Kind::Bundle { .. } => true,
            Kind::Shipping(off) | Kind::Cashback { off, .. } => matches!(off, Off::Amount(_)),
        }
    }

    /// The SKUs its terms name (a bundle's items, buy-x-get-y's discounted SKUs), which a
    /// seller's promotion may only name of its own.
    pub fn skus(&self) -> Vec<Uuid> {
        match self {
            Kind::Bundle { items, .. } => items.iter().map(|i| i.sku_id).collect(),
            Kind::BuyXGetY {
                get_skus: Some(skus),
                ..
            } => skus.clone(),
            _ => Vec::new(),
        }
    }

    /// Its `type`, as the API and the `kind` column spell it.
    pub fn tag(&self) -> &'static str {
        match self {
            Kind::Percentage { .. } => "percentage",
            Kind::Fixed { .. } => "fixed",
            Kind::Shipping(_) => "shipping",
            Kind::BuyXGetY { .. } => "buy_x_get_y",
            Kind::Bundle { .. } => "bundle",
            Kind::Cashback { .. } => "cashback",
        }
    }

    /// The kind as the API writes it.
    pub fn to_json(&self) -> Value {
        let per_name = |per: &Per| match per {
            Per::Item => "item",
            Per::Order => "order",
        };
        match self {
            Kind::Percentage { percent, per } => {
                json!({"type": "percentage", "percent": percent, "per": per_name(per)})
            }
            Kind::Fixed { amount_minor, per } => {
                json!({"type": "fixed", "amount_minor": amount_minor, "per": per_name(per)})
            }
            Kind::Shipping(Off::Percent(p)) => json!({"type": "shipping", "percent": p}),
            Kind::Shipping(Off::Amount(a)) => json!({"type": "shipping", "amount_minor": a}),
            Kind::BuyXGetY {
                buy,
                get,
                get_skus,
                percent,
            } => {
                let mut v = json!({"type": "buy_x_get_y", "buy": buy, "get": get,
                    "percent": percent});
                if let Some(skus) = get_skus {
                    v["get_skus"] = json!(skus);
                }
                v
            }
            Kind::Bundle { items, price_minor } => json!({
                "type": "bundle",
                "items": items.iter()
                    .map(|i| json!({"sku_id": i.sku_id, "quantity": i.quantity}))
                    .collect::<Vec<_>>(),
                "price_minor": price_minor,
            }),
            Kind::Cashback { off, max_minor } => {
                let mut v = match off {
                    Off::Percent(p) => json!({"type": "cashback", "percent": p}),
                    Off::Amount(a) => json!({"type": "cashback", "amount_minor": a}),
                };
                if let Some(max) = max_minor {
                    v["max_minor"] = json!(max);
                }
                v
            }
        }
    }
}

impl Serialize for Kind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

fn per(o: &Obj<'_>) -> ApiResult<Per> {
    match o.str("per")? {
        None | Some("item") => Ok(Per::Item),
        Some("order") => Ok(Per::Order),
        Some(_) => Err(o.error("per", "must be `item` or `order`")),
    }
}

fn off(o: &Obj<'_>) -> ApiResult<Off> {
    match (o.percent("percent")?, o.int("amount_minor", POSITIVE)?) {
        (Some(p), None) => Ok(Off::Percent(p)),
        (None, Some(a)) => Ok(Off::Amount(a)),
        _ => Err(ApiError::validation(format!(
            "{}: give exactly one of `percent` and `amount_minor`",
            o.path
        ))),
    }
}

fn bundle(o: &Obj<'_>) -> ApiResult<Kind> {
    let raw = o
        .array("items", BUNDLE_SKUS)?
        .ok_or_else(|| o.error("items", "is required"))?;
    let mut seen = BTreeSet::new();
    let mut items = Vec::with_capacity(raw.len());
    for (i, value) in raw.iter().enumerate() {
        let item = Obj::new(
            value,
            o.name(&format!("items[{i}]")),
            &["sku_id", "quantity"],
        )?;
        let sku_id = Uuid::parse_str(item.req_str("sku_id")?)
            .map_err(|_| item.error("sku_id", "must be a UUID"))?;
        if !seen.insert(sku_id) {
            return Err(o.error("items", &format!("lists {sku_id} twice")));
        }
        let quantity = item.req_int("quantity", 1..=100)?;
        items.push(BundleItem { sku_id, quantity });
    }
    Ok(Kind::Bundle {
        items,
        price_minor: o.req_int("price_minor", POSITIVE)?,
    })
}

/// Which lines a promotion applies to (always within its owner's lines: see the engine).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Every line.
    All,
    /// Lines of these products.
    Products(BTreeSet<Uuid>),
    /// Lines of these SKUs.
    Skus(BTreeSet<Uuid>),
    /// Lines whose category, or any ancestor of it, is listed.
    Categories(BTreeSet<Uuid>),
}

impl Target {
    /// The target a promotion's `target` JSON describes.
    pub fn parse(value: &Value) -> ApiResult<Target> {
        let tag = value
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if tag == "all" {
            Obj::new(value, "target", &["type"])?;
            return Ok(Target::All);
        }
        let make: fn(BTreeSet<Uuid>) -> Target = match tag {
            "products" => Target::Products,
            "skus" => Target::Skus,
            "categories" => Target::Categories,
            _ => {
                return Err(ApiError::validation(
                    "target.type: must be one of all, products, skus, categories",
                ));
            }
        };
        let o = Obj::new(value, "target", &["type", "ids"])?;
        let ids = o
            .uuids("ids", 1..=MAX_TARGET_IDS)?
            .ok_or_else(|| o.error("ids", "is required"))?;
        Ok(make(ids.into_iter().collect()))
    }

    /// The target as two columns: its kind (`all`, `products`, `skus`, `categories`) and its
    /// ids, in id order (none for `all`).
    pub fn parts(&self) -> (&'static str, Vec<Uuid>) {
        match self {
            Target::All => ("all", Vec::new()),
            Target::Products(ids) => ("products", ids.iter().copied().collect()),
            Target::Skus(ids) => ("skus", ids.iter().copied().collect()),
            Target::Categories(ids) => ("categories", ids.iter().copied().collect()),
        }
    }

    /// The target [`Target::parts`] gave; `None` for a kind it never gives.
    pub fn from_parts(kind: &str, ids: &[Uuid]) -> Option<Target> {
        let ids = || ids.iter().copied().collect();
        Some(match kind {
            "all" => Target::All,
            "products" => Target::Products(ids()),
            "skus" => Target::Skus(ids()),
            "categories" => Target::Categories(ids()),
            _ => return None,
        })
    }

    /// Whether a line of this SKU, product and category path is targeted.
    pub fn matches(&self, sku_id: Uuid, product_id: Uuid, category_path: &[Uuid]) -> bool {
        match self {
            Target::All => true,
            Target::Products(ids) => ids.contains(&product_id),
            Target::Skus(ids) => ids.contains(&sku_id),
            Target::Categories(ids) => category_path.iter().any(|c| ids.contains(c)),
        }
    }

    /// The target as the API writes it.
    pub fn to_json(&self) -> Value {
        match self {
            Target::All => json!({"type": "all"}),
            Target::Products(ids) => json!({"type": "products", "ids": ids}),
            Target::Skus(ids) => json!({"type": "skus", "ids": ids}),
            Target::Categories(ids) => json!({"type": "categories", "ids": ids}),
        }
    }
}

impl Serialize for Target {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

/// What must hold for a promotion to apply, and the cap on what it gives.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Conditions {
    /// The least the targeted lines must cost, at the prices the promotion's stage sees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_spend_minor: Option<i64>,
    /// The most the promotion takes off (or credits) across the cart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_discount_minor: Option<i64>,
    /// Only for a signed-in buyer's first order.
    pub first_order_only: bool,
}

impl Conditions {
    /// The conditions a promotion's `conditions` JSON describes; absent means none.
    pub fn parse(value: Option<&Value>) -> ApiResult<Conditions> {
        let Some(value) = value.filter(|v| !v.is_null()) else {
            return Ok(Conditions::default());
        };
        let o = Obj::new(
            value,
            "conditions",
            &["min_spend_minor", "max_discount_minor", "first_order_only"],
        )?;
        Ok(Conditions {
            min_spend_minor: o.int("min_spend_minor", POSITIVE)?,
            max_discount_minor: o.int("max_discount_minor", POSITIVE)?,
            first_order_only: o.bool("first_order_only")?.unwrap_or(false),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn every_kind_parses_and_writes_back_the_same_shape() {
        let skus = [id(1).to_string(), id(2).to_string()];
        for value in [
            json!({"type": "percentage", "percent": 10, "per": "item"}),
            json!({"type": "percentage", "percent": 100, "per": "order"}),
            json!({"type": "fixed", "amount_minor": 500, "per": "order"}),
            json!({"type": "shipping", "percent": 50}),
            json!({"type": "shipping", "amount_minor": 3000}),
            json!({"type": "buy_x_get_y", "buy": 2, "get": 1, "percent": 100}),
            json!({"type": "buy_x_get_y", "buy": 1, "get": 1, "percent": 50,
                "get_skus": [skus[0]]}),
            json!({"type": "bundle", "price_minor": 900, "items": [
                {"sku_id": skus[0], "quantity": 1}, {"sku_id": skus[1], "quantity": 2}]}),
            json!({"type": "cashback", "percent": 5, "max_minor": 10000}),
            json!({"type": "cashback", "amount_minor": 2000}),
        ] {
            let kind = Kind::parse(&value).unwrap();
            assert_eq!(kind.to_json(), value);
            assert_eq!(serde_json::to_value(&kind).unwrap(), value);
        }
    }

    #[test]
    fn defaults_fill_per_and_the_free_percent() {
        assert_eq!(
            Kind::parse(&json!({"type": "fixed", "amount_minor": 5})).unwrap(),
            Kind::Fixed {
                amount_minor: 5,
                per: Per::Item
            }
        );
        assert_eq!(
            Kind::parse(&json!({"type": "buy_x_get_y", "buy": 2, "get": 1})).unwrap(),
            Kind::BuyXGetY {
                buy: 2,
                get: 1,
                get_skus: None,
                percent: 100
            }
        );
    }

    #[test]
    fn bad_kinds_are_refused_with_the_field_named() {
        let sku = id(1).to_string();
        for (value, message) in [
            (json!({"type": "gift"}), "kind.type: must be one of"),
            (
                json!({"type": "percentage", "percent": 0}),
                "kind.percent: must be a whole number from 1 to 100",
            ),
            (
                json!({"type": "percentage", "percent": 101}),
                "kind.percent: must be a whole number from 1 to 100",
            ),
            (
                json!({"type": "percentage", "percent": 5, "per": "cart"}),
                "kind.per",
            ),
            (
                json!({"type": "percentage", "percent": 5, "extra": 1}),
                "unknown field `extra`",
            ),
            (
                json!({"type": "fixed", "amount_minor": 0}),
                "kind.amount_minor",
            ),
            (json!({"type": "fixed"}), "kind.amount_minor: is required"),
            (json!({"type": "shipping"}), "exactly one"),
            (
                json!({"type": "shipping", "percent": 5, "amount_minor": 5}),
                "exactly one",
            ),
            (
                json!({"type": "buy_x_get_y", "buy": 0, "get": 1}),
                "kind.buy",
            ),
            (
                json!({"type": "buy_x_get_y", "buy": 1, "get": 101}),
                "kind.get",
            ),
            (
                json!({"type": "buy_x_get_y", "buy": 1, "get": 1, "get_skus": []}),
                "get_skus",
            ),
            (
                json!({"type": "buy_x_get_y", "buy": 1, "get": 1, "get_skus": ["x"]}),
                "kind.get_skus[0]: must be a UUID",
            ),
            (
                json!({"type": "bundle", "price_minor": 5, "items": [
                {"sku_id": sku, "quantity": 1}]}),
                "kind.items: must have from 2 to 20",
            ),
            (
                json!({"type": "bundle", "price_minor": 5, "items": [
                {"sku_id": sku, "quantity": 1}, {"sku_id": sku, "quantity": 1}]}),
                "twice",
            ),
            (
                json!({"type": "bundle", "price_minor": 5, "items": [
                {"sku_id": sku, "quantity": 0}, {"sku_id": id(2), "quantity": 1}]}),
                "kind.items[0].quantity",
            ),
            (
                json!({"type": "cashback", "amount_minor": 5, "max_minor": 9}),
                "kind.max_minor",
            ),
            (json!("percentage"), "kind.type"),
        ] {
            let err = Kind::parse(&value).unwrap_err();
            assert_eq!(err.status, 422);
            assert!(err.message.contains(message), "{value}: {}", err.message);
        }
    }

    #[test]
    fn amount_kinds_need_a_currency_and_share_kinds_do_not() {
        let cases = [
            (json!({"type": "percentage", "percent": 10}), false),
            (json!({"type": "fixed", "amount_minor": 10}), true),
            (json!({"type": "shipping", "percent": 10}), false),
            (json!({"type": "shipping", "amount_minor": 10}), true),
            (json!({"type": "buy_x_get_y", "buy": 1, "get": 1}), false),
            (
                json!({"type": "bundle", "price_minor": 5, "items": [
                {"sku_id": id(1), "quantity": 1}, {"sku_id": id(2), "quantity": 1}]}),
                true,
            ),
            (json!({"type": "cashback", "percent": 10}), false),
            (json!({"type": "cashback", "amount_minor": 10}), true),
        ];
        for (value, needs) in cases {
            assert_eq!(
                Kind::parse(&value).unwrap().needs_currency(),
                needs,
                "{value}"
            );
        }
    }

    #[test]
    fn targets_list_distinct_ids_and_categories_match_ancestors() {
        let t = Target::parse(&json!({"type": "categories", "ids": [id(9)]})).unwrap();
        assert!(t.matches(id(1), id(2), &[id(8), id(9), id(10)]));
        assert!(!t.matches(id(1), id(2), &[id(8)]));
        assert_eq!(t.to_json(), json!({"type": "categories", "ids": [id(9)]}));
        assert_eq!(Target::parse(&json!({"type": "all"})).unwrap(), Target::All);
        for (value, message) in [
            (
                json!({"type": "skus", "ids": []}),
                "target.ids: must have from 1 to 500",
            ),
            (json!({"type": "skus"}), "target.ids: is required"),
            (json!({"type": "skus", "ids": [id(1), id(1)]}), "twice"),
            (
                json!({"type": "all", "ids": [id(1)]}),
                "unknown field `ids`",
            ),
            (json!({"type": "brands", "ids": [id(1)]}), "target.type"),
        ] {
            let err = Target::parse(&value).unwrap_err();
            assert!(err.message.contains(message), "{value}: {}", err.message);
        }
        let many: Vec<_> = (0..=MAX_TARGET_IDS as u128).map(id).collect();
        assert!(Target::parse(&json!({"type": "skus", "ids": many})).is_err());
    }

    #[test]
    fn conditions_are_optional_and_refuse_unknown_fields() {
        assert_eq!(Conditions::parse(None).unwrap(), Conditions::default());
        let c = Conditions::parse(Some(
            &json!({"min_spend_minor": 100, "first_order_only": true}),
        ))
        .unwrap();
        assert_eq!(c.min_spend_minor, Some(100));
        assert!(c.first_order_only);
        for (value, message) in [
            (json!({"min_spend_minor": 0}), "conditions.min_spend_minor"),
            (
                json!({"max_discount_minor": -1}),
                "conditions.max_discount_minor",
            ),
            (
                json!({"first_order_only": "yes"}),
                "conditions.first_order_only",
            ),
            (json!({"max_uses": 3}), "unknown field `max_uses`"),
        ] {
            let err = Conditions::parse(Some(&value)).unwrap_err();
            assert!(err.message.contains(message), "{value}: {}", err.message);
        }
    }
}
