//! Crash safety: `tokenburn import` and `tokenburn scan` killed with SIGKILL at random moments
//! of a large import leave a ledger that opens, passes `PRAGMA integrity_check`, and holds
//! each file wholly or not at all; the next run completes it with exactly the totals of an
//! uninterrupted import (no duplicates, nothing lost).
//!
//! The files are generated in a temp folder (Claude Code transcripts and a Cursor CSV). The
//! kill delays are drawn uniformly over the measured length of an uninterrupted run, from a
//! seed printed at the start: `TOKENBURN_CRASH_SEED=N` replays a failure. Each kill starts
//! on an empty ledger; after it, the next (uninterrupted) run must end at the reference.
//! Defaults keep CI short (50 kills per test, files of 256 KiB); `TOKENBURN_CRASH_KILLS`
//! and `TOKENBURN_CRASH_KB` (per file) make a longer run.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use rusqlite::Connection;

/// Claude Code transcript lines, `bytes` long, each a distinct response with usage.
fn write_transcript(path: &Path, file_no: usize, bytes: u64) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let models =
        ["claude-sonnet-4-20250514", "claude-opus-4-1-20250805", "claude-3-5-haiku-20241022", "claude-imaginary-9"];
    let text = "y".repeat(300);
    let mut written = 0u64;
    let mut i = 0u64;
    while written < bytes {
        i += 1;
        let line = format!(
            r#"{{"parentUuid":"p","isSidechain":false,"cwd":"/home/dev/crash","sessionId":"s{file_no}","version":"1.0.98","message":{{"id":"msg_{file_no}_{i}","type":"message","role":"assistant","model":"{model}","content":[{{"type":"text","text":"{text}"}}],"usage":{{"input_tokens":{inp},"cache_creation_input_tokens":{cw},"cache_read_input_tokens":{cr},"output_tokens":{out}}}}},"type":"assistant","uuid":"u{file_no}_{i}","timestamp":"2025-{month:02}-{day:02}T{hour:02}:{min:02}:{sec:02}.000Z","requestId":"req_{file_no}_{i}"}}"#,
            model = models[(i % 4) as usize],
            inp = i % 97 + 1,
            cw = (i % 5) * 100,
            cr = i % 1013,
            out = i % 31 + 1,
            month = file_no % 12 + 1,
            day = i % 28 + 1,
            hour = i % 24,
            min = i % 60,
            sec = (i / 60) % 60,
        );
        writeln!(f, "{line}").unwrap();
        written += line.len() as u64 + 1;
    }
    f.flush().unwrap();
}

/// A Cursor usage-events CSV `bytes` long, one request per row at distinct instants.
fn write_cursor_csv(path: &Path, bytes: u64) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(f, "Date,Kind,Model,Max Mode,Input (w/ Cache Write),Input (w/o Cache Write),Cache Read,Output Tokens,Total Tokens,Cost").unwrap();
    let mut written = 0u64;
    let mut i = 0i64;
    while written < bytes {
        i += 1;
        let ts = chrono::DateTime::from_timestamp(1_760_000_000 + i * 7, 0).unwrap().format("%Y-%m-%dT%H:%M:%S%.3fZ");
        let (cw, inp, cr, out) = (i % 50, i % 900 + 1, i % 3000, i % 200 + 1);
        let line = format!(
            "\"{ts}\",\"On-Demand\",\"claude-4-sonnet\",\"No\",\"{cw}\",\"{inp}\",\"{cr}\",\"{out}\",\"{}\",\"${}.{:02}\"",
            cw + inp + cr + out,
            i % 3,
            i % 100
        );
        writeln!(f, "{line}").unwrap();
        written += line.len() as u64 + 1;
    }
    f.flush().unwrap();
}

/// What the ledger holds: events per file (through every import that delivered them), and
/// the totals an uninterrupted import must match.
#[derive(Debug, PartialEq, Eq, Clone, Default)]
struct State {
    per_file: BTreeMap<String, i64>,
    /// Files with a scan mark (`scan_files`), and the offset it holds.
    marks: BTreeMap<String, i64>,
    events: i64,
    keys: i64,
    tokens: i64,
    nanos: i64,
    requests: i64,
}

fn state(db: &Path) -> State {
    let c = Connection::open(db).unwrap_or_else(|e| panic!("{}: does not open: {e}", db.display()));
    let check: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok", "integrity_check of {}", db.display());
    let fk = c.prepare("PRAGMA foreign_key_check").unwrap().query_map([], |_| Ok(())).unwrap().count();
    assert_eq!(fk, 0, "foreign_key_check of {} found {fk} rows", db.display());
    let has_events: i64 =
        c.query_row("SELECT count(*) FROM sqlite_master WHERE name = 'events'", [], |r| r.get(0)).unwrap();
    if has_events == 0 {
        // Killed before the first migration committed: an empty ledger.
        return State::default();
    }
    let mut st = c
        .prepare(
            "SELECT i.path, count(DISTINCT ei.event_id) FROM event_imports ei JOIN imports i ON i.id = ei.import_id
             GROUP BY i.path",
        )
        .unwrap();
    let per_file = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().collect::<Result<_, _>>().unwrap();
    let (events, keys, tokens, nanos, requests) = c
        .query_row(
            "SELECT count(*), count(DISTINCT source || '/' || key),
                    coalesce(sum(input + cache_write_5m + cache_write_1h + cache_read + output), 0),
                    coalesce(sum(cost_nanos), 0), coalesce(sum(requests), 0) FROM events",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    let mut st = c.prepare("SELECT path, offset FROM scan_files").unwrap();
    let marks = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().collect::<Result<_, _>>().unwrap();
    State { per_file, marks, events, keys, tokens, nanos, requests }
}

struct Case {
    name: &'static str,
    dir: tempfile::TempDir,
    args: Vec<String>,
}

impl Case {
    fn run(&self, db: &Path) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tokenburn"));
        c.arg("--db")
            .arg(db)
            .args(&self.args)
            .env("HOME", self.dir.path())
            .env("TZ", "UTC")
            .env_remove("CLAUDE_CONFIG_DIR")
            .env_remove("CODEX_HOME")
            .env_remove("TOKENBURN_DB")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        c
    }

    /// An uninterrupted run into `db`; returns how long it took.
    fn complete(&self, db: &Path) -> Duration {
        let t = Instant::now();
        let out = self.run(db).output().unwrap();
        assert!(out.status.success(), "{}: {}", self.name, String::from_utf8_lossy(&out.stderr));
        t.elapsed()
    }
}

fn killed_runs(case: Case) {
    let seed = Rng::seed_from_env("TOKENBURN_CRASH_SEED");
    let kills = env_number("TOKENBURN_CRASH_KILLS", 50);
    eprintln!("{}: TOKENBURN_CRASH_SEED={seed} TOKENBURN_CRASH_KILLS={kills}", case.name);
    let mut rng = Rng(seed);

    let reference_db = case.dir.path().join("reference.db");
    let took = case.complete(&reference_db);
    let reference = state(&reference_db);
    assert!(reference.events > 1000 && reference.per_file.len() >= 3, "{reference:?}");
    assert_eq!(reference.events, reference.keys);
    if case.name == "scan" {
        assert_eq!(reference.marks.len(), reference.per_file.len(), "every scanned file is marked");
    }
    // The first run pays for cold caches; the kills are spread over a warm run's length.
    let warm = case.dir.path().join("warm.db");
    let took_warm = case.complete(&warm);
    assert_eq!(state(&warm), reference, "{}: two uninterrupted runs differ", case.name);
    // A shared machine's speed varies: a run that ends before its kill shortens the span.
    let mut span_us = (took.min(took_warm).as_micros() as u64 * 11 / 10).max(1);
    eprintln!("{}: uninterrupted runs took {took:?} and {took_warm:?}, {} events", case.name, reference.events);

    let (mut mid_file, mut finished) = (0, 0);
    for kill in 0..kills {
        let db = case.dir.path().join(format!("kill-{kill}.db"));
        let delay = Duration::from_micros(rng.below(span_us));
        let mut child = case.run(&db).spawn().unwrap();
        let start = Instant::now();
        let exited = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if start.elapsed() >= delay {
                break None;
            }
            std::thread::sleep(Duration::from_millis(2).min(delay.saturating_sub(start.elapsed())));
        };
        let what = format!("{} kill {kill} after {delay:?}, seed {seed}", case.name);
        match exited {
            Some(status) => {
                assert!(status.success(), "{what}: exited {status:?}");
                finished += 1;
                span_us = span_us.min(start.elapsed().as_micros() as u64 * 11 / 10);
            }
            None => {
                child.kill().unwrap();
                child.wait().unwrap();
            }
        }
        let now = if db.exists() { state(&db) } else { State::default() };
        for (path, n) in &now.per_file {
            let want = reference.per_file.get(path).unwrap_or_else(|| panic!("{what}: unknown file {path}"));
            assert_eq!(n, want, "{what}: {path} is partly imported");
        }
        let sum: i64 = now.per_file.values().sum();
        assert_eq!(now.events, sum, "{what}: events outside any whole file");
        assert_eq!(now.events, now.keys, "{what}: a key stored twice");
        // A scan's mark is written with its file's events: a marked file is whole, at its end.
        for (path, offset) in &now.marks {
            assert!(now.per_file.contains_key(path), "{what}: {path} is marked but has no events");
            assert_eq!(Some(offset), reference.marks.get(path), "{what}: {path}'s mark");
        }
        if !now.per_file.is_empty() && now.per_file.len() < reference.per_file.len() {
            mid_file += 1;
        }
        // The next run completes what the killed one left, to exactly the reference.
        case.complete(&db);
        assert_eq!(state(&db), reference, "{what}: the run after the kill differs from the reference");
        std::fs::remove_file(&db).unwrap();
    }
    eprintln!(
        "{}: {kills} kills over {span_us} us; {finished} runs finished before their kill, {mid_file} left some files whole and \
         the others untouched",
        case.name
    );
    assert!(finished < kills / 2, "most runs ended before their kill: the delays do not cover the import");
}

/// Bytes per generated file.
fn size() -> u64 {
    env_number("TOKENBURN_CRASH_KB", 256) << 10
}

#[test]
fn import_killed_at_random_moments_keeps_whole_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for n in 0..3 {
        write_transcript(&data.join(format!("projects/-home-dev-crash/session-{n}.jsonl")), n, size());
    }
    write_cursor_csv(&data.join("usage-events.csv"), size() / 4);
    let args = vec!["import".into(), data.to_string_lossy().into_owned()];
    killed_runs(Case { name: "import", dir, args });
}

#[test]
fn scan_killed_at_random_moments_keeps_whole_files() {
    let dir = tempfile::tempdir().unwrap();
    let projects = dir.path().join("claude/projects");
    for n in 0..4 {
        write_transcript(&projects.join(format!("-home-dev-p{n}/session-{n}.jsonl")), n + 10, size());
    }
    let args = vec!["scan".into(), "--claude-dir".into(), projects.to_string_lossy().into_owned()];
    killed_runs(Case { name: "scan", dir, args });
}
