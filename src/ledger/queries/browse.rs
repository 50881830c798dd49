//! Read-only browsing of the ledger: events a page at a time, filtered by local dates,
//! source, provider, model and project; the same filter streamed to CSV or JSON; imports a page at
//! a time.
//!
//! Invariant: nothing here loads a whole table. Pages are keyset pages over
//! `(utc_day, ts_ms, id)` descending (the day index gives the days in order; one day's rows
//! are sorted), so page N costs what page 1 costs; the
//! export streams row by row to a writer. Dates are local dates in the ledger's zone, as in
//! `report`: an instant falls on its day in that zone, a whole-day row (`day` set) keeps
//! its date in every zone.

use std::io::Write;

use chrono::NaiveDate;
use chrono_tz::Tz;
use rusqlite::types::Value;
use rusqlite::Connection;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::money::Usd;
use crate::timezone::day_start_ms;

use super::imports::{import_row, ImportRow, SELECT_IMPORTS};

/// Most rows one page may hold.
pub const MAX_PAGE: u32 = 500;

/// Which events to show. Empty strings are treated as absent.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    /// The source: an agent (`gemini-cli`, `claude-code`) or a format (`openai-usage-csv`).
    pub source: Option<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub project: Option<String>,
}

/// Where a page starts: just after the event `(utc_day, ts_ms, id)` of the previous page's
/// last row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Cursor {
    pub utc_day: i64,
    pub ts_ms: i64,
    pub id: i64,
}

/// One stored event as the ledger view shows it. Money is exact decimal text; `None` is
/// unpriced (never $0).
#[derive(Debug, Clone, Serialize)]
pub struct EventRow {
    pub id: i64,
    /// The instant, RFC 3339 UTC.
    pub ts: String,
    pub ts_ms: i64,
    /// The calendar date of a whole-day row.
    pub day: Option<String>,
    pub source: String,
    pub provider: String,
    pub account: String,
    pub model: String,
    pub project: Option<String>,
    pub input: i64,
    pub cache_write_5m: i64,
    pub cache_write_1h: i64,
    pub cache_read: i64,
    pub output: i64,
    pub reasoning: i64,
    pub total_tokens: i64,
    pub cost_usd: Option<String>,
    pub cost_kind: String,
    /// False when a more authoritative source has this event's tokens or money (CONVENTIONS
    /// rule 9): stored, shown, not counted.
    pub counted: bool,
    pub import_id: i64,
    pub line: i64,
    pub note: Option<String>,
    #[serde(skip)]
    utc_day: i64,
}

/// One page of events, newest first, and where the next starts (None: this is the last).
#[derive(Debug, Clone, Serialize)]
pub struct EventPage {
    pub rows: Vec<EventRow>,
    pub next: Option<Cursor>,
}

const COLUMNS: &str =
    "id, ts_ms, day, source, provider, account, model, project, input, cache_write_5m, cache_write_1h,
     cache_read, output, reasoning, cost_nanos, cost_kind, superseded, tokens_superseded, money_superseded, import_id,
     line, note, utc_day";

const ORDER: &str = "ORDER BY utc_day DESC, ts_ms DESC, id DESC";

/// A local day's instants may lie up to ~26 hours from its UTC midnight; a whole-day row's
/// UTC day is its date. Widening the range of UTC days by two keeps the index usable while
/// the exact test below decides.
const SLACK_MS: i64 = 2 * 86_400_000;

fn where_clause(f: &EventFilter, tz: Tz, args: &mut Vec<Value>) -> Result<String> {
    if let (Some(s), Some(u)) = (f.since, f.until) {
        if s > u {
            return Err(Error::invalid("since", s, format!("the first day is after the last day {u}")));
        }
    }
    let mut w = vec!["1 = 1".to_string()];
    if let Some(s) = f.since {
        args.push(Value::Integer((day_start_ms(tz, s) - SLACK_MS).div_euclid(86_400_000)));
        args.push(Value::Text(s.to_string()));
        args.push(Value::Integer(day_start_ms(tz, s)));
        let n = args.len();
        w.push(format!(
            "utc_day >= ?{} AND (CASE WHEN day IS NOT NULL THEN day >= ?{} ELSE ts_ms >= ?{} END)",
            n - 2,
            n - 1,
            n
        ));
    }
    if let Some(u) = f.until {
        let next = u.succ_opt().ok_or_else(|| Error::invalid("until", u, "is past the last date"))?;
        args.push(Value::Integer((day_start_ms(tz, next) + SLACK_MS).div_euclid(86_400_000)));
        args.push(Value::Text(u.to_string()));
        args.push(Value::Integer(day_start_ms(tz, next)));
        let n = args.len();
        w.push(format!(
            "utc_day <= ?{} AND (CASE WHEN day IS NOT NULL THEN day <= ?{} ELSE ts_ms < ?{} END)",
            n - 2,
            n - 1,
            n
        ));
    }
    for (col, v) in [("source", &f.source), ("provider", &f.provider), ("model", &f.model), ("project", &f.project)] {
        if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            args.push(Value::Text(v.to_string()));
            w.push(format!("{col} = ?{}", args.len()));
        }
    }
    Ok(w.join(" AND "))
}

fn row(r: &rusqlite::Row) -> rusqlite::Result<EventRow> {
    let ts_ms: i64 = r.get(1)?;
    let n = |i: usize| r.get::<_, i64>(i);
    let (input, cw5, cw1, cr, out) = (n(8)?, n(9)?, n(10)?, n(11)?, n(12)?);
    Ok(EventRow {
        id: r.get(0)?,
        ts: chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ts_ms)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default(),
        ts_ms,
        day: r.get(2)?,
        source: r.get(3)?,
        provider: r.get(4)?,
        account: r.get(5)?,
        model: r.get(6)?,
        project: r.get(7)?,
        input,
        cache_write_5m: cw5,
        cache_write_1h: cw1,
        cache_read: cr,
        output: out,
        reasoning: n(13)?,
        total_tokens: input + cw5 + cw1 + cr + out,
        cost_usd: r.get::<_, Option<i64>>(14)?.map(|c| Usd(c).to_string()),
        cost_kind: r.get(15)?,
        counted: n(16)? == 0 && n(17)? == 0 && n(18)? == 0,
        import_id: r.get(19)?,
        line: r.get(20)?,
        note: r.get(21)?,
        utc_day: r.get(22)?,
    })
}

/// One page of at most `limit` (1..=[`MAX_PAGE`]) events matching `f`, newest first,
/// starting after `after`.
pub fn events_page(conn: &Connection, tz: Tz, f: &EventFilter, limit: u32, after: Option<Cursor>) -> Result<EventPage> {
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Error::invalid("page size", limit, format!("is out of range (1-{MAX_PAGE})")));
    }
    let mut args = Vec::new();
    let mut w = where_clause(f, tz, &mut args)?;
    if let Some(c) = after {
        args.extend([c.utc_day, c.ts_ms, c.id].map(Value::Integer));
        let n = args.len();
        w += &format!(
            " AND (utc_day < ?{d} OR (utc_day = ?{d} AND (ts_ms < ?{t} OR (ts_ms = ?{t} AND id < ?{i}))))",
            d = n - 2,
            t = n - 1,
            i = n
        );
    }
    // One more than asked says whether there is a next page.
    args.push(Value::Integer(i64::from(limit) + 1));
    let sql = format!("SELECT {COLUMNS} FROM events WHERE {w} {ORDER} LIMIT ?{}", args.len());
    let mut stmt = conn.prepare(&sql)?;
    let mut rows: Vec<EventRow> =
        stmt.query_map(rusqlite::params_from_iter(args), row)?.collect::<rusqlite::Result<_>>()?;
    let next = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|r| Cursor { utc_day: r.utc_day, ts_ms: r.ts_ms, id: r.id })
    } else {
        None
    };
    Ok(EventPage { rows, next })
}

/// How [`export_events`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Json,
}

impl std::str::FromStr for ExportFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<ExportFormat> {
        match s {
            "csv" => Ok(ExportFormat::Csv),
            "json" => Ok(ExportFormat::Json),
            _ => Err(Error::invalid("format", s, "expected csv or json")),
        }
    }
}

/// Writes every event matching `f` (newest first) to `w`: CSV with a header row, or one
/// JSON array of [`EventRow`] objects. Streams; returns the number of events written.
pub fn export_events(
    conn: &Connection,
    tz: Tz,
    f: &EventFilter,
    format: ExportFormat,
    w: &mut dyn Write,
) -> Result<u64> {
    let mut args = Vec::new();
    let wc = where_clause(f, tz, &mut args)?;
    let sql = format!("SELECT {COLUMNS} FROM events WHERE {wc} {ORDER}");
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
    let io = |e: std::io::Error| Error::Write { what: "the export".into(), reason: e.to_string() };
    let mut n = 0u64;
    match format {
        ExportFormat::Csv => {
            let mut out = csv::Writer::from_writer(w);
            while let Some(r) = rows.next()? {
                out.serialize(row(r)?)
                    .map_err(|e| Error::Write { what: "the export".into(), reason: e.to_string() })?;
                n += 1;
            }
            if n == 0 {
                // No row: still write the header, so the file says what it would hold.
                out.write_record(CSV_HEADER)
                    .map_err(|e| Error::Write { what: "the export".into(), reason: e.to_string() })?;
            }
            out.flush().map_err(io)?;
        }
        ExportFormat::Json => {
            w.write_all(b"[").map_err(io)?;
            while let Some(r) = rows.next()? {
                if n > 0 {
                    w.write_all(b",").map_err(io)?;
                }
                w.write_all(b"\n").map_err(io)?;
                serde_json::to_writer(&mut *w, &row(r)?)
                    .map_err(|e| Error::Write { what: "the export".into(), reason: e.to_string() })?;
                n += 1;
            }
            w.write_all(b"\n]\n").map_err(io)?;
            w.flush().map_err(io)?;
        }
    }
    Ok(n)
}

/// The CSV columns, in [`EventRow`]'s field order.
const CSV_HEADER: &[&str] = &[
    "id",
    "ts",
    "ts_ms",
    "day",
    "source",
    "provider",
    "account",
    "model",
    "project",
    "input",
    "cache_write_5m",
    "cache_write_1h",
    "cache_read",
    "output",
    "reasoning",
    "total_tokens",
    "cost_usd",
    "cost_kind",
    "counted",
    "import_id",
    "line",
    "note",
];

/// Imports, newest first, `limit` (1..=[`MAX_PAGE`]) from `offset`, and how many there are.
/// The imports table holds one row per file imported, far fewer than events, so offsets
/// are fine here.
pub fn imports_page(conn: &Connection, limit: u32, offset: u64) -> Result<(Vec<ImportRow>, u64)> {
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Error::invalid("page size", limit, format!("is out of range (1-{MAX_PAGE})")));
    }
    let total: i64 = conn.query_row("SELECT COUNT(*) FROM imports", [], |r| r.get(0))?;
    let mut stmt = conn.prepare(&format!("{SELECT_IMPORTS} ORDER BY i.id DESC LIMIT ?1 OFFSET ?2"))?;
    let rows = stmt.query_map(rusqlite::params![limit, offset as i64], import_row)?;
    Ok((rows.collect::<rusqlite::Result<_>>()?, total as u64))
}

/// How many events the ledger holds, superseded ones included (what a backup writes).
pub fn count_events(conn: &Connection) -> Result<u64> {
    let n: i64 = conn.query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))?;
    Ok(n as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reversed_range_and_a_page_out_of_range_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let l = crate::ledger::Ledger::open(&dir.path().join("ledger.db")).unwrap();
        let d = |s: &str| crate::timezone::parse_date(s);
        let f = EventFilter { since: d("2025-02-01"), until: d("2025-01-01"), ..Default::default() };
        let e = events_page(l.conn(), Tz::UTC, &f, 10, None).unwrap_err();
        assert_eq!(e.code(), crate::error::Code::InvalidInput);
        assert!(e.to_string().contains("after"), "{e}");
        for bad in [0, MAX_PAGE + 1] {
            assert!(events_page(l.conn(), Tz::UTC, &EventFilter::default(), bad, None).is_err());
            assert!(imports_page(l.conn(), bad, 0).is_err());
        }
        let page = events_page(l.conn(), Tz::UTC, &EventFilter::default(), 10, None).unwrap();
        assert!(page.rows.is_empty() && page.next.is_none());
        let mut out = Vec::new();
        assert_eq!(export_events(l.conn(), Tz::UTC, &EventFilter::default(), ExportFormat::Csv, &mut out).unwrap(), 0);
        assert!(String::from_utf8(out).unwrap().starts_with("id,ts,ts_ms,day,source"));
    }
}
