//! The ledger file itself: migrations, settings, and whole-file transactions.

mod common;

use common::*;
use rusqlite::Connection;
use tokenburn::ledger::{Ledger, SCHEMA_VERSION};

#[test]
fn an_empty_file_migrates_to_the_newest_schema() {
    let env = Env::new();
    std::fs::write(&env.db, b"").unwrap();
    let l = Ledger::open(&env.db).unwrap();
    let v: i64 = l.conn().pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(v, SCHEMA_VERSION);
    let mode: String = l.conn().pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    for (kind, name) in [
        ("table", "event_rows"),
        ("table", "names"),
        ("table", "extra_deliveries"),
        ("view", "events"),
        ("table", "imports"),
        ("table", "settings"),
        ("table", "scan_files"),
        ("table", "price_overrides"),
    ] {
        let n: i64 = l
            .conn()
            .query_row("SELECT COUNT(*) FROM sqlite_master WHERE type=?1 AND name=?2", [kind, name], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1, "{kind} {name}");
    }
    drop(l);
    // Opening again is a no-op, and a newer schema is refused rather than damaged.
    Ledger::open(&env.db).unwrap();
    Connection::open(&env.db).unwrap().pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
    let err = Ledger::open(&env.db).err().expect("newer schema refused");
    assert_eq!(err.code(), tokenburn::error::Code::SchemaTooNew);
}

#[test]
fn the_zone_defaults_to_the_system_and_is_one_setting() {
    let env = Env::new();
    let cfg = env.json(&["config", "get"]);
    assert_eq!(cfg["tz"], "UTC"); // the test runs with TZ=UTC
    env.ok(&["config", "set", "tz", "Asia/Kolkata"]);
    assert_eq!(env.json(&["config", "get"])["tz"], "Asia/Kolkata");
    let bad = env.run(&["config", "set", "tz", "Mars/Olympus"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown time zone"));
    // TOKENBURN_DB names the ledger too.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tokenburn"))
        .args(["config", "get", "--json"])
        .env("TOKENBURN_DB", &env.db)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["tz"], "Asia/Kolkata");
}

#[test]
fn every_import_is_recorded_with_its_hash_and_counts() {
    let env = Env::new();
    env.json(&["import", &fixture("claude-code")]);
    let c = Connection::open(&env.db).unwrap();
    let (path, format, sha, rows, added): (String, String, String, i64, i64) = c
        .query_row("SELECT path, format, sha256, rows, added FROM imports", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap();
    assert!(path.ends_with("session-a.jsonl"));
    assert_eq!(format, "claude-code");
    // The content digest: BLAKE3, in hex, marked as such (older imports hold SHA-256 hex).
    assert!(sha.starts_with("b3:") && sha.len() == 3 + 64 && sha[3..].bytes().all(|b| b.is_ascii_hexdigit()), "{sha}");
    assert_eq!((rows, added), (11, 5));
    // Provenance: each event names its import and line.
    // The ledger keeps the key as its hash, in hex (the `key` column of `events`).
    let key = format!(
        "{:016x}",
        tokenburn::ledger::queries::events::key_hash("claude-code", "msg_D:req_D", Some("msg_D"), None)
    );
    let line: i64 = c.query_row("SELECT line FROM events WHERE key = ?1", [key], |r| r.get(0)).unwrap();
    assert_eq!(line, 10);
}

#[test]
fn an_in_memory_ledger_leaves_no_file_behind() {
    // Tests' working directory is the package root, where a stray `:memory:` file would land.
    let l = Ledger::open(std::path::Path::new(":memory:")).unwrap();
    assert_eq!(l.conn().query_row("SELECT count(*) FROM events", [], |r| r.get::<_, i64>(0)).unwrap(), 0);
    assert!(!std::path::Path::new(":memory:").exists());
}
