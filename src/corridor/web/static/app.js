// The corridor page. It talks only to this server's /api; the map library is the npm copy that
// `make` put in /static/vendor, and the basemap is the bundled Natural Earth countries. No request
// leaves the server the page came from.

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids.flat()) if (kid !== null && kid !== undefined) e.append(kid);
  return e;
};
const fmt = (v, nd = 0) => (v === null || v === undefined || Number.isNaN(v) ? "–"
  : Number(v).toLocaleString("en-GB", { minimumFractionDigits: nd, maximumFractionDigits: nd }));

const TOP_AVOID = ["RUS", "BLR", "IRN"];
const MODE_COLORS = { rail: "#5f6b76", road: "#a0784a", ferry: "#1b9aaa", sea: "#87a9c6" };
const S = {
  meta: null, maplibre: null, map: null, mapReady: false, network: null, linkById: new Map(),
  nodeById: new Map(), colors: {}, routes: [], seq: 0, sources: null, lastQuery: null, tab: "routes",
  geo: null,
};

async function api(path, opts) {
  let r;
  try {
    r = await fetch(path, opts);
  } catch (e) {
    return { ok: false, status: 0, body: { error: `the server did not answer (${e.message})`, type: "NetworkError" } };
  }
  let body;
  try { body = await r.json(); } catch { body = { error: `HTTP ${r.status}`, type: "HTTPError" }; }
  return { ok: r.ok, status: r.status, body };
}

// ------------------------------------------------------------------ map

async function loadMapLibrary() {
  try {
    const mod = await import("/static/vendor/maplibre-gl.mjs");
    return mod.default && mod.default.Map ? mod.default : mod;
  } catch (e) {
    showMapMessage("The map library (MapLibre GL JS) is not installed on this server: run `make` " +
      "(it copies it from npm). The tables and the API work without it.");
    return null;
  }
}

function showMapMessage(text) {
  const m = $("map-message");
  m.textContent = text;
  m.hidden = false;
}

function emptyFC() { return { type: "FeatureCollection", features: [] }; }

async function initMap() {
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
  map.addLayer({ id: "flows", type: "line", source: "flows", layout: { visibility: "none", "line-cap": "round" },
    paint: {
      "line-color": ["case", ["has", "v_c"], ["interpolate", ["linear"], ["get", "v_c"],
        0, "#4e9a4e", 0.7, "#e0b000", 0.9, "#e06000", 1.2, "#a4161a"], "#7d8b99"],
      "line-width": ["interpolate", ["linear"], ["sqrt", ["get", "flow_teu"]], 0, 1, 1500, 14],
      "line-opacity": 0.85,
    } });
  map.addLayer({ id: "delta", type: "line", source: "delta", layout: { visibility: "none", "line-cap": "round" },
    paint: {
      "line-color": ["case", [">=", ["get", "d_teu"], 0], "#1b7f3b", "#d95f02"],
      "line-width": ["interpolate", ["linear"], ["sqrt", ["abs", ["get", "d_teu"]]], 0, 1.5, 1500, 14],
      "line-opacity": 0.85,
    } });
  map.addLayer({ id: "routes-casing", type: "line", source: "routes", layout: { "line-cap": "round", "line-join": "round" },
    paint: { "line-color": "#ffffff", "line-width": 6.5, "line-opacity": 0.9 } });
  map.addLayer({ id: "routes", type: "line", source: "routes", layout: { "line-cap": "round", "line-join": "round" },
    paint: { "line-color": ["get", "color"], "line-width": 3.6, "line-opacity": 0.95 } });
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
      "circle-color": ["interpolate", ["linear"], ["get", "mean_wait_hours"], 0, "#4e9a4e", 24, "#e0b000", 72, "#e06000", 200, "#a4161a"],
      "circle-opacity": 0.7, "circle-stroke-color": "#14324f", "circle-stroke-width": 1.5,
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
  setNetworkVisible($("layer-network").checked);
}

function setVisible(id, on) {
  if (S.mapReady && S.map.getLayer(id)) S.map.setLayoutProperty(id, "visibility", on ? "visible" : "none");
}

function setNetworkVisible(on) {
  for (const id of ["net-open", "net-planned", "net-closed", "net-nodes", "net-hit"]) setVisible(id, on);
}

function fitTo(coordsList) {
  if (!S.mapReady) return;
  let [x0, y0, x1, y1] = [180, 90, -180, -90];
  let n = 0;
  for (const cs of coordsList) for (const [x, y] of cs) {
    x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); n++;
  }
  if (!n) return;
  const reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  S.map.fitBounds([[x0, y0], [x1, y1]], { padding: 50, maxZoom: 6, duration: reduce ? 0 : 500 });
}

// ------------------------------------------------------------------ legend

function renderLegend() {
  const lg = $("legend");
  lg.replaceChildren();
  if (S.tab === "flows") {
    lg.append(el("strong", { text: "load / capacity" }));
    for (const [c, t] of [["#4e9a4e", "< 70%"], ["#e0b000", "70–90%"], ["#e06000", "90–120%"], ["#a4161a", "> 120%"],
      ["#7d8b99", "capacity not known"]]) {
      lg.append(el("div", { class: "item" }, el("span", { class: "line", style: `background:${c}` }), t));
    }
    lg.append(el("div", { class: "item", text: "width: TEU a year" }));
    return;
  }
  lg.append(el("strong", { text: "corridors" }));
  for (const f of S.meta.families) {
    lg.append(el("div", { class: "item", title: f.description },
      el("span", { class: "line", style: `background:${f.color}` }), f.id));
  }
  if ($("layer-network").checked) {
    lg.append(el("strong", { text: "network" }));
    for (const [m, c] of Object.entries(MODE_COLORS)) {
      lg.append(el("div", { class: "item" }, el("span", { class: "line", style: `background:${c};height:2px` }), m));
    }
    lg.append(el("div", { class: "item" }, el("span", { class: "line dash" }), "planned"));
  }
}

// ------------------------------------------------------------------ combobox (place pickers)

function combobox(input, list) {
  let items = [];
  let active = -1;
  let timer = null;
  let seq = 0;
  const close = () => {
    list.hidden = true; active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  };
  const choose = (i) => {
    input.value = items[i].name;
    close();
    input.dispatchEvent(new Event("change", { bubbles: true }));
  };
  const move = (d) => {
    if (!items.length) return;
    active = (active + d + items.length) % items.length;
    [...list.children].forEach((li, i) => li.setAttribute("aria-selected", i === active ? "true" : "false"));
    const li = list.children[active];
    input.setAttribute("aria-activedescendant", li.id);
    li.scrollIntoView({ block: "nearest" });
  };
  const render = (suggestions) => {
    list.replaceChildren();
    items.forEach((p, i) => {
      list.append(el("li", { id: `${list.id}-${i}`, role: "option", "aria-selected": "false",
        onmousedown: (e) => { e.preventDefault(); choose(i); } },
      el("span", { text: p.name }), el("span", { class: "meta", text: `${p.kind.replace("_", " ")} · ${p.country}` })));
    });
    if (!items.length && suggestions && suggestions.length) {
      items = suggestions.map((name) => ({ name, kind: "did you mean", country: "" }));
      render(null);
      return;
    }
    list.hidden = items.length === 0;
    input.setAttribute("aria-expanded", list.hidden ? "false" : "true");
    active = -1;
  };
  const search = async () => {
    const q = input.value.trim();
    const my = ++seq;
    const r = await api(`/api/places?limit=12${q ? `&q=${encodeURIComponent(q)}` : ""}`);
    if (my !== seq || !r.ok || document.activeElement !== input) return;
    items = r.body.places;
    render(r.body.suggestions);
  };
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(search, 120); });
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown") { e.preventDefault(); if (list.hidden) search(); else move(1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); move(-1); }
    else if (e.key === "Enter" && !list.hidden && active >= 0) { e.preventDefault(); choose(active); }
    else if (e.key === "Escape") close();
  });
  input.addEventListener("blur", () => setTimeout(close, 120));
}

// ------------------------------------------------------------------ the corridors form

function chip(container, name, value, label, title) {
  const id = `${name}-${value}`;
  container.append(el("label", { for: id, title },
    el("input", { type: "checkbox", id, name, value }), ` ${label}`));
}

function buildForm() {
  const m = S.meta;
  for (const c of m.countries) {
    const box = TOP_AVOID.includes(c.iso3) ? $("avoid-top") : $("avoid-more");
    chip(box, "avoid", c.iso3, `${c.name}`, c.iso3);
  }
  // keep the three most debated countries in a fixed order, first
  const top = $("avoid-top");
  for (const iso of TOP_AVOID) { const l = top.querySelector(`label[for="avoid-${iso}"]`); if (l) top.append(l); }
  if (m.avoid_groups && m.avoid_groups.length) {
    // blocs, 'sanctioned' and regions resolve to countries in the library (corridor.geopolitics)
    const top = ["sanctioned", "EAEU"].filter((g) => m.avoid_groups.includes(g));
    for (const g of top) chip($("avoid-top"), "avoid", g, g === "sanctioned" ? "sanctioned countries" : g, `every ${g} country`);
    const more = m.avoid_groups.filter((g) => !top.includes(g));
    if (more.length) {
      const box = el("div", { class: "chips groups" });
      for (const g of more) chip(box, "avoid", g, g, `every country of ${g}`);
      $("avoid-more").after(el("p", { class: "note", text: "blocs and regions:" }), box);
    }
  }
  for (const mode of m.modes) chip($("avoid-modes"), "avoid_mode", mode, `no ${mode}`);
  for (const p of m.passages) chip($("avoid-passages"), "avoid_passage", p, `not via ${p}`);
  $("k").max = m.limits.k_max;
  for (const meth of m.methods) $("flow-method").append(el("option", { value: meth, text: meth }));
  if (m.default_method) $("flow-method").value = m.default_method;
  for (const kind of m.caspian.vessel_kinds) {
    $("fleet").append(el("label", {}, kind.replace("_", " "),
      el("input", { type: "number", name: `fleet-${kind}`, "data-kind": kind, min: -10, max: 20, value: 0, step: 1 })));
  }
  for (const port of m.caspian.ports) {
    $("deepen").append(el("label", {}, port,
      el("input", { type: "number", name: `deepen-${port}`, "data-port": port, min: 0, max: 10, value: 0, step: 0.5 })));
  }
}

function checked(name) {
  return [...document.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
}

function readQuery() {
  return {
    o: $("origin").value.trim(), d: $("destination").value.trim(),
    q: document.querySelector('input[name="question"]:checked').value,
    obj: $("objective").value, year: $("year").value.trim(),
    avoid: checked("avoid"), mode: checked("avoid_mode"), pass: checked("avoid_passage"),
    k: $("k").value.trim(), via: $("via").value.split(",").map((s) => s.trim()).filter(Boolean),
  };
}

function writeForm(q) {
  $("origin").value = q.o || "";
  $("destination").value = q.d || "";
  const radio = document.querySelector(`input[name="question"][value="${q.q === "route" ? "route" : "compare"}"]`);
  radio.checked = true;
  if (q.obj && [...$("objective").options].some((o) => o.value === q.obj)) $("objective").value = q.obj;
  $("year").value = q.year || "";
  $("k").value = q.k || "3";
  $("via").value = (q.via || []).join(", ");
  for (const [name, vals] of [["avoid", q.avoid], ["avoid_mode", q.mode], ["avoid_passage", q.pass]]) {
    const want = (vals || []).map((v) => v.toUpperCase());
    for (const box of document.querySelectorAll(`input[name="${name}"]`)) box.checked = want.includes(box.value.toUpperCase());
  }
  const shown = [...document.querySelectorAll("#avoid-top input")].map((i) => i.value.toUpperCase());
  if ((q.avoid || []).some((c) => !shown.includes(c.toUpperCase()))) $("avoid-more").closest("details").open = true;
  syncQuestion();
}

function syncQuestion() {
  const route = document.querySelector('input[name="question"]:checked').value === "route";
  document.querySelector(".route-only").hidden = !route;
}

// URL <-> view: the query string holds everything needed to rebuild the view
function urlFromState() {
  const q = readQuery();
  const p = new URLSearchParams();
  if (S.tab !== "routes") p.set("tab", S.tab);
  if (q.o) p.set("o", q.o);
  if (q.d) p.set("d", q.d);
  if (q.q !== "compare") p.set("q", q.q);
  if (q.obj !== "generalized") p.set("obj", q.obj);
  if (q.year) p.set("year", q.year);
  if (q.avoid.length) p.set("avoid", q.avoid.join(","));
  if (q.mode.length) p.set("mode", q.mode.join(","));
  if (q.pass.length) p.set("pass", q.pass.join(","));
  if (q.q === "route") { p.set("k", q.k || "3"); if (q.via.length) p.set("via", q.via.join(",")); }
  if ($("layer-geo").checked) p.set("geo", $("geo-mode").value || "1");
  if (!$("layer-network").checked) p.set("net", "0");
  const s = p.toString();
  return s ? `?${s}` : location.pathname;
}

function queryFromURL() {
  const p = new URLSearchParams(location.search);
  const list = (k) => (p.get(k) || "").split(",").map((s) => s.trim()).filter(Boolean);
  return {
    tab: p.get("tab") || "routes", o: p.get("o") || "", d: p.get("d") || "", q: p.get("q") || "compare",
    obj: p.get("obj") || "generalized", year: p.get("year") || "", avoid: list("avoid"),
    mode: list("mode"), pass: list("pass"), k: p.get("k") || "3", via: list("via"),
    geo: p.get("geo"), net: p.get("net") !== "0",
  };
}

function saveURL() {
  const url = urlFromState();
  if (url !== location.search && !(url === location.pathname && !location.search)) history.replaceState(null, "", url);
}

// ------------------------------------------------------------------ running a question

function setLoading(prefix, on, text = "") {
  const st = $(`${prefix}status`);
  st.textContent = text;
  st.classList.toggle("loading", on);
  const res = $(prefix ? `${prefix}results` : "results");
  if (res) res.setAttribute("aria-busy", on ? "true" : "false");
  document.body.dataset.busy = on ? "1" : "0";
}

function showError(box, body, retry) {
  box.replaceChildren();
  box.hidden = false;
  box.className = body.type === "NoRouteError" ? "noroute" : "error";
  box.append(el("strong", { text: body.type === "NoRouteError" ? "No route. " : "" }), body.error || "error");
  if (body.suggestions && body.suggestions.length && retry) {
    box.append(el("div", {}, "Did you mean: ", ...body.suggestions.map((s, i) => [i ? ", " : "",
      el("button", { type: "button", class: "linkish", text: s, onclick: () => retry(s) })])));
  }
  if (body.problems && body.problems.length && body.type !== "RequestValidationError") {
    box.append(el("ul", {}, body.problems.map((p) => el("li", { text: `${p.location || ""}: ${p.message}` }))));
  }
}

function clearRoutes() {
  S.routes = [];
  if (S.mapReady) {
    S.map.getSource("routes").setData(emptyFC());
    S.map.getSource("ends").setData(emptyFC());
  }
  const mapEl = $("map");
  mapEl.dataset.routes = "0";
  mapEl.dataset.families = "";
  $("corridors").hidden = true;
  $("overall").hidden = true;
}

async function runRoutes() {
  const q = readQuery();
  const err = $("error");
  err.hidden = true;
  if (!q.o || !q.d) {
    showError(err, { error: "Choose both an origin and a destination.", type: "Input" });
    (q.o ? $("destination") : $("origin")).focus();
    return;
  }
  saveURL();
  const p = new URLSearchParams({ origin: q.o, destination: q.d, objective: q.obj });
  if (q.year) p.set("year", q.year);
  if (q.avoid.length) p.set("avoid", q.avoid.join(","));
  if (q.mode.length) p.set("avoid_mode", q.mode.join(","));
  if (q.pass.length) p.set("avoid_passage", q.pass.join(","));
  if (q.q === "route") {
    p.set("k", q.k || "3");
    for (const v of q.via) p.append("via", v);
  }
  const my = ++S.seq;
  $("go").disabled = true;
  setLoading("", true, q.q === "compare" ? "Finding the best route of each corridor…" : "Finding the best routes…");
  const r = await api(`/api/${q.q}?${p}`);
  if (my !== S.seq) return;
  $("go").disabled = false;
  setLoading("", false);
  if (!r.ok) {
    clearRoutes();
    const retry = (s) => {
      const bad = (r.body.error || "").match(/'([^']*)'/);
      const field = bad && bad[1] === q.d ? $("destination") : bad && q.via.includes(bad[1]) ? $("via") : $("origin");
      if (field === $("via")) field.value = q.via.map((v) => (v === bad[1] ? s : v)).join(", ");
      else field.value = s;
      runRoutes();
    };
    showError(err, r.body, retry);
    $("status").textContent = r.body.type === "NoRouteError" ? "No route under this policy." : "";
    return;
  }
  render(q, r.body);
}

function render(q, body) {
  const rows = [];
  if (q.q === "compare") {
    for (const c of body.corridors) rows.push(c);
  } else {
    for (const c of body.routes) rows.push({ feasible: true, ...c });
  }
  S.routes = rows.map((r, i) => ({ ...r, idx: i }));
  const feasible = S.routes.filter((r) => r.feasible);
  const features = feasible.map((r) => ({
    type: "Feature", geometry: r.geometry,
    properties: { idx: r.idx, corridor: r.corridor, color: S.colors[r.corridor] || "#7f7f7f" },
  }));
  // best route drawn last, so it sits on top
  features.reverse();
  if (S.mapReady) {
    S.map.getSource("routes").setData({ type: "FeatureCollection", features });
    const ends = [body.origin, body.destination].map((name, i) => {
      const g = feasible.length ? feasible[0].geometry.coordinates : null;
      return g ? { type: "Feature", properties: { end: i ? "destination" : "origin", name },
        geometry: { type: "Point", coordinates: i ? g[g.length - 1] : g[0] } } : null;
    }).filter(Boolean);
    S.map.getSource("ends").setData({ type: "FeatureCollection", features: ends });
    fitTo(feasible.map((r) => r.geometry.coordinates));
  }
  const mapEl = $("map");
  mapEl.dataset.routes = String(features.length);
  mapEl.dataset.families = [...new Set(feasible.map((r) => r.corridor))].join(",");

  const tb = $("corridors").querySelector("tbody");
  tb.replaceChildren();
  for (const r of S.routes) {
    const name = q.q === "route" ? `#${r.idx + 1} ${r.corridor}` : r.corridor;
    const sw = el("span", { class: "swatch", style: `background:${S.colors[r.corridor] || "#7f7f7f"}`, "aria-hidden": "true" });
    if (!r.feasible) {
      tb.append(el("tr", { class: "infeasible", "data-corridor": r.corridor },
        el("th", { scope: "row" }, sw, name), el("td", { class: "reason", colspan: 5, text: r.reason || "no route" })));
      continue;
    }
    const tr = el("tr", { class: "route", tabindex: "0", "data-idx": r.idx, "data-corridor": r.corridor,
      "aria-label": `${name}: ${fmt(r.days, 1)} days, ${fmt(r.usd_per_teu)} US dollars per TEU. Press Enter for its legs.` },
    el("th", { scope: "row" }, sw, name, el("span", { class: "via", text: (r.countries || []).join("–"), title: (r.via || []).join(" › ") })),
    el("td", { class: "num", text: fmt(r.days, 1) }), el("td", { class: "num", text: fmt(r.usd_per_teu) }),
    el("td", { class: "num", text: fmt(r.co2_kg_per_teu) }), el("td", { class: "num", text: fmt(r.borders) }),
    el("td", { class: "num", text: fmt(r.transshipments) }));
    tr.addEventListener("mouseenter", () => highlight(r.idx));
    tr.addEventListener("mouseleave", () => highlight(null));
    tr.addEventListener("focus", () => highlight(r.idx));
    tr.addEventListener("blur", () => highlight(null));
    tr.addEventListener("click", () => showRouteDetails(r.idx));
    tr.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); showRouteDetails(r.idx); } });
    tb.append(tr);
  }
  const pol = body.policy || {};
  const bits = [];
  if (pol.avoid_countries && pol.avoid_countries.length) bits.push(`avoiding ${pol.avoid_countries.join(", ")}`);
  if (pol.avoid_modes && pol.avoid_modes.length) bits.push(`no ${pol.avoid_modes.join(", ")}`);
  if (pol.avoid_passages && pol.avoid_passages.length) bits.push(`not via ${pol.avoid_passages.join(", ")}`);
  if (pol.year) bits.push(`network of ${pol.year}`);
  $("corridors-caption").textContent = `${body.origin} → ${body.destination}` +
    (q.q === "compare" ? ", best of each corridor" : `, ${body.routes.length} best route(s)`) +
    ` (${body.objective})${bits.length ? `; ${bits.join("; ")}` : ""}`;
  $("corridors").hidden = false;
  const ov = $("overall");
  ov.hidden = true;
  if (q.q === "compare" && body.overall) {
    ov.textContent = `Best of all: ${body.overall.corridor}, ${fmt(body.overall.days, 1)} days, ` +
      `$${fmt(body.overall.usd_per_teu)}/TEU, via ${(body.overall.via || []).join(" › ") || "no border or port"}.`;
    ov.hidden = false;
  }
  const err = $("error");
  if (!feasible.length) {
    showError(err, { type: "NoRouteError", error: `No corridor connects ${body.origin} and ${body.destination} under this policy.` });
    $("status").textContent = "No route under this policy.";
  } else {
    $("status").textContent = q.q === "compare"
      ? `${feasible.length} of ${S.routes.length} corridors have a route.` + (body.notice ? ` ${body.notice}.` : "")
      : `${feasible.length} route(s).${body.notice ? ` ${body.notice}.` : ""}`;
  }
  S.lastQuery = q;
}

function highlight(idx) {
  for (const tr of document.querySelectorAll("#corridors tr.route")) tr.classList.toggle("hl", Number(tr.dataset.idx) === idx);
  if (!S.mapReady) return;
  if (idx === null || idx === undefined) {
    S.map.setPaintProperty("routes", "line-opacity", 0.95);
    S.map.setPaintProperty("routes", "line-width", 3.6);
    S.map.setLayoutProperty("routes", "line-sort-key", 0);
    return;
  }
  const is = ["==", ["get", "idx"], idx];
  S.map.setPaintProperty("routes", "line-opacity", ["case", is, 1, 0.18]);
  S.map.setPaintProperty("routes", "line-width", ["case", is, 6, 3]);
  S.map.setLayoutProperty("routes", "line-sort-key", ["case", is, 10, 0]);
}

// ------------------------------------------------------------------ details (clicked link, node or route)

async function sourcesById() {
  if (!S.sources) {
    const r = await api("/api/sources");
    S.sources = new Map(r.ok ? r.body.map((s) => [s.source_id, s]) : []);
  }
  return S.sources;
}

async function sourceList(ids) {
  const all = await sourcesById();
  const ul = el("ul", { class: "sources" });
  for (const id of ids) {
    if (id.startsWith("derived")) { ul.append(el("li", { class: "src", text: id.replace("derived:", "derived: ") })); continue; }
    const s = all.get(id);
    if (!s) { ul.append(el("li", { class: "src", text: id })); continue; }
    const safe = /^https?:\/\//.test(s.url || "") ? s.url : null;
    ul.append(el("li", { class: "src" },
      safe ? el("a", { href: safe, target: "_blank", rel: "noopener noreferrer", text: s.title }) : s.title,
      ` — ${s.publisher || ""}${s.date ? `, ${s.date}` : ""} `, el("code", { text: `[${id}]` })));
  }
  return ul;
}

function splitSources(props) {
  const ids = new Set();
  for (const [k, v] of Object.entries(props)) {
    if ((k.endsWith("_source") || k === "source_id") && v) {
      for (const s of String(v).split(";")) if (s.trim()) ids.add(s.trim());
    }
  }
  return [...ids];
}

function openDetails(title) {
  const d = $("details");
  $("details-title").textContent = title;
  d.hidden = false;
  return $("details-body");
}

const LINK_FIELDS = [["link_id", "id"], ["mode", "mode"], ["gauge", "gauge (mm)"], ["status", "status"],
  ["opening_year", "opening year"], ["from_node_id", "from"], ["to_node_id", "to"], ["length_km", "km"],
  ["speed_kmh", "speed km/h"], ["wait_hours", "wait h"], ["hours", "hours"], ["usd_per_teu", "USD/TEU"],
  ["co2_kg_per_teu", "kg CO₂/TEU"], ["capacity_teu_yr", "capacity TEU/yr"], ["capacity_t_yr", "capacity t/yr"],
  ["passages", "sea passages"], ["notes", "notes"]];
const NODE_FIELDS = [["node_id", "id"], ["kind", "kind"], ["country", "country"], ["aliases", "aliases"],
  ["dwell_hours", "dwell h"], ["dwell_usd", "dwell USD"], ["transship_hours", "transship h"],
  ["transship_usd", "transship USD"], ["capacity_teu_yr", "capacity TEU/yr"], ["capacity_t_yr", "capacity t/yr"],
  ["notes", "notes"]];

async function showFeatureDetails(kind, id) {
  const f = (kind === "link" ? S.linkById : S.nodeById).get(id);
  if (!f) return;
  const p = f.properties;
  const body = openDetails(`${kind === "link" ? "Link" : "Place"}: ${p.name || id}`);
  const dl = el("dl");
  for (const [k, label] of kind === "link" ? LINK_FIELDS : NODE_FIELDS) {
    const v = p[k];
    if (v === null || v === undefined || v === "") continue;
    dl.append(el("dt", { text: label }), el("dd", { text: typeof v === "number" ? fmt(v, Number.isInteger(v) ? 0 : 1) : String(v) }));
  }
  body.replaceChildren(dl, el("strong", { text: "sources" }), await sourceList(splitSources(p)));
}

async function showRouteDetails(idx) {
  const r = S.routes[idx];
  if (!r || !r.feasible) return;
  const body = openDetails(`${r.corridor} route: ${r.origin} → ${r.destination}`);
  const t = el("table", { class: "data" }, el("thead", {}, el("tr", {},
    ["from", "to", "mode", "km", "hours", "USD"].map((h) => el("th", { scope: "col", class: ["km", "hours", "USD"].includes(h) ? "num" : null, text: h })))));
  const tb = el("tbody");
  for (const leg of r.legs || []) {
    tb.append(el("tr", {}, el("td", { text: leg.from }), el("td", { text: leg.kind === "link" ? leg.to : leg.detail }),
      el("td", { text: leg.mode + (leg.gauge ? ` ${leg.gauge}` : "") }), el("td", { class: "num", text: fmt(leg.km) }),
      el("td", { class: "num", text: fmt(leg.hours, 1) }), el("td", { class: "num", text: fmt(leg.usd) })));
  }
  t.append(tb);
  body.replaceChildren(
    el("p", { class: "note", text: `${fmt(r.days, 1)} days, $${fmt(r.usd_per_teu)}/TEU, ${fmt(r.co2_kg_per_teu)} kg CO₂/TEU, ` +
      `${fmt(r.km)} km; countries ${(r.countries || []).join("–")}` }),
    t, el("strong", { text: "sources" }), await sourceList(r.sources || []));
  highlight(idx);
}

// ------------------------------------------------------------------ flows

async function runFlows() {
  const method = $("flow-method").value;
  const year = $("flow-year").value.trim();
  $("flow-error").hidden = true;
  $("flow-go").disabled = true;
  setLoading("flow-", true, "Assigning the 2024 demand… (the first run of a method takes a few seconds)");
  const r = await api(`/api/assign?method=${encodeURIComponent(method)}${year ? `&year=${encodeURIComponent(year)}` : ""}`);
  $("flow-go").disabled = false;
  setLoading("flow-", false);
  const out = $("flow-results");
  out.replaceChildren();
  if (!r.ok) { showError($("flow-error"), r.body); return; }
  const b = r.body;
  const s = b.summary || {};
  $("flow-status").textContent = `${b.method}: ${s.iterations ?? "?"} iteration(s), relative gap ${s.rgap !== undefined ? Number(s.rgap).toExponential(1) : "?"}` +
    `${s.converged === false ? " (not converged)" : ""}; ${b.links.length} loaded links.`;
  const corr = s.corridors_teu || {};
  if (Object.keys(corr).length) {
    const t = el("table", { class: "data" }, el("caption", { text: "TEU a year per corridor" }),
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "corridor" }), el("th", { scope: "col", class: "num", text: "TEU/yr" }))));
    const tb = el("tbody");
    for (const [k, v] of Object.entries(corr)) {
      tb.append(el("tr", {}, el("th", { scope: "row" }, el("span", { class: "swatch", style: `background:${S.colors[k] || "#7f7f7f"}` }), k),
        el("td", { class: "num", text: fmt(v) })));
    }
    t.append(tb);
    out.append(t);
  }
  const over = s.over_90pct || [];
  const t2 = el("table", { class: "data" }, el("caption", { text: `Over 90% of capacity (${over.length})` }),
    el("thead", {}, el("tr", {}, ["where", "TEU/yr", "capacity", "v/c"].map((h, i) => el("th", { scope: "col", class: i ? "num" : null, text: h })))));
  const tb2 = el("tbody");
  for (const o of over) {
    tb2.append(el("tr", {}, el("td", { text: o.name || o.id }), el("td", { class: "num", text: fmt(o.flow_teu) }),
      el("td", { class: "num", text: fmt(o.capacity_teu_yr) }), el("td", { class: "num", text: fmt(o.v_c, 2) })));
  }
  if (!over.length) tb2.append(el("tr", {}, el("td", { colspan: 4, text: "none" })));
  t2.append(tb2);
  out.append(t2);
  if (S.mapReady) {
    const feats = [];
    for (const row of b.links) {
      const f = S.linkById.get(row.link_id);
      if (!f) continue;
      const props = { link_id: row.link_id, flow_teu: row.flow_teu };
      if (typeof row.v_c === "number" && Number.isFinite(row.v_c)) props.v_c = row.v_c;  // else: no capacity known
      feats.push({ type: "Feature", geometry: f.geometry, properties: props });
    }
    S.map.getSource("flows").setData({ type: "FeatureCollection", features: feats });
  }
  $("map").dataset.flows = String(b.links.length);
}

// ------------------------------------------------------------------ Caspian

async function runCaspian() {
  const body = { sea_level: Number($("sea-level").value), replications: Number($("replications").value) || 50,
    vessels_add: {}, deepen: {} };
  for (const i of document.querySelectorAll("#fleet input")) if (Number(i.value)) body.vessels_add[i.dataset.kind] = Number(i.value);
  for (const i of document.querySelectorAll("#deepen input")) if (Number(i.value)) body.deepen[i.dataset.port] = Number(i.value);
  $("caspian-error").hidden = true;
  $("caspian-go").disabled = true;
  setLoading("caspian-", true, `Simulating ${body.replications} years of the Caspian crossing…`);
  const r = await api("/api/caspian/simulate", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  $("caspian-go").disabled = false;
  setLoading("caspian-", false);
  const out = $("caspian-results");
  out.replaceChildren();
  if (!r.ok) { showError($("caspian-error"), r.body); return; }
  const b = r.body;
  $("caspian-status").textContent = `${b.replications} simulated years at sea level ${b.sea_level >= 0 ? "+" : ""}${b.sea_level.toFixed(2)} m (${b.seconds} s).`;
  const ports = Object.entries(b.ports);
  const top = Math.max(1, ...ports.map(([, v]) => v.p90_wait_hours || 0));
  const bars = el("div", { class: "bars", role: "img", "aria-label": "Mean and p90 waits per port, hours" });
  for (const [name, v] of ports) {
    bars.append(el("span", { text: name }),
      el("div", {}, el("div", { class: "bar", style: `width:${(100 * (v.mean_wait_hours || 0)) / top}%` }),
        el("div", { class: "bar p90", style: `width:${(100 * (v.p90_wait_hours || 0)) / top}%` })),
      el("span", { text: `${fmt(v.mean_wait_hours, 0)} / ${fmt(v.p90_wait_hours, 0)} h` }));
  }
  out.append(el("p", { class: "note", text: "Wait before boarding: mean (dark) and p90 (light), hours." }), bars);
  const t = el("table", { class: "data" }, el("caption", { text: "Ports" }), el("thead", {}, el("tr", {},
    ["port", "mean wait h", "p90 wait h", "units/yr", "max backlog"].map((h, i) => el("th", { scope: "col", class: i ? "num" : null, text: h })))));
  const tb = el("tbody");
  for (const [name, v] of ports) {
    tb.append(el("tr", {}, el("th", { scope: "row", text: name }), el("td", { class: "num", text: fmt(v.mean_wait_hours, 1) }),
      el("td", { class: "num", text: fmt(v.p90_wait_hours, 1) }), el("td", { class: "num", text: fmt(v.throughput) }),
      el("td", { class: "num", text: fmt(v.max_mean_backlog) })));
  }
  t.append(tb);
  out.append(t);
  const vt = el("table", { class: "data" }, el("caption", { text: "Vessels" }), el("thead", {}, el("tr", {},
    ["kind", "utilisation", "load factor"].map((h, i) => el("th", { scope: "col", class: i ? "num" : null, text: h })))));
  const vb = el("tbody");
  for (const [k, v] of Object.entries(b.vessel_types || {})) {
    vb.append(el("tr", {}, el("th", { scope: "row", text: k }), el("td", { class: "num", text: `${fmt(100 * v.utilisation)}%` }),
      el("td", { class: "num", text: `${fmt(100 * v.load_factor)}%` })));
  }
  vt.append(vb);
  out.append(vt);
  if (b.excluded_vessels && b.excluded_vessels.length) {
    out.append(el("p", { class: "noroute", text: `Cannot berth at this sea level: ${b.excluded_vessels.join(", ")}` }));
  }
  if (S.mapReady) {
    // each origin port as a circle sized and coloured by its mean wait
    const byName = new Map([...S.nodeById.values()].map((f) => [f.properties.name, f]));
    const feats = ports.filter(([name]) => byName.has(name)).map(([name, v]) => ({
      type: "Feature", geometry: byName.get(name).geometry, properties: { name, mean_wait_hours: v.mean_wait_hours || 0 } }));
    S.map.getSource("caspian").setData({ type: "FeatureCollection", features: feats });
    fitTo([feats.map((f) => f.geometry.coordinates)]);
  }
  $("map").dataset.caspian = String(ports.length);
}

// ------------------------------------------------------------------ tabs

function selectTab(name, focus = false) {
  S.tab = name;
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    const on = tab.id === `tab-${name}`;
    tab.setAttribute("aria-selected", on ? "true" : "false");
    tab.tabIndex = on ? 0 : -1;
    if (on && focus) tab.focus();
    $(tab.getAttribute("aria-controls")).hidden = !on;
  }
  setVisible("flows", name === "flows");
  setVisible("caspian-waits", name === "caspian");
  setVisible("delta", name === "scenarios");
  for (const id of ["routes", "routes-casing", "ends"]) setVisible(id, name === "routes");
  renderLegend();
  saveURL();
}

function wireTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  for (const tab of tabs) {
    tab.addEventListener("click", () => selectTab(tab.id.slice(4)));
    tab.addEventListener("keydown", (e) => {
      const shown = tabs.filter((t) => !t.hidden);
      const i = shown.indexOf(tab);
      let j = null;
      if (e.key === "ArrowRight") j = (i + 1) % shown.length;
      else if (e.key === "ArrowLeft") j = (i - 1 + shown.length) % shown.length;
      else if (e.key === "Home") j = 0;
      else if (e.key === "End") j = shown.length - 1;
      if (j !== null) { e.preventDefault(); selectTab(shown[j].id.slice(4), true); }
    });
  }
}

// ------------------------------------------------------------------ start

function wire() {
  combobox($("origin"), $("origin-list"));
  combobox($("destination"), $("destination-list"));
  $("route-form").addEventListener("submit", (e) => { e.preventDefault(); runRoutes(); });
  $("swap").addEventListener("click", () => {
    const o = $("origin").value;
    $("origin").value = $("destination").value;
    $("destination").value = o;
    if (S.lastQuery) runRoutes();
  });
  // changing a toggle re-asks the question once one has been asked
  $("route-form").addEventListener("change", (e) => {
    if (e.target.name === "question") syncQuestion();
    if (S.lastQuery && e.target.type !== "text" && e.target.type !== "number") runRoutes();
  });
  $("share").addEventListener("click", async () => {
    saveURL();
    try { await navigator.clipboard.writeText(location.href); $("status").textContent = "Link copied."; }
    catch { $("status").textContent = `Link: ${location.href}`; }
  });
  $("details-close").addEventListener("click", () => { $("details").hidden = true; highlight(null); });
  $("layer-network").addEventListener("change", (e) => { setNetworkVisible(e.target.checked); renderLegend(); saveURL(); });
  $("flow-form").addEventListener("submit", (e) => { e.preventDefault(); runFlows(); });
  $("caspian-form").addEventListener("submit", (e) => { e.preventDefault(); runCaspian(); });
  $("sea-level").addEventListener("input", (e) => {
    const v = Number(e.target.value);
    $("sea-level-out").textContent = `${v >= 0 ? "+" : ""}${v.toFixed(2)}`;
  });
  wireTabs();
}

async function main() {
  document.body.dataset.ready = "0";
  const [ml, meta] = await Promise.all([loadMapLibrary(), api("/api/meta")]);
  if (!meta.ok) {
    showMapMessage(`The server did not describe itself: ${meta.body.error}`);
    return;
  }
  S.maplibre = ml;
  S.meta = meta.body;
  for (const f of S.meta.families) S.colors[f.id] = f.color;
  buildForm();
  wire();
  const q = queryFromURL();
  writeForm(q);
  $("layer-network").checked = q.net;
  await initMap();
  if (S.meta.features.scenarios) await initScenarios();
  if (S.meta.features.geopolitics) await initGeopolitics(q.geo);
  selectTab(["routes", "flows", "caspian", "scenarios"].includes(q.tab) && !$(`tab-${q.tab}`).hidden ? q.tab : "routes");
  document.body.dataset.ready = "1";
  if (q.o && q.d) await runRoutes();
}

// ------------------------------------------------------------------ scenarios (when the library has them)

async function initScenarios() {
  const r = await api("/api/scenarios");
  if (!r.ok || !r.body.length) return;
  S.scenarios = r.body;
  const names = r.body.map((x) => x.name);
  const pick = (id, label, value) => {
    const sel = el("select", { id, name: id }, names.map((n) => el("option", { value: n, text: n })));
    sel.value = names.includes(value) ? value : names[0];
    sel.addEventListener("change", describeScenarios);
    return el("div", { class: "field" }, el("label", { for: id, text: label }), sel);
  };
  const form = el("form", { id: "scenario-form" },
    el("p", { class: "note", text: "Bundled what-if scenarios, each assigned with the library's default method " +
      "(a few seconds per scenario the first time, then kept). B minus A:" }),
    el("div", { class: "row" }, pick("scenario-a", "A (reference)", "baseline-2024"), pick("scenario-b", "B", "sanctions-strict")),
    el("div", { id: "scenario-desc", class: "note" }),
    el("div", { class: "actions" }, el("button", { type: "submit", class: "primary", id: "scenario-go", text: "Compare scenarios" })));
  form.addEventListener("submit", (e) => { e.preventDefault(); runScenarioDiff(); });
  $("scenario-body").replaceChildren(form,
    el("div", { id: "scenario-status", class: "status", role: "status", "aria-live": "polite" }),
    el("div", { id: "scenario-error", class: "error", role: "alert", hidden: true }),
    el("div", { id: "scenario-results", "aria-busy": "false" }));
  describeScenarios();
  $("tab-scenarios").hidden = false;
}

function describeScenarios() {
  const by = new Map(S.scenarios.map((x) => [x.name, x]));
  const d = $("scenario-desc");
  d.replaceChildren(...["scenario-a", "scenario-b"].map((id) => {
    const x = by.get($(id).value);
    return el("p", {}, el("strong", { text: `${x.name}${x.year ? ` (${x.year})` : ""}: ` }), x.description || "");
  }));
}

async function runScenarioDiff() {
  const a = $("scenario-a").value;
  const b = $("scenario-b").value;
  $("scenario-error").hidden = true;
  $("scenario-go").disabled = true;
  setLoading("scenario-", true, `Running ${a} and ${b}… (a few seconds per scenario the first time)`);
  const r = await api(`/api/scenarios/diff?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);
  $("scenario-go").disabled = false;
  setLoading("scenario-", false);
  const out = $("scenario-results");
  out.replaceChildren();
  if (!r.ok) { showError($("scenario-error"), r.body); return; }
  const d = r.body;
  const tot = d.totals || {};
  const line = (k, label, nd) => (tot[k] ? `${label} ${fmt(tot[k].a, nd)} → ${fmt(tot[k].b, nd)}` : null);
  $("scenario-status").textContent = [line("mean_days", "mean days", 1), line("usd_per_teu", "USD/TEU", 0)]
    .filter(Boolean).join("; ") + ".";
  const t = el("table", { class: "data" }, el("caption", { text: `Corridors: ${a} → ${b}` }), el("thead", {}, el("tr", {},
    ["corridor", "kTEU A", "kTEU B", "share A→B", "days A→B"].map((h, i) => el("th", { scope: "col", class: i ? "num" : null, text: h })))));
  const tb = el("tbody");
  for (const c of d.corridors || []) {
    tb.append(el("tr", { "data-corridor": c.corridor },
      el("th", { scope: "row" }, el("span", { class: "swatch", style: `background:${S.colors[c.corridor] || "#7f7f7f"}` }), c.corridor),
      el("td", { class: "num", text: fmt((c.teu_a || 0) / 1000) }), el("td", { class: "num", text: fmt((c.teu_b || 0) / 1000) }),
      el("td", { class: "num", text: `${fmt(100 * (c.share_a || 0), 1)}→${fmt(100 * (c.share_b || 0), 1)}%` }),
      el("td", { class: "num", text: `${fmt(c.mean_days_a, 1)}→${fmt(c.mean_days_b, 1)}` })));
  }
  t.append(tb);
  out.append(t);
  const countries = (d.countries || []).filter((c) => Math.abs(c.d_teu) > 0.5).slice(0, 8);
  if (countries.length) {
    out.append(el("table", { class: "data" }, el("caption", { text: "Countries whose entering volume changes most (kTEU a year)" }),
      el("tbody", {}, countries.map((c) => el("tr", {}, el("th", { scope: "row", text: c.country }),
        el("td", { class: "num", text: `${fmt(c.teu_a / 1000)} → ${fmt(c.teu_b / 1000)}` }),
        el("td", { class: "num", text: `${c.d_teu >= 0 ? "+" : ""}${fmt(c.d_teu / 1000)}` }))))));
  }
  const links = d.links || [];
  if (links.length) {
    out.append(el("table", { class: "data" }, el("caption", { text: "Links whose load changes most (kTEU a year, B − A)" }),
      el("tbody", {}, links.map((l) => el("tr", {}, el("td", { text: l.label || l.link_id }),
        el("td", { class: "num", text: `${l.d_teu >= 0 ? "+" : ""}${fmt(l.d_teu / 1000)}` }))))));
  }
  if (S.mapReady) {
    const feats = links.filter((l) => S.linkById.has(l.link_id)).map((l) => ({ type: "Feature",
      geometry: S.linkById.get(l.link_id).geometry, properties: { link_id: l.link_id, d_teu: l.d_teu } }));
    S.map.getSource("delta").setData({ type: "FeatureCollection", features: feats });
    fitTo(feats.map((f) => f.geometry.coordinates));
  }
  $("map").dataset.delta = String(links.length);
}

// ------------------------------------------------------------------ geopolitical layer

// pale fills, so that the corridors drawn over them keep their colours
const BLOC_COLORS = { EU: "#8fb3e0", EAEU: "#e09a88", CSTO: "#c29bc2", OTS: "#7fc9bd", SCO: "#ebcb6e", TITR: "#9ccc8a" };
const MAIN_BLOCS = ["EU", "EAEU", "OTS", "SCO"];
const SANCTION_COLORS = { eu_us_sectoral: "#eb8c99", un_comprehensive: "#b0303f" };

async function initGeopolitics(param) {
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

function geoColor(c, mode) {
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

function applyGeo() {
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

async function showCountryDetails(iso3) {
  const c = S.geoByIso && S.geoByIso.get(iso3);
  if (!c) return;
  const body = openDetails(`Country: ${c.name} (${c.iso3})`);
  const dl = el("dl", {}, el("dt", { text: "blocs" }), el("dd", { text: c.blocs.join(", ") || "none of the tracked blocs" }),
    el("dt", { text: "observer" }), el("dd", { text: (c.observer || []).join(", ") || "–" }),
    el("dt", { text: "sanctions" }), el("dd", { text: c.sanctions.replaceAll("_", " ") }));
  if (c.notes) dl.append(el("dt", { text: "notes" }), el("dd", { text: c.notes }));
  body.replaceChildren(dl, el("strong", { text: "sources" }), await sourceList(String(c.source_id || "").split(";").map((x) => x.trim()).filter(Boolean)));
}

main();
