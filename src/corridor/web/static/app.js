// The corridor page. It talks only to this server's /api; the map library and the label font are
// the npm copies that `make` put in /static/vendor, and the basemap is the bundled Natural Earth
// countries. No request leaves the server the page came from.

import { runCaspian, restoreCaspian } from "./js/caspian.js";
import { $, S, api } from "./js/core.js";
import { closeDetails } from "./js/details.js";
import { exportPNG } from "./js/export.js";
import { hideFlowTip, restoreFlows, runFlows } from "./js/flows.js";
import { initGeopolitics } from "./js/geo.js";
import { initLegend, renderLegend } from "./js/legend.js";
import { dimNetwork, initMap, loadMapLibrary, setNetworkVisible, setVisible, showMapMessage } from "./js/map.js";
import { buildForm, combobox, runRoutes, syncQuestion, writeForm } from "./js/routes.js";
import { initScenarios, runScenarioDiff } from "./js/scenarios.js";
import { queryFromURL, saveURL } from "./js/url.js";

// ------------------------------------------------------------------ tabs

const RUN = { flows: runFlows, caspian: runCaspian, scenarios: runScenarioDiff };
const LAYERS = {
  routes: ["routes", "routes-casing", "route-labels", "route-places", "route-place-labels"],
  flows: ["flows", "flows-hover", "flows-hit", "flows-over"],
  caspian: ["caspian-waits", "caspian-labels"],
  scenarios: ["delta"],
};

export function selectTab(name, focus = false) {
  S.tab = name;
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    const on = tab.id === `tab-${name}`;
    tab.setAttribute("aria-selected", on ? "true" : "false");
    tab.tabIndex = on ? 0 : -1;
    if (on && focus) tab.focus();
    $(tab.getAttribute("aria-controls")).hidden = !on;
  }
  for (const [tab, ids] of Object.entries(LAYERS)) for (const id of ids) setVisible(id, tab === name);
  dimNetwork(name === "flows" || name === "scenarios");
  hideFlowTip();
  renderLegend();
  saveURL();
  // a link brought this tab's settings: show their result the first time the tab is opened
  if (S.pending[name] && RUN[name] && document.body.dataset.ready === "1") RUN[name]();
}

export function wireTabs() {
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

export function wire() {
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
  $("details-close").addEventListener("click", () => closeDetails(true));
  $("layer-network").addEventListener("change", (e) => { setNetworkVisible(e.target.checked); renderLegend(); saveURL(); });
  $("export-png").addEventListener("click", () => exportPNG());
  $("flow-form").addEventListener("submit", (e) => { e.preventDefault(); runFlows(); });
  $("flow-form").addEventListener("change", () => saveURL());
  $("caspian-form").addEventListener("submit", (e) => { e.preventDefault(); runCaspian(); });
  $("caspian-form").addEventListener("change", () => saveURL());
  $("sea-level").addEventListener("input", (e) => {
    const v = Number(e.target.value);
    $("sea-level-out").textContent = `${v >= 0 ? "+" : ""}${v.toFixed(2)}`;
  });
  wireTabs();
}

export async function main() {
  document.body.dataset.ready = "0";
  const [ml, meta] = await Promise.all([loadMapLibrary(), api("/api/meta")]);
  if (!meta.ok) {
    $("map-loading").hidden = true;
    showMapMessage(`The server did not describe itself: ${meta.body.error}`);
    return;
  }
  S.maplibre = ml;
  S.meta = meta.body;
  for (const f of S.meta.families) S.colors[f.id] = f.color;
  buildForm();
  wire();
  initLegend();
  const q = queryFromURL();
  writeForm(q);
  restoreFlows(q.flows);
  restoreCaspian(q.caspian);
  $("layer-network").checked = q.net;
  await initMap();
  $("map-loading").hidden = true;
  await initScenarios(q.scenarios);
  await initGeopolitics(q.geo);
  const tab = ["routes", "flows", "caspian", "scenarios"].includes(q.tab) && !$(`tab-${q.tab}`).hidden ? q.tab : "routes";
  selectTab(tab);
  document.body.dataset.ready = "1";
  const runs = [];
  if (q.o && q.d) runs.push(runRoutes());
  if (S.pending[tab] && RUN[tab]) runs.push(RUN[tab]());
  await Promise.all(runs);
}

main();
