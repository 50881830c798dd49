//! `budget`, `status`, `alerts`, `check` and `comp`.

use std::process::ExitCode;

use anyhow::{bail, Result};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use serde_json::json;
use tokenburn::alerts;
use tokenburn::budget::{self, Budget, Status, Unit};
use tokenburn::ledger::Ledger;
use tokenburn::money::Usd;
use tokenburn::period::Kind;
use tokenburn::ratio::{self, Comp};
use tokenburn::report::parse_day;
use tokenburn::timezone;

use super::Global;

#[derive(Args, Clone)]
pub struct BudgetFields {
    /// The amount per period (USD, or tokens with --unit tokens)
    #[arg(long)]
    amount: Option<String>,
    #[arg(long, value_parser = |s: &str| s.parse::<Unit>())]
    unit: Option<Unit>,
    /// month, quarter, year or custom
    #[arg(long, value_parser = |s: &str| s.parse::<Kind>())]
    period: Option<Kind>,
    /// First day (custom periods), or the day a repeating budget becomes active
    #[arg(long)]
    start: Option<String>,
    /// Last day of a custom period
    #[arg(long)]
    end: Option<String>,
    /// The month (1-12) quarters and years start in
    #[arg(long = "fiscal-year-start")]
    fiscal_year_start: Option<u32>,
    /// Only this provider (repeatable)
    #[arg(long = "provider")]
    providers: Vec<String>,
    /// Only models matching this glob, e.g. 'claude-*' (repeatable)
    #[arg(long = "model")]
    models: Vec<String>,
    /// Only this project (repeatable)
    #[arg(long = "project")]
    projects: Vec<String>,
    /// Only events of this source, e.g. gemini-cli, copilot-cli, claude-code (repeatable)
    #[arg(long = "source")]
    sources: Vec<String>,
    /// Alert at these percentages (default: `config get default_thresholds`, 50,75,90,100)
    #[arg(long)]
    thresholds: Option<String>,
}

#[derive(Subcommand)]
pub enum BudgetCmd {
    /// Create a budget
    Add {
        name: String,
        #[command(flatten)]
        fields: BudgetFields,
    },
    /// Budgets and their settings
    List,
    /// Change a budget (only the options given)
    Edit {
        name: String,
        #[command(flatten)]
        fields: BudgetFields,
    },
    /// Delete a budget and its alert history
    Rm { name: String },
}

fn apply(mut b: Budget, f: BudgetFields, fy_default: u32) -> Result<Budget> {
    if let Some(u) = f.unit {
        b.unit = u;
    }
    if let Some(a) = &f.amount {
        b.amount = b.unit.parse_amount(a)?;
    }
    if let Some(p) = f.period {
        b.period = p;
    }
    if let Some(s) = &f.start {
        b.start = Some(parse_day(s)?);
    }
    if let Some(e) = &f.end {
        b.end = Some(parse_day(e)?);
    }
    b.fiscal_year_start =
        f.fiscal_year_start.unwrap_or(if b.fiscal_year_start == 0 { fy_default } else { b.fiscal_year_start });
    if !f.providers.is_empty() {
        b.providers = f.providers;
    }
    if !f.models.is_empty() {
        b.models = f.models;
    }
    if !f.projects.is_empty() {
        b.projects = f.projects;
    }
    if !f.sources.is_empty() {
        b.sources = f.sources;
    }
    if let Some(t) = &f.thresholds {
        b.thresholds = budget::parse_thresholds(t)?;
    }
    Ok(b)
}

pub fn budget(g: &Global, cmd: BudgetCmd) -> Result<ExitCode> {
    let mut l = g.open()?;
    let fy = alerts::fiscal_year_start(l.conn())?;
    match cmd {
        BudgetCmd::Add { name, fields } => {
            if fields.amount.is_none() || fields.period.is_none() {
                bail!("budget add needs --amount and --period");
            }
            let blank = Budget {
                name,
                amount: 0,
                unit: Unit::Usd,
                period: Kind::Month,
                start: None,
                end: None,
                fiscal_year_start: 0,
                providers: vec![],
                models: vec![],
                projects: vec![],
                thresholds: tokenburn::config::default_thresholds(&l)?,
                sources: vec![],
            };
            let b = apply(blank, fields, fy)?;
            l.write(|tx, _| budget::save(tx, &b, false))?;
            println!("Budget {:?} added: {} per {}.", b.name, b.unit.format(b.amount), b.period.as_str());
        }
        BudgetCmd::Edit { name, fields } => {
            let Some(old) = budget::get(l.conn(), &name)? else { bail!("no budget named {name:?}") };
            let b = apply(old, fields, fy)?;
            l.write(|tx, _| budget::save(tx, &b, true))?;
            println!("Budget {name:?} changed.");
        }
        BudgetCmd::Rm { name } => {
            if !l.write(|tx, _| budget::remove(tx, &name))? {
                bail!("no budget named {name:?}");
            }
            println!("Budget {name:?} removed.");
        }
        BudgetCmd::List => {
            let list = budget::all(l.conn())?;
            if g.json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if list.is_empty() {
                println!("No budgets yet: tokenburn budget add NAME --amount 1000 --period quarter");
            } else {
                for b in list {
                    let filters =
                        [b.sources.join(","), b.providers.join(","), b.models.join(","), b.projects.join(",")]
                            .into_iter()
                            .filter(|s| !s.is_empty())
                            .collect::<Vec<_>>()
                            .join("; ");
                    println!(
                        "{:<20} {:>16} per {:<8} alerts at {:?}%{}",
                        b.name,
                        b.unit.format(b.amount),
                        b.period.as_str(),
                        b.thresholds,
                        if filters.is_empty() { String::new() } else { format!("  only {filters}") }
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Args)]
pub struct AtArgs {
    /// Evaluate as of this local date instead of today
    #[arg(long)]
    at: Option<String>,
}

fn today(g: &Global, l: &Ledger, at: &Option<String>) -> Result<(NaiveDate, chrono_tz::Tz)> {
    let tz = g.zone(l)?;
    let d = match at {
        Some(s) => parse_day(s)?,
        None => timezone::today(tz),
    };
    Ok((d, tz))
}

fn amount(unit: Unit, text: &str) -> String {
    match unit {
        Unit::Usd => Usd::parse(text).map(Usd::human).unwrap_or_default(),
        Unit::Tokens => format!("{text} tokens"),
    }
}

fn print_status(s: &Status) {
    let f = &s.forecast;
    let date = |d: Option<NaiveDate>, inside: bool| match (d, inside) {
        (Some(d), true) => d.to_string(),
        _ => "not within the period".to_string(),
    };
    println!("{} ({}..{}, as of {})", s.name, s.period_start, s.period_end, s.as_of);
    if !s.sources.is_empty() {
        println!("  only sources: {}", s.sources.join(", "));
    }
    println!(
        "  spent {} of {} ({:.1}%), remaining {}",
        amount(s.unit, &s.spent),
        amount(s.unit, &s.budget),
        s.share_used * 100.0,
        amount(s.unit, &s.remaining)
    );
    println!(
        "  burn per day: {} (last 7 days), {} (period to date)",
        amount(s.unit, &s.burn_per_day_7d),
        amount(s.unit, &s.burn_per_day_ptd)
    );
    println!(
        "  runs out: P50 {}  (P10 {} .. P90 {}){}",
        date(f.p50, f.p50_in_period),
        date(f.p10, f.p10_in_period),
        date(f.p90, f.p90_in_period),
        if f.early_estimate { "  [early estimate: little history]" } else { "" }
    );
    println!(
        "  chance of exceeding by {}: {:.0}%; projected at period end: {} (P10 {} .. P90 {})",
        s.period_end,
        f.p_exceed * 100.0,
        amount(s.unit, &f.projected_p50),
        amount(s.unit, &f.projected_p10),
        amount(s.unit, &f.projected_p90)
    );
}

pub fn status(g: &Global, a: AtArgs) -> Result<ExitCode> {
    let l = g.open()?;
    let (at, tz) = today(g, &l, &a.at)?;
    let budgets = budget::all(l.conn())?;
    // One read of the rollup for every budget.
    let out: Vec<_> = budget::statuses(&l, &budgets, at, tz)?.into_iter().flatten().collect();
    if g.json {
        println!("{}", serde_json::to_string_pretty(&json!({"as_of": at, "budgets": out}))?);
    } else if out.is_empty() {
        println!("No budget has a period on {at}: add one with `tokenburn budget add`.");
    } else {
        for s in &out {
            print_status(s);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn alerts_list(g: &Global, a: AtArgs) -> Result<ExitCode> {
    let mut l = g.open()?;
    let (at, tz) = today(g, &l, &a.at)?;
    let ev = alerts::evaluate(&mut l, at, tz, false)?;
    let fired = alerts::history(l.conn())?;
    if g.json {
        println!("{}", serde_json::to_string_pretty(&json!({"fired": fired, "pending": ev.pending}))?);
    } else {
        println!("Fired:");
        for a in &fired {
            println!("  {}  {}", a.fired_at.as_deref().unwrap_or(""), a.message);
        }
        println!("Pending:");
        for a in &ev.pending {
            println!("  {}", a.message);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `check`: fires new alerts; exit 3 when a budget is over.
pub fn check(g: &Global, a: AtArgs) -> Result<ExitCode> {
    let mut l = g.open()?;
    let (at, tz) = today(g, &l, &a.at)?;
    let ev = alerts::evaluate(&mut l, at, tz, true)?;
    if g.json {
        println!("{}", serde_json::to_string_pretty(&json!({"new": ev.new, "over_budget": ev.over_budget}))?);
    } else {
        for a in &ev.new {
            println!("{}", a.message);
        }
    }
    Ok(if ev.over_budget { ExitCode::from(3) } else { ExitCode::SUCCESS })
}

#[derive(Subcommand)]
pub enum CompCmd {
    /// Set your annual compensation (keeps a history of changes)
    Set {
        #[arg(long)]
        annual: String,
        #[arg(long, default_value = "USD")]
        currency: String,
        /// The token-spend / pay ratio you aim for (e.g. 0.5)
        #[arg(long = "target-ratio")]
        target_ratio: Option<String>,
        /// The ratio you do not want to exceed
        #[arg(long = "cap-ratio")]
        cap_ratio: Option<String>,
        /// First day it applies (default: today)
        #[arg(long)]
        from: Option<String>,
    },
}

pub fn comp(g: &Global, cmd: Option<CompCmd>, a: AtArgs) -> Result<ExitCode> {
    let mut l = g.open()?;
    let (at, tz) = today(g, &l, &a.at)?;
    if let Some(CompCmd::Set { annual, currency, target_ratio, cap_ratio, from }) = cmd {
        let c = Comp {
            from: from.as_deref().map(parse_day).transpose()?.unwrap_or(at),
            annual: Usd::parse(&annual).map_err(|e| anyhow::anyhow!("--annual {annual:?}: {e}"))?,
            currency: currency.to_uppercase(),
            target_ratio,
            cap_ratio,
        };
        l.write(|tx, _| ratio::set(tx, &c))?;
        println!("Compensation ${} a year from {}.", c.annual.round_to(2), c.from);
        return Ok(ExitCode::SUCCESS);
    }
    let fy = alerts::fiscal_year_start(l.conn())?;
    let Some(s) = ratio::status(&l, at, tz, fy)? else {
        bail!("no compensation set: tokenburn comp set --annual AMOUNT [--target-ratio 0.5]")
    };
    if g.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(ExitCode::SUCCESS);
    }
    let pct = |r: Option<f64>| r.map_or("-".to_string(), |r| format!("{:.1}%", r * 100.0));
    let usd = |t: &str| Usd::parse(t).map(Usd::human).unwrap_or_default();
    println!("Token spend as a share of pay ({} a year), as of {}:", usd(&s.annual_usd), s.as_of);
    for (name, w) in [
        ("year to date", &s.year_to_date),
        ("quarter to date", &s.quarter_to_date),
        ("trailing 365 days", &s.trailing_365),
    ] {
        println!(
            "  {name:<18} {:>8}  ({} of {} pay; {} tokens per $ of pay)",
            pct(w.ratio),
            usd(&w.spend_usd),
            usd(&w.pay_usd),
            w.tokens_per_pay_dollar.map_or("-".into(), |t| format!("{t:.0}"))
        );
    }
    let [p10, p50, p90] = s.projected_year_end;
    println!(
        "  projected at year end ({}): {} (P10 {} .. P90 {})",
        s.year.end,
        pct(Some(p50)),
        pct(Some(p10)),
        pct(Some(p90))
    );
    println!("  reference: Huang's 50%");
    if let Some(t) = s.target_ratio {
        println!(
            "  target {}: pace {}{}",
            pct(Some(t)),
            s.pace_vs_target.map_or("-".into(), |p| format!("{:.0}% of target", p * 100.0)),
            if s.under_target { " - heading under target" } else { "" }
        );
    }
    if let Some(c) = s.cap_ratio {
        println!("  cap {}{}", pct(Some(c)), if s.over_cap { " - OVER the cap" } else { "" });
    }
    Ok(ExitCode::SUCCESS)
}
