//! The `rollup` table: the events' totals per local day of the ledger's zone and per report
//! dimension, so that reports, budget status and the dashboard read thousands of rows
//! instead of millions of events.
//!
//! One row sums the events of one (local day, UTC day, whole-day flag, superseded flag,
//! source, provider, account, model, project, cost kind). Measures follow CONVENTIONS
//! rule 9 as `report` counts them: token sums count only events whose tokens count
//! (`tokens_superseded = 0`), `money` only events whose money counts, `money_all` every
//! event's money (plan-covered `included` usage is value whatever else holds), `unpriced`
//! the counted events without a price. What the rollup cannot know ahead, it keeps apart:
//! subscription coverage depends on the event's UTC date and effective account (both are in
//! the key; links and subscriptions are applied when reading), and superseded summaries are
//! rows of their own (reports skip them; the ledger's first day still sees them).
//!
//! Time zones: the local day is the day in the ledger's zone when the rollup was built
//! (`rollup_state.tz`). A report in another zone (`--tz`) is computed from the events, as
//! before; changing the ledger's zone rebuilds the rollup on the next read. A UTC-day key
//! would be wrong in any other zone, and an hour key would not fit zones a half or quarter
//! hour off UTC; a per-zone day key is the smallest that answers exactly.
//!
//! Maintenance: writers only mark UTC days dirty (`mark`, and a delete trigger); new events
//! are found by id (`rollup_state.max_id`, kept below every deleted id by the trigger, so a
//! reused id is never missed). [`refresh`], called before every read, rebuilds the local
//! days that touch a dirty UTC day from the events, in the reader's transaction. An import
//! so pays nothing per event; the first read after it pays for the days it touched.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use chrono_tz::Tz;
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::Result;
use crate::timezone;

/// Marks a UTC day whose events changed: its local days are rebuilt on the next read.
pub fn mark(conn: &Connection, utc_day: i64) -> Result<()> {
    conn.prepare_cached("INSERT OR IGNORE INTO rollup_dirty (utc_day) VALUES (?1)")?.execute([utc_day])?;
    Ok(())
}

/// Days since 1970-01-01.
pub fn day_number(d: NaiveDate) -> i64 {
    d.signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid")).num_days()
}

/// The local day of an event as `report` files it: its own calendar day, else the day of its
/// quarter-hour bucket in `tz`.
fn local_day(tz: Tz, day: Option<&str>, ts_ms: i64) -> i64 {
    match day.and_then(timezone::parse_date) {
        Some(d) => day_number(d),
        None => day_number(timezone::local_date(tz, ts_ms.div_euclid(900_000) * 900_000)),
    }
}

/// Brings the rollup up to date for reads in zone `tz`. Returns false when `tz` is not the
/// ledger's zone (the caller computes from the events) or when the rollup could not be
/// written (another writer holds the ledger): the caller then reads the events instead.
pub fn refresh(conn: &Connection, tz: Tz) -> Result<bool> {
    if crate::ledger::tz_of(conn)? != tz {
        return Ok(false);
    }
    conn.execute_batch("SAVEPOINT rollup_refresh")?;
    match update(conn, tz) {
        Ok(()) => {
            conn.execute_batch("RELEASE rollup_refresh")?;
            Ok(true)
        }
        Err(e) => {
            conn.execute_batch("ROLLBACK TO rollup_refresh; RELEASE rollup_refresh")?;
            match &e {
                crate::error::Error::Sqlite(s)
                    if matches!(
                        s.sqlite_error_code(),
                        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::ReadOnly)
                    ) =>
                {
                    Ok(false)
                }
                _ => Err(e),
            }
        }
    }
}

fn update(conn: &Connection, tz: Tz) -> Result<()> {
    let state: Option<(Option<String>, i64)> = conn
        .query_row("SELECT tz, max_id FROM rollup_state WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let max_id: i64 = conn.query_row("SELECT COALESCE(MAX(id), 0) FROM events", [], |r| r.get(0))?;
    match state {
        Some((Some(name), seen)) if name == tz.name() => {
            if max_id == seen && !conn.query_row("SELECT EXISTS(SELECT 1 FROM rollup_dirty)", [], |r| r.get(0))? {
                return Ok(());
            }
            if max_id > seen {
                conn.execute(
                    "INSERT OR IGNORE INTO rollup_dirty (utc_day) SELECT DISTINCT utc_day FROM events WHERE id > ?1",
                    [seen],
                )?;
            }
            let mut days = BTreeSet::new();
            {
                let mut stmt = conn.prepare("SELECT utc_day FROM rollup_dirty")?;
                for d in stmt.query_map([], |r| r.get::<_, i64>(0))? {
                    let d = d?;
                    // Instants of a UTC day fall on that day or a neighbour in any zone.
                    days.extend([d - 1, d, d + 1]);
                }
            }
            rebuild(conn, tz, &days)?;
        }
        _ => {
            conn.execute("DELETE FROM rollup", [])?;
            let all: Option<(i64, i64)> = conn.query_row("SELECT MIN(utc_day), MAX(utc_day) FROM events", [], |r| {
                Ok(r.get::<_, Option<i64>>(0)?.zip(r.get::<_, Option<i64>>(1)?))
            })?;
            if let Some((lo, hi)) = all {
                rebuild(conn, tz, &(lo - 1..=hi + 1).collect())?;
            }
        }
    }
    conn.execute("DELETE FROM rollup_dirty", [])?;
    conn.execute(
        "INSERT INTO rollup_state (id, tz, max_id) VALUES (1, ?1, ?2)
         ON CONFLICT(id) DO UPDATE SET tz = excluded.tz, max_id = excluded.max_id",
        params![tz.name(), max_id],
    )?;
    Ok(())
}

type Key = (i64, i64, bool, bool, String, String, String, String, Option<String>, String);

/// Recomputes the rows of the given local days from the events.
fn rebuild(conn: &Connection, tz: Tz, days: &BTreeSet<i64>) -> Result<()> {
    // Runs of consecutive days, each read with one range scan of the events.
    let mut runs: Vec<(i64, i64)> = Vec::new();
    for &d in days {
        match runs.last_mut() {
            Some((_, hi)) if *hi + 1 == d => *hi = d,
            _ => runs.push((d, d)),
        }
    }
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid");
    let start_of = |n: i64| timezone::day_start_ms(tz, epoch + chrono::Duration::days(n));
    let mut read = conn.prepare_cached(
        "SELECT day, ts_ms, utc_day, superseded, source, provider, account, model, project, cost_kind,
                tokens_superseded = 0, money_superseded = 0, cost_nanos,
                input, cache_write_5m, cache_write_1h, cache_read, output, reasoning, unsplit, requests,
                web_search_requests
         FROM events WHERE ts_ms >= ?1 AND ts_ms < ?2",
    )?;
    let mut write = conn.prepare_cached(
        "INSERT INTO rollup (lday, utc_day, whole_day, superseded, source, provider, account, model, project,
                             cost_kind, input, cache_write_5m, cache_write_1h, cache_read, output, reasoning, unsplit,
                             requests, web_search_requests, money, money_all, unpriced, events)
         VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23)",
    )?;
    for (lo, hi) in runs {
        // A whole-day row starts at its date's midnight in UTC or in its file's zone: within
        // two days of the local day's bounds.
        let (from, to) = (start_of(lo) - 2 * 86_400_000, start_of(hi + 1) + 2 * 86_400_000);
        let mut sums: BTreeMap<Key, [i64; 13]> = BTreeMap::new();
        let mut q = read.query(params![from, to])?;
        while let Some(r) = q.next()? {
            let day: Option<String> = r.get(0)?;
            let lday = local_day(tz, day.as_deref(), r.get(1)?);
            if lday < lo || lday > hi {
                continue;
            }
            let key: Key = (
                lday,
                r.get(2)?,
                day.is_some(),
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
            );
            let (tok, mon, cost): (bool, bool, Option<i64>) = (r.get(10)?, r.get(11)?, r.get(12)?);
            let s = sums.entry(key).or_insert([0; 13]);
            for (i, v) in s.iter_mut().take(9).enumerate() {
                if tok {
                    *v += r.get::<_, i64>(13 + i)?;
                }
            }
            if mon {
                s[9] += cost.unwrap_or(0);
                s[11] += cost.is_none() as i64;
            }
            s[10] += cost.unwrap_or(0);
            s[12] += 1;
        }
        conn.prepare_cached("DELETE FROM rollup WHERE lday BETWEEN ?1 AND ?2")?.execute([lo, hi])?;
        for (k, s) in sums {
            write.execute(params![
                k.0, k.1, k.2, k.3, k.4, k.5, k.6, k.7, k.8, k.9, s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8],
                s[9], s[10], s[11], s[12]
            ])?;
        }
    }
    Ok(())
}

/// The columns of `report`'s sums read from the rollup (with `r` the rollup row, `l` its
/// account's link): the same fifteen, in the same order, as its query over the events.
pub const SUMS: &str = "
    SUM(r.input), SUM(r.cache_write_5m), SUM(r.cache_write_1h), SUM(r.cache_read), SUM(r.output),
    SUM(r.reasoning), SUM(r.unsplit), SUM(r.requests), SUM(r.web_search_requests),
    SUM(CASE WHEN r.cost_kind = 'billed' THEN r.money ELSE 0 END),
    SUM(CASE WHEN r.cost_kind = 'estimated' AND NOT cov THEN r.money ELSE 0 END),
    SUM(CASE WHEN r.cost_kind = 'manual' THEN r.money ELSE 0 END),
    SUM(CASE WHEN r.cost_kind = 'included' THEN r.money_all WHEN r.cost_kind = 'estimated' AND cov THEN r.money
             ELSE 0 END),
    SUM(CASE WHEN r.cost_kind = 'estimated' THEN r.unpriced ELSE 0 END),
    SUM(r.events)";

/// The counted rollup rows (superseded summaries left out), each with whether a
/// subscription covers its account on its UTC date (`cov`), as a subquery `r`.
pub const COUNTED: &str = "(
    SELECT r.*, CASE WHEN r.cost_kind = 'estimated' THEN EXISTS (
               SELECT 1 FROM subscriptions s
               WHERE s.covers = COALESCE(l.billed_by, r.account)
                 AND date(r.utc_day * 86400, 'unixepoch') >= s.from_day
                 AND (s.until_day IS NULL OR date(r.utc_day * 86400, 'unixepoch') <= s.until_day)) ELSE 0 END AS cov
    FROM rollup r LEFT JOIN account_links l ON l.account = r.account
    WHERE r.superseded = 0) r";

/// The first local day of any event (superseded ones too) in the rollup's zone: whole-day
/// rows by their date, instants by their instant (as the query over the events has it).
pub fn first_day(conn: &Connection, tz: Tz) -> Result<Option<NaiveDate>> {
    let whole: Option<i64> = conn.query_row("SELECT MIN(lday) FROM rollup WHERE whole_day = 1", [], |r| r.get(0))?;
    let ts: Option<i64> = conn.query_row("SELECT MIN(ts_ms) FROM events", [], |r| r.get(0))?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid");
    let whole = whole.map(|d| epoch + chrono::Duration::days(d));
    let by_ts = ts.map(|t| timezone::local_date(tz, t));
    Ok(match (whole, by_ts) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    })
}
