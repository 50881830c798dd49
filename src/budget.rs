//! Budgets and their status: how much of the current period's budget is spent, how fast,
//! and when it runs out (a P10/P50/P90 range from `forecast`).
//!
//! Invariants: a budget's amount is exact (nano-dollars for USD budgets, tokens for token
//! budgets); periods are calendar spans in the ledger's zone (`period`); the spend counted
//! is exactly what `report` counts (CONVENTIONS rule 9), restricted to the budget's
//! sources, providers, model globs and projects. Status is deterministic for the same data and day.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use chrono_tz::Tz;
use rusqlite::Connection;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::forecast::{self, ForecastInput, ForecastOptions};
use crate::ledger::queries::{self, rollup};
use crate::ledger::Ledger;
use crate::money::{Usd, NANOS_PER_USD};
use crate::period::{self, Kind, Span};
use crate::report::{self, Sums};

/// What a budget counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    Usd,
    Tokens,
}

impl std::str::FromStr for Unit {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Unit, String> {
        match s {
            "usd" => Ok(Unit::Usd),
            "tokens" => Ok(Unit::Tokens),
            _ => Err(format!("{s:?}: expected usd or tokens")),
        }
    }
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::Usd => "usd",
            Unit::Tokens => "tokens",
        }
    }

    /// Parses an amount ("12345.0" is a valid token amount too).
    pub fn parse_amount(self, text: &str) -> Result<i64> {
        let scale = match self {
            Unit::Usd => 9,
            Unit::Tokens => 0,
        };
        let v = crate::money::parse_scaled(text, scale).map_err(|e| Error::invalid("--amount", text, e.to_string()))?;
        if v <= 0 {
            return Err(Error::invalid("--amount", text, "a budget must be positive"));
        }
        Ok(v)
    }

    /// Amount as text for people ("1234.5" dollars, "1000000" tokens).
    pub fn format(self, v: i64) -> String {
        match self {
            Unit::Usd => Usd(v).to_string(),
            Unit::Tokens => v.to_string(),
        }
    }

    /// The amount a day's sums contribute to a budget in this unit.
    fn of(self, s: &Sums) -> i64 {
        match self {
            Unit::Usd => s.spend().nanos(),
            Unit::Tokens => s.tokens.total(),
        }
    }

    /// To the forecast's statistical amounts (dollars or tokens) and back.
    fn amount_f64(self, v: i64) -> f64 {
        match self {
            Unit::Usd => v as f64 / NANOS_PER_USD as f64,
            Unit::Tokens => v as f64,
        }
    }

    fn amount_of_f64(self, x: f64) -> i64 {
        match self {
            Unit::Usd => (x * NANOS_PER_USD as f64).round() as i64,
            Unit::Tokens => x.round() as i64,
        }
    }
}

/// A budget as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Budget {
    pub name: String,
    /// Nano-dollars or tokens, per `unit`.
    pub amount: i64,
    pub unit: Unit,
    pub period: Kind,
    /// A repeating budget is active from this day; a custom one runs `start..=end`.
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    pub fiscal_year_start: u32,
    pub providers: Vec<String>,
    /// Globs on the model name (`claude-*`).
    pub models: Vec<String>,
    pub projects: Vec<String>,
    /// Percentages of the budget at which to alert.
    pub thresholds: Vec<u32>,
    /// Only events of these sources (`gemini-cli`, `copilot-cli`, `claude-code`, a vendor
    /// export's format, `manual`, ...); empty = all. A subscription's fee counts as source
    /// `subscription` and as the account it covers (its agent's source, e.g. `copilot-cli`).
    pub sources: Vec<String>,
}

/// Whether `name` is a source events can carry: a built-in format, `manual`,
/// `subscription` (fees), or a rules file's `rules:NAME`.
pub fn is_known_source(name: &str) -> bool {
    crate::import::SOURCES.iter().any(|s| s.name() == name)
        || matches!(name, "manual" | "subscription")
        || name.strip_prefix("rules:").is_some_and(|n| !n.trim().is_empty())
}

/// The names [`is_known_source`] accepts, for messages.
pub fn known_sources() -> String {
    let mut names: Vec<&str> = crate::import::SOURCES.iter().map(|s| s.name()).collect();
    names.extend(["manual", "subscription", "rules:NAME"]);
    names.join(", ")
}

impl Budget {
    /// Checks the fields that the CLI and the app can get wrong.
    pub fn validate(&self) -> Result<()> {
        let bad = |field: &str, value: String, expected: String| {
            Err(Error::invalid(format!("budget {:?}: {field}", self.name), value, expected))
        };
        if self.name.trim().is_empty() {
            return Err(Error::invalid("budget name", &self.name, "is empty"));
        }
        if self.amount <= 0 {
            return bad("--amount", self.unit.format(self.amount), "the amount must be positive".into());
        }
        if !(1..=12).contains(&self.fiscal_year_start) {
            return bad("--fiscal-year-start", self.fiscal_year_start.to_string(), "is not a month (1-12)".into());
        }
        match (self.period, self.start, self.end) {
            (Kind::Custom, Some(s), Some(e)) if s <= e => {}
            (Kind::Custom, Some(s), Some(e)) => return bad("--end", e.to_string(), format!("is before --start {s}")),
            (Kind::Custom, _, _) => {
                return bad("--period", "custom".into(), "a custom period needs --start and --end".into())
            }
            (_, _, Some(e)) => return bad("--end", e.to_string(), "is only for custom periods".into()),
            _ => {}
        }
        if let Some(t) = self.thresholds.iter().find(|t| **t == 0 || **t > 1000) {
            return bad("threshold", format!("{t}%"), "is out of range (1-1000)".into());
        }
        if let Some(src) = self.sources.iter().find(|s| !is_known_source(s)) {
            return bad("--source", src.clone(), format!("is not a known source ({})", known_sources()));
        }
        Ok(())
    }

    /// The period containing `date`, or None before the budget starts (or outside a
    /// custom span).
    pub fn period_at(&self, date: NaiveDate) -> Option<Span> {
        let custom = match (self.start, self.end) {
            (Some(s), Some(e)) => Some(Span { start: s, end: e }),
            _ => None,
        };
        let span = period::containing(self.period, date, self.fiscal_year_start, custom)?;
        if self.period == Kind::Custom {
            return span.contains(date).then_some(span);
        }
        // A budget created mid-period owns the whole period it starts in.
        let first = self.start.and_then(|s| period::containing(self.period, s, self.fiscal_year_start, None));
        match first {
            Some(f) if span.end < f.start => None,
            _ => Some(span),
        }
    }

    /// Whether events of this source, provider, model and project count toward the budget.
    pub fn matches(&self, source: &str, provider: &str, model: &str, project: Option<&str>) -> bool {
        self.matches_source(&[source]) && self.matches_fields(provider, model, project)
    }

    /// Whether one of `sources` (an event's source, or the sources a fee counts as) is in
    /// the budget's sources (or the budget has none).
    pub fn matches_source(&self, sources: &[&str]) -> bool {
        self.sources.is_empty() || self.sources.iter().any(|s| sources.contains(&s.as_str()))
    }

    /// Whether this provider, model and project count toward the budget (its sources aside).
    pub fn matches_fields(&self, provider: &str, model: &str, project: Option<&str>) -> bool {
        (self.providers.is_empty() || self.providers.iter().any(|p| p == provider))
            && (self.models.is_empty() || self.models.iter().any(|g| glob(g, model)))
            && (self.projects.is_empty() || project.is_some_and(|p| self.projects.iter().any(|x| x == p)))
    }
}

/// `*` and `?` globs, case-insensitive (model names).
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

fn list(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// A stored row as a budget (a damaged field falls back to its default).
fn from_row(r: queries::budgets::BudgetRow) -> Budget {
    let date = |s: Option<String>| s.as_deref().and_then(crate::timezone::parse_date);
    Budget {
        name: r.name,
        amount: r.amount,
        unit: r.unit.parse().unwrap_or(Unit::Usd),
        period: r.period.parse().unwrap_or(Kind::Month),
        start: date(r.start_day),
        end: date(r.end_day),
        fiscal_year_start: r.fiscal_year_start,
        providers: list(&r.providers),
        models: list(&r.models),
        projects: list(&r.projects),
        thresholds: parse_thresholds(&r.thresholds).unwrap_or_default(),
        sources: list(&r.sources),
    }
}

/// "50,75,90,100" -> [50, 75, 90, 100], sorted and without repeats.
pub fn parse_thresholds(s: &str) -> Result<Vec<u32>> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let n: u32 = part
            .trim_end_matches('%')
            .parse()
            .map_err(|_| Error::invalid("threshold", part, "not a whole percentage"))?;
        out.push(n);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Every budget, by name.
pub fn all(conn: &Connection) -> Result<Vec<Budget>> {
    Ok(queries::budgets::all(conn)?.into_iter().map(from_row).collect())
}

/// The budget named `name`.
pub fn get(conn: &Connection, name: &str) -> Result<Option<Budget>> {
    Ok(queries::budgets::get(conn, name)?.map(from_row))
}

/// Stores a new budget (`replace = false`) or replaces the one of the same name.
pub fn save(conn: &Connection, b: &Budget, replace: bool) -> Result<()> {
    b.validate()?;
    let exists = get(conn, &b.name)?.is_some();
    if exists && !replace {
        return Err(Error::Exists { what: "budget", name: b.name.clone(), hint: " (use `budget edit`)" });
    }
    if !exists && replace {
        return Err(Error::NotFound { what: "budget", name: b.name.clone() });
    }
    let json = |v: &Vec<String>| serde_json::to_string(v).expect("strings serialise");
    let row = queries::budgets::BudgetRow {
        name: b.name.clone(),
        amount: b.amount,
        unit: b.unit.as_str().to_string(),
        period: b.period.as_str().to_string(),
        start_day: b.start.map(|d| d.to_string()),
        end_day: b.end.map(|d| d.to_string()),
        fiscal_year_start: b.fiscal_year_start,
        providers: json(&b.providers),
        models: json(&b.models),
        projects: json(&b.projects),
        thresholds: b.thresholds.iter().map(u32::to_string).collect::<Vec<_>>().join(","),
        sources: json(&b.sources),
    };
    queries::budgets::upsert(conn, &row, chrono::Utc::now().timestamp_millis())
}

/// Removes a budget and the alerts it fired; false when there is none.
pub fn remove(conn: &Connection, name: &str) -> Result<bool> {
    queries::alerts::remove_subject(conn, &format!("budget:{name}"))?;
    queries::budgets::remove(conn, name)
}

/// A run-out forecast as status shows it (amounts in the budget's unit, as text).
#[derive(Debug, Clone, Serialize)]
pub struct Outlook {
    pub p10: Option<NaiveDate>,
    pub p50: Option<NaiveDate>,
    pub p90: Option<NaiveDate>,
    /// Whether each of P10/P50/P90 falls within the period (false: "not within the period").
    pub p10_in_period: bool,
    pub p50_in_period: bool,
    pub p90_in_period: bool,
    /// Probability of exceeding the budget by the period's end.
    pub p_exceed: f64,
    pub projected_p10: String,
    pub projected_p50: String,
    pub projected_p90: String,
    pub early_estimate: bool,
    pub basis: forecast::Basis,
}

/// One budget's current period.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub name: String,
    /// The sources the budget counts (absent: all).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    pub unit: Unit,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub as_of: NaiveDate,
    pub budget: String,
    pub spent: String,
    /// Spent / budget, e.g. 0.634.
    pub share_used: f64,
    pub remaining: String,
    pub burn_per_day_7d: String,
    pub burn_per_day_ptd: String,
    pub forecast: Outlook,
    /// Exact amounts (nano-dollars or tokens), for callers that compute.
    #[serde(skip)]
    pub spent_raw: i64,
    #[serde(skip)]
    pub amount_raw: i64,
    /// Cumulative daily amounts through the as-of day and the forecast, for charts.
    #[serde(skip)]
    pub daily: Vec<(NaiveDate, i64)>,
    #[serde(skip)]
    pub detail: Option<forecast::Forecast>,
}

/// The first local day the ledger has any event for.
fn first_day(ledger: &Ledger, tz: Tz) -> Result<Option<NaiveDate>> {
    if rollup::refresh(ledger.conn(), tz)? {
        return rollup::first_day(ledger.conn(), tz);
    }
    let row = queries::budgets::first_event(ledger.conn())?;
    Ok(row.map(|(day, ts)| {
        let by_ts = crate::timezone::local_date(tz, ts);
        day.as_deref().and_then(crate::timezone::parse_date).map_or(by_ts, |d| d.min(by_ts))
    }))
}

/// Each budget's amount (in its unit) per local day over `[since, until]`, counting what
/// [`report::daily`] counts; days without any are absent. Through the rollup this is one
/// read of the day table for all the budgets, each (provider, model, project) matched once.
fn amounts(
    ledger: &Ledger,
    tz: Tz,
    budgets: &[&Budget],
    since: NaiveDate,
    until: NaiveDate,
) -> Result<Vec<BTreeMap<NaiveDate, i64>>> {
    let mut out = vec![BTreeMap::new(); budgets.len()];
    if budgets.is_empty() || since > until {
        return Ok(out);
    }
    let subs = crate::spend::subscriptions(ledger.conn())?;
    if !rollup::refresh(ledger.conn(), tz)? {
        for (b, o) in budgets.iter().zip(&mut out) {
            if b.sources.is_empty() {
                let keep = |p: &str, m: &str, pr: Option<&str>| b.matches_fields(p, m, pr);
                for (d, s) in report::daily(ledger, tz, since, until, &keep)? {
                    o.insert(d, b.unit.of(&s));
                }
            } else {
                // `report::daily` does not see sources: one daily read per source kept.
                let mut days: BTreeMap<NaiveDate, Sums> = BTreeMap::new();
                for source in &b.sources {
                    let keep = |p: &str, m: &str, pr: Option<&str>| b.matches_fields(p, m, pr);
                    for (d, s) in report::daily_events_of(ledger, tz, since, until, source, &keep)? {
                        days.entry(d).or_default().add(&s);
                    }
                }
                for (d, s) in days {
                    o.insert(d, b.unit.of(&s));
                }
                add_fees(&subs, b, since, until, o);
            }
        }
        return Ok(out);
    }
    // Which budgets count each (source, provider, model, project) combination.
    let which: Vec<Vec<usize>> = rollup::combos(ledger.conn())?
        .iter()
        .map(|c| match c {
            Some(c) => (0..budgets.len())
                .filter(|&i| budgets[i].matches(&c.source, &c.provider, &c.model, c.project.as_deref()))
                .collect(),
            None => Vec::new(),
        })
        .collect();
    // Sums per budget and day, in arrays by day (a year of days and a hundred combinations
    // make tens of thousands of rows), then into the maps.
    let (first, last) = (rollup::day_number(since), rollup::day_number(until));
    let span = usize::try_from(last - first + 1).unwrap_or(0);
    let mut sums: Vec<Vec<Option<i64>>> = vec![vec![None; span]; budgets.len()];
    queries::budgets::day_amounts(ledger.conn(), first, last, |r| {
        let combo = usize::try_from(r.combo).unwrap_or(usize::MAX);
        let Some(which) = which.get(combo).filter(|w| !w.is_empty()) else { return };
        let Some(at) = usize::try_from(r.day - first).ok().filter(|&d| d < span) else { return };
        for &i in which {
            let v = match budgets[i].unit {
                Unit::Usd => r.money,
                Unit::Tokens => r.tokens,
            };
            *sums[i][at].get_or_insert(0) += v;
        }
    })?;
    for (o, days) in out.iter_mut().zip(sums) {
        for (at, v) in days.into_iter().enumerate() {
            if let Some(v) = v {
                o.insert(crate::spend::day_of(first + at as i64), v);
            }
        }
    }
    for (b, o) in budgets.iter().zip(&mut out) {
        add_fees(&subs, b, since, until, o);
    }
    Ok(out)
}

/// Adds the subscription fees `b` counts over `[since, until]` to its daily amounts:
/// fees are spend (tokens budgets do not count them), as report::daily has it, offered as
/// provider = the subscription's provider (or "subscription"), model = "subscription:
/// NAME", no project, and sources "subscription" and the account it covers.
fn add_fees(
    subs: &[crate::spend::Subscription],
    b: &Budget,
    since: NaiveDate,
    until: NaiveDate,
    o: &mut BTreeMap<NaiveDate, i64>,
) {
    if b.unit != Unit::Usd {
        return;
    }
    for sub in subs {
        let provider = sub.provider.clone().unwrap_or_else(|| "subscription".to_string());
        let sources = ["subscription", sub.covers.as_deref().unwrap_or("subscription")];
        if !b.matches_source(&sources) || !b.matches_fields(&provider, &format!("subscription: {}", sub.name), None) {
            continue;
        }
        for (date, fee) in sub.daily_fees(since, until) {
            *o.entry(date).or_insert(0) += fee.nanos();
        }
    }
}

/// The status of `b` on local date `at` (None before the budget starts), counting what
/// `report` counts in zone `tz`.
pub fn status(ledger: &Ledger, b: &Budget, at: NaiveDate, tz: Tz) -> Result<Option<Status>> {
    Ok(statuses(ledger, std::slice::from_ref(b), at, tz)?.pop().flatten())
}

/// The status of each budget on local date `at`, as [`status`] gives it, reading the
/// ledger once for all of them.
pub fn statuses(ledger: &Ledger, budgets: &[Budget], at: NaiveDate, tz: Tz) -> Result<Vec<Option<Status>>> {
    let history_days = forecast::DEFAULT_HISTORY_DAYS as i64;
    let active: Vec<(&Budget, Span)> = budgets.iter().filter_map(|b| Some((b, b.period_at(at)?))).collect();
    let (Some(from), Some(until)) = (
        active.iter().map(|(_, s)| s.start - chrono::Duration::days(history_days)).min(),
        active.iter().map(|(_, s)| at.min(s.end)).max(),
    ) else {
        return Ok(vec![None; budgets.len()]);
    };
    let mut amounts = amounts(ledger, tz, &active.iter().map(|(b, _)| *b).collect::<Vec<_>>(), from, until)?;
    let first = first_day(ledger, tz)?;
    let mut out = Vec::with_capacity(budgets.len());
    let mut next = 0;
    for b in budgets {
        match active.get(next) {
            Some((a, span)) if std::ptr::eq(*a, b) => {
                out.push(Some(status_of(b, *span, at, first, &std::mem::take(&mut amounts[next]))));
                next += 1;
            }
            _ => out.push(None),
        }
    }
    Ok(out)
}

/// The status of `b` in its period `span` as of `at`, from its daily amounts (which cover
/// the period through `at` and the history days before it) and the ledger's first day.
fn status_of(
    b: &Budget,
    span: Span,
    at: NaiveDate,
    first: Option<NaiveDate>,
    days: &BTreeMap<NaiveDate, i64>,
) -> Status {
    let as_of = at.min(span.end);
    let history_days = forecast::DEFAULT_HISTORY_DAYS as i64;
    let from = span.start - chrono::Duration::days(history_days);
    let amount_on = |d: NaiveDate| days.get(&d).copied().unwrap_or(0);
    // Days before the ledger's first record are unknown, not zero: history starts there.
    let mut history = Vec::new();
    let mut d = from.max(first.unwrap_or(span.start)).min(span.start);
    while d < span.start {
        history.push(b.unit.amount_f64(amount_on(d)));
        d = d.succ_opt().expect("date in range");
    }
    let mut period_days = Vec::new();
    let mut daily = Vec::new();
    let mut spent: i64 = 0;
    let mut d = span.start;
    while d <= as_of {
        let v = amount_on(d);
        spent += v;
        period_days.push(b.unit.amount_f64(v));
        daily.push((d, v));
        d = d.succ_opt().expect("date in range");
    }
    let input = ForecastInput {
        history: &history,
        period: &period_days,
        period_start: span.start,
        period_end: span.end,
        horizon_end: forecast::default_horizon_end(span.start, span.end),
        budget: b.unit.amount_f64(b.amount),
        options: ForecastOptions::default(),
    };
    let f = forecast::forecast(&input);
    let in_period = |d: Option<NaiveDate>| d.is_some_and(|d| d <= span.end);
    let fmt = |x: f64| b.unit.format(b.unit.amount_of_f64(x).max(0));
    let per_day = |x: f64| b.unit.format(b.unit.amount_of_f64(x));
    let outlook = Outlook {
        p10: f.p10,
        p50: f.p50,
        p90: f.p90,
        p10_in_period: in_period(f.p10),
        p50_in_period: in_period(f.p50),
        p90_in_period: in_period(f.p90),
        p_exceed: (f.p_exceed * 1000.0).round() / 1000.0,
        projected_p10: fmt(f.spend_at_end.p10),
        projected_p50: fmt(f.spend_at_end.p50),
        projected_p90: fmt(f.spend_at_end.p90),
        early_estimate: f.early_estimate,
        basis: f.basis,
    };
    Status {
        name: b.name.clone(),
        sources: b.sources.clone(),
        unit: b.unit,
        period_start: span.start,
        period_end: span.end,
        as_of,
        budget: b.unit.format(b.amount),
        spent: b.unit.format(spent),
        share_used: (spent as f64 / b.amount as f64 * 1000.0).round() / 1000.0,
        remaining: b.unit.format(b.amount - spent),
        burn_per_day_7d: per_day(f.burn_7d),
        burn_per_day_ptd: per_day(f.burn_ptd),
        forecast: outlook,
        spent_raw: spent,
        amount_raw: b.amount,
        daily,
        detail: Some(f),
    }
}

/// The budget's whole daily history in its unit, from the ledger's first day through
/// `until` (missing days are zero), for backtests.
pub fn history(ledger: &Ledger, b: &Budget, tz: Tz, until: NaiveDate) -> Result<Vec<(NaiveDate, f64)>> {
    let Some(first) = first_day(ledger, tz)? else { return Ok(Vec::new()) };
    let days = amounts(ledger, tz, &[b], first, until)?.pop().unwrap_or_default();
    let mut out = Vec::new();
    let mut d = first;
    while d <= until {
        out.push((d, b.unit.amount_f64(days.get(&d).copied().unwrap_or(0))));
        d = d.succ_opt().expect("date in range");
    }
    Ok(out)
}
