//! Scales and ticks: value-to-pixel mapping (linear or log), "nice" value ticks, and date
//! ticks whose step is the finest at which the labels do not overlap.
//!
//! Dates are plotted as day numbers (days since 1970-01-01): day D covers [D, D+1), so a
//! daily bar is centred on D + 0.5 and a day's tick label sits there too.

use chrono::{Datelike, Days, Months, NaiveDate};

use super::format::DateLocale;

const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");

/// Day number of a date.
pub(crate) fn dn(d: NaiveDate) -> f64 {
    (d - EPOCH).num_days() as f64
}

/// The date of a day number (its floor).
pub(crate) fn date_of(x: f64) -> NaiveDate {
    let n = x.floor() as i64;
    if n >= 0 {
        EPOCH.checked_add_days(Days::new(n as u64)).unwrap_or(NaiveDate::MAX)
    } else {
        EPOCH.checked_sub_days(Days::new(n.unsigned_abs())).unwrap_or(NaiveDate::MIN)
    }
}

pub(crate) fn days_in_month(d: NaiveDate) -> f64 {
    let first = d.with_day(1).expect("day 1");
    let next = first.checked_add_months(Months::new(1)).unwrap_or(NaiveDate::MAX);
    (next - first).num_days() as f64
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scale {
    Linear,
    Log,
}

/// Maps values in `min..max` to pixels in `p0..p1`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Axis {
    pub scale: Scale,
    pub min: f64,
    pub max: f64,
    pub p0: f64,
    pub p1: f64,
}

impl Axis {
    pub fn px(&self, v: f64) -> f64 {
        let t = match self.scale {
            Scale::Linear => (v - self.min) / (self.max - self.min),
            Scale::Log => (v.max(f64::MIN_POSITIVE).log10() - self.min.log10()) / (self.max.log10() - self.min.log10()),
        };
        self.p0 + t * (self.p1 - self.p0)
    }
}

/// Value ticks of an axis and the range they span.
#[derive(Debug, Clone)]
pub(crate) struct Ticks {
    pub min: f64,
    pub max: f64,
    pub step: f64,
    pub values: Vec<f64>,
}

/// About `target` ticks at 1, 2, 2.5 or 5 times a power of ten, covering `lo..hi`.
pub(crate) fn linear_ticks(lo: f64, hi: f64, target: usize) -> Ticks {
    let (lo, mut hi) = (lo.min(hi), hi.max(lo));
    if hi - lo < 1e-9 {
        hi = lo + if lo.abs() > 0.0 { lo.abs() } else { 1.0 };
    }
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * mag).find(|&s| s >= raw * 0.999).unwrap_or(10.0 * mag);
    let min = (lo / step).floor() * step;
    let max = (hi / step - 1e-9).ceil() * step;
    let n = ((max - min) / step).round() as usize;
    let values = (0..=n).map(|i| min + i as f64 * step).map(|v| if v.abs() < step * 1e-9 { 0.0 } else { v }).collect();
    Ticks { min, max, step, values }
}

/// Decades covering `lo..hi` (both > 0), every `k`-th decade labelled so at most
/// `max_count` labels appear.
pub(crate) fn log_ticks(lo: f64, hi: f64, max_count: usize) -> Ticks {
    let a = lo.log10().floor() as i32;
    let b = (hi.log10() - 1e-9).ceil().max(a as f64 + 1.0) as i32;
    let decades = (b - a) as usize;
    let k = decades.div_ceil(max_count.max(2) - 1).max(1);
    let values = (a..=b).filter(|e| (e - a) as usize % k == 0).map(|e| 10f64.powi(e)).collect();
    Ticks { min: 10f64.powi(a), max: 10f64.powi(b), step: 10f64.powi(k as i32), values }
}

/// One date tick: a grid line at the start of its unit and a label.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DateTick {
    /// Day number of the label's centre.
    pub at: f64,
    /// Day number of the grid line (the start of the day, week, month or year).
    pub grid: f64,
    pub label: String,
    /// The year of a tick whose label does not say it (day, week and month steps).
    pub year_of: Option<i32>,
    /// The year as shown on the second row: at the first tick and where the year changes
    /// (see [`assign_years`]).
    pub year: Option<String>,
}

/// Sets which ticks show their year: the first, and each where the year changes.
pub(crate) fn assign_years(ticks: &mut [DateTick]) {
    let mut prev = None;
    for t in ticks {
        t.year = match t.year_of {
            Some(y) if prev != Some(y) => Some(y.to_string()),
            _ => None,
        };
        prev = t.year_of.or(prev);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Days(u32),
    Weeks(u32),
    Months(u32),
    Years(u32),
}

const STEPS: [Step; 13] = [
    Step::Days(1),
    Step::Days(2),
    Step::Weeks(1),
    Step::Weeks(2),
    Step::Months(1),
    Step::Months(2),
    Step::Months(3),
    Step::Months(6),
    Step::Years(1),
    Step::Years(2),
    Step::Years(5),
    Step::Years(10),
    Step::Years(25),
];

fn gen(step: Step, d0: f64, d1: f64, loc: &DateLocale, weeks_centered: bool) -> Vec<DateTick> {
    let first = date_of(d0);
    let last = date_of(d1);
    let mut out = Vec::new();
    let mut push = |grid: NaiveDate, at: f64, label: String, with_year: bool| {
        if at >= d0 && at <= d1 {
            out.push(DateTick { at, grid: dn(grid), label, year_of: with_year.then(|| grid.year()), year: None });
        }
    };
    match step {
        Step::Days(n) => {
            let mut d = first;
            while d <= last {
                if (dn(d) as i64).rem_euclid(n as i64) == 0 {
                    push(d, dn(d) + 0.5, loc.day_month(d), true);
                }
                d = d.succ_opt().unwrap_or(NaiveDate::MAX);
                if d == NaiveDate::MAX {
                    break;
                }
            }
        }
        Step::Weeks(n) => {
            let back = first.weekday().num_days_from_monday() as u64;
            let mut d = first.checked_sub_days(Days::new(back)).unwrap_or(first);
            while d <= last {
                if ((dn(d) as i64 + 3) / 7).rem_euclid(n as i64) == 0 {
                    let at = dn(d) + if weeks_centered { 3.5 } else { 0.5 };
                    push(d, at, loc.day_month(d), true);
                }
                d = d.checked_add_days(Days::new(7)).unwrap_or(NaiveDate::MAX);
                if d == NaiveDate::MAX {
                    break;
                }
            }
        }
        Step::Months(n) => {
            let mut d = first.with_day(1).expect("day 1");
            while d <= last {
                if d.month0() % n == 0 {
                    push(d, dn(d) + days_in_month(d) / 2.0, loc.month(d), true);
                }
                d = d.checked_add_months(Months::new(1)).unwrap_or(NaiveDate::MAX);
                if d == NaiveDate::MAX {
                    break;
                }
            }
        }
        Step::Years(n) => {
            let mut y = first.year();
            while y <= last.year() {
                if y.rem_euclid(n as i32) == 0 {
                    if let Some(d) = NaiveDate::from_ymd_opt(y, 1, 1) {
                        let len = if NaiveDate::from_ymd_opt(y, 2, 29).is_some() { 366.0 } else { 365.0 };
                        push(d, dn(d) + len / 2.0, y.to_string(), false);
                    }
                }
                y += 1;
            }
        }
    }
    assign_years(&mut out);
    out
}

/// Date ticks for the day range `d0..d1` drawn by `to_px`: the finest step whose labels,
/// measured by `measure`, keep at least `gap` pixels apart.
pub(crate) fn date_ticks(
    d0: f64,
    d1: f64,
    to_px: impl Fn(f64) -> f64,
    measure: impl Fn(&str) -> f64,
    gap: f64,
    loc: &DateLocale,
    weeks_centered: bool,
) -> Vec<DateTick> {
    let mut fallback = Vec::new();
    let px_per_day = (to_px(d1) - to_px(d0)).abs() / (d1 - d0).max(1e-9);
    let sample = NaiveDate::from_ymd_opt(2000, 5, 5).expect("valid date");
    let narrowest = |step: Step| match step {
        Step::Days(_) | Step::Weeks(_) => measure(&loc.day_month(sample)),
        Step::Months(_) => measure(&loc.month(sample)),
        Step::Years(_) => measure("2000"),
    };
    for step in STEPS {
        // Skip steps far too fine to fit before making their labels (five years of days).
        let days = match step {
            Step::Days(n) => n as f64,
            Step::Weeks(n) => 7.0 * n as f64,
            Step::Months(n) => 28.0 * n as f64,
            Step::Years(n) => 365.0 * n as f64,
        };
        if days * px_per_day < 0.8 * (narrowest(step) + gap) && step != Step::Years(25) {
            continue;
        }
        let ticks = gen(step, d0, d1, loc, weeks_centered);
        if ticks.is_empty() {
            continue;
        }
        let widths: Vec<f64> = ticks.iter().map(|t| measure(&t.label)).collect();
        let widest = widths.iter().cloned().fold(0.0, f64::max);
        let fits = ticks.windows(2).all(|w| (to_px(w[1].at) - to_px(w[0].at)).abs() >= widest + gap);
        if fits {
            return ticks;
        }
        fallback = ticks;
    }
    // Even 25-year steps overlap (a tiny plot): keep the first label only.
    fallback.truncate(1);
    fallback
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn nice_linear_ticks() {
        let t = linear_ticks(0.0, 1234.0, 5);
        assert_eq!(t.step, 250.0);
        assert_eq!(t.max, 1250.0);
        assert_eq!(t.values.first(), Some(&0.0));
        let t = linear_ticks(0.0, 0.0, 5);
        assert!(t.max > 0.0);
        let t = linear_ticks(0.0, 1000.0, 5);
        assert_eq!(t.max, 1000.0);
    }

    #[test]
    fn log_ticks_are_decades() {
        let t = log_ticks(1e5, 1e11, 10);
        assert_eq!(t.values.len(), 7);
        let t = log_ticks(1e5, 1e11, 4);
        assert_eq!(t.values, vec![1e5, 1e7, 1e9, 1e11]);
    }

    #[test]
    fn date_numbers_round_trip() {
        assert_eq!(dn(d("1970-01-02")), 1.0);
        assert_eq!(date_of(dn(d("2026-03-14")) + 0.5), d("2026-03-14"));
        assert_eq!(date_of(-0.5), d("1969-12-31"));
    }

    #[test]
    fn picks_the_finest_step_that_fits() {
        let loc = DateLocale::default();
        let (a, b) = (dn(d("2025-01-01")), dn(d("2025-01-15")));
        let wide = date_ticks(a, b, |x| (x - a) * 60.0, |s| s.len() as f64 * 7.0, 10.0, &loc, false);
        assert_eq!(wide.len(), 14);
        assert_eq!(wide[0].label, "Jan 1");
        assert_eq!(wide[0].year.as_deref(), Some("2025"));
        assert_eq!(wide[1].year, None);
        let narrow = date_ticks(a, b, |x| (x - a) * 10.0, |s| s.len() as f64 * 7.0, 10.0, &loc, false);
        assert!(narrow.len() < 4, "{narrow:?}");
        let (a, b) = (dn(d("2021-01-01")), dn(d("2026-01-01")));
        let years = date_ticks(a, b, |x| (x - a) * 0.1, |s| s.len() as f64 * 7.0, 10.0, &loc, false);
        assert!(years.iter().all(|t| t.label.len() == 4), "{years:?}");
    }
}
