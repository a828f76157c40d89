"""The paths a path-based equilibrium keeps in use: their links in one flat int32 array, their
starts, OD pairs and flows, grown in place by half when full, and each OD pair's paths by a
counting sort (`PathStore`); and loading path flows onto links (`link_flows`, `add_flows`).

Kept apart from the solver (`gradient.py`) because it is bookkeeping, not the method: the sweeps
and tree passes read its arrays, compiled, through `PathStore.view`.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def link_flows(links, start, flow, n_links):
    x = np.zeros(n_links)
    add_flows(links, start, flow, 0, len(flow), x)
    return x


@njit(cache=True)
def add_flows(links, start, flow, lo, hi, x):
    """Paths lo..hi-1 loaded onto link flows `x`."""
    for pid in range(lo, hi):
        f = flow[pid]
        if f != 0.0:
            for i in range(start[pid], start[pid + 1]):
                x[links[i]] += f


@njit(cache=True)
def _compact(links, start, keep):
    """The kept paths' links and starts, in one pass and no temporaries."""
    n_keep = 0
    size = 0
    for pid in range(len(keep)):
        if keep[pid]:
            n_keep += 1
            size += start[pid + 1] - start[pid]
    out_links = np.empty(size, dtype=np.int32)
    out_start = np.empty(n_keep + 1, dtype=np.int64)
    out_start[0] = 0
    k = 0
    pos = 0
    for pid in range(len(keep)):
        if keep[pid]:
            for i in range(start[pid], start[pid + 1]):
                out_links[pos] = links[i]
                pos += 1
            k += 1
            out_start[k] = pos
    return out_links, out_start


@njit(cache=True)
def _od_index(p_od, n_od):
    """Each OD pair's paths, in path order: (od_ptr, od_paths) by a counting sort."""
    od_ptr = np.zeros(n_od + 1, dtype=np.int64)
    for pid in range(len(p_od)):
        od_ptr[p_od[pid] + 1] += 1
    for od in range(n_od):
        od_ptr[od + 1] += od_ptr[od]
    fill = od_ptr[:-1].copy()
    od_paths = np.empty(len(p_od), dtype=np.int64)
    for pid in range(len(p_od)):
        od = p_od[pid]
        od_paths[fill[od]] = pid
        fill[od] += 1
    return od_ptr, od_paths


class PathStore:
    """The paths in use: their links (flat int32), starts, OD pairs and flows, in arrays that grow
    by half when full (a block pass appends a little at a time), and each OD pair's paths."""

    def __init__(self, n_od: int) -> None:
        self.n_od = n_od
        self.n = 0
        self.links = np.empty(0, dtype=np.int32)
        self.start = np.zeros(1, dtype=np.int64)
        self.od = np.empty(0, dtype=np.int64)
        self.flow_buf = np.empty(0)
        self.od_ptr = np.zeros(n_od + 1, dtype=np.int64)
        self.od_paths = np.empty(0, dtype=np.int64)

    @property
    def flow(self) -> np.ndarray:
        return self.flow_buf[: self.n]

    def view(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(links, starts, od_ptr, od_paths) as `path_columns` and the sweeps read them."""
        return self.links, self.start[: self.n + 1], self.od_ptr, self.od_paths

    def append(self, new_od: np.ndarray, new_start: np.ndarray, new_links: np.ndarray,
               new_flow: np.ndarray) -> None:
        k = len(new_od)
        if k == 0:
            return
        used = int(self.start[self.n])
        end = used + len(new_links)
        if end > len(self.links):
            grown = np.empty(max(end, len(self.links) * 3 // 2), dtype=np.int32)
            grown[:used] = self.links[:used]
            self.links = grown
        if self.n + k + 1 > len(self.start):
            size = max(self.n + k + 1, len(self.start) * 3 // 2)
            self.start = _grow(self.start, size, self.n + 1)
            self.od = _grow(self.od, size, self.n)
            self.flow_buf = _grow(self.flow_buf, size, self.n)
        self.links[used:end] = new_links
        self.start[self.n + 1: self.n + k + 1] = new_start[1:] + used
        self.od[self.n: self.n + k] = new_od
        self.flow_buf[self.n: self.n + k] = new_flow
        self.n += k

    def compact(self, keep: np.ndarray) -> None:
        """Only the paths `keep` marks (a bool per path)."""
        used = int(self.start[self.n])
        self.links, self.start = _compact(self.links[:used], self.start[: self.n + 1], keep)
        self.od = self.od[: self.n][keep]
        self.flow_buf = self.flow_buf[: self.n][keep]
        self.n = len(self.od)

    def reindex(self) -> None:
        self.od_ptr, self.od_paths = _od_index(self.od[: self.n], self.n_od)


def _grow(a: np.ndarray, size: int, used: int) -> np.ndarray:
    out = np.empty(size, dtype=a.dtype)
    out[:used] = a[:used]
    return out
