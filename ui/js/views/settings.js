// Settings: the ledger's own (time zone, fiscal-year start, default alert thresholds of new
// budgets, notifications on/off, price overrides), which the CLI shares (`tokenburn config
// set`, `tokenburn prices set/rm`); start at login (the system's); where the data file is.
// Owns #view-settings.

import { h, fill } from "../dom.js";
import { field } from "./common.js";

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
  "November", "December"];

export function createSettings(root, { api, describe, toast }) {
  const text = (id, attrs = {}) => h("input", { id, name: id, type: "text", autocomplete: "off", spellcheck: "false", ...attrs });
  const status = (id) => h("p", { id, class: "status", role: "status", "aria-live": "polite" });

  // Time zone.
  const tzInput = text("tz", { list: "tz-list", "aria-describedby": "tz-help" });
  const tzList = h("datalist", { id: "tz-list" });
  const tzStatus = status("tz-status");
  const systemButton = h("button", { type: "button", class: "secondary" }, "Use system zone");

  // Budgets and alerts.
  const fyInput = h("select", { id: "fiscal-year-start", name: "fiscal-year-start" },
    MONTHS.map((m, i) => h("option", { value: String(i + 1) }, m)));
  const thresholdsInput = text("default-thresholds", { placeholder: "50,75,90,100", inputmode: "numeric" });
  const notifyInput = h("input", { id: "notifications", type: "checkbox" });
  const alertsStatus = status("alerts-status");

  // Start at login.
  const autostartInput = h("input", { id: "autostart", type: "checkbox" });
  const autostartHelp = h("p", { class: "muted" });
  const appStatus = status("app-status");

  // Price overrides.
  const p = {
    model: text("price-model", { required: true, placeholder: "claude-sonnet-4-5" }),
    input: text("price-input", { required: true, inputmode: "decimal", placeholder: "3" }),
    output: text("price-output", { required: true, inputmode: "decimal", placeholder: "15" }),
    cacheRead: text("price-cache-read", { inputmode: "decimal", placeholder: "= input" }),
    cacheWrite5m: text("price-cache-write-5m", { inputmode: "decimal", placeholder: "1.25 × input" }),
    cacheWrite1h: text("price-cache-write-1h", { inputmode: "decimal", placeholder: "2 × input" }),
    from: h("input", { id: "price-from", name: "price-from", type: "date" }),
  };
  const priceList = h("div", { id: "price-overrides", class: "price-overrides" });
  const priceStatus = status("price-status");

  const dbPath = h("input", { id: "db-path", type: "text", readonly: true });
  const dbHelp = h("p", { class: "muted" });

  root.append(
    h("div", { class: "view-head" }, h("h2", {}, "Settings")),
    h("section", { class: "panel", "aria-labelledby": "tz-h" }, h("h3", { id: "tz-h" }, "Time zone"),
      h("form", { onsubmit: (e) => { e.preventDefault(); saveTz(tzInput.value.trim()); } },
        h("label", { for: "tz" }, "Ledger time zone (IANA name)"),
        h("div", { class: "row" }, tzInput, tzList, h("button", { type: "submit" }, "Save"), systemButton),
        h("p", { id: "tz-help", class: "muted" },
          "Days, weeks and months are counted in this zone, by the app and the CLI alike (", h("code", {}, "tokenburn config set tz"), ").")),
      tzStatus),
    h("section", { class: "panel", "aria-labelledby": "alerts-h" }, h("h3", { id: "alerts-h" }, "Budgets and alerts"),
      h("form", { class: "grid-form", id: "alerts-form", onsubmit: (e) => { e.preventDefault(); saveAlerts(); } },
        field("Fiscal year starts in", fyInput, "Quarters and years of budgets start in this month."),
        field("Alert thresholds of new budgets (%)", thresholdsInput,
          "Whole percentages, comma-separated, 1 to 1000. Existing budgets keep theirs."),
        h("div", { class: "row actions" }, h("button", { type: "submit", id: "alerts-save" }, "Save"))),
      h("p", {}, h("label", { class: "check", for: "notifications" }, notifyInput,
        " Show alerts as system notifications")),
      h("p", { class: "muted" },
        "An alert fires once per threshold and period: when spend crosses a threshold, when the forecast says a budget runs out before its period ends, and when spend against pay passes your cap or heads under your target. Muted alerts are still recorded (",
        h("code", {}, "tokenburn alerts"), ")."),
      alertsStatus),
    h("section", { class: "panel", "aria-labelledby": "prices-h" }, h("h3", { id: "prices-h" }, "Price overrides"),
      h("p", { class: "muted" },
        "Your own prices, in US dollars per million tokens, win over the price book from their first day on; stored events are re-priced. Blank cache prices follow the input price."),
      priceList,
      h("form", { class: "grid-form", id: "price-form", onsubmit: (e) => { e.preventDefault(); savePrice(); } },
        field("Model", p.model), field("Input", p.input), field("Output", p.output), field("Cache read", p.cacheRead),
        field("Cache write, 5 min", p.cacheWrite5m), field("Cache write, 1 hour", p.cacheWrite1h),
        field("From", p.from, "Blank: always."),
        h("div", { class: "row actions" }, h("button", { type: "submit", id: "price-save" }, "Save price"))),
      priceStatus),
    h("section", { class: "panel", "aria-labelledby": "app-h" }, h("h3", { id: "app-h" }, "This computer"),
      h("p", {}, h("label", { class: "check", for: "autostart" }, autostartInput, " Start Tokenburn when I log in")),
      autostartHelp, appStatus),
    h("section", { class: "panel", "aria-labelledby": "db-h" }, h("h3", { id: "db-h" }, "Data"),
      h("label", { for: "db-path" }, "Ledger file"), dbPath, dbHelp));

  function show(s) {
    tzInput.value = s.tz;
    systemButton.textContent = `Use system zone (${s.system_tz})`;
    systemButton.onclick = () => saveTz(s.system_tz);
    fyInput.value = String(s.fiscal_year_start);
    thresholdsInput.value = s.default_thresholds.join(",");
    notifyInput.checked = s.notifications;
    autostartInput.checked = s.autostart === true;
    autostartInput.disabled = s.autostart === null || s.autostart === undefined;
    autostartHelp.textContent = autostartInput.disabled
      ? "Starting at login cannot be managed on this system."
      : "Tokenburn then runs in the tray from login on, importing agent logs and alerting as you work.";
    dbPath.value = s.db;
    dbHelp.textContent = s.db_from_env
      ? "Chosen by the TOKENBURN_DB environment variable."
      : "The default location. Start the app with TOKENBURN_DB=/path/to/ledger.db to use another file; the CLI takes the same variable or --db.";
  }

  // Runs `work`, showing its result with `show` and any error in `line`.
  async function attempt(line, work, done) {
    try {
      show(await work());
      line.textContent = done;
      if (done) toast(done);
    } catch (e) {
      line.textContent = describe(e);
      refresh();
    }
  }

  const saveTz = (tz) => tz && attempt(tzStatus, () => api.setTz(tz), `Time zone set to ${tz}.`);

  async function saveAlerts() {
    try {
      await api.setConfig("fiscal_year_start", fyInput.value);
      show(await api.setConfig("default_thresholds", thresholdsInput.value));
      alertsStatus.textContent = "Saved.";
      toast("Budget settings saved");
    } catch (e) {
      alertsStatus.textContent = describe(e);
    }
  }

  notifyInput.addEventListener("change", () => attempt(alertsStatus,
    () => api.setConfig("notifications", notifyInput.checked ? "on" : "off"),
    notifyInput.checked ? "Notifications on." : "Notifications off."));
  autostartInput.addEventListener("change", () => attempt(appStatus,
    () => api.setAutostart(autostartInput.checked),
    autostartInput.checked ? "Tokenburn will start at login." : "Tokenburn will not start at login."));

  function showPrices(list) {
    if (!list.length) {
      fill(priceList, h("p", { class: "muted", id: "no-price-overrides" }, "No overrides: every price comes from the price book."));
      return;
    }
    const cols = [["input", "Input"], ["output", "Output"], ["cache_read", "Cache read"], ["cache_write_5m", "Write 5 min"],
      ["cache_write_1h", "Write 1 h"]];
    fill(priceList, h("div", { class: "scroll" }, h("table", { class: "prices" },
      h("caption", {}, "Your prices (USD per million tokens)"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Model"), h("th", { scope: "col" }, "From"),
        cols.map(([, label]) => h("th", { scope: "col", class: "num" }, label)), h("th", {}))),
      h("tbody", {}, list.map((o) => h("tr", { dataset: { model: o.model } },
        h("th", { scope: "row", class: "model" }, o.model),
        h("td", { class: "nowrap" }, o.from || "always"),
        cols.map(([k]) => o[k] ? h("td", { class: "num" }, o[k]) : h("td", { class: "num muted" }, "default")),
        h("td", {}, h("button", { type: "button", class: "secondary remove-price", "aria-label": `Remove the price of ${o.model}`,
          onclick: () => removePrice(o) }, "Remove"))))))));
  }

  async function savePrice() {
    const v = (el) => el.value.trim();
    const price = { model: v(p.model), input: v(p.input), output: v(p.output), from: v(p.from) || null,
      cache_read: v(p.cacheRead) || null, cache_write_5m: v(p.cacheWrite5m) || null, cache_write_1h: v(p.cacheWrite1h) || null };
    try {
      showPrices(await api.setPriceOverride(price));
      priceStatus.textContent = `Price of ${price.model} saved; stored events re-priced.`;
      for (const el of Object.values(p)) el.value = "";
    } catch (e) {
      priceStatus.textContent = describe(e);
    }
  }

  async function removePrice(o) {
    try {
      showPrices(await api.removePriceOverride(o.model, o.from));
      priceStatus.textContent = `Price override of ${o.model} removed.`;
    } catch (e) {
      priceStatus.textContent = describe(e);
    }
  }

  let zonesLoaded = false;
  async function refresh() {
    try {
      show(await api.settings());
      showPrices(await api.priceOverrides());
      if (!zonesLoaded) {
        fill(tzList, (await api.timeZones()).map((z) => h("option", { value: z })));
        zonesLoaded = true;
      }
    } catch (e) {
      tzStatus.textContent = describe(e);
    }
  }

  return { refresh };
}
