// What the view modules share: chart style for the engine's SVG charts (the system's
// colour scheme and the locale), showing an SVG as an image, and a few formatters.

import { h } from "../dom.js";
import { count, money } from "../format.js";

const dark = window.matchMedia("(prefers-color-scheme: dark)");

// The style the chart commands take; the size is the chart's own (it scales to fit).
export function chartStyle(width = 800, height = 500) {
  return { theme: dark.matches ? "dark" : "light", locale: navigator.language || "en-US", width, height };
}

// Calls `fn` when the system switches between light and dark.
export function onSchemeChange(fn) {
  dark.addEventListener("change", fn);
}

// An SVG document from the engine as an <img>: an image cannot run script, and the CSP
// allows data: images.
export function svgImage(svg, alt, attrs = {}) {
  return h("img", { class: "chart", alt, src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`, ...attrs });
}

const pct = new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 1 });
export function percent(x) {
  return pct.format(x);
}

// An amount in a budget's unit: exact decimal text for USD, whole tokens otherwise.
export function amount(unit, text) {
  return unit === "tokens" ? `${count(Number(text))} tokens` : money(text);
}

const instant = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
// An RFC 3339 instant shown in `tz` (the ledger's zone) when the runtime knows it.
export function when(iso, tz) {
  try {
    return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short", timeZone: tz }).format(new Date(iso));
  } catch {
    return instant.format(new Date(iso));
  }
}

// A labelled form field: <label for=id> text, then the control.
export function field(label, control, help) {
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control, help ? h("p", { class: "muted help" }, help) : null);
}
