//! Daily series from a CSV file, and the one function that turns a series plus a request
//! (budget, start, as-of, end) into a forecast. `tokenburn forecast --series` and the
//! backtest both go through [`forecast_series`], so the backtest measures exactly what
//! users run.
//!
//! CSV rules: a header row naming a `date` column (YYYY-MM-DD) and the amount column; any
//! order of rows; a day missing from the file is zero, and so is an empty cell. Amounts are
//! plain decimals (`12`, `0.010099`, `12345.0`, `1.5e3`). A malformed row is an error naming
//! the file, line and column: a forecast on silently dropped rows would mislead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{Months, NaiveDate};

use super::{add_days, default_horizon_end, Forecast, ForecastInput, ForecastOptions, Params};

/// A contiguous run of daily amounts starting at `first`; missing days are zeros.
#[derive(Debug, Clone, PartialEq)]
pub struct DailySeries {
    pub first: NaiveDate,
    pub values: Vec<f64>,
}

/// Why a series or a request could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SeriesError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{}: line 1: no header row", path.display())]
    Empty { path: PathBuf },
    #[error("{}: line 1: no column {column:?} (columns: {found})", path.display())]
    NoColumn { path: PathBuf, column: String, found: String },
    #[error("{}: line {line}: column {column:?}: {reason}", path.display())]
    BadCell { path: PathBuf, line: usize, column: String, reason: String },
    #[error("{}: line {line}: date {date} appears twice (first on line {first})", path.display())]
    Duplicate { path: PathBuf, line: usize, date: NaiveDate, first: usize },
    #[error("{0}")]
    Request(String),
}

impl DailySeries {
    /// Builds a series from (date, amount) pairs in any order; a date given twice is summed
    /// and days in between are zero. Empty input gives an empty series.
    pub fn from_pairs(pairs: &[(NaiveDate, f64)]) -> DailySeries {
        let Some(first) = pairs.iter().map(|p| p.0).min() else {
            return DailySeries { first: NaiveDate::MIN, values: Vec::new() };
        };
        let last = pairs.iter().map(|p| p.0).max().unwrap_or(first);
        let mut values = vec![0.0; (last - first).num_days() as usize + 1];
        for &(d, x) in pairs {
            values[(d - first).num_days() as usize] += x;
        }
        DailySeries { first, values }
    }

    /// Reads `column` of a daily CSV file.
    pub fn read_csv(path: &Path, column: &str) -> Result<DailySeries, SeriesError> {
        let text = std::fs::read_to_string(path).map_err(|e| SeriesError::Io { path: path.into(), source: e })?;
        Self::parse_csv(&text, path, column)
    }

    /// Parses CSV text; `path` only names the source in errors.
    pub fn parse_csv(text: &str, path: &Path, column: &str) -> Result<DailySeries, SeriesError> {
        let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
        let Some((_, header)) = lines.next() else {
            return Err(SeriesError::Empty { path: path.into() });
        };
        let header: Vec<String> = split_row(header.trim_start_matches('\u{feff}'));
        let find = |name: &str| header.iter().position(|h| h == name);
        let no_column = |name: &str| SeriesError::NoColumn {
            path: path.into(),
            column: name.to_string(),
            found: header.join(", "),
        };
        let di = find("date").ok_or_else(|| no_column("date"))?;
        let vi = find(column).ok_or_else(|| no_column(column))?;
        let mut days: BTreeMap<NaiveDate, (f64, usize)> = BTreeMap::new();
        for (i, raw) in lines {
            let line = i + 1;
            let cells = split_row(raw);
            let bad = |col: &str, reason: String| SeriesError::BadCell {
                path: path.into(),
                line,
                column: col.to_string(),
                reason,
            };
            let cell = |idx: usize, col: &str| {
                cells.get(idx).map(String::as_str).ok_or_else(|| {
                    bad(col, format!("missing: the row has {} cells, the header {}", cells.len(), header.len()))
                })
            };
            let dtext = cell(di, "date")?;
            let date = NaiveDate::parse_from_str(dtext, "%Y-%m-%d")
                .map_err(|_| bad("date", format!("not a date (YYYY-MM-DD): {dtext:?}")))?;
            let vtext = cell(vi, column)?;
            let value =
                if vtext.is_empty() { 0.0 } else { parse_amount(vtext).map_err(|reason| bad(column, reason))? };
            if let Some(&(_, first)) = days.get(&date) {
                return Err(SeriesError::Duplicate { path: path.into(), line, date, first });
            }
            days.insert(date, (value, line));
        }
        let pairs: Vec<(NaiveDate, f64)> = days.into_iter().map(|(d, (v, _))| (d, v)).collect();
        Ok(DailySeries::from_pairs(&pairs))
    }

    /// The amount on `day` (zero outside the series).
    pub fn get(&self, day: NaiveDate) -> f64 {
        let i = (day - self.first).num_days();
        if i < 0 {
            return 0.0;
        }
        self.values.get(i as usize).copied().unwrap_or(0.0)
    }

    /// Amounts for `from..=to` (zeros where the series has no value).
    pub fn range(&self, from: NaiveDate, to: NaiveDate) -> Vec<f64> {
        let n = (to - from).num_days() + 1;
        (0..n.max(0)).map(|i| self.get(add_days(from, i))).collect()
    }
}

fn split_row(line: &str) -> Vec<String> {
    line.split(',').map(|c| c.trim().trim_matches('"').trim().to_string()).collect()
}

/// A plain decimal amount, not negative: digits with an optional point and exponent.
/// Thousands separators and currency signs are refused: in a CSV cell they mean a
/// different file format, not a number.
pub fn parse_amount(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let m = mantissa.strip_prefix('+').unwrap_or(mantissa);
    let digits_ok = !m.is_empty()
        && m.bytes().filter(|&b| b == b'.').count() <= 1
        && m.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && m.bytes().any(|b| b.is_ascii_digit());
    let exp_ok = exp.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    if t.starts_with('-') && digits_ok {
        return Err(format!("negative amount: {t:?}"));
    }
    if !digits_ok || !exp_ok {
        return Err(format!("not a number: {t:?}"));
    }
    t.parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| format!("not a number: {t:?}"))
}

/// How long the period is, from its first day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodLen {
    /// Through this day inclusive.
    End(NaiveDate),
    /// This many calendar months: the end is start + months − 1 day (Jan 31 + 1 month →
    /// Feb 28 via chrono's clamping `checked_add_months`, so the end is Feb 27).
    Months(u32),
}

impl PeriodLen {
    /// `month`, `quarter` or `year`.
    pub fn named(name: &str) -> Option<PeriodLen> {
        match name {
            "month" => Some(PeriodLen::Months(1)),
            "quarter" => Some(PeriodLen::Months(3)),
            "year" => Some(PeriodLen::Months(12)),
            _ => None,
        }
    }

    /// The last day of a period that starts on `start`.
    pub fn end(self, start: NaiveDate) -> Option<NaiveDate> {
        match self {
            PeriodLen::End(d) => Some(d),
            PeriodLen::Months(m) => start.checked_add_months(Months::new(m)).and_then(|d| d.pred_opt()),
        }
    }
}

/// A forecast request against a [`DailySeries`].
#[derive(Debug, Clone)]
pub struct SeriesRequest {
    pub budget: f64,
    pub start: NaiveDate,
    /// The last day of data used (inclusive). The day before `start` means "nothing yet".
    pub as_of: NaiveDate,
    pub period: PeriodLen,
    /// Days before `start` the forecast may learn from (0: period only).
    pub history_days: usize,
    /// The method's constants (the product uses `Params::default()`).
    pub params: Params,
}

/// Runs the forecast for `req` on `series`: the single path shared by the CLI and the
/// backtest.
pub fn forecast_series(series: &DailySeries, req: &SeriesRequest) -> Result<Forecast, SeriesError> {
    let end = req.period.end(req.start).ok_or_else(|| SeriesError::Request("period end out of range".into()))?;
    if end < req.start {
        return Err(SeriesError::Request(format!("period end {end} is before its start {}", req.start)));
    }
    if req.as_of < add_days(req.start, -1) {
        return Err(SeriesError::Request(format!(
            "as-of {} is before the period start {} (at the earliest the day before it)",
            req.as_of, req.start
        )));
    }
    if !(req.budget.is_finite() && req.budget > 0.0) {
        return Err(SeriesError::Request(format!("budget must be a positive amount, not {}", req.budget)));
    }
    let history = if req.history_days == 0 {
        Vec::new()
    } else {
        // Only days the series covers: before its first row there is no data, not zeros.
        let from = add_days(req.start, -(req.history_days as i64)).max(series.first);
        let to = add_days(req.start, -1);
        if from <= to {
            series.range(from, to)
        } else {
            Vec::new()
        }
    };
    let period = series.range(req.start, req.as_of);
    let options =
        ForecastOptions { history_days: req.history_days, params: req.params.clone(), ..ForecastOptions::default() };
    let input = ForecastInput {
        history: &history,
        period: &period,
        period_start: req.start,
        period_end: end,
        horizon_end: default_horizon_end(req.start, end),
        budget: req.budget,
        options,
    };
    Ok(super::forecast(&input))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn months_from_start_minus_a_day() {
        assert_eq!(PeriodLen::Months(1).end(d("2026-01-31")), Some(d("2026-02-27")));
        assert_eq!(PeriodLen::Months(1).end(d("2026-01-01")), Some(d("2026-01-31")));
        assert_eq!(PeriodLen::Months(3).end(d("2026-01-01")), Some(d("2026-03-31")));
        assert_eq!(PeriodLen::Months(3).end(d("2025-11-30")), Some(d("2026-02-27")));
        assert_eq!(PeriodLen::Months(12).end(d("2024-02-29")), Some(d("2025-02-27")));
        assert_eq!(PeriodLen::Months(12).end(d("2026-03-15")), Some(d("2027-03-14")));
    }

    #[test]
    fn amounts() {
        assert_eq!(parse_amount("12345.0"), Ok(12345.0));
        assert_eq!(parse_amount("0.010099"), Ok(0.010099));
        assert_eq!(parse_amount("1.5e3"), Ok(1500.0));
        assert_eq!(parse_amount(".5"), Ok(0.5));
        for bad in ["abc", "1,000", "$5", "1.2.3", "1e", "-3", "nan", "inf", "."] {
            assert!(parse_amount(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn csv_fills_missing_days_and_names_bad_cells() {
        let p = Path::new("x.csv");
        let s = DailySeries::parse_csv("date,tokens,cost\n2026-01-03,5,\n2026-01-01,1,0.5\n", p, "tokens").unwrap();
        assert_eq!(s.first, d("2026-01-01"));
        assert_eq!(s.values, vec![1.0, 0.0, 5.0]);
        let c = DailySeries::parse_csv("date,tokens,cost\n2026-01-03,5,\n2026-01-01,1,0.5\n", p, "cost").unwrap();
        assert_eq!(c.values, vec![0.5, 0.0, 0.0]);
        let e = DailySeries::parse_csv("date,tokens\n2026-01-01,1\n2026-01-02,x\n", p, "tokens").unwrap_err();
        assert_eq!(e.to_string(), "x.csv: line 3: column \"tokens\": not a number: \"x\"");
        let e = DailySeries::parse_csv("date,tokens\n2026-02-30,1\n", p, "tokens").unwrap_err();
        assert!(e.to_string().starts_with("x.csv: line 2: column \"date\": not a date"), "{e}");
        let e = DailySeries::parse_csv("date,tokens\n", p, "cost").unwrap_err();
        assert_eq!(e.to_string(), "x.csv: line 1: no column \"cost\" (columns: date, tokens)");
        let e = DailySeries::parse_csv("date,tokens\n2026-01-01,1\n2026-01-01,2\n", p, "tokens").unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
    }
}
