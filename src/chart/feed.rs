//! Chart data from the ledger: `daily`, `breakdown` and `tokens` from reports, `burn` from a
//! budget's status and forecast. The CLI and the desktop app both call these.
//!
//! Everything goes through [`report::report`], so charts count exactly what reports count
//! (superseded sources, billed over estimated money, subscriptions): there is no second
//! copy of the counting rules here. A per-key series is a report filtered to that key;
//! only the top N keys are queried, and "other" is the total minus them, so the buckets
//! always add up to the report's total.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate, Weekday};
use chrono_tz::Tz;

use super::{
    rank, BreakdownData, BurnData, DailyData, FanPoint, MonthTokens, RatioData, Reference, TokensData, Unit, WeekSpend,
    OTHER,
};
use crate::budget::{self, Budget};
use crate::error::{Error, Result};
use crate::ledger::Ledger;
use crate::money::Usd;
use crate::report::{self, By, Filter, Row};

/// The key `report` gives events without a project.
const NO_PROJECT: &str = "(none)";

fn base(since: Option<NaiveDate>, until: Option<NaiveDate>) -> Filter {
    Filter { since, until, ..Filter::default() }
}

fn spend(r: &Row) -> Result<Usd> {
    Usd::parse(&r.cost_usd).map_err(|e| Error::invalid("report amount", &r.cost_usd, e.to_string()))
}

fn range(
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
    first: Option<NaiveDate>,
    last: Option<NaiveDate>,
) -> Option<(NaiveDate, NaiveDate)> {
    match (since.or(first), until.or(last)) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    }
}

/// Spend per day from `since` to `until` (inclusive; open ends stop at the data). `today`
/// is the day in `tz` the chart is drawn on.
pub fn daily(
    l: &Ledger,
    tz: Tz,
    today: NaiveDate,
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
) -> Result<DailyData> {
    let rep = report::report(l, By::Day, &base(since, until), tz)?;
    let mut days = Vec::with_capacity(rep.rows.len());
    for r in &rep.rows {
        if let Some(d) = r.key.as_deref().and_then(crate::timezone::parse_date) {
            days.push((d, spend(r)?));
        }
    }
    let range = range(since, until, days.first().map(|d| d.0), days.last().map(|d| d.0));
    Ok(DailyData { days, range, unpriced_events: rep.totals.unpriced_events, today })
}

fn filter_for(by: By, key: &str, f: &Filter) -> Option<Filter> {
    let mut f = f.clone();
    match by {
        By::Model => f.model = Some(key.to_string()),
        By::Provider => f.provider = Some(key.to_string()),
        By::Source => f.source = Some(key.to_string()),
        // A report cannot select events without a project: that key is derived.
        By::Project if key == NO_PROJECT => return None,
        By::Project => f.project = Some(key.to_string()),
        By::Day | By::Week | By::Month => return None,
    }
    Some(f)
}

/// Per-bucket values of the top `top` keys of `by` (by `value`), and of "other".
fn split(
    l: &Ledger,
    tz: Tz,
    by: By,
    bucket: By,
    top: usize,
    f: &Filter,
    value: impl Fn(&Row) -> Result<i128>,
) -> Result<Vec<(String, String, i128)>> {
    if matches!(by, By::Day | By::Week | By::Month) {
        return Err(Error::invalid(
            "--by",
            format!("{by:?}").to_lowercase(),
            "break down by model, provider or project",
        ));
    }
    let series = |flt: &Filter| -> Result<BTreeMap<String, i128>> {
        let mut m = BTreeMap::new();
        for r in report::report(l, bucket, flt, tz)?.rows {
            if let Some(k) = r.key.clone() {
                m.insert(k, value(&r)?);
            }
        }
        Ok(m)
    };
    let mut totals: HashMap<String, i128> = HashMap::new();
    for r in report::report(l, by, f, tz)?.rows {
        if let Some(k) = r.key.clone() {
            totals.insert(k, value(&r)?);
        }
    }
    let (kept, _, has_other) = rank(&totals, top);
    let all = series(f)?;

    let mut out = Vec::new();
    let mut rest = all.clone();
    let mut derived: Option<String> = None;
    for k in &kept {
        match filter_for(by, k, f) {
            Some(kf) => {
                for (b, v) in series(&kf)? {
                    *rest.entry(b.clone()).or_default() -= v;
                    out.push((b, k.clone(), v));
                }
            }
            None => derived = Some(k.clone()),
        }
    }
    if let Some(k) = derived {
        // The key without a filter is what remains once the other keys are taken out; the
        // keys past the top are then queried one by one to tell it from "other".
        let mut other: BTreeMap<String, i128> = BTreeMap::new();
        if has_other {
            for key in totals.keys().filter(|key| !kept.contains(key)) {
                if let Some(kf) = filter_for(by, key, f) {
                    for (b, v) in series(&kf)? {
                        *rest.entry(b.clone()).or_default() -= v;
                        *other.entry(b).or_default() += v;
                    }
                }
            }
        }
        out.extend(rest.into_iter().filter(|(_, v)| *v != 0).map(|(b, v)| (b, k.clone(), v)));
        out.extend(other.into_iter().filter(|(_, v)| *v != 0).map(|(b, v)| (b, OTHER.to_string(), v)));
    } else if has_other {
        out.extend(rest.into_iter().filter(|(_, v)| *v != 0).map(|(b, v)| (b, OTHER.to_string(), v)));
    }
    Ok(out)
}

fn week_start(key: &str) -> Option<NaiveDate> {
    let (y, w) = key.split_once("-W")?;
    NaiveDate::from_isoywd_opt(y.parse().ok()?, w.parse().ok()?, Weekday::Mon)
}

fn month_start(key: &str) -> Option<NaiveDate> {
    crate::timezone::parse_date(&format!("{key}-01"))
}

/// Spend per week by `by` (model, provider or project): the top `top` keys and "other".
/// `today` is the day in `tz` the chart is drawn on.
pub fn breakdown(
    l: &Ledger,
    tz: Tz,
    today: NaiveDate,
    by: By,
    top: usize,
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
) -> Result<BreakdownData> {
    let f = base(since, until);
    let rows = split(l, tz, by, By::Week, top, &f, |r| Ok(spend(r)?.nanos() as i128))?;
    let mut weeks = Vec::with_capacity(rows.len());
    for (b, key, v) in rows {
        if let Some(week) = week_start(&b) {
            weeks.push(WeekSpend { week, key, spend: Usd(v as i64) });
        }
    }
    let unpriced = report::report(l, By::Week, &f, tz)?.totals.unpriced_events;
    let first = weeks.iter().map(|w| w.week).min();
    let last = weeks.iter().map(|w| w.week).max();
    Ok(BreakdownData {
        by: by_name(by).into(),
        weeks,
        top,
        range: range(since, until, first, last),
        unpriced_events: unpriced,
        today,
    })
}

/// Tokens per month by `by` (provider, model or project): the top `top` keys and "other".
/// `today` is the day in `tz` the chart is drawn on.
pub fn tokens(
    l: &Ledger,
    tz: Tz,
    today: NaiveDate,
    by: By,
    top: usize,
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
) -> Result<TokensData> {
    let f = base(since, until);
    let rows = split(l, tz, by, By::Month, top, &f, |r| Ok(r.total_tokens as i128))?;
    let mut months = Vec::with_capacity(rows.len());
    for (b, key, v) in rows {
        if let Some(month) = month_start(&b) {
            months.push(MonthTokens { month, key, tokens: v as i64 });
        }
    }
    let first = months.iter().map(|m| m.month).min();
    let last = months.iter().map(|m| m.month).max();
    Ok(TokensData { by: by_name(by).into(), months, top, range: range(since, until, first, last), today })
}

/// A budget's period on `at`: spend so far and the forecast fan (None before the budget
/// starts).
///
/// The forecast gives, for each of P10/P50/P90, the spend at the period's end and the day
/// spend reaches the budget; the fan's edges go through exactly those points (the P90
/// spend edge meets the budget on the P10 run-out day, and so on), straight between them.
pub fn burn(l: &Ledger, b: &Budget, at: NaiveDate, tz: Tz) -> Result<Option<BurnData>> {
    let Some(st) = budget::status(l, b, at, tz)? else { return Ok(None) };
    let unit = match b.unit {
        budget::Unit::Usd => Unit::Usd,
        budget::Unit::Tokens => Unit::Tokens,
    };
    let mut total = 0i64;
    let cumulative: Vec<(NaiveDate, i64)> = st
        .daily
        .iter()
        .map(|&(d, v)| {
            total += v;
            (d, total)
        })
        .collect();
    let mut fan = Vec::new();
    let mut p50_runout = None;
    if let Some(f) = &st.detail {
        p50_runout = f.p50;
        let end = match f.p50 {
            Some(r) if r > st.period_end => r,
            _ => st.period_end,
        };
        let edge = |at_end: f64, runout: Option<NaiveDate>| -> Vec<(NaiveDate, f64)> {
            let mut pts = vec![(st.as_of, total as f64)];
            if st.period_end > st.as_of {
                pts.push((st.period_end, at_end));
            }
            if let Some(r) = runout.filter(|&r| r > st.as_of) {
                pts.push((r, b.amount as f64));
            }
            pts.sort_by_key(|p| p.0);
            pts.dedup_by_key(|p| p.0);
            // Cumulative spend never falls: drop a point below the one before it.
            let mut out: Vec<(NaiveDate, f64)> = Vec::new();
            for p in pts {
                if out.last().is_none_or(|l| p.1 >= l.1) {
                    out.push(p);
                }
            }
            out
        };
        // Edges in the budget's exact unit (nano-dollars or tokens), as f64 coordinates.
        let edges = [
            edge(exact_f(unit, f.spend_at_end.p10), f.p90),
            edge(exact_f(unit, f.spend_at_end.p50), f.p50),
            edge(exact_f(unit, f.spend_at_end.p90), f.p10),
        ];
        let mut d = st.as_of.succ_opt().unwrap_or(st.as_of);
        while d <= end && d > st.as_of {
            let v: Vec<i64> = edges.iter().map(|e| interpolate(e, d).round() as i64).collect();
            let p50 = v[1].max(total);
            fan.push(FanPoint { date: d, p10: v[0].clamp(total, p50), p50, p90: v[2].max(p50) });
            d = match d.succ_opt() {
                Some(n) => n,
                None => break,
            };
        }
    }
    Ok(Some(BurnData {
        name: b.name.clone(),
        unit,
        period_start: st.period_start,
        period_end: st.period_end,
        today: st.as_of,
        budget: b.amount,
        cumulative,
        fan,
        thresholds: b.thresholds.iter().filter_map(|&t| u8::try_from(t).ok()).collect(),
        p50_runout,
    }))
}

/// Spend against compensation over the (fiscal) year containing `at`; None when no
/// compensation is set.
///
/// The lines are the whole year's pay (prorated through any changes by `ratio`) times each
/// ratio, straight from the year's start; the projection is `ratio`'s P50 year-end ratio
/// (to a tenth of a percent) times that pay.
pub fn ratio(l: &Ledger, at: NaiveDate, tz: Tz) -> Result<Option<RatioData>> {
    let fy = crate::alerts::fiscal_year_start(l.conn())?;
    let Some(st) = crate::ratio::status(l, at, tz, fy)? else { return Ok(None) };
    let year = st.year;
    let pay = crate::ratio::prorated(&crate::ratio::history(l.conn())?, year.start, year.end);
    let days = report::daily(l, tz, year.start, at.min(year.end), &|_, _, _| true)?;
    let mut total = Usd::ZERO;
    let mut cumulative = Vec::new();
    let mut d = year.start;
    while d <= at.min(year.end) {
        total += days.get(&d).map_or(Usd::ZERO, |s| s.spend());
        cumulative.push((d, total));
        d = match d.succ_opt() {
            Some(n) => n,
            None => break,
        };
    }
    let thousandths = (st.projected_year_end[1] * 1000.0).round() as i128;
    let projected = Usd(crate::money::div_round_half_even(pay.nanos() as i128 * thousandths, 1000) as i64);
    Ok(Some(RatioData {
        year_start: year.start,
        year_end: year.end,
        today: at,
        compensation: pay,
        target_bp: st.target_ratio.map(|t| (t * 10_000.0).round() as u32),
        references: Reference::defaults(),
        cumulative,
        projected_year_end: Some(projected),
    }))
}

/// A forecast amount (dollars or tokens) in the budget's exact unit, as `f64`.
fn exact_f(unit: Unit, x: f64) -> f64 {
    match unit {
        Unit::Usd => x * crate::money::NANOS_PER_USD as f64,
        Unit::Tokens => x,
    }
}

/// The edge's value on `d`: straight between its points, and on past the last along the
/// last segment's slope.
fn interpolate(pts: &[(NaiveDate, f64)], d: NaiveDate) -> f64 {
    let x = |p: NaiveDate| p.num_days_from_ce() as f64;
    match pts {
        [] => 0.0,
        [only] => only.1,
        _ => {
            let i = pts.windows(2).position(|w| d <= w[1].0).unwrap_or(pts.len() - 2);
            let (a, b) = (pts[i], pts[i + 1]);
            let t = (x(d) - x(a.0)) / (x(b.0) - x(a.0)).max(1.0);
            a.1 + (b.1 - a.1) * t
        }
    }
}

fn by_name(by: By) -> &'static str {
    match by {
        By::Model => "model",
        By::Provider => "provider",
        By::Project => "project",
        By::Source => "source",
        By::Day => "day",
        By::Week => "week",
        By::Month => "month",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_keys() {
        assert_eq!(week_start("2025-W01"), NaiveDate::from_ymd_opt(2024, 12, 30));
        assert_eq!(month_start("2025-10"), NaiveDate::from_ymd_opt(2025, 10, 1));
        assert_eq!(week_start("junk"), None);
    }
}
