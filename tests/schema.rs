//! Schema upgrades: a ledger written by each released schema version opens with the newest
//! code, is migrated (`user_version`), and keeps every row users put in it.
//!
//! `tests/fixtures/ledgers/vN.db` were written by the code of schema N itself (see
//! `scripts/make-ledger-fixture`, which says how to regenerate one). The numbers below were
//! read from the file when it was made; they pin what the upgrade must keep.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags};
use tokenburn::ledger::{Ledger, SCHEMA_VERSION};

/// The tables of schema v1, in the order their rows are compared.
const V1_TABLES: &[&str] = &[
    "settings",
    "imports",
    "import_rejects",
    "events",
    "scan_files",
    "price_overrides",
    "event_imports",
    "account_links",
    "subscriptions",
    "budgets",
    "alerts",
    "compensation",
];

type Rows = Vec<BTreeMap<String, Value>>;

/// Every row of `table` (the given columns), in rowid/primary-key order.
fn rows(conn: &Connection, table: &str, columns: &[String]) -> Rows {
    let list = columns.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
    let mut st = conn.prepare(&format!("SELECT {list} FROM {table} ORDER BY {list}")).unwrap();
    let out = st
        .query_map([], |r| {
            let mut m = BTreeMap::new();
            for (i, c) in columns.iter().enumerate() {
                m.insert(c.clone(), r.get::<_, Value>(i)?);
            }
            Ok(m)
        })
        .unwrap()
        .collect::<Result<Rows, _>>()
        .unwrap();
    out
}

fn columns(conn: &Connection, table: &str) -> Vec<String> {
    let mut st = conn.prepare(&format!("SELECT name FROM pragma_table_info('{table}')")).unwrap();
    let cols = st.query_map([], |r| r.get(0)).unwrap().collect::<Result<Vec<String>, _>>().unwrap();
    assert!(!cols.is_empty(), "table {table} is missing");
    cols
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A copy of the fixture in a temp folder (the committed file is never opened for writing).
fn copy_of(name: &str, env: &Env) -> std::path::PathBuf {
    let from = fixtures().join("ledgers").join(name);
    std::fs::copy(&from, &env.db).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
    env.db.clone()
}

/// Columns whose value a newer build may legitimately change on open: the price book of the
/// newer build re-prices *estimated* events (never billed ones), and records its version.
fn comparable(table: &str, mut rows: Rows) -> Rows {
    for r in &mut rows {
        match table {
            "events" if r["stated_cost"] == Value::Integer(0) => {
                // Estimated money follows the price book; that a priced event stays priced is
                // checked apart.
                let priced = !matches!(r["cost_nanos"], Value::Null);
                r.insert("cost_nanos".into(), Value::Integer(priced as i64));
                r.remove("price_source");
            }
            "settings" if r["key"] == Value::Text("price_version".into()) => {
                r.remove("value");
            }
            _ => {}
        }
    }
    rows
}

/// Each v1 table's columns and comparable rows.
fn snapshot(path: &Path) -> BTreeMap<&'static str, (Vec<String>, Rows)> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    V1_TABLES
        .iter()
        .map(|&t| {
            let cols = columns(&conn, t);
            let r = comparable(t, rows(&conn, t, &cols));
            (t, (cols, r))
        })
        .collect()
}

#[test]
fn a_v1_ledger_opens_migrated_with_every_row_intact() {
    opens_migrated_with_every_row_intact("v1.db", 1);
}

/// `v2.db` was written by the schema-2 build (8cbb191) with the same script and fixtures,
/// so it holds the same rows and numbers as `v1.db`.
#[test]
fn a_v2_ledger_opens_migrated_with_every_row_intact() {
    opens_migrated_with_every_row_intact("v2.db", 2);
}

/// `v4.db` was written by the schema-4 build (fb023ab), the next released one, with the same
/// script and fixtures: its events are already compact rows (schema 3), with a rollup.
#[test]
fn a_v4_ledger_opens_migrated_with_every_row_intact() {
    opens_migrated_with_every_row_intact("v4.db", 4);
}

fn opens_migrated_with_every_row_intact(fixture_name: &str, version: i64) {
    let env = Env::new();
    let db = copy_of(fixture_name, &env);
    let before = snapshot(&db);
    {
        let conn = Connection::open(&db).unwrap();
        assert_eq!(count(&conn, "PRAGMA user_version"), version, "the fixture is not a v{version} ledger");
    }

    let ledger = Ledger::open(&db).unwrap();
    let conn = ledger.conn();
    assert_eq!(count(conn, "PRAGMA user_version"), SCHEMA_VERSION);
    assert_eq!(conn.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0)).unwrap(), "ok");

    // Every row of every v1 table, column by column (the v1 columns; new ones may be added).
    // Since version 3 `events` is a view whose `key` is the key's hash and whose `grp` is
    // its group's, and an event's deliveries are its own import plus `extra_deliveries`.
    for (table, (cols, old)) in &before {
        let source = match *table {
            "event_imports" => {
                "(SELECT id AS event_id, import_id FROM event_rows
                                UNION SELECT event_id, import_id FROM extra_deliveries)"
            }
            t => t,
        };
        // The view's `grp` is a hash of the group's; compared is whether there is one.
        let grouped = |rows: &mut Rows| {
            for r in rows {
                let grouped = !matches!(r["grp"], Value::Null);
                r.insert("grp".into(), Value::Integer(grouped as i64));
            }
        };
        let mut old = old.clone();
        if *table == "events" && version >= 3 {
            // Already the view the newest build reads.
            grouped(&mut old);
        } else if *table == "events" {
            for r in &mut old {
                let text = |v: &Value| match v {
                    Value::Text(t) => Some(t.clone()),
                    _ => None,
                };
                let (source, key, grp) = (text(&r["source"]).unwrap(), text(&r["key"]).unwrap(), text(&r["grp"]));
                let ordered = match (&r["authority"], &r["utc_day"], &grp) {
                    (Value::Integer(3), Value::Integer(day), None) => Some(*day),
                    _ => None,
                };
                let hash = tokenburn::ledger::queries::events::key_hash(&source, &key, grp.as_deref(), ordered);
                r.insert("key".into(), Value::Text(format!("{hash:016x}")));
                r.insert("grp".into(), Value::Integer(grp.is_some() as i64));
            }
            old.sort_by_key(|r| match r["id"] {
                Value::Integer(i) => i,
                _ => 0,
            });
        }
        let mut now = comparable(table, rows(conn, source, cols));
        if *table == "events" {
            grouped(&mut now);
            now.sort_by_key(|r| match r["id"] {
                Value::Integer(i) => i,
                _ => 0,
            });
        }
        assert_eq!(now.len(), old.len(), "{table}: row count changed by the upgrade");
        for (i, (n, o)) in now.iter().zip(&old).enumerate() {
            assert_eq!(n, o, "{table}: row {i} changed by the upgrade");
        }
    }

    // The numbers recorded from the file when it was written (scripts/make-ledger-fixture).
    let n = |sql: &str| count(conn, sql);
    assert_eq!(n("SELECT count(*) FROM events"), V1.events);
    assert_eq!(n("SELECT count(*) FROM imports"), V1.imports);
    assert_eq!(n("SELECT count(*) FROM import_rejects"), V1.rejects);
    assert_eq!(
        n("SELECT (SELECT count(*) FROM event_rows) + (SELECT count(*) FROM extra_deliveries)"),
        V1.event_imports
    );
    assert_eq!(n("SELECT count(*) FROM scan_files"), V1.scan_files);
    assert_eq!(
        n("SELECT sum(input + cache_write_5m + cache_write_1h + cache_read + output) FROM events"),
        V1.total_tokens
    );
    assert_eq!(n("SELECT sum(requests) FROM events"), V1.requests);
    assert_eq!(n("SELECT sum(cost_nanos) FROM events WHERE stated_cost = 1"), V1.stated_nanos);
    assert_eq!(n("SELECT count(*) FROM events WHERE cost_nanos IS NULL"), V1.unpriced);
    assert_eq!(n("SELECT count(*) FROM events WHERE cost_kind = 'manual'"), 1);
    assert_eq!(ledger.setting("tz").unwrap().as_deref(), Some("Europe/Berlin"));

    // What the user set, through the CLI of the newest build.
    let budgets = env.json(&["budget", "list"]);
    let names: Vec<&str> = budgets.as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["team-august", "tokens-year"], "{budgets}");
    assert_eq!(n("SELECT amount FROM budgets WHERE name = 'team-august'"), 10_000_000_000);
    assert_eq!(n("SELECT amount FROM budgets WHERE name = 'tokens-year'"), 500_000_000);
    assert_eq!(n("SELECT count(*) FROM alerts WHERE subject = 'budget:team-august'"), 2);
    assert_eq!(n("SELECT annual_nanos FROM compensation WHERE from_day = '2026-04-01'"), 195_000_500_000_000);
    assert_eq!(n("SELECT usd_nanos FROM subscriptions WHERE name = 'claude-max'"), 200_000_000_000);
    assert_eq!(n("SELECT count(*) FROM price_overrides"), 2);
    assert_eq!(n("SELECT count(*) FROM account_links WHERE account = 'codex' AND billed_by = 'openai'"), 1);
    let alerts = env.json(&["alerts", "--at", "2026-08-20"]);
    assert!(alerts.to_string().contains("team-august reached 100%"), "{alerts}");

    // Re-importing what the older build imported adds nothing.
    drop(ledger);
    let again = env.json(&["import", &fixture("cursor-csv"), &fixture("claude-code/projects")]);
    let added: i64 = again["files"].as_array().unwrap().iter().map(|f| f["added"].as_i64().unwrap_or(0)).sum();
    assert_eq!(added, 0, "{again}");
    let conn = Connection::open(&db).unwrap();
    assert_eq!(count(&conn, "SELECT count(*) FROM events"), V1.events);
}

struct Recorded {
    events: i64,
    imports: i64,
    rejects: i64,
    event_imports: i64,
    scan_files: i64,
    total_tokens: i64,
    requests: i64,
    stated_nanos: i64,
    unpriced: i64,
}

const V1: Recorded = Recorded {
    events: 92,
    imports: 33,
    rejects: 7,
    event_imports: 99,
    scan_files: 3,
    total_tokens: 2_504_923,
    requests: 1_349,
    stated_nanos: 1_320_702_227_047,
    unpriced: 9,
};

/// An export written by a version-1 build (its tables as they are, `schema: 1`) restores
/// into the newest schema: the events are converted as the migration converts them, so
/// the restored ledger answers exactly as the migrated one.
#[test]
fn a_v1_export_restores_like_the_migrated_ledger() {
    let env = Env::new();
    let v1 = copy_of("v1.db", &env);
    // The export document of the v1 file, table by table, as `tokenburn export` wrote it then.
    let doc = {
        let conn = Connection::open_with_flags(&v1, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let mut names: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        names.sort();
        let mut tables = serde_json::Map::new();
        for t in names {
            let cols = columns(&conn, &t);
            let list = cols.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
            // (A table without rowid is written in key order.)
            let mut st = conn
                .prepare(&format!("SELECT {list} FROM \"{t}\" ORDER BY rowid"))
                .or_else(|_| conn.prepare(&format!("SELECT {list} FROM \"{t}\"")))
                .unwrap();
            let rows: Vec<serde_json::Value> = st
                .query_map([], |r| {
                    (0..cols.len())
                        .map(|i| {
                            Ok(match r.get::<_, Value>(i)? {
                                Value::Null => serde_json::Value::Null,
                                Value::Integer(n) => n.into(),
                                Value::Text(s) => s.into(),
                                other => panic!("{t}: unexpected {other:?}"),
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()
                        .map(serde_json::Value::from)
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            tables.insert(t, serde_json::json!({ "columns": cols, "rows": rows }));
        }
        serde_json::json!({ "tokenburn_export": 1, "schema": 1, "tables": tables })
    };
    let file = env.dir.path().join("v1-export.json");
    std::fs::write(&file, doc.to_string()).unwrap();

    let restored = Env::new();
    restored.ok(&["restore", file.to_str().unwrap()]);
    // The migrated fixture, through the newest build.
    let migrated = |args: &[&str]| env.json(args);
    for args in [
        &["report", "--by", "model"][..],
        &["report", "--by", "day"],
        &["imports"],
        &["budget", "list"],
        &["status", "--at", "2026-08-20"],
    ] {
        assert_eq!(restored.json(args), migrated(args), "{args:?}");
    }
    // Every event kept its id and its identity (the key hash), and every delivery is there.
    let events = |db: &Path| {
        let c = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let cols: Vec<String> = ["id", "source", "key", "import_id", "cost_nanos", "utc_day"].map(String::from).into();
        (rows(&c, "events", &cols), rows(&c, "event_imports", &["event_id".into(), "import_id".into()]))
    };
    let (want_events, want_links) = events(&env.db);
    assert_eq!(want_events.len() as i64, V1.events);
    assert_eq!(want_links.len() as i64, V1.event_imports);
    assert_eq!(events(&restored.db), (want_events, want_links));
    // Re-importing the files the v1 build imported adds nothing to the restored ledger.
    let again = restored.json(&["import", &fixture("cursor-csv"), &fixture("claude-code/projects")]);
    let added: i64 = again["files"].as_array().unwrap().iter().map(|f| f["added"].as_i64().unwrap_or(0)).sum();
    assert_eq!(added, 0, "{again}");
}
