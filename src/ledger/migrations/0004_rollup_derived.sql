-- Tables derived from the rollup, so that status, reports and the dashboard read a few
-- thousand rows (src/ledger/queries/rollup.rs keeps them).
-- Migrations are append-only: never edit a released file. (IF NOT EXISTS: builds before
-- this migration created these tables on their first read.)
--
-- `rollup_combos` numbers each (source, provider, model, project) once. `rollup_days` has,
-- per local day and combination, the fifteen sums `report` reads, with superseded
-- summaries left out and subscription coverage resolved by the links and subscriptions
-- whose text `rollup_coverage` keeps; `rollup_months` the same per local month (`month`
-- is the day number of its first day); `rollup_totals` the same per local day for all
-- combinations. Their sizes grow with days and combinations, not with events: reports by
-- day, week or month read the totals, budgets the days, reports by a dimension the months
-- and the days at the ends of the range.

CREATE TABLE IF NOT EXISTS rollup_combos (
    id INTEGER PRIMARY KEY, source TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL, project TEXT
);
CREATE INDEX IF NOT EXISTS rollup_combos_names ON rollup_combos(source, provider, model, project);
CREATE TABLE IF NOT EXISTS rollup_days (
    lday INTEGER NOT NULL, combo INTEGER NOT NULL,
    input INTEGER NOT NULL, cache_write_5m INTEGER NOT NULL, cache_write_1h INTEGER NOT NULL,
    cache_read INTEGER NOT NULL, output INTEGER NOT NULL, reasoning INTEGER NOT NULL, unsplit INTEGER NOT NULL,
    requests INTEGER NOT NULL, web_search_requests INTEGER NOT NULL,
    billed INTEGER NOT NULL, estimated INTEGER NOT NULL, manual INTEGER NOT NULL, value INTEGER NOT NULL,
    unpriced INTEGER NOT NULL, events INTEGER NOT NULL,
    PRIMARY KEY (lday, combo)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_months (
    month INTEGER NOT NULL, combo INTEGER NOT NULL,
    input INTEGER NOT NULL, cache_write_5m INTEGER NOT NULL, cache_write_1h INTEGER NOT NULL,
    cache_read INTEGER NOT NULL, output INTEGER NOT NULL, reasoning INTEGER NOT NULL, unsplit INTEGER NOT NULL,
    requests INTEGER NOT NULL, web_search_requests INTEGER NOT NULL,
    billed INTEGER NOT NULL, estimated INTEGER NOT NULL, manual INTEGER NOT NULL, value INTEGER NOT NULL,
    unpriced INTEGER NOT NULL, events INTEGER NOT NULL,
    PRIMARY KEY (month, combo)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_totals (
    lday INTEGER PRIMARY KEY,
    input INTEGER NOT NULL, cache_write_5m INTEGER NOT NULL, cache_write_1h INTEGER NOT NULL,
    cache_read INTEGER NOT NULL, output INTEGER NOT NULL, reasoning INTEGER NOT NULL, unsplit INTEGER NOT NULL,
    requests INTEGER NOT NULL, web_search_requests INTEGER NOT NULL,
    billed INTEGER NOT NULL, estimated INTEGER NOT NULL, manual INTEGER NOT NULL, value INTEGER NOT NULL,
    unpriced INTEGER NOT NULL, events INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rollup_coverage (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    coverage TEXT NOT NULL
);
