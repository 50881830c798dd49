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
    -- the importer's state after the last byte, and the last line read (see scan_files)
    end_state   TEXT,
    end_line    INTEGER NOT NULL DEFAULT 0,
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
    -- the account this usage belongs to before links (spend.rs: the source's own account,
    -- or the paying account an importer named)
    account     TEXT    NOT NULL,
    model       TEXT    NOT NULL,
    project     TEXT,
    ts_ms       INTEGER NOT NULL,
    span_ms     INTEGER NOT NULL DEFAULT 0,
    day         TEXT,
    -- the UTC day (days since 1970-01-01) that CONVENTIONS rule 9 compares sources within
    utc_day     INTEGER NOT NULL,
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
    -- 1 when transcripts cover this summary's model and date: not counted at all
    superseded  INTEGER NOT NULL DEFAULT 0,
    -- CONVENTIONS rule 9 within the account and UTC day: 1 when a vendor usage export has
    -- the tokens, or billed data has the money; kept for reconciliation, not counted
    tokens_superseded INTEGER NOT NULL DEFAULT 0,
    money_superseded  INTEGER NOT NULL DEFAULT 0,
    note        TEXT,
    import_id   INTEGER NOT NULL REFERENCES imports(id),
    line        INTEGER NOT NULL,
    UNIQUE (source, key)
);
CREATE INDEX events_grp ON events(source, grp) WHERE grp IS NOT NULL;
CREATE INDEX events_account_day ON events(account, utc_day);
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

-- Every import that delivered an event (an event may come from several), for undo.
CREATE TABLE event_imports (
    event_id  INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    import_id INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    PRIMARY KEY (event_id, import_id)
) WITHOUT ROWID;
CREATE INDEX event_imports_import ON event_imports(import_id);

-- `account link SOURCE_ACCOUNT --billed-by ACCOUNT`: usage of one account is billed by another.
CREATE TABLE account_links (
    account   TEXT PRIMARY KEY,
    billed_by TEXT NOT NULL
);

-- Subscriptions: the fee is spend, amortised per day; covered usage is value, not spend.
CREATE TABLE subscriptions (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    usd_nanos  INTEGER NOT NULL,
    every      TEXT    NOT NULL,
    from_day   TEXT    NOT NULL,
    until_day  TEXT,
    covers     TEXT,
    provider   TEXT
);

-- Budgets: an amount per period (month, quarter, year or a custom span), in USD or tokens,
-- over the events that match its filters (JSON lists; empty = all).
CREATE TABLE budgets (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    -- nano-dollars for usd, tokens for tokens
    amount      INTEGER NOT NULL,
    unit        TEXT    NOT NULL,
    period      TEXT    NOT NULL,
    start_day   TEXT,
    end_day     TEXT,
    fiscal_year_start INTEGER NOT NULL DEFAULT 1,
    providers   TEXT    NOT NULL DEFAULT '[]',
    models      TEXT    NOT NULL DEFAULT '[]',
    projects    TEXT    NOT NULL DEFAULT '[]',
    thresholds  TEXT    NOT NULL DEFAULT '50,75,90,100',
    created_ms  INTEGER NOT NULL
);

-- Alerts that fired: each (subject, period, kind, level) once, so a restart never repeats one.
CREATE TABLE alerts (
    subject     TEXT    NOT NULL,
    period      TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    level       INTEGER NOT NULL,
    fired_ms    INTEGER NOT NULL,
    message     TEXT    NOT NULL,
    PRIMARY KEY (subject, period, kind, level)
);

-- Compensation, with its history: each row holds from its day until the next row's.
CREATE TABLE compensation (
    from_day     TEXT PRIMARY KEY,
    annual_nanos INTEGER NOT NULL,
    currency     TEXT    NOT NULL DEFAULT 'USD',
    target_ratio TEXT,
    cap_ratio    TEXT
);
