//! The `rollup` table: the events' totals per local day of the ledger's zone and per report
//! dimension, so that reports, budget status and the dashboard read thousands of rows
//! instead of millions of events.
//!
//! One row sums the events of one (local day, UTC day, whole-day flag, superseded flag,
//! source, authority, provider, account, model, project, cost kind). Measures follow
//! CONVENTIONS rule 9 as `report` counts them: token sums count only events whose tokens
//! count (`tokens_superseded = 0`), `money` only events whose money counts, `money_all` every
//! event's money (plan-covered `included` usage is value whatever else holds), `unpriced`
//! the counted events without a price. Reconciliation (`reconcile`) compares every
//! non-superseded event with the bill, whatever rule 9 counts: `cache_write_5m_all`,
//! `unpriced_all` and `long_requests` (single requests over 200k input tokens) sum every
//! event of the row, and the authority tells the logs from the vendor's usage. What the rollup cannot know ahead, it keeps apart:
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

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate};
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

/// Brings the rollup up to date for reads in zone `tz`. Returns false when `tz` is not the
/// ledger's zone (the caller computes from the events) or when the rollup could not be
/// written (another writer holds the ledger): the caller then reads the events instead.
pub fn refresh(conn: &Connection, tz: Tz) -> Result<bool> {
    if super::settings::tz(conn)? != tz {
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
        .prepare_cached("SELECT tz, max_id FROM rollup_state WHERE id = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let max_id: i64 =
        conn.prepare_cached("SELECT COALESCE(MAX(id), 0) FROM event_rows")?.query_row([], |r| r.get(0))?;
    let coverage = derived_coverage(conn)?;
    match state {
        Some((Some(name), seen)) if name == tz.name() => {
            let clean = max_id == seen
                && !conn.prepare_cached("SELECT EXISTS(SELECT 1 FROM rollup_dirty)")?.query_row([], |r| r.get(0))?;
            // Links and subscriptions decide coverage, which the day tables have resolved:
            // when they changed since, every day is derived again from the rollup.
            if coverage.stored.as_ref() != Some(&coverage.now) {
                derive(conn, i64::MIN, i64::MAX)?;
                conn.execute(
                    "INSERT INTO rollup_coverage (id, coverage) VALUES (1, ?1)
                     ON CONFLICT(id) DO UPDATE SET coverage = excluded.coverage",
                    [&coverage.now],
                )?;
            }
            if clean {
                return Ok(());
            }
            if max_id > seen {
                conn.execute(
                    "INSERT OR IGNORE INTO rollup_dirty (utc_day) SELECT DISTINCT utc_day FROM event_rows WHERE id > ?1",
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
            conn.execute_batch(
                "DELETE FROM rollup_days; DELETE FROM rollup_months; DELETE FROM rollup_totals; DELETE FROM rollup_combos;",
            )?;
            conn.execute(
                "INSERT INTO rollup_coverage (id, coverage) VALUES (1, ?1)
                 ON CONFLICT(id) DO UPDATE SET coverage = excluded.coverage",
                [&coverage.now],
            )?;
            let all: Option<(i64, i64)> =
                conn.query_row("SELECT MIN(utc_day), MAX(utc_day) FROM event_rows", [], |r| {
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

/// (local day, UTC day, whole-day flag, superseded flag, source, authority, provider,
/// account, model, project, cost kind), names as their ids.
type Key = (i64, i64, bool, bool, i64, i64, i64, i64, i64, Option<i64>, i64);

/// The measures of one rollup row, in the order of its columns from `input` on: the nine
/// token fields of events whose tokens count, `money`, `money_all`, `unpriced`, `events`,
/// then reconciliation's `cache_write_5m_all`, `unpriced_all`, `long_requests`.
type Measures = [i64; 16];

/// The events of a range of instants and UTC days (`?1..?2`, `?3..=?4`), the columns
/// [`add_event`] reads; `hint` chooses how the table is read.
fn read_sql(hint: &str) -> String {
    format!(
        "SELECT whole_day, ts_ms, utc_day, superseded, source, provider, account, model, project, cost_kind,
                tokens_superseded = 0, money_superseded = 0, cost_nanos,
                input, cache_write_5m, cache_write_1h, cache_read, output, reasoning, unsplit, requests,
                web_search_requests, authority
         FROM event_rows {hint} WHERE ts_ms >= ?1 AND ts_ms < ?2 AND utc_day >= ?3 AND utc_day <= ?4"
    )
}

/// Writes one row of the rollup: a [`Key`] with its names as text, then the [`Measures`].
const WRITE: &str = "INSERT INTO rollup (lday, utc_day, whole_day, superseded, source, authority, provider, account,
         model, project, cost_kind, input, cache_write_5m, cache_write_1h, cache_read, output, reasoning, unsplit,
         requests, web_search_requests, money, money_all, unpriced, events, cache_write_5m_all, unpriced_all,
         long_requests)
     VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26,?27)";

/// Runs of consecutive days, each read with one range scan of the events.
fn runs(days: &BTreeSet<i64>) -> Vec<(i64, i64)> {
    let mut runs: Vec<(i64, i64)> = Vec::new();
    for &d in days {
        match runs.last_mut() {
            Some((_, hi)) if *hi + 1 == d => *hi = d,
            _ => runs.push((d, d)),
        }
    }
    runs
}

/// Local days of instants in one zone, remembering the last quarter-hour seen: events come
/// in time order, so most share it.
struct LocalDays {
    tz: Tz,
    last: (i64, i64),
}

impl LocalDays {
    /// The local day as `report` files it: a whole-day row's own date (its UTC day), any
    /// other event's quarter-hour bucket's day.
    fn of(&mut self, whole_day: bool, ts: i64, utc_day: i64) -> i64 {
        if whole_day {
            return utc_day;
        }
        let bucket = ts.div_euclid(900_000);
        if bucket != self.last.0 {
            self.last = (bucket, day_number(timezone::local_date(self.tz, bucket * 900_000)));
        }
        self.last.1
    }
}

/// Recomputes the rows of the given local days from the events.
fn rebuild(conn: &Connection, tz: Tz, days: &BTreeSet<i64>) -> Result<()> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid");
    let start_of = |n: i64| timezone::day_start_ms(tz, epoch + chrono::Duration::days(n));
    // The rows with their names' ids (the `events` view would look up seven names per
    // event); names are looked up once per rollup row written.
    // A run of more than half the ledger's days is read in one pass over the table, in
    // storage order, rather than through the day index, which reads the table at random
    // (on ten million events: 17 s of CPU for every day instead of 25 s).
    let span: Option<(i64, i64)> = conn.query_row("SELECT MIN(utc_day), MAX(utc_day) FROM event_rows", [], |r| {
        Ok(r.get::<_, Option<i64>>(0)?.zip(r.get::<_, Option<i64>>(1)?))
    })?;
    let half = span.map_or(0, |(a, b)| (b - a) / 2);
    let (mut by_day, mut whole) = (conn.prepare_cached(&read_sql(""))?, conn.prepare_cached(&read_sql("NOT INDEXED"))?);
    let mut names = super::events::NamesById::default();
    let mut local = LocalDays { tz, last: (i64::MIN, 0) };
    let mut write = conn.prepare_cached(WRITE)?;
    for (lo, hi) in runs(days) {
        // A whole-day row starts at its date's midnight in UTC or in its file's zone: within
        // two days of the local day's bounds.
        let (from, to) = (start_of(lo) - 2 * 86_400_000, start_of(hi + 1) + 2 * 86_400_000);
        let mut sums: BTreeMap<Key, Measures> = BTreeMap::new();
        // Both bounds hold for every event of these days (an event's local day is within a
        // day of its UTC day, a whole-day row's is its UTC day), so either index serves.
        let read = if hi - lo > half { &mut whole } else { &mut by_day };
        let mut q = read.query(params![from, to, lo - 1, hi + 1])?;
        while let Some(r) = q.next()? {
            let lday = local.of(r.get(0)?, r.get(1)?, r.get(2)?);
            if lday >= lo && lday <= hi {
                add_event(&mut sums, lday, r)?;
            }
        }
        conn.prepare_cached("DELETE FROM rollup WHERE lday BETWEEN ?1 AND ?2")?.execute([lo, hi])?;
        for (k, s) in sums {
            write_row(conn, &mut write, &mut names, &k, &s)?;
        }
        derive(conn, lo, hi)?;
    }
    Ok(())
}

/// Adds the event in `r` (the columns of [`read_sql`]), of local day `lday`, to its row's
/// measures.
fn add_event(sums: &mut BTreeMap<Key, Measures>, lday: i64, r: &rusqlite::Row) -> rusqlite::Result<()> {
    let key: Key = (
        lday,
        r.get(2)?,
        r.get(0)?,
        r.get(3)?,
        r.get(4)?,
        r.get(22)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
    );
    let (tok, mon, cost): (bool, bool, Option<i64>) = (r.get(10)?, r.get(11)?, r.get(12)?);
    // input, cache writes (5m, 1h), cache reads, output, reasoning, unsplit, requests,
    // web searches
    let mut t = [0i64; 9];
    for (i, v) in t.iter_mut().enumerate() {
        *v = r.get(13 + i)?;
    }
    let s = sums.entry(key).or_insert([0; 16]);
    if tok {
        for (v, t) in s.iter_mut().zip(t) {
            *v += t;
        }
    }
    // `unpriced` counts every counted event without money; the derived tables keep only the
    // estimated ones' (`events::UNPRICED`).
    if mon {
        s[9] += cost.unwrap_or(0);
        s[11] += cost.is_none() as i64;
    }
    s[10] += cost.unwrap_or(0);
    s[12] += 1;
    // Reconciliation's sums, over every event of the row.
    s[13] += t[1];
    s[14] += cost.is_none() as i64;
    s[15] += (t[7] == 1 && t[0] + t[1] + t[2] + t[3] > 200_000) as i64;
    Ok(())
}

/// Writes one rollup row, its names looked up by id.
fn write_row(
    conn: &Connection,
    write: &mut rusqlite::CachedStatement,
    names: &mut super::events::NamesById,
    k: &Key,
    s: &Measures,
) -> Result<()> {
    let mut name = |id: i64| names.get(conn, id);
    let project = k.9.map(&mut name).transpose()?;
    let key: [&dyn rusqlite::ToSql; 11] =
        [&k.0, &k.1, &k.2, &k.3, &name(k.4)?, &k.5, &name(k.6)?, &name(k.7)?, &name(k.8)?, &project, &name(k.10)?];
    let measures = s.iter().map(|v| v as &dyn rusqlite::ToSql);
    write.execute(rusqlite::params_from_iter(key.into_iter().chain(measures)))?;
    Ok(())
}

/// The fifteen sums of derived rows, in [`SUMS`]' order.
pub const DAY_SUMS: &str = "
    SUM(input), SUM(cache_write_5m), SUM(cache_write_1h), SUM(cache_read), SUM(output), SUM(reasoning),
    SUM(unsplit), SUM(requests), SUM(web_search_requests), SUM(billed), SUM(estimated), SUM(manual), SUM(value),
    SUM(unpriced), SUM(events)";

/// The fifteen columns of a derived row, in [`SUMS`]' order.
const DAY_COLUMNS: &str = "
    input, cache_write_5m, cache_write_1h, cache_read, output, reasoning, unsplit, requests, web_search_requests,
    billed, estimated, manual, value, unpriced, events";

/// The fifteen sums a report counts for a group, in this order: the token fields (input,
/// cache writes 5m and 1h, cache reads, output, reasoning, unsplit, requests, web searches),
/// then the money in nano-dollars (billed, estimated, manual, value), then the unpriced
/// events and all events. The rollup's derived tables and the query over the events
/// (`events::counted`) give them alike.
pub type SumColumns = [i64; 15];

/// Reads the fifteen sums starting at column `first`.
pub(crate) fn sums_at(r: &rusqlite::Row, first: usize) -> rusqlite::Result<SumColumns> {
    let mut out = [0i64; 15];
    for (i, v) in out.iter_mut().enumerate() {
        *v = r.get(first + i)?;
    }
    Ok(out)
}

/// Hands `f` the rows of a derived table between `lo` and `hi`: their day (or month: its
/// first day's number), combination (`combos`) and sums.
fn derived_rows(
    conn: &Connection,
    sql: &str,
    lo: i64,
    hi: i64,
    f: &mut dyn FnMut(i64, usize, SumColumns),
) -> Result<()> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut q = stmt.query(params![lo, hi])?;
    while let Some(r) = q.next()? {
        f(r.get(0)?, usize::try_from(r.get::<_, i64>(1)?).unwrap_or(usize::MAX), sums_at(r, 2)?);
    }
    Ok(())
}

/// The counted sums per local day and combination, days `lo..=hi` (day numbers).
pub fn day_rows(conn: &Connection, lo: i64, hi: i64, f: &mut dyn FnMut(i64, usize, SumColumns)) -> Result<()> {
    let sql = format!("SELECT lday, combo, {DAY_COLUMNS} FROM rollup_days WHERE lday >= ?1 AND lday <= ?2");
    derived_rows(conn, &sql, lo, hi, f)
}

/// The counted sums per local month and combination, months `first..=last` (their first
/// days' numbers).
pub fn month_rows(conn: &Connection, first: i64, last: i64, f: &mut dyn FnMut(i64, usize, SumColumns)) -> Result<()> {
    let sql = format!("SELECT month, combo, {DAY_COLUMNS} FROM rollup_months WHERE month >= ?1 AND month <= ?2");
    derived_rows(conn, &sql, first, last, f)
}

/// The counted sums per local day over every combination, days `lo..=hi`: one row a day
/// (combination 0), whatever the number of events.
pub fn total_rows(conn: &Connection, lo: i64, hi: i64, f: &mut dyn FnMut(i64, SumColumns)) -> Result<()> {
    let sql = format!("SELECT lday, 0, {DAY_COLUMNS} FROM rollup_totals WHERE lday >= ?1 AND lday <= ?2");
    derived_rows(conn, &sql, lo, hi, &mut |day, _, s| f(day, s))
}

/// The links and subscriptions as text, as the derived tables resolved them (`stored`,
/// None when the tables are new) and as they are now.
struct Coverage {
    stored: Option<String>,
    now: String,
}

fn derived_coverage(conn: &Connection) -> Result<Coverage> {
    let stored = conn
        .prepare_cached("SELECT coverage FROM rollup_coverage WHERE id = 1")?
        .query_row([], |r| r.get(0))
        .optional()?;
    let now = conn
        .prepare_cached(
            "SELECT COALESCE((SELECT group_concat(x, ';') FROM (
                  SELECT quote(covers) || ',' || quote(from_day) || ',' || quote(until_day) AS x
                  FROM subscriptions ORDER BY 1)), '')
             || '|' || COALESCE((SELECT group_concat(x, ';') FROM (
                  SELECT quote(account) || ',' || quote(billed_by) AS x FROM account_links ORDER BY 1)), '')",
        )?
        .query_row([], |r| r.get(0))?;
    Ok(Coverage { stored, now })
}

/// The day number of the first of `day`'s month.
pub fn month_of(day: i64) -> i64 {
    let d = super::authority::day_of(day);
    day_number(d.with_day(1).expect("day 1 exists"))
}

/// The day number of the last day of `day`'s month.
fn month_end(day: i64) -> i64 {
    let d = super::authority::day_of(day);
    let next = if d.month() == 12 {
        NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1)
    };
    day_number(next.expect("valid")) - 1
}

/// Derives the rows of local days `lo..=hi` (and of the months they touch) from the rollup.
fn derive(conn: &Connection, lo: i64, hi: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO rollup_combos (source, provider, model, project)
         SELECT DISTINCT source, provider, model, project FROM rollup r
         WHERE r.superseded = 0 AND r.lday BETWEEN ?1 AND ?2 AND NOT EXISTS (
             SELECT 1 FROM rollup_combos c
             WHERE c.source = r.source AND c.provider = r.provider AND c.model = r.model AND c.project IS r.project)",
    )?
    .execute([lo, hi])?;
    conn.prepare_cached("DELETE FROM rollup_days WHERE lday BETWEEN ?1 AND ?2")?.execute([lo, hi])?;
    conn.prepare_cached(&format!(
        "INSERT INTO rollup_days
         SELECT r.lday, c.id, {SUMS} FROM {COUNTED}
         JOIN rollup_combos c
           ON c.source = r.source AND c.provider = r.provider AND c.model = r.model AND c.project IS r.project
         WHERE r.lday BETWEEN ?1 AND ?2 GROUP BY r.lday, c.id"
    ))?
    .execute([lo, hi])?;
    conn.prepare_cached("DELETE FROM rollup_totals WHERE lday BETWEEN ?1 AND ?2")?.execute([lo, hi])?;
    conn.prepare_cached(&format!(
        "INSERT INTO rollup_totals SELECT lday, {DAY_SUMS} FROM rollup_days WHERE lday BETWEEN ?1 AND ?2 GROUP BY lday"
    ))?
    .execute([lo, hi])?;
    // Whole months: from the first of lo's month to the last day of hi's.
    let (first, last) =
        if lo == i64::MIN || hi == i64::MAX { (i64::MIN, i64::MAX) } else { (month_of(lo), month_end(hi)) };
    conn.prepare_cached("DELETE FROM rollup_months WHERE month BETWEEN ?1 AND ?2")?.execute([first, last])?;
    conn.prepare_cached(&format!(
        "INSERT INTO rollup_months
         SELECT CAST(julianday(lday * 86400, 'unixepoch', 'start of month') - 2440587.5 AS INTEGER), combo, {DAY_SUMS}
         FROM rollup_days WHERE lday BETWEEN ?1 AND ?2 GROUP BY 1, 2"
    ))?
    .execute([first, last])?;
    Ok(())
}

/// A numbered (source, provider, model, project).
#[derive(Debug, Clone)]
pub struct Combo {
    pub source: String,
    pub provider: String,
    pub model: String,
    pub project: Option<String>,
}

/// Every combination by its number (the rows of `rollup_combos`; unused numbers are None).
pub fn combos(conn: &Connection) -> Result<Vec<Option<Combo>>> {
    let mut out: Vec<Option<Combo>> = Vec::new();
    let mut stmt = conn.prepare_cached("SELECT id, source, provider, model, project FROM rollup_combos")?;
    let mut q = stmt.query([])?;
    while let Some(r) = q.next()? {
        let id = usize::try_from(r.get::<_, i64>(0)?).unwrap_or(0);
        if out.len() <= id {
            out.resize(id + 1, None);
        }
        out[id] = Some(Combo { source: r.get(1)?, provider: r.get(2)?, model: r.get(3)?, project: r.get(4)? });
    }
    Ok(out)
}

/// An inclusive range of day numbers (or of month numbers: their first days' numbers).
pub type Range = (i64, i64);

/// The parts of `since..=until` (None: open) that whole local months cover, as a range of
/// month numbers, and the day ranges left at either end.
pub fn split_months(since: Option<NaiveDate>, until: Option<NaiveDate>) -> (Option<Range>, Vec<Range>) {
    let lo = since.map_or(i64::MIN, day_number);
    let hi = until.map_or(i64::MAX, day_number);
    if lo > hi {
        return (None, Vec::new());
    }
    // The first month starting on or after lo, and the last month ending on or before hi.
    let first = if lo == i64::MIN || month_of(lo) == lo { lo } else { month_end(lo) + 1 };
    let last_end = if hi == i64::MAX || month_end(hi) == hi { hi } else { month_of(hi) - 1 };
    if first > last_end {
        return (None, vec![(lo, hi)]);
    }
    let mut days = Vec::new();
    if lo < first {
        days.push((lo, first - 1));
    }
    if last_end < hi {
        days.push((last_end + 1, hi));
    }
    let months = (first, if last_end == i64::MAX { i64::MAX } else { month_of(last_end) });
    (Some(months), days)
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
/// rows by their date, and every event by its instant (as the query over the events has
/// it: `MIN(day)` and `MIN(ts_ms)`).
///
/// The rollup's first day `m` is the first date or instant's day (an instant's row is filed
/// under its quarter hour's local day, the instant's own, as offsets are whole quarter
/// hours). Only a whole-day row can have an instant before day `m`, and its instant is
/// within two days of its date, its UTC day: so the events up to UTC day `m + 3` hold the
/// first instant that matters, and reading them is a short range, not every event.
pub fn first_day(conn: &Connection, tz: Tz) -> Result<Option<NaiveDate>> {
    let Some(m) = conn.prepare_cached("SELECT MIN(lday) FROM rollup")?.query_row([], |r| r.get::<_, Option<i64>>(0))?
    else {
        return Ok(None);
    };
    let ts: Option<i64> = conn
        .prepare_cached("SELECT MIN(ts_ms) FROM event_rows WHERE utc_day <= ?1")?
        .query_row([m + 3], |r| r.get(0))?;
    let first = super::authority::day_of(m);
    Ok(Some(ts.map_or(first, |t| first.min(timezone::local_date(tz, t)))))
}

/// The sums reconciliation compares (`reconcile`), of the non-superseded estimated and
/// billed events of one provider, model, UTC day, cost kind and authority. The rollup
/// ([`reconcile_sums`]) and the events (`events::reconcile_sums`) give them alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcileSums {
    pub provider: String,
    pub model: String,
    pub day: i64,
    pub billed: bool,
    pub authority: i64,
    /// Every event's money (unpriced ones count 0).
    pub nanos: i64,
    /// Estimated events without a price.
    pub unpriced: i64,
    /// Every event's 5-minute cache writes.
    pub cache_5m: i64,
    pub events: i64,
    /// Single requests over 200k input tokens (input, cache reads and writes).
    pub long: i64,
}

/// [`ReconcileSums`] of `provider` (or every provider) from the UTC day `since` on (or
/// over every day), read from the rollup (brought up to date by the caller).
pub fn reconcile_sums(
    conn: &Connection,
    provider: Option<&str>,
    since: Option<NaiveDate>,
) -> Result<Vec<ReconcileSums>> {
    // The rows are summed here: sorting them for a GROUP BY costs more than reading them. A
    // row's local day is within a day of its UTC day, so from `since` on the local-day index
    // finds them; the whole history is read in table order.
    const ROWS: &str = "SELECT provider, model, utc_day, cost_kind = 'billed', authority, money_all,
            CASE WHEN cost_kind = 'estimated' THEN unpriced_all ELSE 0 END, cache_write_5m_all, events, long_requests
        FROM rollup WHERE superseded = 0 AND cost_kind IN ('estimated', 'billed') AND (?1 IS NULL OR provider = ?1)";
    type Group = (usize, usize, i64, bool, i64);
    let mut names = Interned::default();
    let mut sums: HashMap<Group, [i64; 5]> = HashMap::new();
    let mut stmt;
    let mut q = match since {
        Some(d) => {
            stmt = conn.prepare_cached(&format!("{ROWS} AND lday >= ?2 AND utc_day >= ?3"))?;
            let from = day_number(d);
            stmt.query(params![provider, from - 1, from])?
        }
        None => {
            stmt = conn.prepare_cached(ROWS)?;
            stmt.query([provider])?
        }
    };
    while let Some(r) = q.next()? {
        let key = (names.id(r, 0)?, names.id(r, 1)?, r.get(2)?, r.get(3)?, r.get(4)?);
        let s = sums.entry(key).or_default();
        for (i, v) in s.iter_mut().enumerate() {
            *v += r.get::<_, i64>(5 + i)?;
        }
    }
    Ok(sums
        .into_iter()
        .map(|((provider, model, day, billed, authority), s)| ReconcileSums {
            provider: names.0[provider].clone(),
            model: names.0[model].clone(),
            day,
            billed,
            authority,
            nanos: s[0],
            unpriced: s[1],
            cache_5m: s[2],
            events: s[3],
            long: s[4],
        })
        .collect())
}

/// Names read from rows, numbered in the order first seen (summing by number is cheaper
/// than by text).
#[derive(Default)]
struct Interned(Vec<String>, HashMap<String, usize>);

impl Interned {
    /// The number of the text in column `i` of `r`.
    fn id(&mut self, r: &rusqlite::Row, i: usize) -> rusqlite::Result<usize> {
        let name = r
            .get_ref(i)?
            .as_str()
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))?;
        Ok(match self.1.get(name) {
            Some(&n) => n,
            None => {
                self.1.insert(name.to_string(), self.0.len());
                self.0.push(name.to_string());
                self.0.len() - 1
            }
        })
    }
}

/// The (provider, account) pairs of transcript events (superseded ones too) whose account
/// is linked to no other (it bills to itself), read from the rollup: a seek each in their
/// index (`rollup_accounts`), not a scan of every row.
pub fn unlinked_transcript_accounts(conn: &Connection) -> Result<BTreeSet<(String, String)>> {
    let t = crate::model::Authority::Transcript as i64;
    let least = |sql: &str, params: &[&dyn rusqlite::ToSql]| -> Result<Option<String>> {
        Ok(conn.prepare_cached(sql)?.query_row(params, |r| r.get(0))?)
    };
    let mut unlinked = BTreeSet::new();
    let mut provider = least("SELECT MIN(provider) FROM rollup WHERE authority = ?1", &[&t])?;
    while let Some(p) = provider {
        let mut account = least("SELECT MIN(account) FROM rollup WHERE authority = ?1 AND provider = ?2", &[&t, &p])?;
        while let Some(a) = account {
            account = least(
                "SELECT MIN(account) FROM rollup WHERE authority = ?1 AND provider = ?2 AND account > ?3",
                &[&t, &p, &a],
            )?;
            if !is_linked(conn, &a)? {
                unlinked.insert((p.clone(), a));
            }
        }
        provider = least("SELECT MIN(provider) FROM rollup WHERE authority = ?1 AND provider > ?2", &[&t, &p])?;
    }
    Ok(unlinked)
}

/// Whether `account` is linked to the account that bills it.
fn is_linked(conn: &Connection, account: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS(SELECT 1 FROM account_links WHERE account = ?1)")?
        .query_row([account], |r| r.get(0))?)
}
