// Budgets and compensation: the budgets with their cards, a form to create or edit one
// (month, quarter, year or custom; USD or tokens; source, provider, model and project filters;
// alert thresholds), delete; and pay with the spend-to-pay ratio chart. Owns #view-budgets.

import { h, fill } from "../dom.js";
import { day } from "../format.js";
import { budgetCard, sizeMeters } from "./dashboard.js";
import { chartStyle, field, onSchemeChange, percent, svgImage, amount } from "./common.js";

const splitList = (s) => s.split(",").map((x) => x.trim()).filter(Boolean);

export function createBudgets(root, { api, describe, toast }) {
  const input = (id, attrs = {}) => h("input", { id, name: id, type: "text", autocomplete: "off", spellcheck: "false", ...attrs });
  const select = (id, options) => h("select", { id, name: id }, options.map(([v, label]) => h("option", { value: v }, label)));

  const f = {
    name: input("budget-name", { required: true, maxlength: "200" }),
    amount: input("budget-amount", { required: true, inputmode: "decimal", placeholder: "100" }),
    unit: select("budget-unit", [["usd", "US dollars"], ["tokens", "Tokens"]]),
    period: select("budget-period", [["month", "Month"], ["quarter", "Quarter"], ["year", "Year"], ["custom", "Custom"]]),
    start: input("budget-start", { type: "date" }),
    end: input("budget-end", { type: "date" }),
    fy: input("budget-fy", { type: "number", min: "1", max: "12", placeholder: "1" }),
    sources: input("budget-sources", { placeholder: "gemini-cli, copilot-cli", list: "budget-source-names" }),
    providers: input("budget-providers", { placeholder: "anthropic, openai" }),
    models: input("budget-models", { placeholder: "claude-*" }),
    projects: input("budget-projects", { placeholder: "/home/you/project" }),
    thresholds: input("budget-thresholds", { placeholder: "50,75,90,100" }),
  };
  // Suggestions for the first name typed; the command checks every name against the known sources.
  const sourceNames = h("datalist", { id: "budget-source-names" },
    ["claude-code", "codex", "gemini-cli", "copilot-cli", "qwen-code", "amp", "opencode", "kilo-cli", "cline", "roo-code",
      "kilo-code", "manual", "subscription"].map((v) => h("option", { value: v })));
  const formTitle = h("h3", { id: "budget-form-h" }, "New budget");
  const saveButton = h("button", { type: "submit", id: "budget-save" }, "Create budget");
  const cancelButton = h("button", { type: "button", class: "secondary", hidden: true, onclick: () => reset() }, "Cancel edit");
  const formStatus = h("p", { class: "status", id: "budget-status", role: "status", "aria-live": "polite" });
  const list = h("div", { class: "cards wide", id: "budget-list" });
  let editing = null;

  const form = h("form", { class: "grid-form", id: "budget-form", onsubmit: (e) => { e.preventDefault(); save(); } },
    field("Name", f.name), field("Amount per period", f.amount), field("Counted in", f.unit), field("Period", f.period),
    field("Start (custom; or first active day)", f.start), field("End (custom only)", f.end),
    field("Fiscal year starts in month", f.fy, "Quarters and years start in this month (1-12)."),
    field("Only sources", f.sources, "Agents or formats, comma-separated (claude-code, codex, gemini-cli, copilot-cli, …); blank counts all."),
    sourceNames,
    field("Only providers", f.providers, "Comma-separated; blank counts all."),
    field("Only models", f.models, "Globs such as claude-*; blank counts all."),
    field("Only projects", f.projects),
    field("Alert at (%)", f.thresholds),
    h("div", { class: "row actions" }, saveButton, cancelButton));

  const comp = {
    annual: input("comp-annual", { inputmode: "decimal", placeholder: "180000", required: true }),
    target: input("comp-target", { inputmode: "decimal", placeholder: "0.1" }),
    cap: input("comp-cap", { inputmode: "decimal", placeholder: "0.25" }),
    from: input("comp-from", { type: "date" }),
  };
  const compStatus = h("p", { class: "status", id: "comp-status", role: "status", "aria-live": "polite" });
  const compView = h("div", { id: "comp-view" });
  const compForm = h("form", { class: "grid-form", id: "comp-form", onsubmit: (e) => { e.preventDefault(); saveComp(); } },
    field("Annual pay (USD)", comp.annual), field("Target ratio", comp.target, "Spend / pay you aim for, e.g. 0.1 = 10%."),
    field("Cap ratio", comp.cap, "Spend / pay you do not want to exceed."), field("From", comp.from, "Blank: today."),
    h("div", { class: "row actions" }, h("button", { type: "submit", id: "comp-save" }, "Save pay")));

  root.append(
    h("div", { class: "view-head" }, h("h2", {}, "Budgets and compensation")),
    h("section", { class: "panel", "aria-labelledby": "budget-form-h" }, formTitle, form, formStatus),
    h("section", { "aria-labelledby": "budget-list-h" }, h("h3", { id: "budget-list-h", class: "section-h" }, "Budgets"), list),
    h("section", { class: "panel", "aria-labelledby": "comp-h" }, h("h3", { id: "comp-h" }, "Compensation"),
      h("p", { class: "muted" }, "Token spend as a share of pay (Huang's 50% is drawn for reference, not as a target). USD only."),
      compForm, compStatus, compView));

  function syncPeriod() {
    f.end.disabled = f.period.value !== "custom";
  }
  f.period.addEventListener("change", syncPeriod);
  syncPeriod();

  function reset() {
    editing = null;
    form.reset();
    f.name.disabled = false;
    formTitle.textContent = "New budget";
    saveButton.textContent = "Create budget";
    cancelButton.hidden = true;
    syncPeriod();
  }

  function edit(b) {
    editing = b.name;
    f.name.value = b.name;
    f.name.disabled = true;
    f.amount.value = b.amount;
    f.unit.value = b.unit;
    f.period.value = b.period;
    f.start.value = b.start || "";
    f.end.value = b.end || "";
    f.fy.value = String(b.fiscal_year_start);
    f.sources.value = (b.sources || []).join(", ");
    f.providers.value = b.providers.join(", ");
    f.models.value = b.models.join(", ");
    f.projects.value = b.projects.join(", ");
    f.thresholds.value = b.thresholds.join(",");
    formTitle.textContent = `Edit budget ${b.name}`;
    saveButton.textContent = "Save changes";
    cancelButton.hidden = false;
    syncPeriod();
    f.amount.focus();
  }

  async function save() {
    const budget = {
      name: f.name.value, amount: f.amount.value.trim(), unit: f.unit.value, period: f.period.value,
      start: f.start.value || null, end: f.period.value === "custom" ? f.end.value || null : null,
      fiscal_year_start: f.fy.value ? Number(f.fy.value) : null,
      sources: splitList(f.sources.value), providers: splitList(f.providers.value), models: splitList(f.models.value), projects: splitList(f.projects.value),
      thresholds: f.thresholds.value,
    };
    try {
      const name = await api.saveBudget(budget, editing !== null);
      formStatus.textContent = editing ? `Saved ${name}.` : `Created ${name}.`;
      toast(formStatus.textContent);
      reset();
      await refresh();
    } catch (e) {
      formStatus.textContent = describe(e);
    }
  }

  async function remove(name) {
    // A confirm() dialog is not shown by every webview; the button asks twice instead.
    try {
      await api.removeBudget(name);
      toast(`Deleted budget ${name}`);
      if (editing === name) reset();
      await refresh();
    } catch (e) {
      formStatus.textContent = describe(e);
    }
  }

  function confirmButton(label, confirmLabel, action, attrs) {
    const b = h("button", { type: "button", class: "secondary", ...attrs }, label);
    b.addEventListener("click", () => {
      if (b.dataset.armed) { action(); return; }
      b.dataset.armed = "1";
      b.textContent = confirmLabel;
      setTimeout(() => { delete b.dataset.armed; b.textContent = label; }, 4000);
    });
    return b;
  }

  function item(c) {
    const card = budgetCard(c);
    card.append(h("div", { class: "row actions" },
      h("button", { type: "button", class: "secondary", dataset: { action: "edit" }, onclick: () => edit(c.budget) }, "Edit"),
      confirmButton("Delete", "Really delete?", () => remove(c.budget.name), { dataset: { action: "delete" } })));
    const filters = [["Sources", c.budget.sources || []], ["Providers", c.budget.providers], ["Models", c.budget.models], ["Projects", c.budget.projects]]
      .filter(([, v]) => v.length).map(([k, v]) => `${k}: ${v.join(", ")}`);
    card.insertBefore(h("p", { class: "muted" }, `${amount(c.budget.unit, c.budget.amount)} per ${c.budget.period}` +
      (filters.length ? ` · ${filters.join(" · ")}` : "") + ` · alerts at ${c.budget.thresholds.join(", ")}%`), card.children[1] || null);
    return card;
  }

  function showComp(c) {
    const s = c.status;
    const windows = s ? [["Year to date", s.year_to_date], ["Quarter to date", s.quarter_to_date], ["Trailing 365 days", s.trailing_365]] : [];
    const ratio = (r) => (r === null || r === undefined ? "—" : percent(r));
    fill(compView,
      s ? h("dl", { class: "fields comp", id: "comp-figures" },
        windows.map(([label, w]) => [h("dt", {}, label), h("dd", {}, `${ratio(w.ratio)} (${amount("usd", w.spend_usd)} of ${amount("usd", w.pay_usd)})`)]),
        h("dt", {}, "Projected at year end"), h("dd", { dataset: { field: "projected" } },
          `${percent(s.projected_year_end[1])} (P10 ${percent(s.projected_year_end[0])} – P90 ${percent(s.projected_year_end[2])})`),
        s.target_ratio !== null ? [h("dt", {}, "Target"), h("dd", {}, `${percent(s.target_ratio)}${s.under_target ? " — heading under target" : ""}`)] : null,
        s.cap_ratio !== null ? [h("dt", {}, "Cap"), h("dd", {}, `${percent(s.cap_ratio)}${s.over_cap ? " — over the cap" : ""}`)] : null)
        : h("p", { class: "muted" }, "No pay set yet."),
      c.ratio_svg ? svgImage(c.ratio_svg, "Token spend against compensation, year to date", { dataset: { chart: "ratio" } }) : null,
      c.history.length ? h("table", { class: "comp-history" }, h("caption", {}, "Pay history"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "From"), h("th", { scope: "col", class: "num" }, "Annual"),
          h("th", { scope: "col", class: "num" }, "Target"), h("th", { scope: "col", class: "num" }, "Cap"))),
        h("tbody", {}, c.history.map((x) => h("tr", {}, h("td", {}, day(x.from)), h("td", { class: "num" }, amount("usd", x.annual)),
          h("td", { class: "num" }, x.target_ratio || "—"), h("td", { class: "num" }, x.cap_ratio || "—"))))) : null);
    if (s && !comp.annual.value) comp.annual.value = s.annual_usd;
  }

  async function saveComp() {
    try {
      await api.setCompensation({ annual: comp.annual.value.trim(), target_ratio: comp.target.value.trim() || null,
        cap_ratio: comp.cap.value.trim() || null, from: comp.from.value || null });
      compStatus.textContent = "Pay saved.";
      toast("Pay saved");
      await refresh();
    } catch (e) {
      compStatus.textContent = describe(e);
    }
  }

  async function refresh() {
    root.setAttribute("aria-busy", "true");
    try {
      const [cards, c] = await Promise.all([api.budgets(chartStyle(640, 360)), api.compensation(chartStyle(800, 450))]);
      fill(list, cards.length ? cards.map(item) : h("p", { class: "muted", id: "no-budgets" }, "No budgets yet: create one above."));
      sizeMeters(list);
      showComp(c);
    } catch (e) {
      fill(list, h("p", { class: "banner error", role: "alert" }, describe(e)));
    } finally {
      root.removeAttribute("aria-busy");
    }
  }
  onSchemeChange(() => { if (!root.hidden) refresh(); });

  return { refresh, focus: () => f.name.focus() };
}
