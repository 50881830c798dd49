//! Rule 9's per-day decisions over `event_rows`: which events of an (account, UTC day)
//! are superseded, and what a write touched so that only those days are decided again.
//!
//! This file holds the reads and the one write the decision needs; the decision itself
//! (which accounts share a day, which days to re-decide) is `spend`'s. Accounts and cost
//! kinds are passed as their ids in the names table (`events::name_id`).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use rusqlite::{params, Connection};

use crate::error::Result;
use crate::model::Authority;

/// The account a source's events belong to before links: a vendor export to its vendor,
/// an agent log to its own account (rule 9).
pub fn default_account(source: &str) -> String {
    let vendors = ["openai", "anthropic", "cursor", "openrouter", "copilot"];
    // `copilot-cli` is an agent's log, not GitHub's Copilot export: it has its own account.
    if let Some(v) = vendors.iter().find(|v| source.starts_with(*v) && source != "copilot-cli") {
        return v.to_string();
    }
    match source {
        "claude-code" | "claude-stats" => "claude-code".into(),
        "ccusage-json" => "ccusage".into(),
        other => other.strip_prefix("rules:").unwrap_or(other).to_string(),
    }
}

/// The date of a UTC day number (days since 1970-01-01, the `utc_day` column).
pub fn day_of(n: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid") + chrono::Duration::days(n)
}

/// (account, UTC day number) pairs: the unit rule 9 decides.
pub type AccountDays = BTreeSet<(String, i64)>;

/// What a write changed, for rule 9 to re-decide: the (account, UTC day)s it touched, and
/// what it knows of the events it inserted, so that a large import is decided without
/// reading its own rows back (an index range per day instead of a million row lookups).
#[derive(Debug)]
pub struct Touched {
    pub days: AccountDays,
    /// Events with an id from here on were inserted by this write, with no flags set.
    pub first_new: i64,
    /// Days where one of those events is vendor usage with tokens.
    pub new_tokens: BTreeSet<(String, i64)>,
    /// Days where one of those events changed after its insert: decided from every event.
    pub reread: BTreeSet<(String, i64)>,
}

impl Touched {
    /// Nothing touched yet by a write whose inserts get ids from `first_new` on.
    pub fn new(first_new: i64) -> Touched {
        Touched { days: BTreeSet::new(), first_new, new_tokens: BTreeSet::new(), reread: BTreeSet::new() }
    }
}

/// Whether account `account` has, on UTC day `day`, an unsuperseded vendor-usage event with
/// tokens among the events with an id below `before`.
pub fn has_vendor_tokens(conn: &Connection, account: i64, day: i64, before: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM event_rows WHERE utc_day = ?2 AND account = ?1 AND authority = ?3
             AND id < ?4 AND superseded = 0
             AND input + cache_write_5m + cache_write_1h + cache_read + output + unsplit > 0)",
        )?
        .query_row(params![account, day, Authority::Vendor as i64, before], |r| r.get(0))?)
}

/// Whether account `account` has an event of cost kind `kind` on UTC day `day`.
pub fn has_cost_kind(conn: &Connection, account: i64, day: i64, kind: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM event_rows WHERE utc_day = ?2 AND account = ?1 AND cost_kind = ?3)",
        )?
        .query_row(params![account, day, kind], |r| r.get(0))?)
}

/// What one (account, UTC day) decided.
#[derive(Debug, Clone, Copy)]
pub struct Decision {
    /// Vendor usage has tokens that day: lower authorities' tokens are superseded.
    pub vendor_tokens: bool,
    /// Billed money exists that day: estimates are superseded.
    pub billed: bool,
    /// The id of the estimated cost kind.
    pub estimated_kind: i64,
}

/// Sets the superseded flags of account `account`'s events on UTC day `day` as `d` says.
/// Events with an id from `first_new` on were inserted unflagged: only those the decision
/// flags are visited. Rows whose flags already hold are not rewritten. Returns how many
/// rows changed.
pub fn set_flags(conn: &Connection, account: i64, day: i64, d: Decision, first_new: i64) -> Result<usize> {
    Ok(conn
        .prepare_cached(
            "UPDATE event_rows SET
               tokens_superseded = (authority < ?3 AND ?4),
               money_superseded = (cost_kind = ?6 AND (?5 OR (authority < ?3 AND ?4)))
             WHERE utc_day = ?2 AND account = ?1
               AND (id < ?7 OR (authority < ?3 AND ?4) OR (cost_kind = ?6 AND ?5))
               AND (tokens_superseded IS NOT (authority < ?3 AND ?4)
                    OR money_superseded IS NOT (cost_kind = ?6 AND (?5 OR (authority < ?3 AND ?4))))",
        )?
        .execute(params![
            account,
            day,
            Authority::Vendor as i64,
            d.vendor_tokens,
            d.billed,
            d.estimated_kind,
            first_new
        ])?)
}
