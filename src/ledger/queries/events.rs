//! The events: idempotent upserts, pricing, supersession, and the reads that sum them
//! when the rollup cannot serve (reports in another zone, reconciliation while another
//! writer holds the ledger), with the one definition of "unpriced" ([`UNPRICED`]).
//!
//! Invariant: an event's identity `(source, key)` is unique, so re-importing anything is a
//! no-op; where a source can deliver a better version of an event, the higher `rank` wins.
//! An estimated event with no price has `cost_nanos = NULL`, never 0.
//!
//! Storage (migration 0003): events live in `event_rows`, compactly, and the `events` view
//! shows them with their names as text. Ten years of heavy use is tens of millions of
//! events, so a row holds numbers only: names are ids into `names`, and the natural key is
//! kept as 64 bits of its SHA-256 (`khash`, the one unique index). Two different keys share
//! a hash with probability about n²/2⁶⁵ (3·10⁻⁶ at ten million events); the key text itself
//! is not kept (the view shows the hash). An event with a group (Claude Code's
//! `message.id`) hashes as 48 bits of its group and 16 of its key, so one range of the
//! same index finds the group's events. An event names the import its stored version came
//! from; other imports that also delivered it are rows of `extra_deliveries` (most events
//! come from one import, which then costs nothing more), and `imports.held` counts the
//! events that name each import. Where another import delivered a different version (a
//! lower rank, or the version a better one replaced), that version is a row of
//! `event_versions` (migration 0007), so undo can give the event back the best version the
//! remaining imports delivered.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rusqlite::{params, Connection, OptionalExtension, ToSql};
use sha2::{Digest, Sha256};

use super::authority::Touched;
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

fn sha(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// The stored identity of an event (see the module's note): 64 bits of SHA-256 of its
/// source and key; for an event with a group, 48 bits of the group's then 16 of the key's;
/// for an event whose key fixes its UTC day (`ordered_day`), that day then 44 bits of the
/// key's, so a vendor export, written in time order, fills the index in order.
pub fn key_hash(source: &str, key: &str, group: Option<&str>, ordered_day: Option<i64>) -> i64 {
    let k = sha(&[source.as_bytes(), b"\0", key.as_bytes()]);
    let k64 = i64::from_be_bytes(k[..8].try_into().expect("8 bytes"));
    match (group, ordered_day) {
        (Some(g), _) => group_range(source, g).0 | i64::from(u16::from_be_bytes([k[0], k[1]])),
        (None, Some(day)) => (day.clamp(0, (1 << 19) - 1) << 44) | (k64 & ((1 << 44) - 1)),
        (None, None) => k64,
    }
}

/// The stored identity of `ev` from `source`. A vendor's row (no group) always carries the
/// same time, so its day orders its hash; an agent log's lines of one event may straddle
/// midnight, so theirs is not.
pub fn identity(source: &str, authority: Authority, ev: &UsageEvent) -> i64 {
    let ordered = (ev.group.is_none() && authority == Authority::Vendor).then(|| utc_day(ev.day, ev.ts_ms));
    key_hash(source, &ev.key, ev.group.as_deref(), ordered)
}

/// The hashes of a group's events: one range of `khash`.
fn group_range(source: &str, group: &str) -> (i64, i64) {
    let g = sha(&[source.as_bytes(), b"\x01", group.as_bytes()]);
    let mut b = [0u8; 8];
    b[..6].copy_from_slice(&g[..6]);
    let lo = i64::from_be_bytes(b);
    (lo, lo | 0xffff)
}

/// An event made ready to store: everything that needs no ledger (key hash, money), so an
/// import can compute it on another thread than the writer's.
pub struct Prepared {
    pub ev: UsageEvent,
    khash: i64,
    cost: Option<i64>,
    stated: bool,
    price_source: Option<String>,
    pub account: String,
    pub utc_day: i64,
}

/// Prepares `ev` of `source`: its key hash, account, UTC day, and money (what the source
/// stated, else the price book's estimate, or none).
pub fn prepare(source: &str, authority: Authority, ev: UsageEvent, book: &PriceBook) -> Prepared {
    let (cost, stated, price_source) = match ev.cost {
        Some(c) => (Some(c.nanos()), true, None),
        None if ev.cost_kind != CostKind::Estimated => (None, false, None),
        None => {
            let (c, s) = estimate(book, &ev.provider, &ev.model, price_date(ev.day, ev.ts_ms), &ev.tokens);
            (c, false, s)
        }
    };
    Prepared {
        khash: identity(source, authority, &ev),
        account: ev.account.clone().unwrap_or_else(|| super::authority::default_account(source)),
        utc_day: utc_day(ev.day, ev.ts_ms),
        cost,
        stated,
        price_source,
        ev,
    }
}

/// Ids of names, cached for one transaction (a rolled-back id must not outlive it). An
/// import names a handful of things again and again: the first few are compared directly,
/// which is cheaper than hashing them.
#[derive(Default)]
pub struct Names {
    few: Vec<(String, i64)>,
    many: HashMap<String, i64>,
}

impl Names {
    pub fn id(&mut self, conn: &Connection, name: &str) -> Result<i64> {
        if let Some((_, id)) = self.few.iter().find(|(n, _)| n == name) {
            return Ok(*id);
        }
        if let Some(id) = self.many.get(name) {
            return Ok(*id);
        }
        conn.prepare_cached("INSERT INTO names (name) VALUES (?1) ON CONFLICT(name) DO NOTHING")?.execute([name])?;
        let id: i64 = conn.prepare_cached("SELECT id FROM names WHERE name = ?1")?.query_row([name], |r| r.get(0))?;
        if self.few.len() < 16 {
            self.few.push((name.to_string(), id));
        } else {
            self.many.insert(name.to_string(), id);
        }
        Ok(id)
    }

    fn opt(&mut self, conn: &Connection, name: Option<&str>) -> Result<Option<i64>> {
        name.map(|n| self.id(conn, n)).transpose()
    }
}

/// Names by id, each read from `names` once (rows hold ids; readers that show or key by
/// text look them up through this).
#[derive(Default)]
pub struct NamesById(HashMap<i64, String>);

impl NamesById {
    pub fn get(&mut self, conn: &Connection, id: i64) -> Result<String> {
        if let Some(n) = self.0.get(&id) {
            return Ok(n.clone());
        }
        let n: String = conn.prepare_cached("SELECT name FROM names WHERE id = ?1")?.query_row([id], |r| r.get(0))?;
        self.0.insert(id, n.clone());
        Ok(n)
    }
}

/// The id of a name already stored (None: no event refers to it).
pub fn name_id(conn: &Connection, name: &str) -> Result<Option<i64>> {
    Ok(conn.prepare_cached("SELECT id FROM names WHERE name = ?1")?.query_row([name], |r| r.get(0)).optional()?)
}

/// The columns an event is written with, in the order of [`INSERT`]'s parameters `?1..?30`
/// (every statement below numbers its parameters the same way and binds one list). Public
/// for the import benchmark's measure of SQLite alone.
pub const INSERT: &str = "INSERT INTO event_rows (source, khash, grouped, loose, rank, authority, provider, account,
     model, project, ts_ms, span_ms, whole_day, utc_day, input, cache_write_5m, cache_write_1h, cache_read, output,
     reasoning, unsplit, requests, web_search_requests, cost_nanos, cost_kind, stated_cost, price_source, note,
     import_id, line)
     VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26,?27,?28,
             ?29,?30)";

/// What a better version of an event replaces: everything but its source, authority and
/// note.
const REPLACE: &str = "khash=?2, grouped=?3, loose=?4, rank=?5, provider=?7, account=?8, model=?9, project=?10,
     ts_ms=?11, span_ms=?12, whole_day=?13, utc_day=?14, input=?15, cache_write_5m=?16, cache_write_1h=?17,
     cache_read=?18, output=?19, reasoning=?20, unsplit=?21, requests=?22, web_search_requests=?23, cost_nanos=?24,
     cost_kind=?25, stated_cost=?26, price_source=?27, import_id=?29, line=?30";

/// The columns of a version of an event (`event_versions`, migration 0007): everything a
/// better version replaces but the identity and the import.
pub(crate) const VERSION_COLUMNS: &str = "rank, provider, account, model, project, ts_ms, span_ms, whole_day, utc_day,
     input, cache_write_5m, cache_write_1h, cache_read, output, reasoning, unsplit, requests, web_search_requests,
     cost_nanos, cost_kind, stated_cost, price_source, line";

/// [`VERSION_COLUMNS`] as [`INSERT`]'s parameters.
const VERSION_VALUES: &str =
    "?5, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?30";

/// The stored version of an event: its id, rank and import.
type Found = (i64, i64, i64);

/// Stores the events of one import (or of one manual entry) in the caller's transaction.
pub struct Writer<'c> {
    conn: &'c Connection,
    names: Names,
    source: &'c str,
    source_id: i64,
    authority: Authority,
    import_id: i64,
    /// Change of `imports.held` per import, written by [`Writer::finish`].
    held: HashMap<i64, i64>,
    /// The insert of a new event (prepared once: it runs for nearly every row).
    insert: rusqlite::CachedStatement<'c>,
    /// What rule 9 must re-decide afterwards, returned by [`Writer::finish`].
    touched: Touched,
    /// The (account, day) last noted in `touched`, and whether as having new vendor tokens.
    last: Option<(String, i64, bool)>,
}

impl<'c> Writer<'c> {
    pub fn new(conn: &'c Connection, source: &'c str, authority: Authority, import_id: i64) -> Result<Writer<'c>> {
        let mut names = Names::default();
        let source_id = names.id(conn, source)?;
        let insert = conn.prepare_cached(&format!("{INSERT} ON CONFLICT(khash) DO NOTHING"))?;
        // Rowids are the largest plus one: every id from here on is an insert of this writer.
        let first_new: i64 = conn.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM event_rows", [], |r| r.get(0))?;
        let touched = Touched::new(first_new);
        Ok(Writer {
            conn,
            names,
            source,
            source_id,
            authority,
            import_id,
            held: HashMap::new(),
            insert,
            touched,
            last: None,
        })
    }

    /// Stores `p`, merging with an existing version of the same event, and records that
    /// this import delivered it.
    ///
    /// A new event is one statement: an insert that does nothing on a key already stored
    /// (CONVENTIONS rule 4). Only then is the stored version read, and replaced when the
    /// new one's rank is higher. An event with a group may instead merge with a stored event
    /// of its group under another key, so it looks before it writes. A replacement marks
    /// the days of both versions for the rollup (new rows are found there by id).
    pub fn upsert(&mut self, p: &Prepared) -> Result<Outcome> {
        let (ev, t, c) = (&p.ev, &p.ev.tokens, self.conn);
        let ids = [
            self.names.id(c, &ev.provider)?,
            self.names.id(c, &p.account)?,
            self.names.id(c, &ev.model)?,
            self.names.id(c, ev.cost_kind.as_str())?,
        ];
        let project = self.names.opt(c, ev.project.as_deref())?;
        let price_source = self.names.opt(c, p.price_source.as_deref())?;
        let (line, source_id, authority, import_id) =
            (ev.line as i64, self.source_id, self.authority as i64, self.import_id);
        let values: [&dyn ToSql; 30] = [
            &source_id,
            &p.khash,
            &ev.group.is_some(),
            &ev.loose,
            &ev.rank,
            &authority,
            &ids[0],
            &ids[1],
            &ids[2],
            &project,
            &ev.ts_ms,
            &ev.span_ms,
            &ev.day.is_some(),
            &p.utc_day,
            &t.input,
            &t.cache_write_5m,
            &t.cache_write_1h,
            &t.cache_read,
            &t.output,
            &t.reasoning,
            &t.unsplit,
            &t.requests,
            &t.web_search_requests,
            &p.cost,
            &ids[3],
            &p.stated,
            &price_source,
            &ev.note,
            &import_id,
            &line,
        ];
        let found = self.find_or_insert(p, &values)?;
        let outcome = match found {
            None => {
                *self.held.entry(self.import_id).or_default() += 1;
                Outcome::Added
            }
            Some((id, stored, main)) if ev.rank <= stored => {
                self.delivered(&values, id, main, ev.rank < stored)?;
                return Ok(Outcome::Duplicate);
            }
            Some((id, _, main)) => {
                let was = self.replace(&values, id, main, p.utc_day)?;
                if id >= self.touched.first_new {
                    self.touched.reread.insert((p.account.clone(), p.utc_day));
                    self.touched.reread.insert(was.clone());
                }
                self.touched.days.insert(was);
                Outcome::Updated
            }
        };
        self.note(p, outcome);
        Ok(outcome)
    }

    /// Inserts `p` (as `values`) unless a version of it is stored; returns that version, or
    /// None when `p` was inserted. An event with a group looks for a stored event of its
    /// group under another key first.
    fn find_or_insert(&mut self, p: &Prepared, values: &[&dyn ToSql; 30]) -> Result<Option<Found>> {
        let Some(group) = &p.ev.group else {
            return if self.insert.execute(&values[..])? == 1 { Ok(None) } else { self.by_hash(p.khash) };
        };
        let found = match self.by_hash(p.khash)? {
            Some(f) => Some(f),
            None => {
                let (lo, hi) = group_range(self.source, group);
                self.conn
                    .prepare_cached(
                        "SELECT id, rank, import_id FROM event_rows WHERE khash BETWEEN ?1 AND ?2 AND grouped = 1
                         AND source = ?3 AND (?4 OR loose = 1) ORDER BY id LIMIT 1",
                    )?
                    .query_row(params![lo, hi, self.source_id, p.ev.loose], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .optional()?
            }
        };
        if found.is_none() {
            self.conn.prepare_cached(INSERT)?.execute(&values[..])?;
        }
        Ok(found)
    }

    /// Notes what rule 9 must re-decide after storing `p` (added or updated): its account
    /// and day, and whether a vendor's new tokens arrived there.
    fn note(&mut self, p: &Prepared, outcome: Outcome) {
        // Rows come day by day: a day is noted once per run of rows.
        if !matches!(&self.last, Some((a, d, _)) if *a == p.account && *d == p.utc_day) {
            self.touched.days.insert((p.account.clone(), p.utc_day));
            self.last = Some((p.account.clone(), p.utc_day, false));
        }
        let t = &p.ev.tokens;
        let tokens = t.input + t.cache_write_5m + t.cache_write_1h + t.cache_read + t.output + t.unsplit > 0;
        if let (Outcome::Added, true, Some((a, d, noted @ false))) = (&outcome, tokens, &mut self.last) {
            if self.authority == Authority::Vendor {
                self.touched.new_tokens.insert((a.clone(), *d));
                *noted = true;
            }
        }
    }

    fn by_hash(&self, khash: i64) -> Result<Option<Found>> {
        Ok(self
            .conn
            .prepare_cached("SELECT id, rank, import_id FROM event_rows WHERE khash = ?1")?
            .query_row([khash], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?)
    }

    /// Records that this import also delivered the stored event `id` (whose version came
    /// from import `main`) as `values`, `lower` when that version ranks below the stored
    /// one. An import keeps the best version it delivered: a lower one in `event_versions`,
    /// none there when it delivered the stored version.
    fn delivered(&self, values: &[&dyn ToSql; 30], id: i64, main: i64, lower: bool) -> Result<()> {
        if main == self.import_id || self.import_id <= 0 {
            return Ok(());
        }
        let c = self.conn;
        let first = c
            .prepare_cached("INSERT OR IGNORE INTO extra_deliveries (event_id, import_id) VALUES (?1, ?2)")?
            .execute([id, self.import_id])?
            == 1;
        let with_id = || rusqlite::params_from_iter(values.iter().copied().chain([&id as &dyn ToSql]));
        if lower && first {
            let sql = format!(
                "INSERT OR REPLACE INTO event_versions (event_id, import_id, {VERSION_COLUMNS})
                 VALUES (?31, ?29, {VERSION_VALUES})"
            );
            c.prepare_cached(&sql)?.execute(with_id())?;
        } else if lower {
            // Delivered before: a better version than the one kept replaces it.
            let sql = format!(
                "UPDATE event_versions SET ({VERSION_COLUMNS}) = ({VERSION_VALUES})
                 WHERE event_id = ?31 AND import_id = ?29 AND rank < ?5"
            );
            c.prepare_cached(&sql)?.execute(with_id())?;
        } else if !first {
            c.prepare_cached("DELETE FROM event_versions WHERE event_id = ?1 AND import_id = ?2")?
                .execute([id, self.import_id])?;
        }
        Ok(())
    }

    /// Replaces the stored event `id` with the better version in `values` (its key too: a
    /// group merge adopts the newcomer's key; `new_day` is its UTC day), marking the days of
    /// both versions for the rollup. The import the old version came from stays one that
    /// delivered the event. Returns the old version's account and UTC day.
    fn replace(&mut self, values: &[&dyn ToSql; 30], id: i64, main: i64, new_day: i64) -> Result<(String, i64)> {
        let c = self.conn;
        // The other imports that delivered the event delivered the version replaced here
        // (unless they keep one of their own): it is kept as theirs. An event this import
        // inserted has no other deliveries.
        if id < self.touched.first_new {
            let sql = format!(
                "INSERT OR IGNORE INTO event_versions (event_id, import_id, {VERSION_COLUMNS})
                 SELECT e.id, d.import_id, {VERSION_COLUMNS} FROM event_rows e,
                        (SELECT import_id FROM extra_deliveries WHERE event_id = ?1 UNION SELECT ?2) d
                 WHERE e.id = ?1 AND d.import_id != ?3"
            );
            c.prepare_cached(&sql)?.execute([id, main, self.import_id])?;
            c.prepare_cached("DELETE FROM event_versions WHERE event_id = ?1 AND import_id = ?2")?
                .execute([id, self.import_id])?;
        }
        let (old_account, old_day): (String, i64) = c
            .prepare_cached(
                "SELECT n.name, e.utc_day FROM event_rows e JOIN names n ON n.id = e.account WHERE e.id = ?1",
            )?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let sql = format!("UPDATE event_rows SET {REPLACE} WHERE id=?31");
        c.prepare_cached(&sql)?
            .execute(rusqlite::params_from_iter(values.iter().copied().chain([&id as &dyn ToSql])))?;
        if main != self.import_id {
            c.prepare_cached("INSERT OR IGNORE INTO extra_deliveries (event_id, import_id) VALUES (?1, ?2)")?
                .execute([id, main])?;
            c.prepare_cached("DELETE FROM extra_deliveries WHERE event_id = ?1 AND import_id = ?2")?
                .execute([id, self.import_id])?;
            *self.held.entry(main).or_default() -= 1;
            *self.held.entry(self.import_id).or_default() += 1;
        }
        super::rollup::mark(c, old_day)?;
        super::rollup::mark(c, new_day)?;
        Ok((old_account, old_day))
    }

    /// Writes the imports' counts of held events, and returns what rule 9 must re-decide
    /// ([`crate::spend::refresh_touched`]).
    pub fn finish(self) -> Result<Touched> {
        let mut stmt = self.conn.prepare_cached("UPDATE imports SET held = held + ?2 WHERE id = ?1")?;
        for (import, n) in self.held {
            if n != 0 {
                stmt.execute([import, n])?;
            }
        }
        Ok(self.touched)
    }
}

/// Stores one event (see [`Writer::upsert`]); returns what rule 9 must re-decide.
pub fn upsert(
    tx: &Connection,
    source: &str,
    authority: Authority,
    ev: &UsageEvent,
    import_id: i64,
    book: &PriceBook,
) -> Result<Touched> {
    let mut w = Writer::new(tx, source, authority, import_id)?;
    w.upsert(&prepare(source, authority, ev.clone(), book))?;
    w.finish()
}

/// Recomputes the estimate of every event whose money came from the price book (or had
/// none). Returns how many costs changed.
pub fn reprice(tx: &Connection, book: &PriceBook) -> Result<usize> {
    reprice_where(tx, book, "", &[()])
}

/// [`reprice`] for the events `ids` only.
pub fn reprice_ids(tx: &Connection, book: &PriceBook, ids: &[i64]) -> Result<usize> {
    let ids: Vec<[i64; 1]> = ids.iter().map(|&id| [id]).collect();
    reprice_where(tx, book, "AND id = ?1", &ids)
}

/// Reprices the estimated events that `filter` (more of the WHERE clause) selects, once for
/// each of `params`.
fn reprice_where<P: rusqlite::Params + Copy>(
    tx: &Connection,
    book: &PriceBook,
    filter: &str,
    params: &[P],
) -> Result<usize> {
    let mut rows = Vec::new();
    let mut stmt = tx.prepare(&format!(
        "SELECT id, provider, model, ts_ms, day, input, cache_write_5m, cache_write_1h, cache_read, output, unsplit,
                cost_nanos, price_source, requests, utc_day
         FROM events WHERE stated_cost = 0 AND cost_kind = 'estimated' {filter}"
    ))?;
    for &p in params {
        let mut q = stmt.query(p)?;
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
    let mut names = Names::default();
    let mut upd = tx.prepare("UPDATE event_rows SET cost_nanos = ?2, price_source = ?3 WHERE id = ?1")?;
    for (id, (cost, src), day) in &rows {
        upd.execute(params![id, cost, names.opt(tx, src.as_deref())?])?;
        super::rollup::mark(tx, *day)?;
    }
    Ok(rows.len())
}

/// "Unpriced" (CONVENTIONS rule 6), as SQL over the columns of the `events` view: an event whose money is the price book's estimate, and the book has no
/// price for it. The one definition: `unpriced_models` lists them, `report` counts those
/// whose money counts, the rollup keeps the same count per row. An event of another kind
/// (billed, manual, included) with no money is not unpriced: no price would change it.
pub const UNPRICED: &str = "(cost_kind = 'estimated' AND cost_nanos IS NULL)";

/// A model with unpriced events (see [`UNPRICED`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unpriced {
    pub provider: String,
    pub model: String,
    /// Its unpriced events, superseded summaries left out.
    pub events: i64,
    /// Their tokens (input, cache writes and reads, output, unsplit).
    pub tokens: i64,
}

/// The models that have unpriced events (not superseded), most events first, then by model
/// and provider; at most `limit` of them.
pub fn unpriced_models(conn: &Connection, limit: Option<usize>) -> Result<Vec<Unpriced>> {
    let sql = format!(
        "SELECT provider, model, COUNT(*),
                SUM(input + cache_write_5m + cache_write_1h + cache_read + output + unsplit)
         FROM events WHERE {UNPRICED} AND superseded = 0
         GROUP BY 1, 2 ORDER BY 3 DESC, 2, 1 LIMIT ?1"
    );
    let limit = limit.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([limit], |r| {
        Ok(Unpriced { provider: r.get(0)?, model: r.get(1)?, events: r.get(2)?, tokens: r.get(3)? })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Per-event flags, as SQL over `events e` (with `l` the account link): whether its tokens
/// count, whether its money counts, and whether a subscription turns its estimate into value.
/// Superseded summaries are left out.
const COUNTED: &str = "
    SELECT e.*, (e.tokens_superseded = 0) AS tok, (e.money_superseded = 0) AS mon,
           EXISTS (SELECT 1 FROM subscriptions s
                   WHERE s.covers = COALESCE(l.billed_by, e.account)
                     AND COALESCE(e.day, date(e.ts_ms / 1000, 'unixepoch')) >= s.from_day
                     AND (s.until_day IS NULL OR COALESCE(e.day, date(e.ts_ms / 1000, 'unixepoch')) <= s.until_day)) AS cov
    FROM events e LEFT JOIN account_links l ON l.account = e.account
    WHERE e.superseded = 0";

/// The [`rollup::SumColumns`](super::rollup::SumColumns) of counted events (CONVENTIONS
/// rule 9), over [`COUNTED`]'s rows.
fn counted_sums() -> String {
    format!(
        "SUM(tok * input), SUM(tok * cache_write_5m), SUM(tok * cache_write_1h), SUM(tok * cache_read),
         SUM(tok * output), SUM(tok * reasoning), SUM(tok * unsplit), SUM(tok * requests),
         SUM(tok * web_search_requests),
         SUM(CASE WHEN mon AND cost_kind = 'billed' THEN cost_nanos ELSE 0 END),
         SUM(CASE WHEN mon AND cost_kind = 'estimated' AND NOT cov THEN COALESCE(cost_nanos, 0) ELSE 0 END),
         SUM(CASE WHEN mon AND cost_kind = 'manual' THEN cost_nanos ELSE 0 END),
         SUM(CASE WHEN cost_kind = 'included' OR (mon AND cost_kind = 'estimated' AND cov)
                  THEN COALESCE(cost_nanos, 0) ELSE 0 END),
         SUM(mon AND {UNPRICED}),
         COUNT(*)"
    )
}

/// A column of the events that [`counted`] groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    Source,
    Provider,
    Model,
    Project,
}

impl Dim {
    fn column(self) -> &'static str {
        match self {
            Dim::Source => "source",
            Dim::Provider => "provider",
            Dim::Model => "model",
            Dim::Project => "project",
        }
    }
}

/// Which events [`counted`] sums: those of one source, provider, model or project (each
/// when given), with an instant in `from_ms..to_ms`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Only<'a> {
    pub source: Option<&'a str>,
    pub provider: Option<&'a str>,
    pub model: Option<&'a str>,
    pub project: Option<&'a str>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

/// One group of [`counted`]: the values of its dimensions (in the order asked), its own
/// calendar day if its events have one, its quarter-hour bucket (`ts_ms / 900000`), and
/// its sums.
pub struct Counted {
    pub dims: Vec<Option<String>>,
    pub day: Option<String>,
    pub quarter_hour: i64,
    pub sums: super::rollup::SumColumns,
}

/// The counted events that `only` selects, summed per value of `dims`, calendar day and
/// quarter-hour bucket, handed to `f` (the reports' way when the rollup cannot serve).
pub fn counted(conn: &Connection, dims: &[Dim], only: &Only, f: &mut dyn FnMut(Counted) -> Result<()>) -> Result<()> {
    let mut select: Vec<&str> = dims.iter().map(|d| d.column()).collect();
    select.extend(["day", "ts_ms / 900000"]);
    let mut sql = format!("SELECT {}, {} FROM ({COUNTED}) WHERE 1", select.join(", "), counted_sums());
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    let mut and = |cond: &str, v: rusqlite::types::Value| {
        args.push(v);
        sql += &format!(" AND {cond} ?{}", args.len());
    };
    for (d, v) in [
        (Dim::Source, only.source),
        (Dim::Provider, only.provider),
        (Dim::Model, only.model),
        (Dim::Project, only.project),
    ] {
        if let Some(v) = v {
            and(&format!("{} =", d.column()), v.to_string().into());
        }
    }
    if let Some(ms) = only.from_ms {
        and("ts_ms >=", ms.into());
    }
    if let Some(ms) = only.to_ms {
        and("ts_ms <", ms.into());
    }
    let groups: Vec<String> = (1..=select.len()).map(|i| i.to_string()).collect();
    sql += &format!(" GROUP BY {}", groups.join(", "));
    let n = dims.len();
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut q = stmt.query(rusqlite::params_from_iter(args))?;
    while let Some(r) = q.next()? {
        let dims = (0..n).map(|i| r.get(i)).collect::<rusqlite::Result<_>>()?;
        f(Counted { dims, day: r.get(n)?, quarter_hour: r.get(n + 1)?, sums: super::rollup::sums_at(r, n + 2)? })?;
    }
    Ok(())
}

/// [`ReconcileSums`](super::rollup::ReconcileSums) of `provider` (or every provider) from
/// the UTC day `since` on, read from the events (the day index reads only the days from
/// `since` on), as when the rollup cannot be brought up to date.
pub fn reconcile_sums(
    conn: &Connection,
    provider: Option<&str>,
    since: Option<NaiveDate>,
) -> Result<Vec<super::rollup::ReconcileSums>> {
    // Read from the rows with their names' ids (the `events` view would look up every name
    // of every row); the names are looked up once per group after.
    let id = |name: &str| name_id(conn, name).map(|i| i.unwrap_or(-1));
    let (estimated, billed) = (id("estimated")?, id("billed")?);
    let only = match provider {
        Some(p) => Some(id(p)?),
        None => None,
    };
    let from = since.map_or(i64::MIN, super::rollup::day_number);
    let mut stmt = conn.prepare_cached(
        "SELECT provider, model, utc_day, cost_kind, authority, SUM(COALESCE(cost_nanos, 0)),
                SUM(cost_kind = ?2 AND cost_nanos IS NULL), SUM(cache_write_5m), COUNT(*),
                SUM(input + cache_read + cache_write_5m + cache_write_1h > 200000 AND requests = 1)
         FROM event_rows WHERE superseded = 0 AND cost_kind IN (?2, ?3) AND utc_day >= ?1
           AND (?4 IS NULL OR provider = ?4)
         GROUP BY 1, 2, 3, 4, 5",
    )?;
    let mut names = NamesById::default();
    let mut name = |id: i64| names.get(conn, id);
    let mut out = Vec::new();
    let mut q = stmt.query(params![from, estimated, billed, only])?;
    while let Some(r) = q.next()? {
        out.push(super::rollup::ReconcileSums {
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
    Ok(out)
}

/// The (provider, account) pairs of transcript events (superseded ones too) whose account
/// is linked to no other (it bills to itself), read from the events.
pub fn unlinked_transcript_accounts(conn: &Connection) -> Result<std::collections::BTreeSet<(String, String)>> {
    Ok(conn
        .prepare_cached(
            "SELECT DISTINCT e.provider, e.account FROM events e LEFT JOIN account_links l ON l.account = e.account
             WHERE e.authority = ?1 AND l.account IS NULL",
        )?
        .query_map([Authority::Transcript as i64], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?)
}

/// Marks each summary event (stats-cache, ccusage JSON) superseded when transcripts of the
/// same model exist on its date in the ledger's zone: the transcripts win.
pub fn refresh_supersession(tx: &Connection, tz: Tz) -> Result<()> {
    let mut summaries = Vec::new();
    {
        // `authority = 1` (Authority::Summary) as a literal, so the partial index serves it.
        let mut stmt = tx.prepare_cached("SELECT id, model, day, ts_ms, utc_day FROM events WHERE authority = 1")?;
        let mut q = stmt.query([])?;
        while let Some(r) = q.next()? {
            let day: Option<String> = r.get(2)?;
            let ts: i64 = r.get(3)?;
            let date = day.as_deref().and_then(timezone::parse_date).unwrap_or_else(|| timezone::local_date(tz, ts));
            summaries.push((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, date, r.get::<_, i64>(4)?));
        }
    }
    let mut exists = tx.prepare_cached(
        "SELECT EXISTS(SELECT 1 FROM event_rows WHERE utc_day = ?1 AND model = ?2 AND authority >= ?3
                        AND ts_ms >= ?4 AND ts_ms < ?5)",
    )?;
    let mut upd = tx.prepare_cached("UPDATE event_rows SET superseded = ?2 WHERE id = ?1 AND superseded != ?2")?;
    for (id, models, date, utc_day) in summaries {
        let start = timezone::day_start_ms(tz, date);
        let end = timezone::day_start_ms(tz, date.succ_opt().unwrap_or(date));
        // A summary row may list several models ("a, b") when its source gives no split.
        let mut covered = false;
        for m in models.split(", ") {
            let Some(model) = name_id(tx, m)? else { continue };
            for day in start.div_euclid(86_400_000)..=(end - 1).div_euclid(86_400_000) {
                covered |= exists.query_row(params![day, model, Authority::Transcript as i64, start, end], |r| {
                    r.get::<_, bool>(0)
                })?;
            }
        }
        if upd.execute(params![id, covered])? > 0 {
            super::rollup::mark(tx, utc_day)?;
        }
    }
    Ok(())
}

/// The `events` view: `event_rows` with names as text, in the columns of schema version 2
/// (the key and group show as their hashes, in hex). Reports and exports read it. The
/// `event_imports` view lists every import that delivered each event, as version 2 did.
pub(crate) const VIEWS: &str = "CREATE VIEW event_imports AS
    SELECT id AS event_id, import_id FROM event_rows
    UNION ALL SELECT event_id, import_id FROM extra_deliveries;
CREATE VIEW events AS
    SELECT e.id, s.name AS source, printf('%016x', e.khash) AS key,
           CASE WHEN e.grouped THEN printf('%012x', (e.khash >> 16) & 0xffffffffffff) END AS grp,
           e.loose, e.rank, e.authority, p.name AS provider, a.name AS account, m.name AS model,
           pr.name AS project, e.ts_ms, e.span_ms,
           CASE WHEN e.whole_day THEN date(e.utc_day * 86400, 'unixepoch') END AS day, e.utc_day,
           e.input, e.cache_write_5m, e.cache_write_1h, e.cache_read, e.output, e.reasoning, e.unsplit,
           e.requests, e.web_search_requests, e.cost_nanos, k.name AS cost_kind, e.stated_cost,
           ps.name AS price_source, e.superseded, e.tokens_superseded, e.money_superseded, e.note,
           e.import_id, e.line
    FROM event_rows e
    LEFT JOIN names s ON s.id = e.source
    LEFT JOIN names p ON p.id = e.provider
    LEFT JOIN names a ON a.id = e.account
    LEFT JOIN names m ON m.id = e.model
    LEFT JOIN names pr ON pr.id = e.project
    LEFT JOIN names k ON k.id = e.cost_kind
    LEFT JOIN names ps ON ps.id = e.price_source;";

/// Copies events of schema version 2 (table `events`, its deliveries in `links`) into
/// `event_rows` and `extra_deliveries`, keeping their ids; then counts each import's held
/// events. Used by migration 0003 and by restoring an export of version 1 or 2.
pub(crate) fn convert_v2(tx: &Connection, events: &str, links: &str) -> Result<()> {
    let mut names = Names::default();
    let mut read = tx.prepare(&format!(
        "SELECT id, source, key, grp, loose, rank, authority, provider, account, model, project, ts_ms, span_ms,
                day IS NOT NULL, utc_day, input, cache_write_5m, cache_write_1h, cache_read, output, reasoning,
                unsplit, requests, web_search_requests, cost_nanos, cost_kind, stated_cost, price_source, superseded,
                tokens_superseded, money_superseded, note, import_id, line
         FROM {events} ORDER BY id"
    ))?;
    let mut write = tx.prepare(
        "INSERT INTO event_rows (id, source, khash, grouped, loose, rank, authority, provider, account, model,
             project, ts_ms, span_ms, whole_day, utc_day, input, cache_write_5m, cache_write_1h, cache_read, output,
             reasoning, unsplit, requests, web_search_requests, cost_nanos, cost_kind, stated_cost, price_source,
             superseded, tokens_superseded, money_superseded, note, import_id, line)
         VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26,
                 ?27,?28,?29,?30,?31,?32,?33,?34)",
    )?;
    let mut q = read.query([])?;
    while let Some(r) = q.next()? {
        let source: String = r.get(1)?;
        let key: String = r.get(2)?;
        let grp: Option<String> = r.get(3)?;
        let vendor = r.get::<_, i64>(6)? == Authority::Vendor as i64;
        let day: i64 = r.get(14)?;
        let mut v: Vec<rusqlite::types::Value> = (0..34).map(|i| r.get(i)).collect::<rusqlite::Result<_>>()?;
        let text = |v: &rusqlite::types::Value| match v {
            rusqlite::types::Value::Text(t) => Some(t.clone()),
            _ => None,
        };
        v[1] = names.id(tx, &source)?.into();
        v[2] = key_hash(&source, &key, grp.as_deref(), (vendor && grp.is_none()).then_some(day)).into();
        v[3] = grp.is_some().into();
        for i in [7, 8, 9, 25] {
            v[i] = names.id(tx, &text(&v[i]).unwrap_or_default())?.into();
        }
        for i in [10, 27] {
            v[i] = names.opt(tx, text(&v[i]).as_deref())?.into();
        }
        write.execute(rusqlite::params_from_iter(v.iter()))?;
    }
    tx.execute_batch(&format!(
        "INSERT OR IGNORE INTO extra_deliveries (event_id, import_id)
           SELECT x.event_id, x.import_id FROM {links} x JOIN event_rows e ON e.id = x.event_id
           WHERE x.import_id != e.import_id;"
    ))?;
    count_held(tx)
}

/// Counts every import's held events from scratch (after a migration, restore or undo).
pub(crate) fn count_held(tx: &Connection) -> Result<()> {
    tx.execute_batch(
        "UPDATE imports SET held = 0;
         UPDATE imports SET held = c.n
           FROM (SELECT import_id, COUNT(*) AS n FROM event_rows GROUP BY import_id) AS c
           WHERE imports.id = c.import_id;",
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Ledger;

    /// A ledger holding `events` as (key, provider, model, cost kind, input tokens).
    fn ledger_with(events: &[(&str, &str, &str, CostKind, i64)]) -> Ledger {
        let mut l = Ledger::open(std::path::Path::new(":memory:")).unwrap();
        l.write(|tx, book| {
            for &(key, provider, model, kind, input) in events {
                let mut ev = UsageEvent::new(key.to_string(), provider, model, 1_750_000_000_000, 1);
                ev.cost_kind = kind;
                ev.tokens.input = input;
                ev.tokens.output = 1;
                upsert(tx, "test", Authority::Transcript, &ev, 0, book)?;
            }
            Ok(())
        })
        .unwrap();
        l
    }

    #[test]
    fn unpriced_is_an_estimate_without_a_price() {
        let l = ledger_with(&[
            ("1", "anthropic", "claude-imaginary-1", CostKind::Estimated, 10),
            ("2", "anthropic", "claude-imaginary-2", CostKind::Estimated, 20),
            ("3", "anthropic", "claude-imaginary-2", CostKind::Estimated, 30),
            // Plan-covered usage with no stated money: no price would change it.
            ("4", "cursor", "claude-imaginary-3", CostKind::Included, 40),
            ("5", "openai", "gpt-4o", CostKind::Estimated, 50),
        ]);
        let two = Unpriced { provider: "anthropic".into(), model: "claude-imaginary-2".into(), events: 2, tokens: 52 };
        let one = Unpriced { provider: "anthropic".into(), model: "claude-imaginary-1".into(), events: 1, tokens: 11 };
        assert_eq!(unpriced_models(l.conn(), None).unwrap(), vec![two.clone(), one]);
        assert_eq!(unpriced_models(l.conn(), Some(1)).unwrap(), vec![two]);
        // Superseded summaries are not listed.
        l.conn().execute("UPDATE event_rows SET superseded = 1", []).unwrap();
        assert_eq!(unpriced_models(l.conn(), None).unwrap(), vec![]);
    }
}
