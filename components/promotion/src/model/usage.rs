//! `promotion.usage` and `promotion.buyer_usage`: a promotion's limits, the uses and spend
//! its redemptions hold, and each buyer's uses.
//!
//! Every change of a promotion's counts first locks its usage row ([`lock_all`], in promotion
//! id order, so two checkouts never deadlock): concurrent reservations of one promotion are
//! decided one after the other on the latest counts, and the CHECKs of the table refuse an
//! overrun that a bug might still attempt.

use chrono::Utc;
use kit::db::{Db, FromRow, Row, uuid, uuids};
use kit::{ApiError, ApiResult};
use serde_json::Value;
use uuid::Uuid;

use crate::rules::schedule::{Openness, Schedule};

/// A promotion's limits and counts, locked for the transaction.
#[derive(Debug)]
pub struct Usage {
    /// The promotion.
    pub promotion_id: Uuid,
    /// Uses allowed in all (`None`: no limit).
    pub total_limit: Option<i64>,
    /// Uses allowed per buyer (`None`: no limit).
    pub per_buyer_limit: Option<i64>,
    /// Discount allowed in all, minor units (`None`: no budget).
    pub budget_minor: Option<i64>,
    /// Uses held by reserved and committed redemptions.
    pub uses: i64,
    /// Discount held by them.
    pub spent_minor: i64,
    /// Whether the promotion can be redeemed now: not ended, and its schedule runs (started,
    /// not over, inside a window when it has windows).
    pub live: bool,
    /// Whether it gives cashback: what a redemption takes of it is paid to the buyer later.
    pub cashback: bool,
    /// The currency its amounts are in, when it has one: it applies to carts in it only.
    pub currency: Option<String>,
}

impl FromRow for Usage {
    fn from_row(row: &Row<'_>) -> ApiResult<Usage> {
        Ok(Usage {
            promotion_id: row.get("promotion_id")?,
            total_limit: row.get("total_limit")?,
            per_buyer_limit: row.get("per_buyer_limit")?,
            budget_minor: row.get("budget_minor")?,
            uses: row.get("uses")?,
            spent_minor: row.get("spent_minor")?,
            live: row.get("live")?,
            cashback: row.get("cashback")?,
            currency: row.get("currency")?,
        })
    }
}

/// The limits a promotion is created or updated with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// Uses allowed in all.
    pub total_limit: Option<i64>,
    /// Uses allowed per buyer.
    pub per_buyer_limit: Option<i64>,
    /// Discount allowed in all, minor units.
    pub budget_minor: Option<i64>,
}

const INSERT: &str = "INSERT INTO promotion.usage \
                      (promotion_id, total_limit, per_buyer_limit, budget_minor) \
                      VALUES ($1, $2, $3, $4)";

/// Creates the counters of a new promotion.
pub fn insert(db: &Db, promotion: Uuid, limits: Limits) -> ApiResult<()> {
    db.execute(
        INSERT,
        &[
            uuid(promotion),
            limits.total_limit.into(),
            limits.per_buyer_limit.into(),
            limits.budget_minor.into(),
        ],
    )?;
    Ok(())
}

const SET_LIMITS: &str = "UPDATE promotion.usage \
                          SET total_limit = $2, per_buyer_limit = $3, budget_minor = $4 \
                          WHERE promotion_id = $1";

/// Changes a promotion's limits; 409 `limit_below_use` when a limit would fall below what has
/// already been taken (the table's CHECKs decide, on the locked row).
pub fn set_limits(db: &Db, promotion: Uuid, limits: Limits) -> ApiResult<()> {
    let below = ApiError::conflict(
        "limit_below_use",
        "a limit cannot fall below what redemptions have already taken",
    );
    db.execute(
        SET_LIMITS,
        &[
            uuid(promotion),
            limits.total_limit.into(),
            limits.per_buyer_limit.into(),
            limits.budget_minor.into(),
        ],
    )
    .map_err(|e| {
        e.to_api(&[
            ("usage_within_total_limit", below.clone()),
            ("usage_within_budget", below),
        ])
    })?;
    Ok(())
}

/// A promotion's limits and counts as they stand, for its answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Its limits.
    pub limits: Limits,
    /// Uses held by reserved and committed redemptions.
    pub uses: i64,
    /// Discount held by them.
    pub spent_minor: i64,
    /// Whether it was ever redeemed (then it is ended, not deleted).
    pub redeemed: bool,
}

impl FromRow for Counts {
    fn from_row(row: &Row<'_>) -> ApiResult<Counts> {
        Ok(Counts {
            limits: Limits {
                total_limit: row.get("total_limit")?,
                per_buyer_limit: row.get("per_buyer_limit")?,
                budget_minor: row.get("budget_minor")?,
            },
            uses: row.get("uses")?,
            spent_minor: row.get("spent_minor")?,
            redeemed: row.get("redeemed")?,
        })
    }
}

const LOCK_ALL: &str = "SELECT u.promotion_id, u.total_limit, u.per_buyer_limit, \
                        u.budget_minor, u.uses, u.spent_minor, p.ended_at IS NULL AS live, \
                        p.kind = 'cashback' AS cashback, p.currency, p.schedule \
                        FROM promotion.usage u \
                        JOIN promotion.promotion p ON p.id = u.promotion_id \
                        WHERE u.promotion_id = ANY($1::text[]::uuid[]) \
                        ORDER BY u.promotion_id FOR UPDATE OF u";

/// The usage rows of `promotions`, locked in promotion id order until the transaction ends,
/// each live when it is not ended and its schedule runs now (weekly windows included); 404
/// `promotion_not_found` naming the first promotion that does not exist.
pub fn lock_all(db: &Db, promotions: &[Uuid]) -> ApiResult<Vec<Usage>> {
    let set = db.query(LOCK_ALL, &[uuids(promotions)])?;
    let now = Utc::now();
    let rows = kit::db::rows(&set)
        .map(|row| {
            let mut usage = Usage::from_row(&row)?;
            let schedule = Schedule::parse(&row.json::<Value>("schedule")?)?;
            usage.live &= schedule.is_open(now) == Openness::Open;
            Ok(usage)
        })
        .collect::<ApiResult<Vec<Usage>>>()?;
    if let Some(missing) = promotions
        .iter()
        .find(|id| !rows.iter().any(|u| u.promotion_id == **id))
    {
        return Err(not_found(*missing));
    }
    Ok(rows)
}

/// 404 for a promotion id that names nothing.
pub fn not_found(id: Uuid) -> ApiError {
    ApiError::not_found("promotion_not_found", format!("no promotion {id}"))
}

const TAKE: &str = "UPDATE promotion.usage \
                    SET uses = uses + 1, spent_minor = spent_minor + $2, redeemed = true \
                    WHERE promotion_id = $1";

/// Takes one use and `amount` of budget of a promotion whose row [`lock_all`] holds (the
/// caller has checked the limits on those counts; the CHECKs are the backstop).
pub fn take(db: &Db, promotion: Uuid, amount: i64) -> ApiResult<()> {
    db.execute(TAKE, &[uuid(promotion), amount.into()])
        .map_err(|e| {
            e.to_api(&[
                ("usage_within_total_limit", limit_reached(promotion)),
                ("usage_within_budget", budget_exhausted(promotion)),
            ])
        })?;
    Ok(())
}

const GIVE_BACK: &str = "UPDATE promotion.usage \
                         SET uses = uses - 1, spent_minor = spent_minor - $2 \
                         WHERE promotion_id = $1";

/// Gives back one use and `amount` of budget (a released redemption).
pub fn give_back(db: &Db, promotion: Uuid, amount: i64) -> ApiResult<()> {
    db.execute(GIVE_BACK, &[uuid(promotion), amount.into()])?;
    Ok(())
}

const TAKE_BUYER: &str = "INSERT INTO promotion.buyer_usage AS b (promotion_id, buyer_id, uses) \
                          VALUES ($1, $2, 1) \
                          ON CONFLICT (promotion_id, buyer_id) DO UPDATE SET uses = b.uses + 1 \
                          WHERE b.uses < $3 \
                          RETURNING b.uses";

/// Takes one of `buyer`'s uses of a promotion allowing `limit` per buyer; 409
/// `buyer_limit_reached` when they are all taken. Decided under the usage row's lock.
pub fn take_buyer(db: &Db, promotion: Uuid, buyer: Uuid, limit: i64) -> ApiResult<()> {
    let taken: Option<i64> = db
        .query(TAKE_BUYER, &[uuid(promotion), uuid(buyer), limit.into()])
        .map_err(|e| e.to_api(&[]))
        .map(|set| {
            kit::db::rows(&set)
                .next()
                .and_then(|row| row.get::<i64>("uses").ok())
        })?;
    match taken {
        Some(_) => Ok(()),
        None => Err(ApiError::conflict(
            "buyer_limit_reached",
            format!("the buyer has used promotion {promotion} as often as it allows"),
        )),
    }
}

const GIVE_BACK_BUYER: &str = "UPDATE promotion.buyer_usage SET uses = uses - 1 \
                               WHERE promotion_id = $1 AND buyer_id = $2 AND uses > 0";

/// Gives back one of `buyer`'s uses.
pub fn give_back_buyer(db: &Db, promotion: Uuid, buyer: Uuid) -> ApiResult<()> {
    db.execute(GIVE_BACK_BUYER, &[uuid(promotion), uuid(buyer)])?;
    Ok(())
}

const BUYER_USES: &str = "SELECT promotion_id, uses FROM promotion.buyer_usage \
                          WHERE buyer_id = $1 AND promotion_id = ANY ($2::text[]::uuid[])";

/// How often `buyer` has used each of `promotions` (reserved or committed); promotions they
/// never used are absent.
pub fn buyer_uses(db: &Db, buyer: Uuid, promotions: &[Uuid]) -> ApiResult<Vec<(Uuid, i64)>> {
    let set = db.query(BUYER_USES, &[uuid(buyer), uuids(promotions)])?;
    kit::db::rows(&set)
        .map(|row| Ok((row.get("promotion_id")?, row.get("uses")?)))
        .collect()
}

/// 409 for a promotion whose total use limit is reached.
pub fn limit_reached(promotion: Uuid) -> ApiError {
    ApiError::conflict(
        "promotion_limit_reached",
        format!("promotion {promotion} has been used as often as it allows"),
    )
}

/// 409 for a promotion whose budget the discount would overrun.
pub fn budget_exhausted(promotion: Uuid) -> ApiError {
    ApiError::conflict(
        "promotion_budget_exhausted",
        format!("promotion {promotion} has too little budget left for this discount"),
    )
}

impl Usage {
    /// Whether taking (`direction` 1) or giving back (-1) one use and `amount` of budget, from
    /// these counts as they stood before, may change what this promotion gives a card:
    /// - the last use is taken, or given back;
    /// - the budget left afterwards (taking) or before (giving back) is smaller than `amount`.
    ///   Cards cap a unit's discount by the budget left, so a card changes when what is left
    ///   crosses its unit discount; a unit's discount is at most what a checkout buying it
    ///   takes, so every crossing of a SKU some checkout bought is caught. A SKU whose one
    ///   unit gets more than any checkout took may keep showing the larger discount until the
    ///   next reprice; checkout's own quote is always live.
    pub fn cards_move(&self, amount: i64, direction: i64) -> bool {
        let last_use = self.total_limit.is_some_and(|limit| {
            let after = self.uses + direction;
            after >= limit && self.uses < limit || self.uses >= limit && after < limit
        });
        let nearly_spent = self.budget_minor.is_some_and(|budget| {
            let left = budget - self.spent_minor;
            let left = if direction > 0 {
                left.saturating_sub(amount)
            } else {
                left
            };
            left < amount
        });
        last_use || nearly_spent
    }

    /// Whether this promotion can take one more use and `amount` of budget for `buyer`, in a
    /// checkout in `currency` (when named): the decision on the locked counts (the buyer's own
    /// count is taken after, by [`take_buyer`]). 422 `currency_mismatch` for a promotion in
    /// another currency, 409 when it is not live or a limit is reached, 422 `buyer_required`
    /// when it counts per buyer and no buyer was named.
    pub fn admits(
        &self,
        amount: i64,
        buyer: Option<Uuid>,
        currency: Option<&str>,
    ) -> ApiResult<()> {
        if let (Some(own), Some(asked)) = (self.currency.as_deref(), currency)
            && own != asked
        {
            return Err(ApiError::unprocessable(
                "currency_mismatch",
                format!(
                    "promotion {} is in {own}, the checkout in {asked}",
                    self.promotion_id
                ),
            ));
        }
        if !self.live {
            return Err(ApiError::conflict(
                "promotion_not_active",
                format!("promotion {} is not running now", self.promotion_id),
            ));
        }
        if self.per_buyer_limit.is_some() && buyer.is_none() {
            return Err(ApiError::unprocessable(
                "buyer_required",
                format!(
                    "promotion {} counts uses per buyer: name the buyer",
                    self.promotion_id
                ),
            ));
        }
        if self.total_limit.is_some_and(|limit| self.uses >= limit) {
            return Err(limit_reached(self.promotion_id));
        }
        if self
            .budget_minor
            .is_some_and(|budget| self.spent_minor.saturating_add(amount) > budget)
        {
            return Err(budget_exhausted(self.promotion_id));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage() -> Usage {
        Usage {
            promotion_id: Uuid::nil(),
            total_limit: Some(3),
            per_buyer_limit: None,
            budget_minor: Some(1000),
            uses: 0,
            spent_minor: 0,
            live: true,
            cashback: false,
            currency: None,
        }
    }

    #[test]
    fn admission_follows_each_limit() {
        let code = |u: Usage, amount, buyer| u.admits(amount, buyer, None).err().map(|e| e.code);
        let buyer = Some(Uuid::nil());
        let cases: Vec<(Usage, i64, Option<Uuid>, Option<&str>)> = vec![
            (usage(), 1000, None, None),
            (Usage { uses: 2, ..usage() }, 0, None, None),
            (
                Usage { uses: 3, ..usage() },
                0,
                None,
                Some("promotion_limit_reached"),
            ),
            (usage(), 1001, None, Some("promotion_budget_exhausted")),
            (
                Usage {
                    spent_minor: 999,
                    ..usage()
                },
                1,
                None,
                None,
            ),
            (
                Usage {
                    spent_minor: 999,
                    ..usage()
                },
                2,
                None,
                Some("promotion_budget_exhausted"),
            ),
            (
                Usage {
                    live: false,
                    ..usage()
                },
                0,
                None,
                Some("promotion_not_active"),
            ),
            (
                Usage {
                    per_buyer_limit: Some(1),
                    ..usage()
                },
                0,
                None,
                Some("buyer_required"),
            ),
            (
                Usage {
                    per_buyer_limit: Some(1),
                    ..usage()
                },
                0,
                buyer,
                None,
            ),
            (
                Usage {
                    total_limit: None,
                    budget_minor: None,
                    uses: i64::MAX - 1,
                    ..usage()
                },
                i64::MAX,
                None,
                None,
            ),
        ];
        for (i, (u, amount, buyer, want)) in cases.into_iter().enumerate() {
            assert_eq!(code(u, amount, buyer).as_deref(), want, "case {i}");
        }
        let in_vnd = || Usage {
            currency: Some("VND".to_string()),
            ..usage()
        };
        let paid_in = |c| in_vnd().admits(0, None, c).err().map(|e| e.code);
        assert_eq!(paid_in(Some("USD")).as_deref(), Some("currency_mismatch"));
        assert_eq!(paid_in(Some("VND")), None);
        assert_eq!(
            paid_in(None),
            None,
            "a checkout that names no currency is not checked"
        );
    }

    #[test]
    fn cards_move_at_the_last_use_and_a_nearly_spent_budget() {
        // usage(): 3 uses allowed, 1000 of budget.
        let take = |u: Usage, amount| u.cards_move(amount, 1);
        let give = |u: Usage, amount| u.cards_move(amount, -1);
        assert!(!take(usage(), 100), "plenty left of both");
        assert!(
            take(Usage { uses: 2, ..usage() }, 0),
            "the last use is taken"
        );
        assert!(!take(Usage { uses: 1, ..usage() }, 0));
        assert!(
            give(Usage { uses: 3, ..usage() }, 0),
            "the last use comes back"
        );
        assert!(!give(Usage { uses: 2, ..usage() }, 0));
        let spent = |spent_minor| Usage {
            spent_minor,
            ..usage()
        };
        assert!(
            !take(spent(400), 300),
            "300 left: another such checkout fits"
        );
        assert!(take(spent(500), 300), "200 left: the next one is capped");
        assert!(take(spent(700), 300), "nothing left");
        assert!(
            give(spent(900), 300),
            "100 left before: cards get their discount back"
        );
        assert!(!give(spent(400), 300));
        let unlimited = Usage {
            total_limit: None,
            budget_minor: None,
            ..usage()
        };
        assert!(!take(unlimited, i64::MAX));
    }
}
