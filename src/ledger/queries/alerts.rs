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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fired_alert_is_found_by_its_whole_key_until_its_subject_goes() {
        let l = crate::ledger::Ledger::open(std::path::Path::new(":memory:")).unwrap();
        let c = l.conn();
        let row = |subject: &str, level, fired_ms| AlertRow {
            subject: subject.into(),
            period: "2026-03-01..2026-03-31".into(),
            kind: "threshold".into(),
            level,
            fired_ms,
            message: "m".into(),
        };
        insert(c, &row("budget:a", 50, 10)).unwrap();
        insert(c, &row("budget:b", 50, 20)).unwrap();
        assert!(insert(c, &row("budget:a", 50, 30)).is_err(), "each key fires once");
        assert_eq!(fired_ms(c, "budget:a", "2026-03-01..2026-03-31", "threshold", 50).unwrap(), Some(10));
        assert_eq!(fired_ms(c, "budget:a", "2026-03-01..2026-03-31", "threshold", 75).unwrap(), None);
        assert_eq!(fired_ms(c, "budget:a", "2026-04-01..2026-04-30", "threshold", 50).unwrap(), None);
        assert_eq!(all(c).unwrap(), vec![row("budget:b", 50, 20), row("budget:a", 50, 10)]);
        remove_subject(c, "budget:a").unwrap();
        assert_eq!(all(c).unwrap(), vec![row("budget:b", 50, 20)]);
    }
}
