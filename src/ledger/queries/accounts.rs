//! The `account_links` table (which account bills another's usage) and the per-account
//! overview read from the events or their rollup.
//!
//! Links are one level deep: the account a link points to bills for itself (`spend::link`
//! keeps it so). What a link changes in the counting is decided by `spend`.

use rusqlite::{Connection, OptionalExtension};

use crate::error::Result;

/// The account that bills `account`'s usage, if it is linked.
pub fn billed_by(conn: &Connection, account: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT billed_by FROM account_links WHERE account = ?1")?
        .query_row([account], |r| r.get(0))
        .optional()?)
}

/// The accounts linked to `billed_by` (not itself).
pub fn billed_for(conn: &Connection, billed_by: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT account FROM account_links WHERE billed_by = ?1")?;
    let rows = stmt.query_map([billed_by], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Links `account` to `billed_by`, replacing its link if it had one.
pub fn set(conn: &Connection, account: &str, billed_by: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO account_links (account, billed_by) VALUES (?1, ?2)
         ON CONFLICT(account) DO UPDATE SET billed_by = excluded.billed_by",
        [account, billed_by],
    )?;
    Ok(())
}

/// Points every link to `from` at `to` instead.
pub fn repoint(conn: &Connection, from: &str, to: &str) -> Result<()> {
    conn.execute("UPDATE account_links SET billed_by = ?2 WHERE billed_by = ?1", [from, to])?;
    Ok(())
}

/// Removes `account`'s link; false when it had none.
pub fn remove(conn: &Connection, account: &str) -> Result<bool> {
    Ok(conn.execute("DELETE FROM account_links WHERE account = ?1", [account])? > 0)
}

/// Every link as (account, billed_by), by account.
pub fn links(conn: &Connection) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare("SELECT account, billed_by FROM account_links ORDER BY account")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The UTC days on which `account` has events, read from the rollup when `from_rollup`
/// (it must be up to date) and from the events otherwise.
pub fn days(conn: &Connection, account: &str, from_rollup: bool) -> Result<Vec<i64>> {
    let table = if from_rollup { "rollup" } else { "events" };
    let mut stmt = conn.prepare_cached(&format!("SELECT DISTINCT utc_day FROM {table} WHERE account = ?1"))?;
    let rows = stmt.query_map([account], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One account with events, as the overview reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub account: String,
    pub billed_by: Option<String>,
    /// Its sources, comma-separated, each once, in no particular order.
    pub sources: String,
    pub events: i64,
    /// Its first and last UTC day numbers.
    pub first_day: Option<i64>,
    pub last_day: Option<i64>,
}

/// Every account that has events, by name, read from the rollup when `from_rollup` (it
/// has every event's account, source and UTC day in far fewer rows; it must be up to
/// date) and from the events otherwise.
pub fn with_events(conn: &Connection, from_rollup: bool) -> Result<Vec<AccountRow>> {
    let table = if from_rollup {
        "(SELECT account, source, events AS n, utc_day FROM rollup)"
    } else {
        "(SELECT account, source, 1 AS n, utc_day FROM events)"
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT e.account, l.billed_by, group_concat(DISTINCT e.source), SUM(e.n), MIN(e.utc_day), MAX(e.utc_day)
         FROM {table} e LEFT JOIN account_links l ON l.account = e.account
         GROUP BY e.account ORDER BY e.account"
    ))?;
    let rows = stmt.query_map([], |r| {
        Ok(AccountRow {
            account: r.get(0)?,
            billed_by: r.get(1)?,
            sources: r.get(2)?,
            events: r.get(3)?,
            first_day: r.get(4)?,
            last_day: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_set_replaced_repointed_and_removed() {
        let l = crate::ledger::Ledger::open(std::path::Path::new(":memory:")).unwrap();
        let c = l.conn();
        set(c, "claude-code", "anthropic").unwrap();
        set(c, "codex", "anthropic").unwrap();
        set(c, "codex", "openai").unwrap();
        assert_eq!(billed_by(c, "codex").unwrap().as_deref(), Some("openai"));
        assert_eq!(billed_by(c, "openai").unwrap(), None);
        repoint(c, "anthropic", "team").unwrap();
        assert_eq!(billed_for(c, "team").unwrap(), vec!["claude-code".to_string()]);
        assert!(remove(c, "codex").unwrap());
        assert!(!remove(c, "codex").unwrap());
        assert_eq!(links(c).unwrap(), vec![("claude-code".to_string(), "team".to_string())]);
    }
}
