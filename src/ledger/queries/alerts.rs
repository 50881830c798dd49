//! The `alerts` table: each (subject, period, kind, level) that fired, once. When an
//! alert fires is decided by `alerts`; this file only remembers that it did.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::Result;

/// An alert's row, column for column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRow {
    /// `budget:NAME` or `comp`.
    pub subject: String,
    pub period: String,
    pub kind: String,
    pub level: u32,
    pub fired_ms: i64,
    pub message: String,
}

/// When the alert with this key fired (epoch ms), or None if it has not.
pub fn fired_ms(conn: &Connection, subject: &str, period: &str, kind: &str, level: u32) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT fired_ms FROM alerts WHERE subject = ?1 AND period = ?2 AND kind = ?3 AND level = ?4")?
        .query_row(params![subject, period, kind, level], |r| r.get(0))
        .optional()?)
}

/// Records that an alert fired.
pub fn insert(conn: &Connection, a: &AlertRow) -> Result<()> {
    conn.execute(
        "INSERT INTO alerts (subject, period, kind, level, fired_ms, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![a.subject, a.period, a.kind, a.level, a.fired_ms, a.message],
    )?;
    Ok(())
}

/// Every alert that fired, newest first.
pub fn all(conn: &Connection) -> Result<Vec<AlertRow>> {
    let mut stmt = conn.prepare(
        "SELECT subject, period, kind, level, fired_ms, message FROM alerts ORDER BY fired_ms DESC, subject",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(AlertRow {
            subject: r.get(0)?,
            period: r.get(1)?,
            kind: r.get(2)?,
            level: r.get(3)?,
            fired_ms: r.get(4)?,
            message: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Forgets every alert of `subject` (a removed budget's).
pub fn remove_subject(conn: &Connection, subject: &str) -> Result<()> {
    conn.execute("DELETE FROM alerts WHERE subject = ?1", [subject])?;
    Ok(())
}
