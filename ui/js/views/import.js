// Import: a path typed or pasted, the native file/folder dialog, files dropped on the
// window, and "Scan agent logs". All imports end in api.importPaths. Below, the past
// imports with undo (as `tokenburn imports` / `imports rm ID`). Owns #view-import.

import { h, clear, fill } from "../dom.js";
import { count } from "../format.js";
import { when } from "./common.js";

const IMPORTS_PAGE = 50;

export function createImport(root, { api, describe, toast }) {
  const pathInput = h("input", { id: "import-path", type: "text", name: "path", autocomplete: "off", spellcheck: "false",
    placeholder: "/home/you/.claude/projects or an export file", "aria-describedby": "import-help" });
  const importButton = h("button", { type: "submit", id: "import-button" }, "Import");
  const status = h("p", { class: "status", id: "import-status", role: "status", "aria-live": "polite" });
  const results = h("div", { id: "import-results", class: "results" });
  const scanButton = h("button", { type: "button", id: "scan-button", onclick: () => scan() }, "Scan agent logs");
  const scanStatus = h("p", { class: "status", id: "scan-status", role: "status", "aria-live": "polite" });
  const scanResults = h("div", { id: "scan-results", class: "results" });
  // Progress of a long import or scan: a count of files, indeterminate when the total is unknown.
  const bar = h("progress", { id: "import-progress", hidden: true, "aria-label": "Import progress" });
  const scanBar = h("progress", { id: "scan-progress", hidden: true, "aria-label": "Scan progress" });
  const pastStatus = h("p", { class: "status", id: "imports-status", role: "status", "aria-live": "polite" });
  const past = h("div", { id: "imports-list" });
  const pastMore = h("button", { type: "button", class: "secondary", id: "imports-more", hidden: true, onclick: () => loadImports(true) }, "Show older imports");
  let pastRows = [];
  let busy = false;

  const form = h("form", { class: "import-form", onsubmit: (e) => { e.preventDefault(); importTyped(); } },
    h("label", { for: "import-path" }, "File or folder to import"),
    h("div", { class: "row" }, pathInput, importButton),
    h("p", { id: "import-help", class: "muted" },
      "The format of each file is detected. Folders are read recursively. You can also drop files anywhere on this window."),
    h("div", { class: "row" },
      h("button", { type: "button", class: "secondary", onclick: () => pick(false) }, "Choose files…"),
      h("button", { type: "button", class: "secondary", onclick: () => pick(true) }, "Choose folder…")));

  root.append(
    h("div", { class: "view-head" }, h("h2", {}, "Import")),
    h("section", { class: "panel", "aria-labelledby": "import-files-h" }, h("h3", { id: "import-files-h" }, "Files and exports"), form, bar, status, results),
    h("section", { class: "panel", "aria-labelledby": "scan-h" }, h("h3", { id: "scan-h" }, "Agent logs"),
      h("p", { class: "muted" }, "Reads what is new in every agent's logs (Claude Code, Codex, Gemini CLI, Copilot CLI, Amp, Qwen Code, Cline, Roo Code, Kilo Code, opencode, Kilo CLI) from their standard places, as `tokenburn scan` does."),
      scanButton, scanBar, scanStatus, scanResults),
    h("section", { class: "panel", "aria-labelledby": "imports-h" }, h("h3", { id: "imports-h" }, "Past imports"),
      h("p", { class: "muted" }, "Undo removes an import and the events only it delivered; events another import also delivered stay."),
      pastStatus, past, pastMore));

  function setBusy(b) {
    busy = b;
    for (const el of root.querySelectorAll("button, input")) el.disabled = b;
    if (!b) { bar.hidden = true; scanBar.hidden = true; }
  }

  // A rejected row is at a line of a text file ({line, reason}) or at a record of a JSON
  // document ({record, reason}); one file's rows are all of one kind.
  function rejectedTable(file) {
    const rej = file.report.rejected || [];
    if (!rej.length) return null;
    const records = rej[0].record !== undefined;
    return h("table", { class: "rejected" }, h("caption", {}, "Rejected rows"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col", class: "num" }, records ? "Record" : "Line"), h("th", { scope: "col" }, "Reason"))),
      h("tbody", {}, rej.map((r) => h("tr", {}, h("td", { class: "num" }, count(records ? r.record : r.line)), h("td", {}, r.reason)))));
  }

  function fileItem(file) {
    if (file.error) {
      return h("li", { class: "file failed", dataset: { path: file.path } },
        h("p", { class: "path" }, file.path || "(unknown file)"),
        h("p", { class: "error", dataset: { code: file.error.code } }, describe(file.error)));
    }
    const r = file.report;
    const nRejected = Math.max(r.rejected_count || 0, (r.rejected || []).length);
    const stat = (field, label, n) => h("span", { class: "stat", dataset: { field } }, h("b", {}, count(n)), ` ${label}`);
    return h("li", { class: "file", dataset: { path: file.path } },
      h("p", { class: "path" }, file.path, h("span", { class: "badge" }, r.format)),
      h("p", { class: "stats" },
        stat("rows", "rows", r.rows), stat("added", "added", r.added), stat("updated", "updated", r.updated),
        stat("duplicates", "duplicates", r.duplicates), stat("rejected", "rejected", nRejected)),
      r.same_as ? h("p", { class: "muted" }, `Identical to import #${r.same_as}; nothing new.`) : null,
      rejectedTable(file));
  }

  function summary(files) {
    const added = files.reduce((n, f) => n + (f.report ? f.report.added : 0), 0);
    const failed = files.filter((f) => f.error).length;
    return `${count(files.length)} files, ${count(added)} events added` + (failed ? `, ${count(failed)} failed` : "") + ".";
  }

  async function importPaths(paths) {
    if (busy || !paths.length) return;
    setBusy(true);
    status.textContent = "Importing…";
    clear(results);
    try {
      const files = await api.importPaths(paths);
      status.textContent = `Done: ${summary(files)}`;
      results.append(h("ul", { class: "files" }, files.map(fileItem)));
      loadImports(false);
    } catch (e) {
      status.textContent = "";
      results.append(h("p", { class: "banner error", role: "alert", dataset: { code: e.code } }, describe(e)));
    } finally {
      setBusy(false);
    }
  }

  function importTyped() {
    const p = pathInput.value.trim();
    if (!p) { pathInput.focus(); return; }
    importPaths([p]);
  }

  async function pick(folders) {
    try {
      const paths = await api.pickPaths(folders);
      if (paths.length) { pathInput.value = paths.join(", "); await importPaths(paths); }
    } catch (e) {
      status.textContent = describe(e);
    }
  }

  // The folders found, grouped by agent, in the order the scan read them.
  function foundPlaces(out) {
    const places = out.places || out.locations.map((path) => ({ label: "Agent logs", path }));
    const groups = new Map();
    for (const p of places) {
      if (!groups.has(p.label)) groups.set(p.label, []);
      groups.get(p.label).push(p.path);
    }
    return [...groups];
  }

  function showScan(out) {
    fill(scanResults,
      h("h4", {}, out.locations.length ? "Locations found" : "No agent-log folders found"),
      out.locations.length ? h("ul", { class: "locations" }, foundPlaces(out).map(([label, paths]) =>
        h("li", {}, h("strong", {}, label), h("ul", {}, paths.map((p) => h("li", { class: "path" }, p))))))
        : h("p", { class: "muted" }, "Looked for every agent's logs in its standard places (`tokenburn sources` lists them)."),
      h("p", {}, `${count(out.files.length)} files with something new, ${count(out.unchanged)} unchanged.`),
      out.files.length ? h("ul", { class: "files" }, out.files.map(fileItem)) : null);
    scanStatus.textContent = `Done: ${summary(out.files)}`;
  }

  async function scan() {
    if (busy) return;
    setBusy(true);
    scanStatus.textContent = "Scanning…";
    try {
      showScan(await api.scanLogs());
      loadImports(false);
    } catch (e) {
      scanStatus.textContent = describe(e);
    } finally {
      setBusy(false);
    }
  }

  function progress(target, meter) {
    return (u) => {
      if (!busy) return;
      meter.hidden = false;
      if (u.total) { meter.max = u.total; meter.value = u.done; } else meter.removeAttribute("value");
      target.textContent = (u.total ? `${count(u.done)} of ${count(u.total)} files` : `${count(u.done)} files`) + ` · ${u.path}`;
    };
  }

  function importRow(r) {
    const undo = h("button", { type: "button", class: "secondary", dataset: { action: "undo" } }, "Undo");
    undo.addEventListener("click", async () => {
      // Asks twice: undo deletes events.
      if (!undo.dataset.armed) {
        undo.dataset.armed = "1";
        undo.textContent = "Really undo?";
        setTimeout(() => { delete undo.dataset.armed; undo.textContent = "Undo"; }, 4000);
        return;
      }
      undo.disabled = true;
      try {
        const out = await api.undoImport(r.id);
        pastStatus.textContent = `Import #${r.id} undone: ${count(out.removed_events)} events removed, ${count(out.kept_events)} kept (another import also delivered them).`;
        toast(`Import #${r.id} undone`);
        await loadImports(false);
      } catch (e) {
        pastStatus.textContent = describe(e);
        undo.disabled = false;
      }
    });
    return h("tr", { dataset: { import: String(r.id) } },
      h("td", { class: "num" }, `#${r.id}`),
      h("td", { class: "nowrap" }, when(r.started)),
      h("td", {}, r.format),
      h("td", { class: "path" }, r.path),
      h("td", { class: "num", dataset: { field: "added" } }, count(r.added)),
      h("td", { class: "num" }, count(r.duplicates)),
      h("td", { class: "num" }, count(r.rejected)),
      h("td", { class: "num", dataset: { field: "events" } }, count(r.events)),
      h("td", {}, undo));
  }

  async function loadImports(more) {
    try {
      const p = await api.imports(IMPORTS_PAGE, more ? pastRows.length : 0);
      pastRows = more ? pastRows.concat(p.rows) : p.rows;
      pastMore.hidden = pastRows.length >= p.total;
      if (!pastRows.length) { fill(past, h("p", { class: "muted" }, "Nothing imported yet.")); return; }
      fill(past, h("table", { class: "imports" },
        h("thead", {}, h("tr", {}, ["#", "When", "Format", "File", "Added", "Duplicates", "Rejected", "Events", ""].map((t, i) =>
          h("th", { scope: "col", class: [0, 4, 5, 6, 7].includes(i) ? "num" : null }, t)))),
        h("tbody", {}, pastRows.map(importRow))));
    } catch (e) {
      pastStatus.textContent = describe(e);
    }
  }

  return {
    importPaths,
    showScan,
    scanFailed: (e) => { scanStatus.textContent = describe(e); },
    onImportProgress: progress(status, bar),
    onScanProgress: progress(scanStatus, scanBar),
    refreshImports: () => loadImports(false),
    focus: () => { pathInput.focus(); loadImports(false); },
  };
}
