//! Budget periods: which month, quarter, year (fiscal years start in any month) or custom
//! span contains a given local date.
//!
//! Invariant: periods are inclusive ranges of calendar dates in the ledger's zone; a
//! repeating budget's periods tile time with no gap or overlap, and a budget that starts
//! mid-period still owns that whole period (its spend counts from the period's first day).

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

/// How a budget repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Month,
    Quarter,
    Year,
    Custom,
}

impl std::str::FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Kind, String> {
        Ok(match s {
            "month" => Kind::Month,
            "quarter" => Kind::Quarter,
            "year" => Kind::Year,
            "custom" => Kind::Custom,
            _ => return Err(format!("{s:?}: expected month, quarter, year or custom")),
        })
    }
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Month => "month",
            Kind::Quarter => "quarter",
            Kind::Year => "year",
            Kind::Custom => "custom",
        }
    }
}

/// An inclusive span of dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Span {
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days() + 1
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        d >= self.start && d <= self.end
    }

    /// A label: `2026-Q4` style for calendar-aligned periods is not universal with fiscal
    /// years, so the label is the span itself.
    pub fn label(&self) -> String {
        format!("{}..{}", self.start, self.end)
    }
}

/// The first day of the `months`-long period that contains `date`, for periods aligned
/// to `anchor_month` (1-12).
fn aligned_start(date: NaiveDate, months: u32, anchor_month: u32) -> NaiveDate {
    let index = date.year() as i64 * 12 + date.month0() as i64; // months since year 0
    let offset = (index - (anchor_month as i64 - 1)).rem_euclid(months as i64);
    let start = index - offset;
    NaiveDate::from_ymd_opt(start.div_euclid(12) as i32, start.rem_euclid(12) as u32 + 1, 1).expect("valid date")
}

/// The period of `kind` containing `date`. Quarters and years align to
/// `fiscal_year_start` (1 = January); a custom period is `custom` itself.
pub fn containing(kind: Kind, date: NaiveDate, fiscal_year_start: u32, custom: Option<Span>) -> Option<Span> {
    let months = match kind {
        Kind::Month => 1,
        Kind::Quarter => 3,
        Kind::Year => 12,
        Kind::Custom => return custom,
    };
    let anchor = if kind == Kind::Month { 1 } else { fiscal_year_start.clamp(1, 12) };
    let start = aligned_start(date, months, anchor);
    let end = start.checked_add_months(Months::new(months)).and_then(|d| d.pred_opt()).expect("valid date");
    Some(Span { start, end })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn span(kind: Kind, date: &str, fy: u32) -> (String, String) {
        let s = containing(kind, d(date), fy, None).unwrap();
        (s.start.to_string(), s.end.to_string())
    }

    #[test]
    fn calendar_periods() {
        assert_eq!(span(Kind::Month, "2024-02-10", 1), ("2024-02-01".into(), "2024-02-29".into()));
        assert_eq!(span(Kind::Month, "2025-02-28", 1), ("2025-02-01".into(), "2025-02-28".into()));
        assert_eq!(span(Kind::Quarter, "2026-11-27", 1), ("2026-10-01".into(), "2026-12-31".into()));
        assert_eq!(span(Kind::Quarter, "2026-01-01", 1), ("2026-01-01".into(), "2026-03-31".into()));
        assert_eq!(span(Kind::Year, "2026-12-31", 1), ("2026-01-01".into(), "2026-12-31".into()));
    }

    #[test]
    fn fiscal_years_start_in_any_month() {
        // A fiscal year starting in April: Q1 = Apr-Jun, and January is in Q4 of the year
        // that started the April before.
        assert_eq!(span(Kind::Year, "2026-01-15", 4), ("2025-04-01".into(), "2026-03-31".into()));
        assert_eq!(span(Kind::Year, "2026-04-01", 4), ("2026-04-01".into(), "2027-03-31".into()));
        assert_eq!(span(Kind::Quarter, "2026-01-15", 4), ("2026-01-01".into(), "2026-03-31".into()));
        assert_eq!(span(Kind::Quarter, "2026-05-15", 4), ("2026-04-01".into(), "2026-06-30".into()));
        // February-start fiscal years: quarters Feb-Apr, May-Jul, Aug-Oct, Nov-Jan.
        assert_eq!(span(Kind::Quarter, "2026-01-20", 2), ("2025-11-01".into(), "2026-01-31".into()));
        assert_eq!(span(Kind::Year, "2024-02-29", 2), ("2024-02-01".into(), "2025-01-31".into()));
        // Months ignore the fiscal start.
        assert_eq!(span(Kind::Month, "2026-01-20", 4), ("2026-01-01".into(), "2026-01-31".into()));
    }

    #[test]
    fn periods_tile_without_gaps() {
        for fy in 1..=12 {
            for kind in [Kind::Month, Kind::Quarter, Kind::Year] {
                let mut date = d("2023-12-01");
                let mut prev: Option<Span> = None;
                while date < d("2026-03-01") {
                    let s = containing(kind, date, fy, None).unwrap();
                    assert!(s.contains(date));
                    if let Some(p) = prev {
                        assert!(s == p || s.start == p.end.succ_opt().unwrap(), "{kind:?} fy {fy} {p:?} {s:?}");
                    }
                    prev = Some(s);
                    date = date.succ_opt().unwrap();
                }
            }
        }
    }

    #[test]
    fn custom_is_its_span() {
        let c = Span { start: d("2026-11-15"), end: d("2027-02-14") };
        assert_eq!(containing(Kind::Custom, d("2026-12-01"), 1, Some(c)), Some(c));
        assert_eq!(c.days(), 92);
    }
}
