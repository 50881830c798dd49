-- What reconciliation (src/reconcile.rs) reads, in the rollup, so that it reads thousands of
-- rows instead of every event (src/ledger/queries/rollup.rs keeps them).
-- Migrations are append-only: never edit a released file.
--
-- New in a row: the events' authority, in the key (a source's events all have one, so no
-- row splits); and, over every event of the row whatever its tokens_superseded and
-- money_superseded say: its 5-minute cache writes (`cache_write_5m_all`), how many have no
-- price (`unpriced_all`), and how many single requests have over 200k input tokens
-- (`long_requests`: requests = 1 and input + cache_read + cache_write_5m + cache_write_1h >
-- 200000).
--
-- The table is made again and rebuilt from the events on the next read (a NULL
-- rollup_state.tz); the derived tables of 0004 are rebuilt with it.

DROP TABLE rollup;
CREATE TABLE rollup (
    -- days since 1970-01-01 in rollup_state.tz: the event's own date for whole-day rows
    lday        INTEGER NOT NULL,
    -- events.utc_day (subscription coverage and reconciliation are per UTC date)
    utc_day     INTEGER NOT NULL,
    whole_day   INTEGER NOT NULL,
    superseded  INTEGER NOT NULL,
    source      TEXT    NOT NULL,
    authority   INTEGER NOT NULL,
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
    events      INTEGER NOT NULL,
    -- over all events: 5-minute cache writes, events without a price, requests over 200k
    -- input tokens
    cache_write_5m_all INTEGER NOT NULL,
    unpriced_all INTEGER NOT NULL,
    long_requests INTEGER NOT NULL
);
CREATE INDEX rollup_lday ON rollup(lday);
-- The accounts of each authority and provider (reconciliation names the logs' accounts that
-- bill to themselves): a few seeks, not a scan.
CREATE INDEX rollup_accounts ON rollup(authority, provider, account);

UPDATE rollup_state SET tz = NULL, max_id = 0;
