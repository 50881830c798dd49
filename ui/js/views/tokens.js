// Token estimator: paste text or drop a file; counts in o200k_base and cl100k_base (the
// engine's exact tiktoken counts) and what that many tokens cost as input or output of
// the models picked from the price book. Owns #view-tokens.

import { h, fill } from "../dom.js";
import { count, money } from "../format.js";
import { field } from "./common.js";

const DEFAULT_MODELS = ["gpt-4o", "gpt-4.1", "claude-sonnet-4", "claude-opus-4"];

export function createTokens(root, { api, describe }) {
  const text = h("textarea", { id: "tokens-text", rows: "6", spellcheck: "false", placeholder: "Paste a prompt, a document or code…" });
  const countButton = h("button", { type: "submit", id: "tokens-count" }, "Count tokens");
  const pathInput = h("input", { id: "tokens-path", type: "text", autocomplete: "off", spellcheck: "false", placeholder: "/path/to/a/text/file" });
  const status = h("p", { class: "status", id: "tokens-status", role: "status", "aria-live": "polite" });
  const out = h("div", { id: "tokens-result" });
  const modelInput = h("input", { id: "tokens-model", type: "text", list: "tokens-models", autocomplete: "off", spellcheck: "false", placeholder: "gpt-4o" });
  const modelList = h("datalist", { id: "tokens-models" });
  const chosen = h("ul", { class: "chips", id: "tokens-chosen", "aria-label": "Models priced" });
  const costs = h("div", { id: "tokens-costs" });
  let models = [...DEFAULT_MODELS];
  let counted = null;
  let modelsLoaded = false;

  root.append(
    h("div", { class: "view-head" }, h("h2", {}, "Token estimator")),
    h("section", { class: "panel", "aria-labelledby": "tokens-in-h" }, h("h3", { id: "tokens-in-h" }, "Text"),
      h("form", { onsubmit: (e) => { e.preventDefault(); countText(); } },
        h("label", { for: "tokens-text" }, "Text to count"), text,
        h("div", { class: "row actions" }, countButton,
          h("span", { class: "muted" }, "or drop a text file anywhere on this window while this view is open."))),
      h("form", { class: "row", onsubmit: (e) => { e.preventDefault(); const p = pathInput.value.trim(); if (p) countFiles([p]); } },
        h("label", { for: "tokens-path", class: "inline" }, "File"), pathInput, h("button", { type: "submit", class: "secondary" }, "Count file")),
      status, out),
    h("section", { class: "panel", "aria-labelledby": "tokens-cost-h" }, h("h3", { id: "tokens-cost-h" }, "Cost"),
      h("form", { class: "row", onsubmit: (e) => { e.preventDefault(); addModel(); } },
        h("label", { for: "tokens-model", class: "inline" }, "Add a model"), modelInput, modelList,
        h("button", { type: "submit", class: "secondary", id: "tokens-add-model" }, "Add")),
      chosen, costs));

  function showChosen() {
    fill(chosen, models.map((m) => h("li", { dataset: { model: m } }, m,
      h("button", { type: "button", class: "chip-x", "aria-label": `Remove ${m}`, onclick: () => { models = models.filter((x) => x !== m); showChosen(); price(); } }, "×"))));
  }

  function addModel() {
    const m = modelInput.value.trim();
    if (!m || models.includes(m)) return;
    models.push(m);
    modelInput.value = "";
    showChosen();
    price();
  }

  function showCount(c) {
    counted = c;
    fill(out, h("dl", { class: "fields counts" },
      c.path ? [h("dt", {}, "File"), h("dd", { class: "path" }, c.path)] : null,
      h("dt", {}, "Characters"), h("dd", { dataset: { field: "chars" } }, count(c.chars)),
      c.counts.map((x) => [h("dt", {}, x.encoding), h("dd", { dataset: { encoding: x.encoding } }, count(x.tokens))])));
    status.textContent = `Counted ${count(c.bytes)} bytes.`;
    price();
  }

  async function run(p) {
    status.textContent = "Counting…";
    countButton.disabled = true;
    try {
      showCount(await p);
    } catch (e) {
      status.textContent = describe(e);
    } finally {
      countButton.disabled = false;
    }
  }

  function countText() {
    run(api.countTokens(text.value));
  }

  function countFiles(paths) {
    if (!paths.length) return;
    pathInput.value = paths[0];
    run(api.countTokensFile(paths[0]));
  }

  async function price() {
    if (!counted || !models.length) { fill(costs); return; }
    try {
      const rows = await api.tokenCosts(counted.counts, models);
      const cell = (v) => (v === null ? h("span", { class: "badge warn", title: "No price for this model in the price book" }, "unpriced") : money(v));
      fill(costs, h("table", { class: "costs" },
        h("caption", {}, "One request, today's prices"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Model"), h("th", { scope: "col", class: "num" }, "Tokens"),
          h("th", { scope: "col", class: "num" }, "As input"), h("th", { scope: "col", class: "num" }, "As output"))),
        h("tbody", {}, rows.map((r) => h("tr", { dataset: { model: r.model } },
          h("th", { scope: "row", class: "model" }, r.model,
            r.exact_tokenizer ? null : h("span", { class: "muted small", title: "This model's tokenizer is not public; counted with " + r.encoding }, ` ≈ ${r.encoding}`)),
          h("td", { class: "num" }, count(r.tokens)),
          h("td", { class: "num", dataset: { field: "input" } }, cell(r.input_usd), r.long_context ? h("span", { class: "badge" }, "long context") : null),
          h("td", { class: "num", dataset: { field: "output" } }, cell(r.output_usd)))))));
    } catch (e) {
      fill(costs, h("p", { class: "banner error", role: "alert" }, describe(e)));
    }
  }

  async function refresh() {
    showChosen();
    if (modelsLoaded) return;
    try {
      fill(modelList, (await api.priceModels()).map((m) => h("option", { value: m })));
      modelsLoaded = true;
    } catch (e) {
      status.textContent = describe(e);
    }
  }

  return { refresh, countFiles, focus: () => text.focus() };
}
