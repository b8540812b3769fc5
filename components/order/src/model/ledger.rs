//! `"order".ledger_entry`: order's append-only money ledger. Each entry is money taken for a
//! checkout (from the wallet, through a gateway) or given back (to the wallet, or through the
//! gateway), a give-back naming the entry it reverses; a reference unique per movement makes
//! writing one again a no-op, so a step that runs twice records its money once. [`owed`] is
//! what a checkout holds: taken − given back.

use kit::ApiResult;
use kit::db::{Db, text, uuid};
use uuid::Uuid;

/// The way money came, or went back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Wallet,
    Gateway,
    /// Collected by the courier when the order was delivered.
    CashOnDelivery,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Wallet => "wallet",
            Kind::Gateway => "gateway",
            Kind::CashOnDelivery => "cash_on_delivery",
        }
    }
}

/// Records `amount` taken for `checkout` under `reference`; the entry's id (the first one's,
/// when the reference was recorded before).
pub fn take(
    db: &Db,
    checkout: Uuid,
    kind: Kind,
    amount: i64,
    currency: &str,
    reference: &str,
) -> ApiResult<Uuid> {
    db.execute(
        "INSERT INTO \"order\".ledger_entry (id, checkout_id, kind, direction, amount_minor, \
         currency, reference) VALUES ($1, $2, $3, 'taken', $4, $5, $6) \
         ON CONFLICT (reference) DO NOTHING",
        &[
            uuid(kit::ids::new_id()),
            uuid(checkout),
            text(kind.as_str()),
            amount.into(),
            text(currency),
            text(reference),
        ],
    )?;
    db.scalar(
        "SELECT id FROM \"order\".ledger_entry WHERE reference = $1",
        &[text(reference)],
    )
}

/// Records that all of the entry taken under `taken` went back `to` the buyer, under
/// `reference`; nothing when nothing was recorded under `taken` (the step that took the money
/// failed before it recorded it, and its undo gives back what it took).
pub fn give_back(db: &Db, taken: &str, to: Kind, reference: &str) -> ApiResult<()> {
    db.execute(
        "INSERT INTO \"order\".ledger_entry (id, checkout_id, kind, direction, amount_minor, \
         currency, reverses_id, reference) \
         SELECT $1, checkout_id, $3, 'given_back', amount_minor, currency, id, $4 \
         FROM \"order\".ledger_entry WHERE reference = $2 AND direction = 'taken' \
         ON CONFLICT (reference) DO NOTHING",
        &[
            uuid(kit::ids::new_id()),
            text(taken),
            text(to.as_str()),
            text(reference),
        ],
    )?;
    Ok(())
}

/// What is left to give back of each entry taken for `checkout`, gateway money first (a refund
/// to the wallet reverses a gateway payment before a wallet debit).
fn left_to_give_back(db: &Db, checkout: Uuid) -> ApiResult<Vec<(Uuid, i64)>> {
    let set = db.query(
        "SELECT t.id, t.amount_minor - COALESCE((SELECT sum(g.amount_minor) \
         FROM \"order\".ledger_entry g WHERE g.reverses_id = t.id), 0)::int8 AS left_minor \
         FROM \"order\".ledger_entry t WHERE t.checkout_id = $1 AND t.direction = 'taken' \
         ORDER BY t.kind = 'wallet', t.created_at, t.id",
        &[uuid(checkout)],
    )?;
    kit::db::rows(&set)
        .map(|r| Ok((r.get("id")?, r.get("left_minor")?)))
        .collect()
}

/// What is left to give back of each gateway payment taken for `checkout`: the attempt and
/// the amount, oldest first.
pub fn gateway_left(db: &Db, checkout: Uuid) -> ApiResult<Vec<(Uuid, i64)>> {
    let set = db.query(
        "SELECT t.reference, t.amount_minor - COALESCE((SELECT sum(g.amount_minor) \
         FROM \"order\".ledger_entry g WHERE g.reverses_id = t.id), 0)::int8 AS left_minor \
         FROM \"order\".ledger_entry t WHERE t.checkout_id = $1 AND t.direction = 'taken' \
         AND t.kind = 'gateway' ORDER BY t.created_at, t.id",
        &[uuid(checkout)],
    )?;
    let mut left = Vec::new();
    for r in kit::db::rows(&set) {
        let reference: String = r.get("reference")?;
        let amount: i64 = r.get("left_minor")?;
        let attempt = reference
            .strip_prefix("payment:")
            .and_then(|a| a.parse().ok());
        if let Some(attempt) = attempt
            && amount > 0
        {
            left.push((attempt, amount));
        }
    }
    Ok(left)
}

/// Records `amount` of `checkout`'s money given back `to` the buyer under `reference` (one row
/// per entry it reverses, `<reference>:<n>`); 409 `refund_exceeds_payment` when the checkout
/// holds less. Call it under the checkout's lock.
pub fn give_back_part(
    db: &Db,
    checkout: Uuid,
    amount: i64,
    to: Kind,
    reference: &str,
) -> ApiResult<()> {
    let mut due = amount;
    for (n, (entry, left)) in left_to_give_back(db, checkout)?.into_iter().enumerate() {
        let part = due.min(left);
        if part <= 0 {
            continue;
        }
        db.execute(
            "INSERT INTO \"order\".ledger_entry (id, checkout_id, kind, direction, \
             amount_minor, currency, reverses_id, reference) \
             SELECT $1, checkout_id, $3, 'given_back', $4, currency, id, $5 \
             FROM \"order\".ledger_entry WHERE id = $2",
            &[
                uuid(kit::ids::new_id()),
                uuid(entry),
                text(to.as_str()),
                part.into(),
                text(format!("{reference}:{n}")),
            ],
        )?;
        due -= part;
    }
    if due > 0 {
        return Err(kit::ApiError::conflict(
            "refund_exceeds_payment",
            format!("the checkout holds {} less than the refund", due),
        ));
    }
    Ok(())
}

/// What each of `checkouts` holds: what was taken for it less what was given back (a checkout
/// with no entry holds nothing and is left out).
pub fn owed(db: &Db, checkouts: &[Uuid]) -> ApiResult<std::collections::HashMap<Uuid, i64>> {
    let set = db.query(
        "SELECT checkout_id, COALESCE(sum(CASE direction WHEN 'taken' THEN amount_minor \
         ELSE -amount_minor END), 0)::int8 AS owed FROM \"order\".ledger_entry \
         WHERE checkout_id = ANY($1::text[]::uuid[]) GROUP BY checkout_id",
        &[kit::db::uuids(checkouts)],
    )?;
    kit::db::rows(&set)
        .map(|r| Ok((r.get("checkout_id")?, r.get("owed")?)))
        .collect()
}
