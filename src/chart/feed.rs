//! Chart data from the ledger, for the kinds the ledger alone can feed (`daily`,
//! `breakdown`, `tokens`). The CLI and the desktop app both call these.
//!
//! Everything goes through [`report::report`], so charts count exactly what reports count
//! (superseded sources, billed over estimated money, subscriptions): there is no second
//! copy of the counting rules here. A per-key series is a report filtered to that key;
//! only the top N keys are queried, and "other" is the total minus them, so the buckets
//! always add up to the report's total.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, Weekday};
use chrono_tz::Tz;

use super::{rank, BreakdownData, DailyData, MonthTokens, TokensData, WeekSpend, OTHER};
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
    Usd::parse(&r.cost_usd).map_err(|e| Error::Invalid(format!("report amount {:?}: {e}", r.cost_usd)))
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

/// Spend per day from `since` to `until` (inclusive; open ends stop at the data).
pub fn daily(l: &Ledger, tz: Tz, since: Option<NaiveDate>, until: Option<NaiveDate>) -> Result<DailyData> {
    let rep = report::report(l, By::Day, &base(since, until), tz)?;
    let mut days = Vec::with_capacity(rep.rows.len());
    for r in &rep.rows {
        if let Some(d) = r.key.as_deref().and_then(crate::timezone::parse_date) {
            days.push((d, spend(r)?));
        }
    }
    let range = range(since, until, days.first().map(|d| d.0), days.last().map(|d| d.0));
    Ok(DailyData { days, range, unpriced_events: rep.totals.unpriced_events })
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
        return Err(Error::Invalid("break down by model, provider or project".into()));
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
pub fn breakdown(
    l: &Ledger,
    tz: Tz,
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
    })
}

/// Tokens per month by `by` (provider, model or project): the top `top` keys and "other".
pub fn tokens(
    l: &Ledger,
    tz: Tz,
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
    Ok(TokensData { by: by_name(by).into(), months, top, range: range(since, until, first, last) })
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
