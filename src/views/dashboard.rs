//! The dashboard's numbers: totals for today, this week, this month and all time, and the
//! all-time split by model, all from [`report`] in the ledger's zone.
//!
//! Money stays an exact decimal string (`cost_usd`) all the way to the UI, which formats
//! it without going through a float for the sum.

use chrono::{Datelike, Duration, NaiveDate};
use chrono_tz::Tz;
use serde::Serialize;

use crate::error::Result;
use crate::ledger::Ledger;
use crate::report::{report, By, Filter, Row};

/// Totals of one period.
#[derive(Debug, Clone, Serialize)]
pub struct Period {
    /// `today`, `week`, `month` or `all`.
    pub key: &'static str,
    /// First day covered, `YYYY-MM-DD` (`None` for all time).
    pub since: Option<String>,
    pub totals: Row,
}

/// What the dashboard shows.
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    /// The ledger's zone, in which days, weeks and months are counted.
    pub tz: String,
    /// Today's date in that zone, `YYYY-MM-DD`.
    pub today: String,
    pub periods: Vec<Period>,
    /// All time, one row per model, most expensive first.
    pub by_model: Vec<Row>,
}

/// Monday of `d`'s ISO week.
pub fn week_start(d: NaiveDate) -> NaiveDate {
    d - Duration::days(d.weekday().num_days_from_monday().into())
}

/// The first of `d`'s month.
pub fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).expect("day 1 exists in every month")
}

/// Totals from `since` (inclusive) through `today`, or of everything.
pub fn totals(ledger: &Ledger, tz: Tz, since: Option<NaiveDate>, today: NaiveDate) -> Result<Row> {
    let filter = Filter { since, until: since.map(|_| today), ..Filter::default() };
    Ok(report(ledger, By::Month, &filter, tz)?.totals)
}

/// The periods the dashboard totals, with their first day as of `today`.
pub fn periods(today: NaiveDate) -> [(&'static str, Option<NaiveDate>); 4] {
    [("today", Some(today)), ("week", Some(week_start(today))), ("month", Some(month_start(today))), ("all", None)]
}

/// The dashboard as of `today` (a date in the ledger's zone).
pub fn dashboard(ledger: &Ledger, today: NaiveDate) -> Result<Dashboard> {
    let tz = ledger.tz()?;
    let mut out = Vec::new();
    for (key, since) in periods(today) {
        out.push(Period { key, since: since.map(|d| d.to_string()), totals: totals(ledger, tz, since, today)? });
    }
    let mut by_model = report(ledger, By::Model, &Filter::default(), tz)?.rows;
    // Costs are exact decimals with the same number of places, so comparing them as
    // (length, text) would work too; parsing keeps the intent plain.
    by_model.sort_by_key(|r| std::cmp::Reverse(nanos(&r.cost_usd)));
    Ok(Dashboard { tz: tz.name().to_string(), today: today.to_string(), periods: out, by_model })
}

/// The dashboard as of today in the ledger's zone.
pub fn dashboard_now(ledger: &Ledger) -> Result<Dashboard> {
    dashboard(ledger, crate::timezone::today(ledger.tz()?))
}

/// This month's spend through `today`, rounded to cents, and how many events have no price.
pub fn month_spend(ledger: &Ledger, today: NaiveDate) -> Result<(String, i64)> {
    let tz = ledger.tz()?;
    let row = totals(ledger, tz, Some(month_start(today)), today)?;
    let usd = crate::money::Usd(nanos(&row.cost_usd));
    Ok((usd.round_to(2), row.unpriced_events))
}

pub(crate) fn nanos(decimal: &str) -> i64 {
    crate::money::Usd::parse(decimal).map(|u| u.nanos()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::testing::{ledger_with, Ev};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(); // a Friday
        assert_eq!(week_start(d), NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        assert_eq!(month_start(d), NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
        let monday = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(week_start(monday), monday);
    }

    #[test]
    fn periods_are_counted_in_the_ledgers_zone() {
        // 2026-11-27 (a Friday) 23:30 UTC is already Saturday the 28th in Tokyo.
        let (_dir, l) = ledger_with(
            chrono_tz::Asia::Tokyo,
            &[
                Ev { at: "2026-11-27T23:30:00Z", model: "claude-sonnet-4-20250514", input: 1_000_000, output: 0 },
                Ev { at: "2026-11-26T10:00:00Z", model: "claude-sonnet-4-20250514", input: 2_000_000, output: 0 },
                Ev { at: "2026-10-31T16:00:00Z", model: "claude-3-5-haiku-20241022", input: 1_000_000, output: 0 },
            ],
        );
        let dash = dashboard(&l, d("2026-11-28")).unwrap();
        assert_eq!((dash.tz.as_str(), dash.today.as_str()), ("Asia/Tokyo", "2026-11-28"));
        let tokens: Vec<(&str, Option<&str>, i64)> =
            dash.periods.iter().map(|p| (p.key, p.since.as_deref(), p.totals.input_tokens)).collect();
        assert_eq!(
            tokens,
            [
                ("today", Some("2026-11-28"), 1_000_000),
                ("week", Some("2026-11-23"), 3_000_000),
                // 2026-10-31 16:00 UTC is Nov 1 01:00 in Tokyo: this month.
                ("month", Some("2026-11-01"), 4_000_000),
                ("all", None, 4_000_000),
            ]
        );
        let models: Vec<&str> = dash.by_model.iter().map(|r| r.key.as_deref().unwrap()).collect();
        assert_eq!(models, ["claude-sonnet-4-20250514", "claude-3-5-haiku-20241022"], "most expensive first");
        let (usd, unpriced) = month_spend(&l, d("2026-11-28")).unwrap();
        assert_eq!(unpriced, 0);
        assert_eq!(usd, crate::money::Usd(nanos(&dash.periods[2].totals.cost_usd)).round_to(2));
    }
}
