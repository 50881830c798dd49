//! What the fuzz targets share: running bytes through a [`Source`] the ways users reach it.
//!
//! Every source target runs its input four ways, each of which must end without a panic:
//! 1. `Source::parse` over the whole buffer (an explicit import, `Tail::Read`);
//! 2. the same through a `BufReader` of a few bytes, so every line and record straddles
//!    buffer refills; it must give the same events and rejections as (1);
//! 3. a scan split: the bytes up to some newline with `Tail::Leave`, then the rest resumed
//!    from the consumed offset, line and saved state (what `scan` does when a log grows);
//!    for the agent logs that `scan` resumes, the two halves must give the events of (1);
//! 4. for an input with events, the import driver into a real (in-memory) ledger: `load` +
//!    `store`, which prices and stores every event, in a savepoint rolled back afterwards.
//!
//! Invariants checked: `consumed` never passes the input, rejected rows listed never exceed
//! the count, and the buffer size never changes what is read.

use std::cell::RefCell;
use std::io::{BufReader, Cursor};
use std::path::{Path, PathBuf};

use tokenburn::import::{self, FileJob, ParseCtx, Sniff, Source, Start, Tail};
use tokenburn::ledger::Ledger;
use tokenburn::model::UsageEvent;

/// Events (as `key@line`) and rejections (as `line N: reason` or `record N: reason`) of one
/// parse, for comparing.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub events: Vec<String>,
    pub rejected: Vec<String>,
    pub rejected_count: u64,
    pub failed: bool,
    pub consumed: u64,
    pub last_line: u64,
    pub state: Option<String>,
}

fn ctx<'a>(path: &'a Path, start: &Start, tail: Tail) -> ParseCtx<'a> {
    ParseCtx {
        path,
        project: Some("fuzz-project".into()),
        first_line: start.line,
        state: start.state.clone(),
        tail,
        rows: 0,
        rejected: Vec::new(),
        rejected_count: 0,
        consumed: 0,
        last_line: start.line,
    }
}

fn describe(ev: &UsageEvent) -> String {
    // What the event carries that the user sees; totals are computed so an overflow shows.
    let t = &ev.tokens;
    format!(
        "{}@{} {}/{} t={} total={} cost={:?} day={:?}",
        ev.key,
        ev.line,
        ev.provider,
        ev.model,
        ev.ts_ms,
        t.total(),
        ev.cost,
        ev.day
    )
}

/// Parses `data` with `source` through `reader`.
pub fn parse_with(
    source: &dyn Source,
    path: &Path,
    reader: &mut dyn std::io::BufRead,
    start: &Start,
    tail: Tail,
    len: u64,
) -> Outcome {
    let mut c = ctx(path, start, tail);
    let mut events = Vec::new();
    let result = source.parse(reader, &mut c, &mut |ev| {
        events.push(describe(&ev));
        Ok(())
    });
    assert!(c.consumed <= len, "consumed {} of {} bytes", c.consumed, len);
    assert!(c.rejected.len() as u64 <= c.rejected_count, "more rejections listed than counted");
    assert!(c.rejected.len() <= import::MAX_REJECTED_LISTED);
    Outcome {
        events,
        rejected: c.rejected.iter().map(ToString::to_string).collect(),
        rejected_count: c.rejected_count,
        failed: result.is_err(),
        consumed: c.consumed,
        last_line: c.last_line,
        state: c.state,
    }
}

/// A small buffer size picked from the input, so runs vary it but stay reproducible.
fn small_capacity(data: &[u8]) -> usize {
    1 + data.iter().fold(data.len(), |a, &b| a.wrapping_mul(31).wrapping_add(b as usize)) % 61
}

/// Runs `data` through the source named `name` as if it were the file `file_name`.
pub fn source(name: &str, file_name: &str, data: &[u8]) {
    let source = import::by_name(name).expect("a built-in source");
    let path = PathBuf::from(file_name);
    let len = data.len() as u64;
    let start = Start::default();

    // 1. An explicit import of the whole buffer.
    let whole = parse_with(source, &path, &mut Cursor::new(data), &start, Tail::Read, len);

    // 2. The same bytes through a tiny buffer.
    let cap = small_capacity(data);
    let mut small = BufReader::with_capacity(cap, Cursor::new(data));
    let chunked = parse_with(source, &path, &mut small, &start, Tail::Read, len);
    assert_eq!(whole, chunked, "a {cap}-byte read buffer changed the result");

    // 3. A scan that stops after some newline, and the next scan that resumes there.
    let newlines: Vec<usize> = memchr_all(data);
    if !newlines.is_empty() {
        let cut = newlines[cap % newlines.len()] + 1;
        let first = parse_with(source, &path, &mut Cursor::new(&data[..cut]), &start, Tail::Leave, cut as u64);
        let offset = first.consumed as usize;
        let resume = Start { offset: offset as u64, line: first.last_line, state: first.state.clone() };
        let rest_len = (data.len() - offset) as u64;
        let rest = parse_with(source, &path, &mut Cursor::new(&data[offset..]), &resume, Tail::Read, rest_len);
        if matches!(name, "claude-code" | "codex" | "qwen-code") && !whole.failed {
            assert_eq!(offset, cut, "a scan stopped before a complete line");
            let mut joined = first.events.clone();
            joined.extend(rest.events.iter().cloned());
            assert_eq!(joined, whole.events, "a scan resumed at byte {offset} read other events");
        }
    }

    // 4. The import driver, into a real ledger (only for inputs with events: the rest would
    // spend the run on SQLite bookkeeping the parses above already cover).
    if !whole.events.is_empty() {
        store(source, file_name, data);
    }
}

fn memchr_all(data: &[u8]) -> Vec<usize> {
    data.iter().enumerate().filter(|(_, &b)| b == b'\n').map(|(i, _)| i).collect()
}

thread_local! {
    static LEDGER: RefCell<Option<Ledger>> = const { RefCell::new(None) };
}

/// A per-process scratch directory for the files the driver reads.
pub fn scratch(file_name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tokenburn-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir.join(file_name)
}

/// `load` + `store` of `data` as `file_name` into an in-memory ledger, rolled back after.
pub fn store(source: &dyn Source, file_name: &str, data: &[u8]) {
    let path = scratch(file_name);
    std::fs::write(&path, data).expect("scratch file");
    LEDGER.with(|cell| {
        let mut cell = cell.borrow_mut();
        let ledger = cell.get_or_insert_with(|| Ledger::open(Path::new(":memory:")).expect("in-memory ledger"));
        let job = FileJob {
            path: path.clone(),
            source,
            start: Start::default(),
            tail: Tail::Read,
            project: None,
            dry_run: false,
            mark: None,
        };
        let loaded = import::load(job).expect("load a scratch file");
        let conn = ledger.conn();
        conn.execute_batch("SAVEPOINT fuzz").expect("savepoint");
        let _ = import::store(conn, ledger.book(), loaded);
        conn.execute_batch("ROLLBACK TO fuzz; RELEASE fuzz").expect("rollback");
    });
}

/// A source's SQLite database: `data` written as `file_name` and imported through the
/// driver (which copies it, opens the copy and reads its rows) into the in-memory ledger,
/// rolled back after. Bytes without the SQLite header are `source`'s to read.
pub fn database(name: &str, file_name: &str, data: &[u8]) {
    if data.starts_with(import::sqlite::MAGIC) {
        store(import::by_name(name).expect("a built-in source"), file_name, data);
    }
}

/// The CSV reader every CSV importer and rules file goes through, with the options a rules
/// file can set (picked by the first byte), and the number and date parsers rows use.
pub fn csv_rows(data: &[u8]) {
    use tokenburn::import::csv_rows::{self, Header, Opts};
    use tokenburn::money::{PerMTok, Usd};

    let Some((&opt, body)) = data.split_first() else { return };
    let delimiter = [None, Some(b','), Some(b';'), Some(b'\t'), Some(b'|')][(opt & 7) as usize % 5];
    let skip = ((opt >> 3) & 3) as u64;
    let encoding = [
        None,
        Some(encoding_rs::UTF_8),
        Some(encoding_rs::UTF_16LE),
        Some(encoding_rs::UTF_16BE),
        Some(encoding_rs::WINDOWS_1252),
        Some(encoding_rs::SHIFT_JIS),
        None,
        None,
    ][(opt >> 5) as usize];
    let opts = Opts { delimiter, skip, encoding };
    let path = Path::new("fuzz.csv");
    let _ = Header::sniff(body);
    let mut c = ctx(path, &Start::default(), Tail::Read);
    let mut rows = 0u64;
    let result = csv_rows::read(
        &mut Cursor::new(body),
        &mut c,
        &opts,
        |h: &Header| {
            // Bind the way importers do: by name, some columns required.
            let first = h.names().first().cloned().unwrap_or_default();
            let _ = h.find(&first);
            let _ = h.require("model");
            Ok(h.len())
        },
        |width: &mut usize, row| {
            rows += 1;
            assert!(row.line >= 1, "row line numbers are 1-based");
            for i in 0..*width + 1 {
                let f = row.get(i);
                let _ = csv_rows::count(f);
                let _ = csv_rows::rounded_count(f);
                let _ = csv_rows::unix_seconds_ms(f);
                let _ = csv_rows::parse_day(f);
                let _ = csv_rows::parse_naive(f);
                let _ = tokenburn::timezone::parse_instant_ms(f);
                let _ = Usd::parse(f);
                let _ = Usd::parse_cents(f);
                let _ = PerMTok::parse_per_mtok(f);
                let _ = PerMTok::parse_per_token(f);
                let _ = tokenburn::import::names::provider_of(f);
                let _ = tokenburn::import::names::provider_of_slug(f);
                let _ = tokenburn::import::names::id_of_display_name(f);
            }
            let _ = row.blank_from(1);
            Ok(if rows.is_multiple_of(3) { Err("every third row rejected".to_string()) } else { Ok(()) })
        },
    );
    let _ = result;
    assert!(c.consumed <= body.len() as u64, "consumed {} of {} bytes", c.consumed, body.len());
    assert!(c.rejected.len() as u64 <= c.rejected_count);
}

/// Format detection: which sources claim a file, judged from its name and first bytes.
pub fn detect(data: &[u8]) {
    let head = &data[..data.len().min(64 * 1024)];
    // Sources judge by extension and content; each claimants call sniffs a CSV header per CSV
    // source (a csv reader built each time, slow under coverage), so few names: one for each
    // kind of name a source claims by (agent logs named by their agent, JSON, CSV).
    for name in [
        "fuzz.jsonl",
        "stats-cache.json",
        "fuzz.csv",
        "threads/T-fuzz.json",
        "tasks/1/ui_messages.json",
        "chats/session-fuzz.json",
        "session-state/1/events.jsonl",
    ] {
        let claim = import::claimants(Path::new(name), head);
        // Any claimant must then be able to read the file without panicking.
        if let [one] = claim.as_slice() {
            let mut c = ctx(Path::new(name), &Start::default(), Tail::Read);
            let _ = one.parse(&mut Cursor::new(data), &mut c, &mut |ev| {
                let _ = ev.tokens.total();
                Ok(())
            });
        }
    }
    // The path `tokenburn import FILE` takes: open, sniff, detect.
    let path = scratch("detect.jsonl");
    std::fs::write(&path, data).expect("scratch file");
    let _ = import::detect(&path);
}

/// A mapping-rules file (TOML) before the first NUL byte, a CSV after it: load the rules,
/// detect and import the CSV through them (parse, and for a CSV with events the driver into
/// a ledger), and draft rules from the CSV (`rules init`).
pub fn rules(data: &[u8]) {
    use tokenburn::import::rules::Rules;

    let (toml, csv) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let csv_path = scratch("rules-fuzz.csv");
    std::fs::write(&csv_path, csv).expect("scratch file");
    let _ = tokenburn::import::rules::draft(&csv_path);
    let Ok(text) = std::str::from_utf8(toml) else { return };
    let Ok(rules) = Rules::parse(Path::new("fuzz-rules.toml"), text) else { return };
    let _ = rules.name();
    let source = rules.into_source();
    let head = &csv[..csv.len().min(64 * 1024)];
    let path = Path::new("rules-fuzz.csv");
    let _ = source.detect(&Sniff { path, head });
    let len = csv.len() as u64;
    let start = Start::default();
    let mut c = ctx(path, &start, Tail::Read);
    let mut events = Vec::new();
    let _ = source.parse(&mut Cursor::new(csv), &mut c, &mut |ev| {
        events.push(describe(&ev));
        Ok(())
    });
    assert!(c.consumed <= len);
    let mut small = BufReader::with_capacity(small_capacity(csv), Cursor::new(csv));
    let mut c2 = ctx(path, &start, Tail::Read);
    let mut events2 = Vec::new();
    let _ = source.parse(&mut small, &mut c2, &mut |ev| {
        events2.push(describe(&ev));
        Ok(())
    });
    assert_eq!(events, events2, "the read buffer size changed the events");
    assert_eq!(c.rejected_count, c2.rejected_count);
    if !events.is_empty() {
        store(&source, "rules-fuzz.csv", csv);
    }
}

/// A price snapshot (JSON) before the first NUL byte, then `provider/model` lines to price
/// with it (plus a few fixed names), on a few dates.
pub fn price_snapshot(data: &[u8]) {
    use tokenburn::model::Tokens;
    use tokenburn::pricing::PriceBook;

    let (json, queries) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let Ok(json) = std::str::from_utf8(json) else { return };
    let Ok(book) = PriceBook::from_snapshot(json) else { return };
    let _ = book.version();
    let queries = String::from_utf8_lossy(queries);
    let fixed = ["anthropic/claude-sonnet-4-20250514", "openai/gpt-4o", "/", "google/gemini-2.5-pro", "x/"];
    let tokens = Tokens {
        input: 1_000_000,
        cache_write_5m: 1000,
        cache_write_1h: 1000,
        cache_read: 1000,
        output: 1000,
        requests: 1,
        ..Tokens::default()
    };
    let dates =
        [chrono::NaiveDate::from_ymd_opt(2025, 6, 1).expect("date"), chrono::NaiveDate::MIN, chrono::NaiveDate::MAX];
    for q in queries.lines().take(64).chain(fixed) {
        let (provider, model) = q.split_once('/').unwrap_or(("", q));
        for d in dates {
            if let Some(p) = book.price(provider, model, d) {
                let _ = p.cost(&tokens);
            }
            let _ = book.cost(provider, model, d, &tokens);
        }
    }
    for d in dates {
        let _ = book.models(d);
    }
}
