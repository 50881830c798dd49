//! Kilo CLI (`kilo.db`) end to end: the real database (copied, never opened in place) gives
//! the agent-logs README's canonical per-UTC-day totals; the fixture's traps count once;
//! the agent's folder is byte-identical after an import; bad input is reported clearly.

mod common;
#[path = "common/live_db.rs"]
mod live_db;

use common::*;
use live_db::Day;

fn day(d: &str, input: i64, read: i64, write: i64, output: i64, reasoning: i64, total: i64) -> Day {
    (d.to_string(), input, read, write, output, reasoning, total)
}

fn report(env: &Env) -> Vec<Day> {
    live_db::days(&env.json(&["report", "--by", "day", "--tz", "UTC", "--source", "kilo-cli"]))
}

fn fixture_sql() -> String {
    std::fs::read_to_string(fixtures().join("sql/kilo-cli.sql")).unwrap()
}

#[test]
fn real_database_matches_the_canonical_days_and_stays_untouched() {
    let Some(data) = shared_data() else { return };
    let env = Env::new();
    let folder = env.dir.path().join("kilo");
    let db = live_db::copy_real(&data.join("agent-logs/kilo/mushushi-web-designer-rohan/kilo.db"), &folder);
    let before = live_db::contents(&folder);
    assert_eq!(before.len(), 3, "kilo.db, -wal and -shm are copied");
    let first = env.json(&["import", db.to_str().unwrap()]);
    assert_eq!(first["added"], 99 - 4, "99 assistant messages, 4 of them without tokens: {first}");
    // The README's table (2026-03-12 is the only day).
    assert_eq!(report(&env), [day("2026-03-12", 2_178_461, 0, 0, 91_027, 0, 2_269_488)]);
    let again = env.json(&["import", db.to_str().unwrap()]);
    assert_eq!(again["added"], 0, "{again}");
    assert_eq!(again["files"][0]["updated"], 0, "{again}");
    assert_eq!(report(&env), [day("2026-03-12", 2_178_461, 0, 0, 91_027, 0, 2_269_488)]);
    assert!(live_db::contents(&folder) == before, "the agent's folder changed");
}

#[test]
fn fixture_traps_count_once_and_the_folder_is_unchanged() {
    let env = Env::new();
    let folder = env.dir.path().join("kilo");
    let db = live_db::build(&fixture_sql(), &folder, "kilo.db");
    let before = live_db::contents(&folder);
    let names: Vec<_> = before.iter().map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["kilo.db", "kilo.db-shm", "kilo.db-wal"]);
    let first = env.json(&["import", db.to_str().unwrap()]);
    assert_eq!(first["files"][0]["format"], "kilo-cli", "{first}");
    assert_eq!(first["added"], 4, "{first}");
    let want = [
        // msg_k2 (cache and reasoning stored apart; its step-finish part not added) and
        // msg_k3 at 23:59:59.5 UTC.
        day("2026-03-12", 1010, 200, 30, 155, 50, 1395),
        // msg_k4, finished only in the WAL, and msg_k5, only in the WAL.
        day("2026-03-13", 27, 0, 0, 5, 0, 32),
    ];
    assert_eq!(report(&env), want);
    let again = env.json(&["import", db.to_str().unwrap()]);
    assert_eq!(again["added"], 0, "{again}");
    assert_eq!(report(&env), want);
    assert!(live_db::contents(&folder) == before, "the agent's folder changed");
    // The stated cost (0.0123) is not money: the unknown model stays unpriced.
    let r = env.json(&["report", "--by", "day", "--tz", "UTC", "--source", "kilo-cli"]);
    assert_eq!(r["totals"]["unpriced_events"], 4, "{r}");
}

#[test]
fn a_bad_message_is_rejected_with_its_record() {
    let env = Env::new();
    let folder = env.dir.path().join("kilo");
    let sql = format!(
        "{}\nINSERT INTO message VALUES ('msg_bad', 'ses_k1', 1773360020000, 1773360020000, '{{\"role\":\"assistant\",\"tokens\":{{\"input\":5');\n",
        fixture_sql()
    );
    let db = live_db::build(&sql, &folder, "kilo.db");
    let out = env.json(&["import", db.to_str().unwrap()]);
    let f = &out["files"][0];
    assert_eq!(f["added"], 4, "{f}");
    // Rows are read by time_updated: msg_bad is the last of 6.
    assert_eq!(f["rejected"][0]["record"], 6, "{f}");
    let reason = f["rejected"][0]["reason"].as_str().unwrap();
    assert!(reason.starts_with("message msg_bad: "), "{reason}");
}

#[test]
fn an_unknown_schema_or_a_truncated_file_fails_naming_the_file_and_stores_nothing() {
    let env = Env::new();
    let folder = env.dir.path().join("kilo");
    // A newer version that moved the message document out of `data`.
    let sql = fixture_sql().split("\n-- wal\n").next().unwrap().replacen(
        "`data` text NOT NULL);\nCREATE TABLE `part`",
        "`body` text NOT NULL);\nCREATE TABLE `part`",
        1,
    );
    assert!(sql.contains("`body`"));
    let db = live_db::build(&sql, &folder, "kilo.db");
    let out = env.run(&["import", db.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&*db.to_string_lossy()), "{err}");
    assert!(err.contains("Kilo CLI database schema Tokenburn does not know"), "{err}");
    assert!(err.contains("last migration 1770993676000") && err.contains("no data column"), "{err}");

    let bad = env.dir.path().join("cut");
    let db = live_db::build(&fixture_sql(), &bad, "kilo.db");
    std::fs::remove_file(bad.join("kilo.db-wal")).unwrap();
    std::fs::remove_file(bad.join("kilo.db-shm")).unwrap();
    let bytes = std::fs::read(&db).unwrap();
    std::fs::write(&db, &bytes[..bytes.len() / 2]).unwrap();
    let out = env.run(&["import", db.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&*db.to_string_lossy()), "{err}");
    let r = env.json(&["report", "--by", "day", "--tz", "UTC", "--source", "kilo-cli"]);
    assert!(r["rows"].as_array().unwrap().is_empty(), "{r}");
}
