// Label points and fill patterns for the map, computed once in the page from the bundled data.

// A country's label: at the centre of its largest polygon (inside it; else the ring's middle
// vertex), sized and ranked by area so that the big countries win where labels collide.
export function countryLabels(basemap) {
  const feats = [];
  for (const f of basemap.features || []) {
    const g = f.geometry;
    if (!g || !f.properties.name) continue;
    const polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
    let best = null;
    let total = 0;
    for (const p of polys) {
      const a = Math.abs(ringArea(p[0]));
      total += a;
      if (!best || a > best.a) best = { a, ring: p[0] };
    }
    if (!best) continue;
    let c = centroid(best.ring);
    if (!inside(c, best.ring)) c = best.ring[Math.floor(best.ring.length / 2)];
    const scale = Math.max(0.75, Math.min(1.35, 0.65 + 0.12 * Math.log10(1 + total)));
    feats.push({ type: "Feature", geometry: { type: "Point", coordinates: c },
      properties: { name: f.properties.name, iso3: f.properties.iso3, rank: -total, scale } });
  }
  return { type: "FeatureCollection", features: feats };
}

function ringArea(r) {
  let s = 0;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) s += (r[j][0] * r[i][1]) - (r[i][0] * r[j][1]);
  return s / 2;
}

function centroid(r) {
  let [x, y, a] = [0, 0, 0];
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
    const k = (r[j][0] * r[i][1]) - (r[i][0] * r[j][1]);
    x += (r[j][0] + r[i][0]) * k; y += (r[j][1] + r[i][1]) * k; a += k;
  }
  return a ? [x / (3 * a), y / (3 * a)] : r[0];
}

function inside([x, y], r) {
  let ok = false;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
    const [xi, yi] = r[i];
    const [xj, yj] = r[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) ok = !ok;
  }
  return ok;
}

// diagonal hatching in `color` every `gap` px (at pixel ratio 2), transparent between the lines
export function hatch(color, gap) {
  const n = gap * 4;
  const c = document.createElement("canvas");
  c.width = c.height = n;
  const g = c.getContext("2d");
  g.strokeStyle = color;
  g.lineWidth = 2.2;
  g.beginPath();
  for (let o = -n; o <= n; o += gap * 2) { g.moveTo(o, n); g.lineTo(o + n, 0); }
  g.stroke();
  const img = g.getImageData(0, 0, n, n);
  return { width: n, height: n, data: new Uint8Array(img.data.buffer) };
}
