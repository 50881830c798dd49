//! The Monte Carlo behind [`super::forecast`].
//!
//! Method (FORECAST.md §4, "bb_wide", with the beyond-v1 items marked *):
//! 1. The learning window is the last `window` days of history + period to date.
//! 2. *Regime cut:* if the window's weekly totals show a level shift (a split of whole
//!    weeks whose log-means differ by more than `cp_threshold` standard errors), the window
//!    starts at the shift, so an old regime does not hold the forecast back.
//! 3. Future days are replayed from the window: whole 7-day blocks that start on tomorrow's
//!    weekday (14+ days of data), else single days of the same weekday; drawn with recency
//!    weight 0.5^(age / half_life).
//! 4. Level uncertainty: each path is scaled by exp(τ·z), τ = min(tau_max,
//!    tau_k · cv / √n): "we don't know the true rate yet", shrinking as data accrues.
//! 5. *Drift:* the level also wanders over the horizon, a random walk on the log level with
//!    `drift_sd` per √week, and an *asymmetric growth prior*: a per-path growth rate drawn
//!    from a half-normal (`growth_sd` per week), because AI spend rises far more often than
//!    it falls and an early run-out costs more than a late one.
//! 6. Each path cumulates from the spend so far; its run-out day is the first day it reaches
//!    the budget. Quantiles are read from the sorted run-out days.
//!
//! Nothing here allocates per day; a one-year horizon with 2000 paths is ~1 ms.

use chrono::{Datelike, NaiveDate};

use super::rng::{Fnv, Rng};
use super::{add_days, Basis, Forecast, ForecastInput, SpendBand, LEVELS};

/// The method's constants. `Default` is the shipped, backtested choice; the fields are public
/// so the evaluation harness can show what each one does.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Days of data the bootstrap learns from (the most recent ones).
    pub window: usize,
    /// Recency half-life of the draw weights, days.
    pub half_life: f64,
    /// Level-uncertainty multiplier k in τ = k·cv/√n.
    pub tau_k: f64,
    /// Cap on τ.
    pub tau_max: f64,
    /// Coefficient of variation assumed when there is a single day (no spread to measure).
    pub cv_prior: f64,
    /// From this many days on, whole weeks are replayed; below it, single days.
    pub block_min_days: usize,
    /// Regime cut: a level shift of this many standard errors between whole weeks cuts the
    /// window. 0 turns it off.
    pub cp_threshold: f64,
    /// Random walk of the log level, per √week of lead. 0 turns it off.
    pub drift_sd: f64,
    /// Half-normal growth prior on the log level, per week of lead. 0 turns it off.
    pub growth_sd: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            window: 56,
            half_life: 14.0,
            tau_k: 3.0,
            tau_max: 1.0,
            cv_prior: 1.5,
            block_min_days: 14,
            cp_threshold: 0.0,
            drift_sd: 0.0,
            growth_sd: 0.0,
        }
    }
}

impl Params {
    /// The v1 method exactly as FORECAST.md §4 describes it (`bb_wide`).
    pub fn v1() -> Params {
        Params {
            window: 56,
            half_life: 14.0,
            tau_k: 3.0,
            tau_max: 1.0,
            cv_prior: 1.5,
            block_min_days: 14,
            cp_threshold: 0.0,
            drift_sd: 0.0,
            growth_sd: 0.0,
        }
    }
}

/// Relative tolerance for "cumulative spend reached the budget": sums of decimal amounts in
/// f64 can land a few ulps under a budget that equals them exactly.
const REACH_TOL: f64 = 1e-10;

fn reaches(cum: f64, budget: f64) -> bool {
    cum >= budget - budget.abs() * REACH_TOL
}

pub(super) fn run(input: &ForecastInput) -> Forecast {
    let p = &input.options.params;
    let as_of = input.as_of();
    let hist = &input.history[input.history.len().saturating_sub(input.options.history_days)..];
    let spent: f64 = input.period.iter().sum();
    // Days from the as-of day to the period end and to the horizon end.
    let k_end = (input.period_end - as_of).num_days();
    let horizon = (input.horizon_end - as_of).num_days().max(0) as usize;

    let reached_idx = first_reach(input.period, input.budget);
    let reached_on = reached_idx.map(|i| add_days(input.period_start, i as i64));

    // The data the method learns from, most recent last, and the weekday of its first day.
    let all: Vec<f64> = hist.iter().chain(input.period.iter()).copied().collect();
    let first_day = add_days(as_of, 1 - all.len() as i64);
    let mut window = &all[all.len().saturating_sub(p.window)..];
    let mut window_first = add_days(as_of, 1 - window.len() as i64);
    if p.cp_threshold > 0.0 {
        let cut = regime_cut(window, p.cp_threshold);
        window = &window[cut..];
        window_first = add_days(window_first, cut as i64);
    }
    let _ = first_day;

    let burn_7d = mean(&all[all.len().saturating_sub(7)..]);
    let burn_ptd = mean(input.period);
    let active = all.iter().filter(|&&x| x > 0.0).count();
    let early_estimate = all.len() < 7 || active < 3;

    let no_spend = window.iter().all(|&x| x <= 0.0);
    let basis = if reached_on.is_some() {
        Basis::Reached
    } else if no_spend {
        Basis::NoSpend
    } else if window.len() >= p.block_min_days {
        Basis::BlockBootstrap
    } else {
        Basis::DayBootstrap
    };

    let paths = input.options.paths.max(1);
    let mut seed = Fnv::default();
    for x in input.history.iter().chain(input.period) {
        seed.word(x.to_bits());
    }
    seed.word(input.budget.to_bits());
    seed.word(input.period_start.num_days_from_ce() as u64);
    seed.word(input.period_end.num_days_from_ce() as u64);
    seed.word(input.horizon_end.num_days_from_ce() as u64);
    seed.word(input.period.len() as u64);
    let mut rng = Rng::new(seed.finish());

    // Spend through the period end when the as-of day is already past it.
    let spent_by_end: f64 = input.period.iter().take((k_end + input.period.len() as i64).max(0) as usize).sum();

    let (mut runout, mut at_end) = if no_spend {
        (vec![u32::MAX; paths], vec![spent; paths])
    } else {
        let sim = Sim::new(window, window_first, as_of, p);
        sim.run(&mut rng, paths, spent, input.budget, k_end, horizon)
    };
    if k_end <= 0 {
        at_end.iter_mut().for_each(|x| *x = spent_by_end);
    }

    let mut quantiles = [None; 19];
    let p_exceed;
    if let Some(d) = reached_on {
        quantiles = [Some(d); 19];
        p_exceed = if d <= input.period_end { 1.0 } else { 0.0 };
    } else {
        runout.sort_unstable();
        for (q, &lvl) in quantiles.iter_mut().zip(LEVELS.iter()) {
            let k = runout[rank(lvl, paths)];
            *q = if (k as usize) <= horizon { Some(add_days(as_of, k as i64)) } else { None };
        }
        p_exceed = if k_end <= 0 {
            0.0
        } else {
            runout.iter().filter(|&&k| (k as i64) <= k_end).count() as f64 / paths as f64
        };
    }
    at_end.sort_unstable_by(f64::total_cmp);
    let spend_at_end =
        SpendBand { p10: at_end[rank(0.1, paths)], p50: at_end[rank(0.5, paths)], p90: at_end[rank(0.9, paths)] };

    Forecast {
        as_of,
        period_end: input.period_end,
        horizon_end: input.horizon_end,
        p10: quantiles[super::I10],
        p50: quantiles[super::I50],
        p90: quantiles[super::I90],
        quantiles,
        p_exceed,
        spend_at_end,
        budget: input.budget,
        spent,
        reached_on,
        early_estimate,
        burn_7d,
        burn_ptd,
        basis,
    }
}

/// Nearest-rank index of the `level` quantile among `n` sorted values.
pub(crate) fn rank(level: f64, n: usize) -> usize {
    (((level * n as f64) - 1e-9).ceil() as usize).clamp(1, n) - 1
}

fn first_reach(period: &[f64], budget: f64) -> Option<usize> {
    let mut cum = 0.0;
    for (i, &x) in period.iter().enumerate() {
        cum += x;
        if reaches(cum, budget) {
            return Some(i);
        }
    }
    None
}

fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        0.0
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}

/// Where the current regime starts: the index (a multiple of 7 from the end) after which
/// the whole weeks' log totals differ most from those before, if that difference exceeds
/// `threshold` standard errors; 0 when there is no convincing shift.
fn regime_cut(window: &[f64], threshold: f64) -> usize {
    let weeks = window.len() / 7;
    if weeks < 4 {
        return 0;
    }
    // Whole weeks counted back from the as-of day, oldest first.
    let off = window.len() - weeks * 7;
    let total: f64 = window.iter().sum();
    let floor = (total / window.len() as f64 * 7.0 * 0.05).max(f64::MIN_POSITIVE);
    let logs: Vec<f64> =
        (0..weeks).map(|w| (window[off + w * 7..off + w * 7 + 7].iter().sum::<f64>() + floor).ln()).collect();
    let mut best = (0.0, 0);
    // At least 2 weeks on each side.
    for split in 2..=weeks - 2 {
        let (a, b) = logs.split_at(split);
        let (ma, mb) = (mean(a), mean(b));
        let va = a.iter().map(|x| (x - ma).powi(2)).sum::<f64>();
        let vb = b.iter().map(|x| (x - mb).powi(2)).sum::<f64>();
        let pooled = ((va + vb) / (weeks - 2) as f64).max(1e-6);
        let se = (pooled * (1.0 / a.len() as f64 + 1.0 / b.len() as f64)).sqrt();
        let t = (mb - ma).abs() / se;
        if t > best.0 {
            best = (t, split);
        }
    }
    if best.0 > threshold {
        off + best.1 * 7
    } else {
        0
    }
}

/// One prepared simulation: the window's draw tables.
struct Sim<'a> {
    p: &'a Params,
    window: &'a [f64],
    /// Block mode: candidate block starts (all on tomorrow's weekday) and their cumulative
    /// weights. Day mode: per weekday (0 = Monday) and [7] = any day, indices and cumulative
    /// weights.
    blocks: Option<(Vec<usize>, Vec<f64>)>,
    days: [(Vec<usize>, Vec<f64>); 8],
    tomorrow_wd: usize,
    tau: f64,
}

impl<'a> Sim<'a> {
    fn new(window: &'a [f64], window_first: NaiveDate, as_of: NaiveDate, p: &'a Params) -> Sim<'a> {
        let n = window.len();
        let first_wd = window_first.weekday().num_days_from_monday() as usize;
        let tomorrow_wd = add_days(as_of, 1).weekday().num_days_from_monday() as usize;
        let weight = |age: usize| 0.5f64.powf(age as f64 / p.half_life);
        let blocks = if n >= p.block_min_days.max(7) {
            let mut starts = Vec::new();
            let mut cum = Vec::new();
            let mut acc = 0.0;
            for i in 0..=n - 7 {
                if (first_wd + i) % 7 == tomorrow_wd {
                    acc += weight(n - 7 - i);
                    starts.push(i);
                    cum.push(acc);
                }
            }
            Some((starts, cum))
        } else {
            None
        };
        let mut days: [(Vec<usize>, Vec<f64>); 8] = Default::default();
        for i in 0..n {
            let w = weight(n - 1 - i);
            for slot in [(first_wd + i) % 7, 7] {
                let acc = days[slot].1.last().copied().unwrap_or(0.0) + w;
                days[slot].0.push(i);
                days[slot].1.push(acc);
            }
        }
        let m = mean(window);
        let cv = if n >= 2 {
            let var = window.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
            var.sqrt() / m
        } else {
            p.cv_prior
        };
        let tau = (p.tau_k * cv / (n as f64).sqrt()).min(p.tau_max);
        Sim { p, window, blocks, days, tomorrow_wd, tau }
    }

    /// Draws an index from cumulative weights.
    fn pick(rng: &mut Rng, cum: &[f64]) -> usize {
        let u = rng.uniform() * cum[cum.len() - 1];
        cum.partition_point(|&c| c <= u).min(cum.len() - 1)
    }

    /// Simulates `paths` paths; returns each path's run-out day (days after the as-of day,
    /// `u32::MAX` when not within `horizon`) and its cumulative spend on day `k_end`.
    fn run(
        &self,
        rng: &mut Rng,
        paths: usize,
        spent: f64,
        budget: f64,
        k_end: i64,
        horizon: usize,
    ) -> (Vec<u32>, Vec<f64>) {
        let mut runout = Vec::with_capacity(paths);
        let mut at_end = Vec::with_capacity(paths);
        let k_end_u = k_end.max(0) as usize;
        let stop = horizon.max(k_end_u);
        for _ in 0..paths {
            let mut level = (self.tau * rng.normal()).exp();
            let growth = if self.p.growth_sd > 0.0 { (self.p.growth_sd * rng.normal()).abs() / 7.0 } else { 0.0 };
            let growth_step = growth.exp();
            let mut cum = spent;
            let mut out = u32::MAX;
            let mut end = spent;
            let mut day = 0usize;
            let mut block: &[f64] = &[];
            while day < stop && (out == u32::MAX || day < k_end_u) {
                if day % 7 == 0 && day > 0 && self.p.drift_sd > 0.0 {
                    level *= (self.p.drift_sd * rng.normal()).exp();
                }
                let v = match &self.blocks {
                    Some((starts, cum_w)) => {
                        if block.is_empty() {
                            let s = starts[Self::pick(rng, cum_w)];
                            block = &self.window[s..s + 7];
                        }
                        let v = block[0];
                        block = &block[1..];
                        v
                    }
                    None => {
                        let wd = (self.tomorrow_wd + day) % 7;
                        let slot = if self.days[wd].0.len() >= 2 { wd } else { 7 };
                        let (idx, cum_w) = &self.days[slot];
                        self.window[idx[Self::pick(rng, cum_w)]]
                    }
                };
                if growth > 0.0 {
                    level *= growth_step;
                }
                day += 1;
                cum += level * v;
                if out == u32::MAX && day <= horizon && reaches(cum, budget) {
                    out = day as u32;
                }
                if day == k_end_u {
                    end = cum;
                }
            }
            runout.push(out);
            at_end.push(end);
        }
        (runout, at_end)
    }
}
