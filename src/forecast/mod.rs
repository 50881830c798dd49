//! Budget run-out forecasts: when will cumulative spend reach the budget, with a band.
//!
//! Owns the statistical forecast described in `docs/FORECAST.md` (a recency-weighted,
//! weekday-aligned block-bootstrap Monte Carlo of cumulative spend with level uncertainty,
//! plus the "beyond v1" regime and calibration handling documented in [`engine`]), the
//! daily-series CSV reader behind `tokenburn forecast --series`, and the rolling-origin
//! backtest of §5.1 that says how far to trust it. It does not read the ledger or know
//! what a budget is stored as: callers hand it daily amounts.
//!
//! Invariants a newcomer must know:
//! - Amounts are `f64` *statistical* quantities here (dollars or tokens: the unit has no
//!   meaning). Money stays integer everywhere else; convert at the call with
//!   [`amount_from_usd`] and back for display with [`usd_from_amount`].
//! - A forecast is a pure function of its input: the Monte Carlo seed is a hash of the
//!   input, so the same input gives the same dates, and a new day of data reshuffles.
//! - Days are calendar days. `period` runs from `period_start` through the as-of day
//!   inclusive; `history` is the days just before `period_start`, oldest first. Missing
//!   days must be passed as explicit zeros ("no usage" is data).

pub mod backtest;
pub mod engine;
mod rng;
pub mod series;
pub mod synth;

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::money::{Usd, NANOS_PER_USD};

pub use backtest::{backtest, BacktestOptions, BacktestReport, Metrics};
pub use engine::Params;
pub use series::{DailySeries, SeriesError, SeriesRequest};

/// The run-out quantile levels reported: 0.05, 0.10, ..., 0.95.
pub const LEVELS: [f64; 19] =
    [0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70, 0.75, 0.80, 0.85, 0.90, 0.95];

/// Index of P10, P50 and P90 in [`LEVELS`].
pub const I10: usize = 1;
pub const I50: usize = 9;
pub const I90: usize = 17;

/// Default number of days before the period start that the forecast may learn from.
pub const DEFAULT_HISTORY_DAYS: usize = 56;

/// Knobs a caller may set; `Default` is what the product uses.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastOptions {
    /// At most this many days of `history` are used (the most recent ones). 0: period only.
    pub history_days: usize,
    /// Monte Carlo paths. More is smoother and slower; 2000 keeps the 5%-quantiles stable
    /// to about a day.
    pub paths: usize,
    /// The method's tuning constants (see [`engine`]).
    pub params: Params,
}

impl Default for ForecastOptions {
    fn default() -> Self {
        ForecastOptions { history_days: DEFAULT_HISTORY_DAYS, paths: 2000, params: Params::default() }
    }
}

/// What a forecast needs. Amounts are daily totals, in any unit, never negative.
#[derive(Debug, Clone)]
pub struct ForecastInput<'a> {
    /// Daily amounts before `period_start`, oldest first; the last one is the day before
    /// `period_start`. Any length, may be empty.
    pub history: &'a [f64],
    /// Daily amounts from `period_start` through the as-of day inclusive. Empty means the
    /// forecast is made the day before the period starts.
    pub period: &'a [f64],
    pub period_start: NaiveDate,
    /// The last day of the period (inclusive).
    pub period_end: NaiveDate,
    /// The last day a run-out date is reported; later run-outs are `None`.
    /// [`default_horizon_end`] gives the product's choice.
    pub horizon_end: NaiveDate,
    /// The budget for the whole period, in the unit of the amounts.
    pub budget: f64,
    pub options: ForecastOptions,
}

impl ForecastInput<'_> {
    /// The as-of day: the last day of `period` (the day before the start when it is empty).
    pub fn as_of(&self) -> NaiveDate {
        add_days(self.period_start, self.period.len() as i64 - 1)
    }
}

/// Spend at the end of the period, as a band.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SpendBand {
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
}

/// Why the forecast looks the way it does (shown to users; stable names in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The budget was already reached on or before the as-of day.
    Reached,
    /// Nothing has been spent in the window the forecast learns from: no run-out.
    NoSpend,
    /// Fewer than 14 days: each future day is drawn from past days of the same weekday.
    DayBootstrap,
    /// 14 days or more: whole weeks are replayed.
    BlockBootstrap,
}

/// A run-out forecast. Dates are `None` when the run-out is after `horizon_end`.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    pub as_of: NaiveDate,
    pub period_end: NaiveDate,
    pub horizon_end: NaiveDate,
    /// Run-out date quantiles at [`LEVELS`]: the day cumulative spend first reaches the budget.
    pub quantiles: [Option<NaiveDate>; 19],
    pub p10: Option<NaiveDate>,
    pub p50: Option<NaiveDate>,
    pub p90: Option<NaiveDate>,
    /// Probability that spend reaches the budget by the period end (1 when already reached).
    pub p_exceed: f64,
    /// Projected cumulative spend at the period end (the actual spend when the as-of day is
    /// on or after the period end).
    pub spend_at_end: SpendBand,
    pub budget: f64,
    /// Spent in the period through the as-of day.
    pub spent: f64,
    /// The day the budget was reached, when it already was.
    pub reached_on: Option<NaiveDate>,
    /// Few data (under 7 days, or under 3 days with spend): the band is wide and honest,
    /// but tell the user it is an early estimate.
    pub early_estimate: bool,
    /// Mean daily spend over the last 7 days (history included when the period is younger).
    pub burn_7d: f64,
    /// Mean daily spend over the period to date (0 when the period has not started).
    pub burn_ptd: f64,
    pub basis: Basis,
}

/// The product's horizon: the period end plus 60 days, or plus 365 days for a period of a
/// year or longer (365 days or more).
pub fn default_horizon_end(period_start: NaiveDate, period_end: NaiveDate) -> NaiveDate {
    let len = (period_end - period_start).num_days() + 1;
    add_days(period_end, if len >= 365 { 365 } else { 60 })
}

/// Forecasts when the budget runs out. Pure and deterministic; see [`engine`] for the method.
pub fn forecast(input: &ForecastInput) -> Forecast {
    engine::run(input)
}

/// Money to a forecast amount (dollars). Only for the statistics: never store the result.
pub fn amount_from_usd(u: Usd) -> f64 {
    u.nanos() as f64 / NANOS_PER_USD as f64
}

/// A forecast amount (dollars) back to money, rounded to the nano-dollar, for display.
pub fn usd_from_amount(x: f64) -> Usd {
    Usd((x * NANOS_PER_USD as f64).round() as i64)
}

pub(crate) fn add_days(d: NaiveDate, n: i64) -> NaiveDate {
    if n >= 0 {
        d.checked_add_days(Days::new(n as u64)).expect("date in range")
    } else {
        d.checked_sub_days(Days::new(n.unsigned_abs())).expect("date in range")
    }
}
