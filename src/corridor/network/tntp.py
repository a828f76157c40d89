"""Reader for the TNTP benchmark format (github.com/bstabler/TransportationNetworks).

The files are hand-edited text whose whitespace varies from network to network,
so every file is read line by line and split on any whitespace rather than with a
fixed-separator CSV reader; every malformed line becomes a located `Problem`, and
all problems are raised together in one `ValidationError`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import Problem, ValidationError

LINK_COLUMNS = ("init_node", "term_node", "capacity", "length", "free_flow_time", "b", "power",
                "speed", "toll", "link_type")

_REQUIRED_LINK_COLUMNS = 7  # up to power: enough for the BPR function

_META = re.compile(r"^<([^>]+)>(.*)$")

# The generalized cost the TransportationNetworks README of each network documents, in minutes per
# cent of toll and per unit of length (cost = time + toll_factor * toll + distance_factor * length).
# Networks not listed have none documented: time only, unless the caller says otherwise.
GENERALIZED_COST = {
    "chicagosketch": (0.02, 0.04),  # 0.02 min/cent, 0.04 min/mile
    "chicagoregional": (0.1, 0.25),  # 0.1 min/cent, 0.25 min/mile
    "siouxfalls": (0.0, 0.0),
    "anaheim": (0.0, 0.0),
}

_ORIGIN = re.compile(r"^origin\s+(\S+)$", re.IGNORECASE)

_PAIR = re.compile(r"^(\S+)\s*:\s*(\S+)$")


@dataclass(frozen=True)
class TntpNetwork:
    """One TNTP network as plain tables; node numbers stay 1-based as in the files."""

    links: pd.DataFrame  # LINK_COLUMNS, one row per link in file order
    demand: np.ndarray  # (zones, zones) float64, demand[o-1, d-1]
    n_zones: int
    n_nodes: int
    first_thru_node: int  # nodes below it are zones that must not carry through traffic
    metadata: dict[str, str]
    flow: pd.DataFrame | None = None  # best-known flows in link order: init_node, term_node, volume, cost
    nodes: pd.DataFrame | None = None  # node, x, y
    name: str = ""  # the network's name: the net file's stem before '_net'
    toll_factor: float = 0.0  # minutes per unit of toll in the generalized cost
    distance_factor: float = 0.0  # minutes per unit of length

    @property
    def fixed_cost(self) -> np.ndarray:
        """Per link, what the generalized cost adds to the BPR time: toll and length, weighted."""
        lk = self.links
        return (self.toll_factor * lk["toll"] + self.distance_factor * lk["length"]).to_numpy(dtype=float)


def _read_lines(path: Path, problems: list[Problem]) -> list[str]:
    try:
        return path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
    except OSError as exc:
        problems.append(Problem(path.name, None, None, f"cannot read file: {exc.strerror or exc}"))
        return []


def _split_metadata(path: Path, lines: list[str], problems: list[Problem]) -> tuple[dict[str, str], int]:
    """Metadata keys (upper case) and the index of the first body line."""
    meta: dict[str, str] = {}
    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line or line.startswith("~"):
            continue
        m = _META.match(line)
        if m is None:
            problems.append(Problem(path.name, i + 1, None, "expected '<KEY> value' metadata before "
                                    "'<END OF METADATA>'"))
            return meta, i
        key = m.group(1).strip().upper()
        if key == "END OF METADATA":
            return meta, i + 1
        meta[key] = m.group(2).strip()
    if lines:
        problems.append(Problem(path.name, None, None, "no '<END OF METADATA>' line"))
    return meta, len(lines)


def _meta_int(path: Path, meta: dict[str, str], key: str, problems: list[Problem],
              required: bool = True) -> int | None:
    if key not in meta:
        if required:
            problems.append(Problem(path.name, None, None, f"metadata '<{key}>' is missing"))
        return None
    try:
        value = float(meta[key].split()[0]) if meta[key].split() else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value != int(value) or value < 0:
        problems.append(Problem(path.name, None, None, f"metadata '<{key}>' is not a whole number: "
                                f"{meta[key]!r}"))
        return None
    return int(value)


def _body_rows(lines: list[str], start: int) -> list[tuple[int, list[str]]]:
    """(1-based line number, whitespace tokens without the ';' terminator) of each data line."""
    rows = []
    for i in range(start, len(lines)):
        line = lines[i].strip()
        if not line or line.startswith("~") or line.startswith("<"):
            continue
        rows.append((i + 1, line.replace(";", " ").split()))
    return rows


def _number(tok: str) -> float:
    v = float(tok)
    if not math.isfinite(v):
        raise ValueError(tok)
    return v


def _read_net(path: Path, problems: list[Problem]) -> tuple[pd.DataFrame, dict[str, str], int, int, int]:
    lines = _read_lines(path, problems)
    meta, start = _split_metadata(path, lines, problems)
    n_zones = _meta_int(path, meta, "NUMBER OF ZONES", problems)
    n_nodes = _meta_int(path, meta, "NUMBER OF NODES", problems)
    ftn = _meta_int(path, meta, "FIRST THRU NODE", problems)
    n_links = _meta_int(path, meta, "NUMBER OF LINKS", problems, required=False)
    values: list[list[float]] = []
    for lineno, toks in _body_rows(lines, start):
        if len(toks) < _REQUIRED_LINK_COLUMNS:
            need = ", ".join(LINK_COLUMNS[:_REQUIRED_LINK_COLUMNS])
            problems.append(Problem(path.name, lineno, LINK_COLUMNS[len(toks)] if toks else None,
                                    f"link row has {len(toks)} values, needs at least "
                                    f"{_REQUIRED_LINK_COLUMNS} ({need})"))
            continue
        row: list[float] = []
        ok = True
        for col, tok in zip(LINK_COLUMNS, toks, strict=False):
            try:
                row.append(_number(tok))
            except ValueError:
                problems.append(Problem(path.name, lineno, col, f"not a number: {tok!r}"))
                ok = False
        if not ok:
            continue
        row += [0.0, 0.0, 1.0][len(row) - _REQUIRED_LINK_COLUMNS:] if len(row) < len(LINK_COLUMNS) else []
        u, v, cap, _, fft, b, p = row[:7]
        checks = [
            ("init_node", u == int(u) and (n_nodes is None or 1 <= u <= n_nodes), f"node {_fmt(u)} "
             f"is not a node number in 1..{n_nodes}"),
            ("term_node", v == int(v) and (n_nodes is None or 1 <= v <= n_nodes), f"node {_fmt(v)} "
             f"is not a node number in 1..{n_nodes}"),
            ("free_flow_time", fft >= 0, f"free-flow time must be >= 0, got {_fmt(fft)}"),
            ("b", b >= 0, f"BPR b must be >= 0, got {_fmt(b)}"),
            ("power", p >= 0, f"BPR power must be >= 0, got {_fmt(p)}"),
            ("capacity", cap > 0 or b == 0, f"capacity must be > 0 when b > 0, got {_fmt(cap)}"),
        ]
        bad = [Problem(path.name, lineno, col, msg) for col, good, msg in checks if not good]
        if bad:
            problems.extend(bad)
            continue
        values.append(row[: len(LINK_COLUMNS)])
    if n_links is not None and not problems and len(values) != n_links:
        problems.append(Problem(path.name, None, None,
                                f"metadata says {n_links} links, file has {len(values)}"))
    if ftn is not None and n_nodes is not None and not 1 <= ftn <= n_nodes + 1:
        problems.append(Problem(path.name, None, None, f"<FIRST THRU NODE> {ftn} is outside 1..{n_nodes}"))
    links = pd.DataFrame(values, columns=list(LINK_COLUMNS), dtype="float64")
    for col in ("init_node", "term_node", "link_type"):
        links[col] = links[col].astype("int64")
    return links, meta, n_zones or 0, n_nodes or 0, ftn or 1


def _fmt(x: float) -> str:
    return str(int(x)) if x == int(x) else repr(x)


def _read_trips(path: Path, n_zones: int, problems: list[Problem]) -> np.ndarray:
    """The OD demand of a trips file: blocks of 'Origin N' lines, each followed by 'destination : flow'
    pairs joined by ';' (zones 1-based), checked against the zones of the network file and the file's
    own <TOTAL OD FLOW>."""
    lines = _read_lines(path, problems)
    meta, start = _split_metadata(path, lines, problems)
    z = _meta_int(path, meta, "NUMBER OF ZONES", problems)
    if z is not None and n_zones and z != n_zones:
        problems.append(Problem(path.name, None, None, f"{z} zones here but {n_zones} in the network file"))
    z = n_zones or z or 0
    demand = np.zeros((z, z))
    origin: int | None = None
    for i in range(start, len(lines)):
        line = lines[i].strip()
        if not line or line.startswith("~"):
            continue
        m = _ORIGIN.match(line)
        if m:
            origin = _origin_zone(path, i + 1, m.group(1), z, problems)
            continue
        for part in line.split(";"):
            _add_trips(path, i + 1, part.strip(), origin, demand, problems)
    _check_total(path, meta, demand, problems)
    return demand


def _origin_zone(path: Path, lineno: int, token: str, z: int, problems: list[Problem]) -> int | None:
    """The zone of an 'Origin N' line; None (the block's flows go nowhere) when N is not a zone."""
    try:
        o = _number(token)
    except ValueError:
        o = math.nan
    if not (math.isfinite(o) and o == int(o) and 1 <= o <= z):
        problems.append(Problem(path.name, lineno, "origin", f"origin {token!r} is not a zone in 1..{z}"))
        return None
    return int(o)


def _add_trips(path: Path, lineno: int, part: str, origin: int | None, demand: np.ndarray,
               problems: list[Problem]) -> None:
    """One 'destination : flow' pair added to `demand` (zones x zones) at its origin's row. Flows with no
    valid origin are reported once per file, and not after a bad 'Origin' line (already reported): each
    line of the block would say the same."""
    if not part:
        return
    pm = _PAIR.match(part)
    if pm is None:
        problems.append(Problem(path.name, lineno, None, f"expected 'destination : flow', got {part!r}"))
        return
    try:
        d, q = _number(pm.group(1)), _number(pm.group(2))
    except ValueError:
        problems.append(Problem(path.name, lineno, None, f"not numbers: {part!r}"))
        return
    if origin is None:
        if not any(p.file == path.name and p.column == "origin" for p in problems):
            problems.append(Problem(path.name, lineno, "origin", "flow before any valid 'Origin N' line"))
        return
    z = len(demand)
    if not (d == int(d) and 1 <= d <= z):
        problems.append(Problem(path.name, lineno, "destination",
                                f"destination {pm.group(1)!r} is not a zone in 1..{z}"))
    elif q < 0:
        problems.append(Problem(path.name, lineno, "flow", f"negative flow {pm.group(2)!r}"))
    else:
        demand[origin - 1, int(d) - 1] += q


def _check_total(path: Path, meta: dict[str, str], demand: np.ndarray, problems: list[Problem]) -> None:
    """The flows against the file's <TOTAL OD FLOW>, when the file states one and has no other problem
    (a flow left out for a bad line would make the sums differ twice over)."""
    total = meta.get("TOTAL OD FLOW")
    if total is not None and not problems:
        try:
            t = float(total.split()[0])
        except (ValueError, IndexError):
            problems.append(Problem(path.name, None, None, f"<TOTAL OD FLOW> is not a number: {total!r}"))
        else:
            if not math.isclose(t, demand.sum(), rel_tol=1e-6, abs_tol=1e-6):
                problems.append(Problem(path.name, None, None, f"<TOTAL OD FLOW> says {t}, the flows sum to "
                                        f"{demand.sum():.6f}"))


def _read_table(path: Path, names: tuple[str, ...],
                problems: list[Problem]) -> tuple[pd.DataFrame, list[int]]:
    """A whitespace table with a text header line (flow and node files)."""
    lines = _read_lines(path, problems)
    rows, linenos = [], []
    header_seen = False
    for lineno, toks in _body_rows(lines, 0):
        if not header_seen and toks and not re.match(r"^[-+.\d]", toks[0]):
            header_seen = True
            continue
        if len(toks) < len(names):
            problems.append(Problem(path.name, lineno, names[len(toks)], f"row has {len(toks)} values, "
                                    f"needs {len(names)} ({', '.join(names)})"))
            continue
        row = []
        for col, tok in zip(names, toks, strict=False):
            try:
                row.append(_number(tok))
            except ValueError:
                problems.append(Problem(path.name, lineno, col, f"not a number: {tok!r}"))
                break
        if len(row) == len(names):
            rows.append(row)
            linenos.append(lineno)
    return pd.DataFrame(rows, columns=list(names), dtype="float64"), linenos


def _align_flow(path: Path, flow: pd.DataFrame, linenos: list[int], links: pd.DataFrame,
                problems: list[Problem]) -> pd.DataFrame | None:
    """Best-known flows in link order: by position when the pairs match row for row, else by node pair."""
    flow = flow.rename(columns={"from": "init_node", "to": "term_node"})
    flow["init_node"] = flow["init_node"].astype("int64")
    flow["term_node"] = flow["term_node"].astype("int64")
    pairs = ["init_node", "term_node"]
    if len(flow) == len(links) and (flow[pairs].to_numpy() == links[pairs].to_numpy()).all():
        return flow.reset_index(drop=True)
    dup = flow.duplicated(pairs, keep=False)
    for i in np.flatnonzero(dup.to_numpy()):
        problems.append(Problem(path.name, linenos[i], None,
                                "repeated link; rows are not in link order, so it cannot be matched"))
    out = links[pairs].merge(flow.drop_duplicates(pairs), on=pairs, how="left")
    missing = out["volume"].isna().to_numpy()
    if missing.any():
        first = links.loc[missing, pairs].head(5).itertuples(index=False)
        problems.append(Problem(path.name, None, None, f"{int(missing.sum())} link(s) have no flow, e.g. "
                                + ", ".join(f"{a}->{b}" for a, b in first)))
    return out


def read_tntp(net_path: str | Path, trips_path: str | Path | None = None, flow_path: str | Path | None = None,
              node_path: str | Path | None = None, *, toll_factor: float | None = None,
              distance_factor: float | None = None) -> TntpNetwork:
    """Read a TNTP network (and optionally its trips, best-known flows, node coordinates).

    The link cost is time + `toll_factor` × toll + `distance_factor` × length; by default the
    weights its README documents (`GENERALIZED_COST`, by the file's name: Chicago Sketch 0.02 min
    per cent and 0.04 min per mile), else time alone. Raises `ValidationError` listing every
    problem found, each with file and line.
    """
    problems: list[Problem] = []
    net_path = Path(net_path)
    links, meta, n_zones, n_nodes, ftn = _read_net(net_path, problems)
    demand = np.zeros((n_zones, n_zones))
    if trips_path is not None:
        demand = _read_trips(Path(trips_path), n_zones, problems)
    flow = None
    if flow_path is not None:
        p = Path(flow_path)
        table, linenos = _read_table(p, ("from", "to", "volume", "cost"), problems)
        if not problems:
            flow = _align_flow(p, table, linenos, links, problems)
    nodes = None
    if node_path is not None:
        nodes, _ = _read_table(Path(node_path), ("node", "x", "y"), problems)
        nodes["node"] = nodes["node"].astype("int64")
    name = re.sub(r"_net$", "", net_path.stem, flags=re.IGNORECASE)
    documented = GENERALIZED_COST.get(re.sub(r"[^a-z]", "", name.lower()), (0.0, 0.0))
    factors = (documented[0] if toll_factor is None else float(toll_factor),
               documented[1] if distance_factor is None else float(distance_factor))
    for label, f in zip(("toll_factor", "distance_factor"), factors, strict=True):
        if not (math.isfinite(f) and f >= 0):
            problems.append(Problem(net_path.name, None, None, f"{label} must be a number >= 0, got {f}"))
    if problems:
        raise ValidationError(problems, what=f"TNTP network {net_path.name}")
    return TntpNetwork(links=links, demand=demand, n_zones=n_zones, n_nodes=n_nodes, first_thru_node=ftn,
                       metadata=meta, flow=flow, nodes=nodes, name=name, toll_factor=factors[0],
                       distance_factor=factors[1])
