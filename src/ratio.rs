//! Compensation ratio: token spend as a share of pay, year to date, quarter to date and
//! over the trailing 365 days, with the projected year-end ratio as a band.
//!
//! Huang's 50% ("a $500k engineer should consume $250k of tokens a year") is shown as a
//! reference, not a default target. Pay is prorated per calendar day from a history of
//! changes (each `comp set` holds from its day until the next); years are fiscal years
//! (`fiscal_year_start`). Pay is USD only: spend is USD and no exchange rates are stored.

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use rusqlite::Connection;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::forecast::{self, ForecastInput, ForecastOptions};
use crate::ledger::queries::comp::{self, CompRow};
use crate::ledger::Ledger;
use crate::money::{div_round_half_even, Usd, NANOS_PER_USD};
use crate::period::{self, Kind, Span};
use crate::report;

/// Huang's reference ratio.
pub const HUANG: f64 = 0.5;

/// One compensation entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comp {
    pub from: NaiveDate,
    #[serde(serialize_with = "usd_text")]
    pub annual: Usd,
    pub currency: String,
    /// The ratio the user aims for (below it: "under target").
    pub target_ratio: Option<String>,
    /// The ratio the user does not want to exceed (above it: "over cap").
    pub cap_ratio: Option<String>,
}

fn usd_text<S: serde::Serializer>(u: &Usd, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&u.to_string())
}

fn ratio_value(text: &Option<String>) -> Option<f64> {
    text.as_deref().and_then(|t| t.parse::<f64>().ok())
}

fn check_ratio(what: &'static str, text: &Option<String>) -> Result<()> {
    match text {
        Some(t) if !t.parse::<f64>().is_ok_and(|v| v > 0.0 && v <= 10.0) => {
            Err(Error::invalid(what, t, "a ratio such as 0.5 (between 0 and 10)"))
        }
        _ => Ok(()),
    }
}

/// Stores a compensation entry; a target or cap not given carries over from the entry in
/// force before it.
pub fn set(conn: &Connection, c: &Comp) -> Result<()> {
    let mut c = c.clone();
    if let Some(prev) = in_force(&history(conn)?, c.from) {
        c.target_ratio = c.target_ratio.or_else(|| prev.target_ratio.clone());
        c.cap_ratio = c.cap_ratio.or_else(|| prev.cap_ratio.clone());
    }
    if c.currency != "USD" {
        return Err(Error::invalid(
            "--currency",
            &c.currency,
            "only USD is supported (token spend is in USD and Tokenburn stores no exchange rates)",
        ));
    }
    if c.annual.nanos() <= 0 {
        return Err(Error::invalid("--annual", c.annual, "must be positive"));
    }
    check_ratio("--target-ratio", &c.target_ratio)?;
    check_ratio("--cap-ratio", &c.cap_ratio)?;
    comp::upsert(
        conn,
        &CompRow {
            from_day: c.from.to_string(),
            annual_nanos: c.annual.nanos(),
            currency: c.currency,
            target_ratio: c.target_ratio,
            cap_ratio: c.cap_ratio,
        },
    )
}

/// The pay history, oldest first.
pub fn history(conn: &Connection) -> Result<Vec<Comp>> {
    Ok(comp::all(conn)?
        .into_iter()
        .map(|r| Comp {
            from: crate::timezone::parse_date(&r.from_day).unwrap_or(NaiveDate::MIN),
            annual: Usd(r.annual_nanos),
            currency: r.currency,
            target_ratio: r.target_ratio,
            cap_ratio: r.cap_ratio,
        })
        .collect())
}

/// The entry in force on `d`.
fn in_force(history: &[Comp], d: NaiveDate) -> Option<&Comp> {
    history.iter().rev().find(|c| c.from <= d)
}

fn year_len(d: NaiveDate) -> i64 {
    if NaiveDate::from_ymd_opt(d.year(), 2, 29).is_some() {
        366
    } else {
        365
    }
}

/// Pay over `[a, b]`: each day earns its year's pay / the days of its calendar year.
pub fn prorated(history: &[Comp], a: NaiveDate, b: NaiveDate) -> Usd {
    // Sum exact fractions per (annual, year length), rounding once each.
    let mut parts: std::collections::BTreeMap<(i64, i64), i64> = Default::default();
    let mut d = a;
    while d <= b {
        if let Some(c) = in_force(history, d) {
            *parts.entry((c.annual.nanos(), year_len(d))).or_default() += 1;
        }
        d = d.succ_opt().expect("date in range");
    }
    Usd(parts
        .iter()
        .map(|((annual, len), n)| div_round_half_even(*annual as i128 * *n as i128, *len as i128) as i64)
        .sum())
}

/// Spend against pay over one window.
#[derive(Debug, Clone, Serialize)]
pub struct Window {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub spend_usd: String,
    pub pay_usd: String,
    /// spend / pay (e.g. 0.123 = 12.3%); None without pay in the window.
    pub ratio: Option<f64>,
    pub tokens: i64,
    /// Tokens per dollar of pay.
    pub tokens_per_pay_dollar: Option<f64>,
}

/// The compensation view.
#[derive(Debug, Clone, Serialize)]
pub struct CompStatus {
    pub as_of: NaiveDate,
    pub annual_usd: String,
    pub year: Span,
    pub year_to_date: Window,
    pub quarter_to_date: Window,
    pub trailing_365: Window,
    pub target_ratio: Option<f64>,
    pub cap_ratio: Option<f64>,
    /// Huang's 50%, for reference.
    pub reference_ratio: f64,
    /// Year-to-date ratio / target (1.0 = on pace).
    pub pace_vs_target: Option<f64>,
    /// Projected ratio at the end of the (fiscal) year: P10, P50, P90.
    pub projected_year_end: [f64; 3],
    pub over_cap: bool,
    pub under_target: bool,
    pub early_estimate: bool,
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The ratio view on local date `at`, or None when no pay was set.
pub fn status(ledger: &Ledger, at: NaiveDate, tz: Tz, fiscal_year_start: u32) -> Result<Option<CompStatus>> {
    let hist = history(ledger.conn())?;
    let Some(current) = in_force(&hist, at).cloned() else { return Ok(None) };
    let year = period::containing(Kind::Year, at, fiscal_year_start, None).expect("years always exist");
    let quarter = period::containing(Kind::Quarter, at, fiscal_year_start, None).expect("quarters always exist");
    let t365 = at - chrono::Duration::days(364);
    let history_from = year.start - chrono::Duration::days(forecast::DEFAULT_HISTORY_DAYS as i64);
    let from = history_from.min(t365);
    let days = report::daily(ledger, tz, from, at, &|_, _, _| true)?;
    let window = |a: NaiveDate, b: NaiveDate| {
        let (mut spend, mut tokens) = (Usd::ZERO, 0);
        for (_, s) in days.range(a..=b) {
            spend += s.spend();
            tokens += s.tokens.total();
        }
        let pay = prorated(&hist, a, b);
        let ratio = (pay.nanos() > 0).then(|| round3(spend.nanos() as f64 / pay.nanos() as f64));
        let per = (pay.nanos() > 0).then(|| (tokens as f64 / (pay.nanos() as f64 / NANOS_PER_USD as f64)).round());
        Window {
            from: a,
            to: b,
            spend_usd: spend.round_to(2),
            pay_usd: pay.round_to(2),
            ratio,
            tokens,
            tokens_per_pay_dollar: per,
        }
    };
    let ytd = window(year.start, at);
    // Projected year-end spend from the forecast engine (budget out of reach: only the
    // spend band is used), over the pay of the whole year.
    let as_f64 = |d: NaiveDate| days.get(&d).map_or(0.0, |s| s.spend().nanos() as f64 / NANOS_PER_USD as f64);
    let hist_days: Vec<f64> = (0..forecast::DEFAULT_HISTORY_DAYS as i64)
        .rev()
        .map(|k| as_f64(year.start - chrono::Duration::days(k + 1)))
        .collect();
    let period: Vec<f64> =
        (0..=(at - year.start).num_days()).map(|k| as_f64(year.start + chrono::Duration::days(k))).collect();
    let f = forecast::forecast(&ForecastInput {
        history: &hist_days,
        period: &period,
        period_start: year.start,
        period_end: year.end,
        horizon_end: year.end,
        budget: 1e18,
        options: ForecastOptions::default(),
    });
    let year_pay = prorated(&hist, year.start, year.end).nanos() as f64 / NANOS_PER_USD as f64;
    let proj = |x: f64| if year_pay > 0.0 { round3(x / year_pay) } else { 0.0 };
    let projected = [proj(f.spend_at_end.p10), proj(f.spend_at_end.p50), proj(f.spend_at_end.p90)];
    let target = ratio_value(&current.target_ratio);
    let cap = ratio_value(&current.cap_ratio);
    Ok(Some(CompStatus {
        as_of: at,
        annual_usd: current.annual.round_to(2),
        year,
        pace_vs_target: target.and_then(|t| ytd.ratio.map(|r| round3(r / t))),
        over_cap: cap.is_some_and(|c| ytd.ratio.is_some_and(|r| r > c)),
        under_target: target.is_some_and(|t| projected[1] < t),
        year_to_date: ytd,
        quarter_to_date: window(quarter.start, at),
        trailing_365: window(t365, at),
        target_ratio: target,
        cap_ratio: cap,
        reference_ratio: HUANG,
        projected_year_end: projected,
        early_estimate: f.early_estimate,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn pay_is_prorated_per_day_through_changes_and_leap_years() {
        let h = vec![
            Comp {
                from: d("2024-01-01"),
                annual: Usd::parse("366000").unwrap(),
                currency: "USD".into(),
                target_ratio: None,
                cap_ratio: None,
            },
            Comp {
                from: d("2024-07-01"),
                annual: Usd::parse("732000").unwrap(),
                currency: "USD".into(),
                target_ratio: None,
                cap_ratio: None,
            },
        ];
        // 2024 is a leap year: $1,000 a day in the first half, $2,000 in the second.
        assert_eq!(prorated(&h, d("2024-01-01"), d("2024-01-31")), Usd::parse("31000").unwrap());
        assert_eq!(prorated(&h, d("2024-06-30"), d("2024-07-01")), Usd::parse("3000").unwrap());
        assert_eq!(prorated(&h, d("2023-12-01"), d("2023-12-31")), Usd(0));
        // A whole year of a constant salary is that salary.
        let one = vec![Comp {
            from: d("2020-01-01"),
            annual: Usd::parse("500000").unwrap(),
            currency: "USD".into(),
            target_ratio: None,
            cap_ratio: None,
        }];
        assert_eq!(prorated(&one, d("2025-01-01"), d("2025-12-31")), Usd::parse("500000").unwrap());
    }
}
