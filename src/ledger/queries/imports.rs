//! The `imports` table: one row per file (or appended byte range) imported.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::error::Result;

/// Counts of one import, as stored and as reported.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub rows: u64,
    pub added: u64,
    pub updated: u64,
    pub duplicates: u64,
    pub rejected: u64,
}

pub struct NewImport<'a> {
    pub path: &'a str,
    pub format: &'a str,
    /// The content digest of the bytes (the driver's `digest`: `b3:` and BLAKE3 hex; older
    /// ledgers hold SHA-256 hex, which no new digest equals), or "" when there is none. The
    /// column keeps its first name, `sha256`.
    pub sha256: &'a str,
    pub byte_start: u64,
    pub byte_end: u64,
    pub same_as: Option<i64>,
}

pub fn insert(tx: &Connection, n: &NewImport, now_ms: i64) -> Result<i64> {
    tx.prepare_cached(
        "INSERT INTO imports (path, format, sha256, byte_start, byte_end, started_ms, same_as)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![n.path, n.format, n.sha256, n.byte_start as i64, n.byte_end as i64, now_ms, n.same_as])?;
    Ok(tx.last_insert_rowid())
}

/// Where an import ended: the byte offset and line just past what it read, and the
/// importer's state there.
pub struct End<'a> {
    pub byte: u64,
    pub line: u64,
    pub state: Option<&'a str>,
}

pub fn finish(tx: &Connection, id: i64, c: &Counts, end: End) -> Result<()> {
    tx.prepare_cached(
        "UPDATE imports SET rows=?2, added=?3, updated=?4, duplicates=?5, rejected=?6, byte_end=?7, end_state=?8,
         end_line=?9 WHERE id=?1",
    )?
    .execute(params![
        id,
        c.rows as i64,
        c.added as i64,
        c.updated as i64,
        c.duplicates as i64,
        c.rejected as i64,
        end.byte as i64,
        end.state,
        end.line as i64
    ])?;
    Ok(())
}

/// An earlier whole-file import of exactly these bytes in this format.
pub struct Identical {
    pub id: i64,
    pub counts: Counts,
    pub end_state: Option<String>,
    pub end_line: u64,
    pub end_byte: u64,
}

/// `digest` is compared as stored (see [`NewImport::sha256`]).
pub fn find_identical(tx: &Connection, format: &str, digest: &str) -> Result<Option<Identical>> {
    Ok(tx
        .prepare_cached(
            "SELECT id, rows, added, updated, duplicates, rejected, end_state, end_line, byte_end FROM imports
             WHERE sha256 = ?1 AND format = ?2 AND byte_start = 0 AND same_as IS NULL ORDER BY id LIMIT 1",
        )?
        .query_row(params![digest, format], |r| {
            Ok(Identical {
                id: r.get(0)?,
                counts: counts_at(r, 1)?,
                end_state: r.get(6)?,
                end_line: r.get::<_, i64>(7)? as u64,
                end_byte: r.get::<_, i64>(8)? as u64,
            })
        })
        .optional()?)
}

/// Stores the rejected rows of an import.
pub fn add_rejects(tx: &Connection, id: i64, rejects: &[crate::import::Rejected]) -> Result<()> {
    let mut stmt = tx.prepare_cached("INSERT INTO import_rejects (import_id, line, reason) VALUES (?1, ?2, ?3)")?;
    for r in rejects {
        stmt.execute(params![id, r.at.number() as i64, r.reason])?;
    }
    Ok(())
}

/// The rejected rows stored for an import; `at` gives each stored number its kind of
/// position (the import's source's, `Source::position`).
pub fn rejects(
    tx: &Connection,
    id: i64,
    at: impl Fn(u64) -> crate::import::Position,
) -> Result<Vec<crate::import::Rejected>> {
    let mut stmt = tx.prepare_cached("SELECT line, reason FROM import_rejects WHERE import_id = ?1 ORDER BY rowid")?;
    let rows = stmt
        .query_map([id], |r| Ok(crate::import::Rejected { at: at(r.get::<_, i64>(0)? as u64), reason: r.get(1)? }))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The counts of an import read from five columns of `imports` (rows, added, updated,
/// duplicates, rejected) starting at column `first`.
fn counts_at(r: &rusqlite::Row, first: usize) -> rusqlite::Result<Counts> {
    let n = |i: usize| r.get::<_, i64>(first + i).map(|v| v as u64);
    Ok(Counts { rows: n(0)?, added: n(1)?, updated: n(2)?, duplicates: n(3)?, rejected: n(4)? })
}

/// An import as `tokenburn imports` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct ImportRow {
    pub id: i64,
    pub path: String,
    pub format: String,
    pub started: String,
    #[serde(flatten)]
    pub counts: Counts,
    /// Events still stored that this import delivered.
    pub events: i64,
    pub same_as: Option<i64>,
}

/// The columns [`import_row`] reads, from `imports i`; callers add the order and limits.
pub(crate) const SELECT_IMPORTS: &str =
    "SELECT i.id, i.path, i.format, i.started_ms, i.rows, i.added, i.updated, i.duplicates, i.rejected, i.same_as,
            (SELECT j.held FROM imports j WHERE j.id = COALESCE(i.same_as, i.id))
            + (SELECT COUNT(*) FROM extra_deliveries x WHERE x.import_id = COALESCE(i.same_as, i.id))
     FROM imports i";

/// One row of [`SELECT_IMPORTS`].
pub(crate) fn import_row(r: &rusqlite::Row) -> rusqlite::Result<ImportRow> {
    let ms: i64 = r.get(3)?;
    Ok(ImportRow {
        id: r.get(0)?,
        path: r.get(1)?,
        format: r.get(2)?,
        started: chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default(),
        counts: counts_at(r, 4)?,
        same_as: r.get(9)?,
        events: r.get(10)?,
    })
}

/// Sets the digest of the bytes import `id` spans: a file too large to read into memory is
/// hashed as it is parsed, after its import row was inserted.
pub fn set_digest(conn: &Connection, id: i64, digest: &str) -> Result<()> {
    conn.prepare_cached("UPDATE imports SET sha256 = ?2 WHERE id = ?1")?.execute(rusqlite::params![id, digest])?;
    Ok(())
}

pub fn list(conn: &Connection) -> Result<Vec<ImportRow>> {
    let mut stmt = conn.prepare(&format!("{SELECT_IMPORTS} ORDER BY i.id"))?;
    let rows = stmt.query_map([], import_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// What removing an import did.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Removed {
    pub import_id: i64,
    /// Events only this import delivered: deleted.
    pub removed_events: u64,
    /// Events another import also delivered: kept.
    pub kept_events: u64,
}

/// Removes an import and the events that only it contributed; events another import also
/// delivered stay, as the best version the remaining imports delivered (an identical later
/// import takes over this one's events).
///
/// One scan of the events finds those that name the import (an index on `import_id` would
/// slow every import down); everything after works on those events by id, so undo costs
/// one read of the ledger plus the import's own size.
///
/// Returns what it did and the (account, UTC day) pairs whose events changed: the caller
/// re-decides rule 9 for them (`spend::undo_import`), as the ledger never calls up.
pub fn remove(
    conn: &Connection,
    book: &crate::pricing::PriceBook,
    id: i64,
) -> Result<Option<(Removed, super::authority::AccountDays)>> {
    let exists: Option<Option<i64>> =
        conn.query_row("SELECT same_as FROM imports WHERE id = ?1", [id], |r| r.get(0)).optional()?;
    let Some(same_as) = exists else { return Ok(None) };
    let (mut named, extra) = deliveries(conn, id)?;
    let mut touched = std::collections::BTreeSet::new();
    let mut names = super::events::NamesById::default();
    for &(_, account, day) in named.iter().chain(&extra) {
        touched.insert((names.get(conn, account)?, day));
    }
    let total = (named.len() + extra.len()) as u64;
    // Changes of `imports.held`, the count of events that name each import.
    let mut held: HashMap<i64, i64> = HashMap::new();
    // A later import of identical bytes delivered the same events: it takes them over.
    if same_as.is_none() {
        if let Some(heir) = conn.query_row("SELECT MIN(id) FROM imports WHERE same_as = ?1", [id], |r| r.get(0))? {
            hand_over(conn, id, heir, &named)?;
            *held.entry(heir).or_default() += named.len() as i64;
            named.clear();
        }
    }
    let mut gone = Gone { removed: 0, restored: Vec::new(), touched, held };
    let_go(conn, id, &named, &mut names, &mut gone)?;
    // A restored estimate is priced by today's book, as every other estimate is (repricing
    // leaves stated costs alone).
    super::events::reprice_ids(conn, book, &gone.restored)?;
    forget(conn, id, &gone.held)?;
    let removed = Removed { import_id: id, removed_events: gone.removed, kept_events: total - gone.removed };
    Ok(Some((removed, gone.touched)))
}

/// An event an import delivered: its id, account (a name id) and UTC day.
type Delivered = (i64, i64, i64);

/// Import `id`'s events: those whose stored version it delivered (named), and those it
/// delivered again (`extra_deliveries`).
fn deliveries(conn: &Connection, id: i64) -> Result<(Vec<Delivered>, Vec<Delivered>)> {
    let read = |sql: &str| -> Result<Vec<Delivered>> {
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    };
    let named = read("SELECT id, account, utc_day FROM event_rows WHERE import_id = ?1")?;
    let extra = read(
        "SELECT e.id, e.account, e.utc_day FROM extra_deliveries x JOIN event_rows e ON e.id = x.event_id
         WHERE x.import_id = ?1",
    )?;
    Ok((named, extra))
}

/// Import `heir`, a later import of the same bytes as `id`, takes over everything of `id`:
/// the events that name it (`named`), its extra deliveries, versions and rejects, and the
/// imports that were the same as it.
fn hand_over(conn: &Connection, id: i64, heir: i64, named: &[Delivered]) -> Result<()> {
    conn.execute("UPDATE imports SET same_as = NULL WHERE id = ?1", [heir])?;
    conn.execute("UPDATE imports SET same_as = ?2 WHERE same_as = ?1", [id, heir])?;
    let mut take = conn.prepare_cached("UPDATE event_rows SET import_id = ?2 WHERE id = ?1")?;
    for &(event, ..) in named {
        take.execute([event, heir])?;
    }
    conn.execute(
        "INSERT OR IGNORE INTO extra_deliveries (event_id, import_id)
         SELECT event_id, ?2 FROM extra_deliveries WHERE import_id = ?1",
        [id, heir],
    )?;
    conn.execute("UPDATE event_versions SET import_id = ?2 WHERE import_id = ?1", [id, heir])?;
    conn.execute("UPDATE import_rejects SET import_id = ?2 WHERE import_id = ?1", [id, heir])?;
    Ok(())
}

/// What letting go of an import's events did: how many were deleted, which took back
/// another import's version (to be re-priced), the (account, UTC day) pairs rule 9 must
/// re-decide, and the changes of `imports.held`.
struct Gone {
    removed: u64,
    restored: Vec<i64>,
    touched: super::authority::AccountDays,
    held: HashMap<i64, i64>,
}

/// Lets go of the events that name import `id`. Only this import delivered an event that
/// names it and no other import: it goes. A kept event that names this import now names
/// another that delivered it, which is then no longer an extra delivery: one that delivered
/// the stored version, else the one whose own version ranks highest, which the event takes
/// back (`event_versions`).
fn let_go(
    conn: &Connection,
    id: i64,
    named: &[Delivered],
    names: &mut super::events::NamesById,
    gone: &mut Gone,
) -> Result<()> {
    let mut delete = conn.prepare_cached(
        "DELETE FROM event_rows WHERE id = ?1
           AND NOT EXISTS (SELECT 1 FROM extra_deliveries x WHERE x.event_id = ?1 AND x.import_id != ?2)",
    )?;
    let mut heir_of = conn.prepare_cached(
        "SELECT x.import_id, v.import_id IS NOT NULL FROM extra_deliveries x
           LEFT JOIN event_versions v ON v.event_id = x.event_id AND v.import_id = x.import_id
         WHERE x.event_id = ?1 AND x.import_id != ?2
         ORDER BY v.import_id IS NOT NULL, v.rank DESC, x.import_id LIMIT 1",
    )?;
    let mut repoint = conn.prepare_cached("UPDATE event_rows SET import_id = ?2 WHERE id = ?1")?;
    let restore_sql = format!(
        "UPDATE event_rows SET ({cols}) = (SELECT {cols} FROM event_versions WHERE event_id = ?1 AND import_id = ?2),
                               import_id = ?2
         WHERE id = ?1 RETURNING account, utc_day",
        cols = super::events::VERSION_COLUMNS
    );
    let mut restore = conn.prepare_cached(&restore_sql)?;
    let mut undeliver = conn.prepare_cached("DELETE FROM extra_deliveries WHERE event_id = ?1 AND import_id = ?2")?;
    let mut unversion = conn.prepare_cached("DELETE FROM event_versions WHERE event_id = ?1 AND import_id = ?2")?;
    for &(event, _, old_day) in named {
        if delete.execute([event, id])? == 1 {
            gone.removed += 1;
            continue;
        }
        let (heir, versioned): (i64, bool) = heir_of.query_row([event, id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        if versioned {
            let (account, day): (i64, i64) = restore.query_row([event, heir], |r| Ok((r.get(0)?, r.get(1)?)))?;
            unversion.execute([event, heir])?;
            gone.touched.insert((names.get(conn, account)?, day));
            super::rollup::mark(conn, old_day)?;
            super::rollup::mark(conn, day)?;
            gone.restored.push(event);
        } else {
            repoint.execute([event, heir])?;
        }
        undeliver.execute([event, heir])?;
        *gone.held.entry(heir).or_default() += 1;
    }
    Ok(())
}

/// Deletes import `id` with its deliveries, versions and rejects, and applies the changes
/// of `imports.held`.
fn forget(conn: &Connection, id: i64, held: &HashMap<i64, i64>) -> Result<()> {
    conn.execute("DELETE FROM extra_deliveries WHERE import_id = ?1", [id])?;
    conn.execute("DELETE FROM event_versions WHERE import_id = ?1", [id])?;
    conn.execute("DELETE FROM import_rejects WHERE import_id = ?1", [id])?;
    conn.execute("DELETE FROM imports WHERE id = ?1", [id])?;
    let mut add = conn.prepare_cached("UPDATE imports SET held = held + ?2 WHERE id = ?1")?;
    for (import, n) in held {
        add.execute([import, n])?;
    }
    Ok(())
}
