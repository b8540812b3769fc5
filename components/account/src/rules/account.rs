//! The account: whether it may sign in, and what its profile fields may hold.

use chrono::NaiveDate;
use kit::validate::{Email, Phone, Username};
use kit::{ApiError, ApiResult};
use serde::Deserialize;

/// Longest display name.
pub const MAX_NAME_CHARS: usize = 100;

/// Longest description an account gives of itself.
pub const MAX_DESCRIPTION_CHARS: usize = 500;

/// Whether an account may sign in; the stored names are those `account_status_valid` allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Normal.
    Active,
    /// Blocked by an operator: no sign-in, no refresh.
    Suspended,
}

impl Status {
    /// The status a stored name stands for.
    pub fn parse(stored: &str) -> Option<Status> {
        match stored {
            "active" => Some(Status::Active),
            "suspended" => Some(Status::Suspended),
            _ => None,
        }
    }

    /// The stored (and shown) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Suspended => "suspended",
        }
    }
}

/// A suspended account may not sign in or refresh its session: 403 `account_suspended`.
pub fn ensure_active(status: Status) -> ApiResult<()> {
    match status {
        Status::Active => Ok(()),
        Status::Suspended => {
            Err(ApiError::forbidden("this account is suspended").with_code("account_suspended"))
        }
    }
}

/// An account signs in with its username, e-mail address or phone number, so it needs at least
/// one of them: 422 `identifier_required`. (The table's `account_has_identifier` holds the same
/// rule for changes that clear one.)
pub fn ensure_identifier(
    username: Option<&Username>,
    email: Option<&Email>,
    phone: Option<&Phone>,
) -> ApiResult<()> {
    if username.is_none() && email.is_none() && phone.is_none() {
        return Err(ApiError::unprocessable(
            "identifier_required",
            "give a username, an e-mail address or a phone number",
        ));
    }
    Ok(())
}

/// What an account says its gender is, if it says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    /// `male`
    Male,
    /// `female`
    Female,
    /// `other`
    Other,
}

impl Gender {
    /// The stored (and shown) name, one `gender`'s CHECK allows.
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
            Gender::Other => "other",
        }
    }
}

/// The earliest birth date accepted; the column's CHECK holds the same bound.
fn earliest_birth_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).expect("1900-01-01 is a date")
}

/// A birth date, `YYYY-MM-DD`, from 1900-01-01 to `today`.
pub fn date_of_birth(value: &str, today: NaiveDate) -> ApiResult<NaiveDate> {
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| ApiError::validation("date_of_birth: must be a date like 1990-05-31"))?;
    if date > today || date < earliest_birth_date() {
        return Err(ApiError::validation(
            "date_of_birth: must be between 1900-01-01 and today",
        ));
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn statuses_round_trip_through_their_stored_names() {
        for status in [Status::Active, Status::Suspended] {
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
        assert_eq!(Status::parse("deleted"), None);
    }

    #[test]
    fn only_an_active_account_may_sign_in() {
        assert!(ensure_active(Status::Active).is_ok());
        let e = ensure_active(Status::Suspended).unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (403, "account_suspended"));
    }

    #[test]
    fn an_account_needs_one_identifier_of_three() {
        let e = ensure_identifier(None, None, None).unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (422, "identifier_required"));
        let phone = Phone::parse("phone", "+84901234567").unwrap();
        assert!(ensure_identifier(None, None, Some(&phone)).is_ok());
    }

    #[test]
    fn genders_are_three_lower_case_words() {
        let g: Gender = serde_json::from_str(r#""female""#).unwrap();
        assert_eq!(g.as_str(), "female");
        assert!(serde_json::from_str::<Gender>(r#""Female""#).is_err());
        assert!(serde_json::from_str::<Gender>(r#""robot""#).is_err());
    }

    #[test]
    fn a_birth_date_lies_between_1900_and_today() {
        let today = day("2026-06-01");
        assert_eq!(
            date_of_birth("1990-05-31", today).unwrap(),
            day("1990-05-31")
        );
        assert!(date_of_birth("1900-01-01", today).is_ok());
        assert!(date_of_birth("2026-06-01", today).is_ok());
        for bad in ["1899-12-31", "2026-06-02", "31/05/1990", "1990-02-30", ""] {
            assert!(date_of_birth(bad, today).is_err(), "{bad}");
        }
    }
}
