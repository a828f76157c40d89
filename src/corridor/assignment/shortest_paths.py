"""Compiled shortest-path trees for the equilibrium engine: one origin at a time, memory linear in links.

scipy's Dijkstra over all origins returns dense origins × nodes arrays (96 MB each on Berlin-Center)
and its trees must then be searched edge by edge. Here a Dijkstra on a 4-ary heap (Numba) grows one
tree per origin into scratch arrays of the graph's size, records the order in which nodes settle,
and loads the origin's demand onto the tree by walking that order backwards (every node passes its
load to its parent edge once): no dense arrays, no search over tree arcs. Origins are split into
chunks that run on their own threads (the kernels release the GIL), each into its own flow array.

`path_columns` grows the same trees and, instead of loading them, reads each OD pair's shortest
path as a list of links and compares it with the paths that pair already has (the path-based
gradient projection in `gradient.py` uses them as new columns).

The kernels compile on first use and are cached on disk (numba's `cache=True`).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

from ..heap import heap4_pop, heap4_push

THREADS = max(1, min(2, os.cpu_count() or 1))  # the project's machines have two cores

_SMALL = 2_000_000  # below this many (origin x edge) steps one thread is quicker than two
_SMALL_COLUMNS = 200_000  # the same for path_columns, whose chunks allocate no per-edge flow array
_CHUNKS_PER_THREAD = 4  # path_columns' chunks: a thread that finishes early (or a busy core) takes more

_POOL: list[ThreadPoolExecutor] = []


def _map(fn, n: int) -> list:
    """fn(0..n-1), on the module's worker threads when n > 1 (the kernels release the GIL)."""
    if n == 1:
        return [fn(0)]
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(THREADS, thread_name_prefix="corridor-sp"))
    return list(_POOL[0].map(fn, range(n)))


@njit(cache=True, nogil=True)
def _tree(indptr, indices, cost, source, dist, pred, order, done, hk, hv, wanted, n_wanted):
    """Dijkstra from `source`: dist, pred (CSR edge into each node) and the settling order; returns
    how many nodes settled and how many heap entries are left (every node reached but not settled
    has one). `dist`, `pred` and `done` must come in reset (inf, -1, False). The search stops once
    the `n_wanted` nodes marked in `wanted` are settled (the rest stay unsettled)."""
    dist[source] = 0.0
    size = heap4_push(hk, hv, 0, 0.0, source)
    n_done = 0
    while size > 0:
        d = hk[0]
        v = hv[0]
        size = heap4_pop(hk, hv, size)
        if done[v]:
            continue
        done[v] = True
        order[n_done] = v
        n_done += 1
        if wanted[v]:
            n_wanted -= 1
            if n_wanted == 0:
                break
        for j in range(indptr[v], indptr[v + 1]):
            w = indices[j]
            nd = d + cost[j]
            if nd < dist[w]:
                dist[w] = nd
                pred[w] = j
                size = heap4_push(hk, hv, size, nd, w)
    return n_done, size


@njit(cache=True, nogil=True)
def _reset(dist, pred, done, order, n_done, hv, n_left):
    """Undo a tree: its settled nodes and those left in the heap (reached, not settled)."""
    for i in range(n_done):
        v = order[i]
        dist[v] = np.inf
        pred[v] = -1
        done[v] = False
    for i in range(n_left):
        v = hv[i]
        dist[v] = np.inf
        pred[v] = -1


@njit(cache=True, nogil=True)
def _aon_chunk(indptr, indices, tails, cost, sources, rows, sinks, flow):
    """Load each source's demand row (over zones, arriving at `sinks`) on its tree into `flow`
    (per CSR edge). Returns (shortest-path total, OD pairs without a path, first such (row, zone))."""
    n = len(indptr) - 1
    dist = np.full(n, np.inf)
    pred = np.full(n, -1, dtype=np.int64)
    done = np.zeros(n, dtype=np.bool_)
    order = np.empty(n, dtype=np.int64)
    load = np.zeros(n)
    hk = np.empty(len(indices) + 1)
    hv = np.empty(len(indices) + 1, dtype=np.int64)
    wanted = np.zeros(n, dtype=np.bool_)
    sptt = 0.0
    lost = 0
    bad_row, bad_zone = -1, -1
    for r in range(len(sources)):
        n_wanted = 0
        for z in range(rows.shape[1]):
            if rows[r, z] > 0.0 and not wanted[sinks[z]]:
                wanted[sinks[z]] = True
                n_wanted += 1
        n_done, n_left = _tree(indptr, indices, cost, sources[r], dist, pred, order, done, hk, hv, wanted,
                               n_wanted)
        for z in range(rows.shape[1]):
            wanted[sinks[z]] = False
        for z in range(rows.shape[1]):
            q = rows[r, z]
            if q <= 0.0:
                continue
            s = sinks[z]
            if not done[s]:
                if lost == 0:
                    bad_row, bad_zone = r, z
                lost += 1
                continue
            sptt += q * dist[s]
            load[s] += q
        for i in range(n_done - 1, 0, -1):
            v = order[i]
            x = load[v]
            if x != 0.0:
                e = pred[v]
                flow[e] += x
                load[tails[e]] += x
                load[v] = 0.0
        load[sources[r]] = 0.0
        _reset(dist, pred, done, order, n_done, hv, n_left)
    return sptt, lost, bad_row, bad_zone


def _chunks(n: int, parts: int) -> list[np.ndarray]:
    """Indices 0..n-1 dealt round-robin into `parts` chunks (neighbouring origins cost alike)."""
    return [np.arange(i, n, parts) for i in range(min(parts, n)) if i < n]


def all_or_nothing_flows(indptr: np.ndarray, indices: np.ndarray, tails: np.ndarray, cost: np.ndarray,
                         sources: np.ndarray, rows: np.ndarray, sinks: np.ndarray,
                         threads: int = THREADS) -> tuple[np.ndarray, float, int, tuple[int, int]]:
    """Flow per CSR edge when every source sends its demand row along its shortest-path tree; the
    shortest-path total; the number of OD pairs with demand and no path, and the first of them
    (source row, zone) or (-1, -1)."""
    m = len(indices)
    parts = _chunks(len(sources), threads if len(sources) * m >= _SMALL else 1)
    flows = [np.zeros(m) for _ in parts]

    def run(k: int):
        p = parts[k]
        return _aon_chunk(indptr, indices, tails, cost, sources[p], rows[p], sinks, flows[k])

    out = _map(run, len(parts))
    flow = flows[0]
    for f in flows[1:]:
        flow += f
    lost = sum(o[1] for o in out)
    first = (-1, -1)
    for k, o in enumerate(out):
        if o[1]:
            first = (int(parts[k][o[2]]), int(o[3]))
            break
    return flow, float(sum(o[0] for o in out)), lost, first


@njit(cache=True, nogil=True)
def _columns_chunk(indptr, indices, tails, cost, edge_link, sources, od_lo, od_hi, od_sink, od_q,
                   p_links, p_start, od_ptr, od_paths):
    """For each source, its tree; for each of its OD pairs (od_lo..od_hi), the shortest path's links
    (from origin to destination) and whether the pair already has that path.

    Returns (shortest-path total, the OD pairs without a path, per OD its shortest path's id in the
    store or -1 when new, and the new paths as (od, start offsets, links))."""
    n = len(indptr) - 1
    dist = np.full(n, np.inf)
    pred = np.full(n, -1, dtype=np.int64)
    done = np.zeros(n, dtype=np.bool_)
    order = np.empty(n, dtype=np.int64)
    hk = np.empty(len(indices) + 1)
    hv = np.empty(len(indices) + 1, dtype=np.int64)
    buf = np.empty(n, dtype=np.int32)
    n_od = od_hi[-1] - od_lo[0] if len(od_lo) else 0
    best = np.full(n_od, -1, dtype=np.int64)
    new_od = np.empty(max(n_od, 1), dtype=np.int64)
    new_start = np.zeros(max(n_od, 1) + 1, dtype=np.int64)
    new_links = np.empty(max(16 * n_od, 1024), dtype=np.int32)
    n_new = 0
    sptt = 0.0
    lost = 0
    base = od_lo[0] if len(od_lo) else 0
    wanted = np.zeros(n, dtype=np.bool_)
    for r in range(len(sources)):
        n_wanted = 0
        for od in range(od_lo[r], od_hi[r]):
            if not wanted[od_sink[od]]:
                wanted[od_sink[od]] = True
                n_wanted += 1
        n_done, n_left = _tree(indptr, indices, cost, sources[r], dist, pred, order, done, hk, hv, wanted,
                               n_wanted)
        for od in range(od_lo[r], od_hi[r]):
            wanted[od_sink[od]] = False
        for od in range(od_lo[r], od_hi[r]):
            s = od_sink[od]
            if not done[s]:
                lost += 1
                continue
            sptt += od_q[od] * dist[s]
            length = _trace_links(pred, tails, edge_link, s, buf)
            found = _stored_path(p_links, p_start, od_paths, od_ptr[od], od_ptr[od + 1], buf, length)
            best[od - base] = found
            if found < 0:
                new_links = _append_path(new_links, new_start, n_new, buf, length)
                new_od[n_new] = od
                n_new += 1
        _reset(dist, pred, done, order, n_done, hv, n_left)
    return sptt, lost, best, new_od[:n_new], new_start[: n_new + 1], new_links[: new_start[n_new]]


@njit(cache=True, nogil=True)
def _trace_links(pred, tails, edge_link, s, buf):
    """The links of the tree's path to `s` into `buf`, from `s` back to the root; their number."""
    length = 0
    v = s
    while pred[v] >= 0:
        e = pred[v]
        buf[length] = edge_link[e]
        length += 1
        v = tails[e]
    return length


@njit(cache=True, nogil=True)
def _stored_path(p_links, p_start, od_paths, k0, k1, buf, length):
    """The id of the OD pair's stored path (paths od_paths[k0:k1]) whose links are `buf` reversed, or -1."""
    for k in range(k0, k1):
        pid = od_paths[k]
        a, b = p_start[pid], p_start[pid + 1]
        if b - a != length:
            continue
        same = True
        for i in range(length):
            if p_links[a + i] != buf[length - 1 - i]:
                same = False
                break
        if same:
            return pid
    return -1


@njit(cache=True, nogil=True)
def _append_path(new_links, new_start, n_new, buf, length):
    """The `n_new`-th new path (`buf` reversed) appended to `new_links` (grown when full; returned)
    and its end set in `new_start`."""
    a = new_start[n_new]
    if a + length > len(new_links):
        grown = np.empty(max(2 * len(new_links), a + length), dtype=np.int32)
        grown[:a] = new_links[:a]
        new_links = grown
    for i in range(length):
        new_links[a + i] = buf[length - 1 - i]
    new_start[n_new + 1] = a + length
    return new_links


def path_columns(indptr: np.ndarray, indices: np.ndarray, tails: np.ndarray, cost: np.ndarray,
                 edge_link: np.ndarray,
                 sources: np.ndarray, od_lo: np.ndarray, od_hi: np.ndarray, od_sink: np.ndarray,
                 od_q: np.ndarray, store: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
                 threads: int = THREADS):
    """Every OD pair's shortest path at `cost` (per CSR edge, `edge_link` naming the link each edge
    stands for), matched against the `store` (links, starts, od_ptr, od_paths) of known paths.

    ODs are numbered by origin: source i owns ODs od_lo[i]..od_hi[i]. Returns (shortest-path total,
    OD pairs without a path, per OD the id of its shortest path in the store or -1, and the new
    paths: their OD, start offsets and links)."""
    p_links, p_start, od_ptr, od_paths = store
    many = threads > 1 and len(sources) * len(indices) >= _SMALL_COLUMNS
    parts = [p for p in np.array_split(np.arange(len(sources)), threads * _CHUNKS_PER_THREAD if many else 1)
             if len(p)]  # contiguous: each chunk's OD pairs are one range

    def run(k: int):
        p = parts[k]
        return _columns_chunk(indptr, indices, tails, cost, edge_link, sources[p], od_lo[p], od_hi[p],
                              od_sink, od_q, p_links, p_start, od_ptr, od_paths)

    out = _map(run, len(parts))
    best = np.concatenate([o[2] for o in out]) if out else np.empty(0, dtype=np.int64)
    new_od = np.concatenate([o[3] for o in out]) if out else np.empty(0, dtype=np.int64)
    starts, links, offset = [np.zeros(1, dtype=np.int64)], [], 0
    for o in out:
        starts.append(o[4][1:] + offset)
        links.append(o[5])
        offset += len(o[5])
    new_links = np.concatenate(links) if links else np.empty(0, dtype=np.int32)
    return (float(sum(o[0] for o in out)), int(sum(o[1] for o in out)), best, new_od,
            np.concatenate(starts), new_links)
