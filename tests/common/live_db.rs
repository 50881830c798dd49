//! Agents' SQLite folders for tests: built from a fixture's SQL as a running agent leaves
//! them (recent writes only in the `-wal`), copied from the shared real data (never opened
//! there), and compared byte for byte before and after an import.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Writes `dir/name` with its `-wal` and `-shm` from the SQL in `sql`: statements before a
/// `-- wal` line are checkpointed into the database file, the rest stay only in the WAL.
pub fn build(sql: &str, dir: &Path, name: &str) -> PathBuf {
    let (main, wal) = sql.split_once("\n-- wal\n").unwrap_or((sql, ""));
    let work = tempfile::tempdir().expect("temp dir");
    let db = work.path().join(name);
    let conn = rusqlite::Connection::open(&db).expect("open");
    conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(())).expect("wal mode");
    conn.execute_batch("PRAGMA wal_autocheckpoint=0;").expect("no autocheckpoint");
    conn.execute_batch(main).expect("main SQL");
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).expect("checkpoint");
    conn.execute_batch(wal).expect("WAL SQL");
    std::fs::create_dir_all(dir).expect("agent dir");
    // Copied while the writer is still open, so the WAL is not checkpointed away.
    for suffix in ["", "-wal", "-shm"] {
        std::fs::copy(work.path().join(format!("{name}{suffix}")), dir.join(format!("{name}{suffix}"))).expect("copy");
    }
    drop(conn);
    dir.join(name)
}

/// Copies a shared real database with its `-wal` and `-shm` (those present) into `dir`.
pub fn copy_real(db: &Path, dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).expect("dir");
    let name = db.file_name().unwrap().to_string_lossy().into_owned();
    for suffix in ["", "-wal", "-shm"] {
        let from = db.with_file_name(format!("{name}{suffix}"));
        if from.exists() {
            let to = dir.join(format!("{name}{suffix}"));
            std::fs::copy(&from, &to).expect("copy");
            let mut perms = std::fs::metadata(&to).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&to, perms).unwrap();
        }
    }
    dir.join(name)
}

/// Every file under `dir` (hidden ones included) with its bytes, sorted by path.
pub fn contents(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).expect("read");
                out.push((p, bytes));
            }
        }
    }
    out.sort();
    out
}

/// The per-day token columns of `report --by day --json`: (day, input, cache read, cache
/// write, output, reasoning, total).
pub type Day = (String, i64, i64, i64, i64, i64, i64);

pub fn days(report: &serde_json::Value) -> Vec<Day> {
    let n = |r: &serde_json::Value, k: &str| r[k].as_i64().unwrap_or_else(|| panic!("{k} in {r}"));
    report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_string(),
                n(r, "input_tokens"),
                n(r, "cache_read_tokens"),
                n(r, "cache_write_tokens"),
                n(r, "output_tokens"),
                n(r, "reasoning_tokens"),
                n(r, "total_tokens"),
            )
        })
        .collect()
}
