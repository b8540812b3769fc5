//! `/api/v1/account/contacts…` and `/internal/contacts/…`: contacts (delivery addresses),
//! which only their owner sees or changes. The first contact becomes the default; deleting the
//! default moves it to the oldest remaining one; the last contact cannot be deleted. Other
//! modules read accounts' default contacts in batches, and one contact of an account by id.
//!
//! An address is geocoded through common when it is written ([`locate`]), before any lock is
//! taken: a contact stores where its address is and in which country, and an address the
//! geocoder places in another country than the account's is refused (422
//! `address_not_in_country`). An address the geocoder does not know — or cannot be asked about
//! now — is kept unresolved (`location: null`), since a delivery address that a map does not
//! know is still a delivery address.

use contracts::account::{
    AddressType, Contact, DefaultContact, DefaultContactsAnswer, DefaultContactsRequest, Location,
};
use contracts::common::{GeocodeAnswer, GeocodeRequest};
use kit::db::Db;
use kit::patch::Field;
use kit::validate::{CountryCode, Phone};
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::contact::{self, ContactChanges, NewContact};
use crate::model::{Lock, account};
use crate::rules;
use crate::rules::contact::{MAX_ADDRESS_CHARS, MAX_FULL_NAME_CHARS};

/// Where `address` is, through common's geocoder; `None` when it does not know the address or
/// cannot be asked now (logged).
async fn locate(ctx: &Ctx, address: &str) -> Option<Location> {
    let asked = ctx
        .internal("common")
        .post::<_, GeocodeAnswer>(
            "/internal/geocode/forward",
            &GeocodeRequest {
                address: address.to_string(),
            },
            None,
        )
        .await;
    match asked {
        Ok(answer) => answer.place.map(|p| Location {
            latitude: p.latitude,
            longitude: p.longitude,
            country: p.country_code,
        }),
        Err(e) => {
            kit::log::warn(format_args!("a contact's address was kept unresolved: {e}"));
            None
        }
    }
}

/// 422 `address_not_in_country` when `location` is in another country than `country`.
fn address_in_country(location: Option<&Location>, country: CountryCode) -> ApiResult<()> {
    match location {
        Some(l) if l.country != country.as_str() => Err(ApiError::unprocessable(
            "address_not_in_country",
            format!(
                "the address is in {}, not in the account's country {}",
                l.country,
                country.as_str()
            ),
        )),
        _ => Ok(()),
    }
}

fn full_name(value: &str) -> ApiResult<String> {
    kit::validate::line("full_name", value, 1, MAX_FULL_NAME_CHARS)
}

fn address(value: &str) -> ApiResult<String> {
    kit::validate::text("address", value, 1, MAX_ADDRESS_CHARS)
}

/// The account's contacts.
#[derive(Serialize)]
struct ContactList {
    items: Vec<Contact>,
}

/// `GET /api/v1/account/contacts` — default first, then oldest first.
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let contacts = contact::list(ctx.db()?, user.sub)?;
    json::ok(&ContactList {
        items: contacts.into_iter().map(Contact::from).collect(),
    })
}

/// `GET /api/v1/account/contacts/:id`.
pub async fn get(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let id = ctx.param_id("id", "contact")?;
    let found = contact::load(ctx.db()?, user.sub, id, Lock::None)?;
    json::ok(&Contact::from(found))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRequest {
    full_name: String,
    phone: String,
    address: String,
    address_type: AddressType,
}

/// `POST /api/v1/account/contacts` — the first one becomes the default.
pub async fn create(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let body: CreateRequest = json::read(&req)?;
    let id = kit::ids::new_id();
    let address = address(&body.address)?;
    let location = locate(&ctx, &address).await;
    let new = NewContact {
        id,
        account_id: user.sub,
        full_name: full_name(&body.full_name)?,
        phone: Phone::parse("phone", &body.phone)?,
        address,
        address_type: body.address_type,
        location,
    };
    let created = ctx
        .db()?
        .transaction(async |db: &Db| {
            // The account's lock orders its concurrent additions, so the count holds.
            let country = account::load(db, user.sub, Lock::ForUpdate)?.country;
            address_in_country(new.location.as_ref(), country)?;
            let count = contact::count(db, user.sub)?;
            rules::contact::ensure_room(count)?;
            contact::insert(db, &new, rules::contact::first_is_default(count))
        })
        .await?;
    json::created(
        &format!("/api/v1/account/contacts/{id}"),
        &Contact::from(created),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateRequest {
    #[serde(default)]
    full_name: Field<String>,
    #[serde(default)]
    phone: Field<String>,
    #[serde(default)]
    address: Field<String>,
    #[serde(default)]
    address_type: Field<AddressType>,
}

impl UpdateRequest {
    /// Every field of a contact is required, so none may be `null`.
    fn parse(self) -> ApiResult<ContactChanges> {
        Ok(ContactChanges {
            full_name: self
                .full_name
                .required("full_name")?
                .map(|n| full_name(&n))
                .transpose()?,
            phone: self
                .phone
                .required("phone")?
                .map(|p| Phone::parse("phone", &p))
                .transpose()?,
            address: self
                .address
                .required("address")?
                .map(|a| address(&a))
                .transpose()?,
            address_type: self.address_type.required("address_type")?,
            location: None,
        })
    }
}

/// `PATCH /api/v1/account/contacts/:id`.
pub async fn update(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let id = ctx.param_id("id", "contact")?;
    let mut changes = json::read::<UpdateRequest>(&req)?.parse()?;
    if let Some(address) = &changes.address {
        changes.location = Some(locate(&ctx, address).await);
    }
    let updated = ctx
        .db()?
        .transaction(async |db: &Db| {
            contact::load(db, user.sub, id, Lock::ForUpdate)?;
            if let Some(location) = &changes.location {
                let country = account::load(db, user.sub, Lock::None)?.country;
                address_in_country(location.as_ref(), country)?;
            }
            contact::update(db, user.sub, id, &changes)
        })
        .await?;
    json::ok(&Contact::from(updated))
}

/// `DELETE /api/v1/account/contacts/:id` — never the last one; a deleted default passes to
/// the oldest remaining contact.
pub async fn delete(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let id = ctx.param_id("id", "contact")?;
    ctx.db()?
        .transaction(async |db: &Db| {
            // Lock the account so concurrent deletes of its last two contacts serialise.
            account::load(db, user.sub, Lock::ForUpdate)?;
            let deleted = contact::load(db, user.sub, id, Lock::ForUpdate)?;
            rules::contact::ensure_not_last(contact::count(db, user.sub)?)?;
            contact::delete(db, user.sub, id)?;
            if deleted.is_default {
                contact::promote_oldest(db, user.sub)?;
            }
            Ok(())
        })
        .await?;
    json::no_content()
}

/// `POST /api/v1/account/contacts/:id/default`.
pub async fn make_default(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let id = ctx.param_id("id", "contact")?;
    let chosen = ctx
        .db()?
        .transaction(async |db: &Db| {
            contact::load(db, user.sub, id, Lock::ForUpdate)?;
            contact::make_default(db, user.sub, id)?;
            contact::load(db, user.sub, id, Lock::None)
        })
        .await?;
    json::ok(&Contact::from(chosen))
}

/// `POST /internal/contacts/default` — the default contact of each of up to 500 accounts;
/// accounts without one are absent.
pub async fn defaults(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: DefaultContactsRequest = json::read(&req)?;
    rules::ensure_batch("account_ids", "accounts", body.account_ids.len())?;
    let found = contact::defaults(ctx.db()?, &body.account_ids)?;
    json::ok(&DefaultContactsAnswer {
        items: found
            .into_iter()
            .map(|c| DefaultContact {
                account_id: c.account_id,
                contact: Contact::from(c),
            })
            .collect(),
    })
}

/// The `account_id` query parameter, the account a contact must belong to: 422 `validation`
/// when it is missing or not a UUID.
fn account_id(ctx: &Ctx) -> ApiResult<Uuid> {
    ctx.query("account_id")
        .and_then(|s| Uuid::parse_str(&s).ok())
        .ok_or_else(|| ApiError::validation("account_id: a UUID"))
}

/// `GET /internal/contacts/:id?account_id=` — the contact, when it is that account's; 404
/// `contact_not_found` otherwise, also when it is another account's.
pub async fn owned(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let owner = account_id(&ctx)?;
    let id = ctx.param_id("id", "contact")?;
    let found = contact::load(ctx.db()?, owner, id, Lock::None)?;
    json::ok(&Contact::from(found))
}
