//! Agents' SQLite stores, read without touching them: the one way an importer opens one.
//!
//! Owns: making a private, consistent copy of a live database (its file plus its `-wal`)
//! and opening that copy; telling "busy, try again" from "damaged"; what a schema has.
//! It does not know any agent's tables (the importers do).
//!
//! Why a copy and not `file:...?mode=ro`: a read-only open of a WAL database still creates
//! or writes the `-shm` index and takes locks in the agent's folder, and it fails outright
//! where that folder is not writable. `immutable=1` writes nothing, but it ignores the
//! `-wal`, so it misses whatever the agent has not checkpointed yet (the real Kilo CLI sample
//! holds 15 of its 113 messages only in the WAL), and it may read torn pages while the agent
//! writes. Copying `db` and `db-wal` with plain file reads changes nothing in the agent's
//! folder and holds no lock at all; SQLite then recovers the WAL inside the copy, which is
//! ours to write. The copy is consistent when neither file changed while it was made (size
//! and modification time before and after); otherwise, or while a rollback `-journal` says
//! a write is in progress, the read is [`Error::SourceBusy`] and the next scan tries again.
//! Invariant: nothing is ever opened, created or locked beside the agent's database.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, Result};

/// The first bytes of every SQLite 3 database file.
pub const MAGIC: &[u8] = b"SQLite format 3\0";

/// Whether the file at `path` starts like a SQLite database.
pub fn is_database(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 16];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head)).is_ok() && head == MAGIC
}

/// A private copy of an agent's database, open; the copy is removed when this is dropped.
pub struct Snapshot {
    conn: Option<Connection>,
    dir: PathBuf,
}

impl Snapshot {
    /// The connection to the copy.
    pub fn conn(&self) -> &Connection {
        self.conn.as_ref().expect("open until dropped")
    }
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        drop(self.conn.take());
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `path` with `suffix` appended to its file name (`kilo.db` + `-wal`).
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Whether a rollback journal holds a write in progress: it starts with the journal magic
/// (a journal kept by `journal_mode=PERSIST` or `TRUNCATE` is zeroed or empty).
fn hot_journal(journal: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 8];
    std::fs::File::open(journal).and_then(|mut f| f.read_exact(&mut head)).is_ok()
        && head == [0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7]
}

/// Size and modification time of a file, or None when it does not exist.
fn stamp(path: &Path) -> Result<Option<(u64, Option<SystemTime>)>> {
    match std::fs::metadata(path) {
        Ok(m) => Ok(Some((m.len(), m.modified().ok()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Copies the database at `path` (with its `-wal`) to a private folder and opens the copy.
pub fn snapshot(path: &Path) -> Result<Snapshot> {
    let busy = |reason: &str| Error::SourceBusy { path: path.into(), reason: reason.into() };
    if hot_journal(&sibling(path, "-journal")) {
        return Err(busy("a write is in progress (its -journal is hot)"));
    }
    let wal = sibling(path, "-wal");
    let before = (stamp(path)?, stamp(&wal)?);
    if before.0.is_none() {
        return Err(Error::io(path, std::io::Error::from(std::io::ErrorKind::NotFound)));
    }
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "tokenburn-db-{}-{}-{}",
        std::process::id(),
        SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_nanos()),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    // From here on the folder is removed with the snapshot, on every path.
    let mut snap = Snapshot { conn: None, dir };
    let copy = snap.dir.join("copy.db");
    std::fs::copy(path, &copy).map_err(|e| Error::io(path, e))?;
    if before.1.is_some() {
        std::fs::copy(&wal, sibling(&copy, "-wal")).map_err(|e| Error::io(&wal, e))?;
    }
    if (stamp(path)?, stamp(&wal)?) != before {
        return Err(busy("it changed while it was read"));
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let damaged = |e: rusqlite::Error| Error::BadFile {
        path: path.into(),
        reason: format!("not a readable SQLite database ({e})"),
    };
    let conn = Connection::open_with_flags(&copy, flags).map_err(damaged)?;
    // Reading the schema is where a truncated or foreign file shows.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)).map_err(damaged)?;
    snap.conn = Some(conn);
    Ok(snap)
}

/// The columns of `table`, empty when there is no such table.
pub fn columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info(?1)")?;
    let names = stmt.query_map([table], |r| r.get(0))?.collect();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A WAL database whose last rows are only in its `-wal`, as a running agent leaves it:
    /// the files are copied while the writer still has them open.
    fn live_db(dir: &Path) -> PathBuf {
        let src = dir.join("src");
        std::fs::create_dir_all(&src).unwrap();
        let db = src.join("a.db");
        let conn = Connection::open(&db).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;
             CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3);",
        )
        .unwrap();
        let out = dir.join("agent");
        std::fs::create_dir_all(&out).unwrap();
        for f in ["a.db", "a.db-wal"] {
            std::fs::copy(src.join(f), out.join(f)).unwrap();
        }
        drop(conn);
        out.join("a.db")
    }

    fn listing(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap())
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn reads_the_wal_and_leaves_the_folder_as_it_was() {
        let tmp = std::env::temp_dir().join(format!("tb-sqlite-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        let db = live_db(&tmp);
        let before = listing(db.parent().unwrap());
        assert_eq!(before.len(), 2, "no -shm beside the copy yet");
        let snap = snapshot(&db).unwrap();
        let n: i64 = snap.conn().query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 3);
        assert_eq!(columns(snap.conn(), "t").unwrap(), ["x"]);
        assert!(columns(snap.conn(), "nope").unwrap().is_empty());
        drop(snap);
        assert_eq!(listing(db.parent().unwrap()), before);
        std::fs::remove_dir_all(&tmp).unwrap();
    }

    #[test]
    fn a_hot_journal_is_busy_and_a_truncated_file_is_bad() {
        let tmp = std::env::temp_dir().join(format!("tb-sqlite-test2-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        let db = live_db(&tmp);
        // A persisted journal with a zeroed header is no write in progress; a hot one is.
        std::fs::write(sibling(&db, "-journal"), [0u8; 512]).unwrap();
        assert!(snapshot(&db).is_ok());
        std::fs::write(sibling(&db, "-journal"), [0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7, 0, 0]).unwrap();
        let err = snapshot(&db).err().expect("busy");
        assert!(matches!(err, Error::SourceBusy { .. }), "{err}");
        assert!(err.to_string().contains("the next scan tries again"), "{err}");
        std::fs::remove_file(sibling(&db, "-journal")).unwrap();
        std::fs::remove_file(sibling(&db, "-wal")).unwrap();
        let bytes = std::fs::read(&db).unwrap();
        std::fs::write(&db, &bytes[..100]).unwrap();
        let err = snapshot(&db).err().expect("a truncated database fails");
        assert!(matches!(err, Error::BadFile { .. }), "{err}");
        std::fs::remove_dir_all(&tmp).unwrap();
    }

    #[test]
    fn a_database_locked_by_its_writer_is_read_as_last_committed() {
        let tmp = std::env::temp_dir().join(format!("tb-sqlite-test3-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).unwrap();
        let db = tmp.join("a.db");
        let writer = Connection::open(&db).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1);
                 BEGIN IMMEDIATE; INSERT INTO t VALUES (2);",
            )
            .unwrap();
        let snap = snapshot(&db).unwrap();
        let n: i64 = snap.conn().query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 1, "only what was committed");
        drop(snap);
        writer.execute_batch("COMMIT").unwrap();
        drop(writer);
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
