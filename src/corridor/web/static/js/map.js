// The map: MapLibre from the npm copy in /static/vendor, an offline basemap, the network and result layers.

import { $, MODE_COLORS, S, api, el } from "./core.js";
import { showCountryDetails } from "./geo.js";
import { showFeatureDetails, showRouteDetails } from "./routes.js";

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

export async function initMap() {
  const ml = S.maplibre;
  if (!ml) return;
  let map;
  try {
    map = new ml.Map({
      container: "map",
      style: {
        version: 8,
        sources: {},
        layers: [{ id: "sea", type: "background", paint: { "background-color": "#d7e6f1" } }],
      },
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
  map.addSource("countries", { type: "geojson", data: basemap.ok ? basemap.body : emptyFC() });
  map.addSource("geo", { type: "geojson", data: emptyFC() });
  map.addSource("links", { type: "geojson", data: { type: "FeatureCollection",
    features: S.network.features.filter((f) => f.properties.feature === "link") } });
  map.addSource("nodes", { type: "geojson", data: { type: "FeatureCollection",
    features: S.network.features.filter((f) => f.properties.feature === "node") } });
  map.addSource("flows", { type: "geojson", data: emptyFC() });
  map.addSource("flows-over", { type: "geojson", data: emptyFC() });
  map.addSource("routes", { type: "geojson", data: emptyFC() });
  map.addSource("ends", { type: "geojson", data: emptyFC() });
  map.addSource("caspian", { type: "geojson", data: emptyFC() });
  map.addSource("delta", { type: "geojson", data: emptyFC() });

  map.addLayer({ id: "land", type: "fill", source: "countries", paint: { "fill-color": "#f3f1ea" } });
  map.addLayer({ id: "geo-fill", type: "fill", source: "geo", layout: { visibility: "none" },
    paint: { "fill-color": ["coalesce", ["get", "color"], "#f3f1ea"], "fill-opacity": 0.75 } });
  map.addLayer({ id: "geo-sanctions", type: "line", source: "geo", layout: { visibility: "none" },
    filter: ["==", ["get", "sanctioned"], true],
    paint: { "line-color": "#c1121f", "line-width": 2.2, "line-opacity": 0.9 } });
  map.addLayer({ id: "borders", type: "line", source: "countries",
    paint: { "line-color": "#b3ad9e", "line-width": 0.7 } });
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
      "line-opacity": 0.85,
    } });
  map.addLayer({ id: "delta", type: "line", source: "delta", layout: { visibility: "none", "line-cap": "round" },
    paint: {
      "line-color": ["case", [">=", ["get", "d_teu"], 0], DELTA_COLORS.more, DELTA_COLORS.less],
      "line-width": ["interpolate", ["linear"], ["sqrt", ["abs", ["get", "d_teu"]]], 0, 1.5, 1500, 14],
      "line-opacity": 0.85,
    } });
  map.addLayer({ id: "routes-casing", type: "line", source: "routes", layout: { "line-cap": "round", "line-join": "round" },
    paint: { "line-color": "#ffffff", "line-width": 6.5, "line-opacity": 0.9 } });
  map.addLayer({ id: "routes", type: "line", source: "routes", layout: { "line-cap": "round", "line-join": "round" },
    paint: { "line-color": ["get", "color"], "line-width": 3.6, "line-opacity": 0.95,
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
  map.addLayer({ id: "caspian-waits", type: "circle", source: "caspian", layout: { visibility: "none" },
    paint: {
      "circle-radius": ["interpolate", ["linear"], ["sqrt", ["get", "mean_wait_hours"]], 0, 5, 20, 30],
      "circle-color": ["interpolate", ["linear"], ["get", "mean_wait_hours"], ...WAIT_STOPS.flat()],
      "circle-opacity": 0.7, "circle-stroke-color": "#14324f", "circle-stroke-width": 1.5,
    } });
  // links and places over 90% of capacity, marked so that they show at any zoom (a border
  // crossing link is a few km long: less than a pixel at the zoom that shows Eurasia)
  map.addLayer({ id: "flows-over", type: "circle", source: "flows-over", layout: { visibility: "none" },
    paint: {
      "circle-radius": 6.5,
      "circle-color": ["interpolate", ["linear"], ["get", "v_c"], ...LOAD_STOPS.flat()],
      "circle-stroke-color": "#ffffff", "circle-stroke-width": 2,
    } });
  map.addLayer({ id: "ends", type: "circle", source: "ends",
    paint: { "circle-radius": 7, "circle-color": "#14324f", "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });

  for (const id of ["routes", "net-nodes", "net-hit"]) {
    map.on("mouseenter", id, () => { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", id, () => { map.getCanvas().style.cursor = ""; });
  }
  map.on("click", (e) => {
    const hits = map.queryRenderedFeatures(e.point, { layers: ["routes", "net-nodes", "net-hit"] });
    if (!hits.length) {
      const geo = map.getLayoutProperty("geo-fill", "visibility") === "visible"
        ? map.queryRenderedFeatures(e.point, { layers: ["geo-fill"] }) : [];
      if (geo.length) showCountryDetails(geo[0].properties.iso3);
      return;
    }
    const f = hits.find((h) => h.layer.id === "net-nodes") || hits.find((h) => h.layer.id === "routes") || hits[0];
    if (f.layer.id === "routes") showRouteDetails(f.properties.idx);
    else if (f.layer.id === "net-nodes") showFeatureDetails("node", f.properties.node_id);
    else showFeatureDetails("link", f.properties.link_id);
  });
  S.mapReady = true;
  window.corridorMap = map;  // for the browser tests and the console
  // start on the whole network, whatever the window's shape (a fixed centre and zoom cut off
  // the Chinese end on a 1366x768 laptop); a query fits its routes afterwards
  fitTo([[...S.nodeById.values()].map((f) => f.geometry.coordinates)], { animate: false, maxZoom: 5 });
  setNetworkVisible($("layer-network").checked);
}

export function setVisible(id, on) {
  if (S.mapReady && S.map.getLayer(id)) S.map.setLayoutProperty(id, "visibility", on ? "visible" : "none");
}

export function setNetworkVisible(on) {
  for (const id of ["net-open", "net-planned", "net-closed", "net-nodes", "net-hit"]) setVisible(id, on);
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
  // keep what is fitted clear of the geopolitical legend (top right, under the layer switch)
  const geo = $("geo-legend");
  const right = geo && !geo.hidden ? Math.min(geo.offsetWidth + 30, S.map.getContainer().clientWidth / 3) : 50;
  S.map.fitBounds([[x0, y0], [x1, y1]], { padding: { top: 50, bottom: 50, left: 50, right }, maxZoom,
    duration: reduce || !animate ? 0 : 500 });
}

// ------------------------------------------------------------------ legend

// the colour stops of the map's data layers, shared by the layers and their legends
export const LOAD_STOPS = [[0, "#4e9a4e"], [0.7, "#e0b000"], [0.9, "#e06000"], [1.2, "#a4161a"]];
export const UNKNOWN_CAPACITY = "#7d8b99";
export const DELTA_COLORS = { more: "#1b7f3b", less: "#d95f02" };
export const WAIT_STOPS = [[0, "#4e9a4e"], [24, "#e0b000"], [72, "#e06000"], [200, "#a4161a"]];

const item = (sample, text, title) => el("div", { class: "item", title }, sample, text);
const line = (color, extra = "") => el("span", { class: "line", style: `background:${color};${extra}` });
const dot = (color, size = 0.8) => el("span", { class: "dot", style: `background:${color};width:${size}rem;height:${size}rem` });

export function renderLegend() {
  const lg = $("legend");
  lg.replaceChildren();
  lg.dataset.kind = S.tab;
  if (S.tab === "flows") {
    lg.append(el("strong", { text: "load / capacity" }));
    const labels = ["< 70%", "70–90%", "90–120%", "> 120%"];
    LOAD_STOPS.forEach(([, c], i) => lg.append(item(line(c), labels[i])));
    lg.append(item(line(UNKNOWN_CAPACITY), "grey: capacity unknown"));
    lg.append(el("div", { class: "item", text: "width: TEU a year" }));
    lg.append(item(dot(LOAD_STOPS[3][1], 0.75), "over 90%: link or place (on top)"));
    return;
  }
  if (S.tab === "scenarios") {
    lg.append(el("strong", { text: "link load, B − A" }));
    lg.append(item(line(DELTA_COLORS.more), "more load in B"), item(line(DELTA_COLORS.less), "less load in B"));
    lg.append(el("div", { class: "item", text: "width: change in TEU a year" }));
  } else if (S.tab === "caspian") {
    lg.append(el("strong", { text: "mean wait before boarding" }));
    const labels = ["none", "24 h", "72 h", "200 h and more"];
    WAIT_STOPS.forEach(([, c], i) => lg.append(item(dot(c), labels[i])));
    lg.append(el("div", { class: "item", text: "size: mean wait, per port" }));
  } else {
    lg.append(el("strong", { text: "corridors" }));
    for (const f of S.meta.families) lg.append(item(line(f.color), f.id, f.description));
    if (S.routesKind === "route" && S.routes.length > 1) {
      lg.append(el("div", { class: "note", text: "k best: #1 of a corridor solid, the next ones in other shades, dashed or dotted (see the table)" }));
    }
  }
  if ($("layer-network").checked) {
    lg.append(el("strong", { text: "network" }));
    for (const [m, c] of Object.entries(MODE_COLORS)) lg.append(item(line(c, "height:2px"), m));
    lg.append(item(el("span", { class: "line dash" }), "planned"));
  }
}
