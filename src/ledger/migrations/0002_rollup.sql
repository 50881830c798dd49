-- Per local day totals of the events for reports, budget status and the dashboard
-- (src/ledger/queries/rollup.rs says how they are kept and why by local day).
-- Migrations are append-only: never edit a released file.

CREATE TABLE rollup (
    -- days since 1970-01-01 in rollup_state.tz: the event's own date for whole-day rows
    lday        INTEGER NOT NULL,
    -- events.utc_day (subscription coverage is decided per UTC date)
    utc_day     INTEGER NOT NULL,
    whole_day   INTEGER NOT NULL,
    superseded  INTEGER NOT NULL,
    source      TEXT    NOT NULL,
    provider    TEXT    NOT NULL,
    account     TEXT    NOT NULL,
    model       TEXT    NOT NULL,
    project     TEXT,
    cost_kind   TEXT    NOT NULL,
    -- token sums of the events whose tokens count (tokens_superseded = 0)
    input       INTEGER NOT NULL,
    cache_write_5m INTEGER NOT NULL,
    cache_write_1h INTEGER NOT NULL,
    cache_read  INTEGER NOT NULL,
    output      INTEGER NOT NULL,
    reasoning   INTEGER NOT NULL,
    unsplit     INTEGER NOT NULL,
    requests    INTEGER NOT NULL,
    web_search_requests INTEGER NOT NULL,
    -- nano-dollars of the events whose money counts (money_superseded = 0), of all events,
    -- and how many counted events have no price
    money       INTEGER NOT NULL,
    money_all   INTEGER NOT NULL,
    unpriced    INTEGER NOT NULL,
    events      INTEGER NOT NULL
);
CREATE INDEX rollup_lday ON rollup(lday);

-- UTC days whose events changed since the rollup was last brought up to date.
CREATE TABLE rollup_dirty (
    utc_day INTEGER PRIMARY KEY
) WITHOUT ROWID;

-- The zone the rollup's days are in, and the highest event id it has seen (newer events
-- are found by id). NULL tz: not built yet (a ledger migrated from version 1 is backfilled
-- on the first read).
CREATE TABLE rollup_state (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    tz     TEXT,
    max_id INTEGER NOT NULL
);
INSERT INTO rollup_state (id, tz, max_id) VALUES (1, NULL, 0);

-- A deleted event's day is rebuilt, and max_id never stays above the highest id left, so
-- an id SQLite hands out again is seen as new.
CREATE TRIGGER events_rollup_delete AFTER DELETE ON events BEGIN
    INSERT OR IGNORE INTO rollup_dirty (utc_day) VALUES (old.utc_day);
    UPDATE rollup_state SET max_id = (SELECT COALESCE(MAX(id), 0) FROM events)
     WHERE max_id > (SELECT COALESCE(MAX(id), 0) FROM events);
END;
