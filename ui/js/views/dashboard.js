// Dashboard: one card per budget (spent, share used, burn per day, run-out range with its
// burn chart), the compensation ratio chart, spend and tokens for today, this week, this
// month and all time, the all-time split by model, and warnings (unpriced models,
// reconciliation drift). Owns #view-dashboard.

import { h, fill } from "../dom.js";
import { count, money, day } from "../format.js";
import { amount, chartStyle, onSchemeChange, percent, svgImage } from "./common.js";

const PERIODS = { today: "Today", week: "This week", month: "This month", all: "All time" };

// The token kinds shown on every card and row, in the report's field names.
const FIELDS = [
  ["input_tokens", "Input"],
  ["output_tokens", "Output"],
  ["cache_write_tokens", "Cache write"],
  ["cache_read_tokens", "Cache read"],
];

// The run-out date of one percentile; a date past the period's end says so.
function runout(date, inside) {
  if (!date) return "not within the forecast";
  return inside ? day(date) : `${day(date)} (after the period)`;
}

export function budgetCard(c) {
  const b = c.budget;
  const s = c.status;
  const head = h("h3", {}, b.name);
  if (!s) {
    return h("article", { class: "card budget", dataset: { budget: b.name } }, head,
      h("p", { class: "muted" }, b.period === "custom" ? `Runs ${day(b.start)} to ${day(b.end)}; not active today.` : "Not active yet."));
  }
  const f = s.forecast;
  const over = s.share_used >= 1;
  return h("article", { class: "card budget", dataset: { budget: b.name }, "aria-label": `Budget ${b.name}` },
    h("div", { class: "card-head" }, head,
      f.early_estimate ? h("span", { class: "badge", dataset: { field: "early" }, title: "Little history: the forecast range is wide" }, "early estimate") : null),
    h("p", { class: "since" }, `${day(s.period_start)} – ${day(s.period_end)}`),
    h("p", { class: "cost" }, h("span", { dataset: { field: "spent" } }, amount(s.unit, s.spent)),
      h("span", { class: "of" }, ` of ${amount(s.unit, s.budget)}`)),
    h("div", { class: "meter" + (over ? " over" : ""), role: "meter", "aria-valuemin": "0", "aria-valuemax": "100",
      "aria-valuenow": String(Math.round(s.share_used * 100)), "aria-label": "Share of the budget used" },
      h("span", { dataset: { share: String(s.share_used) } })),
    h("dl", { class: "fields" },
      h("dt", {}, "Used"), h("dd", { dataset: { field: "share" } }, percent(s.share_used)),
      h("dt", {}, "Remaining"), h("dd", {}, amount(s.unit, s.remaining)),
      h("dt", {}, "Burn per day"), h("dd", { dataset: { field: "burn" } }, `${amount(s.unit, s.burn_per_day_7d)} (7 days)`),
      h("dt", {}, "Runs out (P50)"), h("dd", { dataset: { field: "p50" } }, runout(f.p50, f.p50_in_period)),
      h("dt", {}, "Range P10–P90"), h("dd", { dataset: { field: "range" } },
        f.p10 || f.p90 ? `${f.p10 ? day(f.p10) : "…"} – ${f.p90 ? day(f.p90) : "later"}` : "not within the forecast"),
      h("dt", {}, "Chance of exceeding"), h("dd", {}, percent(f.p_exceed))),
    c.burn_svg ? svgImage(c.burn_svg, `Burn chart of budget ${b.name}: spend so far and the forecast range`, { dataset: { chart: "burn" } }) : null);
}

// CSS cannot be set inline under the CSP (style-src 'self'), so the meter's fill is sized
// from its data attribute by script.
export function sizeMeters(root) {
  for (const bar of root.querySelectorAll(".meter > span[data-share]")) {
    bar.style.width = `${Math.min(100, Number(bar.dataset.share) * 100)}%`;
  }
}

function warningsBanner(w) {
  const items = [];
  if (w.unpriced.length) {
    items.push(h("li", { id: "unpriced-models" }, "No price for: ",
      w.unpriced.map((u, i) => [i ? ", " : "", h("code", {}, u.model), ` (${count(u.events)})`]),
      ". Add one with `tokenburn prices set MODEL --input … --output …`; those events are then priced."));
  }
  for (const l of w.reconcile) {
    items.push(h("li", { class: "reconcile", dataset: { provider: l.provider } },
      `${l.provider} ${l.model}, ${l.period}: logs estimate ${money(l.estimate_usd)}, billed ${money(l.billed_usd)}` +
      (l.drift_pct ? ` (drift ${l.drift_pct}%)` : "") + ` — ${l.causes.join(", ")}.`));
  }
  if (!items.length) return null;
  return h("section", { class: "banner warn", id: "warnings", "aria-label": "Warnings" },
    h("h3", {}, "Check these"), h("ul", {}, items),
    w.reconcile.length ? h("p", { class: "muted" }, "Details: `tokenburn reconcile`. Spend counts billed money where a bill exists.") : null);
}

// Resolves once the page has painted what it holds now (two frames: the first is laid
// out, the second painted), or after 200 ms if no frame comes (a hidden window).
function afterPaint() {
  return new Promise((resolve) => {
    requestAnimationFrame(() => requestAnimationFrame(resolve));
    setTimeout(resolve, 200);
  });
}

// Resolves once the images under `el` are decoded, ready to paint (images load
// asynchronously, even from data: URLs), or after 3 s whatever happens. The engine's charts
// are inline SVG, drawn with the page; an <img> is the fallback for one that does not parse.
function decoded(el) {
  const charts = [...el.querySelectorAll("img")].map((img) => img.decode().catch(() => {}));
  return Promise.race([Promise.all(charts), new Promise((resolve) => setTimeout(resolve, 3000))]);
}

export function createDashboard(root, { api, describe, go }) {
  let loading = null;
  // Settles once the first refresh has put the totals, the budget cards with their charts
  // and the ratio chart (or the error in place of any of them) in the page, decoded; the
  // warnings may come later.
  let shownNow, first = true, again = false;
  // What each slot last showed: a refresh shows it again until its new content arrives, so
  // the warnings, the budget cards and the ratio chart do not vanish for a moment and push
  // everything below them up and down (the live worker refreshes on every change).
  const kept = [];
  const shown = new Promise((resolve) => { shownNow = resolve; });
  // Moments of the first refresh, for the launch timing (app.js reports them).
  const mark = (what) => { if (first) performance.mark(`dashboard: ${what}`); };
  onSchemeChange(() => { if (!root.hidden) refresh(); });

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

  function budgetsSection(cards) {
    return cards.length ? h("section", { class: "budgets", "aria-labelledby": "dash-budgets-h" },
      h("h3", { id: "dash-budgets-h", class: "section-h" }, "Budgets"),
      h("div", { class: "cards wide", id: "budget-cards" }, cards.map(budgetCard)))
      : h("p", { class: "muted" }, "No budgets yet. ",
        h("button", { type: "button", class: "linkish", onclick: () => go("budgets") }, "Create one"), " to see its run-out forecast here.");
  }

  function ratioSection(comp) {
    return comp.ratio_svg ? h("section", { class: "panel", "aria-labelledby": "dash-ratio-h" },
      h("h3", { id: "dash-ratio-h" }, "Spend against pay"),
      svgImage(comp.ratio_svg, "Token spend against compensation, year to date", { dataset: { chart: "ratio" } })) : null;
  }

  // The totals first; the budget cards and the ratio chart fill their places as each
  // arrives. The warnings (reconciliation over a large ledger takes longest) are asked only
  // once those are on screen, so they neither hold them up nor compete with them for the
  // CPU; their place fills when they arrive.
  function render(d, extras) {
    const all = d.periods.find((p) => p.key === "all").totals;
    const slots = extras.map((_, i) => h("div", { class: "slot" }, kept[i]));
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
      slots,
      h("h3", { class: "section-h" }, "Totals"),
      h("div", { class: "cards" }, d.periods.map(card)),
      d.by_model.length ? modelTable(d.by_model) : null);
    mark("totals in page");
    const show = (i, p) => p
      .then((v) => {
        fill(slots[i], extras[i][1](v));
        kept[i] = [...slots[i].childNodes];
        sizeMeters(slots[i]);
        return decoded(slots[i]);
      })
      .catch((e) => { kept[i] = null; fill(slots[i], h("p", { class: "banner error", role: "alert" }, describe(e))); });
    const core = extras.map(([p, , name], i) => p && show(i, p).then(() => mark(`${name} in page`)));
    const shownAll = Promise.all(core.filter(Boolean));
    shownAll.then(() => { first = false; shownNow(); });
    const later = shownAll.then(afterPaint).then(() => Promise.all(extras.map(([p, , , ask], i) => !p && show(i, ask()))));
    return Promise.all([shownAll, later]);
  }

  async function refresh() {
    if (loading) {
      // Asked again while loading (the ledger changed meanwhile): load again after this.
      again = true;
      return loading;
    }
    root.setAttribute("aria-busy", "true");
    const style = chartStyle(640, 360);
    mark("asked");
    // [reply (or null: asked after the rest is on screen), how to show it, name, how to ask]
    const extras = [
      [null, warningsBanner, "warnings", () => api.dashboardWarnings()],
      [api.budgets(style), budgetsSection, "budget cards"],
      [api.compensation(style), ratioSection, "ratio chart"],
    ];
    // A rejection is handled in render; this keeps an early one from going unobserved.
    for (const [p] of extras) if (p) p.catch(() => {});
    loading = api.dashboard()
      .then((d) => { mark("totals received"); return render(d, extras); })
      .catch((e) => {
        fill(root, h("h2", {}, "Dashboard"), h("p", { class: "banner error", role: "alert" }, describe(e)));
        first = false;
        shownNow();
      })
      .finally(() => {
        loading = null;
        root.removeAttribute("aria-busy");
        if (again) {
          again = false;
          refresh();
        }
      });
    return loading;
  }

  return { refresh, shown };
}
