//! The `settings` table: the ledger's own key/value settings (time zone, fiscal-year
//! start, price book version).

use rusqlite::{Connection, OptionalExtension};

use crate::error::Result;

/// The value stored under `key`, if any.
pub fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}
