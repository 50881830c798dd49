//! The `compensation` table: the user's pay history, each row in force from its day until
//! the next row's. Proration and the ratio are `ratio`'s.

use rusqlite::{params, Connection};

use crate::error::Result;

/// A compensation row, column for column (ratios as the text the user gave).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompRow {
    /// `YYYY-MM-DD`.
    pub from_day: String,
    pub annual_nanos: i64,
    pub currency: String,
    pub target_ratio: Option<String>,
    pub cap_ratio: Option<String>,
}

/// Stores `c`, replacing the entry of the same day.
pub fn upsert(conn: &Connection, c: &CompRow) -> Result<()> {
    conn.execute(
        "INSERT INTO compensation (from_day, annual_nanos, currency, target_ratio, cap_ratio) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(from_day) DO UPDATE SET annual_nanos = excluded.annual_nanos, currency = excluded.currency,
           target_ratio = excluded.target_ratio, cap_ratio = excluded.cap_ratio",
        params![c.from_day, c.annual_nanos, c.currency, c.target_ratio, c.cap_ratio],
    )?;
    Ok(())
}

/// Every entry, oldest first.
pub fn all(conn: &Connection) -> Result<Vec<CompRow>> {
    let mut stmt = conn.prepare(
        "SELECT from_day, annual_nanos, currency, target_ratio, cap_ratio FROM compensation ORDER BY from_day",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(CompRow {
            from_day: r.get(0)?,
            annual_nanos: r.get(1)?,
            currency: r.get(2)?,
            target_ratio: r.get(3)?,
            cap_ratio: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
