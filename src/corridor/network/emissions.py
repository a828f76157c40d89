"""Greenhouse-gas emissions as ISO 14083 and the GLEC Framework count them: per leg, well-to-wheel
(WTW: fuel or power production and use) and tank-to-wheel (TTW: use only) kg CO2e, per TEU and per
tonne, on the link's length (the actual or shortest feasible distance), plus the hubs' handling.

The factors are bundled data, each with its sources: `emission_factors.csv` (kg CO2e per tonne-km
by emission class: diesel and electric rail, truck, container ship by size class, Ro-Ro and Ro-Pax;
kg CO2e per TEU at a port or rail hub) and `rail_energy.csv` (per country, the electric share of
rail traffic and the grid's lifecycle intensity). A link's class is its own `emission_class`, else
its rate class's; `rail` is split by the countries the link joins: the electric share runs on the
grid (WTW only, TTW zero), the rest on diesel; a country without a row runs on diesel (an upper
bound). A link with its own `co2_kg_per_teu`, or whose class has no factor, keeps that figure as
WTW and has no TTW (NaN).

Per tonne is per TEU over the IMO EEOI convention of 10 t in a loaded TEU (`TONNES_PER_TEU`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from ..datafiles import read_package_csv

TONNES_PER_TEU = 10.0  # IMO EEOI guidelines: a loaded TEU weighs 10 t (source imo_eeoi)

RAIL = "rail"  # the emission class split into electric and diesel by country

HUB_PORT, HUB_RAIL = "hub_port", "hub_rail"


@dataclass(frozen=True)
class EmissionFactors:
    """The factor tables: per-tonne-km link factors, per-TEU hub factors, rail energy by country."""

    link: pd.DataFrame  # index factor_id: wtw_kg_per_tkm, ttw_kg_per_tkm, kwh_per_tkm, source_id
    hub: pd.DataFrame  # index factor_id: wtw_kg_per_teu, ttw_kg_per_teu, source_id
    rail: pd.DataFrame  # index country: electric_share, grid_g_co2e_per_kwh, source_id

    def sources(self, factor_id: str) -> list[str]:
        table = self.link if factor_id in self.link.index else self.hub
        return _ids(table.at[factor_id, "source_id"])


def _ids(cell: object) -> list[str]:
    return [s.strip() for s in str(cell or "").split(";") if s.strip()]


@cache
def emission_factors() -> EmissionFactors:
    """The bundled factor tables (read once)."""
    ef = read_package_csv("emission_factors.csv")
    num = ["wtw_kg_per_tkm", "ttw_kg_per_tkm", "kwh_per_tkm", "wtw_kg_per_teu", "ttw_kg_per_teu"]
    ef[num] = ef[num].apply(pd.to_numeric, errors="coerce")
    ef = ef.fillna({"source_id": ""}).set_index("factor_id")
    rail = read_package_csv("rail_energy.csv")
    rail[["electric_share", "grid_g_co2e_per_kwh"]] = rail[["electric_share", "grid_g_co2e_per_kwh"]].apply(
        pd.to_numeric, errors="coerce")
    rail = rail.fillna({"source_id": "", "grid_g_co2e_per_kwh": 0.0}).set_index("country")
    return EmissionFactors(link=ef[ef["applies_to"] == "link"], hub=ef[ef["applies_to"] == "hub"], rail=rail)


def _rail_per_tkm(f: EmissionFactors, countries: list[str]) -> tuple[float, float, str, list[str]]:
    """WTW and TTW kg per t-km of a rail link across `countries`, its factor label and sources."""
    el, di = f.link.loc["rail_electric"], f.link.loc["rail_diesel"]
    shares, grids, srcs = [], [], [*f.sources("rail_electric"), *f.sources("rail_diesel")]
    for c in countries:
        if c in f.rail.index:
            shares.append(float(f.rail.at[c, "electric_share"]))
            grids.append(float(f.rail.at[c, "grid_g_co2e_per_kwh"]))
            srcs += _ids(f.rail.at[c, "source_id"])
        else:
            shares.append(0.0)
            grids.append(0.0)
    share = float(np.mean(shares))
    grid = float(np.dot(shares, grids) / sum(shares)) if sum(shares) > 0 else 0.0
    wtw = share * float(el["kwh_per_tkm"]) * grid / 1000.0 + (1 - share) * float(di["wtw_kg_per_tkm"])
    ttw = (1 - share) * float(di["ttw_kg_per_tkm"])
    label = f"rail_electric {share:.0%} ({'/'.join(dict.fromkeys(countries))}) + rail_diesel"
    return wtw, ttw, label, srcs


def link_emissions(links: pd.DataFrame, rates: pd.DataFrame | None,
                   factors: EmissionFactors | None = None) -> pd.DataFrame:
    """Per link: `co2e_wtw_kg_per_teu`, `co2e_ttw_kg_per_teu` (NaN where unknown), `co2e_factor`
    (the factor id, or a rail mix) and `co2e_source` (its sources), on the link's length.

    `links` needs link_id, mode, length_km, from_country and to_country, and may carry
    emission_class and co2_kg_per_teu (a link's own WTW figure); the rate class's
    emission_class and co2_kg_per_teu_km are used where the link has none.
    """
    f = factors or emission_factors()
    n = len(links)
    km = links["length_km"].to_numpy(float)
    own = links["co2_kg_per_teu"].to_numpy(float) if "co2_kg_per_teu" in links else np.full(n, np.nan)
    cls = links["emission_class"].fillna("").astype(str) if "emission_class" in links \
        else pd.Series("", index=links.index)
    rate_cls = links["rate_class"].fillna("").astype(str) if "rate_class" in links \
        else pd.Series("", index=links.index)
    rate_ec: dict[str, str] = {}
    rate_co2: dict[str, float] = {}
    rate_src: dict[str, str] = {}
    if rates is not None and len(rates):
        r = rates.set_index("rate_class")
        if "emission_class" in r:
            rate_ec = r["emission_class"].fillna("").astype(str).to_dict()
        rate_co2 = r["co2_kg_per_teu_km"].astype(float).to_dict()
        rate_src = r["co2_source"].fillna("").astype(str).to_dict() if "co2_source" in r else {}
    wtw, ttw = np.full(n, np.nan), np.full(n, np.nan)
    label, source = [""] * n, [""] * n
    modes, fc, tc = links["mode"].to_numpy(object), links["from_country"].to_numpy(object), \
        links["to_country"].to_numpy(object)
    cache: dict[tuple, tuple] = {}
    for i in range(n):
        c = cls.iat[i] or rate_ec.get(rate_cls.iat[i], "")
        if modes[i] == "transfer":
            wtw[i], ttw[i], label[i] = 0.0, 0.0, "transfer"
        elif np.isfinite(own[i]):
            wtw[i], label[i] = own[i], "link"
        elif c == RAIL:
            key = (str(fc[i]), str(tc[i]))
            if key not in cache:
                cache[key] = _rail_per_tkm(f, list(key))
            w, t, label[i], srcs = cache[key]
            wtw[i], ttw[i], source[i] = w * km[i] * TONNES_PER_TEU, t * km[i] * TONNES_PER_TEU, \
                ";".join(dict.fromkeys(srcs))
        elif c in f.link.index and np.isfinite(f.link.at[c, "wtw_kg_per_tkm"]):
            row = f.link.loc[c]
            wtw[i] = float(row["wtw_kg_per_tkm"]) * km[i] * TONNES_PER_TEU
            ttw[i] = float(row["ttw_kg_per_tkm"]) * km[i] * TONNES_PER_TEU
            label[i], source[i] = c, ";".join(f.sources(c))
        elif rate_cls.iat[i] in rate_co2:
            wtw[i] = rate_co2[rate_cls.iat[i]] * km[i]
            label[i], source[i] = f"rate:{rate_cls.iat[i]}", rate_src.get(rate_cls.iat[i], "")
    return pd.DataFrame({"co2e_wtw_kg_per_teu": wtw, "co2e_ttw_kg_per_teu": ttw, "co2e_factor": label,
                         "co2e_source": source}, index=links.index)


def hub_emissions(nodes: pd.DataFrame, factors: EmissionFactors | None = None) -> pd.DataFrame:
    """Per node: WTW and TTW kg CO2e per TEU transshipped there (a port's handling, else a rail
    terminal's), the factor id and its sources. Border dwell without transshipment emits nothing."""
    f = factors or emission_factors()
    port = (nodes["kind"] == "port").to_numpy()
    out = pd.DataFrame(index=nodes.index)
    for col, src in (("wtw", "wtw_kg_per_teu"), ("ttw", "ttw_kg_per_teu")):
        out[f"hub_{col}_kg_per_teu"] = np.where(port, float(f.hub.at[HUB_PORT, src]),
                                                float(f.hub.at[HUB_RAIL, src]))
    out["hub_factor"] = np.where(port, HUB_PORT, HUB_RAIL)
    out["hub_source"] = np.where(port, ";".join(f.sources(HUB_PORT)), ";".join(f.sources(HUB_RAIL)))
    return out
