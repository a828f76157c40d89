// The map legend: one list of entries per tab, drawn as HTML here and onto the PNG export.

import { $, MODE_COLORS, S, el, narrow } from "./core.js";

// the colour stops of the map's data layers, shared by the layers and their legends
export const LOAD_STOPS = [[0, "#4e9a4e"], [0.7, "#e0b000"], [0.9, "#e06000"], [1.2, "#a4161a"]];
export const UNKNOWN_CAPACITY = "#7d8b99";
export const WAIT_STOPS = [[0, "#4e9a4e"], [24, "#e0b000"], [72, "#e06000"], [200, "#a4161a"]];

// entries: {kind: "title" | "line" | "dot" | "fill" | "text", color, dash, hatch, outline, text, title};
// the geopolitical key joins them where it has no box of its own (a phone) and in the PNG export
export function legendItems(all = false) {
  const out = [];
  const title = (text) => out.push({ kind: "title", text });
  const line = (color, text, dash = "solid", extra = {}) => out.push({ kind: "line", color, text, dash, ...extra });
  const dot = (color, text, size = 0.8) => out.push({ kind: "dot", color, text, size });
  const text = (t) => out.push({ kind: "text", text: t });
  if (S.tab === "flows") {
    title("load / capacity (busier direction)");
    const labels = ["< 70%", "70–90%", "90–120%", "> 120%"];
    LOAD_STOPS.forEach(([, c], i) => line(c, labels[i]));
    line(UNKNOWN_CAPACITY, "grey: capacity unknown");
    text("width: TEU a year, both directions");
    dot(LOAD_STOPS[3][1], "over 90%: link or place (on top)", 0.75);
  } else if (S.tab === "scenarios") {
    title("link load, B − A");
    line(S.meta.palette.diff.more, "more load in B (solid)");
    line(S.meta.palette.diff.less, "less load in B (dashed)", "dash");
    text("width: change in TEU a year");
  } else if (S.tab === "caspian") {
    title("mean wait before boarding");
    const labels = ["none", "24 h", "72 h", "200 h and more"];
    WAIT_STOPS.forEach(([, c], i) => dot(c, labels[i]));
    text("size: mean wait, per port");
  } else {
    title("corridors");
    for (const f of S.meta.families) line(f.color, f.id, "solid", { title: f.description });
    if (S.routesKind === "route" && S.routes.length > 1) {
      text("k best: #1 of a corridor solid, the next ones in other shades, dashed or dotted, side by side");
    }
    if (S.routes.length) dot("#ffffff", "gateway (border, port) on a route", 0.6);
  }
  if (S.geoLegend && (all || narrow())) out.push(...S.geoLegend);
  if ($("layer-network").checked) {
    title("network");
    for (const [m, c] of Object.entries(MODE_COLORS)) line(c, m, "solid", { thin: true });
    line("#777777", "planned", "dash", { thin: true });
  }
  return out;
}

function sample(it) {
  if (it.kind === "fill") {
    const bg = it.hatch ? `repeating-linear-gradient(135deg, ${it.color} 0 1.5px, transparent 1.5px ${it.hatch}px)` : it.color;
    return el("span", { class: "swatch", style: `background:${bg};border:${it.outline ? `2px dashed ${it.outline}` : "1px solid #ccc"}` });
  }
  if (it.kind === "dot") {
    return el("span", { class: "dot", style: `background:${it.color};width:${it.size}rem;height:${it.size}rem` });
  }
  const bg = it.dash === "dash" ? `repeating-linear-gradient(90deg, ${it.color} 0 5px, transparent 5px 8px)` : it.color;
  return el("span", { class: "line", style: `background:${bg};${it.thin ? "height:2px" : ""}` });
}

export function renderLegend() {
  const box = $("legend-body");
  if (!box || !S.meta) return;
  S.legendItems = legendItems();
  $("legend").dataset.kind = S.tab;
  box.replaceChildren(...S.legendItems.map((it) => {
    if (it.kind === "title") return el("strong", { text: it.text });
    if (it.kind === "text") return el("div", { class: it.text.length > 40 ? "note" : "item", text: it.text });
    return el("div", { class: "item", title: it.title }, sample(it), it.text);
  }));
}

// the legend folds away (on a phone it starts folded: the map is small)
export function initLegend() {
  const btn = $("legend-toggle");
  const set = (open) => {
    btn.setAttribute("aria-expanded", open ? "true" : "false");
    $("legend-body").hidden = !open;
  };
  set(!narrow());
  btn.addEventListener("click", () => set(btn.getAttribute("aria-expanded") !== "true"));
}
