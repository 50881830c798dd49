//! Forecast cost: one-year period, one-year-plus horizon, 2000 paths, on a spiky synthetic
//! series (the goal is <= 5 ms per forecast). `cargo bench --bench forecast`.

use std::hint::black_box;
use std::time::Instant;

use chrono::NaiveDate;
use tokenburn::forecast::{default_horizon_end, forecast, synth, ForecastInput, ForecastOptions};

/// This thread's CPU time: steadier than wall time on a shared 2-core machine.
fn thread_cpu_seconds() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a valid out-pointer for a clock every Linux and macOS has.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn main() {
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let end = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    let data = synth::series(7, 56 + 30);
    let (history, period) = data.split_at(56);
    let spent: f64 = period.iter().sum();
    let cases = [
        // A budget the pace reaches within the year, one it never reaches (every path runs
        // the whole 730-day horizon: the worst case), and a quarter with a near run-out.
        ("year, run-out mid-year", end, spent * 6.0),
        ("year, never runs out", end, spent * 1e6),
        ("quarter, run-out soon", NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(), spent * 1.5),
    ];
    for (name, period_end, budget) in cases {
        let input = ForecastInput {
            history,
            period,
            period_start: start,
            period_end,
            horizon_end: default_horizon_end(start, period_end),
            budget,
            options: ForecastOptions::default(),
        };
        for _ in 0..20 {
            black_box(forecast(black_box(&input)));
        }
        let n = 300;
        let t = Instant::now();
        let cpu = thread_cpu_seconds();
        for _ in 0..n {
            black_box(forecast(black_box(&input)));
        }
        let per_cpu = (thread_cpu_seconds() - cpu) / n as f64;
        let per = t.elapsed().as_secs_f64() / n as f64;
        println!("forecast ({name}): {:.3} ms per forecast CPU, {:.3} ms wall (2000 paths)", per_cpu * 1e3, per * 1e3);
    }
}
