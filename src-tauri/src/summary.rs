//! The dashboard's numbers: totals for today, this week, this month and all time, and the
//! all-time split by model, all from [`tokenburn::report::report`] in the ledger's zone.
//!
//! Kept free of Tauri so the tray and the dashboard command share it and tests can call
//! it directly. Money stays an exact decimal string (`cost_usd`) all the way to the UI,
//! which formats it without going through a float for the sum.

use chrono::{Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use tokenburn::error::Result;
use tokenburn::ledger::Ledger;
use tokenburn::report::{report, By, Filter, Row};

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

/// Today's date in the ledger's zone.
pub fn today(tz: Tz) -> NaiveDate {
    Utc::now().with_timezone(&tz).date_naive()
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

/// The dashboard as of `today` (a date in the ledger's zone).
pub fn dashboard(ledger: &Ledger, today: NaiveDate) -> Result<Dashboard> {
    let tz = ledger.tz()?;
    let mut periods = Vec::new();
    for (key, since) in
        [("today", Some(today)), ("week", Some(week_start(today))), ("month", Some(month_start(today))), ("all", None)]
    {
        periods.push(Period { key, since: since.map(|d| d.to_string()), totals: totals(ledger, tz, since, today)? });
    }
    let mut by_model = report(ledger, By::Model, &Filter::default(), tz)?.rows;
    // Costs are exact decimals with the same number of places, so comparing them as
    // (length, text) would work too; parsing keeps the intent plain.
    by_model.sort_by_key(|r| std::cmp::Reverse(nanos(&r.cost_usd)));
    Ok(Dashboard { tz: tz.name().to_string(), today: today.to_string(), periods, by_model })
}

/// This month's spend so far, rounded to cents, and how many events have no price.
pub fn month_spend(ledger: &Ledger) -> Result<(String, i64)> {
    let tz = ledger.tz()?;
    let today = today(tz);
    let row = totals(ledger, tz, Some(month_start(today)), today)?;
    let usd = tokenburn::money::Usd(nanos(&row.cost_usd));
    Ok((usd.round_to(2), row.unpriced_events))
}

fn nanos(decimal: &str) -> i64 {
    tokenburn::money::Usd::parse(decimal).map(|u| u.nanos()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(); // a Friday
        assert_eq!(week_start(d), NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        assert_eq!(month_start(d), NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
        let monday = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(week_start(monday), monday);
    }
}
