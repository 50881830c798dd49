//! The ledger's time zone: parsing IANA names, the system default, and turning UTC
//! instants into local calendar days (CONVENTIONS rules 2 and 8).
//!
//! Invariant: instants are stored as UTC epoch milliseconds; a day is only ever computed
//! here, at query time, so changing the zone re-buckets everything without touching data.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// A zone name that is not in the IANA database.
#[derive(Debug, thiserror::Error)]
#[error("unknown time zone {0:?} (use an IANA name such as Europe/Berlin or UTC)")]
pub struct UnknownZone(pub String);

pub fn parse_tz(name: &str) -> Result<Tz, UnknownZone> {
    name.trim().parse::<Tz>().map_err(|_| UnknownZone(name.to_string()))
}

/// The machine's zone, falling back to UTC when it cannot be read or is not an IANA name.
pub fn system_tz() -> Tz {
    if let Ok(name) = std::env::var("TZ") {
        if let Ok(tz) = parse_tz(name.trim_start_matches(':')) {
            return tz;
        }
    }
    iana_time_zone::get_timezone().ok().and_then(|n| parse_tz(&n).ok()).unwrap_or(Tz::UTC)
}

/// The calendar date of an instant in `tz`.
pub fn local_date(tz: Tz, ts_ms: i64) -> NaiveDate {
    match DateTime::<Utc>::from_timestamp_millis(ts_ms) {
        Some(t) => t.with_timezone(&tz).date_naive(),
        None => NaiveDate::MIN,
    }
}

/// Today: the calendar date of now in `tz`, the ledger's zone (or `--tz`). The one
/// definition every command, report and view uses; nothing below the callers reads the
/// clock for a date.
pub fn today(tz: Tz) -> NaiveDate {
    local_date(tz, Utc::now().timestamp_millis())
}

/// The first instant (epoch ms) of `date` in `tz`. Where midnight does not exist (a DST
/// jump at 00:00) the day starts at the first local time that does.
pub fn day_start_ms(tz: Tz, date: NaiveDate) -> i64 {
    let mut t = date.and_time(NaiveTime::MIN);
    for _ in 0..(4 * 24) {
        if let Some(dt) = tz.from_local_datetime(&t).earliest() {
            return dt.timestamp_millis();
        }
        t += Duration::minutes(15);
    }
    Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)).timestamp_millis()
}

/// ISO week label `YYYY-Www` (Monday start).
pub fn iso_week(date: NaiveDate) -> String {
    let w = date.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

/// Month label `YYYY-MM`.
pub fn month(date: NaiveDate) -> String {
    format!("{}-{:02}", date.year(), date.month())
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// Parses an RFC 3339 instant ("2025-06-08T10:47:08.123Z", "+00:00" offsets) to epoch ms.
pub fn parse_instant_ms(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s.trim()).ok().map(|d| d.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_across_midnight_and_dst() {
        let berlin = parse_tz("Europe/Berlin").unwrap();
        // 2025-03-29T23:30Z is 00:30 CET on March 30, the day clocks jump to CEST.
        let t = parse_instant_ms("2025-03-29T23:30:00Z").unwrap();
        assert_eq!(local_date(berlin, t), parse_date("2025-03-30").unwrap());
        assert_eq!(local_date(Tz::UTC, t), parse_date("2025-03-29").unwrap());
        // That day is 23 hours long.
        let d = parse_date("2025-03-30").unwrap();
        let len = day_start_ms(berlin, d.succ_opt().unwrap()) - day_start_ms(berlin, d);
        assert_eq!(len, 23 * 3_600_000);
    }

    #[test]
    fn midnight_that_does_not_exist() {
        // Santiago skipped 00:00-01:00 on 2022-09-11.
        let scl = parse_tz("America/Santiago").unwrap();
        let d = parse_date("2022-09-11").unwrap();
        let start = day_start_ms(scl, d);
        assert_eq!(local_date(scl, start), d);
        assert_eq!(local_date(scl, start - 1), d.pred_opt().unwrap());
    }

    #[test]
    fn today_is_the_date_in_the_zone() {
        // Kiritimati (UTC+14) is 25 hours ahead of Niue (UTC-11): never on the same date.
        let (east, west) = (parse_tz("Pacific/Kiritimati").unwrap(), parse_tz("Pacific/Niue").unwrap());
        let before = Utc::now().timestamp_millis();
        let (e, w) = (today(east), today(west));
        let after = Utc::now().timestamp_millis();
        if local_date(east, before) == local_date(east, after) && local_date(west, before) == local_date(west, after) {
            assert_eq!(e, local_date(east, before));
            assert_eq!(w, local_date(west, before));
            assert!(matches!((e - w).num_days(), 1 | 2), "{e} in UTC+14, {w} in UTC-11");
        }
    }

    #[test]
    fn labels() {
        let d = parse_date("2025-12-29").unwrap();
        assert_eq!(iso_week(d), "2026-W01");
        assert_eq!(month(d), "2025-12");
        assert!(parse_tz("Mars/Olympus").is_err());
    }
}
