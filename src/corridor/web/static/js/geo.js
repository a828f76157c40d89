// The geopolitical layer: countries shaded by bloc or sanctions status (when the library has the table).

import { $, S, api, el } from "./core.js";
import { fillDetails, openDetails, sourceList } from "./details.js";
import { renderLegend } from "./legend.js";
import { emptyFC, setVisible } from "./map.js";
import { saveURL } from "./url.js";

// ------------------------------------------------------------------ geopolitical layer

// pale fills and grey hatching (web/palette.py), so that a corridor drawn over any country
// keeps its colour, for colour-blind readers too
export const MAIN_BLOCS = ["EU", "EAEU", "OTS", "SCO"];
const PATTERNS = { eu_us_sectoral: "hatch-light", un_comprehensive: "hatch-dark" };

export async function initGeopolitics(param) {
  const r = await api("/api/geopolitics");
  if (!r.ok) return;
  S.geo = r.body;
  S.geoByIso = new Map(S.geo.countries.map((c) => [c.iso3, c]));
  const sel = $("geo-mode");
  sel.append(el("option", { value: "blocs", text: "main blocs" }), el("option", { value: "sanctions", text: "sanctions" }));
  for (const b of S.geo.blocs) sel.append(el("option", { value: b.bloc, text: `${b.bloc}: ${b.name}` }));
  $("layer-geo-wrap").hidden = false;
  if (param) {
    $("layer-geo").checked = true;
    if ([...sel.options].some((o) => o.value === param)) sel.value = param;
  }
  $("layer-geo").addEventListener("change", applyGeo);
  sel.addEventListener("change", applyGeo);
  applyGeo();
}

export function geoColor(c, mode) {
  const blocs = S.meta.palette.blocs;
  if (!c || mode === "sanctions") return null;
  if (mode === "blocs") {
    const b = MAIN_BLOCS.find((x) => c.blocs.includes(x));
    return b ? blocs[b] : null;
  }
  if (c.blocs.includes(mode)) return blocs[mode] || "#cccccc";
  if ((c.observer || []).includes(mode)) return `${blocs[mode] || "#cccccc"}80`;
  return null;
}

export function applyGeo() {
  const on = $("layer-geo").checked;
  const mode = $("geo-mode").value || "blocs";
  const pal = S.meta.palette;
  $("geo-mode").hidden = !on;
  $("geo-legend").hidden = !on;
  if (!on) { S.geoLegend = null; renderLegend(); }
  for (const id of ["geo-fill", "geo-hatch", "geo-sanctions"]) setVisible(id, on);
  const mapEl = $("map");
  mapEl.dataset.geo = on ? mode : "";
  saveURL();
  if (!on || !S.geo) return;
  let shaded = 0;
  const feats = (S.basemap || emptyFC()).features.map((f) => {
    const c = S.geoByIso.get(f.properties.iso3);
    const props = { iso3: f.properties.iso3, sanctioned: !!c && c.sanctions !== "none" };
    const color = geoColor(c, mode);
    const pattern = mode === "sanctions" && c ? PATTERNS[c.sanctions] : null;
    if (color) props.color = color;
    if (pattern) props.pattern = pattern;
    if (color || pattern) shaded++;
    return { type: "Feature", geometry: f.geometry, properties: props };
  });
  if (S.mapReady) S.map.getSource("geo").setData({ type: "FeatureCollection", features: feats });
  mapEl.dataset.geoShaded = String(shaded);
  S.geoLegend = geoLegendItems(mode);
  renderLegend();
  const lg = $("geo-legend");
  lg.replaceChildren(el("strong", { text: mode === "blocs" ? "main blocs (first of EU, EAEU, OTS, SCO)" : mode === "sanctions" ? "sanctions status" : mode }));
  const item = (style, text) => el("div", { class: "item" }, el("span", { class: "swatch", style }), text);
  const fill = (color) => `background:${color}`;
  const hatched = (color, gap) => `background:repeating-linear-gradient(135deg, ${color} 0 1.5px, transparent 1.5px ${gap}px);border:1px solid #ccc`;
  if (mode === "blocs") for (const b of MAIN_BLOCS) lg.append(item(fill(pal.blocs[b]), b));
  else if (mode === "sanctions") {
    lg.append(item(hatched(pal.sanctions.eu_us_sectoral, 6), "EU/US sectoral sanctions (sparse)"),
      item(hatched(pal.sanctions.un_comprehensive, 3), "UN comprehensive (dense)"));
  } else {
    const b = S.geo.blocs.find((x) => x.bloc === mode);
    lg.append(item(fill(pal.blocs[mode] || "#ccc"), `member (${b ? b.members.length : "?"})`), item(fill(`${pal.blocs[mode] || "#cccccc"}80`), "observer"));
  }
  lg.append(item(`background:transparent;border:2px dashed ${pal.sanctions_outline}`, "under broad sanctions"));
  lg.append(el("div", { class: "note", text: "Click a country for its memberships and sources." }));
}

// the same key as entries of the map legend (a phone's legend, the PNG export)
function geoLegendItems(mode) {
  const pal = S.meta.palette;
  const out = [{ kind: "title", text: mode === "blocs" ? "main blocs" : mode === "sanctions" ? "sanctions status" : mode }];
  if (mode === "blocs") for (const b of MAIN_BLOCS) out.push({ kind: "fill", color: pal.blocs[b], text: b });
  else if (mode === "sanctions") {
    out.push({ kind: "fill", color: pal.sanctions.eu_us_sectoral, hatch: 6, text: "EU/US sectoral sanctions" },
      { kind: "fill", color: pal.sanctions.un_comprehensive, hatch: 3, text: "UN comprehensive" });
  } else {
    out.push({ kind: "fill", color: pal.blocs[mode] || "#cccccc", text: "member" },
      { kind: "fill", color: `${pal.blocs[mode] || "#cccccc"}80`, text: "observer" });
  }
  out.push({ kind: "fill", color: "transparent", outline: pal.sanctions_outline, text: "under broad sanctions" });
  return out;
}

export async function showCountryDetails(iso3) {
  const c = S.geoByIso && S.geoByIso.get(iso3);
  if (!c) return;
  const seq = openDetails(`Country: ${c.name} (${c.iso3})`);
  const dl = el("dl", {}, el("dt", { text: "blocs" }), el("dd", { text: c.blocs.join(", ") || "none of the tracked blocs" }),
    el("dt", { text: "observer" }), el("dd", { text: (c.observer || []).join(", ") || "–" }),
    el("dt", { text: "sanctions" }), el("dd", { text: c.sanctions.replaceAll("_", " ") }));
  if (c.notes) dl.append(el("dt", { text: "notes" }), el("dd", { text: c.notes }));
  fillDetails(seq, dl, el("strong", { text: "sources" }), await sourceList(String(c.source_id || "").split(";").map((x) => x.trim()).filter(Boolean)));
}
