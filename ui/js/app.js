// Composition root: builds the views, wires navigation, keyboard shortcuts and events
// from Rust, then reports the first paint. Views never talk to each other directly.

import { api, describe } from "./api.js";
import { createDashboard } from "./views/dashboard.js";
import { createImport } from "./views/import.js";
import { createSettings } from "./views/settings.js";

const toastEl = document.getElementById("toast");
let toastTimer = 0;
function toast(text) {
  toastEl.textContent = text;
  toastEl.classList.add("shown");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => toastEl.classList.remove("shown"), 4000);
}

const el = (id) => document.getElementById(`view-${id}`);
const ctx = { api, describe, toast, go: (v) => go(v) };
const views = {
  dashboard: createDashboard(el("dashboard"), ctx),
  import: createImport(el("import"), ctx),
  settings: createSettings(el("settings"), ctx),
};
const tabs = [...document.querySelectorAll("nav .tab")];
let current = null;

function go(name) {
  if (!views[name] || name === current) return;
  current = name;
  for (const t of tabs) {
    const on = t.dataset.view === name;
    if (on) t.setAttribute("aria-current", "page"); else t.removeAttribute("aria-current");
  }
  for (const n of Object.keys(views)) el(n).hidden = n !== name;
  if (name === "dashboard") views.dashboard.refresh();
  if (name === "settings") views.settings.refresh();
  if (name === "import") views.import.focus();
}

for (const t of tabs) t.addEventListener("click", () => go(t.dataset.view));
document.addEventListener("keydown", (e) => {
  if ((e.ctrlKey || e.metaKey) && !e.altKey && ["1", "2", "3"].includes(e.key)) {
    e.preventDefault();
    go(["dashboard", "import", "settings"][Number(e.key) - 1]);
  }
});

api.on("ledger-changed", () => { if (current === "dashboard") views.dashboard.refresh(); });
api.on("import-progress", views.import.onImportProgress);
api.on("scan-progress", views.import.onScanProgress);
api.on("files-dropped", (paths) => { go("import"); views.import.importPaths(paths); });
api.on("scan-finished", (out) => { views.import.showScan(out); toast(`Scan finished: ${out.files.length} files with something new`); });
api.on("scan-failed", (e) => { views.import.scanFailed(e); toast(describe(e)); });

go("dashboard");
// Two frames: the first is laid out, the second painted.
requestAnimationFrame(() => requestAnimationFrame(() => { api.uiReady().catch(() => {}); }));
