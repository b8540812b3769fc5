//! `common.service_option`: the payment and shipping options checkouts offer.

use kit::db::{Db, FromRow, Row, optional_uuid, text, uuid};
use kit::{ApiError, ApiResult};
use uuid::Uuid;

/// An option as stored (its sealed secrets included; never answered).
#[derive(Clone, Debug)]
pub struct ServiceOption {
    pub id: Uuid,
    pub kind: String,
    pub provider: String,
    pub method: String,
    pub owner_id: Option<Uuid>,
    pub display_name: String,
    pub enabled: bool,
    pub priority: i32,
    pub config: serde_json::Value,
    pub secrets: Option<Vec<u8>>,
}

impl FromRow for ServiceOption {
    fn from_row(row: &Row<'_>) -> ApiResult<ServiceOption> {
        Ok(ServiceOption {
            id: row.get("id")?,
            kind: row.get("kind")?,
            provider: row.get("provider")?,
            method: row.get("method")?,
            owner_id: row.get("owner_id")?,
            display_name: row.get("display_name")?,
            enabled: row.get("enabled")?,
            priority: row.get("priority")?,
            config: row.json("config")?,
            secrets: row.get("secrets")?,
        })
    }
}

const COLUMNS: &str = "SELECT id, kind, provider, method, owner_id, display_name, enabled, \
                       priority, config, secrets FROM common.service_option";

fn taken() -> ApiError {
    ApiError::conflict(
        "option_exists",
        "this owner has an option of this kind, provider and method already",
    )
}

pub fn insert(db: &Db, o: &ServiceOption) -> ApiResult<()> {
    db.execute(
        "INSERT INTO common.service_option (id, kind, provider, method, owner_id, display_name, \
         enabled, priority, config, secrets) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            uuid(o.id),
            text(&o.kind),
            text(&o.provider),
            text(&o.method),
            optional_uuid(o.owner_id),
            text(&o.display_name),
            o.enabled.into(),
            o.priority.into(),
            kit::db::json(&o.config)?,
            o.secrets.clone().into(),
        ],
    )
    .map_err(|e| e.to_api(&[("service_option_once", taken())]))?;
    Ok(())
}

/// Option `id`, locked for the rest of the transaction when `lock`; 404 when there is none.
pub fn load(db: &Db, id: Uuid, lock: bool) -> ApiResult<ServiceOption> {
    let sql = format!(
        "{COLUMNS} WHERE id = $1{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    db.fetch_optional(&sql, &[uuid(id)])?
        .ok_or_else(|| ApiError::not_found("option_not_found", "no such service option"))
}

/// The enabled options of `kind` (every kind when `None`) offered by the platform and, when
/// given, by `seller`: highest priority first.
pub fn offered(db: &Db, kind: Option<&str>, seller: Option<Uuid>) -> ApiResult<Vec<ServiceOption>> {
    db.fetch_all(
        &format!(
            "{COLUMNS} WHERE enabled AND ($1::text IS NULL OR kind = $1) \
             AND (owner_id IS NULL OR owner_id = $2) ORDER BY priority DESC, id"
        ),
        &[kit::db::optional_text(kind), optional_uuid(seller)],
    )
}

pub fn update(db: &Db, o: &ServiceOption) -> ApiResult<()> {
    db.execute(
        "UPDATE common.service_option SET display_name = $2, enabled = $3, priority = $4, \
         config = $5, secrets = $6, updated_at = now() WHERE id = $1",
        &[
            uuid(o.id),
            text(&o.display_name),
            o.enabled.into(),
            o.priority.into(),
            kit::db::json(&o.config)?,
            o.secrets.clone().into(),
        ],
    )?;
    Ok(())
}

pub fn delete(db: &Db, id: Uuid) -> ApiResult<()> {
    db.execute(
        "DELETE FROM common.service_option WHERE id = $1",
        &[uuid(id)],
    )?;
    Ok(())
}
