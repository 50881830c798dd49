// Dashboard: spend and tokens for today, this week, this month and all time, the all-time
// split by model, and a warning when some events have no price. Owns #view-dashboard.

import { h, fill } from "../dom.js";
import { count, money, day } from "../format.js";

const PERIODS = { today: "Today", week: "This week", month: "This month", all: "All time" };

// The token kinds shown on every card and row, in the report's field names.
const FIELDS = [
  ["input_tokens", "Input"],
  ["output_tokens", "Output"],
  ["cache_write_tokens", "Cache write"],
  ["cache_read_tokens", "Cache read"],
];

export function createDashboard(root, { api, describe, go }) {
  let loading = null;

  function card(period) {
    const t = period.totals;
    const since = period.since ? `since ${day(period.since)}` : "everything in the ledger";
    const rows = FIELDS.map(([f, label]) => [h("dt", {}, label), h("dd", { dataset: { field: f } }, count(t[f]))]);
    if (t.unsplit_tokens > 0) rows.push([h("dt", {}, "Unsplit"), h("dd", { dataset: { field: "unsplit_tokens" } }, count(t.unsplit_tokens))]);
    return h("article", { class: "card", dataset: { period: period.key }, "aria-label": PERIODS[period.key] },
      h("h3", {}, PERIODS[period.key]),
      h("p", { class: "cost", dataset: { field: "cost_usd" } }, money(t.cost_usd)),
      t.unpriced_events > 0 ? h("p", { class: "badge warn", dataset: { field: "unpriced_events" } }, `+ ${count(t.unpriced_events)} unpriced`) : null,
      h("p", { class: "sub" },
        h("span", { dataset: { field: "events" } }, count(t.events)), " events · ",
        h("span", { dataset: { field: "total_tokens" } }, count(t.total_tokens)), " tokens"),
      h("dl", { class: "fields" }, rows),
      h("p", { class: "since" }, since));
  }

  function modelTable(rows) {
    const head = h("tr", {}, h("th", { scope: "col" }, "Model"), h("th", { scope: "col", class: "num" }, "Events"),
      FIELDS.map(([, label]) => h("th", { scope: "col", class: "num" }, label)),
      h("th", { scope: "col", class: "num" }, "Total tokens"), h("th", { scope: "col", class: "num" }, "Cost"));
    const body = rows.map((r) => h("tr", { dataset: { model: r.key } },
      h("th", { scope: "row", class: "model" }, r.key),
      h("td", { class: "num" }, count(r.events)),
      FIELDS.map(([f]) => h("td", { class: "num" }, count(r[f]))),
      h("td", { class: "num" }, count(r.total_tokens)),
      h("td", { class: "num" }, r.unpriced_events === r.events ? "—" : money(r.cost_usd),
        r.unpriced_events > 0 ? h("span", { class: "badge warn", title: "These events have no price in the price book" }, ` ${count(r.unpriced_events)} unpriced`) : null)));
    return h("table", { class: "models" }, h("caption", {}, "All time, by model"), h("thead", {}, head), h("tbody", {}, body));
  }

  function render(d) {
    const all = d.periods.find((p) => p.key === "all").totals;
    fill(root,
      h("div", { class: "view-head" },
        h("h2", {}, "Dashboard"),
        h("p", { class: "muted" }, `Days, weeks and months in ${d.tz} · today is ${day(d.today)}`),
        h("button", { type: "button", class: "secondary", onclick: () => refresh() }, "Refresh")),
      all.unpriced_events > 0 ? h("p", { class: "banner warn", role: "note", id: "unpriced-warning" },
        `${count(all.unpriced_events)} ${all.unpriced_events === 1 ? "event has" : "events have"} no price. ` +
        "Costs shown cover only priced events; unpriced is not free. " +
        "Add a price with `tokenburn prices set MODEL …`.") : null,
      all.events === 0 ? h("div", { class: "empty" },
        h("p", {}, "Your ledger is empty."),
        h("button", { type: "button", onclick: () => go("import") }, "Import files or scan agent logs")) : null,
      h("div", { class: "cards" }, d.periods.map(card)),
      d.by_model.length ? modelTable(d.by_model) : null);
  }

  async function refresh() {
    if (loading) return loading;
    root.setAttribute("aria-busy", "true");
    loading = api.dashboard()
      .then(render)
      .catch((e) => fill(root, h("h2", {}, "Dashboard"), h("p", { class: "banner error", role: "alert" }, describe(e))))
      .finally(() => { loading = null; root.removeAttribute("aria-busy"); });
    return loading;
  }

  return { refresh };
}
