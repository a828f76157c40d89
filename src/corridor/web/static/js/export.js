// PNG export of the current view: the map as drawn, with a title, the legend and the credits
// painted on (as a chart tool's export), saved as a download. Nothing leaves the page.

import { $, S, download, slug } from "./core.js";
import { legendItems } from "./legend.js";

const INK = "#1d2328";
const MUTED = "#5a6470";
const FONT = '"Noto Sans", system-ui, sans-serif';

function title() {
  if (S.tab === "flows") return $("flow-status").textContent ? `Assigned 2024 demand: ${$("flow-method").value}` : "corridor";
  if (S.tab === "caspian") return "Caspian crossing: mean wait before boarding";
  if (S.tab === "scenarios") return $("scenario-a") ? `Scenario ${$("scenario-b").value} minus ${$("scenario-a").value}` : "corridor";
  return $("corridors").hidden ? "Eurasian freight corridors" : $("corridors-caption").textContent;
}

function fileName() {
  const t = S.tab === "routes" && S.lastQuery ? `${S.lastQuery.o}-${S.lastQuery.d}` : S.tab === "scenarios" && $("scenario-a")
    ? `${$("scenario-a").value}-vs-${$("scenario-b").value}` : S.tab;
  return `corridor-${slug(t)}.png`;
}

function wrap(g, text, width) {
  const words = text.split(/\s+/);
  const lines = [];
  let cur = "";
  for (const w of words) {
    const next = cur ? `${cur} ${w}` : w;
    if (g.measureText(next).width > width && cur) { lines.push(cur); cur = w; } else cur = next;
  }
  if (cur) lines.push(cur);
  return lines;
}

function drawLegend(g, items, x, y, maxW) {
  const lh = 17;
  const rows = [];
  g.font = `12px ${FONT}`;
  for (const it of items) {
    if (it.kind === "text") for (const l of wrap(g, it.text, maxW - 12)) rows.push({ kind: "text", text: l });
    else rows.push(it);
  }
  const h = rows.length * lh + 12;
  g.fillStyle = "rgba(255,255,255,0.94)";
  g.strokeStyle = "#d5d9de";
  g.fillRect(x, y - h, maxW, h);
  g.strokeRect(x + 0.5, y - h + 0.5, maxW - 1, h - 1);
  let cy = y - h + 6 + lh / 2;
  for (const it of rows) {
    g.textBaseline = "middle";
    g.font = it.kind === "title" ? `600 12px ${FONT}` : `12px ${FONT}`;
    g.fillStyle = INK;
    let tx = x + 8;
    if (it.kind === "line") {
      g.strokeStyle = it.color;
      g.lineWidth = it.thin ? 2 : 4;
      g.setLineDash(it.dash === "dash" ? [5, 3] : []);
      g.beginPath(); g.moveTo(x + 8, cy); g.lineTo(x + 30, cy); g.stroke();
      g.setLineDash([]);
      tx = x + 36;
    } else if (it.kind === "dot") {
      g.fillStyle = it.color; g.strokeStyle = "#14324f"; g.lineWidth = 1.5;
      g.beginPath(); g.arc(x + 19, cy, 5, 0, 2 * Math.PI); g.fill(); g.stroke();
      g.fillStyle = INK;
      tx = x + 36;
    } else if (it.kind === "text") g.fillStyle = MUTED;
    g.fillText(it.text, tx, cy);
    cy += lh;
  }
}

// the canvas holds the last frame only during the 'render' event (no preserved drawing buffer)
function grabFrame(map) {
  return new Promise((resolve) => {
    map.once("render", () => {
      const src = map.getCanvas();
      const c = document.createElement("canvas");
      c.width = src.width; c.height = src.height;
      c.getContext("2d").drawImage(src, 0, 0);
      resolve(c);
    });
    map.triggerRepaint();
  });
}

export async function exportPNG() {
  if (!S.mapReady) return;
  const btn = $("export-png");
  btn.disabled = true;
  try {
    const frame = await grabFrame(S.map);
    const ratio = frame.width / S.map.getContainer().clientWidth;
    const w = frame.width / ratio;
    const head = 44;
    const foot = 24;
    const out = document.createElement("canvas");
    out.width = Math.round(w * ratio);
    out.height = Math.round((frame.height / ratio + head + foot) * ratio);
    const g = out.getContext("2d");
    g.scale(ratio, ratio);
    g.fillStyle = "#ffffff";
    g.fillRect(0, 0, w, head + frame.height / ratio + foot);
    g.fillStyle = INK;
    g.textBaseline = "middle";
    g.font = `600 16px ${FONT}`;
    g.fillText(wrap(g, title(), w - 24)[0] || "corridor", 12, head / 2);
    g.drawImage(frame, 0, head, w, frame.height / ratio);
    const items = legendItems();
    if (items.length) drawLegend(g, items, 10, head + frame.height / ratio - 10, Math.min(260, w / 2));
    g.font = `11px ${FONT}`;
    g.fillStyle = MUTED;
    g.fillText(`corridor ${S.meta.version} · Basemap: Natural Earth · Network: © OpenStreetMap contributors, searoute, cited sources`,
      12, head + frame.height / ratio + foot / 2);
    const blob = await new Promise((res) => out.toBlob(res, "image/png"));
    download(blob, fileName());
    $("map").dataset.exported = String(Number($("map").dataset.exported || 0) + 1);
  } finally {
    btn.disabled = false;
  }
}
