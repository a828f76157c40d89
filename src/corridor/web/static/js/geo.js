// The geopolitical layer: countries shaded by bloc or sanctions status (when the library has the table).

import { $, S, api, el } from "./core.js";
import { emptyFC, setVisible } from "./map.js";
import { fillDetails, openDetails, saveURL, sourceList } from "./routes.js";

// ------------------------------------------------------------------ geopolitical layer

// pale fills, so that the corridors drawn over them keep their colours
export const BLOC_COLORS = { EU: "#8fb3e0", EAEU: "#e09a88", CSTO: "#c29bc2", OTS: "#7fc9bd", SCO: "#ebcb6e", TITR: "#9ccc8a" };
export const MAIN_BLOCS = ["EU", "EAEU", "OTS", "SCO"];
export const SANCTION_COLORS = { eu_us_sectoral: "#eb8c99", un_comprehensive: "#b0303f" };

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
  if (!c) return null;
  if (mode === "sanctions") return SANCTION_COLORS[c.sanctions] || null;
  if (mode === "blocs") {
    const b = MAIN_BLOCS.find((x) => c.blocs.includes(x));
    return b ? BLOC_COLORS[b] : null;
  }
  if (c.blocs.includes(mode)) return BLOC_COLORS[mode] || "#555";
  if ((c.observer || []).includes(mode)) return `${BLOC_COLORS[mode] || "#555"}80`;
  return null;
}

export function applyGeo() {
  const on = $("layer-geo").checked;
  const mode = $("geo-mode").value || "blocs";
  $("geo-mode").hidden = !on;
  $("geo-legend").hidden = !on;
  setVisible("geo-fill", on);
  setVisible("geo-sanctions", on);
  const mapEl = $("map");
  mapEl.dataset.geo = on ? mode : "";
  saveURL();
  if (!on || !S.geo) return;
  let shaded = 0;
  const feats = (S.basemap || emptyFC()).features.map((f) => {
    const c = S.geoByIso.get(f.properties.iso3);
    const color = geoColor(c, mode);
    if (color) shaded++;
    return { type: "Feature", geometry: f.geometry,
      properties: { iso3: f.properties.iso3, color, sanctioned: !!c && c.sanctions !== "none" } };
  });
  if (S.mapReady) S.map.getSource("geo").setData({ type: "FeatureCollection", features: feats });
  mapEl.dataset.geoShaded = String(shaded);
  const lg = $("geo-legend");
  lg.replaceChildren(el("strong", { text: mode === "blocs" ? "main blocs (first of EU, EAEU, OTS, SCO)" : mode === "sanctions" ? "sanctions status" : mode }));
  const item = (color, text) => el("div", { class: "item" }, el("span", { class: "swatch", style: `background:${color}` }), text);
  if (mode === "blocs") for (const b of MAIN_BLOCS) lg.append(item(BLOC_COLORS[b], b));
  else if (mode === "sanctions") {
    lg.append(item(SANCTION_COLORS.eu_us_sectoral, "EU/US sectoral sanctions"), item(SANCTION_COLORS.un_comprehensive, "UN comprehensive"));
  } else {
    const b = S.geo.blocs.find((x) => x.bloc === mode);
    lg.append(item(BLOC_COLORS[mode] || "#555", `member (${b ? b.members.length : "?"})`), item(`${BLOC_COLORS[mode] || "#555"}80`, "observer"));
  }
  lg.append(el("div", { class: "item" }, el("span", { class: "swatch", style: "background:transparent;border:2px solid #c1121f" }), "under broad sanctions"));
  lg.append(el("div", { class: "note", text: "Click a country for its memberships and sources." }));
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
