// Ledger: the stored events a page at a time (newest first), filtered by dates, source
// (agent or format), provider, model and project; export of the filtered events (CSV or JSON); backup and restore of
// the whole ledger. Files are chosen in the native dialog, opened by Rust. Owns #view-ledger.

import { h, fill } from "../dom.js";
import { count, money } from "../format.js";
import { field, when } from "./common.js";

const PAGE = 100;

export function createLedger(root, { api, describe, toast }) {
  const input = (id, attrs = {}) => h("input", { id, name: id, type: "text", autocomplete: "off", spellcheck: "false", ...attrs });
  const f = {
    since: input("ledger-since", { type: "date" }),
    until: input("ledger-until", { type: "date" }),
    source: input("ledger-source", { placeholder: "any", list: "ledger-source-names" }),
    provider: input("ledger-provider", { placeholder: "any" }),
    model: input("ledger-model", { placeholder: "any" }),
    project: input("ledger-project", { placeholder: "any" }),
  };
  const status = h("p", { class: "status", id: "ledger-status", role: "status", "aria-live": "polite" });
  const table = h("div", { id: "ledger-events", class: "scroll" });
  const prev = h("button", { type: "button", class: "secondary", id: "ledger-prev", onclick: () => page(-1) }, "← Newer");
  const next = h("button", { type: "button", class: "secondary", id: "ledger-next", onclick: () => page(1) }, "Older →");
  const pageLabel = h("span", { class: "muted", id: "ledger-page" });
  const dataStatus = h("p", { class: "status", id: "ledger-data-status", role: "status", "aria-live": "polite" });
  const replace = h("input", { type: "checkbox", id: "restore-replace" });
  let tz = undefined;
  // cursors[i] is where page i starts (null for the first).
  let cursors = [null];
  let at = 0;
  let nextCursor = null;
  let filter = {};

  root.append(
    h("div", { class: "view-head" }, h("h2", {}, "Ledger")),
    h("section", { class: "panel", "aria-labelledby": "ledger-filter-h" }, h("h3", { id: "ledger-filter-h" }, "Events"),
      h("form", { class: "grid-form", id: "ledger-filter", onsubmit: (e) => { e.preventDefault(); apply(); } },
        field("From", f.since), field("To", f.until), field("Source", f.source, "An agent (gemini-cli, copilot-cli, …) or a format."),
        h("datalist", { id: "ledger-source-names" }, ["claude-code", "codex", "gemini-cli", "copilot-cli", "qwen-code", "amp", "opencode",
          "kilo-cli", "cline", "roo-code", "kilo-code", "manual"].map((v) => h("option", { value: v }))),
        field("Provider", f.provider), field("Model", f.model), field("Project", f.project),
        h("div", { class: "row actions" }, h("button", { type: "submit", id: "ledger-apply" }, "Filter"),
          h("button", { type: "button", class: "secondary", onclick: () => { for (const x of Object.values(f)) x.value = ""; apply(); } }, "Clear"),
          h("button", { type: "button", class: "secondary", id: "ledger-export-csv", onclick: () => exportAs("csv") }, "Export CSV…"),
          h("button", { type: "button", class: "secondary", id: "ledger-export-json", onclick: () => exportAs("json") }, "Export JSON…"))),
      status, table, h("div", { class: "row pager" }, prev, pageLabel, next)),
    h("section", { class: "panel", "aria-labelledby": "ledger-data-h" }, h("h3", { id: "ledger-data-h" }, "Backup and restore"),
      h("p", { class: "muted" }, "A backup is the whole ledger (events, imports, budgets, settings) as one JSON file, as `tokenburn export`. Restoring needs an empty ledger, unless you choose to replace what it holds."),
      h("div", { class: "row actions" },
        h("button", { type: "button", class: "secondary", id: "ledger-backup", onclick: () => backup() }, "Back up…"),
        h("button", { type: "button", class: "secondary", id: "ledger-restore", onclick: () => restore() }, "Restore…"),
        h("label", { for: "restore-replace", class: "inline check" }, replace, " replace what the ledger holds")),
      dataStatus));

  function readFilter() {
    return { since: f.since.value || null, until: f.until.value || null, source: f.source.value.trim() || null,
      provider: f.provider.value.trim() || null,
      model: f.model.value.trim() || null, project: f.project.value.trim() || null };
  }


  function render(p) {
    nextCursor = p.next;
    prev.disabled = at === 0;
    next.disabled = !p.next;
    pageLabel.textContent = `Page ${count(at + 1)}`;
    if (!p.rows.length) {
      fill(table, h("p", { class: "muted", id: "ledger-empty" }, at === 0 ? "No events match." : "No more events."));
      status.textContent = "";
      return;
    }
    status.textContent = `${count(p.rows.length)} events on this page${p.next ? "; more on the next" : ""}.`;
    fill(table, h("table", { class: "events" },
      h("thead", {}, h("tr", {}, ["When", "Source", "Provider", "Model", "Project", "Input", "Output", "Cache read", "Cache write", "Cost", "Import"].map((t, i) =>
        h("th", { scope: "col", class: i >= 5 ? "num" : null }, t)))),
      h("tbody", {}, p.rows.map((r) => h("tr", { dataset: { id: String(r.id), model: r.model, source: r.source }, class: r.counted ? null : "not-counted" },
        h("td", { class: "nowrap" }, r.day ? r.day : when(r.ts, tz)),
        h("td", {}, r.source),
        h("td", {}, r.provider),
        h("td", { class: "model" }, r.model),
        h("td", { class: "path" }, r.project || ""),
        h("td", { class: "num" }, count(r.input)),
        h("td", { class: "num" }, count(r.output)),
        h("td", { class: "num" }, count(r.cache_read)),
        h("td", { class: "num" }, count(r.cache_write_5m + r.cache_write_1h)),
        h("td", { class: "num" }, r.cost_usd === null ? h("span", { class: "badge warn" }, "unpriced") : money(r.cost_usd),
          r.counted ? null : h("span", { class: "badge", title: "A more authoritative source has this usage; stored, not counted" }, "superseded")),
        h("td", { class: "num", title: `line ${r.line}` }, `#${r.import_id}`))))));
  }

  async function load() {
    root.setAttribute("aria-busy", "true");
    try {
      render(await api.events(filter, PAGE, cursors[at]));
    } catch (e) {
      fill(table, h("p", { class: "banner error", role: "alert", dataset: { code: e.code } }, describe(e)));
      status.textContent = "";
    } finally {
      root.removeAttribute("aria-busy");
    }
  }

  function apply() {
    filter = readFilter();
    cursors = [null];
    at = 0;
    load();
  }

  function page(d) {
    if (d > 0 && nextCursor) { cursors[at + 1] = nextCursor; at += 1; }
    else if (d < 0 && at > 0) at -= 1;
    else return;
    load();
  }

  async function exportAs(format) {
    try {
      const w = await api.exportEvents(readFilter(), format);
      if (w) { dataStatus.textContent = `Exported ${count(w.count)} events to ${w.path}.`; toast("Export written"); }
    } catch (e) {
      dataStatus.textContent = describe(e);
    }
  }

  async function backup() {
    try {
      const w = await api.backupLedger();
      if (w) dataStatus.textContent = `Backed up the ledger (${count(w.count)} events) to ${w.path}.`;
    } catch (e) {
      dataStatus.textContent = describe(e);
    }
  }

  async function restore() {
    try {
      const w = await api.restoreLedger(replace.checked);
      if (w) { dataStatus.textContent = `Restored ${count(w.count)} rows from ${w.path}.`; toast("Ledger restored"); }
    } catch (e) {
      dataStatus.textContent = describe(e);
    }
  }

  async function refresh() {
    if (tz === undefined) {
      try { tz = (await api.settings()).tz; } catch { tz = undefined; }
    }
    load();
  }

  return { refresh, focus: () => f.since.focus() };
}
