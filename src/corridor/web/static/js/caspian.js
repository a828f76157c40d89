// The Caspian panel: ferry and feeder queues against fleet, ports and sea level.

import { $, S, api, el, fmt } from "./core.js";
import { fitTo, setData } from "./map.js";
import { setLoading, showError } from "./routes.js";
import { caspianForm, saveURL } from "./url.js";

// ------------------------------------------------------------------ Caspian

export async function runCaspian() {
  const body = caspianForm();
  $("caspian-error").hidden = true;
  $("caspian-go").disabled = true;
  setLoading("caspian-", true, `Simulating ${body.replications} years of the Caspian crossing, ship by ship ` +
    "(one to two seconds for up to 200 years on a small server)…");
  const r = await api("/api/caspian/simulate", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  $("caspian-go").disabled = false;
  setLoading("caspian-", false);
  const out = $("caspian-results");
  out.replaceChildren();
  if (!r.ok) { showError($("caspian-error"), r.body); return; }
  S.ran.caspian = true;
  S.pending.caspian = false;
  saveURL();
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
    const byName = S.nodeByName;
    const feats = ports.filter(([name]) => byName.has(name)).map(([name, v]) => ({
      type: "Feature", geometry: byName.get(name).geometry,
      properties: { name: `${name}: ${fmt(v.mean_wait_hours || 0)} h`, mean_wait_hours: v.mean_wait_hours || 0 } }));
    setData("caspian", feats);
    fitTo([feats.map((f) => f.geometry.coordinates)]);
  }
  $("map").dataset.caspian = String(ports.length);
}


export function restoreCaspian(q) {
  if (!q) return;
  const sl = $("sea-level");
  sl.value = String(q.sea_level);
  sl.dispatchEvent(new Event("input"));
  if (q.replications) $("replications").value = String(q.replications);
  for (const i of document.querySelectorAll("#fleet input")) i.value = String(q.vessels_add[i.dataset.kind] || 0);
  for (const i of document.querySelectorAll("#deepen input")) i.value = String(q.deepen[i.dataset.port] || 0);
  S.pending.caspian = true;
}
