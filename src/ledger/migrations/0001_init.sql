-- The first ledger schema. Migrations are append-only: never edit a released file.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One row per file (or byte range of a growing file) imported.
CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    path        TEXT    NOT NULL,
    format      TEXT    NOT NULL,
    sha256      TEXT    NOT NULL,
    byte_start  INTEGER NOT NULL DEFAULT 0,
    byte_end    INTEGER NOT NULL DEFAULT 0,
    started_ms  INTEGER NOT NULL,
    rows        INTEGER NOT NULL DEFAULT 0,
    added       INTEGER NOT NULL DEFAULT 0,
    updated     INTEGER NOT NULL DEFAULT 0,
    duplicates  INTEGER NOT NULL DEFAULT 0,
    rejected    INTEGER NOT NULL DEFAULT 0,
    -- the importer's state after the last byte (see scan_files.state)
    end_state   TEXT,
    -- set when the bytes were identical to an earlier import and were not parsed again
    same_as     INTEGER REFERENCES imports(id)
);
CREATE INDEX imports_sha ON imports(sha256, format);

-- Rows an import skipped, with why (the first 1,000 of each import).
CREATE TABLE import_rejects (
    import_id INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    line      INTEGER NOT NULL,
    reason    TEXT    NOT NULL
);
CREATE INDEX import_rejects_import ON import_rejects(import_id);

CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    source      TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    grp         TEXT,
    loose       INTEGER NOT NULL DEFAULT 0,
    rank        INTEGER NOT NULL DEFAULT 0,
    authority   INTEGER NOT NULL,
    provider    TEXT    NOT NULL,
    -- the paying account when it is not the source's own (see model.rs)
    account     TEXT,
    model       TEXT    NOT NULL,
    project     TEXT,
    ts_ms       INTEGER NOT NULL,
    span_ms     INTEGER NOT NULL DEFAULT 0,
    day         TEXT,
    input       INTEGER NOT NULL DEFAULT 0,
    cache_write_5m INTEGER NOT NULL DEFAULT 0,
    cache_write_1h INTEGER NOT NULL DEFAULT 0,
    cache_read  INTEGER NOT NULL DEFAULT 0,
    output      INTEGER NOT NULL DEFAULT 0,
    reasoning   INTEGER NOT NULL DEFAULT 0,
    unsplit     INTEGER NOT NULL DEFAULT 0,
    requests    INTEGER NOT NULL DEFAULT 0,
    web_search_requests INTEGER NOT NULL DEFAULT 0,
    -- nano-dollars; NULL = unpriced (never $0)
    cost_nanos  INTEGER,
    cost_kind   TEXT    NOT NULL,
    -- 1 when the source stated the money, 0 when the price book computed it
    stated_cost INTEGER NOT NULL DEFAULT 0,
    price_source TEXT,
    -- 1 when a more authoritative source covers the same usage (CONVENTIONS rule 9)
    superseded  INTEGER NOT NULL DEFAULT 0,
    import_id   INTEGER NOT NULL REFERENCES imports(id),
    line        INTEGER NOT NULL,
    UNIQUE (source, key)
);
CREATE INDEX events_grp ON events(source, grp) WHERE grp IS NOT NULL;
CREATE INDEX events_ts ON events(ts_ms);
CREATE INDEX events_authority ON events(authority, model, ts_ms);
CREATE INDEX events_unpriced ON events(stated_cost) WHERE cost_nanos IS NULL;

-- What `scan` knows of each agent-log file, so a re-scan reads only new bytes.
CREATE TABLE scan_files (
    path     TEXT PRIMARY KEY,
    format   TEXT    NOT NULL,
    dev      INTEGER NOT NULL,
    ino      INTEGER NOT NULL,
    size     INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    -- byte offset just past the last complete line read, and its line number
    offset   INTEGER NOT NULL,
    line     INTEGER NOT NULL,
    -- importer state at that offset (e.g. Codex's running totals), JSON
    state    TEXT
);

-- User price overrides (`tokenburn prices set`), dollars per million tokens as text.
CREATE TABLE price_overrides (
    model          TEXT NOT NULL,
    from_date      TEXT NOT NULL DEFAULT '',
    input          TEXT NOT NULL,
    output         TEXT NOT NULL,
    cache_read     TEXT,
    cache_write_5m TEXT,
    cache_write_1h TEXT,
    PRIMARY KEY (model, from_date)
);
