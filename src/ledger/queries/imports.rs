//! The `imports` table: one row per file (or appended byte range) imported.

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

pub fn finish(tx: &Connection, id: i64, c: &Counts, byte_end: u64, end_state: Option<&str>) -> Result<()> {
    tx.prepare_cached(
        "UPDATE imports SET rows=?2, added=?3, updated=?4, duplicates=?5, rejected=?6, byte_end=?7, end_state=?8
         WHERE id=?1",
    )?
    .execute(params![
        id,
        c.rows as i64,
        c.added as i64,
        c.updated as i64,
        c.duplicates as i64,
        c.rejected as i64,
        byte_end as i64,
        end_state
    ])?;
    Ok(())
}

/// An earlier whole-file import of exactly these bytes in this format.
pub struct Identical {
    pub id: i64,
    pub counts: Counts,
    pub end_state: Option<String>,
}

pub fn find_identical(tx: &Connection, format: &str, sha256: &str) -> Result<Option<Identical>> {
    Ok(tx
        .prepare_cached(
            "SELECT id, rows, added, updated, duplicates, rejected, end_state FROM imports
             WHERE sha256 = ?1 AND format = ?2 AND byte_start = 0 AND same_as IS NULL ORDER BY id LIMIT 1",
        )?
        .query_row(params![sha256, format], |r| {
            Ok(Identical {
                id: r.get(0)?,
                counts: Counts {
                    rows: r.get::<_, i64>(1)? as u64,
                    added: r.get::<_, i64>(2)? as u64,
                    updated: r.get::<_, i64>(3)? as u64,
                    duplicates: r.get::<_, i64>(4)? as u64,
                    rejected: r.get::<_, i64>(5)? as u64,
                },
                end_state: r.get(6)?,
            })
        })
        .optional()?)
}

/// Stores the rejected rows of an import.
pub fn add_rejects(tx: &Connection, id: i64, rejects: &[crate::import::Rejected]) -> Result<()> {
    let mut stmt = tx.prepare_cached("INSERT INTO import_rejects (import_id, line, reason) VALUES (?1, ?2, ?3)")?;
    for r in rejects {
        stmt.execute(params![id, r.line as i64, r.reason])?;
    }
    Ok(())
}

/// The rejected rows stored for an import.
pub fn rejects(tx: &Connection, id: i64) -> Result<Vec<crate::import::Rejected>> {
    let mut stmt = tx.prepare_cached("SELECT line, reason FROM import_rejects WHERE import_id = ?1 ORDER BY rowid")?;
    let rows =
        stmt.query_map([id], |r| Ok(crate::import::Rejected { line: r.get::<_, i64>(0)? as u64, reason: r.get(1)? }))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
