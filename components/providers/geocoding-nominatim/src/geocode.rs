//! One lookup as steps: the cached answer if there is one; else the slot, the request, the
//! answer and the cache. Every effect goes through [`Io`], so the steps are tested natively
//! against a fake with its own clock.
//!
//! Redis is not optional: without it the application-wide limit cannot hold, so a lookup
//! that cannot read the cache or take the slot is `unavailable` and Nominatim is not called.
//! Once an answer is in, a failure to cache it or to set the slot is logged and the answer
//! returned (the slot's lease still bounds how soon the next request goes).

use std::time::Duration;

use outbound::{Answer, Failure};

use crate::config::Config;
use crate::keys::{INTERVAL, MAX_COOLDOWN, SLOT_LEASE};
use crate::limiter::{Step, next_step};
use crate::lookup::Lookup;
use crate::{Error, Place};

/// Tries of a request whose connection broke or that got a 502, 503 or 504, each after a slot
/// of its own (a timeout is not tried again: it has cost its caller long enough).
const MAX_TRIES: u32 = 2;

/// The longest excerpt of an error body quoted in an error.
const MAX_QUOTE: usize = 200;

/// Everything a lookup does outside itself.
pub trait Io {
    /// The answer cached under `key`, if any.
    fn cached(&mut self, key: &str) -> Result<Option<Vec<u8>>, String>;
    /// Caches `answer` under `key` for `ttl`.
    fn cache(&mut self, key: &str, answer: &[u8], ttl: Duration) -> Result<(), String>;
    /// Takes the slot for `lease` if nobody holds it; whether it was taken.
    fn take_slot(&mut self, lease: Duration) -> Result<bool, String>;
    /// How long the slot stays taken; `None` when it is free.
    fn slot_left(&mut self) -> Result<Option<Duration>, String>;
    /// Makes the slot, held by this lookup, expire `after` from now.
    fn hold_slot(&mut self, after: Duration) -> Result<(), String>;
    /// Pauses the lookup.
    fn sleep(&mut self, d: Duration);
    /// Sends one `GET url` with `user_agent`, tried once.
    fn get(&mut self, url: &str, user_agent: &str) -> Result<Answer, Failure>;
}

/// The error of a lookup that has no Redis.
pub fn redis_down(cause: String) -> Error {
    Error::Unavailable(format!(
        "Redis cannot be used ({cause}), and Nominatim is not called without the \
         application-wide limit of one request a second"
    ))
}

/// The places `lookup` finds, best first.
pub fn run(config: &Config, lookup: &Lookup, io: &mut impl Io) -> Result<Vec<Place>, Error> {
    let key = lookup.cache_key();
    if let Some(places) = cached(io, &key)? {
        return Ok(places);
    }
    let url = format!("{}{}", config.nominatim_url, lookup.path_and_query());
    let mut waited = Duration::ZERO;
    let mut failed: Option<Error> = None;
    for _ in 0..MAX_TRIES {
        match acquire(io, &key, &mut waited) {
            Ok(Slot::Taken) => {}
            Ok(Slot::Cached(places)) => return Ok(places),
            // A try again that finds no slot in time reports why it was tried again.
            Err(Error::RateLimited(_)) if failed.is_some() => break,
            Err(e) => return Err(e),
        }
        let outcome = outcome(lookup, &url, io.get(&url, &config.user_agent));
        let hold = match &outcome {
            Outcome::Failed(Error::RateLimited(ms)) => {
                Duration::from_millis(u64::from(*ms)).clamp(INTERVAL, MAX_COOLDOWN)
            }
            _ => INTERVAL,
        };
        if let Err(e) = io.hold_slot(hold) {
            eprintln!(
                "geocoding-nominatim: the slot could not be set to expire ({e}); its lease \
                 of {SLOT_LEASE:?} holds"
            );
        }
        match outcome {
            Outcome::Places(places) => {
                store(io, &key, &places, config.cache_for);
                return Ok(places);
            }
            Outcome::Transient(e) => failed = Some(e),
            Outcome::Failed(e) => return Err(e),
        }
    }
    Err(failed.unwrap_or_else(|| Error::Unavailable("Nominatim could not be asked".into())))
}

/// What waiting for the slot ended with.
enum Slot {
    /// This lookup holds it.
    Taken,
    /// The answer was cached meanwhile (by the request waited for).
    Cached(Vec<Place>),
}

/// Takes the slot, waiting for it at most what the limiter allows over all tries.
fn acquire(io: &mut impl Io, key: &str, waited: &mut Duration) -> Result<Slot, Error> {
    loop {
        if io.take_slot(SLOT_LEASE).map_err(redis_down)? {
            return Ok(Slot::Taken);
        }
        match next_step(io.slot_left().map_err(redis_down)?, *waited) {
            Step::Wait(pause) => {
                io.sleep(pause);
                *waited += pause;
            }
            Step::GiveUp(ms) => return Err(Error::RateLimited(ms)),
        }
        if let Some(places) = cached(io, key)? {
            return Ok(Slot::Cached(places));
        }
    }
}

/// The cached places under `key`; one that cannot be read is a miss (and is overwritten).
fn cached(io: &mut impl Io, key: &str) -> Result<Option<Vec<Place>>, Error> {
    let Some(bytes) = io.cached(key).map_err(redis_down)? else {
        return Ok(None);
    };
    match serde_json::from_slice(&bytes) {
        Ok(places) => Ok(Some(places)),
        Err(e) => {
            eprintln!("geocoding-nominatim: the cached answer {key} is unreadable ({e})");
            Ok(None)
        }
    }
}

fn store(io: &mut impl Io, key: &str, places: &[Place], ttl: Duration) {
    let stored = serde_json::to_vec(places)
        .map_err(|e| e.to_string())
        .and_then(|json| io.cache(key, &json, ttl));
    if let Err(e) = stored {
        eprintln!("geocoding-nominatim: the answer could not be cached under {key} ({e})");
    }
}

/// What one request came to.
#[derive(Debug, PartialEq)]
enum Outcome {
    Places(Vec<Place>),
    /// Worth one more try.
    Transient(Error),
    Failed(Error),
}

/// The message of a Nominatim error body (`{"error": {"message": …}}` or `{"error": "…"}`),
/// or the start of the body.
fn error_message(body: &[u8]) -> String {
    let json = serde_json::from_slice::<serde_json::Value>(body).ok();
    let message = json.as_ref().and_then(|v| {
        v["error"]["message"]
            .as_str()
            .or_else(|| v["error"].as_str())
            .map(str::to_string)
    });
    let text = message.unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    text.chars().take(MAX_QUOTE).collect()
}

fn outcome(lookup: &Lookup, url: &str, sent: Result<Answer, Failure>) -> Outcome {
    let answer = match sent {
        Ok(answer) => answer,
        Err(Failure::Invalid(m)) => return Outcome::Failed(Error::Misconfigured(m)),
        Err(Failure::Timeout(m)) => return Outcome::Failed(Error::Unavailable(m)),
        Err(Failure::Unreachable(m)) => return Outcome::Transient(Error::Unavailable(m)),
    };
    let what = format!("Nominatim (GET {})", outbound::without_query(url));
    let status = answer.status;
    let said = || error_message(&answer.body);
    match status {
        200 => match answer.json().and_then(|v| lookup.read(&v)) {
            Ok(places) => Outcome::Places(places),
            Err(e) => Outcome::Failed(Error::Unavailable(format!("{what}: {e}"))),
        },
        400 => Outcome::Failed(Error::Invalid(format!(
            "{what} refused the query: {}",
            said()
        ))),
        401 | 403 => Outcome::Failed(Error::Misconfigured(format!(
            "{what} refused Souk (HTTP {status}: {}); its usage policy asks for a \
             `nominatim_user_agent` that identifies the application",
            said()
        ))),
        404 => Outcome::Failed(Error::Misconfigured(format!(
            "{what} answered 404: `nominatim_url` is not a Nominatim server"
        ))),
        429 => {
            let ms = answer
                .header("retry-after")
                .and_then(|s| s.trim().parse::<u64>().ok())
                .map_or(INTERVAL, Duration::from_secs)
                .clamp(INTERVAL, MAX_COOLDOWN)
                .as_millis();
            Outcome::Failed(Error::RateLimited(u32::try_from(ms).unwrap_or(u32::MAX)))
        }
        502..=504 => {
            Outcome::Transient(Error::Unavailable(format!("{what} answered HTTP {status}")))
        }
        _ => Outcome::Failed(Error::Unavailable(format!(
            "{what} answered HTTP {status}: {}",
            said()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, VecDeque};

    use super::*;

    const AGENT: &str = "Souk/0.1 (ops@example.com)";
    const MS: fn(u64) -> Duration = Duration::from_millis;

    fn config() -> Config {
        Config {
            nominatim_url: "http://nominatim.test".into(),
            user_agent: AGENT.into(),
            redis_url: "redis://redis.test".into(),
            cache_for: Duration::from_secs(720 * 3600),
        }
    }

    /// Redis and Nominatim, on a clock that moves only when the lookup sleeps.
    #[derive(Default)]
    struct Fake {
        now: Duration,
        redis_down: bool,
        cache: BTreeMap<String, (Vec<u8>, Duration)>,
        slot_until: Option<Duration>,
        /// An answer another instance caches at a moment.
        cached_later: Option<(Duration, String, Vec<u8>)>,
        answers: VecDeque<Result<Answer, Failure>>,
        /// When each request was sent, to which URL, with which agent.
        sent: Vec<(Duration, String, String)>,
    }

    impl Fake {
        fn answering(answers: Vec<Result<Answer, Failure>>) -> Fake {
            Fake {
                answers: answers.into(),
                ..Fake::default()
            }
        }

        fn redis(&self) -> Result<(), String> {
            if self.redis_down {
                Err("connection refused".into())
            } else {
                Ok(())
            }
        }

        fn slot_left(&self) -> Option<Duration> {
            self.slot_until
                .filter(|until| *until > self.now)
                .map(|until| until - self.now)
        }
    }

    impl Io for Fake {
        fn cached(&mut self, key: &str) -> Result<Option<Vec<u8>>, String> {
            self.redis()?;
            Ok(self.cache.get(key).map(|(v, _)| v.clone()))
        }

        fn cache(&mut self, key: &str, answer: &[u8], ttl: Duration) -> Result<(), String> {
            self.redis()?;
            self.cache.insert(key.into(), (answer.to_vec(), ttl));
            Ok(())
        }

        fn take_slot(&mut self, lease: Duration) -> Result<bool, String> {
            self.redis()?;
            if Fake::slot_left(self).is_some() {
                return Ok(false);
            }
            self.slot_until = Some(self.now + lease);
            Ok(true)
        }

        fn slot_left(&mut self) -> Result<Option<Duration>, String> {
            self.redis()?;
            Ok(Fake::slot_left(self))
        }

        fn hold_slot(&mut self, after: Duration) -> Result<(), String> {
            self.redis()?;
            self.slot_until = Some(self.now + after);
            Ok(())
        }

        fn sleep(&mut self, d: Duration) {
            self.now += d;
            if let Some((at, key, value)) = self.cached_later.take() {
                if at <= self.now {
                    self.cache.insert(key, (value, Duration::ZERO));
                } else {
                    self.cached_later = Some((at, key, value));
                }
            }
        }

        fn get(&mut self, url: &str, user_agent: &str) -> Result<Answer, Failure> {
            self.sent.push((self.now, url.into(), user_agent.into()));
            self.answers.pop_front().expect("no request was expected")
        }
    }

    fn answer(status: u16, headers: &[(&str, &str)], body: serde_json::Value) -> Answer {
        Answer {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.to_string().into_bytes(),
        }
    }

    fn found(names: &[&str]) -> Result<Answer, Failure> {
        let places: Vec<serde_json::Value> = names
            .iter()
            .map(|name| {
                serde_json::json!({
                    "lat": "21.0285", "lon": "105.8542", "display_name": name,
                    "address": { "city": "Hà Nội", "country_code": "vn" },
                })
            })
            .collect();
        Ok(answer(200, &[], serde_json::json!(places)))
    }

    fn hanoi() -> Lookup {
        Lookup::search("Hà Nội", &["vn".to_string()], 5, "vi").unwrap()
    }

    #[test]
    fn a_cached_answer_needs_no_slot_and_no_request() {
        let mut io = Fake::answering(vec![found(&["Hà Nội"])]);
        let first = run(&config(), &hanoi(), &mut io).unwrap();
        io.slot_until = Some(io.now + Duration::from_secs(3600));
        let again = run(&config(), &hanoi(), &mut io).unwrap();
        assert_eq!(first, again);
        assert_eq!(io.sent.len(), 1);
        assert_eq!(io.now, Duration::ZERO, "nothing waited");
    }

    #[test]
    fn a_miss_is_fetched_once_with_the_agent_cached_and_holds_the_slot_an_interval() {
        let mut io = Fake::answering(vec![found(&["Hà Nội", "Hà Nội 2"])]);
        let places = run(&config(), &hanoi(), &mut io).unwrap();
        assert_eq!(places.len(), 2);
        assert_eq!(places[0].country_code, "vn");
        let (_, url, agent) = &io.sent[0];
        assert!(
            url.starts_with("http://nominatim.test/search?q=H%C3%A0+N%E1%BB%99i&"),
            "{url}"
        );
        assert_eq!(agent, AGENT);
        let (_, ttl) = &io.cache[&hanoi().cache_key()];
        assert_eq!(*ttl, config().cache_for);
        assert_eq!(io.slot_until, Some(INTERVAL));
    }

    #[test]
    fn an_empty_answer_is_cached_too() {
        let mut io = Fake::answering(vec![found(&[])]);
        assert_eq!(run(&config(), &hanoi(), &mut io).unwrap(), vec![]);
        io.slot_until = None;
        assert_eq!(run(&config(), &hanoi(), &mut io).unwrap(), vec![]);
        assert_eq!(io.sent.len(), 1);
    }

    #[test]
    fn two_misses_in_a_row_are_sent_at_least_an_interval_apart() {
        let mut io = Fake::answering(vec![found(&["a"]), found(&["b"])]);
        run(&config(), &hanoi(), &mut io).unwrap();
        let other = Lookup::forward("Hải Phòng", None, "vi").unwrap();
        run(&config(), &other, &mut io).unwrap();
        assert!(io.sent[1].0 - io.sent[0].0 >= INTERVAL, "{:?}", io.sent);
        assert!(io.sent[1].0 - io.sent[0].0 < INTERVAL + MS(10));
    }

    #[test]
    fn a_slot_held_past_the_budget_is_rate_limited_without_a_request() {
        let mut io = Fake {
            slot_until: Some(Duration::from_secs(25)),
            ..Fake::default()
        };
        assert_eq!(
            run(&config(), &hanoi(), &mut io),
            Err(Error::RateLimited(1000))
        );
        assert!(io.sent.is_empty());
        assert!(io.now <= crate::limiter::MAX_WAIT, "{:?}", io.now);
    }

    #[test]
    fn an_answer_cached_by_the_request_waited_for_is_used_without_a_request() {
        let places = serde_json::to_vec(&[Place {
            display_name: "cached".into(),
            street: None,
            ward: None,
            district: None,
            city: None,
            province: None,
            postcode: None,
            country_code: "vn".into(),
            latitude: 21.0,
            longitude: 105.0,
        }])
        .unwrap();
        let mut io = Fake {
            slot_until: Some(MS(400)),
            cached_later: Some((MS(300), hanoi().cache_key(), places)),
            ..Fake::default()
        };
        let found = run(&config(), &hanoi(), &mut io).unwrap();
        assert_eq!(found[0].display_name, "cached");
        assert!(io.sent.is_empty());
    }

    #[test]
    fn nominatim_is_never_called_when_redis_is_unreachable() {
        let mut io = Fake {
            redis_down: true,
            ..Fake::default()
        };
        match run(&config(), &hanoi(), &mut io) {
            Err(Error::Unavailable(m)) => assert!(m.contains("Redis"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(io.sent.is_empty());
    }

    #[test]
    fn a_429_is_rate_limited_and_holds_the_slot_as_long_as_it_asks() {
        let too_many = |after: &[(&str, &str)]| {
            Ok(answer(
                429,
                after,
                serde_json::json!({ "error": "slow down" }),
            ))
        };
        let mut io = Fake::answering(vec![too_many(&[("Retry-After", "30")])]);
        assert_eq!(
            run(&config(), &hanoi(), &mut io),
            Err(Error::RateLimited(30_000))
        );
        assert_eq!(io.slot_until, Some(Duration::from_secs(30)));
        assert!(io.cache.is_empty());
        let mut io = Fake::answering(vec![too_many(&[])]);
        assert_eq!(
            run(&config(), &hanoi(), &mut io),
            Err(Error::RateLimited(1000))
        );
        assert_eq!(io.sent.len(), 1, "a 429 is not tried again");
    }

    #[test]
    fn a_broken_connection_or_a_503_is_tried_once_more_an_interval_later() {
        let broken = || {
            Err(Failure::Unreachable(
                "GET http://nominatim.test/search: reset".into(),
            ))
        };
        let mut io = Fake::answering(vec![broken(), found(&["Hà Nội"])]);
        assert_eq!(run(&config(), &hanoi(), &mut io).unwrap().len(), 1);
        assert!(io.sent[1].0 - io.sent[0].0 >= INTERVAL);
        let unavailable = || Ok(answer(503, &[], serde_json::json!({})));
        let mut io = Fake::answering(vec![unavailable(), unavailable()]);
        match run(&config(), &hanoi(), &mut io) {
            Err(Error::Unavailable(m)) => assert!(m.contains("503"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(io.sent.len(), 2);
        assert!(io.cache.is_empty(), "failures are not cached");
    }

    #[test]
    fn a_400_is_invalid_a_403_misconfigured_and_a_timeout_unavailable_at_once() {
        let refused = serde_json::json!({ "error": { "code": 400, "message": "bad lat" } });
        let cases = [
            (Ok(answer(400, &[], refused)), "invalid"),
            (Ok(answer(403, &[], serde_json::json!({}))), "misconfigured"),
            (Ok(answer(404, &[], serde_json::json!({}))), "misconfigured"),
            (Ok(answer(500, &[], serde_json::json!({}))), "unavailable"),
            (Err(Failure::Timeout("timed out".into())), "unavailable"),
            (Err(Failure::Invalid("not allowed".into())), "misconfigured"),
            (
                Ok(answer(200, &[], serde_json::json!({ "no": "array" }))),
                "unavailable",
            ),
        ];
        for (sent, expected) in cases {
            let mut io = Fake::answering(vec![sent]);
            let kind = match run(&config(), &hanoi(), &mut io) {
                Err(Error::Invalid(m)) => {
                    assert!(m.contains("bad lat"), "{m}");
                    "invalid"
                }
                Err(Error::Misconfigured(_)) => "misconfigured",
                Err(Error::Unavailable(_)) => "unavailable",
                other => panic!("{other:?}"),
            };
            assert_eq!(kind, expected);
            assert_eq!(io.sent.len(), 1, "{expected}: tried once");
            assert!(io.cache.is_empty());
        }
    }

    #[test]
    fn an_unreadable_cached_answer_is_fetched_again() {
        let mut io = Fake::answering(vec![found(&["Hà Nội"])]);
        io.cache
            .insert(hanoi().cache_key(), (b"not json".to_vec(), Duration::ZERO));
        assert_eq!(run(&config(), &hanoi(), &mut io).unwrap().len(), 1);
        assert_eq!(io.sent.len(), 1);
    }
}
