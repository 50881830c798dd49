//! The `price_overrides` table: the user's own prices, which beat the embedded book.

use chrono::NaiveDate;
use rusqlite::{params, Connection};

use crate::error::{Error, Result};
use crate::money::PerMTok;
use crate::pricing::{PriceOverride, Rates};
use crate::timezone;

/// An override as the user typed it: dollars per million tokens, as text.
#[derive(Debug, Clone)]
pub struct OverrideRow {
    pub model: String,
    pub from: Option<NaiveDate>,
    pub input: String,
    pub output: String,
    pub cache_read: Option<String>,
    pub cache_write_5m: Option<String>,
    pub cache_write_1h: Option<String>,
}

impl OverrideRow {
    /// Parses the prices, filling missing cache prices the way the book does
    /// (read = input, 5m write = 1.25x input, 1h write = 2x input).
    pub fn to_override(&self) -> Result<PriceOverride> {
        let p = |what: &str, s: &str| {
            let bad = |e: String| Error::invalid(format!("price override for {}: {what}", self.model), s, e);
            match PerMTok::parse_per_mtok(s) {
                Ok(v) if v.0 < 0 => Err(bad("is negative".into())),
                Ok(v) => Ok(v),
                Err(e) => Err(bad(e.to_string())),
            }
        };
        let input = p("input", &self.input)?;
        let opt = |what: &str, s: &Option<String>, dflt: PerMTok| s.as_deref().map(|s| p(what, s)).unwrap_or(Ok(dflt));
        Ok(PriceOverride {
            model: self.model.clone(),
            from: self.from,
            rates: Rates {
                input,
                output: p("output", &self.output)?,
                cache_read: opt("cache read", &self.cache_read, input)?,
                cache_write_5m: opt("cache write 5m", &self.cache_write_5m, input.scale(5, 4))?,
                cache_write_1h: opt("cache write 1h", &self.cache_write_1h, input.scale(2, 1))?,
            },
        })
    }
}

pub fn upsert(conn: &Connection, o: &OverrideRow) -> Result<()> {
    o.to_override()?; // validate before storing
    conn.execute(
        "INSERT INTO price_overrides (model, from_date, input, output, cache_read, cache_write_5m, cache_write_1h)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(model, from_date) DO UPDATE SET input=excluded.input, output=excluded.output,
           cache_read=excluded.cache_read, cache_write_5m=excluded.cache_write_5m, cache_write_1h=excluded.cache_write_1h",
        params![
            o.model,
            o.from.map(|d| d.to_string()).unwrap_or_default(),
            o.input,
            o.output,
            o.cache_read,
            o.cache_write_5m,
            o.cache_write_1h
        ],
    )?;
    Ok(())
}

/// Deletes the override of `model` from `from` (None: the one that applies always);
/// false when there was none.
pub fn remove(conn: &Connection, model: &str, from: Option<NaiveDate>) -> Result<bool> {
    let from = from.map(|d| d.to_string()).unwrap_or_default();
    Ok(conn.execute("DELETE FROM price_overrides WHERE model = ?1 AND from_date = ?2", params![model, from])? > 0)
}

pub fn rows(conn: &Connection) -> Result<Vec<OverrideRow>> {
    let mut stmt = conn.prepare(
        "SELECT model, from_date, input, output, cache_read, cache_write_5m, cache_write_1h FROM price_overrides
         ORDER BY model, from_date",
    )?;
    let rows = stmt.query_map([], |r| {
        let from: String = r.get(1)?;
        Ok(OverrideRow {
            model: r.get(0)?,
            from: timezone::parse_date(&from),
            input: r.get(2)?,
            output: r.get(3)?,
            cache_read: r.get(4)?,
            cache_write_5m: r.get(5)?,
            cache_write_1h: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn overrides(conn: &Connection) -> Result<Vec<PriceOverride>> {
    rows(conn)?.iter().map(OverrideRow::to_override).collect()
}
