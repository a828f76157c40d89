// The corridor page. It talks only to this server's /api; the map library is the npm copy that
// `make` put in /static/vendor, and the basemap is the bundled Natural Earth countries. No request
// leaves the server the page came from.

import { $, S, api } from "./js/core.js";
import { initGeopolitics } from "./js/geo.js";
import { initMap, loadMapLibrary, renderLegend, setNetworkVisible, setVisible, showMapMessage } from "./js/map.js";
import { initScenarios, runCaspian, runFlows } from "./js/panels.js";
import { buildForm, closeDetails, combobox, queryFromURL, runRoutes, saveURL, syncQuestion, writeForm } from "./js/routes.js";

// ------------------------------------------------------------------ tabs

export function selectTab(name, focus = false) {
  S.tab = name;
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    const on = tab.id === `tab-${name}`;
    tab.setAttribute("aria-selected", on ? "true" : "false");
    tab.tabIndex = on ? 0 : -1;
    if (on && focus) tab.focus();
    $(tab.getAttribute("aria-controls")).hidden = !on;
  }
  setVisible("flows", name === "flows");
  setVisible("flows-over", name === "flows");
  setVisible("caspian-waits", name === "caspian");
  setVisible("delta", name === "scenarios");
  for (const id of ["routes", "routes-casing", "ends"]) setVisible(id, name === "routes");
  renderLegend();
  saveURL();
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
  $("flow-form").addEventListener("submit", (e) => { e.preventDefault(); runFlows(); });
  $("caspian-form").addEventListener("submit", (e) => { e.preventDefault(); runCaspian(); });
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
  await initScenarios();
  await initGeopolitics(q.geo);
  selectTab(["routes", "flows", "caspian", "scenarios"].includes(q.tab) && !$(`tab-${q.tab}`).hidden ? q.tab : "routes");
  document.body.dataset.ready = "1";
  if (q.o && q.d) await runRoutes();
}

main();
