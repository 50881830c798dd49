//! The import driver: runs one file through a source into the ledger.
//!
//! Two phases so a scan can overlap them: [`load`] does the file I/O and hashing (no
//! ledger, any thread), [`store`] parses and writes inside the caller's transaction or
//! savepoint. Invariant: `store` either writes everything of the file (events, the import
//! row, its rejected rows, the scan mark) or returns an error, and the caller rolls back.

use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use rusqlite::Connection;
use sha2::{Digest, Sha256};

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

/// Options of one file import.
pub struct FileJob {
    pub path: PathBuf,
    pub source: &'static dyn Source,
    pub start: Start,
    pub tail: Tail,
    pub project: Option<String>,
    pub dry_run: bool,
    /// For scans: the mark to store with the import (identity and size seen before reading).
    pub mark: Option<scan_files::FileMark>,
}

/// Files (or new byte ranges) up to this size are read into memory and hashed before the
/// ledger is touched, and skipped if identical bytes were imported before; larger ones are
/// streamed and hashed as they are parsed.
const IN_MEMORY_MAX: u64 = 16 * 1024 * 1024;

/// Events handed from the parser thread to the writer at a time.
const BATCH: usize = 1024;

/// A file's bytes, read ahead of the ledger write.
pub struct Loaded {
    pub job: FileJob,
    len: u64,
    data: Data,
}

enum Data {
    Memory { bytes: Vec<u8>, sha: String },
    Stream,
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
pub fn load(job: FileJob) -> Result<Loaded> {
    let (mut file, len) = open_at(&job.path, job.start.offset)?;
    if len.saturating_sub(job.start.offset) > IN_MEMORY_MAX {
        return Ok(Loaded { job, len, data: Data::Stream });
    }
    let mut bytes = Vec::with_capacity((len - job.start.offset.min(len)) as usize);
    file.read_to_end(&mut bytes).map_err(|e| Error::io(&job.path, e))?;
    let sha = hex(&Sha256::digest(&bytes));
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
    let path = job.path.as_path();
    let path_str = path.to_string_lossy().into_owned();
    let source = job.source;
    let mut report = FileReport {
        path: path_str.clone(),
        format: source.name().to_string(),
        rows: 0,
        added: 0,
        updated: 0,
        duplicates: 0,
        rejected: Vec::new(),
        rejected_count: 0,
        import_id: None,
        same_as: None,
    };
    let mut ctx = ParseCtx {
        path,
        project: job.project.clone(),
        first_line: job.start.line,
        state: job.start.state.clone(),
        tail: job.tail,
        rows: 0,
        rejected: Vec::new(),
        rejected_count: 0,
        consumed: 0,
        last_line: job.start.line,
    };

    // Bytes identical to an earlier whole-file import add nothing: every key they hold is
    // stored already with a rank at least as good. Record the import, don't parse again.
    if let (Data::Memory { bytes, sha }, 0, false) = (&data, job.start.offset, job.dry_run) {
        if let Some(earlier) = imports::find_identical(conn, source.name(), sha)? {
            let end = earlier.end_byte.min(bytes.len() as u64);
            let new = imports::NewImport {
                path: &path_str,
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
            report.rejected = imports::rejects(conn, earlier.id)?;
            imports::add_rejects(conn, id, &report.rejected)?;
            if let Some(m) = &job.mark {
                let m = scan_files::FileMark {
                    offset: end,
                    line: earlier.end_line,
                    state: earlier.end_state.clone(),
                    ..m.clone()
                };
                scan_files::put(conn, &path_str, &m)?;
            }
            report.rows = c.rows;
            report.duplicates = c.duplicates;
            report.rejected_count = c.rejected;
            report.import_id = Some(id);
            report.same_as = Some(earlier.id);
            return Ok(report);
        }
    }

    let dry_run = job.dry_run;
    let import_id = if dry_run {
        0
    } else {
        let sha = match &data {
            Data::Memory { sha, .. } => sha.as_str(),
            Data::Stream => "",
        };
        let new = imports::NewImport {
            path: &path_str,
            format: source.name(),
            sha256: sha,
            byte_start: job.start.offset,
            byte_end: len,
            same_as: None,
        };
        imports::insert(conn, &new, now_ms())?
    };
    let authority = source.authority();
    let mut counts = imports::Counts::default();
    // A dry run writes nothing, not even a name.
    let mut writer = (!dry_run).then(|| events::Writer::new(conn, source.name(), authority, import_id)).transpose()?;
    let stream_sha = std::thread::scope(|s| -> Result<Option<String>> {
        // The file is parsed (and its events hashed and priced) on a thread of its own, ahead
        // of this one, which only writes.
        let (send, batches) = std::sync::mpsc::sync_channel::<Vec<events::Prepared>>(8);
        // Written batches come back to be emptied here: their events' strings are freed by
        // the thread that allocated them (a million events are millions of frees, which cost
        // the writer several times more than they cost this thread).
        let (recycle, written_batches) = std::sync::mpsc::channel::<Vec<events::Prepared>>();
        let ctx = &mut ctx;
        let data = &data;
        let parser = s.spawn(move || -> Result<Option<String>> {
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
                    let full = std::mem::replace(&mut batch, next);
                    send.send(full).map_err(|_| Error::Stopped { what: "import" })?;
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
                    let mut reader = BufReader::with_capacity(1 << 20, Hashing { inner: file, hasher: Sha256::new() });
                    source.parse(&mut reader, ctx, &mut sink)?;
                    // Hash the rest too, so the stored hash covers the bytes the import spans.
                    std::io::copy(&mut reader, &mut std::io::sink()).map_err(|e| Error::io(path, e))?;
                    Some(hex(&reader.into_inner().hasher.finalize()))
                }
            };
            if !batch.is_empty() {
                send.send(batch).map_err(|_| Error::Stopped { what: "import" })?;
            }
            Ok(sha)
        });
        let written = (|| -> Result<()> {
            for batch in &batches {
                for p in &batch {
                    let Some(writer) = writer.as_mut() else {
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
        })();
        // A failed write stops the parser at its next batch.
        drop(batches);
        let parsed = parser.join().expect("the parser thread does not panic");
        written?;
        parsed
    })?;
    if let (Some(sha), false) = (stream_sha, dry_run) {
        conn.execute("UPDATE imports SET sha256 = ?2 WHERE id = ?1", rusqlite::params![import_id, sha])?;
    }
    counts.rows = ctx.rows;
    counts.rejected = ctx.rejected_count;
    if !dry_run {
        let end =
            imports::End { byte: job.start.offset + ctx.consumed, line: ctx.last_line, state: ctx.state.as_deref() };
        imports::finish(conn, import_id, &counts, end)?;
        imports::add_rejects(conn, import_id, &ctx.rejected)?;
        if let Some(m) = &job.mark {
            let m = scan_files::FileMark {
                offset: job.start.offset + ctx.consumed,
                line: ctx.last_line,
                state: ctx.state.clone(),
                ..m.clone()
            };
            scan_files::put(conn, &path_str, &m)?;
        }
        if authority == Authority::Summary || counts.added + counts.updated > 0 {
            events::refresh_supersession(conn, crate::ledger::tz_of(conn)?)?;
        }
        if let Some(w) = writer {
            crate::spend::refresh_touched(conn, &w.finish()?)?;
        }
        report.import_id = Some(import_id);
    }
    report.rows = counts.rows;
    report.added = counts.added;
    report.updated = counts.updated;
    report.duplicates = counts.duplicates;
    report.rejected = ctx.rejected;
    report.rejected_count = ctx.rejected_count;
    Ok(report)
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
