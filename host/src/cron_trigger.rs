//! The cron trigger, in the trigger-cron plugin's shape: `cron_expression` has six fields,
//! seconds first (`sec min hour day-of-month month day-of-week`), evaluated in UTC. Each tick
//! runs a fresh instance's `handle-cron-event`.
//!
//! Souk itself does not depend on this trigger (it is an experimental Spin plugin that
//! SpinKube does not run); the host supports it so that apps using it can be run and tested.

use std::sync::Arc;

use anyhow::{Context, bail};
use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};

use crate::app::App;
use crate::host_log;
use crate::spin::bindings::cron_trigger::fermyon::spin_cron::cron_types::CronMetadata;

/// A parsed six-field cron expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    seconds: Vec<u32>,
    minutes: Vec<u32>,
    hours: Vec<u32>,
    days: Vec<u32>,
    months: Vec<u32>,
    weekdays: Vec<u32>,
}

/// How far ahead `next_after` looks before deciding a schedule never fires (e.g. 30 February).
const HORIZON_DAYS: i64 = 366 * 5;

fn field(text: &str, min: u32, max: u32, names: &[&str]) -> anyhow::Result<Vec<u32>> {
    let value = |s: &str| -> anyhow::Result<u32> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
            return Ok(min + u32::try_from(i)?);
        }
        let v: u32 = s
            .parse()
            .with_context(|| format!("`{s}` is not a number"))?;
        // Day-of-week 7 is Sunday, like 0.
        let v = if max == 6 && v == 7 { 0 } else { v };
        if v < min || v > max {
            bail!("{v} is outside {min}..={max}");
        }
        Ok(v)
    };
    let mut out = Vec::new();
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<u32>()
                    .ok()
                    .filter(|s| *s > 0)
                    .with_context(|| format!("bad step in `{part}`"))?,
            ),
            None => (part, 1),
        };
        let (lo, hi) = match range {
            "*" | "?" => (min, max),
            r => match r.split_once('-') {
                Some((a, b)) => (value(a)?, value(b)?),
                None if step > 1 => (value(r)?, max),
                None => (value(r)?, value(r)?),
            },
        };
        if lo > hi {
            bail!("range `{range}` runs backwards");
        }
        out.extend((lo..=hi).step_by(step as usize));
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

impl Schedule {
    /// Parses `sec min hour day-of-month month day-of-week`.
    pub fn parse(expr: &str) -> anyhow::Result<Schedule> {
        let f: Vec<&str> = expr.split_whitespace().collect();
        if f.len() != 6 {
            bail!(
                "cron_expression `{expr}` must have 6 fields (sec min hour day month weekday), \
                 found {}",
                f.len()
            );
        }
        const MONTHS: [&str; 12] = [
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ];
        const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
        let ctx = |name: &str| format!("cron_expression `{expr}`: {name} field");
        Ok(Schedule {
            seconds: field(f[0], 0, 59, &[]).with_context(|| ctx("seconds"))?,
            minutes: field(f[1], 0, 59, &[]).with_context(|| ctx("minutes"))?,
            hours: field(f[2], 0, 23, &[]).with_context(|| ctx("hours"))?,
            days: field(f[3], 1, 31, &[]).with_context(|| ctx("day-of-month"))?,
            months: field(f[4], 1, 12, &MONTHS).with_context(|| ctx("month"))?,
            weekdays: field(f[5], 0, 6, &DAYS).with_context(|| ctx("day-of-week"))?,
        })
    }

    /// The first time strictly after `after` that the schedule fires.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let start = after.date_naive();
        for offset in 0..HORIZON_DAYS {
            let date = start + Duration::days(offset);
            if !self.months.contains(&date.month())
                || !self.days.contains(&date.day())
                || !self
                    .weekdays
                    .contains(&date.weekday().num_days_from_sunday())
            {
                continue;
            }
            for &h in &self.hours {
                for &m in &self.minutes {
                    for &s in &self.seconds {
                        let t = Utc.from_utc_datetime(&date.and_hms_opt(h, m, s)?);
                        if t > after {
                            return Some(t);
                        }
                    }
                }
            }
        }
        None
    }
}

/// Starts one timer task per cron job.
pub fn start(app: &Arc<App>) {
    for job in &app.cron_jobs {
        let app = app.clone();
        let job = job.clone();
        tokio::spawn(async move {
            while let Some(next) = job.schedule.next_after(Utc::now()) {
                let wait = (next - Utc::now()).to_std().unwrap_or_default();
                tokio::time::sleep(wait).await;
                let started = std::time::Instant::now();
                let outcome = match app.handle_cron(&job.component, next).await {
                    Ok(()) => "ok".to_string(),
                    Err(e) => format!("failed: {e:#}"),
                };
                host_log!(
                    "CRON {} {outcome} {}ms",
                    job.component,
                    started.elapsed().as_millis()
                );
            }
            host_log!("cron job for {} never fires again", job.component);
        });
    }
}

impl App {
    /// Runs component `id`'s cron handler for the tick at `at`.
    pub async fn handle_cron(self: &Arc<Self>, id: &str, at: DateTime<Utc>) -> anyhow::Result<()> {
        let component = self
            .components
            .get(id)
            .ok_or_else(|| anyhow::anyhow!("no component `{id}`"))?
            .clone();
        let pre = component
            .cron
            .clone()
            .ok_or_else(|| anyhow::anyhow!("component `{id}` has no cron handler"))?;
        let mut store = self.store(&component, false)?;
        let metadata = CronMetadata {
            timestamp: u64::try_from(at.timestamp()).unwrap_or_default(),
        };
        let run = async {
            let instance = pre.instantiate_async(&mut store).await?;
            instance.call_handle_cron_event(&mut store, metadata).await
        };
        match tokio::time::timeout(self.request_timeout, run).await {
            Err(_) => bail!("ran past the {}s limit", self.request_timeout.as_secs()),
            Ok(Err(trap)) => Err(anyhow::anyhow!("trapped: {trap:#}")),
            Ok(Ok(Err(e))) => bail!("handler returned {e:?}"),
            Ok(Ok(Ok(()))) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn every_five_seconds_fires_on_the_next_multiple() {
        let s = Schedule::parse("*/5 * * * * *").unwrap();
        assert_eq!(
            s.next_after(at("2026-01-01T00:00:03Z")),
            Some(at("2026-01-01T00:00:05Z"))
        );
        assert_eq!(
            s.next_after(at("2026-01-01T00:00:05Z")),
            Some(at("2026-01-01T00:00:10Z"))
        );
    }

    #[test]
    fn named_days_and_months_work() {
        let s = Schedule::parse("0 30 9 * jan mon").unwrap();
        // 2026-01-05 is a Monday.
        assert_eq!(
            s.next_after(at("2026-01-01T00:00:00Z")),
            Some(at("2026-01-05T09:30:00Z"))
        );
    }

    #[test]
    fn impossible_dates_never_fire() {
        let s = Schedule::parse("0 0 0 30 2 *").unwrap();
        assert_eq!(s.next_after(at("2026-01-01T00:00:00Z")), None);
    }

    #[test]
    fn malformed_expressions_are_refused() {
        for bad in [
            "* * * * *",
            "60 * * * * *",
            "*/0 * * * * *",
            "5-1 * * * * *",
            "x * * * * *",
        ] {
            assert!(Schedule::parse(bad).is_err(), "{bad}");
        }
    }
}
