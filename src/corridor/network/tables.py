"""The network: node and link tables with defaults filled and sources kept, and their compiled graph."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from ..errors import CorridorError, UnknownPlaceError
from .emissions import hub_emissions, link_emissions
from .geo import great_circle_points
from .graph import CompiledGraph, compile_graph
from .names import normalize_name


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
            # what a leg's emissions rest on (ISO 14083): the factor and its sources
            "link_co2_factor": _col(lk, "co2e_factor", "").to_numpy(object),
            "link_co2_source": _col(lk, "co2_source", "").to_numpy(object),
            "node_hub_factor": _col(n, "hub_factor", "").to_numpy(object),
            "node_hub_source": _col(n, "hub_source", "").to_numpy(object),
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

    def places(self, query: str | None = None, *, kind: str | None = None) -> pd.DataFrame:
        """The nameable places, optionally filtered by a substring of name or alias and by kind."""
        cols = ["node_id", "name", "kind", "country", "lon", "lat", "aliases"]
        df = self.nodes[cols].copy()
        if kind is not None:
            df = df[df["kind"] == kind]
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
        pts = great_circle_points(a["lon"], a["lat"], b["lon"], b["lat"], n - 2) if n > 2 else []
        return [(a["lon"], a["lat"]), *pts, (b["lon"], b["lat"])]

    def find_sources(self, query: str | None = None) -> pd.DataFrame:
        """The sources whose id or title contains `query` (any case); all of them without one."""
        if self.sources is None:
            raise CorridorError("this network has no sources.csv")
        df = self.sources
        if query:
            q = query.lower()
            df = df[df["source_id"].str.lower().str.contains(q, regex=False)
                    | df["title"].str.lower().str.contains(q, regex=False)]
        return df

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


def _col(df: pd.DataFrame, name: str, default: object = np.nan) -> pd.Series:
    return df[name] if name in df.columns else pd.Series(default, index=df.index)


def _fill_nodes(raw: pd.DataFrame) -> pd.DataFrame:
    n = raw.copy()
    for c in ("dwell_hours", "dwell_usd", "transship_usd"):
        n[c] = _col(n, c).fillna(0.0).astype(float)
    n["transship_hours"] = _col(n, "transship_hours").astype(float)  # NaN = no transshipment
    for c in ("aliases", "notes"):
        n[c] = _col(n, c, "").fillna("").astype(str)
    return pd.concat([n, hub_emissions(n)], axis=1)  # what a transshipment here emits


def _fill_links(raw: pd.DataFrame, nodes: pd.DataFrame, rates: pd.DataFrame | None) -> pd.DataFrame:
    """Fill speed and tariff from the rate class, noting the rate's source; emissions (WTW in
    co2_kg_per_teu, TTW beside it) from the ISO 14083 factors (`emissions.link_emissions`)."""
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
        ):
            fill = cls.map(r[rcol]).astype(float)
            if per_km:
                fill = fill * lk["length_km"]
            missing = lk[col].isna()
            lk.loc[missing, scol] = cls[missing].map(r[scol]).fillna("").astype(str)
            lk[col] = lk[col].where(~missing, fill)
    lk["hours"] = lk["length_km"] / lk["speed_kmh"] + lk["wait_hours"]
    country = nodes.set_index("node_id")["country"]
    lk["from_country"] = lk["from_node_id"].map(country)
    lk["to_country"] = lk["to_node_id"].map(country)
    lk["opening_year"] = _col(lk, "opening_year")
    em = link_emissions(lk, rates)
    own = lk["co2_kg_per_teu"].notna()
    lk["co2_source"] = lk["co2_source"].where(own, em["co2e_source"])
    lk["co2_kg_per_teu"] = em["co2e_wtw_kg_per_teu"].fillna(0.0)
    lk["co2e_ttw_kg_per_teu"] = em["co2e_ttw_kg_per_teu"]
    lk["co2e_factor"] = em["co2e_factor"]
    return lk
