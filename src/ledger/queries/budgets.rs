//! The `budgets` table, and the two reads a budget's status makes of the events' tables:
//! its daily amounts from the rollup's day table, and the first day of the events.
//!
//! Rows are stored as entered (filters as JSON lists, thresholds as `50,75,90,100` text,
//! days as `YYYY-MM-DD`); `budget` turns them into its types and checks them.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::Result;

/// A budget's row, column for column (`created_ms` aside).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetRow {
    pub name: String,
    /// Nano-dollars or tokens, per `unit`.
    pub amount: i64,
    pub unit: String,
    pub period: String,
    pub start_day: Option<String>,
    pub end_day: Option<String>,
    pub fiscal_year_start: u32,
    /// JSON lists of strings.
    pub providers: String,
    pub models: String,
    pub projects: String,
    pub thresholds: String,
    /// A JSON list of source names (migration 0008).
    pub sources: String,
}

const COLUMNS: &str =
    "name, amount, unit, period, start_day, end_day, fiscal_year_start, providers, models, projects, thresholds, sources";

fn row(r: &rusqlite::Row) -> rusqlite::Result<BudgetRow> {
    Ok(BudgetRow {
        name: r.get(0)?,
        amount: r.get(1)?,
        unit: r.get(2)?,
        period: r.get(3)?,
        start_day: r.get(4)?,
        end_day: r.get(5)?,
        fiscal_year_start: r.get(6)?,
        providers: r.get(7)?,
        models: r.get(8)?,
        projects: r.get(9)?,
        thresholds: r.get(10)?,
        sources: r.get(11)?,
    })
}

/// Every budget, by name.
pub fn all(conn: &Connection) -> Result<Vec<BudgetRow>> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM budgets ORDER BY name"))?;
    let rows = stmt.query_map([], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The budget named `name`.
pub fn get(conn: &Connection, name: &str) -> Result<Option<BudgetRow>> {
    Ok(conn.query_row(&format!("SELECT {COLUMNS} FROM budgets WHERE name = ?1"), [name], row).optional()?)
}

/// Stores `b`, replacing the budget of the same name (whose creation time stays).
pub fn upsert(conn: &Connection, b: &BudgetRow, created_ms: i64) -> Result<()> {
    conn.execute(
        "INSERT INTO budgets (name, amount, unit, period, start_day, end_day, fiscal_year_start, providers, models,
                              projects, thresholds, created_ms, sources)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT(name) DO UPDATE SET amount = excluded.amount, unit = excluded.unit, period = excluded.period,
           start_day = excluded.start_day, end_day = excluded.end_day, fiscal_year_start = excluded.fiscal_year_start,
           providers = excluded.providers, models = excluded.models, projects = excluded.projects,
           thresholds = excluded.thresholds, sources = excluded.sources",
        params![
            b.name,
            b.amount,
            b.unit,
            b.period,
            b.start_day,
            b.end_day,
            b.fiscal_year_start,
            b.providers,
            b.models,
            b.projects,
            b.thresholds,
            created_ms,
            b.sources
        ],
    )?;
    Ok(())
}

/// Removes the budget named `name`; false when there is none. (Its alerts are the
/// `alerts` table's: see `alerts::remove_subject`.)
pub fn remove(conn: &Connection, name: &str) -> Result<bool> {
    Ok(conn.execute("DELETE FROM budgets WHERE name = ?1", [name])? > 0)
}

/// One row of the rollup's day table as budgets read it: a (local day, combination)'s
/// counted money (billed + estimated + manual, nano-dollars) and tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayAmount {
    /// The local day's number (`rollup::day_number`).
    pub day: i64,
    /// The combination's number (`rollup::combos`).
    pub combo: i64,
    pub money: i64,
    pub tokens: i64,
}

/// Calls `each` with every row of the rollup's day table for local days `first..=last`
/// (the rollup must be up to date). A visitor rather than a list: a year of days and a
/// hundred combinations make tens of thousands of rows.
pub fn day_amounts(conn: &Connection, first: i64, last: i64, mut each: impl FnMut(DayAmount)) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT lday, combo, billed + estimated + manual,
                input + cache_write_5m + cache_write_1h + cache_read + output + unsplit
         FROM rollup_days WHERE lday >= ?1 AND lday <= ?2",
    )?;
    let mut q = stmt.query(params![first, last])?;
    while let Some(r) = q.next()? {
        each(DayAmount { day: r.get(0)?, combo: r.get(1)?, money: r.get(2)?, tokens: r.get(3)? });
    }
    Ok(())
}

/// The earliest whole-day date (`YYYY-MM-DD`, if any event has one) and the earliest
/// instant (epoch ms) of all the events, read from the events themselves; None without
/// events.
pub fn first_event(conn: &Connection) -> Result<Option<(Option<String>, i64)>> {
    let row: Option<(Option<String>, Option<i64>)> =
        conn.query_row("SELECT MIN(day), MIN(ts_ms) FROM events", [], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
    Ok(row.and_then(|(d, t)| t.map(|t| (d, t))))
}
