//! `"order".ledger_entry`: order's append-only money ledger. Each entry is money taken for a
//! checkout (from the wallet, through a gateway) or given back, a give-back naming the entry it
//! reverses; a reference unique per movement makes writing one again a no-op, so a step that
//! runs twice records its money once. [`owed`] is what a checkout holds: taken − given back.

use kit::ApiResult;
use kit::db::{Db, text, uuid};
use uuid::Uuid;

/// Where money came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Wallet,
    Gateway,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Wallet => "wallet",
            Kind::Gateway => "gateway",
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

/// Records that all of the entry taken under `taken` was given back, under `reference`; nothing
/// when nothing was recorded under `taken` (the step that took the money failed before it
/// recorded it, and its undo gives back what it took).
pub fn give_back(db: &Db, taken: &str, reference: &str) -> ApiResult<()> {
    db.execute(
        "INSERT INTO \"order\".ledger_entry (id, checkout_id, kind, direction, amount_minor, \
         currency, reverses_id, reference) \
         SELECT $1, checkout_id, kind, 'given_back', amount_minor, currency, id, $3 \
         FROM \"order\".ledger_entry WHERE reference = $2 AND direction = 'taken' \
         ON CONFLICT (reference) DO NOTHING",
        &[uuid(kit::ids::new_id()), text(taken), text(reference)],
    )?;
    Ok(())
}

/// What `checkout` holds: what was taken for it less what was given back.
pub fn owed(db: &Db, checkout: Uuid) -> ApiResult<i64> {
    db.scalar(
        "SELECT COALESCE(sum(CASE direction WHEN 'taken' THEN amount_minor \
         ELSE -amount_minor END), 0)::int8 FROM \"order\".ledger_entry WHERE checkout_id = $1",
        &[uuid(checkout)],
    )
}
