//! The SQLite ledger: opening it (pragmas, migrations), settings, and the tables'
//! queries in one file each under `queries/`.
//!
//! Invariants: the ledger only grows by whole-file transactions (see [`Ledger::write`]);
//! migrations are embedded and append-only, tracked by `PRAGMA user_version`; every other
//! module reaches SQLite through here, and every query is in `queries/` (only the
//! migrations run here).

pub mod backup;
pub mod queries;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::error::{Error, Result};
use crate::pricing::PriceBook;
use crate::timezone;

/// Embedded migrations, applied in order; the index + 1 is the schema version.
const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("migrations/0001_init.sql")),
    ("0002_rollup", include_str!("migrations/0002_rollup.sql")),
    ("0003_compact", include_str!("migrations/0003_compact.sql")),
    ("0004_rollup_derived", include_str!("migrations/0004_rollup_derived.sql")),
    ("0005_rollup_reconcile", include_str!("migrations/0005_rollup_reconcile.sql")),
    ("0006_day_index", include_str!("migrations/0006_day_index.sql")),
    ("0007_event_versions", include_str!("migrations/0007_event_versions.sql")),
    ("0008_budget_sources", include_str!("migrations/0008_budget_sources.sql")),
];

/// The newest schema this build knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// An open ledger file.
pub struct Ledger {
    conn: Connection,
    path: PathBuf,
    book: PriceBook,
}

/// Where the ledger lives when neither `--db` nor `TOKENBURN_DB` says otherwise.
pub fn default_path() -> PathBuf {
    directories::ProjectDirs::from("", "", "tokenburn")
        .map(|d| d.data_dir().join("ledger.db"))
        .unwrap_or_else(|| PathBuf::from("tokenburn-ledger.db"))
}

impl Ledger {
    /// Opens (creating if needed) the ledger at `path` and migrates it to the newest schema.
    pub fn open(path: &Path) -> Result<Ledger> {
        // SQLite's in-memory database has no file to create.
        if path.as_os_str() != ":memory:" {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                create_private_dir(dir)?;
            }
            create_private_file(path)?;
        }
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Room for a large import's pages (a million events write ~200 MiB): without it the
        // pager spills dirty pages to the WAL in the middle of the transaction. SQLite only
        // takes the memory as it needs it.
        conn.pragma_update(None, "cache_size", -262_144)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // Every statement of an import and of the reports stays prepared.
        conn.set_prepared_statement_cache_capacity(64);
        let mut ledger =
            Ledger { conn, path: path.to_path_buf(), book: PriceBook::embedded().with_overrides(Vec::new()) };
        ledger.migrate()?;
        ledger.load_overrides()?;
        ledger.reprice_if_book_changed()?;
        Ok(ledger)
    }

    fn migrate(&mut self) -> Result<()> {
        let found: i64 = self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if found > SCHEMA_VERSION {
            return Err(Error::SchemaTooNew { path: self.path.clone(), found, supported: SCHEMA_VERSION });
        }
        if found == SCHEMA_VERSION {
            return Ok(());
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Re-read under the write lock: another process may have migrated meanwhile.
        let found: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        for (i, (_, sql)) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            tx.execute_batch(sql)?;
            if i == 2 {
                // 0003: the version 2 events move to the compact rows (their keys are hashed
                // in Rust), and `events` becomes a view of them.
                queries::events::convert_v2(&tx, "events", "event_imports")?;
                tx.execute_batch("DROP TABLE event_imports; DROP TABLE events;")?;
                tx.execute_batch(queries::events::VIEWS)?;
            }
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        }
        if found == 0 {
            queries::settings::set_default(&tx, "tz", timezone::system_tz().name())?;
        }
        // A ledger that had events gets its rollup now (version 2 adds it).
        if found > 0 {
            let tz = queries::settings::tz(&tx)?;
            queries::rollup::refresh(&tx, tz)?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The price book in force: the embedded snapshot plus the user's overrides.
    pub fn book(&self) -> &PriceBook {
        &self.book
    }

    /// Runs `f` in one IMMEDIATE transaction (the write lock is taken up front, so two
    /// writers queue on the busy timeout instead of failing on a lock upgrade).
    pub fn write<T>(&mut self, f: impl FnOnce(&Transaction, &PriceBook) -> Result<T>) -> Result<T> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx, &self.book)?;
        tx.commit()?;
        Ok(out)
    }

    /// The value of setting `key`, None when it was never set.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        queries::settings::get(&self.conn, key)
    }

    /// Sets `key` to `value`.
    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        queries::settings::set(&self.conn, key, value)
    }

    /// The ledger's time zone (CONVENTIONS rule 8); see [`queries::settings::tz`].
    pub fn tz(&self) -> Result<Tz> {
        queries::settings::tz(&self.conn)
    }

    /// Changes the ledger's zone; summaries superseded "on the same date" are re-evaluated.
    pub fn set_tz(&mut self, tz: Tz) -> Result<()> {
        self.set_setting("tz", tz.name())?;
        self.write(|tx, _| queries::events::refresh_supersession(tx, tz))
    }

    fn load_overrides(&mut self) -> Result<()> {
        let overrides = queries::prices::overrides(&self.conn)?;
        self.book = PriceBook::embedded().with_overrides(overrides);
        Ok(())
    }

    /// Re-prices every estimated event when the price book (snapshot or overrides) differs
    /// from the one the stored costs were computed with. Returns how many changed.
    fn reprice_if_book_changed(&mut self) -> Result<usize> {
        let version = self.book.version().to_string();
        if self.setting("price_version")?.as_deref() == Some(version.as_str()) {
            return Ok(0);
        }
        let n = self.write(|tx, book| {
            let n = queries::events::reprice(tx, book)?;
            queries::settings::set(tx, "price_version", &version)?;
            Ok(n)
        })?;
        Ok(n)
    }

    /// Stores a user price override and re-prices what it affects.
    pub fn set_price_override(&mut self, o: &queries::prices::OverrideRow) -> Result<usize> {
        queries::prices::upsert(&self.conn, o)?;
        self.load_overrides()?;
        self.reprice_if_book_changed()
    }

    /// Removes a user price override and re-prices what it affected; None when there was
    /// no such override.
    pub fn remove_price_override(&mut self, model: &str, from: Option<chrono::NaiveDate>) -> Result<Option<usize>> {
        if !queries::prices::remove(&self.conn, model, from)? {
            return Ok(None);
        }
        self.load_overrides()?;
        self.reprice_if_book_changed().map(Some)
    }
}

/// Folders the ledger needs are created readable by their owner only (0700); existing ones
/// keep their mode.
fn create_private_dir(dir: &Path) -> Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir).map_err(|e| Error::io(dir, e))
}

/// A new ledger file is created readable and writable by its owner only (0600): it holds
/// what the user spends. SQLite gives the `-wal` and `-shm` files the mode of the database
/// file. An existing file keeps the mode it has: a user who opened it up chose to.
fn create_private_file(path: &Path) -> Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    match o.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Creates (or truncates) a file the user asked Tokenburn to write ledger data to (an
/// export): a new file is readable by its owner only, like the ledger; an existing one keeps
/// the mode its owner gave it.
pub fn create_private(path: &Path) -> Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path).map_err(|e| Error::io(path, e))
}
