// Shared state and small helpers of the corridor page: DOM building, number format, API calls.

export const $ = (id) => document.getElementById(id);
export const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids.flat()) if (kid !== null && kid !== undefined) e.append(kid);
  return e;
};
export const fmt = (v, nd = 0) => (v === null || v === undefined || Number.isNaN(v) ? "–"
  : Number(v).toLocaleString("en-GB", { minimumFractionDigits: nd, maximumFractionDigits: nd }));

export const TOP_AVOID = ["RUS", "BLR", "IRN"];
export const MODE_COLORS = { rail: "#5f6b76", road: "#a0784a", ferry: "#1b9aaa", sea: "#87a9c6" };
export const S = {
  meta: null, maplibre: null, map: null, mapReady: false, network: null, linkById: new Map(),
  nodeById: new Map(), colors: {}, routes: [], seq: 0, sources: null, lastQuery: null, tab: "routes",
  geo: null, ran: {}, pending: {}, legendItems: [],
};

export async function api(path, opts) {
  let r;
  try {
    r = await fetch(path, opts);
  } catch (e) {
    return { ok: false, status: 0, body: { error: `the server did not answer (${e.message})`, type: "NetworkError" } };
  }
  let body;
  try { body = await r.json(); } catch { body = { error: `HTTP ${r.status}`, type: "HTTPError" }; }
  return { ok: r.ok, status: r.status, body };
}

// a file the page made (PNG export) or fetched, saved under `name` by the browser
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// "xian-duisburg" from "Xi'an → Duisburg": a file name part
export const slug = (s) => String(s).normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
  .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60) || "map";

export const narrow = () => window.matchMedia("(max-width: 700px)").matches;
