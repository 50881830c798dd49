//! The import driver: runs one file through a source into the ledger.
//!
//! Two phases so a scan can overlap them: [`load`] does the file I/O and hashing (no
//! ledger, any thread), [`store`] parses and writes inside the caller's transaction or
//! savepoint. Invariant: `store` either writes everything of the file (events, the import
//! row, its rejected rows, the scan mark) or returns an error, and the caller rolls back.

use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, SyncSender};

use rusqlite::Connection;

use super::{detect, walk, FileReport, ParseCtx, Source, Tail};
use crate::error::{Error, Result};
use crate::ledger::queries::{events, imports, scan_files};
use crate::ledger::Ledger;
use crate::model::{Authority, UsageEvent};
use crate::pricing::PriceBook;

/// Where to start reading a file and what the scan knew there.
#[derive(Debug, Clone, Default)]
pub struct Start {
    pub offset: u64,
    pub line: u64,
    pub state: Option<String>,
}

/// Options of one file import. `'s` is the source's lifetime: `'static` for the built-in
/// formats, a rules file's lifetime for `--rules` imports.
pub struct FileJob<'s> {
    pub path: PathBuf,
    pub source: &'s dyn Source,
    pub start: Start,
    pub tail: Tail,
    pub project: Option<String>,
    pub dry_run: bool,
    /// For scans: the mark to store with the import (identity and size seen before reading).
    pub mark: Option<scan_files::FileMark>,
}

impl FileJob<'_> {
    /// The parse context of this job: from its start, with its project and tail rule.
    fn ctx(&self) -> ParseCtx<'_> {
        ParseCtx {
            project: self.project.clone(),
            first_line: self.start.line,
            state: self.start.state.clone(),
            tail: self.tail,
            last_line: self.start.line,
            ..ParseCtx::new(&self.path)
        }
    }

    /// Stores the scan mark of the file (when this job is a scan's), at the end of what was
    /// read.
    fn put_mark(&self, conn: &Connection, offset: u64, line: u64, state: Option<String>) -> Result<()> {
        if let Some(m) = &self.mark {
            let m = scan_files::FileMark { offset, line, state, ..m.clone() };
            scan_files::put(conn, &self.path.to_string_lossy(), &m)?;
        }
        Ok(())
    }
}

/// Files (or new byte ranges) up to this size are read into memory and hashed before the
/// ledger is touched, and skipped if identical bytes were imported before; larger ones are
/// streamed and hashed as they are parsed.
const IN_MEMORY_MAX: u64 = 16 * 1024 * 1024;

/// Events handed from the parser thread to the writer at a time.
const BATCH: usize = 1024;

/// A file's bytes, read ahead of the ledger write.
pub struct Loaded<'s> {
    pub job: FileJob<'s>,
    len: u64,
    data: Data,
}

enum Data {
    Memory { bytes: Vec<u8>, sha: String },
    Stream,
    Db(super::DbReader),
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: blake3::Hasher,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// The content digest an import stores (in `imports.sha256`) to recognise identical bytes:
/// BLAKE3, several times faster than SHA-256 on a scan's every byte. It is marked `b3:` so
/// that it never equals the SHA-256 hex that earlier versions stored in the same column:
/// bytes imported before the change are parsed once more when seen again (their events'
/// keys dedupe them, nothing is counted twice), and recognised from then on.
fn digest(bytes: &[u8]) -> String {
    tagged(&blake3::hash(bytes))
}

/// The stored form of a finished BLAKE3 hash (see [`digest`]).
fn tagged(hash: &blake3::Hash) -> String {
    format!("b3:{}", hash.to_hex())
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn open_at(path: &Path, offset: u64) -> Result<(File, u64)> {
    let io = |e| Error::io(path, e);
    let mut file = File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    if offset > 0 {
        file.seek(SeekFrom::Start(offset)).map_err(io)?;
    }
    Ok((file, len))
}

/// Reads (and hashes) the part of the file the job covers, when it is small enough.
pub fn load<'s>(job: FileJob<'s>) -> Result<Loaded<'s>> {
    if let Some(read) = job.source.db_reader().filter(|_| super::sqlite::is_database(&job.path)) {
        let len = std::fs::metadata(&job.path).map_err(|e| Error::io(&job.path, e))?.len();
        return Ok(Loaded { job, len, data: Data::Db(read) });
    }
    let (mut file, len) = open_at(&job.path, job.start.offset)?;
    if len.saturating_sub(job.start.offset) > IN_MEMORY_MAX {
        return Ok(Loaded { job, len, data: Data::Stream });
    }
    let mut bytes = Vec::with_capacity((len - job.start.offset.min(len)) as usize);
    file.read_to_end(&mut bytes).map_err(|e| Error::io(&job.path, e))?;
    let sha = digest(&bytes);
    Ok(Loaded { job, len, data: Data::Memory { bytes, sha } })
}

/// Imports one file (from `job.start`) in one transaction.
pub fn import_file(ledger: &mut Ledger, job: FileJob) -> Result<FileReport> {
    let loaded = load(job)?;
    ledger.write(|tx, book| store(tx, book, loaded))
}

/// Parses a loaded file and writes it; the caller owns the transaction.
pub fn store(conn: &Connection, book: &PriceBook, loaded: Loaded) -> Result<FileReport> {
    let Loaded { job, len, data } = loaded;
    let source = job.source;
    // Bytes identical to an earlier whole-file import add nothing: every key they hold is
    // stored already with a rank at least as good. Record the import, don't parse again.
    if let (Data::Memory { bytes, sha }, 0, false) = (&data, job.start.offset, job.dry_run) {
        if let Some(earlier) = imports::find_identical(conn, source.name(), sha)? {
            return store_identical(conn, &job, bytes.len() as u64, sha, earlier);
        }
    }
    let import_id = if job.dry_run { None } else { Some(begin_import(conn, &job, len, &data)?) };
    // A dry run writes nothing, not even a name.
    let mut writer =
        import_id.map(|id| events::Writer::new(conn, source.name(), source.authority(), id)).transpose()?;
    let mut ctx = job.ctx();
    let mut counts = imports::Counts::default();
    let stream_sha = parse_and_write(&job, &data, book, &mut ctx, writer.as_mut(), &mut counts)?;
    counts.rows = ctx.rows;
    counts.rejected = ctx.rejected_count;
    if let Some(id) = import_id {
        if let Some(sha) = stream_sha {
            imports::set_digest(conn, id, &sha)?;
        }
        finish_import(conn, &job, id, &ctx, &counts)?;
        if source.authority() == Authority::Summary || counts.added + counts.updated > 0 {
            events::refresh_supersession(conn, crate::ledger::queries::settings::tz(conn)?)?;
        }
        if let Some(w) = writer {
            crate::spend::refresh_touched(conn, &w.finish()?)?;
        }
    }
    Ok(FileReport {
        rows: counts.rows,
        added: counts.added,
        updated: counts.updated,
        duplicates: counts.duplicates,
        rejected: ctx.rejected,
        rejected_count: ctx.rejected_count,
        import_id,
        ..empty_report(&job)
    })
}

/// The report of a job before anything is known of the file.
fn empty_report(job: &FileJob) -> FileReport {
    FileReport {
        path: job.path.to_string_lossy().into_owned(),
        format: job.source.name().to_string(),
        rows: 0,
        added: 0,
        updated: 0,
        duplicates: 0,
        rejected: Vec::new(),
        rejected_count: 0,
        import_id: None,
        same_as: None,
    }
}

/// Records an import of bytes identical to `earlier`'s: its counts (every event a
/// duplicate), its rejected rows and its end, without parsing.
fn store_identical(
    conn: &Connection,
    job: &FileJob,
    len: u64,
    sha: &str,
    earlier: imports::Identical,
) -> Result<FileReport> {
    let source = job.source;
    let path = job.path.to_string_lossy();
    let end = earlier.end_byte.min(len);
    let new = imports::NewImport {
        path: &path,
        format: source.name(),
        sha256: sha,
        byte_start: 0,
        byte_end: end,
        same_as: Some(earlier.id),
    };
    let id = imports::insert(conn, &new, now_ms())?;
    let e = &earlier.counts;
    let c = imports::Counts {
        rows: e.rows,
        duplicates: e.added + e.updated + e.duplicates,
        rejected: e.rejected,
        ..Default::default()
    };
    let state = earlier.end_state.as_deref();
    imports::finish(conn, id, &c, imports::End { byte: end, line: earlier.end_line, state })?;
    let rejected = imports::rejects(conn, earlier.id, |n| source.position(n))?;
    imports::add_rejects(conn, id, &rejected)?;
    job.put_mark(conn, end, earlier.end_line, earlier.end_state.clone())?;
    Ok(FileReport {
        rows: c.rows,
        duplicates: c.duplicates,
        rejected,
        rejected_count: c.rejected,
        import_id: Some(id),
        same_as: Some(earlier.id),
        ..empty_report(job)
    })
}

/// Inserts the import row of a job that will be parsed; its counts and end come later.
fn begin_import(conn: &Connection, job: &FileJob, len: u64, data: &Data) -> Result<i64> {
    let sha = match data {
        Data::Memory { sha, .. } => sha.as_str(),
        Data::Stream | Data::Db(_) => "",
    };
    let new = imports::NewImport {
        path: &job.path.to_string_lossy(),
        format: job.source.name(),
        sha256: sha,
        byte_start: job.start.offset,
        byte_end: len,
        same_as: None,
    };
    imports::insert(conn, &new, now_ms())
}

/// Stores what a parse ended with: counts, end, rejected rows and the scan mark.
fn finish_import(conn: &Connection, job: &FileJob, id: i64, ctx: &ParseCtx, counts: &imports::Counts) -> Result<()> {
    let byte = job.start.offset + ctx.consumed;
    imports::finish(conn, id, counts, imports::End { byte, line: ctx.last_line, state: ctx.state.as_deref() })?;
    imports::add_rejects(conn, id, &ctx.rejected)?;
    job.put_mark(conn, byte, ctx.last_line, ctx.state.clone())
}

/// Parses the file on a thread of its own (which also hashes and prices its events) while
/// this one writes them (or, for a dry run without a writer, only counts them). Returns the
/// hash of a streamed file.
fn parse_and_write(
    job: &FileJob,
    data: &Data,
    book: &PriceBook,
    ctx: &mut ParseCtx,
    writer: Option<&mut events::Writer>,
    counts: &mut imports::Counts,
) -> Result<Option<String>> {
    std::thread::scope(|s| {
        let (send, batches) = std::sync::mpsc::sync_channel::<Vec<events::Prepared>>(8);
        // Written batches come back to be emptied by the parser: their events' strings are
        // freed by the thread that allocated them (a million events are millions of frees,
        // which cost the writer several times more than they cost the parser).
        let (recycle, written_batches) = std::sync::mpsc::channel::<Vec<events::Prepared>>();
        let parser = s.spawn(move || parse_in_batches(job, data, book, ctx, &send, &written_batches));
        let written = write_batches(&batches, &recycle, writer, counts);
        // A failed write stops the parser at its next batch.
        drop(batches);
        let parsed = parser.join().expect("the parser thread does not panic");
        written?;
        parsed
    })
}

/// The parser's side of [`parse_and_write`]: sends the file's prepared events in batches.
fn parse_in_batches(
    job: &FileJob,
    data: &Data,
    book: &PriceBook,
    ctx: &mut ParseCtx,
    send: &SyncSender<Vec<events::Prepared>>,
    written_batches: &Receiver<Vec<events::Prepared>>,
) -> Result<Option<String>> {
    let (source, path) = (job.source, job.path.as_path());
    let authority = source.authority();
    let stopped = || Error::Stopped { what: "import" };
    let mut batch = Vec::with_capacity(BATCH);
    let mut sink = |ev: UsageEvent| -> Result<()> {
        batch.push(events::prepare(source.name(), authority, ev, book));
        if batch.len() == BATCH {
            let next = match written_batches.try_recv() {
                Ok(mut old) => {
                    old.clear();
                    old
                }
                Err(_) => Vec::with_capacity(BATCH),
            };
            send.send(std::mem::replace(&mut batch, next)).map_err(|_| stopped())?;
        }
        Ok(())
    };
    let sha = match data {
        Data::Memory { bytes, .. } => {
            source.parse(&mut Cursor::new(&bytes[..]), ctx, &mut sink)?;
            None
        }
        Data::Stream => {
            let (file, _) = open_at(path, job.start.offset)?;
            let mut reader = BufReader::with_capacity(1 << 20, Hashing { inner: file, hasher: blake3::Hasher::new() });
            source.parse(&mut reader, ctx, &mut sink)?;
            // Hash the rest too, so the stored hash covers the bytes the import spans.
            std::io::copy(&mut reader, &mut std::io::sink()).map_err(|e| Error::io(path, e))?;
            Some(tagged(&reader.into_inner().hasher.finalize()))
        }
        Data::Db(read) => {
            // A SQLite database, read through its source's reader from a private copy. The
            // consumed offset stays 0: its byte size says nothing of what its -wal holds.
            // The copy is made here, on the parser's thread, and removed when it is read.
            let snap = super::sqlite::snapshot(path)?;
            read(snap.conn(), ctx, &mut sink)?;
            None
        }
    };
    if !batch.is_empty() {
        send.send(batch).map_err(|_| stopped())?;
    }
    Ok(sha)
}

/// The writer's side of [`parse_and_write`]: upserts every batch and counts the outcomes.
fn write_batches(
    batches: &Receiver<Vec<events::Prepared>>,
    recycle: &Sender<Vec<events::Prepared>>,
    mut writer: Option<&mut events::Writer>,
    counts: &mut imports::Counts,
) -> Result<()> {
    for batch in batches {
        for p in &batch {
            let Some(writer) = writer.as_deref_mut() else {
                counts.added += 1;
                continue;
            };
            match writer.upsert(p)? {
                events::Outcome::Added => counts.added += 1,
                events::Outcome::Updated => counts.updated += 1,
                events::Outcome::Duplicate => counts.duplicates += 1,
            }
        }
        // Once the parser is done, the last batches are freed here.
        let _ = recycle.send(batch);
    }
    Ok(())
}

/// `tokenburn import PATH...`: each file under each path, detected or of `format`.
/// A file that cannot be imported is reported as an error beside the others.
pub fn import_paths(
    ledger: &mut Ledger,
    paths: &[PathBuf],
    format: Option<&str>,
    dry_run: bool,
    mut progress: impl FnMut(&Path),
) -> Result<Vec<std::result::Result<FileReport, Error>>> {
    let forced = format.map(super::by_name).transpose()?;
    let mut out = Vec::new();
    for root in paths {
        for path in walk(root, &|_| true)? {
            progress(&path);
            let result = match forced.map_or_else(|| detect(&path), Ok) {
                Ok(source) => import_file(
                    ledger,
                    FileJob {
                        path,
                        source,
                        start: Start::default(),
                        tail: Tail::Read,
                        project: None,
                        dry_run,
                        mark: None,
                    },
                ),
                Err(e) => Err(e),
            };
            out.push(result);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_tagged_blake3_and_the_streamed_one_agrees() {
        // BLAKE3's reference value for "abc".
        assert_eq!(digest(b"abc"), "b3:6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85");
        // Streamed through the reader of large files (several BLAKE3 chunks, reads of any
        // size): the same digest as the bytes hashed at once.
        let bytes: Vec<u8> = (0..3_000_017u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        let mut reader =
            BufReader::with_capacity(1 << 20, Hashing { inner: Cursor::new(&bytes), hasher: blake3::Hasher::new() });
        let mut head = [0u8; 1000];
        reader.read_exact(&mut head).unwrap();
        std::io::copy(&mut reader, &mut std::io::sink()).unwrap();
        assert_eq!(tagged(&reader.into_inner().hasher.finalize()), digest(&bytes));
        assert_ne!(digest(&bytes[1..]), digest(&bytes));
    }

    /// A ledger written before BLAKE3 holds the SHA-256 hex of its imports' bytes: the same
    /// bytes are parsed again once (nothing is added twice), then recognised.
    #[test]
    fn bytes_stored_with_an_old_sha256_are_parsed_once_more_then_recognised() {
        use sha2::{Digest, Sha256};
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/anthropic-cost-csv/claude_api_cost_2026-08.csv");
        let bytes = std::fs::read(&path).unwrap();
        let mut ledger = Ledger::open(Path::new(":memory:")).unwrap();
        let job = || FileJob {
            path: path.clone(),
            source: super::super::by_name("anthropic-cost-csv").unwrap(),
            start: Start::default(),
            tail: Tail::Read,
            project: None,
            dry_run: false,
            mark: None,
        };
        let stored = |l: &Ledger, id: Option<i64>| -> String {
            l.conn().query_row("SELECT sha256 FROM imports WHERE id = ?1", [id.unwrap()], |r| r.get(0)).unwrap()
        };
        let first = import_file(&mut ledger, job()).unwrap();
        assert_eq!((first.added, first.same_as), (7, None));
        assert_eq!(stored(&ledger, first.import_id), digest(&bytes));

        let old: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        ledger.conn().execute("UPDATE imports SET sha256 = ?1", [&old]).unwrap();
        let again = import_file(&mut ledger, job()).unwrap();
        assert_eq!((again.added, again.updated, again.duplicates, again.same_as), (0, 0, 7, None));
        assert_eq!(stored(&ledger, again.import_id), digest(&bytes));

        let third = import_file(&mut ledger, job()).unwrap();
        assert_eq!((third.added, third.duplicates, third.same_as), (0, 7, again.import_id));
        let events: i64 = ledger.conn().query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0)).unwrap();
        assert_eq!(events, 7);
    }
}
