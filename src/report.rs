//! Usage reports: token and money totals grouped by day, week, month or a dimension.
//!
//! Invariants: superseded events (a summary covered by transcripts) are never counted;
//! days are the ledger zone's calendar days, except rows that cover a whole calendar day of
//! their source, which keep their date; `cost_usd` is the priced part, and events without a
//! price are counted in `unpriced_events`, never as $0.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::ledger::queries::events::{self, Dim};
use crate::ledger::queries::rollup::{self, SumColumns};
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

impl Sums {
    /// The sums the ledger counted for a group ([`SumColumns`]' order); fees are apart.
    fn of_columns(c: SumColumns) -> Sums {
        Sums {
            tokens: Tokens {
                input: c[0],
                cache_write_5m: c[1],
                cache_write_1h: c[2],
                cache_read: c[3],
                output: c[4],
                reasoning: c[5],
                unsplit: c[6],
                requests: c[7],
                web_search_requests: c[8],
            },
            billed: Usd(c[9]),
            estimated: Usd(c[10]),
            manual: Usd(c[11]),
            value: Usd(c[12]),
            unpriced_events: c[13],
            events: c[14],
            fee: Usd::ZERO,
        }
    }
}

/// The local date of a grouped row: its own calendar day, else the day of its quarter-hour
/// bucket (every zone offset in use is a multiple of 15 minutes, so a bucket falls on
/// exactly one local day).
fn row_date(day: Option<&str>, quarter_hour: i64, tz: Tz) -> NaiveDate {
    match day.and_then(timezone::parse_date) {
        Some(d) => d,
        None => timezone::local_date(tz, quarter_hour * 900_000),
    }
}

/// The coarse instant bounds (a day either side, and more) of the local days
/// `since..=until` in `tz`: rows are then filed by their exact local day.
fn coarse_ms(tz: Tz, since: Option<NaiveDate>, until: Option<NaiveDate>) -> (Option<i64>, Option<i64>) {
    (
        since.map(|d| timezone::day_start_ms(tz, d) - 2 * 86_400_000),
        until.map(|d| timezone::day_start_ms(tz, d) + 3 * 86_400_000),
    )
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
    let mut add = |date: NaiveDate, s: Sums| out.entry(date).or_default().add(&s);
    if rollup::refresh(ledger.conn(), tz)? {
        daily_from_rollup(ledger, since, until, keep, &mut add)?;
    } else {
        daily_from_events(ledger, tz, since, until, keep, &mut add)?;
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

/// [`daily`]'s event sums from the rollup's day table (brought up to date by the caller).
fn daily_from_rollup(
    ledger: &Ledger,
    since: NaiveDate,
    until: NaiveDate,
    keep: &Matcher,
    add: &mut dyn FnMut(NaiveDate, Sums),
) -> Result<()> {
    let kept: Vec<bool> = rollup::combos(ledger.conn())?
        .iter()
        .map(|c| c.as_ref().is_some_and(|c| keep(&c.provider, &c.model, c.project.as_deref())))
        .collect();
    rollup::day_rows(ledger.conn(), rollup::day_number(since), rollup::day_number(until), &mut |day, combo, s| {
        if kept.get(combo).copied().unwrap_or(false) {
            add(spend::day_of(day), Sums::of_columns(s));
        }
    })
}

/// Counted event sums (no fees) per local day over `[since, until]` of the events of
/// `source` that `keep` accepts, read from the events in any zone.
pub fn daily_events_of(
    ledger: &Ledger,
    tz: Tz,
    since: NaiveDate,
    until: NaiveDate,
    source: &str,
    keep: &Matcher,
) -> Result<BTreeMap<NaiveDate, Sums>> {
    let mut out: BTreeMap<NaiveDate, Sums> = BTreeMap::new();
    let mut add = |date: NaiveDate, s: Sums| out.entry(date).or_default().add(&s);
    daily_from_events_of(ledger, tz, since, until, Some(source), keep, &mut add)?;
    Ok(out)
}

/// [`daily`]'s event sums from the events (in a zone other than the rollup's).
fn daily_from_events(
    ledger: &Ledger,
    tz: Tz,
    since: NaiveDate,
    until: NaiveDate,
    keep: &Matcher,
    add: &mut dyn FnMut(NaiveDate, Sums),
) -> Result<()> {
    daily_from_events_of(ledger, tz, since, until, None, keep, add)
}

/// [`daily_from_events`], of one source's events only when `source` is given.
fn daily_from_events_of(
    ledger: &Ledger,
    tz: Tz,
    since: NaiveDate,
    until: NaiveDate,
    source: Option<&str>,
    keep: &Matcher,
    add: &mut dyn FnMut(NaiveDate, Sums),
) -> Result<()> {
    let (from_ms, to_ms) = coarse_ms(tz, Some(since), Some(until));
    let only = events::Only { source, from_ms, to_ms, ..Default::default() };
    let dims = [Dim::Provider, Dim::Model, Dim::Project];
    events::counted(ledger.conn(), &dims, &only, &mut |g| {
        let [provider, model, project]: [Option<String>; 3] = g.dims.try_into().expect("three dimensions");
        let (provider, model) = (provider.unwrap_or_default(), model.unwrap_or_default());
        if !keep(&provider, &model, project.as_deref()) {
            return Ok(());
        }
        let date = row_date(g.day.as_deref(), g.quarter_hour, tz);
        if date >= since && date <= until {
            add(date, Sums::of_columns(g.sums));
        }
        Ok(())
    })
}

/// The key of a report row: the date's day, week or month, else the dimension's value.
fn group_key(by: By, date: NaiveDate, dim: String) -> String {
    match by {
        By::Day => date.to_string(),
        By::Week => timezone::iso_week(date),
        By::Month => timezone::month(date),
        _ => dim,
    }
}

/// Groups the ledger's counted events by `by` in zone `tz`. Subscription fees are spread
/// over the days of the report (to `filter.until`, or today in `tz`).
pub fn report(ledger: &Ledger, by: By, filter: &Filter, tz: Tz) -> Result<Report> {
    let mut groups: BTreeMap<String, Sums> = BTreeMap::new();
    let mut add = |date: NaiveDate, dim: String, s: Sums| groups.entry(group_key(by, date, dim)).or_default().add(&s);
    if rollup::refresh(ledger.conn(), tz)? {
        rolled_groups(ledger, by, filter, &mut add)?;
    } else {
        event_groups(ledger, by, filter, tz, &mut add)?;
    }
    fee_groups(ledger, by, filter, tz, &mut add)?;
    let mut total = Sums::default();
    let mut rows = Vec::with_capacity(groups.len());
    for (k, s) in &groups {
        total.add(s);
        rows.push(Row::of(Some(k.clone()), s));
    }
    Ok(Report { rows, totals: Row::of(None, &total) })
}

/// The report's sums from the events (in a zone other than the rollup's), handed to `add`
/// with their local date and their dimension's value.
fn event_groups(
    ledger: &Ledger,
    by: By,
    filter: &Filter,
    tz: Tz,
    add: &mut dyn FnMut(NaiveDate, String, Sums),
) -> Result<()> {
    let dims: &[Dim] = match by {
        By::Model => &[Dim::Model],
        By::Provider => &[Dim::Provider],
        By::Project => &[Dim::Project],
        By::Source => &[Dim::Source],
        By::Day | By::Week | By::Month => &[],
    };
    // Coarse bounds in SQL (a day either side), exact day filtering below.
    let (from_ms, to_ms) = coarse_ms(tz, filter.since, filter.until);
    let only = events::Only {
        source: filter.source.as_deref(),
        provider: filter.provider.as_deref(),
        model: filter.model.as_deref(),
        project: filter.project.as_deref(),
        from_ms,
        to_ms,
    };
    let in_range = |date: NaiveDate| filter.since.is_none_or(|s| date >= s) && filter.until.is_none_or(|u| date <= u);
    events::counted(ledger.conn(), dims, &only, &mut |g| {
        let date = row_date(g.day.as_deref(), g.quarter_hour, tz);
        if in_range(date) {
            let dim = match g.dims.into_iter().next() {
                Some(v) => v.unwrap_or_else(|| "(none)".to_string()),
                None => String::new(),
            };
            add(date, dim, Sums::of_columns(g.sums));
        }
        Ok(())
    })
}

/// Subscription fees, amortised per day, when no filter excludes them, handed to `add` as
/// sums of a fee only.
fn fee_groups(
    ledger: &Ledger,
    by: By,
    filter: &Filter,
    tz: Tz,
    add: &mut dyn FnMut(NaiveDate, String, Sums),
) -> Result<()> {
    if filter.model.is_some()
        || filter.project.is_some()
        || filter.source.as_deref().is_some_and(|s| s != "subscription")
    {
        return Ok(());
    }
    let today = timezone::today(tz);
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
            add(date, dim, Sums { fee, ..Sums::default() });
        }
    }
    Ok(())
}

/// The report's sums from the rollup's derived tables, handed to `add` with the date of
/// their row (a day, or the first of a month) and their dimension's value. Days of the
/// zone are exact, so the range is exact too.
fn rolled_groups(ledger: &Ledger, by: By, filter: &Filter, add: &mut dyn FnMut(NaiveDate, String, Sums)) -> Result<()> {
    let conn = ledger.conn();
    let (lo, hi) =
        (filter.since.map_or(i64::MIN, rollup::day_number), filter.until.map_or(i64::MAX, rollup::day_number));
    let filtered = [&filter.source, &filter.provider, &filter.model, &filter.project].iter().any(|v| v.is_some());
    let by_time = matches!(by, By::Day | By::Week | By::Month);
    if by_time && !filtered {
        // A row per day, whatever the number of events.
        return rollup::total_rows(conn, lo, hi, &mut |day, s| {
            add(spend::day_of(day), String::new(), Sums::of_columns(s))
        });
    }
    let dims = combo_dims(conn, by, filter)?;
    let mut add_row = |day: i64, combo: usize, s: SumColumns| {
        if let Some(Some(dim)) = dims.get(combo) {
            add(spend::day_of(day), dim.clone(), Sums::of_columns(s));
        }
    };
    if matches!(by, By::Day | By::Week) {
        return rollup::day_rows(conn, lo, hi, &mut add_row);
    }
    // By month or a dimension: whole months from the month table, the ends by day.
    let (months, ends) = rollup::split_months(filter.since, filter.until);
    if let Some((first, last)) = months {
        rollup::month_rows(conn, first, last, &mut add_row)?;
    }
    for (a, b) in ends {
        rollup::day_rows(conn, a, b, &mut add_row)?;
    }
    Ok(())
}

/// Each rollup combination's value of the dimension `by`, None when the filter leaves it
/// out.
fn combo_dims(conn: &rusqlite::Connection, by: By, filter: &Filter) -> Result<Vec<Option<String>>> {
    let is = |want: &Option<String>, have: Option<&str>| want.as_deref().is_none_or(|w| have == Some(w));
    Ok(rollup::combos(conn)?
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
        .collect())
}

/// Parses a `--since` / `--until` date.
pub fn parse_day(s: &str) -> Result<NaiveDate> {
    timezone::parse_date(s).ok_or_else(|| Error::invalid("date", s, "is not a date (use YYYY-MM-DD)"))
}
