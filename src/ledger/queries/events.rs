//! The `events` table: idempotent upserts, pricing, supersession.
//!
//! Invariant: `(source, key)` is unique, so re-importing anything is a no-op; where a
//! source can deliver a better version of an event, the higher `rank` wins. An estimated
//! event with no price has `cost_nanos = NULL`, never 0.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rusqlite::{params, Connection, OptionalExtension, ToSql};

use crate::error::Result;
use crate::model::{Authority, CostKind, Tokens, UsageEvent};
use crate::pricing::PriceBook;
use crate::timezone;

/// What storing one event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Added,
    Updated,
    Duplicate,
}

/// The date whose prices apply to an event: its own calendar day if it has one, else the
/// UTC date of its instant (prices change on UTC dates).
pub fn price_date(ev_day: Option<NaiveDate>, ts_ms: i64) -> NaiveDate {
    ev_day.unwrap_or_else(|| {
        DateTime::<Utc>::from_timestamp_millis(ts_ms).map(|t| t.date_naive()).unwrap_or(NaiveDate::MIN)
    })
}

/// Money for an event: what the source stated, else the price book's estimate (or None).
fn money(ev: &UsageEvent, book: &PriceBook) -> (Option<i64>, bool, Option<String>) {
    if let Some(c) = ev.cost {
        return (Some(c.nanos()), true, None);
    }
    if ev.cost_kind != CostKind::Estimated {
        return (None, false, None);
    }
    let (cost, source) = estimate(book, &ev.provider, &ev.model, price_date(ev.day, ev.ts_ms), &ev.tokens);
    (cost, false, source)
}

/// The price book's estimate and the price entry it came from, or None when unpriced.
fn estimate(
    book: &PriceBook,
    provider: &str,
    model: &str,
    date: NaiveDate,
    t: &Tokens,
) -> (Option<i64>, Option<String>) {
    match book.price(provider, model, date) {
        Some(p) => match p.cost(t) {
            Some(c) => (Some(c.nanos()), Some(p.source)),
            None => (None, None),
        },
        None => (None, None),
    }
}

/// Days since 1970-01-01 of an event's UTC day (its own calendar day for day rows).
pub fn utc_day(ev_day: Option<NaiveDate>, ts_ms: i64) -> i64 {
    match ev_day {
        Some(d) => d.signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid")).num_days(),
        None => ts_ms.div_euclid(86_400_000),
    }
}

/// What an upsert did, and where the event lives, for rule-9 bookkeeping.
pub struct Stored {
    pub outcome: Outcome,
    pub account: String,
    pub utc_day: i64,
}

/// The columns an event is written with, in the order of [`INSERT`]'s parameters `?1..?30`
/// (every statement below numbers its parameters the same way and binds one list).
const INSERT: &str = "INSERT INTO events (source, key, grp, loose, rank, authority, provider, model, project, ts_ms,
     span_ms, day, input, cache_write_5m, cache_write_1h, cache_read, output, reasoning, unsplit, requests,
     web_search_requests, cost_nanos, cost_kind, stated_cost, price_source, import_id, line, account, utc_day, note)
     VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26,?27,?28,
             ?29,?30)";

/// What a better version of an event replaces: everything but its source, authority and
/// note (and its key, which the conflict target or the group merge decides).
const REPLACE: &str = "grp=?3, loose=?4, rank=?5, provider=?7, model=?8, project=?9, ts_ms=?10, span_ms=?11, day=?12,
     input=?13, cache_write_5m=?14, cache_write_1h=?15, cache_read=?16, output=?17, reasoning=?18, unsplit=?19,
     requests=?20, web_search_requests=?21, cost_nanos=?22, cost_kind=?23, stated_cost=?24, price_source=?25,
     import_id=?26, line=?27, account=?28, utc_day=?29";

/// Stores `ev` for `source`, merging with an existing version of the same event, and
/// records that `import_id` delivered it.
///
/// A new event is one statement: an insert that does nothing on a key already stored
/// (CONVENTIONS rule 4). Only then is the stored version read, and replaced when the new
/// one's rank is higher. An event with a group (Claude Code's `message.id`) may instead
/// merge with a stored event of its group under another key, so it looks before it writes.
/// A replacement marks the days of both versions for the rollup (new rows are found there
/// by id, see `rollup`).
pub fn upsert(
    tx: &Connection,
    source: &str,
    authority: Authority,
    ev: &UsageEvent,
    import_id: i64,
    book: &PriceBook,
) -> Result<Stored> {
    let (cost, stated, price_source) = money(ev, book);
    let t = &ev.tokens;
    let day = ev.day.map(|d| d.to_string());
    let account = ev.account.clone().unwrap_or_else(|| crate::spend::default_account(source));
    let utc_day = utc_day(ev.day, ev.ts_ms);
    let line = ev.line as i64;
    let values: [&dyn ToSql; 30] = [
        &source,
        &ev.key,
        &ev.group,
        &ev.loose,
        &ev.rank,
        &(authority as i64),
        &ev.provider,
        &ev.model,
        &ev.project,
        &ev.ts_ms,
        &ev.span_ms,
        &day,
        &t.input,
        &t.cache_write_5m,
        &t.cache_write_1h,
        &t.cache_read,
        &t.output,
        &t.reasoning,
        &t.unsplit,
        &t.requests,
        &t.web_search_requests,
        &cost,
        &ev.cost_kind.as_str(),
        &stated,
        &price_source,
        &import_id,
        &line,
        &account,
        &utc_day,
        &ev.note,
    ];
    let (id, outcome) = match &ev.group {
        None => upsert_by_key(tx, &values, ev.rank)?,
        Some(group) => upsert_in_group(tx, &values, source, &ev.key, group, ev.loose, ev.rank)?,
    };
    if import_id > 0 {
        tx.prepare_cached("INSERT OR IGNORE INTO event_imports (event_id, import_id) VALUES (?1, ?2)")?
            .execute(params![id, import_id])?;
    }
    Ok(Stored { outcome, account, utc_day })
}

/// The upsert on `(source, key)`. (Not `ON CONFLICT DO UPDATE ... RETURNING`: a returning
/// clause or an update trigger makes SQLite keep a statement journal, which copies every
/// page the insert touches and doubled the cost of an import; and the replaced version's
/// day is needed for the rollup.)
fn upsert_by_key(tx: &Connection, values: &[&dyn ToSql; 30], rank: i64) -> Result<(i64, Outcome)> {
    let sql = format!("{INSERT} ON CONFLICT(source, key) DO NOTHING");
    if tx.prepare_cached(&sql)?.execute(&values[..])? == 1 {
        return Ok((tx.last_insert_rowid(), Outcome::Added));
    }
    let (id, stored): (i64, i64) = tx
        .prepare_cached("SELECT id, rank FROM events WHERE source = ?1 AND key = ?2")?
        .query_row(params![values[0], values[1]], |r| Ok((r.get(0)?, r.get(1)?)))?;
    if rank <= stored {
        return Ok((id, Outcome::Duplicate));
    }
    replace(tx, values, id)?;
    Ok((id, Outcome::Updated))
}

/// Replaces the stored event `id` with the better version in `values` (its key too: a group
/// merge adopts the newcomer's key), marking the days of both versions for the rollup.
fn replace(tx: &Connection, values: &[&dyn ToSql; 30], id: i64) -> Result<()> {
    let old_day: i64 = tx.prepare_cached("SELECT utc_day FROM events WHERE id = ?1")?.query_row([id], |r| r.get(0))?;
    let sql = format!("UPDATE events SET key=?2, {REPLACE} WHERE id=?31");
    let mut stmt = tx.prepare_cached(&sql)?;
    stmt.execute(rusqlite::params_from_iter(values.iter().copied().chain([&id as &dyn ToSql])))?;
    super::rollup::mark(tx, old_day)?;
    let new_day: i64 = tx.prepare_cached("SELECT utc_day FROM events WHERE id = ?1")?.query_row([id], |r| r.get(0))?;
    super::rollup::mark(tx, new_day)
}

/// The upsert of an event with a group: the stored version is the one of the same key,
/// else the first of the same group that merges with it (either side loose).
fn upsert_in_group(
    tx: &Connection,
    values: &[&dyn ToSql; 30],
    source: &str,
    key: &str,
    group: &str,
    loose: bool,
    rank: i64,
) -> Result<(i64, Outcome)> {
    let mut existing: Option<(i64, i64)> = tx
        .prepare_cached("SELECT id, rank FROM events WHERE source = ?1 AND key = ?2")?
        .query_row(params![source, key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if existing.is_none() {
        existing = tx
            .prepare_cached(
                "SELECT id, rank FROM events WHERE source = ?1 AND grp = ?2 AND (?3 OR loose = 1) ORDER BY id LIMIT 1",
            )?
            .query_row(params![source, group, loose], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
    }
    Ok(match existing {
        Some((id, stored)) if rank <= stored => (id, Outcome::Duplicate),
        Some((id, _)) => {
            replace(tx, values, id)?;
            (id, Outcome::Updated)
        }
        None => {
            tx.prepare_cached(INSERT)?.execute(&values[..])?;
            (tx.last_insert_rowid(), Outcome::Added)
        }
    })
}

/// Recomputes the estimate of every event whose money came from the price book (or had
/// none). Returns how many costs changed.
pub fn reprice(tx: &Connection, book: &PriceBook) -> Result<usize> {
    let mut rows = Vec::new();
    {
        let mut stmt = tx.prepare(
            "SELECT id, provider, model, ts_ms, day, input, cache_write_5m, cache_write_1h, cache_read, output, unsplit,
                    cost_nanos, price_source, requests, utc_day
             FROM events WHERE stated_cost = 0 AND cost_kind = 'estimated'",
        )?;
        let mut q = stmt.query([])?;
        while let Some(r) = q.next()? {
            let day: Option<String> = r.get(4)?;
            let tokens = Tokens {
                input: r.get(5)?,
                cache_write_5m: r.get(6)?,
                cache_write_1h: r.get(7)?,
                cache_read: r.get(8)?,
                output: r.get(9)?,
                unsplit: r.get(10)?,
                requests: r.get(13)?,
                ..Tokens::default()
            };
            let provider: String = r.get(1)?;
            let model: String = r.get(2)?;
            let date = price_date(day.as_deref().and_then(timezone::parse_date), r.get(3)?);
            let old: (Option<i64>, Option<String>) = (r.get(11)?, r.get(12)?);
            let new = estimate(book, &provider, &model, date, &tokens);
            if new != old {
                rows.push((r.get::<_, i64>(0)?, new, r.get::<_, i64>(14)?));
            }
        }
    }
    let mut upd = tx.prepare("UPDATE events SET cost_nanos = ?2, price_source = ?3 WHERE id = ?1")?;
    for (id, (cost, src), day) in &rows {
        upd.execute(params![id, cost, src])?;
        super::rollup::mark(tx, *day)?;
    }
    Ok(rows.len())
}

/// Marks each summary event (stats-cache, ccusage JSON) superseded when transcripts of the
/// same model exist on its date in the ledger's zone: the transcripts win.
pub fn refresh_supersession(tx: &Connection, tz: Tz) -> Result<()> {
    let mut summaries = Vec::new();
    {
        let mut stmt = tx.prepare("SELECT id, model, day, ts_ms, utc_day FROM events WHERE authority = ?1")?;
        let mut q = stmt.query([Authority::Summary as i64])?;
        while let Some(r) = q.next()? {
            let day: Option<String> = r.get(2)?;
            let ts: i64 = r.get(3)?;
            let date = day.as_deref().and_then(timezone::parse_date).unwrap_or_else(|| timezone::local_date(tz, ts));
            summaries.push((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, date, r.get::<_, i64>(4)?));
        }
    }
    let mut exists = tx.prepare_cached(
        "SELECT EXISTS(SELECT 1 FROM events WHERE authority >= ?1 AND model = ?2 AND ts_ms >= ?3 AND ts_ms < ?4)",
    )?;
    let mut upd = tx.prepare_cached("UPDATE events SET superseded = ?2 WHERE id = ?1 AND superseded != ?2")?;
    for (id, models, date, utc_day) in summaries {
        let start = timezone::day_start_ms(tz, date);
        let end = timezone::day_start_ms(tz, date.succ_opt().unwrap_or(date));
        // A summary row may list several models ("a, b") when its source gives no split.
        let mut covered = false;
        for m in models.split(", ") {
            covered |=
                exists.query_row(params![Authority::Transcript as i64, m, start, end], |r| r.get::<_, bool>(0))?;
        }
        if upd.execute(params![id, covered])? > 0 {
            super::rollup::mark(tx, utc_day)?;
        }
    }
    Ok(())
}
