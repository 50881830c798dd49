//! Released migrations are immutable: a ledger that ran `0003_compact.sql` last year never runs
//! it again, so an edit to that file reaches only new ledgers and splits users' schemas in two.
//!
//! `RELEASED` holds the SHA-256 of every migration file in `src/ledger/migrations/` as it was
//! released. The test fails naming each file that changed, went missing, or is not listed.
//! A change to the schema is a NEW migration file (the next number, added to
//! `ledger::MIGRATIONS`), whose checksum is added to `RELEASED` in the same change (the
//! failing test prints it); from its release on, that file is never edited either.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Every released migration and the SHA-256 of its text (line endings as LF).
const RELEASED: &[(&str, &str)] = &[
    ("0001_init.sql", "82d4bc231084b0686e9b571b36f31b2b5dafe7a8ee5aed8a9c98af2f1e19ef6b"),
    ("0002_rollup.sql", "e0fdd88598daac0a8318935a7409472af9e85e41c5603e255247792153f12302"),
    ("0003_compact.sql", "4a5eac624506e2258f08e6198aaddfc420b0d571f40f376fab99b98acdb98aa5"),
    ("0004_rollup_derived.sql", "5c255d2f7c23be49803790b72e6206a7a4fb7cfa3f340253176cdaa9ce07196c"),
    ("0005_rollup_reconcile.sql", "1249b3ccab12389a30fa925e5e195d5e38abf7011b5a263c441dbd9736c78052"),
    ("0006_day_index.sql", "2babb6fcf912fce57dc0e8ab99d237b902e4d43f86eb3d197f7c1f298cce8517"),
    ("0007_event_versions.sql", "648ddfca40ab8b7fd5f2860b5d375b1497d8881306ba5a35c49a23487f204f7f"),
    ("0008_budget_sources.sql", "aa4568b57641626cee0a55e786703827916d3fb07681c68bec9c7fe1ac306aff"),
];

fn migrations_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ledger/migrations")
}

/// The SHA-256 of a migration's text, hex. CRLF counts as LF: a checkout that converts line
/// endings (git's `core.autocrlf` on Windows) hands SQLite the same statements.
fn checksum(bytes: &[u8]) -> String {
    let mut text = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if !(bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n')) {
            text.push(bytes[i]);
        }
        i += 1;
    }
    Sha256::digest(&text).iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares the `.sql` files in `dir` with `released`; `Err` lists every difference and what
/// to do about it.
fn check(dir: &Path, released: &[(&str, &str)]) -> Result<(), String> {
    let mut found = BTreeMap::new();
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if path.extension().is_some_and(|x| x == "sql") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            found.insert(name, checksum(&bytes));
        }
    }
    let mut problems = Vec::new();
    for (name, want) in released {
        match found.remove(*name) {
            None => problems.push(format!(
                "{name}: released migration is missing. Restore it: ledgers already \
                 migrated by it count on the numbering staying the same."
            )),
            Some(got) if got != *want => problems.push(format!(
                "{name}: released migration was edited (SHA-256 {got}, released as {want}). \
                 Revert the edit and put the change in a new migration file (the next \
                 number, added to ledger::MIGRATIONS): ledgers that already ran {name} \
                 never run it again."
            )),
            Some(_) => {}
        }
    }
    for (name, got) in &found {
        problems.push(format!(
            "{name}: migration is not listed in tests/migrations.rs. Add (\"{name}\", \"{got}\") to \
             RELEASED with it: once released, it is never edited."
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}:\n  {}", dir.display(), problems.join("\n  ")))
    }
}

#[test]
fn released_migrations_are_unchanged_and_all_listed() {
    if let Err(message) = check(&migrations_dir(), RELEASED) {
        panic!("{message}");
    }
}

#[test]
fn every_released_migration_is_one_the_ledger_applies() {
    // The list above must not drift from what the ledger embeds: the newest schema version is
    // the number of migrations, all of which are released.
    assert_eq!(RELEASED.len() as i64, tokenburn::ledger::SCHEMA_VERSION);
}

/// A scratch migrations folder and its released list, for the tests of the check itself:
/// made up, so that they keep testing the check while a real file is being changed.
fn scratch() -> (tempfile::TempDir, Vec<(String, String)>) {
    let dir = tempfile::tempdir().unwrap();
    let mut released = Vec::new();
    for (name, sql) in [
        ("0001_init.sql", "CREATE TABLE a (x);\n"),
        ("0002_more.sql", "-- b holds y\nCREATE TABLE b (y);\n"),
        ("0003_index.sql", "CREATE INDEX b_y ON b (y);\n"),
    ] {
        std::fs::write(dir.path().join(name), sql).unwrap();
        released.push((name.to_string(), checksum(sql.as_bytes())));
    }
    (dir, released)
}

fn check_scratch(dir: &Path, released: &[(String, String)]) -> Result<(), String> {
    let released: Vec<(&str, &str)> = released.iter().map(|(n, s)| (n.as_str(), s.as_str())).collect();
    check(dir, &released)
}

#[test]
fn an_edited_migration_is_named() {
    let (dir, released) = scratch();
    assert_eq!(check_scratch(dir.path(), &released), Ok(()));
    let path = dir.path().join("0002_more.sql");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[3] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let message = check_scratch(dir.path(), &released).unwrap_err();
    assert!(message.contains("0002_more.sql: released migration was edited"), "{message}");
    assert!(message.contains("new migration file"), "{message}");
    assert!(!message.contains("0001_init.sql") && !message.contains("0003_index.sql"), "{message}");
}

#[test]
fn an_unlisted_or_missing_migration_is_named() {
    let (dir, released) = scratch();
    std::fs::write(dir.path().join("0004_next.sql"), "CREATE TABLE c (z);\n").unwrap();
    std::fs::remove_file(dir.path().join("0001_init.sql")).unwrap();
    let message = check_scratch(dir.path(), &released).unwrap_err();
    assert!(message.contains("0004_next.sql: migration is not listed in tests/migrations.rs"), "{message}");
    assert!(message.contains("0001_init.sql: released migration is missing"), "{message}");
    assert!(!message.contains("0002_more.sql") && !message.contains("0003_index.sql"), "{message}");
}

#[test]
fn line_endings_alone_do_not_count_as_an_edit() {
    assert_eq!(checksum(b"SELECT 1;\r\nSELECT 2;\n"), checksum(b"SELECT 1;\nSELECT 2;\n"));
    assert_ne!(checksum(b"SELECT 1;\nSELECT 2;\n"), checksum(b"SELECT 1;\nSELECT 3;\n"));
}
