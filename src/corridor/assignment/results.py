"""The result of a freight assignment: link and node flows against capacity, corridor volumes, routes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..network.families import FAMILIES
from ..network.tables import Network
from ..output import json_safe, refuse_overwrite
from .params import AssignmentParams


@dataclass(frozen=True)
class FlowResult:
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

    def write(self, folder: str | Path, net: Network, *, force: bool = False) -> list[Path]:
        """Link and node flows (CSV, Parquet, GeoJSON with v/c), corridor shares, the loads above
        90% of capacity, the routes' loads (sue) and a JSON summary. Refuses to replace any file
        that exists unless `force`; checks all before writing one."""
        folder = Path(folder)
        names = ["link_flows.csv", "link_flows.parquet", "link_flows.geojson", "node_flows.csv",
                 "corridors.csv", "over_capacity.csv", "summary.json"]
        if self.paths is not None:
            names.append("route_flows.csv")
        targets = [folder / n for n in names]
        refuse_overwrite(targets, force)
        self.links.to_csv(targets[0], index=False)
        self.links.to_parquet(targets[1], index=False)
        geo = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {k: json_safe(v) for k, v in row.items()},
             "geometry": {"type": "LineString", "coordinates": [list(c) for c in net.link_coords(i)]}}
            for i, row in enumerate(self.links.to_dict(orient="records"))]}
        targets[2].write_text(json.dumps(geo, ensure_ascii=False), encoding="utf-8")
        self.nodes.to_csv(targets[3], index=False)
        summary = self.corridor_summary()
        for c, vol in self.corridors_by_commodity.items():
            summary[f"teu_{c}"] = summary["corridor"].map(vol).fillna(0.0)
        summary.to_csv(targets[4], index=False)
        self.over_capacity().to_csv(targets[5], index=False)
        targets[6].write_text(json.dumps(json_safe(self.to_dict()), indent=2, ensure_ascii=False) + "\n",
                              encoding="utf-8")
        if self.paths is not None:
            self.paths.to_csv(targets[7], index=False)
        return targets

    def to_dict(self) -> dict:
        return {
            "method": self.method, "commodities": list(self.commodities), "rgap": self.rgap,
            "iterations": self.iterations, "converged": self.converged,
            "corridors_teu": {k: round(v, 1) for k, v in self.corridors.items()},
            "corridors": self.corridor_summary().round(4).to_dict(orient="records"),
            "countries_teu": {k: round(v, 1) for k, v in sorted(self.countries.items())},
            "over_90pct": self.over_capacity().round(3).to_dict(orient="records"),
            "params": None if self.params is None else self.params.to_dict(),
        }


def _weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x)
    cw = np.cumsum(w[order])
    return float(x[order][np.searchsorted(cw, q * cw[-1])])
