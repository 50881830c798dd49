//! Deterministic demo data for every chart kind: for previews, the README's pictures and
//! the rendering benchmark. Not anyone's real usage.

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

use super::{
    BreakdownData, BurnData, DailyData, FanPoint, MonthTokens, RatioData, Reference, TokensData, Unit, WeekSpend,
};
use crate::money::Usd;

/// A small linear congruential generator: the same numbers on every machine.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn add(d: NaiveDate, n: i64) -> NaiveDate {
    if n >= 0 {
        d.checked_add_days(Days::new(n as u64)).expect("date in range")
    } else {
        d.checked_sub_days(Days::new(n.unsigned_abs())).expect("date in range")
    }
}

/// Whole cents to money (demo amounts are rounded to the cent, like most bills).
fn cents(c: f64) -> Usd {
    Usd(c.round() as i64 * 10_000_000)
}

/// A day's demo spend in cents: a rising trend, quiet weekends, noise, rare spikes.
fn day_cents(rng: &mut Lcg, d: NaiveDate, t: f64, base: f64) -> f64 {
    let weekday = match d.weekday() {
        Weekday::Sat => 0.35,
        Weekday::Sun => 0.25,
        _ => 1.0,
    };
    let spike = if rng.next() < 0.03 { 3.0 } else { 1.0 };
    let idle = if rng.next() < 0.04 { 0.0 } else { 1.0 };
    base * 100.0 * (1.0 + 1.5 * t) * weekday * (0.45 + rng.next()) * spike * idle
}

/// `days` days of spend ending on `end`, about `base` dollars on a weekday at the start.
pub fn daily(end: NaiveDate, days: usize, base: f64) -> DailyData {
    let mut rng = Lcg(7);
    let from = add(end, 1 - days as i64);
    let list = (0..days)
        .map(|i| {
            let d = add(from, i as i64);
            (d, cents(day_cents(&mut rng, d, i as f64 / days.max(1) as f64, base)))
        })
        .collect();
    DailyData { days: list, range: Some((from, end)), unpriced_events: 0, today: end }
}

/// `weeks` weeks of spend by model ending with the week of `end`.
pub fn breakdown(end: NaiveDate, weeks: usize, top: usize) -> BreakdownData {
    let mut rng = Lcg(11);
    let models = [
        ("claude-sonnet-4-5", 1.0),
        ("gpt-5-codex", 0.55),
        ("claude-opus-4-1", 0.45),
        ("gemini-2.5-pro", 0.2),
        ("gpt-5-mini", 0.08),
        ("claude-haiku-4-5", 0.06),
        ("deepseek-v3.1", 0.03),
        ("grok-code-fast-1", 0.02),
        ("qwen3-coder", 0.01),
    ];
    let last = add(end, -(end.weekday().num_days_from_monday() as i64));
    let mut rows = Vec::new();
    for w in 0..weeks {
        let week = add(last, -7 * (weeks - 1 - w) as i64);
        let t = w as f64 / weeks.max(1) as f64;
        for (i, (m, share)) in models.iter().enumerate() {
            // Models come and go: later ones start later.
            if t < i as f64 * 0.06 {
                continue;
            }
            let c = 9000.0 * share * (0.6 + t) * (0.6 + 0.8 * rng.next());
            rows.push(WeekSpend { week, key: m.to_string(), spend: cents(c) });
        }
    }
    BreakdownData { by: "model".into(), weeks: rows, top, range: None, unpriced_events: 0, today: end }
}

/// `months` months of tokens by provider ending with the month of `end`.
pub fn tokens(end: NaiveDate, months: usize, top: usize) -> TokensData {
    let mut rng = Lcg(13);
    let providers: [(&str, f64, f64); 5] = [
        ("anthropic", 4e8, 1.25),
        ("openai", 1.5e8, 1.18),
        ("google", 6e6, 1.3),
        ("openrouter", 3e5, 1.1),
        ("xai", 2e5, 1.4),
    ];
    let last = end.with_day(1).expect("day 1");
    let mut rows = Vec::new();
    for m in 0..months {
        let month = last.checked_sub_months(Months::new((months - 1 - m) as u32)).expect("month in range");
        for (i, (p, start, growth)) in providers.iter().enumerate() {
            if i == 4 && m < months / 2 {
                continue;
            }
            let v = start * growth.powf(m as f64 * 12.0 / months.max(12) as f64) * (0.7 + 0.6 * rng.next());
            rows.push(MonthTokens { month, key: p.to_string(), tokens: v as i64 });
        }
    }
    TokensData { by: "provider".into(), months: rows, top, range: None, today: end }
}

/// A budget period with `budget` dollars, spend through `today` and a naive forecast fan
/// (the recent daily mean, widening) to the run-out or the period end.
pub fn burn(
    name: &str,
    period_start: NaiveDate,
    period_end: NaiveDate,
    today: NaiveDate,
    budget: Usd,
    base: f64,
) -> BurnData {
    let mut rng = Lcg(17);
    let len = (period_end - period_start).num_days() + 1;
    let mut cumulative = Vec::new();
    let mut total = 0i64;
    let mut d = period_start;
    while d <= today.min(period_end) {
        let t = (d - period_start).num_days() as f64 / len as f64;
        total += cents(day_cents(&mut rng, d, t * 0.3, base)).nanos();
        cumulative.push((d, total));
        d = add(d, 1);
    }
    let done = cumulative.len().max(1) as f64;
    let rate = total as f64 / done;
    let mut fan = Vec::new();
    let mut p50_runout = None;
    let horizon = add(period_end, len);
    let mut d = add(today, 1);
    let mut k = 1.0;
    while d <= horizon && (d <= period_end || p50_runout.is_none()) {
        let p50 = total as f64 + rate * k;
        let spread = rate * (1.6 * k.sqrt() + 0.12 * k);
        fan.push(FanPoint {
            date: d,
            p10: (p50 - spread).max(total as f64) as i64,
            p50: p50 as i64,
            p90: (p50 + spread) as i64,
        });
        if p50_runout.is_none() && p50 >= budget.nanos() as f64 {
            p50_runout = Some(d);
        }
        d = add(d, 1);
        k += 1.0;
    }
    BurnData {
        name: name.into(),
        unit: Unit::Usd,
        period_start,
        period_end,
        today,
        budget: budget.nanos(),
        cumulative,
        fan,
        thresholds: vec![50, 80, 90],
        p50_runout,
    }
}

/// A year against `compensation`, spend through `today`, and a projection at the recent rate.
pub fn ratio(year: i32, today: NaiveDate, compensation: Usd, target_bp: Option<u32>, base: f64) -> RatioData {
    let mut rng = Lcg(19);
    let start = NaiveDate::from_ymd_opt(year, 1, 1).expect("valid year");
    let end = NaiveDate::from_ymd_opt(year, 12, 31).expect("valid year");
    let mut cumulative = Vec::new();
    let mut total = Usd::ZERO;
    let mut d = start;
    while d <= today.min(end) {
        let t = (d - start).num_days() as f64 / 365.0;
        total += cents(day_cents(&mut rng, d, t, base));
        cumulative.push((d, total));
        d = add(d, 1);
    }
    let elapsed = cumulative.len().max(1) as i128;
    let days = ((end - start).num_days() + 1) as i128;
    let projected = Usd((total.nanos() as i128 * days / elapsed) as i64);
    RatioData {
        year_start: start,
        year_end: end,
        today,
        compensation,
        target_bp,
        references: Reference::defaults(),
        cumulative,
        projected_year_end: Some(projected),
    }
}
