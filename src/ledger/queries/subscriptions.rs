//! The `subscriptions` table: fees the user pays, stored as entered. What a subscription
//! means for the counting (its fee amortised per day, the estimates it covers turned into
//! value) is `spend`'s.

use rusqlite::{params, Connection};

use crate::error::Result;

/// A subscription's row, column for column (dates as `YYYY-MM-DD` text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionRow {
    pub name: String,
    pub usd_nanos: i64,
    /// `week`, `month`, `quarter` or `year`.
    pub every: String,
    pub from_day: String,
    pub until_day: Option<String>,
    pub covers: Option<String>,
    pub provider: Option<String>,
}

/// Stores a new subscription; false (and nothing stored) when one of that name exists.
pub fn insert(conn: &Connection, s: &SubscriptionRow) -> Result<bool> {
    let done = conn.execute(
        "INSERT INTO subscriptions (name, usd_nanos, every, from_day, until_day, covers, provider)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![s.name, s.usd_nanos, s.every, s.from_day, s.until_day, s.covers, s.provider],
    );
    match done {
        Ok(_) => Ok(true),
        Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Removes the subscription named `name`; false when there is none.
pub fn remove(conn: &Connection, name: &str) -> Result<bool> {
    Ok(conn.execute("DELETE FROM subscriptions WHERE name = ?1", [name])? > 0)
}

/// Every subscription, by start day and name.
pub fn all(conn: &Connection) -> Result<Vec<SubscriptionRow>> {
    let mut stmt = conn.prepare(
        "SELECT name, usd_nanos, every, from_day, until_day, covers, provider FROM subscriptions ORDER BY from_day, name",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(SubscriptionRow {
            name: r.get(0)?,
            usd_nanos: r.get(1)?,
            every: r.get(2)?,
            from_day: r.get(3)?,
            until_day: r.get(4)?,
            covers: r.get(5)?,
            provider: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_subscription_of_the_same_name_is_refused_and_the_first_kept() {
        let l = crate::ledger::Ledger::open(std::path::Path::new(":memory:")).unwrap();
        let row = |usd_nanos| SubscriptionRow {
            name: "max".into(),
            usd_nanos,
            every: "month".into(),
            from_day: "2026-01-01".into(),
            until_day: None,
            covers: Some("claude-code".into()),
            provider: None,
        };
        assert!(insert(l.conn(), &row(100)).unwrap());
        assert!(!insert(l.conn(), &row(200)).unwrap());
        assert_eq!(all(l.conn()).unwrap(), vec![row(100)]);
        assert!(remove(l.conn(), "max").unwrap());
        assert!(!remove(l.conn(), "max").unwrap());
        assert!(all(l.conn()).unwrap().is_empty());
    }
}
