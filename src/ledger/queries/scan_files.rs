//! The `scan_files` table: per agent-log file, its identity, size and the offset of the
//! last complete line read, so a re-scan reads only what is new.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMark {
    pub format: String,
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime_ns: i64,
    pub offset: u64,
    pub line: u64,
    pub state: Option<String>,
}

pub fn get(conn: &Connection, path: &str) -> Result<Option<FileMark>> {
    Ok(conn
        .prepare_cached("SELECT format, dev, ino, size, mtime_ns, offset, line, state FROM scan_files WHERE path = ?1")?
        .query_row([path], |r| {
            Ok(FileMark {
                format: r.get(0)?,
                dev: r.get::<_, i64>(1)? as u64,
                ino: r.get::<_, i64>(2)? as u64,
                size: r.get::<_, i64>(3)? as u64,
                mtime_ns: r.get(4)?,
                offset: r.get::<_, i64>(5)? as u64,
                line: r.get::<_, i64>(6)? as u64,
                state: r.get(7)?,
            })
        })
        .optional()?)
}

/// All marks, for a re-scan that only compares sizes and identities.
pub fn all(conn: &Connection) -> Result<std::collections::HashMap<String, FileMark>> {
    let mut stmt =
        conn.prepare("SELECT path, format, dev, ino, size, mtime_ns, offset, line, state FROM scan_files")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            FileMark {
                format: r.get(1)?,
                dev: r.get::<_, i64>(2)? as u64,
                ino: r.get::<_, i64>(3)? as u64,
                size: r.get::<_, i64>(4)? as u64,
                mtime_ns: r.get(5)?,
                offset: r.get::<_, i64>(6)? as u64,
                line: r.get::<_, i64>(7)? as u64,
                state: r.get(8)?,
            },
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn put(conn: &Connection, path: &str, m: &FileMark) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO scan_files (path, format, dev, ino, size, mtime_ns, offset, line, state)
         VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)
         ON CONFLICT(path) DO UPDATE SET format=excluded.format, dev=excluded.dev, ino=excluded.ino,
           size=excluded.size, mtime_ns=excluded.mtime_ns, offset=excluded.offset, line=excluded.line,
           state=excluded.state",
    )?
    .execute(params![
        path,
        m.format,
        m.dev as i64,
        m.ino as i64,
        m.size as i64,
        m.mtime_ns,
        m.offset as i64,
        m.line as i64,
        m.state
    ])?;
    Ok(())
}

/// Per source: its events in the ledger and the latest one's instant (epoch ms), for
/// `tokenburn sources`.
pub fn activity(conn: &Connection) -> Result<std::collections::HashMap<String, (u64, i64)>> {
    let mut stmt = conn.prepare(
        "SELECT n.name, COUNT(*), MAX(e.ts_ms) FROM event_rows e JOIN names n ON n.id = e.source GROUP BY e.source",
    )?;
    let rows =
        stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, (r.get::<_, i64>(1)? as u64, r.get::<_, i64>(2)?))))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
