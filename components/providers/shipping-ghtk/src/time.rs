//! GHTK's ways of writing a time, as Unix milliseconds. GHTK writes Vietnam time (GMT+7, no
//! daylight saving): webhooks in RFC 3339 (`2026-11-27T14:05:00+07:00`), the status API as
//! `YYYY-MM-DD hh:mm:ss`, and the order API's estimates as a work session and a day
//! (`Sáng 2024-11-26`, "morning of 26 November"; GHTK's own sandbox-like answers also use
//! relative days such as `Chiều ngày kia`, "the afternoon after tomorrow").

use chrono::{DateTime, Days, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};

/// Vietnam's offset from UTC, in seconds.
const VIETNAM_OFFSET: i32 = 7 * 3600;

/// GHTK's work sessions and the hour each ends: an estimate names a session, and the end of
/// it is when GHTK means to have picked up or delivered.
const SESSIONS: [(&str, u32); 4] = [("sáng", 12), ("trưa", 14), ("chiều", 18), ("tối", 21)];

/// The days GHTK names relative to today, and how many days ahead each is (longest first,
/// so `ngày mai` is not read as `mai`).
const RELATIVE_DAYS: [(&str, u64); 7] = [
    ("hôm nay", 0),
    ("ngày mai", 1),
    ("ngày kia", 2),
    ("ngày mốt", 2),
    ("nay", 0),
    ("mai", 1),
    ("mốt", 2),
];

fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(VIETNAM_OFFSET).expect("GMT+7 is a valid offset")
}

/// `date` at `time` in Vietnam, as Unix milliseconds.
fn vietnam_ms(date: NaiveDate, time: NaiveTime) -> Option<i64> {
    vietnam()
        .from_local_datetime(&date.and_time(time))
        .single()
        .map(|t| t.timestamp_millis())
}

/// An instant GHTK wrote: RFC 3339, or `YYYY-MM-DD hh:mm:ss` in GMT+7; `None` for anything
/// else.
pub fn instant_ms(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.timestamp_millis());
    }
    let at = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").ok()?;
    vietnam_ms(at.date(), at.time())
}

/// An estimate of the order API, `now_ms` being when GHTK answered (for relative days): the
/// end of the session it names on the day it names, a day without a session being its last
/// second; `None` for what it does not say so (GHTK's estimates are for people to read).
pub fn estimate_ms(text: &str, now_ms: i64) -> Option<i64> {
    if let Some(at) = instant_ms(text) {
        return Some(at);
    }
    let text = text.trim().to_lowercase();
    let (end, day) = SESSIONS
        .iter()
        .find_map(|(word, hour)| {
            let rest = text.strip_prefix(word)?;
            Some((NaiveTime::from_hms_opt(*hour, 0, 0)?, rest.trim()))
        })
        .unwrap_or((NaiveTime::from_hms_opt(23, 59, 59)?, text.as_str()));
    let day = day
        .strip_prefix("ngày ")
        .filter(|d| date(d).is_some())
        .unwrap_or(day);
    let date = match date(day) {
        Some(date) => date,
        None => {
            let ahead = RELATIVE_DAYS.iter().find(|(word, _)| *word == day)?.1;
            let today = DateTime::from_timestamp_millis(now_ms)?
                .with_timezone(&vietnam())
                .date_naive();
            today.checked_add_days(Days::new(ahead))?
        }
    };
    vietnam_ms(date, end)
}

/// A date as GHTK writes one: `YYYY-MM-DD`, or `DD/MM/YYYY`.
fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d/%m/%Y"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2024-11-26 00:00 in Vietnam (2024-11-25 17:00 UTC).
    const NOV_26: i64 = 1_732_554_000_000;
    const HOUR: i64 = 3_600_000;

    #[test]
    fn instants_are_read_in_rfc_3339_or_as_vietnam_time() {
        assert_eq!(
            instant_ms("2024-11-26T14:05:00+07:00"),
            Some(NOV_26 + 14 * HOUR + 300_000)
        );
        assert_eq!(
            instant_ms("2024-11-26 14:05:00"),
            Some(NOV_26 + 14 * HOUR + 300_000)
        );
        assert_eq!(
            instant_ms("2024-11-26T07:05:00Z"),
            Some(NOV_26 + 14 * HOUR + 300_000)
        );
        assert_eq!(instant_ms("yesterday"), None);
        assert_eq!(instant_ms(""), None);
    }

    #[test]
    fn an_estimate_is_the_end_of_the_session_it_names() {
        assert_eq!(estimate_ms("Sáng 2024-11-26", 0), Some(NOV_26 + 12 * HOUR));
        assert_eq!(estimate_ms("Chiều 2024-11-27", 0), Some(NOV_26 + 42 * HOUR));
        assert_eq!(
            estimate_ms("Tối ngày 27/11/2024", 0),
            Some(NOV_26 + 45 * HOUR)
        );
        assert_eq!(
            estimate_ms("2024-11-26", 0),
            Some(NOV_26 + 24 * HOUR - 1_000)
        );
        assert_eq!(
            estimate_ms("2024-11-26 10:00:00", 0),
            Some(NOV_26 + 10 * HOUR)
        );
    }

    #[test]
    fn relative_days_count_from_today_in_vietnam() {
        // 2024-11-26 23:30 in Vietnam is still the 25th in UTC.
        let now = NOV_26 + 23 * HOUR + 30 * 60_000;
        assert_eq!(estimate_ms("Sáng mai", now), Some(NOV_26 + 36 * HOUR));
        assert_eq!(estimate_ms("Chiều ngày kia", now), Some(NOV_26 + 66 * HOUR));
        assert_eq!(estimate_ms("Chiều ngày mai", now), Some(NOV_26 + 42 * HOUR));
        assert_eq!(estimate_ms("Tối hôm nay", now), Some(NOV_26 + 21 * HOUR));
    }

    #[test]
    fn an_estimate_that_names_no_day_is_none() {
        assert_eq!(estimate_ms("Sáng", 0), None);
        assert_eq!(estimate_ms("2-3 ngày", 0), None);
        assert_eq!(estimate_ms("", 0), None);
    }
}
