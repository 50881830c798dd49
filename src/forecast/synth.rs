//! Synthetic daily usage series for tests and the evaluation harness: seeded, so a test
//! that uses one is reproducible. They mimic what the real series show (weekday-heavy use,
//! zero days, spikes, level shifts, growth) without copying any of them.
//!
//! Not a model of any user: a generator whose assumptions are stated here, so a calibration
//! test on it checks the method's mechanics, not its fit to real people.

use super::rng::Rng;

/// The knobs of one synthetic user, drawn from the seed by [`profile`].
#[derive(Debug, Clone)]
pub struct Profile {
    /// Typical active-day amount at the start.
    pub base: f64,
    /// Weekend activity relative to weekdays (0.2 = a workweek user, 1.3 = weekend-heavy).
    pub weekend: f64,
    /// Probability that a weekday has any use.
    pub active: f64,
    /// Day-to-day log spread of active days.
    pub sigma: f64,
    /// Mean log growth per week.
    pub growth: f64,
    /// Probability per day of a level shift, and its log size.
    pub shift_rate: f64,
    pub shift_sd: f64,
    /// Probability per day of a spike, and its multiplier range.
    pub spike_rate: f64,
}

/// A user's profile from a seed.
pub fn profile(seed: u64) -> Profile {
    let mut r = Rng::new(seed ^ 0x5157_0001);
    Profile {
        base: (r.normal() * 1.5).exp() * 100.0,
        weekend: 0.2 + 1.1 * r.uniform(),
        active: 0.55 + 0.45 * r.uniform(),
        sigma: 0.3 + 0.7 * r.uniform(),
        growth: 0.02 + 0.06 * r.normal(),
        shift_rate: 0.02 * r.uniform(),
        shift_sd: 0.6,
        spike_rate: 0.04 * r.uniform(),
    }
}

/// `days` daily amounts for the user of `seed`; day 0 is a Monday.
pub fn series(seed: u64, days: usize) -> Vec<f64> {
    generate(&profile(seed), seed, days)
}

/// `days` daily amounts from an explicit profile; day 0 is a Monday.
pub fn generate(p: &Profile, seed: u64, days: usize) -> Vec<f64> {
    let mut r = Rng::new(seed ^ 0xda11_0002);
    let mut log_level = 0.0f64;
    (0..days)
        .map(|d| {
            log_level += p.growth / 7.0 + 0.04 * r.normal();
            if r.uniform() < p.shift_rate {
                log_level += p.shift_sd * r.normal();
            }
            let weekend = d % 7 >= 5;
            let active = if weekend { (p.active * p.weekend).min(1.0) } else { p.active };
            if r.uniform() >= active {
                return 0.0;
            }
            let mut x = p.base * log_level.exp() * (p.sigma * r.normal() - p.sigma * p.sigma / 2.0).exp();
            if weekend && p.weekend > 1.0 {
                x *= p.weekend;
            }
            if r.uniform() < p.spike_rate {
                x *= 3.0 + 7.0 * r.uniform();
            }
            x
        })
        .collect()
}
