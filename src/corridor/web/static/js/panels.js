// The other panels: assigned flows, the Caspian simulation, scenario comparison.

import { $, S, api, el, fmt } from "./core.js";
import { fitTo } from "./map.js";
import { setLoading, showError } from "./routes.js";

// ------------------------------------------------------------------ flows

export async function runFlows() {
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
    const marks = [];
    for (const o of over) {
      const f = o.kind === "node" ? S.nodeById.get(o.id) : S.linkById.get(o.id);
      if (!f || typeof o.v_c !== "number") continue;
      const cs = f.geometry.type === "Point" ? [f.geometry.coordinates] : f.geometry.coordinates;
      marks.push({ type: "Feature", geometry: { type: "Point", coordinates: cs[Math.floor(cs.length / 2)] },
        properties: { id: o.id, kind: o.kind, v_c: o.v_c } });
    }
    S.map.getSource("flows-over").setData({ type: "FeatureCollection", features: marks });
  }
  $("map").dataset.flows = String(b.links.length);
}

// ------------------------------------------------------------------ Caspian

export async function runCaspian() {
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

// ------------------------------------------------------------------ scenarios (when the library has them)

export async function initScenarios() {
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

export function describeScenarios() {
  const by = new Map(S.scenarios.map((x) => [x.name, x]));
  const d = $("scenario-desc");
  d.replaceChildren(...["scenario-a", "scenario-b"].map((id) => {
    const x = by.get($(id).value);
    return el("p", {}, el("strong", { text: `${x.name}${x.year ? ` (${x.year})` : ""}: ` }), x.description || "");
  }));
}

export async function runScenarioDiff() {
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
