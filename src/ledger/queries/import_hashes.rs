//! The `imports` table's content hash when it is known only after the import: a file too
//! large to read into memory is hashed as it is parsed, after its import row was inserted.

use rusqlite::{params, Connection};

use crate::error::Result;

/// Sets the SHA-256 of the bytes import `id` spans.
pub fn set_sha256(conn: &Connection, id: i64, sha256: &str) -> Result<()> {
    conn.prepare_cached("UPDATE imports SET sha256 = ?2 WHERE id = ?1")?.execute(params![id, sha256])?;
    Ok(())
}
