// Composition root: builds the views, wires navigation, keyboard shortcuts and events
// from Rust, then reports the first paint (the dashboard's totals and budget cards on
// screen). Views never talk to each other directly.

import { api, describe } from "./api.js";
import { createDashboard } from "./views/dashboard.js";
import { createImport } from "./views/import.js";
import { createSettings } from "./views/settings.js";
import { createBudgets } from "./views/budgets.js";
import { createTokens } from "./views/tokens.js";
import { createLedger } from "./views/ledger.js";

const started = performance.now();
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
  budgets: createBudgets(el("budgets"), ctx),
  tokens: createTokens(el("tokens"), ctx),
  ledger: createLedger(el("ledger"), ctx),
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
  if (["budgets", "tokens", "ledger"].includes(name)) views[name].refresh();
}

for (const t of tabs) t.addEventListener("click", () => go(t.dataset.view));
document.addEventListener("keydown", (e) => {
  // Ctrl+1..6 in the order of the tabs.
  const order = tabs.map((t) => t.dataset.view);
  if ((e.ctrlKey || e.metaKey) && !e.altKey && /^[1-9]$/.test(e.key) && Number(e.key) <= order.length) {
    e.preventDefault();
    go(order[Number(e.key) - 1]);
  }
});

api.on("ledger-changed", () => {
  if (current === "dashboard") views.dashboard.refresh();
  if (current === "ledger" || current === "budgets") views[current].refresh();
  if (current === "import") views.import.refreshImports();
});
api.on("import-progress", views.import.onImportProgress);
api.on("scan-progress", views.import.onScanProgress);
// A file dropped on the token estimator is counted; anywhere else it is imported.
api.on("files-dropped", (paths) => {
  if (current === "tokens") { views.tokens.countFiles(paths); return; }
  go("import");
  views.import.importPaths(paths);
});
api.on("scan-finished", (out) => { views.import.showScan(out); toast(`Scan finished: ${out.files.length} files with something new`); });
api.on("scan-failed", (e) => { views.import.scanFailed(e); toast(describe(e)); });
// Alerts that just fired (the system shows them too, unless notifications are off).
api.on("alert-fired", (alerts) => toast(alerts.map((a) => a.message).join(" · ")));
// A budget's line clicked in the tray menu.
api.on("show-budget", () => go("budgets"));

go("dashboard");
// The first paint: the dashboard with its totals, budget cards and ratio chart on screen
// (the warnings may come later). Two frames after they are in the page: the first is laid
// out, the second painted. The page's own moments go along for the launch timing.
views.dashboard.shown.then(() => requestAnimationFrame(() => requestAnimationFrame(() => {
  api.uiReady(pageMarks()).catch(() => {});
})));

// Moments of the page's load on the wall clock (ms since the Unix epoch).
function pageMarks() {
  const origin = performance.timeOrigin || Date.now() - performance.now();
  const marks = { "app.js ran": origin + started };
  const nav = performance.getEntriesByType("navigation")[0];
  if (nav) {
    marks["html received"] = origin + nav.responseEnd;
    marks["DOMContentLoaded"] = origin + nav.domContentLoadedEventStart;
  }
  for (const e of [...performance.getEntriesByType("paint"), ...performance.getEntriesByType("mark")]) {
    marks[e.name] = origin + e.startTime;
  }
  marks["painted"] = origin + performance.now();
  return marks;
}
