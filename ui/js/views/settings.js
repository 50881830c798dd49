// Settings: the ledger's time zone (shared with the CLI's `config set tz`) and where the
// data file is. Owns #view-settings.

import { h, fill } from "../dom.js";

export function createSettings(root, { api, describe, toast }) {
  const tzInput = h("input", { id: "tz", type: "text", list: "tz-list", autocomplete: "off", spellcheck: "false", "aria-describedby": "tz-help" });
  const tzList = h("datalist", { id: "tz-list" });
  const tzStatus = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const systemButton = h("button", { type: "button", class: "secondary" }, "Use system zone");
  const dbPath = h("input", { id: "db-path", type: "text", readonly: true });
  const dbHelp = h("p", { class: "muted" });
  let zonesLoaded = false;

  root.append(
    h("div", { class: "view-head" }, h("h2", {}, "Settings")),
    h("section", { class: "panel", "aria-labelledby": "tz-h" }, h("h3", { id: "tz-h" }, "Time zone"),
      h("form", { onsubmit: (e) => { e.preventDefault(); save(tzInput.value.trim()); } },
        h("label", { for: "tz" }, "Ledger time zone (IANA name)"),
        h("div", { class: "row" }, tzInput, tzList, h("button", { type: "submit" }, "Save"), systemButton),
        h("p", { id: "tz-help", class: "muted" },
          "Days, weeks and months are counted in this zone, by the app and the CLI alike (`tokenburn config set tz`).")),
      tzStatus),
    h("section", { class: "panel", "aria-labelledby": "db-h" }, h("h3", { id: "db-h" }, "Data"),
      h("label", { for: "db-path" }, "Ledger file"), dbPath, dbHelp));

  function show(s) {
    tzInput.value = s.tz;
    systemButton.textContent = `Use system zone (${s.system_tz})`;
    systemButton.onclick = () => save(s.system_tz);
    dbPath.value = s.db;
    dbHelp.textContent = s.db_from_env
      ? "Chosen by the TOKENBURN_DB environment variable."
      : "The default location. Start the app with TOKENBURN_DB=/path/to/ledger.db to use another file; the CLI takes the same variable or --db.";
  }

  async function save(tz) {
    if (!tz) return;
    try {
      show(await api.setTz(tz));
      tzStatus.textContent = `Saved: ${tz}.`;
      toast(`Time zone set to ${tz}`);
    } catch (e) {
      tzStatus.textContent = describe(e);
    }
  }

  async function refresh() {
    try {
      show(await api.settings());
      if (!zonesLoaded) {
        const zones = await api.timeZones();
        fill(tzList, zones.map((z) => h("option", { value: z })));
        zonesLoaded = true;
      }
    } catch (e) {
      tzStatus.textContent = describe(e);
    }
  }

  return { refresh };
}
