//! Usage reports: token and money totals grouped by day, week, month or a dimension.
//!
//! Invariants: superseded events (a summary covered by transcripts) are never counted;
//! days are the ledger zone's calendar days, except rows that cover a whole calendar day of
//! their source, which keep their date; `cost_usd` is the priced part, and events without a
//! price are counted in `unpriced_events`, never as $0.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use chrono_tz::Tz;
use rusqlite::types::Value;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::ledger::queries::rollup;
use crate::ledger::Ledger;
use crate::model::Tokens;
use crate::money::Usd;
use crate::{spend, timezone};

/// How rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Day,
    Week,
    Month,
    Model,
    Provider,
    Project,
    Source,
}

impl std::str::FromStr for By {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<By, String> {
        Ok(match s {
            "day" => By::Day,
            "week" => By::Week,
            "month" => By::Month,
            "model" => By::Model,
            "provider" => By::Provider,
            "project" => By::Project,
            "source" => By::Source,
            _ => return Err(format!("{s:?}: expected day, week, month, model, provider, project or source")),
        })
    }
}

/// Which events a report covers.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub source: Option<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub project: Option<String>,
}

/// Totals of one group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sums {
    pub tokens: Tokens,
    pub billed: Usd,
    pub estimated: Usd,
    pub fee: Usd,
    pub manual: Usd,
    /// Usage covered by a plan or subscription: its worth, not spend.
    pub value: Usd,
    pub unpriced_events: i64,
    pub events: i64,
}

impl Sums {
    pub fn add(&mut self, o: &Sums) {
        self.tokens.add(&o.tokens);
        self.billed += o.billed;
        self.estimated += o.estimated;
        self.fee += o.fee;
        self.manual += o.manual;
        self.value += o.value;
        self.unpriced_events += o.unpriced_events;
        self.events += o.events;
    }

    /// Spend: billed + estimated + fees + manual entries.
    pub fn spend(&self) -> Usd {
        self.billed + self.estimated + self.fee + self.manual
    }
}

/// A report row as printed (`--json` shape).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Row {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cache_write_tokens: i64,
    pub cache_read_tokens: i64,
    pub reasoning_tokens: i64,
    pub unsplit_tokens: i64,
    pub total_tokens: i64,
    /// Spend: the sum of the four parts below (the priced part when events are unpriced).
    pub cost_usd: String,
    pub billed_usd: String,
    pub estimated_usd: String,
    pub fee_usd: String,
    pub manual_usd: String,
    /// Covered by a subscription or plan; not in `cost_usd`.
    pub value_usd: String,
    pub unpriced_events: i64,
    pub events: i64,
}

impl Row {
    fn of(key: Option<String>, s: &Sums) -> Row {
        let t = &s.tokens;
        Row {
            key,
            input_tokens: t.input,
            output_tokens: t.output,
            cache_write_tokens: t.cache_write_5m + t.cache_write_1h,
            cache_read_tokens: t.cache_read,
            reasoning_tokens: t.reasoning,
            unsplit_tokens: t.unsplit,
            total_tokens: t.total(),
            cost_usd: s.spend().to_string(),
            billed_usd: s.billed.to_string(),
            estimated_usd: s.estimated.to_string(),
            fee_usd: s.fee.to_string(),
            manual_usd: s.manual.to_string(),
            value_usd: s.value.to_string(),
            unpriced_events: s.unpriced_events,
            events: s.events,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub rows: Vec<Row>,
    pub totals: Row,
}

/// Per-event flags, as SQL over `events e` (with `l` the account link): whether its tokens
/// count, whether its money counts, and whether a subscription turns its estimate into value.
const COUNTED: &str = "
    SELECT e.*, (e.tokens_superseded = 0) AS tok, (e.money_superseded = 0) AS mon,
           EXISTS (SELECT 1 FROM subscriptions s
                   WHERE s.covers = COALESCE(l.billed_by, e.account)
                     AND COALESCE(e.day, date(e.ts_ms / 1000, 'unixepoch')) >= s.from_day
                     AND (s.until_day IS NULL OR COALESCE(e.day, date(e.ts_ms / 1000, 'unixepoch')) <= s.until_day)) AS cov
    FROM events e LEFT JOIN account_links l ON l.account = e.account
    WHERE e.superseded = 0";

/// The sums of counted events, columns 3.. of every grouped query (see [`sums_at`]).
const SUMS: &str = "
    SUM(tok * input), SUM(tok * cache_write_5m), SUM(tok * cache_write_1h), SUM(tok * cache_read),
    SUM(tok * output), SUM(tok * reasoning), SUM(tok * unsplit), SUM(tok * requests),
    SUM(tok * web_search_requests),
    SUM(CASE WHEN mon AND cost_kind = 'billed' THEN cost_nanos ELSE 0 END),
    SUM(CASE WHEN mon AND cost_kind = 'estimated' AND NOT cov THEN COALESCE(cost_nanos, 0) ELSE 0 END),
    SUM(CASE WHEN mon AND cost_kind = 'manual' THEN cost_nanos ELSE 0 END),
    SUM(CASE WHEN cost_kind = 'included' OR (mon AND cost_kind = 'estimated' AND cov)
             THEN COALESCE(cost_nanos, 0) ELSE 0 END),
    SUM(mon AND cost_kind = 'estimated' AND cost_nanos IS NULL),
    COUNT(*)";

/// Reads the [`SUMS`] columns starting at column `i`.
fn sums_at(r: &rusqlite::Row, i: usize) -> rusqlite::Result<Sums> {
    Ok(Sums {
        tokens: Tokens {
            input: r.get(i)?,
            cache_write_5m: r.get(i + 1)?,
            cache_write_1h: r.get(i + 2)?,
            cache_read: r.get(i + 3)?,
            output: r.get(i + 4)?,
            reasoning: r.get(i + 5)?,
            unsplit: r.get(i + 6)?,
            requests: r.get(i + 7)?,
            web_search_requests: r.get(i + 8)?,
        },
        billed: Usd(r.get(i + 9)?),
        estimated: Usd(r.get(i + 10)?),
        manual: Usd(r.get(i + 11)?),
        value: Usd(r.get(i + 12)?),
        unpriced_events: r.get(i + 13)?,
        events: r.get(i + 14)?,
        fee: Usd::ZERO,
    })
}

/// The local date of a grouped row: its own calendar day, else the day of its quarter-hour
/// bucket (every zone offset in use is a multiple of 15 minutes, so a bucket falls on
/// exactly one local day).
fn row_date(day: Option<String>, quarter_hour: i64, tz: Tz) -> NaiveDate {
    match day.as_deref().and_then(timezone::parse_date) {
        Some(d) => d,
        None => timezone::local_date(tz, quarter_hour * 900_000),
    }
}

/// Reads rows of the rollup's derived tables (columns: day or month, combination, the
/// fifteen sums) between `lo` and `hi`.
fn derived_rows(ledger: &Ledger, sql: &str, lo: i64, hi: i64, f: &mut dyn FnMut(i64, usize, Sums)) -> Result<()> {
    let mut stmt = ledger.conn().prepare_cached(sql)?;
    let mut q = stmt.query(rusqlite::params![lo, hi])?;
    while let Some(r) = q.next()? {
        f(r.get(0)?, usize::try_from(r.get::<_, i64>(1)?).unwrap_or(usize::MAX), sums_at(r, 2)?);
    }
    Ok(())
}

/// Which events and fees a budget (or any caller) counts: a predicate on
/// (provider, model, project); fees are offered as provider = the subscription's provider
/// (or "subscription"), model = "subscription: NAME", project = None.
pub type Matcher<'a> = dyn Fn(&str, &str, Option<&str>) -> bool + 'a;

/// Counted sums per local day over `[since, until]`, for events and fees `keep` accepts.
pub fn daily(
    ledger: &Ledger,
    tz: Tz,
    since: NaiveDate,
    until: NaiveDate,
    keep: &Matcher,
) -> Result<BTreeMap<NaiveDate, Sums>> {
    let mut out: BTreeMap<NaiveDate, Sums> = BTreeMap::new();
    if rollup::refresh(ledger.conn(), tz)? {
        let combos = rollup::combos(ledger.conn())?;
        let kept: Vec<bool> = combos
            .iter()
            .map(|c| c.as_ref().is_some_and(|c| keep(&c.provider, &c.model, c.project.as_deref())))
            .collect();
        let sql =
            format!("SELECT lday, combo, {} FROM rollup_days WHERE lday >= ?1 AND lday <= ?2", rollup::DAY_COLUMNS);
        derived_rows(ledger, &sql, rollup::day_number(since), rollup::day_number(until), &mut |day, combo, s| {
            if kept.get(combo).copied().unwrap_or(false) {
                out.entry(spend::day_of(day)).or_default().add(&s);
            }
        })?;
    } else {
        let sql = format!(
            "SELECT provider, model, project, day, ts_ms / 900000, {SUMS} FROM ({COUNTED})
             WHERE ts_ms >= ?1 AND ts_ms < ?2 GROUP BY 1, 2, 3, 4, 5"
        );
        let lo = timezone::day_start_ms(tz, since) - 2 * 86_400_000;
        let hi = timezone::day_start_ms(tz, until) + 3 * 86_400_000;
        let mut stmt = ledger.conn().prepare_cached(&sql)?;
        let mut q = stmt.query(rusqlite::params![lo, hi])?;
        while let Some(r) = q.next()? {
            let (provider, model, project): (String, String, Option<String>) = (r.get(0)?, r.get(1)?, r.get(2)?);
            if !keep(&provider, &model, project.as_deref()) {
                continue;
            }
            let date = row_date(r.get(3)?, r.get(4)?, tz);
            if date < since || date > until {
                continue;
            }
            out.entry(date).or_default().add(&sums_at(r, 5)?);
        }
    }
    for sub in spend::subscriptions(ledger.conn())? {
        let provider = sub.provider.clone().unwrap_or_else(|| "subscription".to_string());
        if !keep(&provider, &format!("subscription: {}", sub.name), None) {
            continue;
        }
        for (date, fee) in sub.daily_fees(since, until) {
            out.entry(date).or_default().fee += fee;
        }
    }
    Ok(out)
}

/// Groups the ledger's counted events by `by` in zone `tz`. Subscription fees are spread
/// over the days of the report (to `filter.until`, or today in `tz`).
pub fn report(ledger: &Ledger, by: By, filter: &Filter, tz: Tz) -> Result<Report> {
    let mut groups: BTreeMap<String, Sums> = BTreeMap::new();
    let key_of = |date: NaiveDate, dim: String| match by {
        By::Day => date.to_string(),
        By::Week => timezone::iso_week(date),
        By::Month => timezone::month(date),
        _ => dim,
    };
    if rollup::refresh(ledger.conn(), tz)? {
        rolled_groups(ledger, by, filter, &mut |date, dim, s| groups.entry(key_of(date, dim)).or_default().add(&s))?;
    } else {
        let dim = match by {
            By::Model => "model",
            By::Provider => "provider",
            By::Project => "COALESCE(project, '(none)')",
            By::Source => "source",
            By::Day | By::Week | By::Month => "''",
        };
        let mut sql = format!("SELECT {dim}, day, ts_ms / 900000, {SUMS} FROM ({COUNTED}) WHERE 1");
        let mut args: Vec<Value> = Vec::new();
        for (col, v) in [
            ("source", &filter.source),
            ("provider", &filter.provider),
            ("model", &filter.model),
            ("project", &filter.project),
        ] {
            if let Some(v) = v {
                args.push(Value::Text(v.clone()));
                sql += &format!(" AND {col} = ?{}", args.len());
            }
        }
        // Coarse bounds in SQL (a day either side), exact day filtering below.
        if let Some(d) = filter.since {
            args.push(Value::Integer(timezone::day_start_ms(tz, d) - 2 * 86_400_000));
            sql += &format!(" AND ts_ms >= ?{}", args.len());
        }
        if let Some(d) = filter.until {
            args.push(Value::Integer(timezone::day_start_ms(tz, d) + 3 * 86_400_000));
            sql += &format!(" AND ts_ms < ?{}", args.len());
        }
        sql += " GROUP BY 1, 2, 3";
        let in_range =
            |date: NaiveDate| filter.since.is_none_or(|s| date >= s) && filter.until.is_none_or(|u| date <= u);
        let mut stmt = ledger.conn().prepare_cached(&sql)?;
        let mut q = stmt.query(rusqlite::params_from_iter(args))?;
        while let Some(r) = q.next()? {
            let dim: String = r.get(0)?;
            let date = row_date(r.get(1)?, r.get(2)?, tz);
            if !in_range(date) {
                continue;
            }
            let s = sums_at(r, 3)?;
            groups.entry(key_of(date, dim)).or_default().add(&s);
        }
    }

    // Subscription fees, amortised per day, when no filter excludes them.
    if filter.model.is_none()
        && filter.project.is_none()
        && filter.source.as_deref().is_none_or(|s| s == "subscription")
    {
        let today = timezone::local_date(tz, chrono::Utc::now().timestamp_millis());
        for sub in spend::subscriptions(ledger.conn())? {
            let provider = sub.provider.clone().unwrap_or_else(|| "subscription".to_string());
            if filter.provider.as_ref().is_some_and(|p| *p != provider) {
                continue;
            }
            let start = filter.since.unwrap_or(sub.from);
            let end = filter.until.unwrap_or(today);
            for (date, fee) in sub.daily_fees(start, end) {
                let dim = match by {
                    By::Model => format!("subscription: {}", sub.name),
                    By::Provider => provider.clone(),
                    By::Project => "(none)".to_string(),
                    _ => "subscription".to_string(),
                };
                groups.entry(key_of(date, dim)).or_default().fee += fee;
            }
        }
    }

    let mut total = Sums::default();
    let mut rows = Vec::with_capacity(groups.len());
    for (k, s) in &groups {
        total.add(s);
        rows.push(Row::of(Some(k.clone()), s));
    }
    Ok(Report { rows, totals: Row::of(None, &total) })
}

/// The report's sums from the rollup's derived tables, handed to `add` with the date of
/// their row (a day, or the first of a month) and their dimension's value. Days of the
/// zone are exact, so the range is exact too.
fn rolled_groups(ledger: &Ledger, by: By, filter: &Filter, add: &mut dyn FnMut(NaiveDate, String, Sums)) -> Result<()> {
    let (lo, hi) =
        (filter.since.map_or(i64::MIN, rollup::day_number), filter.until.map_or(i64::MAX, rollup::day_number));
    let filtered = [&filter.source, &filter.provider, &filter.model, &filter.project].iter().any(|v| v.is_some());
    let by_time = matches!(by, By::Day | By::Week | By::Month);
    if by_time && !filtered {
        // A row per day, whatever the number of events.
        let sql = format!("SELECT lday, 0, {} FROM rollup_totals WHERE lday >= ?1 AND lday <= ?2", rollup::DAY_COLUMNS);
        return derived_rows(ledger, &sql, lo, hi, &mut |day, _, s| add(spend::day_of(day), String::new(), s));
    }
    // Each combination's value of the dimension, None when the filter leaves it out.
    let is = |want: &Option<String>, have: Option<&str>| want.as_deref().is_none_or(|w| have == Some(w));
    let dims: Vec<Option<String>> = rollup::combos(ledger.conn())?
        .into_iter()
        .map(|c| {
            let c = c?;
            let kept = is(&filter.source, Some(&c.source))
                && is(&filter.provider, Some(&c.provider))
                && is(&filter.model, Some(&c.model))
                && is(&filter.project, c.project.as_deref());
            kept.then(|| match by {
                By::Model => c.model,
                By::Provider => c.provider,
                By::Project => c.project.unwrap_or_else(|| "(none)".to_string()),
                By::Source => c.source,
                By::Day | By::Week | By::Month => String::new(),
            })
        })
        .collect();
    let mut add_row = |day: i64, combo: usize, s: Sums| {
        if let Some(Some(dim)) = dims.get(combo) {
            add(spend::day_of(day), dim.clone(), s);
        }
    };
    let days = format!("SELECT lday, combo, {} FROM rollup_days WHERE lday >= ?1 AND lday <= ?2", rollup::DAY_COLUMNS);
    if matches!(by, By::Day | By::Week) {
        return derived_rows(ledger, &days, lo, hi, &mut add_row);
    }
    // By month or a dimension: whole months from the month table, the ends by day.
    let (months, ends) = rollup::split_months(filter.since, filter.until);
    if let Some((first, last)) = months {
        let sql = format!(
            "SELECT month, combo, {} FROM rollup_months WHERE month >= ?1 AND month <= ?2",
            rollup::DAY_COLUMNS
        );
        derived_rows(ledger, &sql, first, last, &mut add_row)?;
    }
    for (a, b) in ends {
        derived_rows(ledger, &days, a, b, &mut add_row)?;
    }
    Ok(())
}

/// Parses a `--since` / `--until` date.
pub fn parse_day(s: &str) -> Result<NaiveDate> {
    timezone::parse_date(s).ok_or_else(|| Error::invalid("date", s, "is not a date (use YYYY-MM-DD)"))
}
