// URL <-> view: the query string holds everything needed to rebuild the view, on every tab:
// the corridor question, the flow method and year, the Caspian settings, the scenario pair, and
// the map layers. A tab's settings are written once it has shown a result (or a link brought
// them); a link opened on that tab shows the result again.

import { $, S } from "./core.js";
import { readQuery } from "./routes.js";

const list = (p, k) => (p.get(k) || "").split(",").map((s) => s.trim()).filter(Boolean);
const pairs = (p, k) => Object.fromEntries(list(p, k).map((x) => x.split(":")).filter((kv) => kv.length === 2 && kv[0])
  .map(([k2, v]) => [k2, Number(v)]).filter(([, v]) => Number.isFinite(v)));

export function urlFromState() {
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
  if (S.ran.flows || S.pending.flows) {
    p.set("method", $("flow-method").value);
    if ($("flow-world").value && $("flow-world").value !== (S.meta?.default_world || "latest")) p.set("fworld", $("flow-world").value);
    if ($("flow-world").value === "none" && $("flow-year").value.trim()) p.set("fyear", $("flow-year").value.trim());
  }
  if (S.ran.caspian || S.pending.caspian) {
    const c = caspianForm();
    p.set("sl", String(c.sea_level));
    p.set("reps", String(c.replications));
    const kv = (o) => Object.entries(o).map(([k, v]) => `${k}:${v}`).join(",");
    if (Object.keys(c.vessels_add).length) p.set("fleet", kv(c.vessels_add));
    if (Object.keys(c.deepen).length) p.set("deepen", kv(c.deepen));
  }
  if ((S.ran.scenarios || S.pending.scenarios) && $("scenario-a")) {
    p.set("a", $("scenario-a").value);
    p.set("b", $("scenario-b").value);
  }
  if ($("layer-geo").checked) p.set("geo", $("geo-mode").value || "1");
  if (!$("layer-network").checked) p.set("net", "0");
  const s = p.toString();
  return s ? `?${s}` : location.pathname;
}

export function queryFromURL() {
  const p = new URLSearchParams(location.search);
  const num = (k) => (p.get(k) !== null && p.get(k) !== "" && Number.isFinite(Number(p.get(k))) ? Number(p.get(k)) : null);
  return {
    tab: p.get("tab") || "routes", o: p.get("o") || "", d: p.get("d") || "", q: p.get("q") || "compare",
    obj: p.get("obj") || "generalized", year: p.get("year") || "", avoid: list(p, "avoid"),
    mode: list(p, "mode"), pass: list(p, "pass"), k: p.get("k") || "3", via: list(p, "via"),
    geo: p.get("geo"), net: p.get("net") !== "0",
    flows: p.get("method") ? { method: p.get("method"), world: p.get("fworld") || "", year: p.get("fyear") || "" } : null,
    caspian: p.get("sl") !== null || p.get("reps") !== null
      ? { sea_level: num("sl") ?? 0, replications: num("reps"), vessels_add: pairs(p, "fleet"), deepen: pairs(p, "deepen") } : null,
    scenarios: p.get("a") && p.get("b") ? { a: p.get("a"), b: p.get("b") } : null,
  };
}

// the Caspian form as the API takes it
export function caspianForm() {
  const body = { sea_level: Number($("sea-level").value), replications: Number($("replications").value) || 50,
    vessels_add: {}, deepen: {} };
  for (const i of document.querySelectorAll("#fleet input")) if (Number(i.value)) body.vessels_add[i.dataset.kind] = Number(i.value);
  for (const i of document.querySelectorAll("#deepen input")) if (Number(i.value)) body.deepen[i.dataset.port] = Number(i.value);
  return body;
}

export function saveURL() {
  if (!S.meta) return;
  const url = urlFromState();
  if (url !== location.search && !(url === location.pathname && !location.search)) history.replaceState(null, "", url);
}
