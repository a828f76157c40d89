// PNG export of the current view: the map as drawn, with a title, the legend and the credits
// painted on (as a chart tool's export), saved as a download. Nothing leaves the page.

import { $, S, download, slug } from "./core.js";
import { legendItems } from "./legend.js";

const INK = "#1d2328";
const MUTED = "#5a6470";
const FONT = '"Noto Sans", system-ui, sans-serif';

function title() {
  if (S.tab === "flows") return $("flow-status").textContent ? `Assigned demand: ${$("flow-status").textContent.split(":")[0]}` : "corridor";
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

function legendRows(g, items, maxW) {
  const rows = [];
  g.font = `12px ${FONT}`;
  for (const it of items) {
    if (it.kind === "text") for (const l of wrap(g, it.text, maxW - 16)) rows.push({ kind: "text", text: l });
    else rows.push(it);
  }
  return rows;
}

const LH = 17;

// the legend's rows in `cols` columns from (x, top), on a white box
function drawLegend(g, rows, x, top, colW, cols) {
  const per = Math.ceil(rows.length / cols);
  const h = per * LH + 12;
  g.fillStyle = "rgba(255,255,255,0.94)";
  g.strokeStyle = "#d5d9de";
  g.lineWidth = 1;
  g.fillRect(x, top, colW * cols, h);
  g.strokeRect(x + 0.5, top + 0.5, colW * cols - 1, h - 1);
  rows.forEach((it, i) => {
    const cx = x + colW * Math.floor(i / per);
    const cy = top + 6 + LH / 2 + LH * (i % per);
    g.textBaseline = "middle";
    g.font = it.kind === "title" ? `600 12px ${FONT}` : `12px ${FONT}`;
    g.fillStyle = INK;
    let tx = cx + 8;
    if (it.kind === "line") {
      g.strokeStyle = it.color;
      g.lineWidth = it.thin ? 2 : 4;
      g.setLineDash(it.dash === "dash" ? [5, 3] : []);
      g.beginPath(); g.moveTo(cx + 8, cy); g.lineTo(cx + 30, cy); g.stroke();
      g.setLineDash([]);
      tx = cx + 36;
    } else if (it.kind === "dot") {
      g.fillStyle = it.color; g.strokeStyle = "#14324f"; g.lineWidth = 1.5;
      g.beginPath(); g.arc(cx + 19, cy, 5, 0, 2 * Math.PI); g.fill(); g.stroke();
      g.fillStyle = INK;
      tx = cx + 36;
    } else if (it.kind === "fill") {
      g.fillStyle = it.hatch ? "#ffffff" : it.color;
      g.fillRect(cx + 12, cy - 6, 14, 12);
      if (it.hatch) {
        g.save(); g.beginPath(); g.rect(cx + 12, cy - 6, 14, 12); g.clip();
        g.strokeStyle = it.color; g.lineWidth = 1.5;
        for (let o = -12; o < 26; o += it.hatch) { g.beginPath(); g.moveTo(cx + 12 + o, cy + 6); g.lineTo(cx + 24 + o, cy - 6); g.stroke(); }
        g.restore();
      }
      g.strokeStyle = it.outline || "#cccccc"; g.lineWidth = it.outline ? 2 : 1;
      g.setLineDash(it.outline ? [3, 2] : []);
      g.strokeRect(cx + 12, cy - 6, 14, 12);
      g.setLineDash([]);
      g.fillStyle = INK;
      tx = cx + 36;
    } else if (it.kind === "text") g.fillStyle = MUTED;
    g.fillText(it.text, tx, cy);
  });
  return h;
}

// once the map is idle (labels placed and faded in), the next frame; the canvas holds it only
// during the 'render' event (no preserved drawing buffer)
async function grabFrame(map) {
  await new Promise((resolve) => { map.once("idle", resolve); map.triggerRepaint(); });
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

// A wide map keeps its legend in the bottom left corner, as on screen; a narrow one (a phone)
// gets it under the map, in two columns, so that the map stays whole.
export async function exportPNG() {
  if (!S.mapReady) return;
  const btn = $("export-png");
  btn.disabled = true;
  try {
    const frame = await grabFrame(S.map);
    const ratio = frame.width / S.map.getContainer().clientWidth;
    const w = frame.width / ratio;
    const mapH = frame.height / ratio;
    const g0 = document.createElement("canvas").getContext("2d");
    g0.font = `600 16px ${FONT}`;
    const titleLines = wrap(g0, title(), w - 24).slice(0, 3);
    const credits = `corridor ${S.meta.version} · Basemap: Natural Earth · Network: © OpenStreetMap contributors, ` +
      "searoute, cited sources";
    g0.font = `11px ${FONT}`;
    const creditLines = wrap(g0, credits, w - 24);
    const below = w < 600;
    const cols = below ? 2 : 1;
    const colW = below ? (w - 20) / 2 : Math.min(260, w / 2);
    const rows = legendRows(g0, legendItems(true), colW);
    const legendH = rows.length ? Math.ceil(rows.length / cols) * LH + 12 : 0;
    const head = 14 + 21 * titleLines.length;
    const foot = (below ? legendH + 10 : 0) + 8 + 15 * creditLines.length;
    const out = document.createElement("canvas");
    out.width = Math.round(w * ratio);
    out.height = Math.round((head + mapH + foot) * ratio);
    const g = out.getContext("2d");
    g.scale(ratio, ratio);
    g.fillStyle = "#ffffff";
    g.fillRect(0, 0, w, head + mapH + foot);
    g.fillStyle = INK;
    g.textBaseline = "middle";
    g.font = `600 16px ${FONT}`;
    titleLines.forEach((l, i) => g.fillText(l, 12, 17 + 21 * i));
    g.drawImage(frame, 0, head, w, mapH);
    if (rows.length) drawLegend(g, rows, 10, below ? head + mapH + 6 : head + mapH - 10 - legendH, colW, cols);
    g.font = `11px ${FONT}`;
    g.fillStyle = MUTED;
    g.textBaseline = "middle";
    const y0 = head + mapH + (below ? legendH + 10 : 0) + 10;
    creditLines.forEach((l, i) => g.fillText(l, 12, y0 + 15 * i));
    const blob = await new Promise((res) => out.toBlob(res, "image/png"));
    download(blob, fileName());
    $("map").dataset.exported = String(Number($("map").dataset.exported || 0) + 1);
  } finally {
    btn.disabled = false;
  }
}
