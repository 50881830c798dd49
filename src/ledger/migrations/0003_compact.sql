-- Compact event storage (src/ledger/queries/events.rs says why): ten years of heavy use is
-- tens of millions of events, and the version 2 rows (names as text, the natural key as
-- text in the row and in its unique index, five indexes, two link rows per event) took
-- about 460 bytes each. Migrations are append-only: never edit a released file.
--
-- The rows are copied by src/ledger/mod.rs (`convert_events`), which hashes the keys.

-- Every name an event refers to (source, provider, account, model, project, cost kind,
-- price entry), once.
CREATE TABLE names (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE event_rows (
    id          INTEGER PRIMARY KEY,
    source      INTEGER NOT NULL,
    -- the event's identity within its source: 64 bits of SHA-256 of (source, key); for an
    -- event with a group, 48 bits of its group's hash then 16 of its key's (events.rs)
    khash       INTEGER NOT NULL,
    grouped     INTEGER NOT NULL DEFAULT 0,
    loose       INTEGER NOT NULL DEFAULT 0,
    rank        INTEGER NOT NULL DEFAULT 0,
    authority   INTEGER NOT NULL,
    provider    INTEGER NOT NULL,
    account     INTEGER NOT NULL,
    model       INTEGER NOT NULL,
    project     INTEGER,
    ts_ms       INTEGER NOT NULL,
    span_ms     INTEGER NOT NULL DEFAULT 0,
    -- 1 for a whole-day row: its calendar day is utc_day
    whole_day   INTEGER NOT NULL DEFAULT 0,
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
    cost_nanos  INTEGER,
    cost_kind   INTEGER NOT NULL,
    stated_cost INTEGER NOT NULL DEFAULT 0,
    price_source INTEGER,
    superseded  INTEGER NOT NULL DEFAULT 0,
    tokens_superseded INTEGER NOT NULL DEFAULT 0,
    money_superseded  INTEGER NOT NULL DEFAULT 0,
    note        TEXT,
    -- the import this version of the event came from; other imports that delivered it are
    -- in extra_deliveries
    import_id   INTEGER NOT NULL,
    line        INTEGER NOT NULL
);
CREATE UNIQUE INDEX event_rows_khash ON event_rows(khash);
-- Rule 9 works per UTC day, supersession per model and date, the ledger view by date.
CREATE INDEX event_rows_day ON event_rows(utc_day, model);
CREATE INDEX event_rows_unpriced ON event_rows(stated_cost) WHERE cost_nanos IS NULL;
CREATE INDEX event_rows_summaries ON event_rows(model) WHERE authority = 1;

-- Imports that delivered an event besides the one it names (an event may come from
-- several), for undo.
CREATE TABLE extra_deliveries (
    event_id  INTEGER NOT NULL REFERENCES event_rows(id) ON DELETE CASCADE,
    import_id INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    PRIMARY KEY (event_id, import_id)
) WITHOUT ROWID;
CREATE INDEX extra_deliveries_import ON extra_deliveries(import_id);

-- How many stored events name each import as theirs (`imports` lists them without
-- counting ten million rows).
ALTER TABLE imports ADD COLUMN held INTEGER NOT NULL DEFAULT 0;

DROP TRIGGER events_rollup_delete;
CREATE TRIGGER event_rows_rollup_delete AFTER DELETE ON event_rows BEGIN
    INSERT OR IGNORE INTO rollup_dirty (utc_day) VALUES (old.utc_day);
    UPDATE rollup_state SET max_id = (SELECT COALESCE(MAX(id), 0) FROM event_rows)
     WHERE max_id > (SELECT COALESCE(MAX(id), 0) FROM event_rows);
END;
