// The Scenarios panel: two bundled scenarios run and compared (B minus A), with every link whose
// load changes on the map, gains and losses both.

import { $, S, api, el, fmt } from "./core.js";
import { firstRunNote } from "./flows.js";
import { fitTo, setData } from "./map.js";
import { setLoading, showError } from "./routes.js";
import { saveURL } from "./url.js";

export async function initScenarios(q) {
  const r = await api("/api/scenarios");
  if (!r.ok || !r.body.length) return;
  S.scenarios = r.body;
  const names = r.body.map((x) => x.name);
  const pick = (id, label, value) => {
    const sel = el("select", { id, name: id }, names.map((n) => el("option", { value: n, text: n })));
    sel.value = names.includes(value) ? value : names[0];
    sel.addEventListener("change", () => { describeScenarios(); saveURL(); });
    return el("div", { class: "field" }, el("label", { for: id, text: label }), sel);
  };
  const want = q || { a: "baseline-2024", b: "sanctions-strict" };
  const form = el("form", { id: "scenario-form" },
    el("p", { class: "note", text: "Bundled what-if scenarios, each assigned with the library's default method. " +
      "A scenario's first run assigns a whole year of demand, then the app keeps it. B minus A:" }),
    el("div", { class: "row" }, pick("scenario-a", "A (reference)", want.a), pick("scenario-b", "B", want.b)),
    el("div", { id: "scenario-desc", class: "note" }),
    el("div", { class: "actions" }, el("button", { type: "submit", class: "primary", id: "scenario-go", text: "Compare scenarios" })));
  form.addEventListener("submit", (e) => { e.preventDefault(); runScenarioDiff(); });
  $("scenario-body").replaceChildren(form,
    el("div", { id: "scenario-status", class: "status", role: "status", "aria-live": "polite" }),
    el("div", { id: "scenario-error", class: "error", role: "alert", hidden: true }),
    el("div", { id: "scenario-results", "aria-busy": "false" }));
  describeScenarios();
  $("tab-scenarios").hidden = false;
  if (q && names.includes(q.a) && names.includes(q.b)) S.pending.scenarios = true;
}

export function describeScenarios() {
  const by = new Map(S.scenarios.map((x) => [x.name, x]));
  const d = $("scenario-desc");
  d.replaceChildren(...["scenario-a", "scenario-b"].map((id) => {
    const x = by.get($(id).value);
    return el("p", {}, el("strong", { text: `${x.name}${x.year ? ` (${x.year})` : ""}: ` }), x.description || "");
  }));
}

// what the wait will be: both runs kept (a moment), or which scenarios run first and how long that took here
async function loadingNote(a, b) {
  const r = await api("/api/status");
  const st = r.ok ? r.body.scenarios : { computed: [], seconds: null };
  const todo = [...new Set([a, b])].filter((n) => !st.computed.includes(n));
  if (!todo.length) return `Comparing ${a} and ${b} (both runs are kept: a moment)…`;
  return `Running ${todo.join(" and ")} for the first time (${firstRunNote(st.seconds, "scenario run")}; ` +
    `${todo.length > 1 ? "they run one after the other" : "it runs once"}), then comparing…`;
}

const TOP = 8;

export async function runScenarioDiff() {
  const a = $("scenario-a").value;
  const b = $("scenario-b").value;
  $("scenario-error").hidden = true;
  $("scenario-go").disabled = true;
  setLoading("scenario-", true, await loadingNote(a, b));
  const r = await api(`/api/scenarios/diff?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);
  $("scenario-go").disabled = false;
  setLoading("scenario-", false);
  const out = $("scenario-results");
  out.replaceChildren();
  if (!r.ok) { showError($("scenario-error"), r.body); return; }
  S.ran.scenarios = true;
  S.pending.scenarios = false;
  saveURL();
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
  out.append(el("div", { class: "scroll" }, t));
  const countries = (d.countries || []).filter((c) => Math.abs(c.d_teu) > 0.5).slice(0, 8);
  if (countries.length) {
    out.append(el("div", { class: "scroll" }, el("table", { class: "data" }, el("caption", { text: "Countries whose entering volume changes most (kTEU a year)" }),
      el("tbody", {}, countries.map((c) => el("tr", {}, el("th", { scope: "row", text: c.country }),
        el("td", { class: "num", text: `${fmt(c.teu_a / 1000)} → ${fmt(c.teu_b / 1000)}` }),
        el("td", { class: "num", text: `${c.d_teu >= 0 ? "+" : ""}${fmt(c.d_teu / 1000)}` })))))));
  }
  // every link that changes is on the map; the tables name the largest gains and losses apart
  const links = d.links || [];
  const gains = links.filter((l) => l.d_teu > 0);
  const losses = links.filter((l) => l.d_teu < 0);
  for (const [rows, cap, id] of [[gains, `Links with more load in B (${gains.length}; the ${Math.min(TOP, gains.length)} largest, kTEU a year)`, "gains"],
    [losses, `Links with less load in B (${losses.length}; the ${Math.min(TOP, losses.length)} largest)`, "losses"]]) {
    if (!rows.length) continue;
    out.append(el("div", { class: "scroll" }, el("table", { class: "data", id: `diff-${id}` }, el("caption", { text: cap }),
      el("tbody", {}, rows.slice(0, TOP).map((l) => el("tr", {}, el("td", { text: l.name || l.link_id }),
        el("td", { class: "num", text: `${l.d_teu >= 0 ? "+" : ""}${fmt(l.d_teu / 1000)}` })))))));
  }
  const feats = links.filter((l) => S.linkById.has(l.link_id)).map((l) => ({ type: "Feature",
    geometry: S.linkById.get(l.link_id).geometry, properties: { link_id: l.link_id, d_teu: l.d_teu } }));
  setData("delta", feats);
  if (S.mapReady) fitTo(feats.map((f) => f.geometry.coordinates));
  const mapEl = $("map");
  mapEl.dataset.delta = String(feats.length);
  mapEl.dataset.deltaGains = String(feats.filter((f) => f.properties.d_teu > 0).length);
  mapEl.dataset.deltaLosses = String(feats.filter((f) => f.properties.d_teu < 0).length);
}
