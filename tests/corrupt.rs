//! Corrupt input: every importer's own fixture, damaged 100 ways (truncations, random bytes,
//! huge lines, UTF-16 and Latin-1, BOMs, NULs, swapped columns, a header alone, a million
//! columns, ...). Every outcome must be a clear error: a rejected row names its line and what
//! was wrong, a failed file names the file (and exits non-zero from the CLI), nothing panics,
//! and the events already in the ledger are unchanged (a failed file writes nothing).
//!
//! The random damage is seeded; the seed is printed (`TOKENBURN_CORRUPT_SEED=N` replays it).
//! Every damaged file is imported with its format forced and (below 1 MiB, or with
//! `TOKENBURN_CORRUPT_FULL=1`) detected.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;
use rusqlite::types::Value;
use tokenburn::import::{Position, SOURCES};
use tokenburn::ledger::Ledger;

/// The agents' SQLite stores: their fixtures are SQL (`fixtures/sql/<format>.sql`), built
/// into a database under the name the agent gives it.
const DATABASES: &[(&str, &str)] = &[("opencode", "opencode.db"), ("kilo-cli", "kilo.db")];

/// `format`'s fixture database, built once per test run from its SQL as one file (no
/// `-wal`, so its bytes are the whole database), or None for a format that has none.
fn database(format: &str) -> Option<PathBuf> {
    let (_, name) = DATABASES.iter().find(|(f, _)| *f == format)?;
    static BUILT: std::sync::Mutex<Vec<(String, PathBuf)>> = std::sync::Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, p)) = built.iter().find(|(f, _)| f == format) {
        return Some(p.clone());
    }
    // Under the target folder (Cargo's scratch space for integration tests), not the system's.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("corrupt-{}", std::process::id())).join(format);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join(name);
    let _ = std::fs::remove_file(&db);
    let sql = std::fs::read_to_string(fixtures().join(format!("sql/{format}.sql"))).unwrap();
    rusqlite::Connection::open(&db).unwrap().execute_batch(&sql).unwrap();
    built.push((format.to_string(), db.clone()));
    Some(db)
}

/// Everything of `format` the ledger starts with: its fixture folder (where there is one)
/// and its fixture database.
fn fixture_paths(format: &str) -> Vec<PathBuf> {
    let dir = fixtures().join(format);
    let db = database(format).filter(|db| !dir.join(db.file_name().unwrap()).exists());
    dir.is_dir().then_some(dir).into_iter().chain(db).collect()
}

/// The fixtures of a format that get damaged: its database, and the first file of its folder
/// (sorted) that is not a database (opencode has both layouts).
fn samples(format: &str) -> Vec<PathBuf> {
    let dir = fixtures().join(format);
    let mut files = if dir.is_dir() { tokenburn::import::walk(&dir, &|_| true).unwrap() } else { Vec::new() };
    files.retain(|p| {
        !tokenburn::import::sqlite::is_database(p)
            && tokenburn::import::detect(p).map(|s| s.name() == format).unwrap_or(false)
    });
    let out: Vec<PathBuf> = database(format).into_iter().chain(files.into_iter().next()).collect();
    assert!(!out.is_empty(), "no fixture of {format} in {}", dir.display());
    out
}

/// One fixture per format: its database, else the first file of its folder.
fn sample(format: &str) -> PathBuf {
    samples(format).swap_remove(0)
}

/// Where a damaged copy of `format`'s sample goes: a database keeps its agent's file name
/// (in a folder of its own) so that detection can claim it.
fn damaged_path(work: &Path, format: &str, sample: &Path, di: usize, ext: &str) -> PathBuf {
    if tokenburn::import::sqlite::is_database(sample) {
        let dir = work.join(format!("{format}-{di:03}"));
        std::fs::create_dir_all(&dir).unwrap();
        return dir.join(sample.file_name().unwrap());
    }
    work.join(format!("{format}-{di:03}.{ext}"))
}

fn lines(b: &[u8]) -> Vec<Vec<u8>> {
    b.split(|&c| c == b'\n').map(<[u8]>::to_vec).collect()
}

fn join(ls: &[Vec<u8>]) -> Vec<u8> {
    ls.join(&b"\n"[..])
}

/// Swaps the first two comma-separated fields of every line (of the header only, of the
/// data only, or of both).
fn swap_fields(b: &[u8], header: bool, data: bool) -> Vec<u8> {
    let ls: Vec<Vec<u8>> = lines(b)
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            if (i == 0 && !header) || (i > 0 && !data) {
                return l;
            }
            let mut parts: Vec<&[u8]> = l.split(|&c| c == b',').collect();
            if parts.len() > 1 {
                parts.swap(0, 1);
            }
            parts.join(&b","[..])
        })
        .collect();
    join(&ls)
}

fn utf16(b: &[u8], le: bool, bom: bool) -> Vec<u8> {
    let s = String::from_utf8_lossy(b);
    let mut out = Vec::new();
    let units = std::iter::once(0xFEFF).filter(|_| bom).chain(s.encode_utf16());
    for u in units {
        out.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
    }
    out
}

fn latin1(b: &[u8]) -> Vec<u8> {
    // Every char below 256 as one byte; an accented name inserted so there is something to mis-decode.
    let s = String::from_utf8_lossy(b).replacen("claude", "claudé", 3).replacen("gpt", "gpté", 3);
    s.chars().map(|c| if (c as u32) < 256 { c as u32 as u8 } else { b'?' }).collect()
}

/// Replaces every run of ASCII digits with `with`.
fn digits(b: &[u8], with: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut in_run = false;
    for &c in b {
        if c.is_ascii_digit() {
            if !in_run {
                out.extend_from_slice(with.as_bytes());
            }
            in_run = true;
        } else {
            in_run = false;
            out.push(c);
        }
    }
    out
}

fn insert_at(b: &[u8], at: usize, what: &[u8]) -> Vec<u8> {
    let at = at.min(b.len());
    [&b[..at], what, &b[at..]].concat()
}

/// The 100 ways, each a name and the damaged bytes.
fn damages(original: &[u8], other: &[u8], rng: &mut Rng) -> Vec<(String, Vec<u8>)> {
    let b = original;
    let n = b.len();
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut add = |name: String, bytes: Vec<u8>| out.push((name, bytes));
    // 1-30: truncations spread over the file, and at random offsets.
    for i in 0..20 {
        let at = n * i / 20;
        add(format!("truncated at byte {at}"), b[..at].to_vec());
    }
    for _ in 0..10 {
        let at = rng.below(n as u64) as usize;
        add(format!("truncated at byte {at}"), b[..at].to_vec());
    }
    // 31-45: random bytes overwritten (1 to 256 of them), and random garbage files.
    for k in [1, 1, 2, 3, 4, 8, 16, 32, 64, 256] {
        let mut d = b.to_vec();
        for _ in 0..k {
            let i = rng.below(n as u64) as usize;
            d[i] = rng.next() as u8;
        }
        add(format!("{k} random bytes overwritten"), d);
    }
    for len in [1, 7, 100, 4096, 100_000] {
        add(format!("{len} random bytes"), (0..len).map(|_| rng.next() as u8).collect());
    }
    // 46-50: huge lines.
    let huge = vec![b'a'; 2 << 20];
    add("a 2 MiB line appended".into(), [b, b"\n", &huge, b"\n"].concat());
    add(
        "a 2 MiB line in the middle".into(),
        insert_at(b, b.iter().position(|&c| c == b'\n').unwrap_or(n) + 1, &[&huge[..], b"\n"].concat()),
    );
    add("a 2 MiB line alone".into(), huge.clone());
    let mut cell = lines(b);
    if cell.len() > 1 {
        cell[1] = [&cell[1][..], &huge[..1 << 20]].concat();
    }
    add("a 1 MiB tail on line 2".into(), join(&cell));
    add(
        "a 100,000-deep JSON nest".into(),
        [b, b"\n", &vec![b'['; 100_000][..], &vec![b']'; 100_000][..], b"\n"].concat(),
    );
    // 51-58: encodings and BOMs.
    add("UTF-16LE with BOM".into(), utf16(b, true, true));
    add("UTF-16BE with BOM".into(), utf16(b, false, true));
    add("UTF-16LE without BOM".into(), utf16(b, true, false));
    add("Latin-1".into(), latin1(b));
    add("UTF-8 BOM".into(), [b"\xEF\xBB\xBF", b].concat());
    add("two UTF-8 BOMs".into(), [b"\xEF\xBB\xBF\xEF\xBB\xBF", b].concat());
    add("a BOM on line 2".into(), insert_at(b, b.iter().position(|&c| c == b'\n').unwrap_or(n) + 1, b"\xEF\xBB\xBF"));
    add("invalid UTF-8 sequences".into(), insert_at(b, n / 2, b"\xC0\x80\xFF\xED\xA0\x80"));
    // 59-63: NULs.
    add("a NUL in the middle".into(), insert_at(b, n / 2, b"\0"));
    add(
        "NULs after every newline".into(),
        b.iter().flat_map(|&c| if c == b'\n' { vec![c, 0] } else { vec![c] }).collect(),
    );
    add("all NULs".into(), vec![0; n.max(1)]);
    add("NUL-padded tail".into(), [b, &vec![0u8; 4096][..]].concat());
    add("NULs replacing line 2".into(), {
        let mut ls = lines(b);
        if ls.len() > 1 {
            ls[1] = vec![0; ls[1].len()];
        }
        join(&ls)
    });
    // 64-68: columns.
    add("header columns swapped".into(), swap_fields(b, true, false));
    add("data columns swapped".into(), swap_fields(b, false, true));
    add("all columns swapped".into(), swap_fields(b, true, true));
    let first = lines(b).into_iter().next().unwrap_or_default();
    add("the header only".into(), first.clone());
    add("the header only, with newline".into(), [&first[..], b"\n"].concat());
    // 69-72: a million columns.
    let million: Vec<u8> = (0..1_000_000).map(|i| format!("c{i}")).collect::<Vec<_>>().join(",").into_bytes();
    add(
        "a header of 10^6 columns".into(),
        [&million[..], b"\n", &lines(b).get(1).cloned().unwrap_or_default()[..]].concat(),
    );
    add("a row of 10^6 columns".into(), [&first[..], b"\n", &million[..], b"\n"].concat());
    add("10^6 commas appended to line 2".into(), {
        let mut ls = lines(b);
        if ls.len() > 1 {
            ls[1].extend(std::iter::repeat_n(b',', 1_000_000));
        }
        join(&ls)
    });
    add("the header twice".into(), [&first[..], b"\n", b].concat());
    // 73-80: line structure.
    add("CRLF".into(), b.iter().flat_map(|&c| if c == b'\n' { vec![b'\r', c] } else { vec![c] }).collect());
    add("CR only".into(), b.iter().map(|&c| if c == b'\n' { b'\r' } else { c }).collect());
    add("no newlines".into(), b.iter().copied().filter(|&c| c != b'\n').collect());
    add("every line twice".into(), join(&lines(b).into_iter().flat_map(|l| [l.clone(), l]).collect::<Vec<_>>()));
    add("lines reversed".into(), join(&lines(b).into_iter().rev().collect::<Vec<_>>()));
    add(
        "every line cut in half".into(),
        join(&lines(b).into_iter().map(|l| l[..l.len() / 2].to_vec()).collect::<Vec<_>>()),
    );
    add(
        "blank lines between".into(),
        join(&lines(b).into_iter().flat_map(|l| [l, b"   ".to_vec(), Vec::new()]).collect::<Vec<_>>()),
    );
    add(
        "a garbage line inserted".into(),
        insert_at(b, b.iter().position(|&c| c == b'\n').unwrap_or(n) + 1, b"}{,\"\",,garbage]]\n"),
    );
    // 81-90: values.
    add("huge numbers".into(), digits(b, "99999999999999999999999999"));
    add("negative numbers".into(), digits(b, "-5"));
    add("NaN numbers".into(), digits(b, "NaN"));
    add("1e400 numbers".into(), digits(b, "1e400"));
    add("no digits".into(), digits(b, ""));
    add("i64::MAX numbers".into(), digits(b, "9223372036854775807"));
    add("impossible dates".into(), String::from_utf8_lossy(b).replace("-0", "-9").replace("T1", "T7").into_bytes());
    add("year 9999".into(), String::from_utf8_lossy(b).replace("202", "999").into_bytes());
    add("an unbalanced quote".into(), insert_at(b, n / 3, b"\""));
    add("quotes as apostrophes".into(), b.iter().map(|&c| if c == b'"' { b'\'' } else { c }).collect());
    // 91-100: separators, escapes, other formats.
    add("tabs for commas".into(), b.iter().map(|&c| if c == b',' { b'\t' } else { c }).collect());
    add("semicolons for commas".into(), b.iter().map(|&c| if c == b',' { b';' } else { c }).collect());
    add("colons for equals".into(), b.iter().map(|&c| if c == b':' { b'=' } else { c }).collect());
    add("an escaped NUL in strings".into(), String::from_utf8_lossy(b).replacen("\"", "\"\\u0000", 6).into_bytes());
    add("lone surrogate escapes".into(), String::from_utf8_lossy(b).replacen("\"", "\"\\ud800", 6).into_bytes());
    add("whitespace only".into(), b" \n\t\n  \n".to_vec());
    add("empty".into(), Vec::new());
    add("another format's file".into(), other.to_vec());
    add("a PNG header".into(), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec());
    add("the file twice".into(), [b, b"\n", b].concat());
    out
}

type Snapshot = BTreeMap<i64, Vec<Value>>;

/// The events stored before the damaged files (ids up to `upto`), every column but the
/// supersession flags: those are derived per account and day (CONVENTIONS rule 9), and a new
/// row on the same day legitimately changes them.
fn events(l: &Ledger, upto: i64) -> Snapshot {
    let mut st = l.conn().prepare("SELECT * FROM events WHERE id <= ?1").unwrap();
    let keep: Vec<usize> = (0..st.column_count())
        .filter(|&i| !matches!(st.column_name(i).unwrap(), "superseded" | "tokens_superseded" | "money_superseded"))
        .collect();
    let rows = st
        .query_map([upto], |r| {
            Ok((r.get::<_, i64>(0)?, keep.iter().map(|&i| r.get::<_, Value>(i)).collect::<Result<Vec<_>, _>>()?))
        })
        .unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

/// Damage a CSV gets from being opened and saved again elsewhere: detection must still know it.
const RESAVED: &[&str] = &["Latin-1", "UTF-8 BOM", "CRLF", "UTF-16LE with BOM", "UTF-16BE with BOM"];

/// Whether a format's rejected rows are records (their place in a JSON document or a
/// database, not a line of the file): what the source itself says of its rows.
fn is_document(format: &str) -> bool {
    matches!(tokenburn::import::by_name(format).map(|s| s.position(1)), Ok(Position::Record(_)))
}

fn count(l: &Ledger, sql: &str) -> i64 {
    l.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Checks one outcome; returns a problem, if any.
fn judge(
    path: &Path,
    bytes: &[u8],
    result: &Result<tokenburn::import::FileReport, tokenburn::error::Error>,
) -> Option<String> {
    let shown = path.display().to_string();
    let max_line = bytes.iter().filter(|&&c| c == b'\n' || c == b'\r').count() as u64 + 1;
    match result {
        Ok(rep) => {
            for rj in &rep.rejected {
                // The format that read the file: a damage may make it another format's.
                let placed = match (rj.at, is_document(&rep.format)) {
                    (Position::Line(n), false) => (1..=max_line).contains(&n),
                    (Position::Record(n), true) => n > 0,
                    _ => false,
                };
                if !placed {
                    return Some(format!("rejected at {} outside 1..={max_line} lines: {}", rj.at, rj.reason));
                }
                if rj.reason.trim().len() < 5 {
                    return Some(format!("{}: a reason that says nothing: {:?}", rj.at, rj.reason));
                }
            }
            None
        }
        Err(e) => {
            let msg = e.to_string();
            if !msg.contains(&shown) {
                return Some(format!("the error does not name the file: {msg}"));
            }
            if e.code() == tokenburn::error::Code::Ledger {
                return Some(format!("a bad file surfaced as a ledger error: {msg}"));
            }
            if msg.trim_end().ends_with(':') || msg.len() < shown.len() + 5 {
                return Some(format!("the error does not say what was wrong: {msg}"));
            }
            None
        }
    }
}

#[test]
fn every_importer_reports_damaged_files_clearly_and_keeps_the_ledger() {
    let seed = Rng::seed_from_env("TOKENBURN_CORRUPT_SEED");
    eprintln!("TOKENBURN_CORRUPT_SEED={seed}");
    let mut rng = Rng(seed);
    let env = Env::new();
    let mut ledger = Ledger::open(&env.db).unwrap();
    // The ledger starts with every fixture of every format.
    let formats: Vec<&str> = SOURCES.iter().map(|s| s.name()).collect();
    for f in &formats {
        for r in tokenburn::import::import_paths(&mut ledger, &fixture_paths(f), None, false, |_| {}).unwrap() {
            // A fixture under a `bad*` folder is there to fail; every other one imports.
            if let Err(e) = r {
                assert!(e.to_string().contains(&format!("{f}/bad")), "fixture of {f}: {e}");
            }
        }
    }
    let stored = count(&ledger, "SELECT max(id) FROM events");
    assert!(count(&ledger, "SELECT count(*) FROM events") > 50);
    let mut slowest: Vec<(std::time::Duration, String)> = Vec::new();

    let work = env.dir.path().join("damaged");
    std::fs::create_dir_all(&work).unwrap();
    let mut problems = Vec::new();
    let mut outcomes: BTreeMap<&str, u32> = BTreeMap::new();
    let mut cases = 0;
    let every_sample = formats.iter().enumerate().flat_map(|(fi, f)| samples(f).into_iter().map(move |s| (fi, f, s)));
    for (fi, format, fixture_file) in every_sample {
        let original = std::fs::read(&fixture_file).unwrap();
        let other = std::fs::read(sample(formats[(fi + 1) % formats.len()])).unwrap();
        let ext = fixture_file.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default();
        let list = damages(&original, &other, &mut rng);
        assert_eq!(list.len(), 100, "the list of damages");
        for (di, (name, bytes)) in list.iter().enumerate() {
            let path = damaged_path(&work, format, &fixture_file, di, &ext);
            std::fs::write(&path, bytes).unwrap();
            // Forced to the format, and detected (which may pick another format, or none).
            // Files of a megabyte and more are read by their format only, unless
            // TOKENBURN_CORRUPT_FULL=1: in a debug build each costs seconds.
            let detect_too = bytes.len() < 1 << 20 || env_number("TOKENBURN_CORRUPT_FULL", 0) == 1;
            for forced in [Some(*format), None].into_iter().filter(|f| f.is_some() || detect_too) {
                cases += 1;
                let before = events(&ledger, stored);
                let t = std::time::Instant::now();
                let imports_before = count(&ledger, "SELECT count(*) FROM imports");
                let what = format!("{format} #{di} {name} ({})", if forced.is_some() { "forced" } else { "detected" });
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    tokenburn::import::import_paths(&mut ledger, std::slice::from_ref(&path), forced, false, |_| {})
                }));
                let mut results = match result {
                    Ok(Ok(r)) => r,
                    Ok(Err(e)) => {
                        problems.push(format!("{what}: the whole import failed: {e}"));
                        continue;
                    }
                    Err(_) => {
                        problems.push(format!("{what}: PANIC"));
                        continue;
                    }
                };
                assert_eq!(results.len(), 1);
                let r = results.pop().unwrap();
                if let Some(p) = judge(&path, bytes, &r) {
                    problems.push(format!("{what}: {p}"));
                }
                // A vendor CSV re-saved with another encoding, a BOM or CRLF is still its format.
                if forced.is_none() && format.ends_with("-csv") && RESAVED.contains(&name.as_str()) {
                    if let Err(e) = &r {
                        if e.code() == tokenburn::error::Code::UnrecognisedFile {
                            problems.push(format!("{what}: not recognised: {e}"));
                        }
                    }
                }
                slowest.push((t.elapsed(), format!("{format} {name}")));
                let after = events(&ledger, stored);
                // Stored events: none lost; changed only by an upsert the import reported.
                let changed = before.iter().filter(|(id, row)| after.get(id) != Some(row)).count() as u64;
                let lost = before.keys().filter(|id| !after.contains_key(id)).count();
                match &r {
                    Ok(rep) => {
                        *outcomes
                            .entry(if rep.rejected_count > 0 { "rows rejected" } else { "imported" })
                            .or_default() += 1;
                        if lost > 0 || changed > rep.updated {
                            problems.push(format!(
                                "{what}: {lost} stored events lost, {changed} changed, {} updates reported",
                                rep.updated
                            ));
                        }
                    }
                    Err(_) => {
                        *outcomes.entry("file failed").or_default() += 1;
                        let imports_after = count(&ledger, "SELECT count(*) FROM imports");
                        if after != before || imports_after != imports_before {
                            problems.push(format!("{what}: a failed file changed the ledger"));
                        }
                    }
                }
            }
        }
    }
    let check: String = ledger.conn().query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    eprintln!("{cases} imports of damaged files: {outcomes:?}");
    let mut by_damage: BTreeMap<String, std::time::Duration> = BTreeMap::new();
    for (t, name) in &slowest {
        *by_damage.entry(name.split_once(' ').unwrap().1.to_string()).or_default() += *t;
    }
    let mut by_damage: Vec<_> = by_damage.into_iter().map(|(n, t)| (t, n)).collect();
    by_damage.sort();
    eprintln!("slowest damages: {:?}", &by_damage[by_damage.len().saturating_sub(10)..]);
    assert!(problems.is_empty(), "{} problems (seed {seed}):\n{}", problems.len(), problems.join("\n"));
}

/// Every event and import of a ledger file, as text.
fn ledger_rows(db: &Path) -> String {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut out = String::new();
    for sql in ["SELECT * FROM events ORDER BY id", "SELECT * FROM imports ORDER BY id"] {
        let mut st = c.prepare(sql).unwrap();
        let n = st.column_count();
        let mut rows = st.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            for i in 0..n {
                out.push_str(&format!("{:?}|", r.get::<_, Value>(i).unwrap()));
            }
            out.push('\n');
        }
    }
    out
}

/// The same damage through the CLI: a failed file exits non-zero and names the file on
/// stderr, rejected rows are printed as `file:line: reason`, and nothing panics.
#[test]
fn the_cli_names_the_file_and_line_of_damage() {
    let seed = Rng::seed_from_env("TOKENBURN_CORRUPT_SEED");
    eprintln!("TOKENBURN_CORRUPT_SEED={seed}");
    let mut rng = Rng(seed);
    let env = Env::new();
    env.ok(&["import", &fixture("claude-code"), &fixture("cursor-csv")]);
    let formats: Vec<&str> = SOURCES.iter().map(|s| s.name()).collect();
    let mut problems = Vec::new();
    for (di, fi) in (0..100).zip((0..formats.len()).cycle()) {
        let format = formats[fi];
        let original = std::fs::read(sample(format)).unwrap();
        let other = std::fs::read(sample(formats[(fi + 1) % formats.len()])).unwrap();
        let (name, bytes) = damages(&original, &other, &mut rng).swap_remove(di);
        let path = env.dir.path().join(format!("{format}-{di:03}.data"));
        std::fs::write(&path, &bytes).unwrap();
        let shown = path.display().to_string();
        let before = ledger_rows(&env.db);
        let out = env.run(&["import", "--format", format, &shown]);
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        let what = format!("{format} #{di} {name}");
        if stderr.contains("panicked") || out.status.code() == Some(101) {
            problems.push(format!("{what}: PANIC {stderr}"));
            continue;
        }
        if out.status.success() {
            // Every rejected row is printed as `file:line: reason`, or as `file: record N:
            // reason` in a JSON document.
            let at = if is_document(format) { " record " } else { "" };
            for l in stdout.lines().filter(|l| l.starts_with("  ")) {
                let rest = l.trim_start().strip_prefix(&format!("{shown}:{at}")).unwrap_or("");
                let (line, reason) = rest.split_once(": ").unwrap_or(("", ""));
                if line.parse::<u64>().map_or(true, |n| n == 0) || reason.len() < 5 {
                    problems.push(format!("{what}: a rejected row without its line or reason: {l}"));
                }
            }
        } else {
            if !stderr.contains(&shown) {
                problems.push(format!("{what}: failed without naming the file: {stderr}"));
            }
            if ledger_rows(&env.db) != before {
                problems.push(format!("{what}: a failed file changed the report"));
            }
        }
    }
    assert!(problems.is_empty(), "{} problems (seed {seed}):\n{}", problems.len(), problems.join("\n"));
}

/// A rollback journal that holds a write in progress starts with this magic.
const JOURNAL_MAGIC: [u8; 8] = [0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7];

/// An assistant message a newer write adds (10 input and 5 output tokens).
const NEW_MESSAGE: &str = "INSERT INTO message (id, session_id, time_created, time_updated, data) VALUES ('msg_future', 'ses_future', 1785405700000, 1785405700000, \
    '{\"role\":\"assistant\",\"tokens\":{\"total\":15,\"input\":10,\"output\":5,\"reasoning\":0,\"cache\":{\"write\":0,\"read\":0}},\
    \"modelID\":\"fixture-model/future\",\"providerID\":\"fixture-ai\",\"time\":{\"created\":1785405700000,\"completed\":1785405700000}}');";

/// `format`'s fixture database with `more` SQL applied after it, written as `dir/<name>`.
fn build_database(format: &str, dir: &Path, more: &str) -> PathBuf {
    let (_, name) = DATABASES.iter().find(|(f, _)| *f == format).unwrap();
    std::fs::create_dir_all(dir).unwrap();
    let db = dir.join(name);
    let sql = std::fs::read_to_string(fixtures().join(format!("sql/{format}.sql"))).unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(&sql).unwrap();
    conn.execute_batch(more).unwrap();
    db
}

/// A ledger holding Claude Code's fixtures, and what it stores: (events, imports).
struct Held {
    ledger: Ledger,
    upto: i64,
}

impl Held {
    fn new(env: &Env) -> Held {
        let mut ledger = Ledger::open(&env.db).unwrap();
        for r in tokenburn::import::import_paths(&mut ledger, &[fixtures().join("claude-code")], None, false, |_| {})
            .unwrap()
        {
            r.unwrap();
        }
        let upto = count(&ledger, "SELECT max(id) FROM events");
        Held { ledger, upto }
    }

    fn state(&self) -> (Snapshot, i64, i64) {
        (
            events(&self.ledger, self.upto),
            count(&self.ledger, "SELECT count(*) FROM events"),
            count(&self.ledger, "SELECT count(*) FROM imports"),
        )
    }

    fn import(&mut self, db: &Path) -> Result<tokenburn::import::FileReport, tokenburn::error::Error> {
        let mut r =
            tokenburn::import::import_paths(&mut self.ledger, &[db.to_path_buf()], None, false, |_| {}).unwrap();
        assert_eq!(r.len(), 1);
        r.pop().unwrap()
    }

    /// Imports `db`, expecting a failure that names it and says `says`, and a ledger that
    /// has not changed at all.
    fn fails(&mut self, db: &Path, says: &str, what: &str) -> tokenburn::error::Error {
        let before = self.state();
        let err = self.import(db).err().unwrap_or_else(|| panic!("{what}: imported"));
        let msg = err.to_string();
        assert!(msg.contains(&*db.to_string_lossy()), "{what}: the error does not name the file: {msg}");
        assert!(msg.contains(says), "{what}: {msg}");
        assert_ne!(err.code(), tokenburn::error::Code::Ledger, "{what}: {msg}");
        assert!(self.state() == before, "{what}: a failed database changed the ledger");
        err
    }
}

/// opencode's and Kilo CLI's databases: truncated, locked by a writer, left with a hot
/// journal, from a newer version with columns and tables Tokenburn does not know (which
/// must still import), and without their message table. A failure names the file, says
/// what was wrong and leaves every stored event and import as it was.
#[test]
fn agent_databases_truncated_locked_newer_or_without_messages() {
    for (format, name) in DATABASES {
        let env = Env::new();
        let root = env.dir.path();
        // What the fixture database gives in a ledger of its own.
        let plain = {
            let mut h = Held::new(&env);
            let n = h.import(&build_database(format, &root.join("plain"), "")).unwrap();
            assert!(n.added > 0 && n.rejected.is_empty(), "{format}: {n:?}");
            n.added
        };
        std::fs::remove_file(&env.db).unwrap();
        let mut held = Held::new(&env);

        // Truncated: mid-file, after the header page, inside the 100-byte header.
        let whole = std::fs::read(build_database(format, &root.join("whole"), "")).unwrap();
        for at in [whole.len() / 2, 4096, 100, 10] {
            let db = root.join(format!("cut-{at}")).join(name);
            std::fs::create_dir_all(db.parent().unwrap()).unwrap();
            std::fs::write(&db, &whole[..at]).unwrap();
            let err = held.fails(&db, "", &format!("{format} cut at byte {at}"));
            // Cut inside the 16-byte magic, the file is no longer recognisably a database.
            let want = if at < 16 { tokenburn::error::Code::UnrecognisedFile } else { tokenburn::error::Code::BadFile };
            assert_eq!(err.code(), want, "{format} cut at {at}: {err}");
        }

        // Without its message table.
        let db = build_database(format, &root.join("no-message"), "DROP TABLE message;");
        held.fails(&db, "has no message table", &format!("{format} without a message table"));

        // A writer in the middle of a transaction (rollback journal, written through at once):
        // busy, and the same folder after the writer died (a hot journal) too.
        let live = root.join("live");
        let db = build_database(format, &live, "");
        let writer = rusqlite::Connection::open(&db).unwrap();
        writer.execute_batch(&format!("PRAGMA synchronous=OFF; BEGIN IMMEDIATE; {NEW_MESSAGE}")).unwrap();
        let journal = live.join(format!("{name}-journal"));
        assert_eq!(std::fs::read(&journal).unwrap()[..8], JOURNAL_MAGIC, "the writer's journal is hot");
        let err = held.fails(&db, "busy", &format!("{format} locked by a writer"));
        assert!(matches!(err, tokenburn::error::Error::SourceBusy { .. }), "{err}");
        let crashed = root.join("crashed");
        std::fs::create_dir_all(&crashed).unwrap();
        for f in [name.to_string(), format!("{name}-journal")] {
            std::fs::copy(live.join(&f), crashed.join(&f)).unwrap();
        }
        held.fails(&crashed.join(name), "the next scan tries again", &format!("{format} with a hot journal"));
        // Once the writer is done, the next read takes everything, the new message included.
        writer.execute_batch("COMMIT").unwrap();
        drop(writer);
        let r = held.import(&db).unwrap_or_else(|e| panic!("{format} after the writer committed: {e}"));
        assert_eq!(r.added, plain + 1, "{format}: {r:?}");

        // A writer holding its lock in WAL mode: what it has committed is read, never what
        // it has not.
        let wal = root.join("wal");
        let db = build_database(format, &wal, "PRAGMA journal_mode=WAL;");
        let writer = rusqlite::Connection::open(&db).unwrap();
        writer.execute_batch(&format!("BEGIN IMMEDIATE; {NEW_MESSAGE}")).unwrap();
        std::fs::remove_file(&env.db).unwrap();
        let mut fresh = Held::new(&env);
        let r = fresh.import(&db).unwrap_or_else(|e| panic!("{format} in WAL mode, locked: {e}"));
        assert_eq!(r.added, plain, "{format} in WAL mode, locked: {r:?}");
        writer.execute_batch("COMMIT").unwrap();
        drop(writer);

        // A newer agent version: a migration, columns and tables Tokenburn does not know.
        let migration = match *format {
            "opencode" => "INSERT INTO migration VALUES ('20991231000000_future_columns', 4102444800000);",
            _ => "INSERT INTO \"__drizzle_migrations\" VALUES (NULL, 'future', 4102444800000);",
        };
        let newer = format!(
            "{migration}
             ALTER TABLE message ADD COLUMN `future_flag` integer DEFAULT 7 NOT NULL;
             ALTER TABLE message ADD COLUMN `future_json` text;
             ALTER TABLE session ADD COLUMN `future_workspace` text;
             CREATE TABLE `future_event` (`id` text PRIMARY KEY, `message_id` text, `data` text NOT NULL);
             INSERT INTO future_event VALUES ('evt_1', 'msg_future', '{{\"type\":\"unknown\"}}');
             {NEW_MESSAGE}"
        );
        let db = build_database(format, &root.join("newer"), &newer);
        std::fs::remove_file(&env.db).unwrap();
        let mut fresh = Held::new(&env);
        let r = fresh.import(&db).unwrap_or_else(|e| panic!("{format} from a newer version: {e}"));
        assert_eq!((r.added, r.rejected.len()), (plain + 1, 0), "{format} from a newer version: {r:?}");
    }
}

/// Valid JSON of the wrong shape for each agent log (`fixtures/bad/wrong-shapes/<format>/`):
/// objects where arrays belong and the reverse, numbers as strings, counts past u64,
/// negative counts, cache larger than the input that holds it, lines that are not objects.
/// Forced to its format and detected, each file either fails naming itself and writes
/// nothing, or imports with every wrong record rejected at its place; it never imports
/// silently, and nothing already stored changes.
#[test]
fn wrong_shapes_of_every_agent_log_are_rejected_at_their_place() {
    let env = Env::new();
    let mut held = Held::new(&env);
    let root = fixtures().join("bad/wrong-shapes");
    let mut problems = Vec::new();
    let mut formats = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        let format = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(tokenburn::import::by_name(&format).is_ok(), "{format} is no source");
        formats += 1;
        for file in tokenburn::import::walk(&dir, &|_| true).unwrap() {
            let bytes = std::fs::read(&file).unwrap();
            for forced in [Some(format.as_str()), None] {
                let what = format!("{} ({})", file.display(), if forced.is_some() { "forced" } else { "detected" });
                let before = held.state();
                let mut r = tokenburn::import::import_paths(
                    &mut held.ledger,
                    std::slice::from_ref(&file),
                    forced,
                    false,
                    |_| {},
                )
                .unwrap();
                let r = r.pop().unwrap();
                if let Some(p) = judge(&file, &bytes, &r) {
                    problems.push(format!("{what}: {p}"));
                }
                let after = held.state();
                match &r {
                    Ok(rep) => {
                        if rep.rejected_count == 0 {
                            problems.push(format!("{what}: imported without a word: {rep:?}"));
                        }
                        let changed = before.0.iter().filter(|(id, row)| after.0.get(id) != Some(row)).count() as u64;
                        if changed > rep.updated || after.0.len() != before.0.len() {
                            problems.push(format!("{what}: {changed} stored events changed"));
                        }
                    }
                    Err(_) if after != before => problems.push(format!("{what}: a failed file changed the ledger")),
                    Err(_) => {}
                }
            }
        }
    }
    assert_eq!(formats, 6, "every agent-log format has its wrong shapes");
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}
