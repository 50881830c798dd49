//! The rolling-origin backtest of docs/FORECAST.md §5.1 on one daily series, with the metrics of
//! §5.2, for the forecast and for the period-to-date burn-rate baseline (`linear_ptd`).
//!
//! Protocol: quarter periods (3 calendar months, like `--period quarter`) start every
//! `start_every` days from the first day of the series. For each run-out target T
//! (21/35/49 days) the budget is the period's cumulative spend on day T, so the true run-out
//! day R (1-based, first day cumulative spend reaches the budget) is known and ≤ T. The
//! forecast is made at cut points t < R, seeing days 1..t of the period: cold start with
//! no history, and warm start with up to 56 days before the period (only for periods that
//! have at least a week of history, so warm and cold never duplicate each other). Each
//! forecast goes through [`super::series::forecast_series`], the same code as
//! `tokenburn forecast --series`. Quantiles after the horizon count as horizon + 1 day.
//!
//! CRPS is computed from the 19 reported quantiles, 2·mean over levels of the pinball loss,
//! because those are what a user (and any outside evaluation) sees; both methods are scored
//! the same way.

use chrono::NaiveDate;
use serde::Serialize;

use super::engine::rank;
use super::rng::Rng;
use super::series::{forecast_series, DailySeries, PeriodLen, SeriesRequest};
use super::{add_days, default_horizon_end, Params, LEVELS};

/// The protocol's knobs; `Default` is docs/FORECAST.md §5.1 as used for the real series.
#[derive(Debug, Clone)]
pub struct BacktestOptions {
    pub targets: Vec<usize>,
    pub cuts: Vec<usize>,
    pub start_every: usize,
    pub period: PeriodLen,
    /// History for warm starts (days before the period start).
    pub warm_history_days: usize,
    pub cold: bool,
    pub warm: bool,
    /// The forecast's constants (the product's by default).
    pub params: Params,
}

impl Default for BacktestOptions {
    fn default() -> Self {
        BacktestOptions {
            targets: vec![21, 35, 49],
            cuts: vec![3, 7, 14, 21, 28, 42, 56, 70, 84],
            start_every: 7,
            period: PeriodLen::Months(3),
            warm_history_days: 56,
            cold: true,
            warm: true,
            params: Params::default(),
        }
    }
}

/// One scored forecast: period days (1-based) of the true run-out and of each quantile.
#[derive(Debug, Clone)]
pub struct Case {
    pub start: NaiveDate,
    pub target: usize,
    pub cut: usize,
    pub warm: bool,
    pub truth: u32,
    pub ours: [u32; 19],
    pub baseline: [u32; 19],
}

/// Scores over a set of forecasts (§5.2). Days are period days.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Metrics {
    pub forecasts: usize,
    /// Share with P10 ≤ R ≤ P90 (target 0.80).
    pub coverage: f64,
    /// Share with R < P10: ran out before "as early as" (target 0.10; the costly side).
    pub early_miss: f64,
    /// Share with R > P90.
    pub late_miss: f64,
    pub median_abs_error: f64,
    pub mean_abs_error: f64,
    /// Median of |P50 − R| / (R − t).
    pub median_rel_error: f64,
    /// Median of P50 − R (positive: the forecast said the money lasts longer).
    pub bias: f64,
    /// Median P90 − P10, days.
    pub width: f64,
    /// Mean pinball loss over P10, P50, P90.
    pub pinball: f64,
    /// Mean CRPS in days (from the 19 quantiles).
    pub crps: f64,
}

/// A labelled pair of scores.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub name: String,
    pub ours: Metrics,
    pub baseline: Metrics,
    /// 1 − CRPS(ours) / CRPS(baseline): the share of the baseline's error removed.
    pub crps_gain: f64,
}

/// The backtest of one series.
#[derive(Debug, Clone, Serialize)]
pub struct BacktestReport {
    pub days: usize,
    pub all: Group,
    /// By start (cold, warm) and by history length (t ≤ 7, 14–28, ≥ 42).
    pub groups: Vec<Group>,
    #[serde(skip)]
    pub cases: Vec<Case>,
}

/// Runs the protocol on a daily series given as (date, amount) pairs (any order; missing
/// days are zero). A caller can pass a series from anywhere: a CSV column, a ledger query.
pub fn backtest(series: &[(NaiveDate, f64)], opts: &BacktestOptions) -> BacktestReport {
    let s = DailySeries::from_pairs(series);
    let cases = cases(&s, opts);
    summarize(s.values.len(), cases)
}

/// The scored forecasts of the protocol.
pub fn cases(s: &DailySeries, opts: &BacktestOptions) -> Vec<Case> {
    let n = s.values.len();
    let mut out = Vec::new();
    let mut start = 0;
    while start < n {
        let start_date = add_days(s.first, start as i64);
        let Some(end) = opts.period.end(start_date) else { break };
        let horizon_day = (default_horizon_end(start_date, end) - start_date).num_days() as u32 + 1;
        for &target in &opts.targets {
            if start + target > n {
                continue;
            }
            let days = &s.values[start..start + target];
            let budget: f64 = days.iter().sum();
            if budget <= 0.0 {
                continue;
            }
            let mut cum = 0.0;
            let truth = days.iter().position(|&x| {
                cum += x;
                cum >= budget
            });
            let truth = truth.unwrap_or(target - 1) as u32 + 1;
            for &cut in &opts.cuts {
                if cut as u32 >= truth {
                    continue;
                }
                let mut modes = Vec::new();
                if opts.cold {
                    modes.push(false);
                }
                if opts.warm && start >= 7 && opts.warm_history_days > 0 {
                    modes.push(true);
                }
                for warm in modes {
                    let req = SeriesRequest {
                        budget,
                        start: start_date,
                        as_of: add_days(start_date, cut as i64 - 1),
                        period: opts.period,
                        history_days: if warm { opts.warm_history_days } else { 0 },
                        params: opts.params.clone(),
                    };
                    let Ok(f) = forecast_series(s, &req) else { continue };
                    let to_day = |d: Option<NaiveDate>| match d {
                        Some(d) => (d - start_date).num_days() as u32 + 1,
                        None => horizon_day + 1,
                    };
                    let ours = f.quantiles.map(to_day);
                    let period = &s.values[start..start + cut];
                    let base = baseline_quantiles(period, budget, horizon_day - cut as u32).map(|k| {
                        if k == u32::MAX {
                            horizon_day + 1
                        } else {
                            k + cut as u32
                        }
                    });
                    out.push(Case { start: start_date, target, cut, warm, truth, ours, baseline: base });
                }
            }
        }
        start += opts.start_every.max(1);
    }
    out
}

/// The period-to-date burn-rate baseline (`linear_ptd`): future days iid
/// N(mean, sd²) of the period so far, simulated like the forecast. Returns run-out quantiles
/// in days after the as-of day, `u32::MAX` beyond `horizon` days.
pub fn baseline_quantiles(period: &[f64], budget: f64, horizon: u32) -> [u32; 19] {
    let spent: f64 = period.iter().sum();
    if spent >= budget {
        return [0; 19];
    }
    let n = period.len();
    let mean = if n == 0 { 0.0 } else { spent / n as f64 };
    if mean <= 0.0 {
        return [u32::MAX; 19];
    }
    let sd =
        if n >= 2 { (period.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt() } else { 0.0 };
    let paths = 2000;
    let mut rng = Rng::new(0x5eed ^ n as u64 ^ budget.to_bits());
    let mut runs: Vec<u32> = (0..paths)
        .map(|_| {
            let mut cum = spent;
            for k in 1..=horizon {
                cum += mean + sd * rng.normal();
                if cum >= budget {
                    return k;
                }
            }
            u32::MAX
        })
        .collect();
    runs.sort_unstable();
    LEVELS.map(|l| runs[rank(l, paths)])
}

/// Scores a set of cases and splits them into the report's groups.
pub fn summarize(days: usize, cases: Vec<Case>) -> BacktestReport {
    let all = group("all", cases.iter());
    type Filter = fn(&&Case) -> bool;
    let splits: [(&str, Filter); 5] = [
        ("cold", |c| !c.warm),
        ("warm", |c| c.warm),
        ("t<=7", |c| c.cut <= 7),
        ("t=14-28", |c| (14..=28).contains(&c.cut)),
        ("t>=42", |c| c.cut >= 42),
    ];
    let groups = splits.iter().map(|(name, f)| group(name, cases.iter().filter(f))).collect();
    BacktestReport { days, all, groups, cases }
}

/// Scores the cases yielded by `it` under `name`.
pub fn group<'a>(name: &str, it: impl Iterator<Item = &'a Case> + Clone) -> Group {
    let ours = metrics(it.clone().map(|c| (c.truth, c.cut, &c.ours)));
    let baseline = metrics(it.map(|c| (c.truth, c.cut, &c.baseline)));
    let crps_gain = if baseline.crps > 0.0 { 1.0 - ours.crps / baseline.crps } else { 0.0 };
    Group { name: name.to_string(), ours, baseline, crps_gain }
}

/// §5.2 metrics over (truth, cut, quantiles) triples.
pub fn metrics<'a>(it: impl Iterator<Item = (u32, usize, &'a [u32; 19])>) -> Metrics {
    let (mut n, mut cov, mut early, mut late, mut pin, mut crps) = (0usize, 0usize, 0usize, 0usize, 0.0, 0.0);
    let (mut ae, mut rel, mut bias, mut width) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (truth, cut, q) in it {
        let r = truth as f64;
        let (q10, q50, q90) = (q[super::I10] as f64, q[super::I50] as f64, q[super::I90] as f64);
        n += 1;
        if r < q10 {
            early += 1;
        } else if r > q90 {
            late += 1;
        } else {
            cov += 1;
        }
        ae.push((q50 - r).abs());
        rel.push((q50 - r).abs() / (r - cut as f64).max(1.0));
        bias.push(q50 - r);
        width.push(q90 - q10);
        pin += (pinball(0.1, r, q10) + pinball(0.5, r, q50) + pinball(0.9, r, q90)) / 3.0;
        crps += 2.0 * LEVELS.iter().zip(q).map(|(&l, &x)| pinball(l, r, x as f64)).sum::<f64>() / LEVELS.len() as f64;
    }
    if n == 0 {
        return Metrics::default();
    }
    let nf = n as f64;
    Metrics {
        forecasts: n,
        coverage: cov as f64 / nf,
        early_miss: early as f64 / nf,
        late_miss: late as f64 / nf,
        median_abs_error: median(&mut ae),
        mean_abs_error: ae.iter().sum::<f64>() / nf,
        median_rel_error: median(&mut rel),
        bias: median(&mut bias),
        width: median(&mut width),
        pinball: pin / nf,
        crps: crps / nf,
    }
}

fn pinball(level: f64, truth: f64, q: f64) -> f64 {
    let d = truth - q;
    (level * d).max((level - 1.0) * d)
}

fn median(xs: &mut [f64]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    xs.sort_unstable_by(f64::total_cmp);
    let m = xs.len() / 2;
    if xs.len() % 2 == 1 {
        xs[m]
    } else {
        (xs[m - 1] + xs[m]) / 2.0
    }
}
