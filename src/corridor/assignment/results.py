"""The result of a freight assignment: link and node flows against capacity, corridor volumes, routes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..folders import Writable
from ..network.families import FAMILIES
from ..network.tables import Network
from ..output import Document, Output, Table
from .params import AssignmentParams


@dataclass(frozen=True)
class FlowResult(Writable):
    """Assigned flows with their convergence record; frames align with the network's tables."""

    method: str
    commodities: tuple[str, ...]
    rgap: float
    iterations: int
    converged: bool
    links: pd.DataFrame  # one row per network link: flow each way (all and per commodity), capacity, v/c
    nodes: pd.DataFrame  # one row per node: TEU passing, transshipped, its fullest queue against capacity
    corridors: dict[str, float]  # TEU a year on each family's signature links
    countries: dict[str, float]  # TEU a year entering each country from another one
    history: list[tuple[int, float, float]] = field(default_factory=list)
    paths: pd.DataFrame | None = None  # sue: one row per (OD, commodity, route) with its load
    unserved: pd.DataFrame | None = None  # demand with no route under the policy (unserved="report")
    params: AssignmentParams | None = None
    corridors_by_commodity: dict[str, dict[str, float]] = field(default_factory=dict)
    # one row per queue: whose it is (link and direction, or node), its unit, load, capacity, v/c, wait,
    # backlog; a Caspian line names its service
    queues: pd.DataFrame | None = None
    month: int | None = None  # the month assigned (None: the year)

    def over_capacity(self, share: float = 0.9) -> pd.DataFrame:
        """Links (and nodes) loaded above `share` of their capacity, with the load and capacity of
        the queue that binds (per direction for a link; in TEU of boxes or tonnes of all cargo)."""
        cols = ["kind", "id", "name", "flow_teu", "capacity_teu_yr", "queue_load", "queue_capacity",
                "queue_unit", "v_c"]
        lk = self.links[self.links["v_c"] > share].assign(kind="link").rename(columns={"link_id": "id"})
        nd = self.nodes[self.nodes["v_c"] > share].assign(kind="node").rename(columns={"node_id": "id"})
        out = pd.concat([lk[cols], nd[cols]], ignore_index=True)
        return out.sort_values("v_c", ascending=False, ignore_index=True)

    def sanctions_exposure(self) -> dict:
        """The cargo that enters a sanctioned country (transit or a call): TEU a year and share of all
        assigned TEU, in total and per country. From the routes' loads (sue); otherwise from the TEU
        entering each country by link (a shipment entering two such countries counts in both)."""
        from ..routing.results import sanctioned_countries

        if self.paths is not None and "sanctioned" in self.paths.columns:
            p = self.paths
            total = float(p["teu"].sum())
            hit = p["sanctioned"].astype(str) != ""
            per: dict[str, float] = {}
            for cell, teu in zip(p.loc[hit, "sanctioned"], p.loc[hit, "teu"], strict=True):
                for c in str(cell).split(";"):
                    per[c] = per.get(c, 0.0) + float(teu)
            any_teu = float(p.loc[hit, "teu"].sum())
        else:
            total = float(sum(self.corridors.values())) or 1.0
            per = {c: v for c, v in self.countries.items() if c in sanctioned_countries()}
            any_teu = max(per.values(), default=0.0)
        by = {c: {"teu": v, "share": v / total if total else 0.0} for c, v in sorted(per.items())}
        return {"teu": any_teu, "share": any_teu / total if total else 0.0, "by_country": by}

    def corridor_summary(self) -> pd.DataFrame:
        """Per corridor family: TEU a year, share, and (sue: from its routes) mean/p90 days and USD/TEU."""
        total = sum(self.corridors.values())
        rows = []
        for fam in FAMILIES:
            teu = self.corridors.get(fam, 0.0)
            row = {"corridor": fam, "teu": teu, "share": teu / total if total else 0.0,
                   "mean_days": np.nan, "p90_days": np.nan, "usd_per_teu": np.nan}
            if self.paths is not None:
                p = self.paths[(self.paths["corridor"] == fam) & (self.paths["teu"] > 0)]
                if len(p):
                    w = p["teu"].to_numpy()
                    row["mean_days"] = float(np.average(p["days"], weights=w))
                    row["p90_days"] = _weighted_quantile(p["days"].to_numpy(), w, 0.9)
                    row["usd_per_teu"] = float(np.average(p["usd_per_teu"], weights=w))
            rows.append(row)
        return pd.DataFrame(rows)

    def outputs(self, net: Network | None = None) -> list[Output]:
        """What `write` writes: link flows (CSV, Parquet, and GeoJSON with v/c when the network is
        given for the links' shapes), node flows, corridor shares, the loads above 90% of capacity,
        the routes' loads (sue) and a JSON summary."""
        def corridors() -> pd.DataFrame:
            summary = self.corridor_summary()
            for c, vol in self.corridors_by_commodity.items():
                summary[f"teu_{c}"] = summary["corridor"].map(vol).fillna(0.0)
            return summary

        def shapes() -> list:
            assert net is not None  # asked only when the network is given
            return [net.link_coords(i) for i in range(len(self.links))]

        out: list[Output] = [
            Table("link_flows", self.links, ("csv", "parquet", "geojson"), None if net is None else shapes),
            Table("node_flows", self.nodes), Table("corridors", corridors),
            Table("over_capacity", self.over_capacity), Document("summary.json", self.to_dict)]
        if self.paths is not None:
            out.append(Table("route_flows", self.paths))
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per network link: its flow each way, capacity and v/c (link_flows)."""
        return self.links.copy()

    def to_dict(self) -> dict:
        return {
            "method": self.method, "commodities": list(self.commodities), "rgap": self.rgap,
            "iterations": self.iterations, "converged": self.converged,
            "corridors_teu": {k: round(v, 1) for k, v in self.corridors.items()},
            "corridors": self.corridor_summary().round(4).to_dict(orient="records"),
            "countries_teu": {k: round(v, 1) for k, v in sorted(self.countries.items())},
            "over_90pct": self.over_capacity().round(3).to_dict(orient="records"),
            "sanctions_exposure": self.sanctions_exposure(),
            "params": None if self.params is None else self.params.to_dict(),
        }


def _weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x)
    cw = np.cumsum(w[order])
    return float(x[order][np.searchsorted(cw, q * cw[-1])])


@dataclass(frozen=True)
class RouteFlows:
    """A path-size logit assignment over a given route set, without the link, node and corridor
    tables a `FlowResult` adds: what an analysis that re-assigns many worlds and compares their
    welfare reads (`freight.assign_routes`)."""

    paths: pd.DataFrame  # as FlowResult.paths: one row per (class, route) with its load, days and costs
    unserved: pd.DataFrame  # OD pairs with demand and no route in the set
    rgap: float
    iterations: int
    converged: bool
