"""Countries, blocs, sanctions and named regions: who is in which club, for policies and maps.

    >>> from corridor.network.geopolitics import country_table, regions, resolve_countries
    >>> country_table().query("sanctions != 'none'")[["iso3", "name", "sanctions"]]
    >>> resolve_countries("EAEU")                # frozenset({'ARM', 'BLR', 'KAZ', 'KGZ', 'RUS'})
    >>> resolve_countries("sanctioned,central-asia")
    >>> regions()["caucasus"]                    # ('ARM', 'AZE', 'GEO')

The tables are bundled data (`country.csv`, `bloc.csv`, `region.csv`, built by
`scripts/build_data.py` from `scripts/curated/`); every row names its sources in
`sources.csv`. A country's `blocs` are full memberships; `observer` lists observer seats
(OTS); `sanctions` is `eu_us_sectoral` (broad EU and US trade, finance and transport
sanctions: Russia, Belarus, Iran), `un_comprehensive` (North Korea) or `none` (targeted
listings and arms embargoes are not tracked). TITR, the Trans-Caspian International
Transport Route association, groups companies; a country is a TITR member when one of its
railways, ports or shipping lines is.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import pandas as pd

from ..datafiles import bundled_data_dir
from ..errors import CorridorError, UnknownPlaceError
from .names import normalize_name

BLOCS = ("EU", "EAEU", "CSTO", "OTS", "SCO", "TITR")

SANCTIONS = ("none", "eu_us_sectoral", "un_comprehensive")

SANCTIONED = "sanctioned"  # every country whose sanctions status is not 'none'


class UnknownCountryError(UnknownPlaceError):
    """A country code, bloc or region name that matches nothing; carries suggestions."""

    def __init__(self, token: str, suggestions: list[str]):
        self.name = token
        self.suggestions = suggestions
        shown = token if len(token) <= 40 else token[:39] + "…"
        msg = f"unknown country, bloc or region '{shown}'"
        if suggestions:
            msg += "; did you mean: " + ", ".join(suggestions) + "?"
        self.brief = msg  # without the list of blocs and regions
        msg += (f" (blocs: {', '.join(BLOCS)}, '{SANCTIONED}'; regions: {', '.join(_region_names())};"
                " or ISO3 codes)")
        CorridorError.__init__(self, msg)


def _read(name: str, folder: Path | None) -> pd.DataFrame:
    path = (folder or bundled_data_dir()) / name
    if not path.exists():
        raise CorridorError(f"{path} not found: the geopolitics tables are built by scripts/build_data.py")
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def _split(cell: str) -> list[str]:
    return [x.strip() for x in str(cell).split(";") if x.strip()]


@lru_cache(maxsize=4)
def _tables(folder: Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return _read("country.csv", folder), _read("bloc.csv", folder), _read("region.csv", folder)


def country_table(folder: str | Path | None = None) -> pd.DataFrame:
    """One row per country: iso3, name, blocs (list), observer (list), sanctions, source_id, notes.

    Covers every country of the bundled network and of its map (`countries.geojson`).
    """
    ct = _tables(Path(folder) if folder else None)[0].copy()
    ct["blocs"] = ct["blocs"].map(_split)
    ct["observer"] = ct["observer"].map(_split)
    return ct.reset_index(drop=True)


def bloc_table(folder: str | Path | None = None) -> pd.DataFrame:
    """One row per bloc: bloc, name, kind, source_id, notes, members (list of ISO3)."""
    ct, bt, _ = _tables(Path(folder) if folder else None)
    bt = bt.copy()
    bt["members"] = [sorted(ct.loc[ct["blocs"].map(lambda c, b=b: b in _split(c)), "iso3"])
                     for b in bt["bloc"]]
    return bt.reset_index(drop=True)


def region_table(folder: str | Path | None = None) -> pd.DataFrame:
    """One row per region: region, name, members (ISO3 list, blocs expanded), source_id, notes."""
    rt = _tables(Path(folder) if folder else None)[2].copy()
    members = regions(folder)
    rt["members"] = [list(members[r]) for r in rt["region"]]
    return rt.reset_index(drop=True)


def regions(folder: str | Path | None = None) -> dict[str, tuple[str, ...]]:
    """Named groups of countries (at least china, central-asia, caucasus, turkey, eu) → ISO3 codes."""
    return dict(_regions(Path(folder) if folder else None))


@lru_cache(maxsize=4)
def _regions(folder: Path | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    ct, _, rt = _tables(folder)
    bloc_members = _bloc_members(folder)
    out = []
    for r in rt.itertuples(index=False):
        codes: set[str] = set()
        for m in _split(r.members):
            codes |= set(bloc_members.get(m, {m}))
        out.append((r.region, tuple(sorted(codes))))
    return tuple(out)


@lru_cache(maxsize=4)
def _bloc_members(folder: Path | None) -> dict[str, frozenset[str]]:
    ct, bt, _ = _tables(folder)
    out = {b: frozenset(ct.loc[ct["blocs"].map(lambda c, b=b: b in _split(c)), "iso3"]) for b in bt["bloc"]}
    out[SANCTIONED] = frozenset(ct.loc[ct["sanctions"] != "none", "iso3"])
    return out


def _region_names() -> list[str]:
    try:
        return [r for r, _ in _regions(None)]
    except CorridorError:
        return []


def group_names(folder: str | Path | None = None) -> list[str]:
    """Every name `resolve_countries` takes besides ISO3 codes: blocs, 'sanctioned', regions."""
    f = Path(folder) if folder else None
    return [*_bloc_members(f), *(r for r, _ in _regions(f))]


def canonical_group(token: str, folder: str | Path | None = None) -> str | None:
    """The bloc, region or 'sanctioned' a token names (any case and spacing: 'Central Asia',
    'central_asia' and 'CENTRAL-ASIA' are 'central-asia'; a region's or bloc's full name works
    too), or None."""
    f = Path(folder) if folder else None
    return _group_keys(f).get(normalize_name(token))


@lru_cache(maxsize=4)
def _group_keys(folder: Path | None) -> dict[str, str]:
    _, bt, rt = _tables(folder)
    keys: dict[str, str] = {}
    for name in (*_bloc_members(folder), *(r for r, _ in _regions(folder))):
        keys.setdefault(normalize_name(name), name)
    for table, col in ((bt, "bloc"), (rt, "region")):  # full names: 'European Union', 'South Caucasus'
        for code, full in zip(table[col], table["name"], strict=True):
            keys.setdefault(normalize_name(full), code)
    return keys

# Other names of countries than country.csv's (Natural Earth's), normalised by `normalize_name`
COUNTRY_ALIASES = {
    "turkiye": "TUR", "russianfederation": "RUS", "kyrgyzrepublic": "KGZ", "kirghizia": "KGZ",
    "czechrepublic": "CZE", "northmacedonia": "MKD", "bosniaandherzegovina": "BIH",
    "northerncyprus": "CYN", "republicofkorea": "KOR", "democraticpeoplesrepublicofkorea": "PRK",
    "islamicrepublicofiran": "IRN", "republicofmoldova": "MDA", "eswatini": "SWZ",
    "greatbritain": "GBR", "ivorycoast": "CIV", "democraticrepublicofthecongo": "COD",
    "centralafricanrepublic": "CAF", "southsudan": "SSD", "equatorialguinea": "GNQ",
    "westernsahara": "ESH", "vietnam": "VNM", "laopdr": "LAO", "syrianarabrepublic": "SYR",
    "unitedrepublicoftanzania": "TZA", "chinapeoplesrepublicof": "CHN", "peoplesrepublicofchina": "CHN",
}


@lru_cache(maxsize=16)
def _lookup(folder: Path | None, known: frozenset[str]) -> tuple[frozenset[str], dict[str, str]]:
    """The valid codes and the code of each normalised name or alias, built once per tables and
    `known` (every question that avoids a country resolves its names)."""
    ct = _tables(folder)[0]
    codes = frozenset(ct["iso3"]) | known
    by_name = {k: v for k, v in COUNTRY_ALIASES.items() if v in codes}
    by_name.update({normalize_name(n): i for n, i in zip(ct["name"], ct["iso3"], strict=True)})
    return codes, by_name


def resolve_countries(spec: str | Iterable[str] | None, *, known: Iterable[str] | None = None,
                      folder: str | Path | None = None) -> frozenset[str]:
    """ISO3 codes meant by a spec: blocs (`EAEU`), `sanctioned`, regions (`central-asia`),
    ISO3 codes or country names, comma-separated or as a list; any case.

    `known` adds codes that count as valid though absent from the country table (e.g. a
    user network's own codes). An unknown token raises UnknownCountryError with suggestions.
    """
    f = Path(folder) if folder else None
    if spec is None:
        return frozenset()
    tokens = spec.split(",") if isinstance(spec, str) else [str(t) for t in spec]
    tokens = [t.strip() for t in tokens if t and t.strip()]
    codes, by_name = _lookup(f, frozenset(str(k).upper() for k in (known or ())))
    groups = _bloc_members(f)
    reg = dict(_regions(f))
    out: set[str] = set()
    for tok in tokens:
        group = canonical_group(tok, f)
        if group is not None:
            out |= set(groups[group]) if group in groups else set(reg[group])
        elif tok.upper() in codes:
            out.add(tok.upper())
        elif normalize_name(tok) in by_name:
            out.add(by_name[normalize_name(tok)])
        else:
            raise UnknownCountryError(tok, suggest(tok, known=known, folder=folder))
    return frozenset(out)


def suggest(token: str, *, known: Iterable[str] | None = None, folder: str | Path | None = None,
            n: int = 4) -> list[str]:
    """Close matches among ISO3 codes, country names (given as their code), blocs and regions."""
    f = Path(folder) if folder else None
    ct = _tables(f)[0]
    labels: dict[str, str] = {}
    for g in group_names(folder):
        labels.setdefault(g.lower(), g)
    for code in [*ct["iso3"], *(str(k).upper() for k in (known or ()))]:
        labels.setdefault(code.lower(), code)
    for name, code in zip(ct["name"], ct["iso3"], strict=True):
        labels.setdefault(normalize_name(name), f"{code} ({name})")
    key = token.strip().lower()
    hits = difflib.get_close_matches(key, list(labels), n=n, cutoff=0.6)
    if not hits:
        hits = difflib.get_close_matches(normalize_name(token), list(labels), n=n, cutoff=0.6)
    out: dict[str, str] = {}  # one suggestion per code: 'RUS (Russia)' wins over a bare 'RUS'
    for h in hits:
        code = labels[h].split(" ")[0]
        if code.lower() == key or h == key:  # never suggest what was given
            continue
        if code not in out or len(labels[h]) > len(out[code]):
            out[code] = labels[h]
    return list(out.values())[:n]
