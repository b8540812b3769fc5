//! When a promotion runs: from `starts_at` until `ends_at` (exclusive), and, with windows, only
//! while the wall clock of its time zone is inside one of them.
//!
//! Windows are judged on the local wall clock, so daylight saving time needs two decisions:
//! - a local time that does not exist (Berlin's clocks jump from 02:00 to 03:00) never occurs:
//!   a window 02:00–02:30 on that day does not open, and one 01:30–02:30 closes at the jump;
//! - a local time that occurs twice (Berlin's 02:00–03:00 in October) is inside a window both
//!   times: a window 02:00–02:30 on that day is open twice, for half an hour each.
//!
//! Both follow from one rule — an instant is inside a window when its local time is — which is
//! also what a shopper reading the promotion's hours expects.

use chrono::{DateTime, Datelike, Duration, NaiveDate, SecondsFormat, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use kit::{ApiError, ApiResult};
use serde::{Serialize, Serializer};
use serde_json::{Value, json};

use super::json::Obj;

/// Most windows a schedule has.
pub const MAX_WINDOWS: usize = 20;
/// How far [`Schedule::next_change`] looks for a window edge, in days: a window that opens only
/// inside a daylight-saving gap may stay shut for a year, and a schedule open at every hour
/// never changes; beyond a year and a day nothing new can happen.
const LOOKAHEAD_DAYS: i64 = 367;

const DAY_NAMES: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

/// Local hours on some weekdays; `from` inclusive, `to` exclusive, in minutes after midnight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    /// The weekdays, Monday first, no duplicates.
    pub days: Vec<Weekday>,
    /// Opening minute of the day, 0 to 1439.
    pub from: u32,
    /// Closing minute of the day, after `from`, at most 1440 (`24:00`).
    pub to: u32,
}

/// When a promotion runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// The first instant it runs.
    pub starts_at: DateTime<Utc>,
    /// The first instant it no longer runs; `None`: never ends.
    pub ends_at: Option<DateTime<Utc>>,
    /// The zone windows are read in; required with windows.
    pub timezone: Option<Tz>,
    /// Local hours it runs in; empty: all the time between start and end.
    pub windows: Vec<Window>,
}

/// Whether a schedule runs at an instant, and if not, why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Openness {
    /// It runs.
    Open,
    /// Before `starts_at`.
    NotStarted,
    /// At or after `ends_at`.
    Ended,
    /// Between start and end, but outside every window.
    OutsideWindow,
}

impl Schedule {
    /// The schedule a promotion's `schedule` JSON describes.
    pub fn parse(value: &Value) -> ApiResult<Schedule> {
        let o = Obj::new(
            value,
            "schedule",
            &["starts_at", "ends_at", "timezone", "windows"],
        )?;
        let instant = |key: &str| -> ApiResult<Option<DateTime<Utc>>> {
            o.str(key)?
                .map(|s| {
                    DateTime::parse_from_rfc3339(s)
                        .map(|t| t.with_timezone(&Utc))
                        .map_err(|_| o.error(key, "must be an RFC 3339 date-time"))
                })
                .transpose()
        };
        let starts_at = instant("starts_at")?.ok_or_else(|| o.error("starts_at", "is required"))?;
        let ends_at = instant("ends_at")?;
        if ends_at.is_some_and(|end| end <= starts_at) {
            return Err(ApiError::unprocessable(
                "end_before_start",
                "schedule.ends_at: must be after schedule.starts_at",
            ));
        }
        let timezone = o
            .str("timezone")?
            .map(|name| {
                name.parse::<Tz>().map_err(|_| {
                    ApiError::unprocessable(
                        "unknown_timezone",
                        format!("schedule.timezone: `{name}` is not an IANA time zone"),
                    )
                })
            })
            .transpose()?;
        let mut windows = Vec::new();
        if let Some(raw) = o.array("windows", 1..=MAX_WINDOWS)? {
            if timezone.is_none() {
                return Err(o.error("timezone", "is required when windows are given"));
            }
            for (i, value) in raw.iter().enumerate() {
                windows.push(window(value, &o.name(&format!("windows[{i}]")))?);
            }
        }
        Ok(Schedule {
            starts_at,
            ends_at,
            timezone,
            windows,
        })
    }

    /// The schedule as the API writes it.
    pub fn to_json(&self) -> Value {
        let stamp = |t: &DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::AutoSi, true);
        let mut v = json!({"starts_at": stamp(&self.starts_at)});
        if let Some(end) = &self.ends_at {
            v["ends_at"] = json!(stamp(end));
        }
        if let Some(tz) = &self.timezone {
            v["timezone"] = json!(tz.name());
        }
        if !self.windows.is_empty() {
            let clock = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
            v["windows"] = self
                .windows
                .iter()
                .map(|w| {
                    let days: Vec<_> = w.days.iter().map(|d| day_name(*d)).collect();
                    json!({"days": days, "from": clock(w.from), "to": clock(w.to)})
                })
                .collect();
        }
        v
    }

    /// Whether the schedule runs at `at`.
    pub fn is_open(&self, at: DateTime<Utc>) -> Openness {
        if at < self.starts_at {
            return Openness::NotStarted;
        }
        if self.ends_at.is_some_and(|end| at >= end) {
            return Openness::Ended;
        }
        match self.timezone {
            Some(tz) if !self.windows.is_empty() => {
                let local = at.with_timezone(&tz).naive_local();
                let second = local.num_seconds_from_midnight();
                let inside = self.windows.iter().any(|w| {
                    w.days.contains(&local.weekday()) && w.from * 60 <= second && second < w.to * 60
                });
                if inside {
                    Openness::Open
                } else {
                    Openness::OutsideWindow
                }
            }
            _ => Openness::Open,
        }
    }

    /// The first instant after `after` at which [`Schedule::is_open`] gives another answer: the
    /// start, a window opening or closing, the end; `None` when the answer never changes again.
    pub fn next_change(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let now = self.is_open(after);
        if now == Openness::NotStarted {
            // At the start the answer is Open or OutsideWindow, never NotStarted again.
            return Some(self.starts_at);
        }
        if now == Openness::Ended {
            return None;
        }
        let ends = self.ends_at.filter(|end| *end > after);
        let Some(tz) = self.timezone.filter(|_| !self.windows.is_empty()) else {
            return ends;
        };
        // Openness is constant between candidate instants: window edges, local midnights and
        // the zone's offset changes (where the wall clock jumps into or out of a window). The
        // candidates of a span of days are sorted together, since an offset change found on
        // one local day may fall before the edges of the next; the first candidate whose
        // answer differs wins. A week almost always holds it: the year is looked at only
        // when it does not.
        let start = after.with_timezone(&tz).date_naive() - Duration::days(1);
        for days in [8, LOOKAHEAD_DAYS] {
            let mut candidates: Vec<DateTime<Utc>> = (0..=days)
                .flat_map(|d| self.candidates(tz, start + Duration::days(d)))
                .filter(|t| *t > after)
                .collect();
            candidates.sort();
            for t in candidates {
                if ends.is_some_and(|end| t >= end) {
                    return ends;
                }
                if self.is_open(t) != now {
                    return Some(t);
                }
            }
        }
        ends
    }

    /// The instants on local date `day` at which the answer may change.
    fn candidates(&self, tz: Tz, day: NaiveDate) -> Vec<DateTime<Utc>> {
        let mut minutes: Vec<u32> = vec![0];
        for w in &self.windows {
            minutes.extend([w.from, w.to]);
        }
        let mut out = Vec::new();
        for m in minutes {
            let Some(local) = day
                .and_hms_opt(0, 0, 0)
                .map(|t| t + Duration::minutes(m.into()))
            else {
                continue;
            };
            // An ambiguous local time yields both instants; a nonexistent one yields none,
            // and the offset change found below stands in for it.
            out.extend(
                local
                    .and_local_timezone(tz)
                    .earliest()
                    .map(|t| t.with_timezone(&Utc)),
            );
            out.extend(
                local
                    .and_local_timezone(tz)
                    .latest()
                    .map(|t| t.with_timezone(&Utc)),
            );
        }
        out.extend(offset_change(tz, day));
        out
    }
}

impl Serialize for Schedule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

/// The instant on local date `day` (give or take its edges) at which `tz` changes its UTC
/// offset, found by bisection between the UTC noons around it.
fn offset_change(tz: Tz, day: NaiveDate) -> Option<DateTime<Utc>> {
    use chrono::Offset;
    let noon = day.and_hms_opt(12, 0, 0)?.and_utc();
    let offset = |t: DateTime<Utc>| t.with_timezone(&tz).offset().fix();
    let (mut lo, mut hi) = (noon.timestamp() - 86_400, noon.timestamp());
    let at = |secs: i64| DateTime::from_timestamp(secs, 0);
    if offset(at(lo)?) == offset(at(hi)?) {
        return None;
    }
    // Invariant: the offset at `lo` differs from the one at `hi`; zones change at most once a
    // day, and always on a whole second.
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if offset(at(mid)?) == offset(at(lo)?) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    at(hi)
}

fn day_name(day: Weekday) -> &'static str {
    DAY_NAMES
        .iter()
        .find(|(_, d)| *d == day)
        .map_or("mon", |(name, _)| name)
}

fn window(value: &Value, path: &str) -> ApiResult<Window> {
    let o = Obj::new(value, path, &["days", "from", "to"])?;
    let raw = o
        .array("days", 1..=7)?
        .ok_or_else(|| o.error("days", "is required"))?;
    let mut days = Vec::with_capacity(raw.len());
    for (i, value) in raw.iter().enumerate() {
        let day = value
            .as_str()
            .and_then(|s| DAY_NAMES.iter().find(|(name, _)| *name == s))
            .map(|(_, d)| *d)
            .ok_or_else(|| {
                o.error(
                    &format!("days[{i}]"),
                    "must be one of mon, tue, wed, thu, \
                fri, sat, sun",
                )
            })?;
        if days.contains(&day) {
            return Err(o.error("days", &format!("lists {} twice", day_name(day))));
        }
        days.push(day);
    }
    days.sort_by_key(|d| d.num_days_from_monday());
    let from = clock(&o, "from", false)?;
    let to = clock(&o, "to", true)?;
    if to <= from {
        return Err(o.error(
            "to",
            "must be after `from`: a window does not cross midnight (split it in two, the \
             first ending at 24:00)",
        ));
    }
    Ok(Window { days, from, to })
}

/// `HH:MM` as minutes after midnight; `24:00` only when it is a closing time.
fn clock(o: &Obj<'_>, key: &str, closing: bool) -> ApiResult<u32> {
    let s = o.req_str(key)?;
    let bad = || o.error(key, "must be a time `HH:MM`");
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 || !(h.chars().chain(m.chars())).all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    match (h, m) {
        (24, 0) if closing => Ok(1440),
        (0..=23, 0..=59) => Ok(h * 60 + m),
        _ => Err(o.error(
            key,
            "must be a time from 00:00 to 23:59, or 24:00 as a closing time",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn schedule(value: Value) -> Schedule {
        Schedule::parse(&value).unwrap()
    }

    /// Weekday evenings in Ho Chi Minh City (UTC+7, no daylight saving time).
    fn evenings() -> Schedule {
        schedule(json!({
            "starts_at": "2026-03-02T00:00:00Z", "ends_at": "2026-04-01T00:00:00Z",
            "timezone": "Asia/Ho_Chi_Minh",
            "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"],
                "from": "18:00", "to": "22:00"}]
        }))
    }

    #[test]
    fn a_schedule_writes_back_the_shape_it_was_read_from() {
        let value = json!({
            "starts_at": "2026-03-02T00:00:00Z", "ends_at": "2026-04-01T00:00:00Z",
            "timezone": "Europe/Berlin",
            "windows": [{"days": ["mon", "sun"], "from": "00:00", "to": "24:00"}]
        });
        assert_eq!(schedule(value.clone()).to_json(), value);
        let bare = json!({"starts_at": "2026-03-02T00:00:00Z"});
        assert_eq!(serde_json::to_value(schedule(bare.clone())).unwrap(), bare);
    }

    #[test]
    fn bad_schedules_are_refused_with_the_field_named() {
        let start = "2026-03-02T00:00:00Z";
        let win = |from: &str, to: &str| json!([{"days": ["mon"], "from": from, "to": to}]);
        for (value, message) in [
            (json!({}), "schedule.starts_at: is required"),
            (
                json!({"starts_at": "yesterday"}),
                "schedule.starts_at: must be an RFC 3339",
            ),
            (
                json!({"starts_at": start, "ends_at": start}),
                "must be after schedule.starts_at",
            ),
            (
                json!({"starts_at": start, "windows": win("08:00", "09:00")}),
                "schedule.timezone: is required when windows",
            ),
            (
                json!({"starts_at": start, "timezone": "UTC", "windows": []}),
                "windows",
            ),
            (
                json!({"starts_at": start, "timezone": "UTC", "windows": win("22:00", "02:00")}),
                "does not cross midnight",
            ),
            (
                json!({"starts_at": start, "timezone": "UTC", "windows": win("09:00", "09:00")}),
                "schedule.windows[0].to: must be after",
            ),
            (
                json!({"starts_at": start, "timezone": "UTC", "windows": win("24:00", "24:00")}),
                "schedule.windows[0].from",
            ),
            (
                json!({"starts_at": start, "timezone": "UTC", "windows": win("9:00", "10:00")}),
                "HH:MM",
            ),
            (
                json!({"starts_at": start, "timezone": "UTC", "windows": win("09:60", "10:00")}),
                "schedule.windows[0].from",
            ),
            (
                json!({"starts_at": start, "timezone": "UTC",
                "windows": [{"days": ["mon", "mon"], "from": "08:00", "to": "09:00"}]}),
                "lists mon twice",
            ),
            (
                json!({"starts_at": start, "timezone": "UTC",
                "windows": [{"days": ["monday"], "from": "08:00", "to": "09:00"}]}),
                "schedule.windows[0].days[0]",
            ),
            (
                json!({"starts_at": start, "every": "day"}),
                "unknown field `every`",
            ),
        ] {
            let err = Schedule::parse(&value).unwrap_err();
            let code = if message == "must be after schedule.starts_at" {
                "end_before_start"
            } else {
                "validation"
            };
            assert_eq!((err.status, err.code.as_ref()), (422, code), "{value}");
            assert!(err.message.contains(message), "{value}: {}", err.message);
        }
        let err =
            Schedule::parse(&json!({"starts_at": start, "timezone": "Mars/Olympus"})).unwrap_err();
        assert_eq!((err.status, err.code.as_ref()), (422, "unknown_timezone"));
    }

    #[test]
    fn openness_follows_start_end_and_windows_from_inclusive_to_exclusive() {
        let s = evenings();
        // 18:00 in Ho Chi Minh City is 11:00 UTC; Monday 2026-03-09.
        for (at, want) in [
            ("2026-03-01T23:59:59Z", Openness::NotStarted),
            ("2026-03-09T10:59:59Z", Openness::OutsideWindow),
            ("2026-03-09T11:00:00Z", Openness::Open),
            ("2026-03-09T13:00:00Z", Openness::Open),
            ("2026-03-09T14:59:59Z", Openness::Open),
            ("2026-03-09T15:00:00Z", Openness::OutsideWindow),
            ("2026-03-14T12:00:00Z", Openness::OutsideWindow),
            ("2026-04-01T00:00:00Z", Openness::Ended),
        ] {
            assert_eq!(s.is_open(utc(at)), want, "{at}");
        }
        let always = schedule(json!({"starts_at": "2026-03-02T00:00:00Z"}));
        assert_eq!(always.is_open(utc("2099-01-01T00:00:00Z")), Openness::Open);
    }

    #[test]
    fn next_change_finds_the_start_each_window_edge_and_the_end() {
        let s = evenings();
        for (after, want) in [
            ("2026-03-01T00:00:00Z", Some("2026-03-02T00:00:00Z")),
            ("2026-03-02T00:00:00Z", Some("2026-03-02T11:00:00Z")),
            ("2026-03-02T11:00:00Z", Some("2026-03-02T15:00:00Z")),
            // Friday's close, then Monday's open: the weekend is skipped.
            ("2026-03-06T15:00:00Z", Some("2026-03-09T11:00:00Z")),
            // The last window of March is cut by the end.
            ("2026-03-31T12:00:00Z", Some("2026-03-31T15:00:00Z")),
            ("2026-03-31T15:00:00Z", Some("2026-04-01T00:00:00Z")),
            ("2026-04-01T00:00:00Z", None),
        ] {
            assert_eq!(s.next_change(utc(after)), want.map(utc), "{after}");
        }
        let forever = schedule(json!({"starts_at": "2026-03-02T00:00:00Z"}));
        assert_eq!(forever.next_change(utc("2026-03-05T00:00:00Z")), None);
        let all_week = schedule(json!({"starts_at": "2026-03-02T00:00:00Z",
            "ends_at": "2027-06-01T00:00:00Z", "timezone": "Europe/Berlin",
            "windows": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "from": "00:00", "to": "24:00"}]}));
        assert_eq!(
            all_week.next_change(utc("2026-03-05T00:00:00Z")),
            Some(utc("2027-06-01T00:00:00Z"))
        );
    }

    #[test]
    fn a_window_in_the_spring_gap_never_opens_and_one_across_it_closes_at_the_jump() {
        // Berlin, Sunday 2026-03-29: 02:00 CET (01:00 UTC) jumps to 03:00 CEST.
        let gap = schedule(json!({"starts_at": "2026-03-01T00:00:00Z",
            "timezone": "Europe/Berlin",
            "windows": [{"days": ["sun"], "from": "02:00", "to": "02:30"}]}));
        for at in [
            "2026-03-29T00:59:59Z",
            "2026-03-29T01:00:00Z",
            "2026-03-29T01:30:00Z",
        ] {
            assert_eq!(gap.is_open(utc(at)), Openness::OutsideWindow, "{at}");
        }
        // The next Sunday's window (CEST, UTC+2) is the next change.
        assert_eq!(
            gap.next_change(utc("2026-03-28T12:00:00Z")),
            Some(utc("2026-04-05T00:00:00Z"))
        );
        let across = schedule(json!({"starts_at": "2026-03-01T00:00:00Z",
            "timezone": "Europe/Berlin",
            "windows": [{"days": ["sun"], "from": "01:30", "to": "02:30"}]}));
        assert_eq!(across.is_open(utc("2026-03-29T00:30:00Z")), Openness::Open);
        assert_eq!(
            across.is_open(utc("2026-03-29T01:00:00Z")),
            Openness::OutsideWindow
        );
        assert_eq!(
            across.next_change(utc("2026-03-29T00:30:00Z")),
            Some(utc("2026-03-29T01:00:00Z"))
        );
    }

    #[test]
    fn a_window_in_the_autumn_repeat_opens_twice() {
        // Berlin, Sunday 2026-10-25: 03:00 CEST (01:00 UTC) falls back to 02:00 CET.
        let s = schedule(json!({"starts_at": "2026-10-01T00:00:00Z",
            "timezone": "Europe/Berlin",
            "windows": [{"days": ["sun"], "from": "02:00", "to": "02:30"}]}));
        let mut t = utc("2026-10-24T12:00:00Z");
        let mut changes = Vec::new();
        for _ in 0..4 {
            t = s.next_change(t).unwrap();
            changes.push(t);
        }
        let want = [
            "2026-10-25T00:00:00Z",
            "2026-10-25T00:30:00Z",
            "2026-10-25T01:00:00Z",
            "2026-10-25T01:30:00Z",
        ];
        assert_eq!(changes, want.map(utc));
        assert_eq!(s.is_open(utc("2026-10-25T01:15:00Z")), Openness::Open);
    }

    #[test]
    fn next_change_finds_every_change_and_only_changes_across_dst() {
        // Minute by minute over ten days around each zone's clock change, the answer is
        // constant between the changes next_change reports and differs at each of them.
        for (zone, from) in [
            ("Europe/Berlin", "2026-03-25T00:00:00Z"),
            ("Europe/Berlin", "2026-10-21T00:00:00Z"),
            ("Australia/Sydney", "2026-09-30T00:00:00Z"),
            ("America/New_York", "2026-11-28T00:00:00Z"),
            ("Asia/Ho_Chi_Minh", "2026-03-25T00:00:00Z"),
        ] {
            let s = schedule(json!({"starts_at": from, "timezone": zone, "windows": [
                {"days": ["sun"], "from": "01:30", "to": "02:30"},
                {"days": ["sun", "mon"], "from": "02:15", "to": "03:05"},
                {"days": ["wed", "sat"], "from": "00:00", "to": "24:00"},
                {"days": ["fri"], "from": "23:59", "to": "24:00"},
            ]}));
            let start = utc(from);
            let end = start + Duration::days(10);
            assert_eq!(
                s.next_change(start - Duration::seconds(1)),
                Some(start),
                "{zone}"
            );
            let mut t = start;
            while t < end {
                let next = s.next_change(t).unwrap();
                assert_ne!(s.is_open(next), s.is_open(t), "{zone} at {next}");
                let mut probe = t;
                while probe < next && probe < end {
                    assert_eq!(s.is_open(probe), s.is_open(t), "{zone} at {probe}");
                    probe += Duration::minutes(1);
                }
                t = next;
            }
        }
    }
}
