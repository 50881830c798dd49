-- Budgets scoped to sources (agents or formats, e.g. gemini-cli, copilot-cli): a JSON list
-- like providers, models and projects; empty = all.
ALTER TABLE budgets ADD COLUMN sources TEXT NOT NULL DEFAULT '[]';
