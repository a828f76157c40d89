// The Flows panel: the bundled demand assigned to the network, link load against capacity per
// direction, with hover and click details on the map and the tables as CSV downloads.

import { $, S, api, el, fmt } from "./core.js";
import { fillDetails, openDetails, sourcesAndDerived } from "./details.js";
import { renderLegend } from "./legend.js";
import { setData } from "./map.js";
import { setLoading, showError } from "./routes.js";
import { saveURL } from "./url.js";

const TABLE_NAMES = { link_flows: "links", node_flows: "places", corridors: "corridors",
  over_capacity: "over capacity", route_flows: "routes" };

// "about 7 s" from the server's record of the last first run, or what a first run does
export function firstRunNote(seconds, what) {
  return seconds ? `the last first ${what} here took ${fmt(seconds)} s` : `a first ${what} takes seconds to a minute on a small server`;
}

export async function runFlows() {
  const method = $("flow-method").value;
  const world = $("flow-world").value || "none";
  const year = world === "none" ? $("flow-year").value.trim() : "";
  $("flow-error").hidden = true;
  $("flow-go").disabled = true;
  const status = await api("/api/status");
  const st = status.ok ? status.body.assign : { computed: [], seconds: {} };
  const label = $("flow-world").selectedOptions[0]?.text || "the network alone";
  const kept = st.computed.some(([m, y, w]) => m === method && String(y ?? "") === year &&
    (world === "none" ? w === null : w !== null && (world === "latest" || w === `world-${world}`)));
  setLoading("flow-", true, kept ? `Fetching the ${method} assignment (kept from an earlier run)…`
    : `Assigning the demand of ${label} with ${method}: every origin–destination pair is routed; ${firstRunNote(st.seconds[method], `${method} run`)}. It is kept afterwards.`);
  const q = `method=${encodeURIComponent(method)}&world=${encodeURIComponent(world)}${year ? `&year=${encodeURIComponent(year)}` : ""}`;
  const r = await api(`/api/assign?${q}`);
  $("flow-go").disabled = false;
  setLoading("flow-", false);
  const out = $("flow-results");
  out.replaceChildren();
  if (!r.ok) { showError($("flow-error"), r.body); return; }
  S.ran.flows = true;
  S.pending.flows = false;
  saveURL();
  const b = r.body;
  const s = b.summary || {};
  $("flow-status").textContent = `${b.method} ${b.world ? `in ${b.world}` : "on the network alone"}: ${s.iterations ?? "?"} iteration(s), relative gap ${s.rgap !== undefined ? Number(s.rgap).toExponential(1) : "?"}` +
    `${s.converged === false ? " (not converged)" : ""}; ${b.links.length} loaded links. Hover or click a flow line for its two directions.`;
  out.append(el("p", { class: "downloads" }, "Download CSV: ", ...b.tables.flatMap((t, i) => [i ? " · " : "",
    el("a", { href: `/api/assign/table?name=${t}&${q}`, download: `corridor-${t}-${method}-${b.world || year || "network"}.csv`,
      "data-table": t, text: TABLE_NAMES[t] || t })])));
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
    out.append(el("div", { class: "scroll" }, t));
  }
  // each row is the queue that binds: one direction of a link, with that direction's load
  const over = s.over_90pct || [];
  const t2 = el("table", { class: "data", id: "over-table" }, el("caption", { text: `Over 90% of capacity (${over.length}): the busier direction` }),
    el("thead", {}, el("tr", {}, ["where", "load/yr", "capacity/yr", "v/c"].map((h, i) => el("th", { scope: "col", class: i ? "num" : null, text: h })))));
  const tb2 = el("tbody");
  for (const o of over) {
    const unit = o.queue_unit && o.queue_unit !== "TEU" ? ` ${o.queue_unit}` : "";
    tb2.append(el("tr", { "data-id": o.id, class: o.kind === "link" ? "route" : null, tabindex: o.kind === "link" ? "0" : null,
      onclick: o.kind === "link" ? () => showFlowDetails(o.id) : null,
      onkeydown: o.kind === "link" ? (e) => { if (e.key === "Enter") showFlowDetails(o.id); } : null },
    el("td", {}, o.name || o.id, el("span", { class: "via", text: o.kind === "link" ? directionName(o.id, o.direction) : "place (all traffic)" })),
    el("td", { class: "num", text: fmt(o.queue_load) + unit }), el("td", { class: "num", text: fmt(o.queue_capacity) + unit }),
    el("td", { class: "num", text: fmt(o.v_c, 2) })));
  }
  if (!over.length) tb2.append(el("tr", {}, el("td", { colspan: 4, text: "none" })));
  t2.append(tb2);
  out.append(el("div", { class: "scroll" }, t2));
  S.flowRows = new Map(b.links.map((row) => [row.link_id, row]));
  S.flowMeta = { method: b.method, year: b.year, world: b.world };
  const feats = [];
  for (const row of b.links) {
    const f = S.linkById.get(row.link_id);
    if (!f) continue;
    const props = { link_id: row.link_id, flow_teu: row.flow_teu };
    if (typeof row.v_c === "number" && Number.isFinite(row.v_c)) props.v_c = row.v_c;  // else: no capacity known
    feats.push({ type: "Feature", geometry: f.geometry, properties: props });
  }
  setData("flows", feats);
  const marks = [];
  for (const o of over) {
    const f = o.kind === "node" ? S.nodeById.get(o.id) : S.linkById.get(o.id);
    if (!f || typeof o.v_c !== "number") continue;
    const cs = f.geometry.type === "Point" ? [f.geometry.coordinates] : f.geometry.coordinates;
    marks.push({ type: "Feature", geometry: { type: "Point", coordinates: cs[Math.floor(cs.length / 2)] },
      properties: { id: o.id, kind: o.kind, v_c: o.v_c } });
  }
  setData("flows-over", marks);
  renderLegend();
  $("map").dataset.flows = String(b.links.length);
}

function placeName(id) {
  const f = S.nodeById.get(id);
  return f ? f.properties.name || id : id;
}

export function directionName(linkId, dir) {
  const f = S.linkById.get(linkId);
  if (!f || !dir) return "";
  const [a, b] = [placeName(f.properties.from_node_id), placeName(f.properties.to_node_id)];
  return dir === "backward" ? `${b} → ${a}` : `${a} → ${b}`;
}

// ------------------------------------------------------------------ hover and click

export function showFlowTip(e) {
  const f = e.features && e.features[0];
  const row = f && S.flowRows && S.flowRows.get(f.properties.link_id);
  if (!row) return;
  S.map.setFilter("flows-hover", ["==", ["get", "link_id"], row.link_id]);
  if (!S.flowTip) S.flowTip = new S.maplibre.Popup({ closeButton: false, closeOnClick: false, className: "flow-tip", maxWidth: "18rem" });
  const both = [row.forward, row.backward].filter(Boolean);
  const vc = both.length ? Math.max(...both.map((d) => (Number.isFinite(d.v_c) ? d.v_c : -1))) : row.v_c;
  const tip = el("div", {}, el("strong", { text: row.name || row.link_id }),
    el("div", { text: `${fmt(row.flow_teu)} TEU/yr both ways` }),
    el("div", { text: `${directionName(row.link_id, "forward")}: ${fmt(row.flow_forward_teu)}` }),
    el("div", { text: `${directionName(row.link_id, "backward")}: ${fmt(row.flow_backward_teu)}` }),
    el("div", { text: Number.isFinite(vc) && vc >= 0 ? `v/c ${fmt(vc, 2)} (busier direction)` : "capacity unknown" }),
    el("div", { class: "hint", text: "click for details and sources" }));
  S.flowTip.setLngLat(e.lngLat).setDOMContent(tip).addTo(S.map);
}

export function hideFlowTip() {
  if (S.flowTip) S.flowTip.remove();
  if (S.mapReady && S.map.getLayer("flows-hover")) S.map.setFilter("flows-hover", ["==", ["get", "link_id"], ""]);
}

export async function showFlowDetails(linkId) {
  const row = S.flowRows && S.flowRows.get(linkId);
  const f = S.linkById.get(linkId);
  if (!row || !f) return;
  hideFlowTip();
  const seq = openDetails(`Flow: ${row.name || linkId}`);
  const t = el("table", { class: "data", id: "flow-directions" }, el("thead", {}, el("tr", {},
    ["direction", "load/yr", "capacity/yr", "v/c", "wait h"].map((h, i) => el("th", { scope: "col", class: i ? "num" : null, text: h })))));
  const tb = el("tbody");
  for (const [dir, teu] of [["forward", row.flow_forward_teu], ["backward", row.flow_backward_teu]]) {
    const q = row[dir];
    const unit = q && q.unit && q.unit !== "TEU" ? ` ${q.unit}` : "";
    tb.append(el("tr", { "data-direction": dir },
      el("td", {}, directionName(linkId, dir), q && q.service ? el("span", { class: "via", text: q.service }) : null),
      el("td", { class: "num", text: q ? fmt(q.load) + unit : `${fmt(teu)} TEU` }),
      el("td", { class: "num", text: q ? fmt(q.capacity) + unit : fmt(row.capacity_teu_yr) }),
      el("td", { class: "num", text: q && Number.isFinite(q.v_c) ? fmt(q.v_c, 2) : "–" }),
      el("td", { class: "num", text: q ? fmt(q.wait_hours, 1) : "–" })));
  }
  t.append(tb);
  const p = f.properties;
  const dl = el("dl", {},
    el("dt", { text: "both ways" }), el("dd", { text: `${fmt(row.flow_teu)} TEU a year (${S.flowMeta.method}${S.flowMeta.world ? `, ${S.flowMeta.world}` : ""}${S.flowMeta.year ? `, ${S.flowMeta.year}` : ""})` }),
    el("dt", { text: "by commodity" }), el("dd", { text: ["container", "general", "bulk"].filter((c) => row[`flow_${c}_teu`])
      .map((c) => `${c} ${fmt(row[`flow_${c}_teu`])}`).join(", ") || "–" }),
    el("dt", { text: "mode" }), el("dd", { text: `${p.mode}${p.length_km ? `, ${fmt(p.length_km)} km` : ""}` }),
    el("dt", { text: "capacity" }), el("dd", { text: p.capacity_teu_yr ? `${fmt(p.capacity_teu_yr)} TEU a year each way` : "not known" }));
  fillDetails(seq, dl, el("p", { class: "note", text: "Each direction queues on its own: load against that direction's capacity (TEU, or tonnes where bulk binds)." }),
    el("div", { class: "scroll" }, t), ...await sourcesAndDerived(p));
}

// ------------------------------------------------------------------ URL

export function restoreFlows(q) {
  if (!q) return;
  if ([...$("flow-method").options].some((o) => o.value === q.method)) $("flow-method").value = q.method;
  if (q.world && [...$("flow-world").options].some((o) => o.value === q.world)) $("flow-world").value = q.world;
  $("flow-world").dispatchEvent(new Event("change"));
  $("flow-year").value = q.year || "";
  S.pending.flows = true;
}
