//! Export and restore of the whole ledger (events, imports, budgets, alert state,
//! settings, everything), as one JSON document or a folder of CSV files, one per table.
//!
//! Invariant: export then restore gives back every row of every table exactly (integers
//! as integers, text as text, NULL as NULL). Restore writes in one transaction into a
//! ledger that holds nothing yet (or, with `replace`, whose rows it first deletes), so a
//! failed restore leaves the ledger as it was. Rows are inserted by column name: an export
//! from an older schema restores into a newer one, whose new columns take their defaults.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

use rusqlite::types::Value;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::SCHEMA_VERSION;
use crate::error::{Error, Result};

/// Tables in an order that satisfies their foreign keys; any other table follows.
const ORDER: &[&str] = &[
    "settings",
    "imports",
    "import_rejects",
    "names",
    "event_rows",
    "extra_deliveries",
    "event_versions",
    "scan_files",
    "price_overrides",
    "account_links",
    "subscriptions",
    "budgets",
    "alerts",
    "compensation",
];

/// The events and their deliveries as schema versions 1 and 2 kept them (migration 0001).
const OLD_TABLES: &str = "
    CREATE TEMP TABLE old_events (
        id INTEGER PRIMARY KEY, source TEXT NOT NULL, key TEXT NOT NULL, grp TEXT, loose INTEGER NOT NULL DEFAULT 0,
        rank INTEGER NOT NULL DEFAULT 0, authority INTEGER NOT NULL, provider TEXT NOT NULL, account TEXT NOT NULL,
        model TEXT NOT NULL, project TEXT, ts_ms INTEGER NOT NULL, span_ms INTEGER NOT NULL DEFAULT 0, day TEXT,
        utc_day INTEGER NOT NULL, input INTEGER NOT NULL DEFAULT 0, cache_write_5m INTEGER NOT NULL DEFAULT 0,
        cache_write_1h INTEGER NOT NULL DEFAULT 0, cache_read INTEGER NOT NULL DEFAULT 0,
        output INTEGER NOT NULL DEFAULT 0, reasoning INTEGER NOT NULL DEFAULT 0, unsplit INTEGER NOT NULL DEFAULT 0,
        requests INTEGER NOT NULL DEFAULT 0, web_search_requests INTEGER NOT NULL DEFAULT 0, cost_nanos INTEGER,
        cost_kind TEXT NOT NULL, stated_cost INTEGER NOT NULL DEFAULT 0, price_source TEXT,
        superseded INTEGER NOT NULL DEFAULT 0, tokens_superseded INTEGER NOT NULL DEFAULT 0,
        money_superseded INTEGER NOT NULL DEFAULT 0, note TEXT, import_id INTEGER NOT NULL, line INTEGER NOT NULL);
    CREATE TEMP TABLE old_event_imports (event_id INTEGER NOT NULL, import_id INTEGER NOT NULL);";

/// The export document.
#[derive(Serialize, Deserialize)]
pub struct Export {
    pub tokenburn_export: u32,
    pub schema: i64,
    pub tables: BTreeMap<String, Table>,
}

#[derive(Serialize, Deserialize, Default)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Json>>,
}

fn tables(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt =
        conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")?;
    // The rollup tables are derived from the events (queries/rollup.rs): not exported, and
    // rebuilt after a restore.
    let mut names: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    names.retain(|n| !n.starts_with("rollup"));
    names.sort_by_key(|n| ORDER.iter().position(|o| o == n).unwrap_or(usize::MAX));
    Ok(names)
}

fn columns(conn: &Connection, table: &str) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare(&format!("PRAGMA table_info(\"{table}\")"))?;
    let cols = stmt.query_map([], |r| Ok((r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?;
    Ok(cols.collect::<rusqlite::Result<_>>()?)
}

fn to_json(v: Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Integer(i) => Json::from(i),
        Value::Real(f) => Json::from(f),
        Value::Text(t) => Json::from(t),
        Value::Blob(b) => Json::from(b.iter().map(|x| format!("{x:02x}")).collect::<String>()),
    }
}

fn from_json(v: &Json, table: &str, col: &str) -> Result<Value> {
    Ok(match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Integer(*b as i64),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            None => Value::Real(n.as_f64().unwrap_or(0.0)),
        },
        Json::String(s) => Value::Text(s.clone()),
        _ => {
            return Err(Error::BadExport { table: format!("{table}.{col}"), problem: format!("unexpected value {v}") })
        }
    })
}

/// Reads every table.
pub fn export(conn: &Connection) -> Result<Export> {
    let mut out = Export { tokenburn_export: 1, schema: SCHEMA_VERSION, tables: BTreeMap::new() };
    for t in tables(conn)? {
        let cols: Vec<String> = columns(conn, &t)?.into_iter().map(|c| c.0).collect();
        let list = cols.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
        let mut stmt = conn
            .prepare(&format!("SELECT {list} FROM \"{t}\" ORDER BY rowid"))
            .or_else(|_| conn.prepare(&format!("SELECT {list} FROM \"{t}\"")))?;
        let n = cols.len();
        let rows = stmt.query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i).map(to_json)).collect())?;
        let rows = rows.collect::<rusqlite::Result<Vec<Vec<Json>>>>()?;
        out.tables.insert(t, Table { columns: cols, rows });
    }
    Ok(out)
}

pub fn export_json(conn: &Connection, w: &mut dyn Write) -> Result<()> {
    let doc = export(conn)?;
    serde_json::to_writer(&mut *w, &doc)
        .map_err(|e| Error::Write { what: "the export".into(), reason: e.to_string() })?;
    w.write_all(b"\n").map_err(|e| Error::io("(output)", e))
}

/// NULL is `\N`; a text that starts with a backslash gets one more.
fn csv_cell(v: &Json) -> String {
    match v {
        Json::Null => "\\N".into(),
        Json::String(s) if s.starts_with('\\') => format!("\\{s}"),
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Writes one `<table>.csv` per table (and `export.json` with the schema) into `dir`.
pub fn export_csv(conn: &Connection, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let doc = export(conn)?;
    let meta = serde_json::json!({"tokenburn_export": 1, "schema": doc.schema, "format": "csv",
                                  "tables": doc.tables.keys().collect::<Vec<_>>()});
    let meta_path = dir.join("export.json");
    super::create_private(&meta_path)?.write_all(meta.to_string().as_bytes()).map_err(|e| Error::io(&meta_path, e))?;
    for (name, t) in &doc.tables {
        let path = dir.join(format!("{name}.csv"));
        let mut w = csv::Writer::from_writer(super::create_private(&path)?);
        let err = |e: csv::Error| Error::Write { what: path.display().to_string(), reason: e.to_string() };
        w.write_record(&t.columns).map_err(err)?;
        for row in &t.rows {
            w.write_record(row.iter().map(csv_cell)).map_err(err)?;
        }
        w.flush().map_err(|e| Error::io(&path, e))?;
    }
    Ok(())
}

/// Reads a CSV export folder back into the JSON document shape, typing cells by the
/// current schema's declared column types.
pub fn read_csv(conn: &Connection, dir: &Path) -> Result<Export> {
    let meta: Json = serde_json::from_str(
        &std::fs::read_to_string(dir.join("export.json")).map_err(|e| Error::io(dir.join("export.json"), e))?,
    )
    .map_err(|e| Error::BadFile { path: dir.join("export.json"), reason: e.to_string() })?;
    let schema = meta["schema"].as_i64().unwrap_or(0);
    let mut doc = Export { tokenburn_export: 1, schema, tables: BTreeMap::new() };
    for name in meta["tables"].as_array().into_iter().flatten().filter_map(Json::as_str) {
        let types: BTreeMap<String, String> = columns(conn, name)?.into_iter().collect();
        let path = dir.join(format!("{name}.csv"));
        let bad =
            |line: u64, reason: String| Error::BadFile { path: path.clone(), reason: format!("line {line}: {reason}") };
        let mut r = csv::Reader::from_path(&path).map_err(|e| bad(1, e.to_string()))?;
        let cols: Vec<String> = r.headers().map_err(|e| bad(1, e.to_string()))?.iter().map(str::to_string).collect();
        let mut t = Table { columns: cols.clone(), rows: Vec::new() };
        for (i, rec) in r.records().enumerate() {
            let line = i as u64 + 2;
            let rec = rec.map_err(|e| bad(line, e.to_string()))?;
            let mut row = Vec::with_capacity(cols.len());
            for (c, cell) in cols.iter().zip(rec.iter()) {
                let integer = types.get(c).is_some_and(|ty| ty.eq_ignore_ascii_case("INTEGER"));
                row.push(match cell {
                    "\\N" => Json::Null,
                    s if integer => {
                        Json::from(s.parse::<i64>().map_err(|_| bad(line, format!("{c}: {s:?} is not an integer")))?)
                    }
                    s => Json::from(s.strip_prefix('\\').unwrap_or(s)),
                });
            }
            t.rows.push(row);
        }
        doc.tables.insert(name.to_string(), t);
    }
    Ok(doc)
}

/// Reads an export: a JSON file, or a folder written by [`export_csv`].
pub fn read(conn: &Connection, path: &Path) -> Result<Export> {
    if path.is_dir() {
        return read_csv(conn, path);
    }
    let mut text = String::new();
    std::fs::File::open(path).and_then(|mut f| f.read_to_string(&mut text)).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| crate::import::bad_json(path, &e))
}

/// Restores `doc` into the ledger in one transaction. Refuses a ledger that holds rows
/// unless `replace`, and an export from a newer schema than this build's.
pub fn restore(conn: &Connection, doc: &Export, replace: bool) -> Result<u64> {
    if doc.schema > SCHEMA_VERSION {
        return Err(Error::ExportTooNew { found: doc.schema, supported: SCHEMA_VERSION });
    }
    let present = tables(conn)?;
    // Before schema 3 the events were a table of their own, with every delivery linked: they
    // are read into temporary tables of that shape and converted.
    let old = doc.schema < 3;
    let target = |name: &str| match name {
        "events" | "event_imports" if old => format!("temp.\"old_{name}\""),
        _ => format!("\"{name}\""),
    };
    for name in doc.tables.keys() {
        if !present.contains(name) && !(old && (name == "events" || name == "event_imports")) {
            return Err(Error::BadExport { table: name.clone(), problem: "a table this ledger does not know".into() });
        }
    }
    conn.execute_batch("BEGIN IMMEDIATE; PRAGMA defer_foreign_keys = ON;")?;
    let result = (|| -> Result<u64> {
        let holds: i64 = conn.query_row(
            "SELECT (SELECT COUNT(*) FROM events) + (SELECT COUNT(*) FROM imports) + (SELECT COUNT(*) FROM budgets)",
            [],
            |r| r.get(0),
        )?;
        if holds > 0 && !replace {
            return Err(Error::NotEmpty);
        }
        for t in present.iter().rev() {
            conn.execute(&format!("DELETE FROM \"{t}\""), [])?;
        }
        // No rollup state: the next read rebuilds it from the restored events.
        conn.execute("DELETE FROM rollup_state", [])?;
        if old {
            conn.execute_batch(OLD_TABLES)?;
        }
        let mut order = present.clone();
        if old {
            let at = order.iter().position(|t| t == "names").unwrap_or(order.len());
            order.splice(at..at, ["events".to_string(), "event_imports".to_string()]);
        }
        let mut n = 0;
        for name in &order {
            let Some(t) = doc.tables.get(name) else { continue };
            let cols = t.columns.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
            let marks = (1..=t.columns.len()).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ");
            let mut stmt = conn.prepare(&format!("INSERT INTO {} ({cols}) VALUES ({marks})", target(name)))?;
            for row in &t.rows {
                if row.len() != t.columns.len() {
                    return Err(Error::BadExport {
                        table: name.clone(),
                        problem: format!("a row has {} values for {} columns", row.len(), t.columns.len()),
                    });
                }
                let values: Vec<Value> =
                    row.iter().zip(&t.columns).map(|(v, c)| from_json(v, name, c)).collect::<Result<_>>()?;
                stmt.execute(rusqlite::params_from_iter(values))?;
                n += 1;
            }
        }
        if old {
            super::queries::events::convert_v2(conn, "temp.old_events", "temp.old_event_imports")?;
            conn.execute_batch("DROP TABLE temp.old_events; DROP TABLE temp.old_event_imports;")?;
        }
        Ok(n)
    })();
    match result {
        Ok(n) => {
            conn.execute_batch("COMMIT")?;
            Ok(n)
        }
        Err(e) => {
            conn.execute_batch("ROLLBACK")?;
            Err(e)
        }
    }
}
