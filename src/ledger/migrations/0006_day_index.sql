-- Rule 9 decides per account and UTC day (src/spend.rs): the day index now leads with both,
-- so re-deciding a day reads only that account's events, not every event of the day (undo,
-- links, an import into a busy day), and finds the authority and cost kind the decision
-- looks for in the index itself. The model stays in it for supersession, which looks up a
-- model's events of a day.
-- Migrations are append-only: never edit a released file.

DROP INDEX event_rows_day;
CREATE INDEX event_rows_day ON event_rows(utc_day, account, authority, cost_kind, model);
