//! Reconciliation: what the logs estimate against what the vendor billed, per provider,
//! model and day (or month), with the drift and the causes that can be detected.
//!
//! The estimate side is the agent logs' priced usage (transcripts) of the provider, or the
//! vendor usage export's when there are no logs; the billed side is billed money. Models are
//! compared by family (`claude-sonnet-4-20250514` and the bill's `claude-sonnet-4` are one),
//! and where the bill names no model the day is compared as a whole. Days are UTC days,
//! as vendors bill them. Nothing here changes what is counted: see `spend`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use rusqlite::Connection;
use serde::Serialize;

use crate::error::Result;
use crate::ledger::queries::rollup;
use crate::ledger::Ledger;
use crate::model::Authority;
use crate::money::Usd;
use crate::spend::day_of;

/// How lines are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Day,
    Month,
}

/// The bill names no model for these rows.
const ALL: &str = "(all models)";

/// One line of the reconciliation.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Line {
    pub provider: String,
    pub model: String,
    pub period: String,
    #[serde(serialize_with = "text")]
    pub estimate_usd: Usd,
    #[serde(serialize_with = "text")]
    pub billed_usd: Usd,
    /// billed - estimate.
    #[serde(serialize_with = "text")]
    pub drift_usd: Usd,
    /// drift / billed, in percent with one decimal ("-12.5"); None when nothing was billed.
    pub drift_pct: Option<String>,
    pub estimate_events: i64,
    pub unpriced_events: i64,
    /// What explains the drift; `["unexplained"]` when nothing does, empty when it is
    /// within 1%.
    pub causes: Vec<String>,
}

fn text<S: serde::Serializer>(u: &Usd, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&u.to_string())
}

/// `claude-sonnet-4-20250514`, `Claude-Sonnet-4` and `claude-sonnet-4.0` are one family.
pub fn family(model: &str) -> String {
    let mut m = model.trim().to_ascii_lowercase().replace(['.', ' ', '_'], "-");
    if let Some(rest) = m.rsplit_once('/').map(|(_, r)| r.to_string()) {
        m = rest;
    }
    for suffix in ["-latest", "-0"] {
        if let Some(s) = m.strip_suffix(suffix) {
            m = s.to_string();
        }
    }
    if let Some((head, tail)) = m.rsplit_once('-') {
        if tail.len() == 8 && tail.bytes().all(|b| b.is_ascii_digit()) {
            m = head.to_string();
        }
    }
    m
}

#[derive(Default)]
struct Side {
    estimate: Usd,
    estimate_events: i64,
    unpriced: i64,
    unpriced_models: BTreeSet<String>,
    billed: Usd,
    billed_seen: bool,
    cache_5m: i64,
    long_requests: i64,
    estimate_models: BTreeSet<String>,
    days: BTreeSet<i64>,
}

/// The lines of this month and the last (UTC, as vendors bill), as the dashboard warns of
/// them: older months are `tokenburn reconcile`'s.
pub fn recent(ledger: &Ledger, today: NaiveDate) -> Result<Vec<Line>> {
    let since = chrono::Datelike::with_day(&today, 1).and_then(|d| d.checked_sub_months(chrono::Months::new(1)));
    reconcile(ledger, Period::Month, None, since)
}

/// Reconciles every provider that has billed data (or `provider` only), over every day or
/// from the UTC day `since` on. Reads the rollup (thousands of rows, not every event), or
/// the events when the rollup cannot be brought up to date (another writer holds the
/// ledger): both give the same lines.
pub fn reconcile(
    ledger: &Ledger,
    period: Period,
    provider: Option<&str>,
    since: Option<NaiveDate>,
) -> Result<Vec<Line>> {
    let conn = ledger.conn();
    let rows = if rollup::refresh(conn, ledger.tz()?)? {
        from_rollup(conn, provider, since)?
    } else {
        from_events(conn, provider, since)?
    };
    lines(ledger, period, rows)
}

/// [`reconcile`] computed from the events, as when the rollup cannot be brought up to date.
/// For the tests that check both ways agree.
#[doc(hidden)]
pub fn reconcile_from_events(
    ledger: &Ledger,
    period: Period,
    provider: Option<&str>,
    since: Option<NaiveDate>,
) -> Result<Vec<Line>> {
    lines(ledger, period, from_events(ledger.conn(), provider, since)?)
}

/// The sums of the non-superseded estimated and billed events of one provider, model, UTC
/// day, cost kind and authority.
struct Agg {
    provider: String,
    model: String,
    day: i64,
    billed: bool,
    authority: i64,
    /// Every event's money (unpriced ones count 0).
    nanos: i64,
    /// Estimated events without a price.
    unpriced: i64,
    /// Every event's 5-minute cache writes.
    cache_5m: i64,
    events: i64,
    /// Single requests over 200k input tokens (input, cache reads and writes).
    long: i64,
}

/// What the lines are made of: the sums, and the (provider, account) pairs of transcript
/// events (superseded ones too) whose account bills to itself.
struct Rows {
    aggs: Vec<Agg>,
    unlinked: BTreeSet<(String, String)>,
}

/// The sums read from the rollup (brought up to date by the caller).
fn from_rollup(conn: &Connection, provider: Option<&str>, since: Option<NaiveDate>) -> Result<Rows> {
    // The rows are summed here: sorting them for a GROUP BY costs more than reading them. A
    // row's local day is within a day of its UTC day, so from `since` on the local-day index
    // finds them; the whole history is read in table order.
    const ROWS: &str = "SELECT provider, model, utc_day, cost_kind = 'billed', authority, money_all,
            CASE WHEN cost_kind = 'estimated' THEN unpriced_all ELSE 0 END, cache_write_5m_all, events, long_requests
        FROM rollup WHERE superseded = 0 AND cost_kind IN ('estimated', 'billed') AND (?1 IS NULL OR provider = ?1)";
    type Group = (usize, usize, i64, bool, i64);
    let mut names: Vec<String> = Vec::new();
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut sums: HashMap<Group, [i64; 5]> = HashMap::new();
    let mut stmt;
    let mut q = match since {
        Some(d) => {
            stmt = conn.prepare_cached(&format!("{ROWS} AND lday >= ?2 AND utc_day >= ?3"))?;
            let from = rollup::day_number(d);
            stmt.query(rusqlite::params![provider, from - 1, from])?
        }
        None => {
            stmt = conn.prepare_cached(ROWS)?;
            stmt.query([provider])?
        }
    };
    while let Some(r) = q.next()? {
        let mut id = |i: usize| -> rusqlite::Result<usize> {
            let name = r
                .get_ref(i)?
                .as_str()
                .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))?;
            Ok(match ids.get(name) {
                Some(&n) => n,
                None => {
                    ids.insert(name.to_string(), names.len());
                    names.push(name.to_string());
                    names.len() - 1
                }
            })
        };
        let key = (id(0)?, id(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
        let s = sums.entry(key).or_default();
        for (i, v) in s.iter_mut().enumerate() {
            *v += r.get::<_, i64>(5 + i)?;
        }
    }
    let aggs = sums
        .into_iter()
        .map(|((provider, model, day, billed, authority), s)| Agg {
            provider: names[provider].clone(),
            model: names[model].clone(),
            day,
            billed,
            authority,
            nanos: s[0],
            unpriced: s[1],
            cache_5m: s[2],
            events: s[3],
            long: s[4],
        })
        .collect();
    // The distinct (provider, account) pairs of transcripts: a seek each in their index
    // (`rollup_accounts`), not a scan of every row.
    let t = Authority::Transcript as i64;
    let least = |sql: &str, params: &[&dyn rusqlite::ToSql]| -> Result<Option<String>> {
        Ok(conn.prepare_cached(sql)?.query_row(params, |r| r.get(0))?)
    };
    let mut linked = conn.prepare_cached("SELECT EXISTS(SELECT 1 FROM account_links WHERE account = ?1)")?;
    let mut unlinked = BTreeSet::new();
    let mut provider = least("SELECT MIN(provider) FROM rollup WHERE authority = ?1", &[&t])?;
    while let Some(p) = provider {
        let mut account = least("SELECT MIN(account) FROM rollup WHERE authority = ?1 AND provider = ?2", &[&t, &p])?;
        while let Some(a) = account {
            account = least(
                "SELECT MIN(account) FROM rollup WHERE authority = ?1 AND provider = ?2 AND account > ?3",
                &[&t, &p, &a],
            )?;
            if !linked.query_row([&a], |r| r.get::<_, bool>(0))? {
                unlinked.insert((p.clone(), a));
            }
        }
        provider = least("SELECT MIN(provider) FROM rollup WHERE authority = ?1 AND provider > ?2", &[&t, &p])?;
    }
    Ok(Rows { aggs, unlinked })
}

/// The same sums read from the events (the day index reads only the days from `since` on).
fn from_events(conn: &Connection, provider: Option<&str>, since: Option<NaiveDate>) -> Result<Rows> {
    // Read from the rows with their names' ids (the `events` view would look up every name
    // of every row); the names are looked up once per group after.
    let id = |name: &str| crate::ledger::queries::events::name_id(conn, name).map(|i| i.unwrap_or(-1));
    let (estimated, billed) = (id("estimated")?, id("billed")?);
    let only = match provider {
        Some(p) => Some(id(p)?),
        None => None,
    };
    let from = since.map_or(i64::MIN, rollup::day_number);
    let mut stmt = conn.prepare_cached(
        "SELECT provider, model, utc_day, cost_kind, authority, SUM(COALESCE(cost_nanos, 0)),
                SUM(cost_kind = ?2 AND cost_nanos IS NULL), SUM(cache_write_5m), COUNT(*),
                SUM(input + cache_read + cache_write_5m + cache_write_1h > 200000 AND requests = 1)
         FROM event_rows WHERE superseded = 0 AND cost_kind IN (?2, ?3) AND utc_day >= ?1
           AND (?4 IS NULL OR provider = ?4)
         GROUP BY 1, 2, 3, 4, 5",
    )?;
    let mut names = crate::ledger::queries::events::NamesById::default();
    let mut name = |id: i64| names.get(conn, id);
    let mut aggs = Vec::new();
    let mut q = stmt.query(rusqlite::params![from, estimated, billed, only])?;
    while let Some(r) = q.next()? {
        aggs.push(Agg {
            provider: name(r.get(0)?)?,
            model: name(r.get(1)?)?,
            day: r.get(2)?,
            billed: r.get::<_, i64>(3)? == billed,
            authority: r.get(4)?,
            nanos: r.get(5)?,
            unpriced: r.get(6)?,
            cache_5m: r.get(7)?,
            events: r.get(8)?,
            long: r.get(9)?,
        });
    }
    let unlinked = conn
        .prepare_cached(
            "SELECT DISTINCT e.provider, e.account FROM events e LEFT JOIN account_links l ON l.account = e.account
             WHERE e.authority = ?1 AND l.account IS NULL",
        )?
        .query_map([Authority::Transcript as i64], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Rows { aggs, unlinked })
}

/// The lines, with their causes, from the sums.
fn lines(ledger: &Ledger, period: Period, rows: Rows) -> Result<Vec<Line>> {
    let Rows { aggs: rows, unlinked } = rows;
    // Providers with a bill, the span of days billed, and whether a day's bill names models.
    let mut billed_span: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut by_model_days: BTreeSet<(String, i64)> = BTreeSet::new();
    for a in rows.iter().filter(|a| a.billed) {
        let s = billed_span.entry(a.provider.clone()).or_insert((a.day, a.day));
        s.0 = s.0.min(a.day);
        s.1 = s.1.max(a.day);
        if a.model != ALL {
            by_model_days.insert((a.provider.clone(), a.day));
        }
    }
    // Per provider and day: do the logs (transcripts) have estimates? Else the vendor usage.
    let mut log_days: BTreeSet<(String, i64)> = BTreeSet::new();
    for a in rows.iter().filter(|a| !a.billed && a.authority == Authority::Transcript as i64) {
        log_days.insert((a.provider.clone(), a.day));
    }

    let period_key = |day: i64| -> String {
        let d = day_of(day);
        match period {
            Period::Day => d.to_string(),
            Period::Month => crate::timezone::month(d),
        }
    };
    let mut lines: BTreeMap<(String, String, String), Side> = BTreeMap::new();
    for a in &rows {
        let Some(&(first, last)) = billed_span.get(&a.provider) else { continue };
        if a.day < first || a.day > last {
            continue;
        }
        let model = if by_model_days.contains(&(a.provider.clone(), a.day)) { family(&a.model) } else { ALL.into() };
        let side = lines.entry((a.provider.clone(), model, period_key(a.day))).or_default();
        side.days.insert(a.day);
        if a.billed {
            side.billed += Usd(a.nanos);
            side.billed_seen = true;
            continue;
        }
        let wanted = if log_days.contains(&(a.provider.clone(), a.day)) {
            Authority::Transcript as i64
        } else {
            Authority::Vendor as i64
        };
        if a.authority != wanted {
            continue;
        }
        side.estimate += Usd(a.nanos);
        side.estimate_events += a.events;
        side.unpriced += a.unpriced;
        if a.unpriced > 0 {
            side.unpriced_models.insert(a.model.clone());
        }
        side.cache_5m += a.cache_5m;
        side.long_requests += a.long;
        side.estimate_models.insert(a.model.clone());
    }

    let book = ledger.book();
    let mut out = Vec::new();
    for ((provider, model, period_label), s) in lines {
        let drift = s.billed - s.estimate;
        let drift_pct = (s.billed.nanos() != 0).then(|| {
            let permille = (drift.nanos() as i128 * 1000).div_euclid(s.billed.nanos().abs() as i128);
            format!("{:.1}", permille as f64 / 10.0)
        });
        let mut causes = Vec::new();
        let within_1pct = drift.nanos().abs() as i128 * 100 <= s.billed.nanos().abs() as i128;
        if !(within_1pct && s.billed_seen && s.estimate_events > 0) {
            if s.estimate_events == 0 {
                causes.push("days missing from the logs: nothing logged for what was billed".to_string());
            }
            if !s.billed_seen {
                causes.push("days missing from the bill: usage logged but nothing billed".to_string());
            }
            for m in &s.unpriced_models {
                causes.push(format!("unpriced model {m} (set a price: tokenburn prices set {m} ...)"));
            }
            if s.long_requests > 0 {
                causes.push(format!("long-context tier: {} requests over 200k input tokens", s.long_requests));
            }
            // Logs record 5-minute cache writes; billed at the 1-hour rate they cost 0.75x
            // the input price more per token. Name it when that explains the drift (±10%).
            if s.cache_5m > 0 && drift.nanos() > 0 {
                let day = s.days.first().map(|d| day_of(*d)).unwrap_or(NaiveDate::MIN);
                let extra: i64 = s
                    .estimate_models
                    .iter()
                    .filter_map(|m| book.price(&provider, m, day))
                    .map(|p| p.base.input.scale(3, 4).0)
                    .max()
                    .map_or(0, |per_mtok| (s.cache_5m as i128 * per_mtok as i128 / 1_000_000) as i64);
                if extra > 0 && (drift.nanos() - extra).abs() * 10 <= drift.nanos() {
                    causes
                        .push("1h vs 5m cache pricing: the bill charges these cache writes at the 1-hour rate".into());
                }
            }
            if let (Some(first), Some(last)) = (s.days.first(), s.days.last()) {
                for m in &s.estimate_models {
                    let (a, b) = (book.price(&provider, m, day_of(*first)), book.price(&provider, m, day_of(*last)));
                    if let (Some(a), Some(b)) = (a, b) {
                        if a.base != b.base {
                            causes.push(format!("price change inside the period for {m}"));
                        }
                    }
                }
            }
            if causes.is_empty() && !within_1pct {
                causes.push("unexplained".into());
            }
        }
        out.push(Line {
            provider,
            model,
            period: period_label,
            estimate_usd: s.estimate,
            billed_usd: s.billed,
            drift_usd: drift,
            drift_pct,
            estimate_events: s.estimate_events,
            unpriced_events: s.unpriced,
            causes,
        });
    }
    // Usage billed to another account: logs of this provider in an account that bills to
    // itself, while the provider's bill is elsewhere.
    for line in &mut out {
        for (p, account) in &unlinked {
            if *p == line.provider && line.estimate_events > 0 && account != p {
                line.causes.retain(|c| c != "unexplained");
                line.causes.push(format!(
                    "usage billed to another account: {account} bills to itself (tokenburn account link {account} --billed-by {p})"
                ));
            }
        }
    }
    Ok(out)
}
