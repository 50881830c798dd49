//! `forecast` and `backtest` on a daily CSV series: parse arguments, call
//! `tokenburn::forecast`, print. The JSON of `forecast` is a fixed shape that scripts and
//! evaluations read; keep its keys and order.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::Args;
use tokenburn::forecast::backtest::{backtest, BacktestOptions, Group};
use tokenburn::forecast::series::{forecast_series, parse_amount, PeriodLen};
use tokenburn::forecast::{DailySeries, Forecast, SeriesRequest, DEFAULT_HISTORY_DAYS, LEVELS};

use super::Global;

#[derive(Args)]
pub struct ForecastArgs {
    /// Daily CSV file with a `date` column (YYYY-MM-DD); missing days and empty cells are zero
    #[arg(long)]
    series: PathBuf,
    /// The amount column to forecast (e.g. cost_usd or tokens)
    #[arg(long)]
    column: String,
    /// The budget for the period, a decimal in the column's unit (e.g. 50 or 12345.0)
    #[arg(long, value_parser = |s: &str| parse_amount(s))]
    budget: f64,
    /// First day of the period
    #[arg(long, value_parser = parse_date)]
    start: NaiveDate,
    /// Last day of data to use (inclusive)
    #[arg(long = "as-of", value_parser = parse_date)]
    as_of: NaiveDate,
    /// Last day of the period (inclusive)
    #[arg(long, value_parser = parse_date, conflicts_with = "period", required_unless_present = "period")]
    end: Option<NaiveDate>,
    /// month, quarter or year: 1, 3 or 12 calendar months from --start (end = start + months - 1 day)
    #[arg(long, value_parser = |s: &str| PeriodLen::named(s).ok_or("expected month, quarter or year"))]
    period: Option<PeriodLen>,
    /// Days before --start the forecast may learn from (0: the period only)
    #[arg(long = "history-days", default_value_t = DEFAULT_HISTORY_DAYS)]
    history_days: usize,
}

#[derive(Args)]
pub struct BacktestArgs {
    /// Daily CSV file with a `date` column (YYYY-MM-DD); missing days and empty cells are zero
    #[arg(long, requires = "column", conflicts_with = "budget")]
    series: Option<PathBuf>,
    /// The amount column to backtest
    #[arg(long)]
    column: Option<String>,
    /// Backtest on the ledger's history of this budget (its filters and unit)
    #[arg(long, required_unless_present = "series")]
    budget: Option<String>,
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("not a date (YYYY-MM-DD): {s:?}"))
}

pub fn run(g: &Global, a: ForecastArgs) -> Result<ExitCode> {
    let series = DailySeries::read_csv(&a.series, &a.column)?;
    let period = match (a.end, a.period) {
        (Some(end), _) => PeriodLen::End(end),
        (None, Some(p)) => p,
        (None, None) => anyhow::bail!("give --end DATE or --period month|quarter|year"),
    };
    let req = SeriesRequest {
        budget: a.budget,
        start: a.start,
        as_of: a.as_of,
        period,
        history_days: a.history_days,
        params: Default::default(),
    };
    let f = forecast_series(&series, &req).context("forecast")?;
    if g.json {
        println!("{}", forecast_json(&f));
    } else {
        print_forecast(&f, a.start);
    }
    Ok(ExitCode::SUCCESS)
}

/// The fixed JSON shape: p10, p50, p90, quantiles (19, keyed "0.05".."0.95"), p_exceed,
/// horizon_end. Dates are YYYY-MM-DD or null (run-out after horizon_end).
pub fn forecast_json(f: &Forecast) -> String {
    let date = |d: Option<NaiveDate>| match d {
        Some(d) => format!("\"{d}\""),
        None => "null".to_string(),
    };
    let quantiles: Vec<String> =
        LEVELS.iter().zip(&f.quantiles).map(|(l, &d)| format!("\"{l:.2}\":{}", date(d))).collect();
    format!(
        "{{\"p10\":{},\"p50\":{},\"p90\":{},\"quantiles\":{{{}}},\"p_exceed\":{},\"horizon_end\":\"{}\"}}",
        date(f.p10),
        date(f.p50),
        date(f.p90),
        quantiles.join(","),
        serde_json::Value::from(f.p_exceed),
        f.horizon_end
    )
}

fn amount(x: f64) -> String {
    if x.abs() >= 1000.0 {
        super::output::group(x.round() as i64)
    } else if x.abs() >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.4}")
    }
}

fn print_forecast(f: &Forecast, start: NaiveDate) {
    let pct = if f.budget > 0.0 { f.spent / f.budget * 100.0 } else { 0.0 };
    println!("Period {start} to {}; data through {}", f.period_end, f.as_of);
    println!("Budget {}, spent {} ({pct:.0}%)", amount(f.budget), amount(f.spent));
    println!("Burn per day: {} over the last 7 days, {} period to date", amount(f.burn_7d), amount(f.burn_ptd));
    let date = |d: Option<NaiveDate>| d.map_or(format!("after {}", f.horizon_end), |d| d.to_string());
    if let Some(d) = f.reached_on {
        println!("Budget reached on {d}");
    } else if f.p90.is_none() && f.p10.is_none() {
        println!("Run-out: not before {} at the current pace", f.horizon_end);
    } else {
        println!("Run-out: most likely {} (as early as {}, as late as {})", date(f.p50), date(f.p10), date(f.p90));
    }
    println!("Chance of reaching the budget by {}: {:.0}%", f.period_end, f.p_exceed * 100.0);
    let b = f.spend_at_end;
    println!("Projected spend at period end: {} (P10 {}, P90 {})", amount(b.p50), amount(b.p10), amount(b.p90));
    if f.early_estimate {
        println!("Early estimate: under a week of data or under 3 days with spend; the band is wide.");
    }
}

pub fn run_backtest(g: &Global, a: BacktestArgs) -> Result<ExitCode> {
    let (pairs, label): (Vec<(NaiveDate, f64)>, String) = match (&a.series, &a.column, &a.budget) {
        (Some(path), Some(column), _) => {
            let series = DailySeries::read_csv(path, column)?;
            let pairs = series.values.iter().enumerate().map(|(i, &x)| (series.first + chrono::Days::new(i as u64), x));
            (pairs.collect(), path.display().to_string())
        }
        (_, _, Some(name)) => {
            let l = g.open()?;
            let tz = g.zone(&l)?;
            let Some(b) = tokenburn::budget::get(l.conn(), name)? else { anyhow::bail!("no budget named {name:?}") };
            let today = tokenburn::timezone::today(tz);
            (tokenburn::budget::history(&l, &b, tz, today)?, format!("budget {name:?}"))
        }
        _ => anyhow::bail!("give --series FILE --column NAME, or --budget NAME"),
    };
    let rep = backtest(&pairs, &BacktestOptions::default());
    if g.json {
        println!("{}", serde_json::to_string_pretty(&rep)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{}: {} days, {} forecasts (quarter periods every 7 days; run-out targets 21/35/49 days; cold and warm starts)",
        label, rep.days, rep.all.ours.forecasts
    );
    if rep.all.ours.forecasts == 0 {
        println!("Too little data to backtest: a period needs at least 21 days with spend.");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<20} {:>5} {:>8} {:>6} {:>6} {:>9} {:>9} {:>7} {:>7}",
        "", "n", "P10-P90", "early", "late", "medAE(d)", "med relAE", "CRPS(d)", "gain"
    );
    for gr in std::iter::once(&rep.all).chain(&rep.groups) {
        print_group(gr);
    }
    println!("P10-P90 should hold the true run-out about 80% of the time; early = ran out before P10.");
    println!("gain = how much lower the forecast's CRPS is than the period-to-date burn-rate baseline's.");
    Ok(ExitCode::SUCCESS)
}

fn print_group(gr: &Group) {
    if gr.ours.forecasts == 0 {
        return;
    }
    for (label, m) in [(format!("{} forecast", gr.name), &gr.ours), (format!("{} baseline", gr.name), &gr.baseline)] {
        let gain = if label.ends_with("forecast") { format!("{:>6.0}%", gr.crps_gain * 100.0) } else { String::new() };
        println!(
            "{:<20} {:>5} {:>7.0}% {:>5.0}% {:>5.0}% {:>9.1} {:>9.2} {:>7.2} {gain}",
            label,
            m.forecasts,
            m.coverage * 100.0,
            m.early_miss * 100.0,
            m.late_miss * 100.0,
            m.median_abs_error,
            m.median_rel_error,
            m.crps
        );
    }
}
