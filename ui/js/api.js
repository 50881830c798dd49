// The only file that talks to the Rust side: every command and event goes through here.
// Errors always arrive as {code, message}; `describe` turns a code into advice.

const tauri = window.__TAURI__;

function asError(e) {
  if (e && typeof e === "object" && typeof e.code === "string") return e;
  return { code: "app", message: String(e && e.message ? e.message : e) };
}

async function call(cmd, args) {
  try {
    return await tauri.core.invoke(cmd, args);
  } catch (e) {
    throw asError(e);
  }
}

export const api = {
  dashboard: () => call("dashboard"),
  importPaths: (paths) => call("import_paths", { paths }),
  pickPaths: (folders) => call("pick_paths", { folders }),
  scanLogs: () => call("scan_logs"),
  settings: () => call("settings"),
  setTz: (tz) => call("set_tz", { tz }),
  timeZones: () => call("time_zones"),
  setConfig: (key, value) => call("set_config", { key, value }),
  setAutostart: (on) => call("set_autostart", { on }),
  priceOverrides: () => call("price_overrides"),
  setPriceOverride: (price) => call("set_price_override", { price }),
  removePriceOverride: (model, from) => call("remove_price_override", { model, from: from || null }),
  uiReady: (marks) => call("ui_ready", { marks: marks || null }),
  // Views: budgets, compensation, warnings, token estimator, ledger.
  dashboardWarnings: () => call("dashboard_warnings"),
  budgets: (style) => call("budgets", { style }),
  saveBudget: (budget, replace) => call("save_budget", { budget, replace }),
  removeBudget: (name) => call("remove_budget", { name }),
  compensation: (style) => call("compensation", { style }),
  setCompensation: (comp) => call("set_compensation", { comp }),
  countTokens: (text) => call("count_tokens", { text }),
  countTokensFile: (path) => call("count_tokens_file", { path }),
  tokenCosts: (counts, models) => call("token_costs", { counts, models }),
  priceModels: () => call("price_models"),
  events: (filter, limit, after) => call("events", { filter, limit, after: after || null }),
  exportEvents: (filter, format) => call("export_events", { filter, format }),
  imports: (limit, offset) => call("imports", { limit, offset }),
  undoImport: (id) => call("undo_import", { id }),
  backupLedger: () => call("backup_ledger"),
  restoreLedger: (replace) => call("restore_ledger", { replace }),
  // Events from Rust: import-progress, scan-progress, ledger-changed, files-dropped,
  // scan-finished, scan-failed, alert-fired (alerts that fired), show-budget (a budget's
  // name, clicked in the tray). Returns a promise of the unlisten function.
  on: (name, handler) => tauri.event.listen(name, (e) => handler(e.payload)),
};

// Advice for a person, by stable error code; the message says what exactly went wrong.
// The keys are exactly the engine's `Code` names (src/error.rs); a desktop test fails when
// one is missing here or one here is not a code.
const advice = {
  ledger_busy: "The ledger is busy (another Tokenburn is writing to it). Try again in a moment.",
  schema_too_new: "This ledger was written by a newer Tokenburn. Update the app.",
  unrecognised_file: "Tokenburn does not know this file's format.",
  unknown_format: "Tokenburn has no importer by that name.",
  bad_file: "The file could not be read as its format; nothing of it was imported.",
  io: "The file or folder could not be read or written.",
  invalid_input: "That value is not valid.",
  not_found: "It is not there (any more); the list is up to date now.",
  unsupported: "This is not available on this system.",
  ledger: "The ledger file could not be read or written. Check the disk and the file's permissions, then try again.",
  chart_size: "The chart could not be drawn at this window size.",
  chart_draw: "The chart could not be drawn. Try again; if it persists, restart Tokenburn.",
  chart_png: "The chart could not be saved as a PNG image.",
  app: "Something went wrong inside the app. Try again; if it persists, restart Tokenburn.",
};

export function describe(err) {
  const e = asError(err);
  const hint = advice[e.code];
  return hint ? `${hint} (${e.message})` : e.message;
}
