//! Alerts: when actual use crosses a budget's thresholds, when the forecast says a budget
//! runs out before its period ends, and when the compensation ratio is over its cap or
//! heading under its target.
//!
//! Invariant: each (subject, period, kind, level) fires once. Its row in the `alerts`
//! table is written in the same transaction that reports it, so a restart (of the CLI, the
//! app, the machine) never repeats it; a new period is a new key, so alerts re-arm. An
//! alert fires only when things get worse: crossing a higher threshold, or the forecast
//! turning bad; nothing fires again when they get better and worse within one period.

use chrono::NaiveDate;
use chrono_tz::Tz;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use serde::Serialize;

use crate::budget::{self, Status, Unit};
use crate::error::Result;
use crate::ledger::queries;
use crate::ledger::Ledger;
use crate::money::Usd;
use crate::ratio;

/// One alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// `budget:NAME` or `comp`.
    pub subject: String,
    /// The period it belongs to (`start..end`).
    pub period: String,
    /// `threshold`, `forecast`, `over_cap` or `under_target`.
    pub kind: String,
    /// The threshold's percentage (0 for the other kinds).
    pub level: u32,
    pub message: String,
    /// When it fired (RFC 3339), or None while pending.
    pub fired_at: Option<String>,
}

/// What an evaluation found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Evaluation {
    /// Alerts that fired now, for the first time.
    pub new: Vec<Alert>,
    /// Conditions that hold now and fired before.
    pub standing: Vec<Alert>,
    /// Thresholds not reached yet in the current periods.
    pub pending: Vec<Alert>,
    /// Some budget is at or over 100% of its amount.
    pub over_budget: bool,
    pub statuses: Vec<Status>,
}

fn money(unit: Unit, v: i64) -> String {
    match unit {
        Unit::Usd => Usd(v).human(),
        Unit::Tokens => format!("{v} tokens"),
    }
}

fn short(d: NaiveDate) -> String {
    d.format("%b %-d").to_string()
}

/// The alert conditions of one budget status.
fn budget_conditions(b: &budget::Budget, s: &Status) -> (Vec<Alert>, Vec<Alert>) {
    let subject = format!("budget:{}", b.name);
    let period = format!("{}..{}", s.period_start, s.period_end);
    let alert = |kind: &str, level: u32, message: String| Alert {
        subject: subject.clone(),
        period: period.clone(),
        kind: kind.to_string(),
        level,
        message,
        fired_at: None,
    };
    let (mut hold, mut pending) = (Vec::new(), Vec::new());
    for &t in &b.thresholds {
        // spent * 100 >= amount * t, exactly.
        let reached = s.spent_raw as i128 * 100 >= s.amount_raw as i128 * t as i128;
        let used = format!("{} of {}", money(s.unit, s.spent_raw), money(s.unit, s.amount_raw));
        let msg = if reached {
            format!("{} reached {t}% of its budget: {used} used in {period}", b.name)
        } else {
            format!("{} alerts at {t}%: {used} used so far in {period}", b.name)
        };
        if reached {
            hold.push(alert("threshold", t, msg));
        } else {
            pending.push(alert("threshold", t, msg));
        }
    }
    let f = &s.forecast;
    let before_end = f.p50_in_period || f.p_exceed >= 0.5;
    if before_end && s.spent_raw < s.amount_raw {
        let range = match (f.p10, f.p90) {
            (Some(a), Some(b)) => format!(" ({}-{})", short(a), short(b)),
            _ => String::new(),
        };
        let when = f.p50.map(|d| format!("~{}{range}", short(d))).unwrap_or_else(|| "before the end".into());
        hold.push(alert(
            "forecast",
            0,
            format!(
                "{} is forecast to run out {when}, before its period ends {} (chance of exceeding: {:.0}%)",
                b.name,
                short(s.period_end),
                f.p_exceed * 100.0
            ),
        ));
    }
    (hold, pending)
}

/// When `a` fired, if it did.
fn fired(conn: &Connection, a: &Alert) -> Result<Option<String>> {
    Ok(queries::alerts::fired_ms(conn, &a.subject, &a.period, &a.kind, a.level)?.map(rfc3339))
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// The alert conditions of the compensation ratio (none hold pending).
fn comp_conditions(c: &ratio::CompStatus) -> Vec<Alert> {
    let period = c.year.label();
    let alert = |kind: &str, message: String| Alert {
        subject: "comp".into(),
        period: period.clone(),
        kind: kind.into(),
        level: 0,
        message,
        fired_at: None,
    };
    let pct = |x: f64| format!("{:.1}%", x * 100.0);
    let mut hold = Vec::new();
    if c.over_cap {
        let r = c.year_to_date.ratio.unwrap_or(0.0);
        hold.push(alert(
            "over_cap",
            format!("token spend is {} of pay this year, over your cap of {}", pct(r), pct(c.cap_ratio.unwrap_or(0.0))),
        ));
    }
    if c.under_target {
        hold.push(alert(
            "under_target",
            format!(
                "token spend is heading for {} of pay this year, under your target of {}",
                pct(c.projected_year_end[1]),
                pct(c.target_ratio.unwrap_or(0.0))
            ),
        ));
    }
    hold
}

/// Evaluates every budget and the compensation ratio on local date `at`. With `fire`,
/// conditions that hold for the first time are stored (and returned in `new`) in one
/// transaction; without it nothing is written (`alerts` listing).
pub fn evaluate(ledger: &mut Ledger, at: NaiveDate, tz: Tz, fire: bool) -> Result<Evaluation> {
    let mut ev = Evaluation::default();
    let mut hold = Vec::new();
    let budgets = budget::all(ledger.conn())?;
    for (b, s) in budgets.iter().zip(budget::statuses(ledger, &budgets, at, tz)?) {
        let Some(s) = s else { continue };
        ev.over_budget |= s.spent_raw >= s.amount_raw;
        let (h, p) = budget_conditions(b, &s);
        hold.extend(h);
        ev.pending.extend(p);
        ev.statuses.push(s);
    }
    let fy = fiscal_year_start(ledger.conn())?;
    if let Some(c) = ratio::status(ledger, at, tz, fy)? {
        hold.extend(comp_conditions(&c));
    }
    sort_out(ledger.conn(), hold, fire, &mut ev)?;
    Ok(ev)
}

/// Files each condition that holds as standing (it fired before), new (it fires now:
/// stored, with `fire`) or pending (it would fire, without `fire`). The new ones are
/// stored in one transaction, so each is stored as it is reported.
fn sort_out(conn: &Connection, hold: Vec<Alert>, fire: bool, ev: &mut Evaluation) -> Result<()> {
    let now = chrono::Utc::now().timestamp_millis();
    // Dropped on an error, the transaction rolls back.
    let tx = if fire && !hold.is_empty() {
        Some(Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?)
    } else {
        None
    };
    for mut a in hold {
        match fired(conn, &a)? {
            Some(when) => {
                a.fired_at = Some(when);
                ev.standing.push(a);
            }
            None if fire => {
                queries::alerts::insert(
                    conn,
                    &queries::alerts::AlertRow {
                        subject: a.subject.clone(),
                        period: a.period.clone(),
                        kind: a.kind.clone(),
                        level: a.level,
                        fired_ms: now,
                        message: a.message.clone(),
                    },
                )?;
                a.fired_at = Some(rfc3339(now));
                ev.new.push(a);
            }
            None => ev.pending.push(a),
        }
    }
    if let Some(tx) = tx {
        tx.commit()?;
    }
    Ok(())
}

/// Every alert that fired, newest first.
pub fn history(conn: &Connection) -> Result<Vec<Alert>> {
    Ok(queries::alerts::all(conn)?
        .into_iter()
        .map(|r| Alert {
            subject: r.subject,
            period: r.period,
            kind: r.kind,
            level: r.level,
            message: r.message,
            fired_at: Some(rfc3339(r.fired_ms)),
        })
        .collect())
}

/// The ledger's fiscal-year start month (1 = January).
pub fn fiscal_year_start(conn: &Connection) -> Result<u32> {
    let v = queries::settings::get(conn, "fiscal_year_start")?;
    Ok(v.and_then(|v| v.parse().ok()).filter(|m| (1..=12).contains(m)).unwrap_or(1))
}
