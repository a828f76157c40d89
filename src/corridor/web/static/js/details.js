// The details panel: what a clicked link, place, flow or country is, with the sources behind it.

import { $, S, api, el, fmt } from "./core.js";
import { highlight } from "./routes.js";

// ------------------------------------------------------------------ details (clicked link, node or route)

export async function sourcesById() {
  if (!S.sources) {
    const r = await api("/api/sources");
    S.sources = new Map(r.ok ? r.body.map((s) => [s.source_id, s]) : []);
  }
  return S.sources;
}

// The sources behind an item, each with its title from sources.csv. A figure the data derived
// ("derived:geodesic") or a map line drawn by a method ("via_places") is no source: it is not listed
// here but said plainly by `sourcesAndDerived`.
export async function sourceList(ids) {
  const all = await sourcesById();
  const ul = el("ul", { class: "sources" });
  for (const id of ids) {
    if (id.startsWith("derived")) continue;
    const s = all.get(id);
    if (!s) { ul.append(el("li", { class: "src", text: id })); continue; }
    const safe = /^https?:\/\//.test(s.url || "") ? s.url : null;
    ul.append(el("li", { class: "src" },
      safe ? el("a", { href: safe, target: "_blank", rel: "noopener noreferrer", text: s.title }) : s.title,
      ` — ${s.publisher || ""}${s.date ? `, ${s.date}` : ""} `, el("code", { text: `[${id}]` })));
  }
  return ul;
}

// what a figure is, by the column naming its source (length_source: the length)
const FIGURE = { length: "length", speed: "speed", wait: "wait", cost: "cost", co2: "CO₂",
  capacity: "capacity", coord: "coordinates", dwell: "dwell", transship: "transshipment", hub: "hub handling",
  geometry: "map line" };
// columns that may name the method that drew a line (straight, via_places) instead of a source
const METHOD_COLS = new Set(["geometry_source"]);

// A link's, place's or flow's properties read for their provenance: the ids of the sources behind
// their figures (in sources.csv), and the figures derived rather than sourced, said plainly
// ("length: geodesic, derived"; "map line: via places, derived").
export async function provenance(props) {
  const all = await sourcesById();
  const ids = new Set();
  const derived = new Set();
  for (const [k, v] of Object.entries(props)) {
    if (!(k.endsWith("_source") || k === "source_id") || !v) continue;
    const figure = FIGURE[k.replace(/_source$/, "")] || k.replace(/_source$/, "").replaceAll("_", " ");
    for (const s of String(v).split(";").map((x) => x.trim()).filter(Boolean)) {
      if (s.startsWith("derived")) derived.add(`${figure}: ${s.replace(/^derived:?\s*/, "").replaceAll("_", " ") || "computed"}, derived`);
      else if (METHOD_COLS.has(k) && !all.has(s)) derived.add(`${figure}: ${s.replaceAll("_", " ")}, derived`);
      else ids.add(s);
    }
  }
  return { ids: [...ids], derived: [...derived] };
}

// The panel's end: the sources, then (when there are any) the figures derived rather than sourced.
export async function sourcesAndDerived(props) {
  const { ids, derived } = await provenance(props);
  const out = [el("strong", { text: "sources" }), await sourceList(ids)];
  if (derived.length) {
    out.push(el("strong", { text: "derived, not from a source" }),
      el("ul", { class: "derived" }, derived.map((d) => el("li", { class: "src", text: d }))));
  }
  return out;
}

// The details panel sits below the results, often below the fold: opening it scrolls it into
// view and moves the focus to its heading (so a keyboard user lands on what they opened).
// Each opening has a number, so that an answer that arrives late (the sources are fetched
// once) cannot fill a panel that was closed or opened for something else meanwhile.
export function openDetails(title) {
  S.detailsSeq = (S.detailsSeq || 0) + 1;
  const from = document.activeElement;
  if (from && from !== document.body && !$("details").contains(from)) S.detailsOpener = from;
  $("details-title").textContent = title;
  $("details-body").replaceChildren(el("p", { class: "note", text: "Loading…" }));
  $("details").dataset.state = "loading";
  $("details").hidden = false;
  return S.detailsSeq;
}

export function fillDetails(seq, ...kids) {
  if (seq !== S.detailsSeq) return false;
  $("details-body").replaceChildren(...kids);
  $("details").dataset.state = "ready";
  const reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  $("details").scrollIntoView({ block: "start", behavior: reduce ? "auto" : "smooth" });
  $("details-title").focus({ preventScroll: true });
  return true;
}

// stale details go when a new question is asked or an error shown
export function closeDetails(refocus = false) {
  S.detailsSeq = (S.detailsSeq || 0) + 1;
  if ($("details").hidden) return;
  $("details").hidden = true;
  $("details-body").replaceChildren();
  highlight(null);
  const back = S.detailsOpener;
  S.detailsOpener = null;
  if (refocus && back && back.isConnected && typeof back.focus === "function") back.focus();
}

export const LINK_FIELDS = [["link_id", "id"], ["mode", "mode"], ["gauge", "gauge (mm)"], ["status", "status"],
  ["opening_year", "opening year"], ["from_node_id", "from"], ["to_node_id", "to"], ["length_km", "km"],
  ["speed_kmh", "speed km/h"], ["wait_hours", "wait h"], ["hours", "hours"], ["usd_per_teu", "USD/TEU"],
  ["co2_kg_per_teu", "kg CO₂/TEU"], ["capacity_teu_yr", "capacity TEU/yr"], ["capacity_t_yr", "capacity t/yr"],
  ["passages", "sea passages"], ["notes", "notes"]];
export const NODE_FIELDS = [["node_id", "id"], ["kind", "kind"], ["country", "country"], ["aliases", "aliases"],
  ["dwell_hours", "dwell h"], ["dwell_usd", "dwell USD"], ["transship_hours", "transship h"],
  ["transship_usd", "transship USD"], ["capacity_teu_yr", "capacity TEU/yr"], ["capacity_t_yr", "capacity t/yr"],
  ["notes", "notes"]];

export async function showFeatureDetails(kind, id) {
  const f = (kind === "link" ? S.linkById : S.nodeById).get(id);
  if (!f) return;
  const p = f.properties;
  const seq = openDetails(`${kind === "link" ? "Link" : "Place"}: ${p.name || id}`);
  const dl = el("dl");
  for (const [k, label] of kind === "link" ? LINK_FIELDS : NODE_FIELDS) {
    const v = p[k];
    if (v === null || v === undefined || v === "") continue;
    dl.append(el("dt", { text: label }), el("dd", { text: typeof v === "number" ? fmt(v, Number.isInteger(v) ? 0 : 1) : String(v) }));
  }
  fillDetails(seq, dl, ...await sourcesAndDerived(p));
}

