//! The `settings` table: the ledger's key-value settings (its time zone, the price book
//! version its costs were computed with, the user's preferences in `config`).
//!
//! Invariant: the ledger's zone is read in one place, [`tz`]. A stored name that is not an
//! IANA zone is an error, never quietly UTC: every day of every report depends on it.

use chrono_tz::Tz;
use rusqlite::{Connection, OptionalExtension};

use crate::error::{Error, Result};
use crate::timezone;

/// The value of setting `key`, None when it was never set.
pub fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.prepare_cached("SELECT value FROM settings WHERE key = ?1")?.query_row([key], |r| r.get(0)).optional()?)
}

/// Sets `key` to `value`, replacing what was there.
pub fn set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO settings(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute([key, value])?;
    Ok(())
}

/// Sets `key` to `value` unless it has a value already.
pub fn set_default(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached("INSERT OR IGNORE INTO settings(key, value) VALUES (?1, ?2)")?.execute([key, value])?;
    Ok(())
}

/// The ledger's time zone (CONVENTIONS rule 8): UTC when none is stored (a ledger made
/// before zones were), an error when the stored name is not an IANA zone.
pub fn tz(conn: &Connection) -> Result<Tz> {
    match get(conn, "tz")? {
        Some(name) => timezone::parse_tz(&name).map_err(|e| {
            Error::invalid(
                "the ledger's setting tz",
                &e.0,
                "not an IANA zone name; set one with `tokenburn config set tz NAME`",
            )
        }),
        None => Ok(Tz::UTC),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::ledger::Ledger;

    fn ledger() -> Ledger {
        Ledger::open(std::path::Path::new(":memory:")).unwrap()
    }

    #[test]
    fn zone_is_read_and_defaults_to_utc() {
        let l = ledger();
        let conn = l.conn();
        conn.execute("DELETE FROM settings WHERE key = 'tz'", []).unwrap();
        assert_eq!(tz(conn).unwrap(), Tz::UTC);
        set(conn, "tz", "Europe/Berlin").unwrap();
        assert_eq!(tz(conn).unwrap(), timezone::parse_tz("Europe/Berlin").unwrap());
        assert_eq!(l.tz().unwrap(), timezone::parse_tz("Europe/Berlin").unwrap());
        set_default(conn, "tz", "Asia/Tokyo").unwrap();
        assert_eq!(get(conn, "tz").unwrap().as_deref(), Some("Europe/Berlin"));
    }

    #[test]
    fn invalid_zone_is_an_error_not_utc() {
        let l = ledger();
        set(l.conn(), "tz", "Mars/Olympus").unwrap();
        let err = tz(l.conn()).expect_err("an unknown zone must not read as UTC");
        assert!(err.to_string().contains("Mars/Olympus"), "{err}");
        assert!(l.tz().is_err(), "Ledger::tz reads the same zone");
        // The rollup, which every report refreshes, reads it too: it must fail, not file
        // days under UTC.
        assert!(crate::ledger::queries::rollup::refresh(l.conn(), Tz::UTC).is_err());
    }
}
