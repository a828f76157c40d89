"""The network: two tables (nodes, links) and one compiled graph.

Transfers are links (the NODUS idea): `compile()` expands every node into
virtual nodes per service class (mode + gauge) and joins them with transit and
transshipment links that carry the node's dwell and handling, so border delays,
gauge changes and port handling are plain edge costs to every algorithm.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Geod

from .errors import CorridorError, UnknownPlaceError
from .io import read_network_tables

# edge kinds in the compiled graph
LINK, TRANSIT, TRANSSHIP, CONT = range(4)
WATERBORNE = ("sea", "ferry")
LAND = ("rail", "road")

_GEOD = Geod(ellps="WGS84")


def bundled_data_dir() -> Path:
    return Path(str(resources.files("corridor") / "data"))


# ------------------------------------------------------------------ places

_TRANSLIT = str.maketrans({"ł": "l", "Ł": "l", "ə": "e", "Ə": "e", "ı": "i", "ß": "ss",
                           "ø": "o", "Ø": "o", "đ": "d", "ð": "d", "æ": "ae"})


def normalize_name(name: str) -> str:
    """Case-, accent- and punctuation-blind key, so Xi'an, Xian and XI’AN all match."""
    s = unicodedata.normalize("NFKD", str(name).translate(_TRANSLIT))
    s = "".join(c for c in s if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]", "", s.lower())


# ------------------------------------------------------------------ compiled graph


@dataclass(frozen=True)
class CompiledGraph:
    """Virtual graph as flat arrays (one entry per directed virtual edge)."""

    n_vnodes: int
    src: np.ndarray  # int64
    dst: np.ndarray
    kind: np.ndarray  # int8: LINK, TRANSIT, TRANSSHIP or CONT
    link: np.ndarray  # index into Network.links, -1 for node edges
    node: np.ndarray  # physical node of transit/transship edges, -1 for links
    from_node: np.ndarray  # physical endpoints (for links: from/to; for node edges: node, node)
    to_node: np.ndarray
    hours: np.ndarray
    usd: np.ndarray
    co2: np.ndarray
    km: np.ndarray
    out_ptr: np.ndarray  # OUT virtual nodes of physical node i: out_v[out_ptr[i]:out_ptr[i+1]]
    out_v: np.ndarray
    in_ptr: np.ndarray
    in_v: np.ndarray

    @property
    def n_edges(self) -> int:
        return len(self.src)

    def starts(self, node: int) -> np.ndarray:
        """Virtual nodes a route leaving `node` can start from (one per outgoing class)."""
        return self.out_v[self.out_ptr[node]:self.out_ptr[node + 1]]

    def ends(self, node: int) -> np.ndarray:
        return self.in_v[self.in_ptr[node]:self.in_ptr[node + 1]]


@dataclass(frozen=True, eq=False, repr=False)
class Network:
    """Nodes and links as DataFrames, with defaults filled and sources kept."""

    def __repr__(self) -> str:
        return f"Network({self.name!r}: {len(self.nodes)} nodes, {len(self.links)} links)"

    raw_nodes: pd.DataFrame
    raw_links: pd.DataFrame
    nodes: pd.DataFrame
    links: pd.DataFrame
    sources: pd.DataFrame | None = None
    rates: pd.DataFrame | None = None
    commodities: pd.DataFrame | None = None
    geometry: dict = field(default_factory=dict)
    name: str = "network"
    # derived arrays that higher layers compute once per network (keyed by their module)
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    # -------------------------------------------------------------- construction
    @classmethod
    def from_tables(
        cls,
        nodes: pd.DataFrame,
        links: pd.DataFrame,
        *,
        sources: pd.DataFrame | None = None,
        rates: pd.DataFrame | None = None,
        commodities: pd.DataFrame | None = None,
        geometry: dict | None = None,
        name: str = "network",
    ) -> Network:
        raw_nodes, raw_links = nodes.reset_index(drop=True), links.reset_index(drop=True)
        return cls(
            raw_nodes=raw_nodes,
            raw_links=raw_links,
            nodes=_fill_nodes(raw_nodes),
            links=_fill_links(raw_links, raw_nodes, rates),
            sources=sources,
            rates=rates,
            commodities=commodities,
            geometry=geometry or {},
            name=name,
        )

    def with_tables(self, *, nodes: pd.DataFrame | None = None, links: pd.DataFrame | None = None,
                    sources: pd.DataFrame | None = None, name: str | None = None) -> Network:
        """A new network from edited raw tables; this one is left as it is (copy-on-write).

        Tables not given are shared with this network (they are never modified in place).
        """
        return Network.from_tables(
            self.raw_nodes if nodes is None else nodes, self.raw_links if links is None else links,
            sources=self.sources if sources is None else sources, rates=self.rates,
            commodities=self.commodities, geometry=self.geometry, name=name or self.name)

    # -------------------------------------------------------------- lookups
    @cached_property
    def arrays(self) -> dict[str, np.ndarray]:
        """Columns as NumPy arrays, for per-route work that must not touch pandas rows."""
        n, lk = self.nodes, self.links
        return {
            "node_id": n["node_id"].to_numpy(object),
            "node_name": n["name"].to_numpy(object),
            "node_country": n["country"].to_numpy(object),
            "node_kind": n["kind"].to_numpy(object),
            "link_id": lk["link_id"].to_numpy(object),
            "link_mode": lk["mode"].to_numpy(object),
            "link_gauge": lk["gauge"].to_numpy(float),
            "link_name": lk["name"].to_numpy(object),
            "link_km": lk["length_km"].to_numpy(float),
        }

    @cached_property
    def link_index(self) -> dict[str, int]:
        return {lid: i for i, lid in enumerate(self.links["link_id"])}

    @cached_property
    def countries(self) -> frozenset[str]:
        return frozenset(self.nodes["country"])

    @cached_property
    def node_index(self) -> dict[str, int]:
        return {nid: i for i, nid in enumerate(self.nodes["node_id"])}

    @cached_property
    def _name_keys(self) -> dict[str, int]:
        keys: dict[str, int] = {}
        for i, row in enumerate(self.nodes.itertuples(index=False)):
            for label in [row.name, *str(row.aliases or "").split(";")]:
                k = normalize_name(label)
                if k:
                    keys.setdefault(k, i)
        for i, nid in enumerate(self.nodes["node_id"]):
            keys.setdefault(normalize_name(nid), i)
        return keys

    def resolve(self, place: str) -> int:
        """Index of the node a user means by `place` (id, name or alias)."""
        if place in self.node_index:
            return self.node_index[place]
        key = normalize_name(place)
        if key in self._name_keys:
            return self._name_keys[key]
        raise UnknownPlaceError(place, self.suggest(place))

    def suggest(self, place: str, n: int = 5) -> list[str]:
        key = normalize_name(place)
        names = self.nodes["name"].tolist()
        matches = difflib.get_close_matches(key, list(self._name_keys), n=n, cutoff=0.6)
        out = [names[self._name_keys[m]] for m in matches]
        if key:
            out += [nm for k, i in self._name_keys.items() if k.startswith(key)
                    for nm in [names[i]]]
        return list(dict.fromkeys(out))[:n]

    def places(self, query: str | None = None) -> pd.DataFrame:
        """The nameable places, optionally filtered by a substring of name or alias."""
        cols = ["node_id", "name", "kind", "country", "lon", "lat", "aliases"]
        df = self.nodes[cols].copy()
        if query:
            key = normalize_name(query)
            hay = (df["name"] + ";" + df["aliases"].fillna("") + ";" + df["node_id"]).map(
                lambda s: ";".join(normalize_name(x) for x in s.split(";"))
            )
            df = df[hay.str.contains(key, regex=False)]
        return df.sort_values(["country", "name"]).reset_index(drop=True)

    def link_coords(self, i: int) -> list[tuple[float, float]]:
        """Geometry of link i: stored shape, else a great circle between its ends."""
        row = self.links.iloc[i]
        coords = self.geometry.get(str(row["link_id"]))
        a = self.nodes.iloc[self.node_index[row["from_node_id"]]]
        b = self.nodes.iloc[self.node_index[row["to_node_id"]]]
        if coords:
            return list(coords)
        n = max(2, int(row["length_km"] // 200) + 2) if pd.notna(row["length_km"]) else 2
        pts = _GEOD.npts(a["lon"], a["lat"], b["lon"], b["lat"], n - 2) if n > 2 else []
        return [(a["lon"], a["lat"]), *pts, (b["lon"], b["lat"])]

    def source(self, source_id: str) -> dict | None:
        if self.sources is None:
            return None
        hit = self.sources[self.sources["source_id"] == source_id]
        return None if hit.empty else hit.iloc[0].to_dict()

    def value_of_time(self, commodity: str = "container") -> float:
        """USD per TEU-hour weighting time in the generalized cost."""
        if self.commodities is None or self.commodities.empty:
            raise CorridorError("this network has no commodities table: generalized cost is undefined")
        hit = self.commodities[self.commodities["commodity"] == commodity]
        if hit.empty:
            known = ", ".join(map(str, self.commodities["commodity"]))
            raise CorridorError(f"unknown commodity '{commodity[:60]}'; known: {known}")
        vot = float(hit["value_of_time_usd_per_teu_hour"].iloc[0])
        if not np.isfinite(vot) or vot < 0:
            raise CorridorError(f"value of time for '{commodity}' must be a number >= 0, got {vot}")
        return vot

    # -------------------------------------------------------------- compile
    @cached_property
    def graph(self) -> CompiledGraph:
        return compile_graph(self)


def _col(df: pd.DataFrame, name: str, default=np.nan) -> pd.Series:
    return df[name] if name in df.columns else pd.Series(default, index=df.index)


def _fill_nodes(raw: pd.DataFrame) -> pd.DataFrame:
    n = raw.copy()
    for c in ("dwell_hours", "dwell_usd", "transship_usd"):
        n[c] = _col(n, c).fillna(0.0).astype(float)
    n["transship_hours"] = _col(n, "transship_hours").astype(float)  # NaN = no transshipment
    for c in ("aliases", "notes"):
        n[c] = _col(n, c, "").fillna("").astype(str)
    return n


def _fill_links(raw: pd.DataFrame, nodes: pd.DataFrame, rates: pd.DataFrame | None) -> pd.DataFrame:
    """Fill speed, tariff and CO2 from the rate class, noting the rate's source."""
    lk = raw.copy()
    for c in ("speed_source", "cost_source", "co2_source", "wait_source", "rate_class",
              "name", "notes", "sea_area", "passages", "source_id"):
        lk[c] = _col(lk, c, "").fillna("").astype(str)
    lk["wait_hours"] = _col(lk, "wait_hours").fillna(0.0).astype(float)
    lk["co2_kg_per_teu"] = _col(lk, "co2_kg_per_teu").astype(float)
    if rates is not None and len(rates):
        r = rates.set_index("rate_class")
        cls = lk["rate_class"]
        for col, rcol, scol, per_km in (
            ("speed_kmh", "speed_kmh", "speed_source", False),
            ("usd_per_teu", "usd_per_teu_km", "cost_source", True),
            ("co2_kg_per_teu", "co2_kg_per_teu_km", "co2_source", True),
        ):
            fill = cls.map(r[rcol]).astype(float)
            if per_km:
                fill = fill * lk["length_km"]
            missing = lk[col].isna()
            lk.loc[missing, scol] = cls[missing].map(r[scol]).fillna("").astype(str)
            lk[col] = lk[col].where(~missing, fill)
    lk["co2_kg_per_teu"] = lk["co2_kg_per_teu"].fillna(0.0)
    lk["hours"] = lk["length_km"] / lk["speed_kmh"] + lk["wait_hours"]
    country = nodes.set_index("node_id")["country"]
    lk["from_country"] = lk["from_node_id"].map(country)
    lk["to_country"] = lk["to_node_id"].map(country)
    lk["opening_year"] = _col(lk, "opening_year")
    return lk


def service_class(mode: pd.Series, gauge: pd.Series) -> pd.Series:
    """Links of one class run through a node without transshipment."""
    g = gauge.fillna(0).astype(int).astype(str)
    return mode.where(mode != "rail", "rail" + g)


def compile_graph(net: Network) -> CompiledGraph:
    nodes, links = net.nodes, net.links
    n_nodes = len(nodes)
    idx = net.node_index
    lf = links["from_node_id"].map(idx).to_numpy(np.int64)
    lt = links["to_node_id"].map(idx).to_numpy(np.int64)
    cls = service_class(links["mode"], links["gauge"])
    class_names, cls_code = np.unique(cls.to_numpy(dtype=str), return_inverse=True)
    n_cls = len(class_names)

    # directed arcs: forward for every link, backward for undirected ones
    back = ~links["directed"].to_numpy(bool)
    link_ix = np.concatenate([np.arange(len(links)), np.flatnonzero(back)])
    a_from = np.concatenate([lf, lt[back]])
    a_to = np.concatenate([lt, lf[back]])
    a_cls = cls_code[link_ix]

    # virtual nodes: IN/OUT per (node, class) used; a query adds its own source and sink
    nxt = 0
    in_key = np.unique(a_to * n_cls + a_cls)
    out_key = np.unique(a_from * n_cls + a_cls)
    in_v = dict(zip(in_key.tolist(), range(nxt, nxt + len(in_key)), strict=True))
    nxt += len(in_key)
    out_v = dict(zip(out_key.tolist(), range(nxt, nxt + len(out_key)), strict=True))
    nxt += len(out_key)

    hours_l = links["hours"].to_numpy(float)
    usd_l = links["usd_per_teu"].to_numpy(float)
    co2_l = links["co2_kg_per_teu"].to_numpy(float)
    km_l = links["length_km"].to_numpy(float)
    dwell_h = nodes["dwell_hours"].to_numpy(float)
    dwell_u = nodes["dwell_usd"].to_numpy(float)
    ts_h = nodes["transship_hours"].to_numpy(float)
    ts_u = nodes["transship_usd"].to_numpy(float)

    cols: dict[str, list] = {k: [] for k in ("src", "dst", "kind", "link", "node", "fn", "tn",
                                              "hours", "usd", "co2", "km")}

    def add(src, dst, kind, link, node, fn, tn, hours, usd, co2, km):
        for k, v in zip(cols, (src, dst, kind, link, node, fn, tn, hours, usd, co2, km),
                        strict=True):
            cols[k].append(np.broadcast_to(np.asarray(v), np.shape(src)).copy())

    # link arcs; parallel arcs between the same virtual pair get a midpoint node so
    # the CSR stays exact (one entry per ordered pair)
    s = np.array([out_v[k] for k in (a_from * n_cls + a_cls).tolist()], dtype=np.int64)
    d = np.array([in_v[k] for k in (a_to * n_cls + a_cls).tolist()], dtype=np.int64)
    dup = pd.DataFrame({"s": s, "d": d}).duplicated().to_numpy()
    mid = np.full(len(s), -1, dtype=np.int64)
    mid[dup] = nxt + np.arange(dup.sum())
    nxt += int(dup.sum())
    first_dst = np.where(dup, mid, d)
    li = link_ix
    add(s, first_dst, LINK, li, -1, a_from, a_to, hours_l[li], usd_l[li], co2_l[li], km_l[li])
    if dup.any():
        add(mid[dup], d[dup], CONT, li[dup], -1, a_from[dup], a_to[dup], 0.0, 0.0, 0.0, 0.0)

    # through edges at each node: IN(node, c) -> OUT(node, c')
    in_arr = np.array(list(in_v.keys()), dtype=np.int64)
    out_arr = np.array(list(out_v.keys()), dtype=np.int64)
    ins = pd.DataFrame({"node": in_arr // n_cls, "ci": in_arr % n_cls,
                        "vi": np.fromiter(in_v.values(), np.int64, len(in_v))})
    outs = pd.DataFrame({"node": out_arr // n_cls, "co": out_arr % n_cls,
                         "vo": np.fromiter(out_v.values(), np.int64, len(out_v))})
    pairs = ins.merge(outs, on="node")
    v = pairs["node"].to_numpy()
    ci, co = pairs["ci"].to_numpy(), pairs["co"].to_numpy()
    names = class_names
    water = np.isin(names, WATERBORNE)
    transfer = names == "transfer"
    same = ci == co
    # a change of class, or a ship-to-ship call at a port, is a transshipment;
    # 'transfer' connectors join any class without one (they price the handling themselves)
    is_ts = (~same | water[ci]) & ~transfer[ci] & ~transfer[co]
    allowed = ~is_ts | ~np.isnan(ts_h[v])
    pairs, v, is_ts = pairs[allowed], v[allowed], is_ts[allowed]
    h = dwell_h[v] + np.where(is_ts, np.nan_to_num(ts_h[v]), 0.0)
    u = dwell_u[v] + np.where(is_ts, ts_u[v], 0.0)
    add(pairs["vi"].to_numpy(), pairs["vo"].to_numpy(), np.where(is_ts, TRANSSHIP, TRANSIT),
        -1, v, v, v, h, u, 0.0, 0.0)

    def by_node(frame: pd.DataFrame, col: str) -> tuple[np.ndarray, np.ndarray]:
        frame = frame.sort_values("node", kind="stable")
        ptr = np.zeros(n_nodes + 1, dtype=np.int64)
        np.cumsum(np.bincount(frame["node"].to_numpy(), minlength=n_nodes), out=ptr[1:])
        return ptr, frame[col].to_numpy(np.int64)

    out_ptr, out_vs = by_node(outs, "vo")
    in_ptr, in_vs = by_node(ins, "vi")
    cat = {k: np.concatenate(v) for k, v in cols.items()}
    order = np.argsort(cat["src"], kind="stable")  # sorted by source: searches build CSR without sorting
    cat = {k: v[order] for k, v in cat.items()}
    return CompiledGraph(
        n_vnodes=nxt,
        src=cat["src"].astype(np.int64),
        dst=cat["dst"].astype(np.int64),
        kind=cat["kind"].astype(np.int8),
        link=cat["link"].astype(np.int64),
        node=cat["node"].astype(np.int64),
        from_node=cat["fn"].astype(np.int64),
        to_node=cat["tn"].astype(np.int64),
        hours=cat["hours"].astype(float),
        usd=cat["usd"].astype(float),
        co2=cat["co2"].astype(float),
        km=cat["km"].astype(float),
        out_ptr=out_ptr,
        out_v=out_vs,
        in_ptr=in_ptr,
        in_v=in_vs,
    )


# ------------------------------------------------------------------ loading

_CACHE: dict[tuple, Network] = {}


def _folder_stamp(folder: Path) -> tuple:
    """What a cached load depends on: each file's name, size and modification time."""
    try:
        return tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns)
                            for p in folder.iterdir() if p.is_file()))
    except OSError:
        return ()


def read_network(folder: str | Path, *, name: str | None = None) -> Network:
    """Load and validate a network folder (node.csv, link.csv, ...)."""
    folder = Path(folder)
    # a user network without its own rate or commodity tables borrows the bundled ones
    t = read_network_tables(folder, fallback_dir=bundled_data_dir())
    return Network.from_tables(
        t["nodes"], t["links"], sources=t.get("sources"), rates=t.get("rates"),
        commodities=t.get("commodities"), geometry=t.get("geometry"), name=name or folder.name,
    )


def load_network(path: str | Path | None = None) -> Network:
    """The bundled Eurasia network (cached), or the network folder at `path`."""
    folder = Path(path) if path is not None else bundled_data_dir()
    key = (folder.resolve(), _folder_stamp(folder) if folder.is_dir() else ())
    if key not in _CACHE:
        _CACHE[key] = read_network(folder, name="eurasia" if path is None else None)
    return _CACHE[key]
