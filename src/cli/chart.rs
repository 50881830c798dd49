//! `chart`: draws a chart of the ledger to an SVG or PNG file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono::{Days, NaiveDate};
use clap::{Args, ValueEnum};
use serde_json::json;
use tokenburn::budget;
use tokenburn::chart::{self, feed, Chart, DateLocale, Format, Options, Theme};
use tokenburn::report::{self, By};

use super::Global;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// A budget's period: spend against the budget, with the forecast fan
    Burn,
    /// Spend against compensation, year to date
    Ratio,
    /// Tokens per month on a log scale, by provider (or --by)
    Tokens,
    /// Spend per week stacked by model (or --by), top N plus other
    Breakdown,
    /// Spend per day with a 7-day average
    Daily,
}

#[derive(Args)]
pub struct ChartArgs {
    kind: Kind,
    /// The file to write: .svg or .png
    #[arg(long, short)]
    out: PathBuf,
    /// The budget to draw (burn; needed when there are several)
    #[arg(long)]
    budget: Option<String>,
    /// First day (YYYY-MM-DD). Default: 90 days (daily) or 26 weeks (breakdown) before
    /// --until; all data (tokens)
    #[arg(long)]
    since: Option<String>,
    /// Last day (YYYY-MM-DD); for burn and ratio, the day to draw as of. Default: today
    #[arg(long)]
    until: Option<String>,
    /// model, provider or project (default: model for breakdown, provider for tokens)
    #[arg(long, value_parser = parse_by)]
    by: Option<By>,
    /// Keys shown by name; the rest are gathered as "other"
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u8).range(1..=chart::SERIES_COLORS as i64))]
    top: u8,
    /// Size in pixels, WIDTHxHEIGHT
    #[arg(long, default_value = "800x500", value_parser = |s: &str| chart::parse_size(s))]
    size: (u32, u32),
    /// light or dark
    #[arg(long, default_value = "light", value_parser = |s: &str| s.parse::<Theme>())]
    theme: Theme,
    /// Locale for dates, e.g. en_GB (default: LC_ALL, LC_TIME or LANG)
    #[arg(long)]
    locale: Option<String>,
}

fn parse_by(s: &str) -> Result<By, String> {
    match s.parse::<By>()? {
        b @ (By::Model | By::Provider | By::Project) => Ok(b),
        _ => Err(format!("{s:?}: expected model, provider or project")),
    }
}

pub fn run(g: &Global, a: ChartArgs) -> Result<ExitCode> {
    let format =
        Format::from_path(&a.out).with_context(|| format!("--out {}: name an .svg or .png file", a.out.display()))?;
    let locale = match &a.locale {
        Some(name) => DateLocale::parse(name)
            .with_context(|| format!("--locale {name:?}: no such locale (try en_US or de_DE)"))?,
        None => DateLocale::from_env(),
    };
    if a.budget.is_some() && a.kind != Kind::Burn {
        bail!("--budget is for chart burn");
    }
    let l = g.open()?;
    let tz = g.zone(&l)?;
    let since = a.since.as_deref().map(report::parse_day).transpose()?;
    let until = a.until.as_deref().map(report::parse_day).transpose()?;
    let today = tokenburn::timezone::today(tz);
    let until = until.unwrap_or(today);
    let back = |days: u64| -> NaiveDate { until.checked_sub_days(Days::new(days)).unwrap_or(until) };
    let top = a.top as usize;
    let chart = match a.kind {
        Kind::Daily => Chart::Daily(feed::daily(&l, tz, today, Some(since.unwrap_or_else(|| back(89))), Some(until))?),
        Kind::Breakdown => {
            let by = a.by.unwrap_or(By::Model);
            Chart::Breakdown(feed::breakdown(
                &l,
                tz,
                today,
                by,
                top,
                Some(since.unwrap_or_else(|| back(7 * 26 - 1))),
                Some(until),
            )?)
        }
        Kind::Tokens => {
            Chart::Tokens(feed::tokens(&l, tz, today, a.by.unwrap_or(By::Provider), top, since, Some(until))?)
        }
        Kind::Burn => {
            let b = match &a.budget {
                Some(name) => budget::get(l.conn(), name)?
                    .with_context(|| format!("no budget {name:?} (tokenburn budget add {name} ...)"))?,
                None => {
                    let mut all = budget::all(l.conn())?;
                    match all.len() {
                        0 => bail!("chart burn needs a budget (tokenburn budget add ...)"),
                        1 => all.remove(0),
                        _ => bail!(
                            "chart burn needs --budget NAME: {}",
                            all.iter().map(|b| b.name.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                    }
                }
            };
            // `until` is the day to draw as of: --until, else today.
            let data = feed::burn(&l, &b, until, tz)?
                .with_context(|| format!("budget {:?} has no period on {until}", b.name))?;
            Chart::Burn(data)
        }
        Kind::Ratio => Chart::Ratio(
            feed::ratio(&l, until, tz)?
                .context("chart ratio needs compensation (tokenburn comp set --annual AMOUNT)")?,
        ),
    };
    if let Some((from, to)) = range_of(&chart) {
        if from > to {
            bail!("--since {from} is after --until {to}");
        }
    }
    let (width, height) = a.size;
    let opts = Options { width, height, theme: a.theme, locale };
    let bytes = chart::render(&chart, &opts, format)?;
    std::fs::write(&a.out, &bytes).with_context(|| format!("writing {}", a.out.display()))?;
    if g.json {
        let v = json!({"kind": chart.kind(), "out": a.out, "width": width, "height": height, "bytes": bytes.len()});
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("wrote {} ({} chart, {width}x{height})", a.out.display(), chart.kind());
    }
    Ok(ExitCode::SUCCESS)
}

fn range_of(c: &Chart) -> Option<(NaiveDate, NaiveDate)> {
    match c {
        Chart::Daily(d) => d.range,
        Chart::Breakdown(d) => d.range,
        Chart::Tokens(d) => d.range,
        Chart::Burn(_) | Chart::Ratio(_) => None,
    }
}
