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
  uiReady: () => call("ui_ready"),
  // Events from Rust: import-progress, scan-progress, ledger-changed, files-dropped,
  // scan-finished, scan-failed. Returns a promise of the unlisten function.
  on: (name, handler) => tauri.event.listen(name, (e) => handler(e.payload)),
};

// Advice for a person, by stable error code; the message says what exactly went wrong.
const advice = {
  ledger_busy: "The ledger is busy (another Tokenburn is writing to it). Try again in a moment.",
  schema_too_new: "This ledger was written by a newer Tokenburn. Update the app.",
  unrecognised_file: "Tokenburn does not know this file's format.",
  bad_file: "The file could not be read as its format; nothing of it was imported.",
  io: "The file or folder could not be read.",
  invalid_input: "That value is not valid.",
};

export function describe(err) {
  const e = asError(err);
  const hint = advice[e.code];
  return hint ? `${hint} (${e.message})` : e.message;
}
