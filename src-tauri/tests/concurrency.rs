//! Concurrent writers on one ledger: two `tokenburn import` processes in a loop and the
//! desktop app's `import_paths` command (in process, on Tauri's mock runtime, as in
//! commands.rs) write at once. No writer may see "database is locked" (or any error), and
//! at the end the ledger holds exactly the events of every distinct file once: the same
//! count, tokens and money as one sequential import of them all.
//!
//! A round is one new small file per writer, plus, every third round, a re-import of a file
//! another writer imported before. `TOKENBURN_CONCURRENCY_ROUNDS` sets the rounds (default
//! 1,000: 3,000 new-file writes and 999 re-imports across the three writers, about three
//! minutes of a debug build on two cores).
//!
//! The CLI is the workspace's `target/debug/tokenburn` (built here first with the cargo that
//! runs the test, so it is the current code).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

mod mock;

const WRITERS: usize = 3;
const EVENTS_PER_FILE: u64 = 4;

fn rounds() -> usize {
    std::env::var("TOKENBURN_CONCURRENCY_ROUNDS").map(|s| s.parse().expect("a number")).unwrap_or(1000)
}

/// The `tokenburn` binary of this workspace, built now.
fn cli() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let st = Command::new(cargo)
        .args(["build", "-q", "-p", "tokenburn", "--bin", "tokenburn"])
        .current_dir(&root)
        .status()
        .expect("cargo build");
    assert!(st.success(), "building the tokenburn CLI failed");
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    let bin = target.join("debug/tokenburn");
    assert!(bin.is_file(), "{} is missing", bin.display());
    bin
}

/// A small Claude Code transcript, distinct per writer and round.
fn write_file(dir: &Path, writer: usize, round: usize) -> PathBuf {
    let path = dir.join(format!("projects/-w{writer}/r{round}.jsonl"));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut f = std::fs::File::create(&path).unwrap();
    for i in 0..EVENTS_PER_FILE {
        let id = format!("{writer}_{round}_{i}");
        let (inp, out) = (round as u64 % 50 + i + 1, writer as u64 * 7 + i + 1);
        writeln!(
            f,
            r#"{{"sessionId":"s{writer}","message":{{"id":"msg_{id}","type":"message","role":"assistant","model":"claude-sonnet-4-20250514","content":[],"usage":{{"input_tokens":{inp},"cache_creation_input_tokens":0,"cache_read_input_tokens":{cr},"output_tokens":{out}}}}},"type":"assistant","uuid":"u{id}","timestamp":"2025-07-{day:02}T12:00:00.000Z","requestId":"req_{id}"}}"#,
            cr = i * 10,
            day = round % 28 + 1,
        )
        .unwrap();
    }
    path
}

/// The round's files of a writer: its new one, and every third round an older one of the
/// writer before it (imported already, or being imported right now).
fn round_files(dir: &Path, writer: usize, round: usize) -> Vec<PathBuf> {
    let mut files = vec![dir.join(format!("projects/-w{writer}/r{round}.jsonl"))];
    if round % 3 == 2 {
        let other = (writer + WRITERS - 1) % WRITERS;
        files.push(dir.join(format!("projects/-w{other}/r{}.jsonl", round - 1)));
    }
    files
}

fn cli_writer(bin: PathBuf, db: PathBuf, dir: PathBuf, writer: usize, n: usize) -> Vec<String> {
    let mut problems = Vec::new();
    for round in 0..n {
        let out = Command::new(&bin)
            .arg("--db")
            .arg(&db)
            .arg("import")
            .arg("--json")
            .args(round_files(&dir, writer, round))
            .env("TZ", "UTC")
            .env_remove("TOKENBURN_DB")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() || stderr.contains("locked") || stderr.contains("busy") {
            problems.push(format!("cli writer {writer} round {round}: {:?} {stderr}", out.status));
        }
    }
    problems
}

#[test]
fn two_cli_imports_and_the_app_write_at_once_without_loss_or_lock_errors() {
    let n = rounds();
    let bin = cli();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let db = dir.join("ledger.db");
    for round in 0..n {
        for w in 0..WRITERS {
            write_file(&dir, w, round);
        }
    }
    // The ledger exists before the writers start (all three would create it otherwise, which
    // is its own test: the migration takes the write lock).
    let st = Command::new(&bin).arg("--db").arg(&db).args(["config", "set", "tz", "UTC"]).status().unwrap();
    assert!(st.success());

    let app = mock::app_on(&db);

    let started = std::time::Instant::now();
    let clis: Vec<_> = (0..2)
        .map(|w| {
            let (bin, db, dir) = (bin.clone(), db.clone(), dir.clone());
            std::thread::spawn(move || cli_writer(bin, db, dir, w, n))
        })
        .collect();
    let app_writer = 2;
    let mut problems = Vec::new();
    for round in 0..n {
        let paths: Vec<String> =
            round_files(&dir, app_writer, round).iter().map(|p| p.to_string_lossy().into_owned()).collect();
        match app.call("import_paths", json!({ "paths": paths })) {
            Ok(files) => {
                for f in files.as_array().unwrap() {
                    if f.get("error").is_some() {
                        problems.push(format!("app round {round}: {f}"));
                    }
                }
            }
            Err(e) => problems.push(format!("app round {round}: {e}")),
        }
    }
    for t in clis {
        problems.extend(t.join().unwrap());
    }
    let took = started.elapsed();
    assert!(problems.is_empty(), "{} writes failed:\n{}", problems.len(), problems.join("\n"));

    // One sequential import of every distinct file is the expected ledger.
    let reference = dir.join("reference.db");
    let out = Command::new(&bin).arg("--db").arg(&reference).arg("import").arg(dir.join("projects")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let expected_events = (n * WRITERS) as u64 * EVENTS_PER_FILE;
    let conn = |p: &Path| tokenburn::ledger::Ledger::open(p).unwrap();
    let count =
        |l: &tokenburn::ledger::Ledger, sql: &str| -> i64 { l.conn().query_row(sql, [], |r| r.get(0)).unwrap() };
    let (l, r) = (conn(&db), conn(&reference));
    assert_eq!(count(&l, "SELECT count(*) FROM events") as u64, expected_events);
    assert_eq!(count(&r, "SELECT count(*) FROM events") as u64, expected_events);
    for sql in [
        "SELECT count(DISTINCT key) FROM events",
        "SELECT sum(input) FROM events",
        "SELECT sum(cache_read) FROM events",
        "SELECT sum(output) FROM events",
        "SELECT sum(cost_nanos) FROM events",
        "SELECT count(*) FROM event_imports",
        "SELECT count(DISTINCT path) FROM imports",
    ] {
        assert_eq!(count(&l, sql), count(&r, sql), "{sql}");
    }
    // The expected sums, computed from what was written.
    let (mut input, mut output) = (0u64, 0u64);
    for round in 0..n {
        for w in 0..WRITERS {
            for i in 0..EVENTS_PER_FILE {
                input += round as u64 % 50 + i + 1;
                output += w as u64 * 7 + i + 1;
            }
        }
    }
    assert_eq!(count(&l, "SELECT sum(input) FROM events") as u64, input);
    assert_eq!(count(&l, "SELECT sum(output) FROM events") as u64, output);
    let check: String = l.conn().query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    eprintln!(
        "{n} rounds: {} new-file writes and {} re-imports by 3 writers in {took:?}; {expected_events} events",
        n * WRITERS,
        (0..n).filter(|r| r % 3 == 2).count() * WRITERS,
    );
}
