//! Whether someone else committed: SQLite's `PRAGMA data_version` on one connection.
//!
//! The number moves exactly when another connection (this app's commands, the CLI, a live
//! worker) commits to the file; the connection's own commits do not move it. Readers that
//! keep a connection open (the desktop app's prefetch and live worker) compare it to tell
//! whether what they read is still true, without guessing from file events.

use rusqlite::Connection;

use crate::error::Result;

/// The connection's `data_version`: equal between two reads when no other connection
/// committed in between.
pub fn data_version(conn: &Connection) -> Result<i64> {
    Ok(conn.pragma_query_value(None, "data_version", |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_when_another_connection_commits() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("ledger.db");
        let reader = crate::ledger::Ledger::open(&db).unwrap();
        let mut writer = crate::ledger::Ledger::open(&db).unwrap();
        let before = data_version(reader.conn()).unwrap();
        assert_eq!(data_version(reader.conn()).unwrap(), before, "nothing committed");
        writer.set_tz(chrono_tz::Asia::Tokyo).unwrap();
        assert_ne!(data_version(reader.conn()).unwrap(), before, "the other connection committed");
    }
}
