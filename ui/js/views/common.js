// What the view modules share: chart style for the engine's SVG charts (the system's
// colour scheme and the locale), putting an SVG chart in the page, and a few formatters.

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

// A chart from the engine (an SVG document that carries its role, title and data-chart), put
// in the page as it is, sized by its viewBox: WebKit draws it along with the page, where as an
// <img> each chart was a document of its own to build, decode and rasterize. It is parsed as
// XML and only drawing elements are kept, without event or link attributes (the CSP blocks
// inline script as well); one that does not parse is shown as an <img>, as before.
const SVG_NS = "http://www.w3.org/2000/svg";
const DRAWING = new Set(["svg", "g", "title", "desc", "text", "tspan", "path", "polyline", "polygon", "line", "rect", "circle", "ellipse"]);
export function svgImage(svg, alt, attrs = {}) {
  const root = new DOMParser().parseFromString(svg, "image/svg+xml").documentElement;
  if (root.namespaceURI !== SVG_NS || root.localName !== "svg") {
    return h("img", { class: "chart", alt, src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`, ...attrs });
  }
  for (const el of [...root.querySelectorAll("*")]) {
    if (el.namespaceURI !== SVG_NS || !DRAWING.has(el.localName)) el.remove();
  }
  for (const el of [root, ...root.querySelectorAll("*")]) {
    for (const a of [...el.attributes]) {
      if (/^on/i.test(a.localName) || /href$/i.test(a.localName)) el.removeAttributeNode(a);
    }
  }
  const chart = document.importNode(root, true);
  chart.removeAttribute("width");
  chart.removeAttribute("height");
  chart.setAttribute("role", "img");
  chart.setAttribute("aria-label", alt);
  chart.setAttribute("class", "chart");
  Object.assign(chart.dataset, attrs.dataset || {});
  return chart;
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
