//! `tokenburn forecast --series` and `tokenburn backtest` end to end through the real
//! binary on temp CSV files, plus a coarse calibration check of the engine on seeded
//! synthetic series, and (ignored) the evaluation harness on ../shared's real series.

mod common;

use std::path::{Path, PathBuf};

use chrono::{Datelike, Days, NaiveDate};
use common::Env;
use serde_json::Value;
use tokenburn::forecast::backtest::{cases, summarize, BacktestOptions, Case, Group};
use tokenburn::forecast::{synth, DailySeries};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Writes `date,amount` rows for consecutive days from `first` (None = row left out).
fn write_series(env: &Env, name: &str, first: &str, values: &[Option<f64>]) -> String {
    let mut text = String::from("date,amount\n");
    let first = d(first);
    for (i, v) in values.iter().enumerate() {
        if let Some(v) = v {
            text.push_str(&format!("{},{v}\n", first + Days::new(i as u64)));
        }
    }
    let path = env.dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

fn all(values: &[f64]) -> Vec<Option<f64>> {
    values.iter().map(|&v| Some(v)).collect()
}

/// Runs `forecast --json` and returns the raw line and its parsed value.
fn forecast(env: &Env, file: &str, args: &[&str]) -> (String, Value) {
    let mut a = vec!["forecast", "--series", file, "--column", "amount"];
    a.extend_from_slice(args);
    a.push("--json");
    let out = env.ok(&a);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("bad JSON: {e}\n{out}"));
    (out, v)
}

fn quantile_dates(v: &Value) -> Vec<Option<NaiveDate>> {
    let q = v["quantiles"].as_object().unwrap();
    q.values().map(|x| x.as_str().map(d)).collect()
}

const KEYS: [&str; 19] = [
    "0.05", "0.10", "0.15", "0.20", "0.25", "0.30", "0.35", "0.40", "0.45", "0.50", "0.55", "0.60", "0.65", "0.70",
    "0.75", "0.80", "0.85", "0.90", "0.95",
];

#[test]
fn json_shape_is_exact() {
    let env = Env::new();
    let vals: Vec<f64> = (0..40).map(|i| 10.0 + (i % 7) as f64).collect();
    let f = write_series(&env, "s.csv", "2026-01-01", &all(&vals));
    let (raw, v) = forecast(
        &env,
        &f,
        &["--budget", "1000", "--start", "2026-01-15", "--as-of", "2026-02-05", "--period", "quarter"],
    );
    assert_eq!(raw.lines().count(), 1, "{raw}");
    let obj = v.as_object().unwrap();
    let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    let mut expect = vec!["horizon_end", "p10", "p50", "p90", "p_exceed", "quantiles"];
    let mut got = keys.clone();
    got.sort();
    expect.sort();
    assert_eq!(got, expect);
    // Key order as printed.
    let pos = |k: &str| raw.find(&format!("\"{k}\":")).unwrap();
    assert!(pos("p10") < pos("p50") && pos("p50") < pos("p90") && pos("p90") < pos("quantiles"));
    assert!(pos("quantiles") < pos("p_exceed") && pos("p_exceed") < pos("horizon_end"));
    let q = v["quantiles"].as_object().unwrap();
    assert_eq!(q.keys().map(String::as_str).collect::<Vec<_>>().len(), 19);
    let mut last = 0;
    for k in KEYS {
        let at = raw.find(&format!("\"{k}\":")).unwrap_or_else(|| panic!("no {k}"));
        assert!(at > last, "quantile keys out of order at {k}");
        last = at;
    }
    assert_eq!(v["p10"], q["0.10"]);
    assert_eq!(v["p50"], q["0.50"]);
    assert_eq!(v["p90"], q["0.90"]);
    // Quarter from Jan 15 ends Apr 14; horizon + 60 days.
    assert_eq!(v["horizon_end"], "2026-06-13");
    let p = v["p_exceed"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&p));
    // Budget 1000 at ~13/day from 292 spent by Feb 5: run-out around late March.
    let dates = quantile_dates(&v);
    assert!(dates.windows(2).all(|w| w[0] <= w[1] || w[1].is_none()), "{dates:?}");
    let p50 = dates[9].unwrap();
    assert!(p50 > d("2026-03-10") && p50 < d("2026-04-10"), "{p50}");
}

#[test]
fn same_input_same_output() {
    let env = Env::new();
    let vals: Vec<f64> = synth::series(11, 70);
    let f = write_series(&env, "s.csv", "2026-01-05", &all(&vals));
    let spent: f64 = vals[14..40].iter().sum();
    let budget = format!("{:.3}", spent * 2.5);
    let args = ["--budget", &budget, "--start", "2026-01-19", "--as-of", "2026-02-13", "--period", "quarter"];
    let (a, _) = forecast(&env, &f, &args);
    let (b, _) = forecast(&env, &f, &args);
    assert_eq!(a, b);
}

#[test]
fn no_spend_yet_and_all_zeros_never_run_out() {
    let env = Env::new();
    let f = write_series(&env, "z.csv", "2026-01-01", &all(&[0.0; 30]));
    for as_of in ["2026-01-09", "2026-01-10", "2026-01-20"] {
        let (_, v) =
            forecast(&env, &f, &["--budget", "5", "--start", "2026-01-10", "--as-of", as_of, "--period", "month"]);
        assert!(v["p10"].is_null() && v["p50"].is_null() && v["p90"].is_null(), "{v}");
        assert!(quantile_dates(&v).iter().all(Option::is_none));
        assert_eq!(v["p_exceed"].as_f64(), Some(0.0));
    }
    // No spend in the period yet, but history says the user spends: a run-out is forecast.
    let mut vals = vec![3.0; 20];
    vals.extend([0.0; 2]);
    let f = write_series(&env, "h.csv", "2026-01-01", &all(&vals));
    let (_, v) =
        forecast(&env, &f, &["--budget", "60", "--start", "2026-01-21", "--as-of", "2026-01-21", "--period", "month"]);
    assert!(v["p50"].is_string(), "{v}");
    // ... and with --history-days 0 there is nothing to go on.
    let (_, v) = forecast(
        &env,
        &f,
        &[
            "--budget",
            "60",
            "--start",
            "2026-01-21",
            "--as-of",
            "2026-01-21",
            "--period",
            "month",
            "--history-days",
            "0",
        ],
    );
    assert!(v["p50"].is_null(), "{v}");
}

#[test]
fn one_day_of_data_is_an_early_estimate_with_a_wide_band() {
    let env = Env::new();
    let f = write_series(&env, "one.csv", "2026-03-01", &all(&[10.0]));
    let args = ["--budget", "300", "--start", "2026-03-01", "--as-of", "2026-03-01", "--period", "month"];
    let (_, v) = forecast(&env, &f, &args);
    let p10 = v["p10"].as_str().map(d).unwrap();
    let p50 = v["p50"].as_str().map(d).unwrap();
    // 10/day → the 300 budget lasts about 30 days; the band is wide and includes that.
    assert!(p10 < d("2026-03-25") && p50 > d("2026-03-20") && p50 < d("2026-04-10"), "{v}");
    assert!(v["p90"].is_null() || v["p90"].as_str().map(d).unwrap() > d("2026-04-05"), "{v}");
    let mut a = vec!["forecast", "--series", &f, "--column", "amount"];
    a.extend_from_slice(&args);
    let human = env.ok(&a);
    assert!(human.contains("Early estimate"), "{human}");
    assert!(human.contains("Run-out: most likely"), "{human}");
}

#[test]
fn a_single_spike_and_then_nothing() {
    let env = Env::new();
    let mut vals = vec![0.0; 20];
    vals[5] = 500.0;
    let f = write_series(&env, "spike.csv", "2026-01-01", &all(&vals));
    // The spike is in the window: the forecast replays it now and then; never a panic,
    // quantiles ordered, and it may well say "not before the horizon".
    let (_, v) = forecast(
        &env,
        &f,
        &["--budget", "2000", "--start", "2026-01-01", "--as-of", "2026-01-20", "--period", "quarter"],
    );
    let q = quantile_dates(&v);
    assert!(q.windows(2).all(|w| w[1].is_none() || (w[0].is_some() && w[0] <= w[1])), "{v}");
    assert!(v["p_exceed"].as_f64().unwrap() < 0.9, "{v}");
}

#[test]
fn budget_already_reached_pins_every_quantile() {
    let env = Env::new();
    let f = write_series(&env, "r.csv", "2026-01-01", &all(&[4.0, 4.0, 4.0, 4.0, 4.0]));
    let (_, v) = forecast(
        &env,
        &f,
        &["--budget", "12.0", "--start", "2026-01-01", "--as-of", "2026-01-05", "--period", "month"],
    );
    assert!(quantile_dates(&v).iter().all(|q| *q == Some(d("2026-01-03"))), "{v}");
    assert_eq!(v["p50"], "2026-01-03");
    assert_eq!(v["p_exceed"].as_f64(), Some(1.0));
}

#[test]
fn missing_days_and_empty_cells_are_zero() {
    let env = Env::new();
    let vals: Vec<f64> = (0..35).map(|i| if i % 5 == 4 { 0.0 } else { 7.0 + (i % 3) as f64 }).collect();
    let explicit = write_series(&env, "explicit.csv", "2026-02-01", &all(&vals));
    let gapped: Vec<Option<f64>> = vals.iter().map(|&v| if v == 0.0 { None } else { Some(v) }).collect();
    let gapped = write_series(&env, "gapped.csv", "2026-02-01", &gapped);
    // The same zeros as empty cells.
    let mut text = String::from("date,amount,other\n");
    for (i, v) in vals.iter().enumerate() {
        let cell = if *v == 0.0 { String::new() } else { v.to_string() };
        text.push_str(&format!("{},{cell},x\n", d("2026-02-01") + Days::new(i as u64)));
    }
    let empty = env.dir.path().join("empty.csv");
    std::fs::write(&empty, text).unwrap();
    let args = ["--budget", "400", "--start", "2026-02-08", "--as-of", "2026-03-07", "--period", "month"];
    let (a, _) = forecast(&env, &explicit, &args);
    let (b, _) = forecast(&env, &gapped, &args);
    let (c, _) = forecast(&env, empty.to_str().unwrap(), &args);
    assert_eq!(a, b);
    assert_eq!(a, c);
}

#[test]
fn weekday_only_usage_runs_out_on_a_weekday() {
    let env = Env::new();
    // 2026-01-05 is a Monday.
    let vals: Vec<f64> = (0..42).map(|i| if i % 7 < 5 { 100.0 } else { 0.0 }).collect();
    let f = write_series(&env, "wd.csv", "2026-01-05", &all(&vals));
    let (_, v) = forecast(
        &env,
        &f,
        &["--budget", "5000", "--start", "2026-01-05", "--as-of", "2026-02-15", "--period", "quarter"],
    );
    for q in quantile_dates(&v).into_iter().flatten() {
        assert!(q.weekday().num_days_from_monday() < 5, "{q} is a weekend day: {v}");
    }
    // 3000 spent, 2000 left at 500/week: about four weeks on.
    let p50 = v["p50"].as_str().map(d).unwrap();
    assert!(p50 >= d("2026-03-05") && p50 <= d("2026-03-20"), "{v}");
}

#[test]
fn period_arithmetic() {
    let env = Env::new();
    let f = write_series(&env, "p.csv", "2026-01-01", &all(&[1.0; 10]));
    let horizon = |start: &str, extra: &[&str]| {
        let mut a = vec!["--budget", "1000000", "--start", start, "--as-of", start];
        a.extend_from_slice(extra);
        forecast(&env, &f, &a).1["horizon_end"].as_str().unwrap().to_string()
    };
    // Jan 31 + 1 month = Feb 28 (clamped), minus a day: Feb 27; + 60 days.
    assert_eq!(horizon("2026-01-31", &["--period", "month"]), "2026-04-28");
    // Jan 1 quarter: ends Mar 31.
    assert_eq!(horizon("2026-01-01", &["--period", "quarter"]), "2026-05-30");
    // A year (365 days) gets a year of horizon: Mar 15 2026 .. Mar 14 2027, + 365.
    assert_eq!(horizon("2026-03-15", &["--period", "year"]), "2028-03-13");
    // --end is the last day.
    assert_eq!(horizon("2026-01-01", &["--end", "2026-01-10"]), "2026-03-11");
    assert_eq!(horizon("2026-01-01", &["--end", "2026-12-31"]), "2027-12-31");
}

#[test]
fn history_days_zero_uses_the_period_only() {
    let env = Env::new();
    // Heavy history, light period.
    let mut vals = vec![50.0; 56];
    vals.extend([5.0; 14]);
    let f = write_series(&env, "h.csv", "2026-01-01", &all(&vals));
    let period_only = write_series(&env, "p.csv", "2026-02-26", &all(&[5.0; 14]));
    let base = ["--budget", "300", "--start", "2026-02-26", "--as-of", "2026-03-11", "--period", "month"];
    let with = |extra: &[&str], file: &str| {
        let mut a = base.to_vec();
        a.extend_from_slice(extra);
        forecast(&env, file, &a).0
    };
    let default = with(&[], &f);
    let explicit56 = with(&["--history-days", "56"], &f);
    let zero = with(&["--history-days", "0"], &f);
    let no_history_file = with(&[], &period_only);
    assert_eq!(default, explicit56);
    assert_eq!(zero, no_history_file);
    assert_ne!(default, zero);
    // The heavy history pulls the run-out earlier.
    let p50 = |s: &str| serde_json::from_str::<Value>(s).unwrap()["p50"].as_str().map(d);
    assert!(p50(&default) < p50(&zero) || p50(&zero).is_none(), "{default}\n{zero}");
}

#[test]
fn bad_input_names_file_line_and_column() {
    let env = Env::new();
    let dir = env.dir.path();
    let cases = [
        ("nocol.csv", "date,tokens\n2026-01-01,5\n", "no column \"amount\"", "line 1"),
        ("baddate.csv", "date,amount\n2026-01-01,5\n2026-01-32,5\n", "column \"date\"", "line 3"),
        ("badnum.csv", "date,amount\n2026-01-01,5\n2026-01-02,5\n2026-01-03,lots\n", "column \"amount\"", "line 4"),
    ];
    for (name, text, what, line) in cases {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        let out = env.run(&[
            "forecast",
            "--series",
            p.to_str().unwrap(),
            "--column",
            "amount",
            "--budget",
            "10",
            "--start",
            "2026-01-01",
            "--as-of",
            "2026-01-02",
            "--period",
            "month",
        ]);
        assert!(!out.status.success(), "{name} should fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(name) && err.contains(what) && err.contains(line), "{name}: {err}");
    }
    // Bad arguments fail too.
    let p = dir.join("ok.csv");
    std::fs::write(&p, "date,amount\n2026-01-01,5\n").unwrap();
    for bad in [["--budget", "ten"], ["--start", "2026-1-1x"]] {
        let mut a = vec!["forecast", "--series", p.to_str().unwrap(), "--column", "amount"];
        for (k, v) in [("--budget", "10"), ("--start", "2026-01-01")] {
            if k != bad[0] {
                a.extend([k, v]);
            }
        }
        a.extend(bad);
        a.extend(["--as-of", "2026-01-01", "--period", "month"]);
        assert!(!env.run(&a).status.success(), "{bad:?}");
    }
}

#[test]
fn backtest_command_reports_both_methods() {
    let env = Env::new();
    // The first 70 days of the fixture: enough periods, and quick in a debug build.
    let text = std::fs::read_to_string(common::fixture("series/weekday-growth.csv")).unwrap();
    let short: Vec<&str> = text.lines().take(70).collect();
    let path = env.dir.path().join("short.csv");
    std::fs::write(&path, short.join("\n")).unwrap();
    let f = path.to_string_lossy().into_owned();
    let v = env.json(&["backtest", "--series", &f, "--column", "tokens"]);
    let all = &v["all"];
    let n = all["ours"]["forecasts"].as_u64().unwrap();
    assert!(n > 30, "{v}");
    assert_eq!(all["baseline"]["forecasts"].as_u64(), Some(n));
    for field in ["coverage", "early_miss", "late_miss", "median_abs_error", "median_rel_error", "crps"] {
        assert!(all["ours"][field].is_number(), "{field}");
    }
    let human = env.ok(&["backtest", "--series", &f, "--column", "cost_usd"]);
    assert!(human.contains("all forecast") && human.contains("all baseline"), "{human}");
}

#[test]
fn forecast_reads_the_fixture_cost_column() {
    let env = Env::new();
    let f = common::fixture("series/weekday-growth.csv");
    let out = env.ok(&[
        "forecast",
        "--series",
        &f,
        "--column",
        "cost_usd",
        "--budget",
        "40",
        "--start",
        "2026-03-01",
        "--as-of",
        "2026-03-20",
        "--period",
        "month",
    ]);
    assert!(out.contains("Run-out") || out.contains("Budget reached"), "{out}");
}

/// The engine's band is roughly calibrated on synthetic users: P10–P90 holds the true
/// run-out in roughly 70–90% of the forecasts over many cut points.
#[test]
fn band_coverage_on_synthetic_series() {
    // Kept small: this runs in the debug build with every `cargo test`.
    let opts = BacktestOptions { cuts: vec![7, 14, 28], start_every: 21, warm: false, ..Default::default() };
    let mut pooled: Vec<Case> = Vec::new();
    for seed in 0..16u64 {
        let s = DailySeries { first: d("2025-06-02"), values: synth::series(100 + seed, 100) };
        pooled.extend(cases(&s, &opts));
    }
    let r = summarize(0, pooled);
    let m = &r.all.ours;
    eprintln!(
        "synthetic: {} forecasts, coverage {:.2}, early {:.2}, late {:.2}, CRPS gain {:.2}",
        m.forecasts, m.coverage, m.early_miss, m.late_miss, r.all.crps_gain
    );
    assert!(m.forecasts > 150, "{}", m.forecasts);
    assert!((0.70..=0.90).contains(&m.coverage), "coverage {}", m.coverage);
    // The generator is growth-heavy (as docs/FORECAST.md's synthetic set was): early misses run higher
    // than on real series there.
    assert!(m.early_miss <= 0.20, "early misses {}", m.early_miss);
    assert!(r.all.crps_gain > 0.0, "no better than the burn-rate baseline: {}", r.all.crps_gain);
}

fn shared_series() -> Vec<(String, DailySeries)> {
    let Some(data) = common::shared_data() else { return Vec::new() };
    let root = data.join("daily-series");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    let mut out = Vec::new();
    for dir in dirs {
        let file = dir.join("daily.csv");
        if !file.is_file() {
            continue;
        }
        for col in ["tokens", "cost_usd"] {
            let s = DailySeries::read_csv(&file, col).unwrap();
            if s.values.iter().any(|&x| x > 0.0) {
                out.push((format!("{}:{col}", name(&dir)), s));
            }
        }
    }
    out
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

fn row(label: &str, g: &Group) {
    for (who, m) in [("forecast", &g.ours), ("baseline", &g.baseline)] {
        println!(
            "{:<42} {:<8} {:>5} {:>6.3} {:>6.3} {:>6.3} {:>6.1} {:>7.3} {:>7.3} {}",
            label,
            who,
            m.forecasts,
            m.coverage,
            m.early_miss,
            m.late_miss,
            m.median_abs_error,
            m.median_rel_error,
            m.crps,
            if who == "forecast" { format!("{:>6.1}%", g.crps_gain * 100.0) } else { String::new() }
        );
    }
}

/// The evaluation harness: docs/FORECAST.md §5.1 on every ../shared daily series (each non-empty
/// column), per series and pooled, for the forecast and the period-to-date baseline.
/// `cargo test --release --test forecast -- --ignored --nocapture harness`
#[test]
#[ignore]
fn harness_shared_series() {
    let series = shared_series();
    if series.is_empty() {
        return;
    }
    let opts = BacktestOptions::default();
    println!(
        "{:<42} {:<8} {:>5} {:>6} {:>6} {:>6} {:>6} {:>7} {:>7} {:>7}",
        "series", "method", "n", "cov", "early", "late", "medAE", "relAE", "CRPS", "gain"
    );
    let mut pooled = Vec::new();
    for (label, s) in &series {
        let c = cases(s, &opts);
        let r = summarize(s.values.len(), c.clone());
        row(label, &r.all);
        pooled.extend(c);
    }
    let r = summarize(0, pooled);
    row("POOLED", &r.all);
    for g in &r.groups {
        row(&format!("POOLED {}", g.name), g);
    }
}
