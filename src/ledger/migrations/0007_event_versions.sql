-- What each import delivered, for undo (src/ledger/queries/events.rs). An event stores one
-- version, the best delivered; an import that also delivered the event keeps its own
-- version here when that differs (a lower rank, or the version a better one replaced), so
-- undoing the import whose version is stored restores the best version still delivered. An
-- import that delivered the event and has no row here delivered the stored version. The
-- identity (source, khash, group), authority and note are the event's and are not kept.
-- `event_id` has no foreign key: undo deletes only events that no other import delivered,
-- whose versions go with the import's own (`imports::remove`), and a cascade check on every
-- deleted event made undoing a million-row import about 15 % slower.
-- Migrations are append-only: never edit a released file.

CREATE TABLE event_versions (
    event_id    INTEGER NOT NULL,
    import_id   INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    rank        INTEGER NOT NULL,
    provider    INTEGER NOT NULL,
    account     INTEGER NOT NULL,
    model       INTEGER NOT NULL,
    project     INTEGER,
    ts_ms       INTEGER NOT NULL,
    span_ms     INTEGER NOT NULL,
    whole_day   INTEGER NOT NULL,
    utc_day     INTEGER NOT NULL,
    input       INTEGER NOT NULL,
    cache_write_5m INTEGER NOT NULL,
    cache_write_1h INTEGER NOT NULL,
    cache_read  INTEGER NOT NULL,
    output      INTEGER NOT NULL,
    reasoning   INTEGER NOT NULL,
    unsplit     INTEGER NOT NULL,
    requests    INTEGER NOT NULL,
    web_search_requests INTEGER NOT NULL,
    cost_nanos  INTEGER,
    cost_kind   INTEGER NOT NULL,
    stated_cost INTEGER NOT NULL,
    price_source INTEGER,
    line        INTEGER NOT NULL,
    PRIMARY KEY (event_id, import_id)
) WITHOUT ROWID;
CREATE INDEX event_versions_import ON event_versions(import_id);
