//! Import speed of vendor CSVs through the real `tokenburn` binary into a temp ledger:
//! one million rows of an OpenAI Cost export (the daily billing CSV: 1,000 rows a day over
//! 1,000 days, one per project, API key and line item) and one million rows of an OpenAI
//! completions usage export (the Activity CSV's 24 columns, counts written as floats,
//! 1-minute buckets with several models each).
//!
//! `cargo bench --bench import_csv` (`FORMAT=costs` or `FORMAT=usage` runs one of them,
//! `ROWS` sets another size, `BENCH_DIR` keeps the files). Prints rows/s and seconds (wall
//! and the process's CPU); the target is under 3 s for a million rows.
//!
//! Then, for the same number of rows, SQLite alone: an empty ledger (every migration, its
//! pragmas), the importer's own insert statement, one transaction, rows shaped like the
//! cost export's (one vendor day after another, keys random within a day, a few models and
//! projects), no parsing, no names, no rule 9. What the import spends beyond this is
//! Tokenburn's; this much is the row layout's on this machine. For comparison, the same rows
//! into the event table with no index at all, and a narrow identity table (key, import,
//! line, cost) of the kind a store of vendor rows as per-day aggregates would keep per row.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

mod common;

/// CPU seconds (user + system) of the finished children of this process.
fn children_cpu() -> f64 {
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage fills the struct it is given.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) };
    let s = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    s(u.ru_utime) + s(u.ru_stime)
}

fn run(format: &str, rows: u64, dir: &Path) {
    let (name, write) = common::format(format);
    let csv = dir.join(name);
    let db = dir.join(format!("ledger-{format}.db"));
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    let t = Instant::now();
    let size = write(&csv, rows);
    eprintln!("generated {rows} rows ({:.1} MiB) in {:.2} s", size as f64 / 1048576.0, t.elapsed().as_secs_f64());

    let cpu = children_cpu();
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_tokenburn"))
        .arg("--db")
        .arg(&db)
        .args(["--json", "import"])
        .arg(&csv)
        .env("HOME", dir)
        .output()
        .expect("run tokenburn");
    let secs = t.elapsed().as_secs_f64();
    let cpu = children_cpu() - cpu;
    assert!(out.status.success(), "import failed: {}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let added = report["added"].as_u64().unwrap_or(0);
    assert_eq!(added, rows, "every row is one event: {report}");
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "import_csv: {rows} rows in {secs:.2} s (CPU {cpu:.2} s) = {:.0} rows/s ({}, {:.1} MiB; load {})",
        rows as f64 / secs,
        report["files"][0]["format"].as_str().unwrap_or("?"),
        size as f64 / 1048576.0,
        load.split(' ').take(3).collect::<Vec<_>>().join(" ")
    );
}

/// CPU seconds (user + system) of this thread so far.
fn thread_cpu() -> f64 {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime fills the struct it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 / 1e9
}

/// The row layouts [`sqlite_alone`] times: a name, the schema change on an empty ledger, and
/// the insert (its parameters numbered as [`tokenburn::ledger::queries::events::INSERT`]'s).
fn layouts() -> [(&'static str, &'static str, String); 3] {
    let insert = tokenburn::ledger::queries::events::INSERT;
    [
        ("the importer's insert into an empty ledger", "", format!("{insert} ON CONFLICT(khash) DO NOTHING")),
        (
            "the same rows, the event table without any index",
            "DROP INDEX event_rows_khash; DROP INDEX event_rows_day; DROP INDEX event_rows_unpriced;
             DROP INDEX event_rows_summaries;",
            insert.to_string(),
        ),
        (
            "a narrow identity table (key, import, line, cost)",
            "CREATE TABLE identity (khash INTEGER PRIMARY KEY, import_id INTEGER NOT NULL, line INTEGER NOT NULL,
                                    cost_nanos INTEGER) WITHOUT ROWID;",
            "INSERT INTO identity (khash, import_id, line, cost_nanos) VALUES (?2, ?29, ?30, ?24)
             ON CONFLICT(khash) DO NOTHING"
                .to_string(),
        ),
    ]
}

fn sqlite_alone(rows: u64, dir: &Path) {
    for (what, change, sql) in layouts() {
        sqlite_rows(rows, dir, what, change, &sql);
    }
}

fn sqlite_rows(rows: u64, dir: &Path, what: &str, change: &str, sql: &str) {
    use rusqlite::ToSql;
    let db = dir.join("ledger-sqlite-alone.db");
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    let mut ledger = tokenburn::ledger::Ledger::open(&db).expect("open ledger");
    ledger.conn().execute_batch(change).expect("change the layout");
    let (cpu, t) = (thread_cpu(), Instant::now());
    ledger
        .write(|tx, _| {
            let mut insert = tx.prepare(sql)?;
            // The parameters the statement names, of the 30 (the narrow table names four).
            let mut named = Vec::new();
            for i in 0..30 {
                if let Some(at) = insert.parameter_index(&format!("?{}", i + 1))? {
                    named.push((i, at));
                }
            }
            let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
            let (zero, one, billed, vendor, note) = (0i64, 1i64, 2i64, 3i64, None::<String>);
            for i in 0..rows as i64 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let day = 19_000 + i / 1000;
                let khash = (day << 44) | (x as i64 & ((1 << 44) - 1));
                let (model, project) = (10 + (x >> 50) as i64 % 5, 20 + (x >> 40) as i64 % 8);
                let (ts, cost, line) = (day * 86_400_000, (x >> 20) as i64 % 1_000_000_000, i + 2);
                let values: [&dyn ToSql; 30] = [
                    &one,
                    &khash,
                    &false,
                    &false,
                    &zero,
                    &vendor,
                    &one,
                    &one,
                    &model,
                    &project,
                    &ts,
                    &zero,
                    &true,
                    &day,
                    &zero,
                    &zero,
                    &zero,
                    &zero,
                    &zero,
                    &zero,
                    &zero,
                    &zero,
                    &zero,
                    &cost,
                    &billed,
                    &one,
                    &None::<i64>,
                    &note,
                    &one,
                    &line,
                ];
                for &(i, at) in &named {
                    insert.raw_bind_parameter(at, values[i])?;
                }
                insert.raw_execute()?;
            }
            Ok(())
        })
        .expect("insert");
    println!(
        "sqlite alone: {rows} rows in {:.2} s (CPU {:.2} s), {what}, one transaction",
        t.elapsed().as_secs_f64(),
        thread_cpu() - cpu
    );
}

fn main() {
    let (formats, rows) = common::formats_and_rows();
    let tmp = tempfile::tempdir().expect("temp dir");
    // BENCH_DIR keeps the CSVs and ledgers for profiling.
    let dir = std::env::var_os("BENCH_DIR").map(std::path::PathBuf::from).unwrap_or_else(|| tmp.path().to_path_buf());
    for format in formats {
        run(format, rows, &dir);
    }
    sqlite_alone(rows, &dir);
}
