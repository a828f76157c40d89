// The map: MapLibre from the npm copy in /static/vendor, an offline basemap with labels, the network
// and the result layers. Labels are drawn in the browser from the bundled Noto Sans files (the
// style's font-faces; no glyph server): without them MapLibre falls back to the system's sans-serif.

import { $, MODE_COLORS, S, api } from "./core.js";
import { showFeatureDetails } from "./details.js";
import { hideFlowTip, showFlowDetails, showFlowTip } from "./flows.js";
import { showCountryDetails } from "./geo.js";
import { countryLabels, hatch } from "./labels.js";
import { LOAD_STOPS, UNKNOWN_CAPACITY, WAIT_STOPS } from "./legend.js";
import { showRouteDetails } from "./routes.js";

export const FONT = ["Noto Sans Regular"];
export const FONT_BOLD = ["Noto Sans SemiBold"];
const HALO = { "text-halo-color": "rgba(255,255,255,0.92)", "text-halo-width": 1.6, "text-halo-blur": 0.3 };

// ------------------------------------------------------------------ map

export async function loadMapLibrary() {
  try {
    const mod = await import("/static/vendor/maplibre-gl.mjs");
    return mod.default && mod.default.Map ? mod.default : mod;
  } catch (e) {
    showMapMessage("The map library (MapLibre GL JS) is not installed on this server: run `make` " +
      "(it copies it from npm). The tables and the API work without it.");
    return null;
  }
}

export function showMapMessage(text) {
  const m = $("map-message");
  m.textContent = text;
  m.hidden = false;
}

export function emptyFC() { return { type: "FeatureCollection", features: [] }; }

function style() {
  const st = { version: 8, sources: {}, layers: [{ id: "sea", type: "background", paint: { "background-color": "#d7e6f1" } }] };
  // no "glyphs" URL: every label glyph is rendered here, from these files or the system font
  if (S.meta.fonts && Object.keys(S.meta.fonts).length) st["font-faces"] = S.meta.fonts;
  return st;
}

export async function initMap() {
  const ml = S.maplibre;
  if (!ml) return;
  let map;
  try {
    map = new ml.Map({
      container: "map", style: style(),
      center: [48, 42], zoom: 2.4, minZoom: 1, maxZoom: 10,
      renderWorldCopies: false, dragRotate: false, pitchWithRotate: false, touchPitch: false,
      attributionControl: { compact: true, customAttribution: "Natural Earth · © OpenStreetMap contributors" },
    });
  } catch (e) {
    showMapMessage(`The map could not start (${e.message}); the tables still work.`);
    return;
  }
  S.map = map;
  map.addControl(new ml.NavigationControl({ showCompass: false }), "top-left");
  map.addControl(new ml.ScaleControl({ unit: "metric" }), "bottom-right");
  const [basemap, network] = await Promise.all([api("/api/basemap"), api("/api/network"),
    new Promise((res) => map.once("load", res))]);
  S.network = network.ok ? network.body : emptyFC();
  S.basemap = basemap.ok ? basemap.body : emptyFC();
  for (const f of S.network.features) {
    if (f.properties.feature === "link") S.linkById.set(f.properties.link_id, f);
    else S.nodeById.set(f.properties.node_id, f);
  }
  S.nodeByName = new Map([...S.nodeById.values()].map((f) => [f.properties.name, f]));
  addLayers(map);
  wireMap(map);
  S.mapReady = true;
  window.corridorMap = map;  // for the browser tests and the console
  // start on the whole network, whatever the window's shape (a fixed centre and zoom cut off
  // the Chinese end on a 1366x768 laptop); a query fits its routes afterwards
  fitTo([[...S.nodeById.values()].map((f) => f.geometry.coordinates)], { animate: false, maxZoom: 5 });
  setNetworkVisible($("layer-network").checked);
}

function addLayers(map) {
  const links = S.network.features.filter((f) => f.properties.feature === "link");
  const places = S.network.features.filter((f) => f.properties.feature === "node");
  map.addSource("countries", { type: "geojson", data: S.basemap });
  map.addSource("country-labels", { type: "geojson", data: countryLabels(S.basemap) });
  map.addSource("geo", { type: "geojson", data: emptyFC() });
  map.addSource("links", { type: "geojson", data: { type: "FeatureCollection", features: links } });
  map.addSource("nodes", { type: "geojson", data: { type: "FeatureCollection", features: places } });
  for (const id of ["flows", "flows-over", "routes", "route-places", "caspian", "delta"]) {
    map.addSource(id, { type: "geojson", data: emptyFC() });
  }
  for (const [name, color, gap] of [["hatch-light", S.meta.palette.sanctions.eu_us_sectoral, 10],
    ["hatch-dark", S.meta.palette.sanctions.un_comprehensive, 4]]) {
    map.addImage(name, hatch(color, gap), { pixelRatio: 2 });
  }

  map.addLayer({ id: "land", type: "fill", source: "countries", paint: { "fill-color": S.meta.palette.land } });
  map.addLayer({ id: "geo-fill", type: "fill", source: "geo", layout: { visibility: "none" },
    filter: ["has", "color"], paint: { "fill-color": ["get", "color"], "fill-opacity": 0.9 } });
  map.addLayer({ id: "geo-hatch", type: "fill", source: "geo", layout: { visibility: "none" },
    filter: ["has", "pattern"], paint: { "fill-pattern": ["get", "pattern"] } });
  map.addLayer({ id: "borders", type: "line", source: "countries",
    paint: { "line-color": "#b3ad9e", "line-width": 0.7 } });
  // broad sanctions: a dark dashed outline (no corridor is grey)
  map.addLayer({ id: "geo-sanctions", type: "line", source: "geo", layout: { visibility: "none" },
    filter: ["==", ["get", "sanctioned"], true],
    paint: { "line-color": S.meta.palette.sanctions_outline, "line-width": 1.6, "line-dasharray": [3, 2] } });
  map.addLayer({ id: "country-labels", type: "symbol", source: "country-labels",
    layout: { "text-field": ["upcase", ["get", "name"]], "text-font": FONT, "text-letter-spacing": 0.08,
      "text-size": ["interpolate", ["linear"], ["zoom"], 2, ["*", 9, ["get", "scale"]], 6, ["*", 13, ["get", "scale"]]],
      "text-max-width": 7, "symbol-sort-key": ["get", "rank"], "text-padding": 4 },
    paint: { "text-color": "#7b776d", ...HALO } });
  const modeColor = ["match", ["get", "mode"], "rail", MODE_COLORS.rail, "road", MODE_COLORS.road,
    "ferry", MODE_COLORS.ferry, "sea", MODE_COLORS.sea, "#888"];
  map.addLayer({ id: "net-open", type: "line", source: "links", filter: ["==", ["get", "status"], "open"],
    paint: { "line-color": modeColor, "line-width": 1.1, "line-opacity": 0.75 } });
  map.addLayer({ id: "net-planned", type: "line", source: "links", filter: ["==", ["get", "status"], "planned"],
    paint: { "line-color": modeColor, "line-width": 1.3, "line-dasharray": [2, 2] } });
  map.addLayer({ id: "net-closed", type: "line", source: "links", filter: ["==", ["get", "status"], "closed"],
    paint: { "line-color": "#b23a48", "line-width": 1.2, "line-dasharray": [1, 2] } });
  // the most loaded links are drawn last (on top), and at least 6 px wide
  map.addLayer({ id: "flows", type: "line", source: "flows",
    layout: { visibility: "none", "line-cap": "round", "line-sort-key": ["coalesce", ["get", "v_c"], -1] },
    paint: {
      "line-color": ["case", ["has", "v_c"], ["interpolate", ["linear"], ["get", "v_c"], ...LOAD_STOPS.flat()],
        UNKNOWN_CAPACITY],
      "line-width": ["max", ["interpolate", ["linear"], ["sqrt", ["get", "flow_teu"]], 0, 1, 1500, 14],
        ["case", [">=", ["coalesce", ["get", "v_c"], 0], 0.9], 6, 0]],
      "line-opacity": ["case", ["boolean", ["feature-state", "hover"], false], 1, 0.85],
    } });
  map.addLayer({ id: "flows-hover", type: "line", source: "flows", layout: { visibility: "none", "line-cap": "round" },
    filter: ["==", ["get", "link_id"], ""], paint: { "line-color": "#14324f", "line-width": 2, "line-gap-width": 8 } });
  // gains solid blue, losses dashed vermilion: told apart without colour too
  const gain = [">=", ["get", "d_teu"], 0];
  map.addLayer({ id: "delta", type: "line", source: "delta", layout: { visibility: "none", "line-cap": "butt" },
    paint: {
      "line-color": ["case", gain, S.meta.palette.diff.more, S.meta.palette.diff.less],
      "line-width": ["interpolate", ["linear"], ["sqrt", ["abs", ["get", "d_teu"]]], 0, 1, 2200, 14],
      "line-dasharray": ["case", gain, ["literal", [1, 0]], ["literal", [2, 1]]],
      // a change of a few hundred TEU is drawn faint: there, not loud
      "line-opacity": ["interpolate", ["linear"], ["sqrt", ["abs", ["get", "d_teu"]]], 0, 0.3, 150, 0.9],
    } });
  const routeWidth = 3.6;
  map.addLayer({ id: "routes-casing", type: "line", source: "routes", layout: { "line-cap": "round", "line-join": "round" },
    paint: { "line-color": "#ffffff", "line-width": routeWidth + 2.9, "line-opacity": 0.9, "line-offset": ["get", "offset"] } });
  map.addLayer({ id: "routes", type: "line", source: "routes", layout: { "line-cap": "round", "line-join": "round" },
    paint: { "line-color": ["get", "color"], "line-width": routeWidth, "line-opacity": 0.95, "line-offset": ["get", "offset"],
      // k best routes of one family: a dash pattern per rank (see routes.js styleRoutes)
      "line-dasharray": ["match", ["get", "dash"], "dash", ["literal", [2.2, 1.4]], "dot", ["literal", [0.1, 1.6]],
        ["literal", [1, 0]]] } });
  map.addLayer({ id: "net-nodes", type: "circle", source: "nodes",
    paint: {
      "circle-radius": ["match", ["get", "kind"], "port", 3.4, "border_crossing", 3, "junction", 1.8, 2.8],
      "circle-color": ["match", ["get", "kind"], "port", "#1b6f9a", "border_crossing", "#8a3b3b", "#3d4650"],
      "circle-stroke-color": "#fff", "circle-stroke-width": 0.8,
    } });
  map.addLayer({ id: "net-hit", type: "line", source: "links", paint: { "line-width": 9, "line-opacity": 0 } });
  map.addLayer({ id: "flows-hit", type: "line", source: "flows", layout: { visibility: "none" },
    paint: { "line-width": 14, "line-opacity": 0 } });
  map.addLayer({ id: "caspian-waits", type: "circle", source: "caspian", layout: { visibility: "none" },
    paint: {
      "circle-radius": ["interpolate", ["linear"], ["sqrt", ["get", "mean_wait_hours"]], 0, 5, 20, 30],
      "circle-color": ["interpolate", ["linear"], ["get", "mean_wait_hours"], ...WAIT_STOPS.flat()],
      "circle-opacity": 0.7, "circle-stroke-color": "#14324f", "circle-stroke-width": 1.5,
    } });
  map.addLayer({ id: "caspian-labels", type: "symbol", source: "caspian", layout: { visibility: "none",
    "text-field": ["get", "name"], "text-font": FONT_BOLD, "text-size": 12, "text-variable-anchor": ["top", "bottom", "left", "right"],
    "text-radial-offset": 1.6 }, paint: { "text-color": "#14324f", ...HALO } });
  // links and places over 90% of capacity, marked so that they show at any zoom (a border
  // crossing link is a few km long: less than a pixel at the zoom that shows Eurasia)
  map.addLayer({ id: "flows-over", type: "circle", source: "flows-over", layout: { visibility: "none" },
    paint: {
      "circle-radius": 6.5,
      "circle-color": ["interpolate", ["linear"], ["get", "v_c"], ...LOAD_STOPS.flat()],
      "circle-stroke-color": "#ffffff", "circle-stroke-width": 2,
    } });
  // the places a result names: the route's ends and gateways, the ports of the Caspian panel,
  // the places over capacity; each with its name
  map.addLayer({ id: "route-places", type: "circle", source: "route-places",
    paint: { "circle-radius": ["match", ["get", "role"], "end", 7, 4.5],
      "circle-color": ["match", ["get", "role"], "end", "#14324f", "#ffffff"],
      "circle-stroke-color": ["match", ["get", "role"], "end", "#ffffff", "#14324f"], "circle-stroke-width": 2 } });
  map.addLayer({ id: "place-labels", type: "symbol", source: "nodes", minzoom: 4.2,
    filter: ["match", ["get", "kind"], ["city", "port", "rail_terminal"], true, false],
    layout: { "text-field": ["get", "name"], "text-font": FONT, "text-size": 11, "text-anchor": "left",
      "text-offset": [0.6, 0], "text-optional": true, "text-padding": 3 },
    paint: { "text-color": "#39424c", ...HALO } });
  map.addLayer({ id: "route-labels", type: "symbol", source: "routes",
    layout: { "symbol-placement": "line", "text-field": ["get", "label"], "text-font": FONT_BOLD, "text-size": 11.5,
      "symbol-spacing": 320, "text-padding": 6, "text-keep-upright": true, "text-max-angle": 35,
      "symbol-sort-key": ["get", "idx"] },
    paint: { "text-color": ["get", "color"], "text-halo-color": "#ffffff", "text-halo-width": 2.2 } });
  map.addLayer({ id: "route-place-labels", type: "symbol", source: "route-places",
    layout: { "text-field": ["get", "name"], "text-font": ["match", ["get", "role"], "end", ["literal", FONT_BOLD], ["literal", FONT]],
      "text-size": ["match", ["get", "role"], "end", 13, 11.5],
      "text-variable-anchor": ["left", "right", "top", "bottom", "top-left", "bottom-right"],
      "text-radial-offset": 0.75, "symbol-sort-key": ["match", ["get", "role"], "end", 0, 1], "text-padding": 2 },
    paint: { "text-color": "#14324f", ...HALO, "text-halo-width": 2 } });
}

function wireMap(map) {
  for (const id of ["routes", "net-nodes", "net-hit", "flows-hit", "route-places"]) {
    map.on("mouseenter", id, () => { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", id, () => { map.getCanvas().style.cursor = ""; });
  }
  map.on("mousemove", "flows-hit", (e) => showFlowTip(e));
  map.on("mouseleave", "flows-hit", () => hideFlowTip());
  map.on("click", (e) => {
    const layers = ["routes", "route-places", "net-nodes", "net-hit", "flows-hit"].filter((id) => layerShown(id));
    const hits = map.queryRenderedFeatures(e.point, { layers });
    const pick = (id) => hits.find((h) => h.layer.id === id);
    const f = pick("flows-hit") || pick("net-nodes") || pick("route-places") || pick("routes") || hits[0];
    if (!f) {
      const geo = layerShown("geo-fill") ? map.queryRenderedFeatures(e.point, { layers: ["geo-fill", "geo-hatch"] }) : [];
      if (geo.length) showCountryDetails(geo[0].properties.iso3);
      return;
    }
    if (f.layer.id === "flows-hit") showFlowDetails(f.properties.link_id);
    else if (f.layer.id === "routes") showRouteDetails(f.properties.idx);
    else if (f.layer.id === "route-places") showFeatureDetails("node", f.properties.node_id);
    else if (f.layer.id === "net-nodes") showFeatureDetails("node", f.properties.node_id);
    else showFeatureDetails("link", f.properties.link_id);
  });
}

export function layerShown(id) {
  return S.mapReady && !!S.map.getLayer(id) && S.map.getLayoutProperty(id, "visibility") !== "none";
}

export function setVisible(id, on) {
  if (S.mapReady && S.map.getLayer(id)) S.map.setLayoutProperty(id, "visibility", on ? "visible" : "none");
}

export function setNetworkVisible(on) {
  for (const id of ["net-open", "net-planned", "net-closed", "net-nodes", "net-hit", "place-labels"]) setVisible(id, on);
}

// under flows and diffs (lines of their own colours) the network steps back
export function dimNetwork(on) {
  if (!S.mapReady) return;
  for (const id of ["net-open", "net-planned", "net-closed"]) S.map.setPaintProperty(id, "line-opacity", on ? 0.3 : 0.75);
  S.map.setPaintProperty("net-nodes", "circle-opacity", on ? 0.35 : 1);
  S.map.setPaintProperty("net-nodes", "circle-stroke-opacity", on ? 0.35 : 1);
}

export function setData(source, features) {
  if (S.mapReady) S.map.getSource(source).setData({ type: "FeatureCollection", features });
}

// the map's padding: clear of the geopolitical legend (top right) and, on a phone, of nothing more
export function padding() {
  const w = S.map.getContainer().clientWidth;
  const geo = $("geo-legend");
  // room for a label beside an end of the route (about 60 px)
  const side = Math.min(60, w / 7);
  const right = geo && geo.offsetWidth ? Math.min(geo.offsetWidth + 30, w / 3) : side;
  return { top: 40, bottom: 40, left: side, right };
}

export function fitTo(coordsList, { animate = true, maxZoom = 6 } = {}) {
  if (!S.mapReady) return;
  let [x0, y0, x1, y1] = [180, 90, -180, -90];
  let n = 0;
  for (const cs of coordsList) for (const [x, y] of cs) {
    x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); n++;
  }
  if (!n) return;
  const reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  S.map.fitBounds([[x0, y0], [x1, y1]], { padding: padding(), maxZoom, duration: reduce || !animate ? 0 : 500 });
}
