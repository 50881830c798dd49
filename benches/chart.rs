//! Chart rendering benchmark (`cargo bench --bench chart`): every chart kind over five
//! years of daily data, as SVG and PNG at 800x500 and 1600x1000. Target: under 50 ms each
//! (median wall time of 15 runs). Exits non-zero when a median misses it. The thread's CPU
//! time is printed too: on a busy machine it is the figure that says what the code costs.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use tokenburn::chart::{self, sample, Chart, DateLocale, Format, Options, Theme};
use tokenburn::money::Usd;

const TARGET: Duration = Duration::from_millis(50);
const RUNS: usize = 15;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// CPU time of this thread.
fn cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime fills the struct we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn main() {
    let end = d("2026-06-15");
    let start = d("2021-06-16");
    let days = (end - start).num_days() as usize + 1;
    let usd = |n: i64| Usd(n * 1_000_000_000);
    // A five-year budget period, and a five-year "year" for the ratio chart: the most points
    // those charts can be asked to draw.
    let mut burn = sample::burn("Five years", start, end, d("2025-06-15"), usd(400_000), 120.0);
    burn.thresholds = vec![50, 80, 90];
    let mut ratio = sample::ratio(2021, end, usd(900_000), Some(1500), 80.0);
    ratio.year_end = end;
    let charts = [
        ("burn", Chart::Burn(burn)),
        ("ratio", Chart::Ratio(ratio)),
        ("tokens", Chart::Tokens(sample::tokens(end, 60, 7))),
        ("breakdown", Chart::Breakdown(sample::breakdown(end, days / 7, 7))),
        ("daily", Chart::Daily(sample::daily(end, days, 40.0))),
    ];
    let mut worst = Duration::ZERO;
    println!("{:<10} {:>4} {:>10} {:>10} {:>10} {:>10} {:>9}", "chart", "fmt", "size", "median", "max", "cpu", "bytes");
    for (name, c) in &charts {
        for format in [Format::Svg, Format::Png] {
            for (w, h) in [(800, 500), (1600, 1000)] {
                let opts = Options { width: w, height: h, theme: Theme::Light, locale: DateLocale::default() };
                let mut times = Vec::with_capacity(RUNS);
                let mut cpus = Vec::with_capacity(RUNS);
                let mut bytes = 0;
                for i in 0..RUNS + 2 {
                    let (t, c0) = (Instant::now(), cpu());
                    let out = chart::render(c, &opts, format).expect("renders");
                    let (el, ce) = (t.elapsed(), cpu() - c0);
                    bytes = out.len();
                    if i >= 2 {
                        times.push(el);
                        cpus.push(ce);
                    }
                }
                cpus.sort();
                times.sort();
                let median = times[RUNS / 2];
                worst = worst.max(median);
                let fmt = if format == Format::Svg { "svg" } else { "png" };
                println!(
                    "{name:<10} {fmt:>4} {:>10} {:>8.1}ms {:>8.1}ms {:>8.1}ms {bytes:>9}",
                    format!("{w}x{h}"),
                    median.as_secs_f64() * 1e3,
                    times[RUNS - 1].as_secs_f64() * 1e3,
                    cpus[RUNS / 2].as_secs_f64() * 1e3
                );
            }
        }
    }
    println!("slowest median {:.1} ms (target {} ms)", worst.as_secs_f64() * 1e3, TARGET.as_millis());
    if worst > TARGET {
        eprintln!("chart bench: a median is over the {} ms target", TARGET.as_millis());
        std::process::exit(1);
    }
}
