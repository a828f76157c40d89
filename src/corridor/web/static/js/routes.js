// The corridors panel: place pickers, the question form and its URL, results table, details of a clicked item.

import { $, S, TOP_AVOID, api, el, fmt } from "./core.js";
import { closeDetails, fillDetails, openDetails, sourceList } from "./details.js";
import { renderLegend } from "./legend.js";
import { fitTo, setData } from "./map.js";
import { saveURL } from "./url.js";

// ------------------------------------------------------------------ combobox (place pickers)

export function combobox(input, list) {
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

export function chip(container, name, value, label, title) {
  const id = `${name}-${value}`;
  container.append(el("label", { for: id, title },
    el("input", { type: "checkbox", id, name, value }), ` ${label}`));
}

export function buildForm() {
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
  const years = [...(m.recorded_years || [])].reverse();
  if (years.length) $("flow-world").append(el("option", { value: "latest", text: `${years[0]} as recorded (latest)` }));
  for (const y of years.slice(1)) $("flow-world").append(el("option", { value: String(y), text: `${y} as recorded` }));
  $("flow-world").append(el("option", { value: "none", text: "network alone (2024 demand)" }));
  $("flow-world").value = years.length ? (m.default_world || "latest") : "none";
  const alone = () => { $("flow-year").disabled = $("flow-world").value !== "none"; };
  $("flow-world").addEventListener("change", alone);
  alone();
  for (const kind of m.caspian.vessel_kinds) {
    $("fleet").append(el("label", {}, kind.replace("_", " "),
      el("input", { type: "number", name: `fleet-${kind}`, "data-kind": kind, min: -10, max: 20, value: 0, step: 1 })));
  }
  for (const port of m.caspian.ports) {
    $("deepen").append(el("label", {}, port,
      el("input", { type: "number", name: `deepen-${port}`, "data-port": port, min: 0, max: 10, value: 0, step: 0.5 })));
  }
}

export function checked(name) {
  return [...document.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
}

export function readQuery() {
  return {
    o: $("origin").value.trim(), d: $("destination").value.trim(),
    q: document.querySelector('input[name="question"]:checked').value,
    obj: $("objective").value, year: $("year").value.trim(),
    avoid: checked("avoid"), mode: checked("avoid_mode"), pass: checked("avoid_passage"),
    k: $("k").value.trim(), via: $("via").value.split(",").map((s) => s.trim()).filter(Boolean),
  };
}

export function writeForm(q) {
  $("origin").value = q.o || "";
  $("destination").value = q.d || "";
  const radio = document.querySelector(`input[name="question"][value="${q.q === "route" ? "route" : "compare"}"]`);
  radio.checked = true;
  if (q.obj && [...$("objective").options].some((o) => o.value === q.obj)) $("objective").value = q.obj;
  $("year").value = q.year || "";
  $("k").value = q.k || "3";
  $("via").value = (q.via || []).join(", ");
  for (const [name, vals] of [["avoid", q.avoid], ["avoid_mode", q.mode], ["avoid_passage", q.pass]]) {
    const boxes = [...document.querySelectorAll(`input[name="${name}"]`)];
    const want = new Set((vals || []).map((v) => boxValue(boxes, v, name === "avoid" ? S.meta.avoid_aliases : null)));
    for (const box of boxes) box.checked = want.has(box.value);
  }
  const shown = [...document.querySelectorAll("#avoid-top input")].filter((i) => i.checked).length;
  if (checked("avoid").length > shown) $("avoid-more").closest("details").open = true;
  syncQuestion();
}

// The box a URL value means: the box with exactly that value; else a group offered under another
// name (the region 'eu' is the bloc 'EU'); else the one box whose value differs only in case
// (an old link's 'rus'). Never two boxes for one value.
export function boxValue(boxes, v, aliases) {
  if (boxes.some((b) => b.value === v)) return v;
  const al = aliases && (aliases[v] || aliases[v.toLowerCase()]);
  if (al && boxes.some((b) => b.value === al)) return al;
  const ci = boxes.filter((b) => b.value.toLowerCase() === v.toLowerCase());
  return ci.length === 1 ? ci[0].value : null;
}

export function syncQuestion() {
  const route = document.querySelector('input[name="question"]:checked').value === "route";
  document.querySelector(".route-only").hidden = !route;
}

// ------------------------------------------------------------------ running a question

// A busy note with the seconds elapsed, so that a long first run is seen to be running.
export function setLoading(prefix, on, text = "") {
  const st = $(`${prefix}status`);
  S.timers = S.timers || {};
  clearInterval(S.timers[prefix]);
  st.classList.toggle("loading", on);
  if (on) {
    const t0 = performance.now();
    const tick = () => {
      const s = Math.round((performance.now() - t0) / 1000);
      st.textContent = s >= 2 ? `${text} ${s} s so far.` : text;
    };
    tick();
    S.timers[prefix] = setInterval(tick, 1000);
  } else {
    st.textContent = text;
  }
  const res = $(prefix ? `${prefix}results` : "results");
  if (res) res.setAttribute("aria-busy", on ? "true" : "false");
  document.body.dataset.busy = on ? "1" : "0";
}

export function showError(box, body, retry) {
  closeDetails();
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

export function clearRoutes() {
  S.routes = [];
  S.routesKind = null;
  renderLegend();
  setData("routes", []);
  setData("route-places", []);
  const mapEl = $("map");
  mapEl.dataset.routes = "0";
  mapEl.dataset.families = "";
  mapEl.dataset.gateways = "";
  $("corridors").hidden = true;
  $("overall").hidden = true;
}

export async function runRoutes() {
  const q = readQuery();
  const err = $("error");
  err.hidden = true;
  closeDetails();
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

export function render(q, body) {
  const rows = [];
  if (q.q === "compare") {
    for (const c of body.corridors) rows.push(c);
  } else {
    for (const c of body.routes) rows.push({ feasible: true, ...c });
  }
  S.routes = rows.map((r, i) => ({ ...r, idx: i }));
  S.routesKind = q.q;
  styleRoutes(S.routes, q.q === "route");
  const feasible = S.routes.filter((r) => r.feasible);
  const features = feasible.map((r) => ({
    type: "Feature", geometry: r.geometry,
    properties: { idx: r.idx, corridor: r.corridor, color: r.color, dash: r.dash, offset: r.offset, label: routeName(r) },
  }));
  // best route drawn last, so it sits on top
  features.reverse();
  setData("routes", features);
  const places = routePlaces(body, feasible);
  setData("route-places", places);
  if (S.mapReady) fitTo(feasible.map((r) => r.geometry.coordinates));
  $("map").dataset.gateways = places.filter((p) => p.properties.role === "gateway").map((p) => p.properties.name).join("|");
  renderLegend();
  const mapEl = $("map");
  mapEl.dataset.routes = String(features.length);
  mapEl.dataset.families = [...new Set(feasible.map((r) => r.corridor))].join(",");

  const tb = $("corridors").querySelector("tbody");
  tb.replaceChildren();
  for (const r of S.routes) {
    const name = routeName(r);
    const sw = swatch(r);
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
  const via = (body.via || []).length ? ` via ${body.via.join(", ")}` : "";
  $("corridors-caption").textContent = `${body.origin} → ${body.destination}${via}` +
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

// k best routes are often of one family: rank within the family sets a shade of the family's
// colour and a dash pattern (4 shades × 3 patterns, so neighbours differ in both). The best of a
// family keeps its colour and a solid line.
export const SHADES = [0, -0.38, 0.42, -0.62];
export const DASHES = ["solid", "dash", "dot"];

export function shade(hex, t) {
  const n = parseInt(hex.slice(1), 16);
  const mix = (c) => Math.round(t < 0 ? c * (1 + t) : c + (255 - c) * t);
  const rgb = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map(mix);
  return `#${rgb.map((c) => c.toString(16).padStart(2, "0")).join("")}`;
}

export function styleRoutes(routes, byRank) {
  const seen = {};
  let i = 0;
  for (const r of routes) {
    const base = S.colors[r.corridor] || "#7f7f7f";
    const k = byRank && r.feasible ? (seen[r.corridor] = (seen[r.corridor] ?? -1) + 1) : 0;
    r.color = shade(base, SHADES[k % SHADES.length]);
    r.dash = DASHES[k % DASHES.length];
    // side by side where routes share a track: the best on the line, the others 4.5 px either side
    r.offset = r.feasible ? OFFSETS[i++ % OFFSETS.length] : 0;
  }
}

export const OFFSETS = [0, 4.5, -4.5, 9, -9, 13.5, -13.5, 18, -18, 22.5];

// The places a result names on the map: its two ends and the via places asked for, and the
// gateways (border crossings, ports) its routes pass, each once, with the routes that use it.
export function routePlaces(body, feasible) {
  const out = new Map();
  const add = (name, role, route) => {
    const f = S.nodeByName && S.nodeByName.get(name);
    if (!f) return;
    const p = out.get(f.properties.node_id);
    if (p) { if (route && !p.properties.routes.includes(route)) p.properties.routes.push(route); return; }
    out.set(f.properties.node_id, { type: "Feature", geometry: f.geometry,
      properties: { node_id: f.properties.node_id, name, role, kind: f.properties.kind, routes: route ? [route] : [] } });
  };
  if (feasible.length) {
    const first = (feasible[0].legs || [])[0];
    const last = (feasible[0].legs || []).slice(-1)[0];
    if (first) add(first.from, "end");
    if (last) add(last.kind === "link" ? last.to : last.from, "end");
  }
  for (const v of body.via || []) add(v, "end");  // the places asked to pass, named as the ends are
  for (const r of feasible) for (const g of r.via || []) add(g, "gateway", routeName(r));
  return [...out.values()];
}

// a small sample of the line as drawn (colour and dash), for the table and the legend
export function swatch(r) {
  const c = r.color || S.colors[r.corridor] || "#7f7f7f";
  const bg = r.dash === "dash" ? `repeating-linear-gradient(90deg, ${c} 0 6px, transparent 6px 9px)`
    : r.dash === "dot" ? `repeating-linear-gradient(90deg, ${c} 0 3px, transparent 3px 6px)` : c;
  return el("span", { class: `swatch${S.routesKind === "route" ? " bar" : ""}`, style: `background:${bg}`,
    "data-style": `${c} ${r.dash || "solid"}`, "aria-hidden": "true" });
}

export function routeName(r) {
  return S.routesKind === "route" ? `#${r.idx + 1} ${r.corridor}` : r.corridor;
}

export function highlight(idx) {
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

// ------------------------------------------------------------------ a route's details

export async function showRouteDetails(idx) {
  const r = S.routes[idx];
  if (!r || !r.feasible) return;
  const seq = openDetails(`${routeName(r)} route: ${r.origin} → ${r.destination}`);
  const t = el("table", { class: "data" }, el("thead", {}, el("tr", {},
    ["from", "to", "mode", "km", "hours", "USD"].map((h) => el("th", { scope: "col", class: ["km", "hours", "USD"].includes(h) ? "num" : null, text: h })))));
  const tb = el("tbody");
  for (const leg of r.legs || []) {
    tb.append(el("tr", {}, el("td", { text: leg.from }), el("td", { text: leg.kind === "link" ? leg.to : leg.detail }),
      el("td", { text: leg.mode + (leg.gauge ? ` ${leg.gauge}` : "") }), el("td", { class: "num", text: fmt(leg.km) }),
      el("td", { class: "num", text: fmt(leg.hours, 1) }), el("td", { class: "num", text: fmt(leg.usd) })));
  }
  t.append(tb);
  const shown = fillDetails(seq,
    el("p", { class: "note", text: `${fmt(r.days, 1)} days, $${fmt(r.usd_per_teu)}/TEU, ${fmt(r.co2_kg_per_teu)} kg CO₂/TEU, ` +
      `${fmt(r.km)} km; countries ${(r.countries || []).join("–")}` }),
    t, el("strong", { text: "sources" }), await sourceList(r.sources || []));
  if (shown) highlight(idx);
}
