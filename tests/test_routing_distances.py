"""The guided repair search (`routing.distances`) gives the plain compiled Dijkstra's number to the bit."""

from __future__ import annotations

import numpy as np

from corridor.routing.distances import Distances, _distance, _guided, reverse


def _graph(rng: np.random.Generator, n: int, m: int, ties: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    src = np.sort(rng.integers(0, n, m))
    dst = rng.integers(0, n, m)
    w = rng.integers(0, 4, m).astype(float) if ties else rng.random(m) * 100.0
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return indptr, dst.astype(np.int64), w


def _plain(d: Distances, drop: np.ndarray, limit: float) -> float:
    d.dropped[drop] = True
    try:
        return float(_distance(d.indptr, d.indices, d.data, d.dropped, d.source, d.is_target, limit, d._dist,
                               d._done, d._touched, d._hk, d._hv))
    finally:
        d.dropped[drop] = False


def test_guided_equals_plain_dijkstra_on_random_graphs_drops_and_limits():
    rng = np.random.default_rng(14)
    for trial in range(300):
        n = int(rng.integers(5, 60))
        indptr, indices, data = _graph(rng, n, int(rng.integers(n, 5 * n)), ties=trial % 2 == 0)
        targets = rng.choice(n - 1, size=int(rng.integers(1, 4)), replace=False) + 1
        d = Distances(indptr, indices, data, 0, targets, reverse(indptr, indices, data))
        for _ in range(10):
            drop = rng.choice(len(indices), size=int(rng.integers(0, len(indices) // 3 + 1)), replace=False)
            plain = _plain(d, drop, np.inf)
            limit = np.inf if rng.random() < 0.3 else (plain if rng.random() < 0.3 else rng.random() * 300)
            want = _plain(d, drop, limit)
            assert d.least(drop, limit) == want or (np.isinf(want) and np.isinf(d.least(drop, limit)))


def test_guided_says_when_its_heap_runs_out_and_least_falls_back():
    rng = np.random.default_rng(3)
    indptr, indices, data = _graph(rng, 40, 200, ties=False)
    d = Distances(indptr, indices, data, 0, np.array([39]), reverse(indptr, indices, data))
    h = d._guide()
    assert h is not None
    tiny_k, tiny_v = np.empty(2), np.empty(2, dtype=np.int64)
    got = _guided(d.indptr, d.indices, d.data, d.dropped, 0, d.is_target, h, np.inf, d._dist, d._touched,
                  tiny_k, tiny_v)
    assert got == -1.0 or got == _plain(d, np.empty(0, dtype=np.int64), np.inf)
    assert np.isinf(d._dist).all()  # scratch restored either way
    d._ghk, d._ghv = tiny_k, tiny_v
    assert d.least(np.empty(0, dtype=np.int64)) == _plain(d, np.empty(0, dtype=np.int64), np.inf)


def test_route_is_scipys_whole_tree_path_or_says_tie():
    """`Distances.route` gives the path (and target) `search.nearest` reads off scipy's whole tree, or
    says a tie on its path leaves the choice to scipy: integer weights make many ties. Plain and guided."""
    from corridor.routing.search import layered, nearest, tree

    rng = np.random.default_rng(7)
    seen = {"paths": 0, "ties": 0}
    for trial in range(600):
        n = int(rng.integers(6, 50))
        m = int(rng.integers(n, 4 * n))
        src = np.sort(rng.integers(0, n, m))
        dst = rng.integers(0, n, m)
        w = rng.integers(0, 5, m).astype(float) if trial % 2 else rng.random(m) * 10
        body = layered(src, dst, w, np.ones(m, dtype=bool), n)
        starts = rng.choice(n, size=int(rng.integers(1, 3)), replace=False)
        ends = rng.choice(n, size=int(rng.integers(1, 4)), replace=False)
        sg = body.search_graph(starts, ends)
        d = Distances(sg.indptr, sg.indices, sg.data, sg.source, sg.targets,
                      reverse(body.indptr, body.indices, body.data))
        if trial % 4 >= 2:  # with each node's bound to a target known, the search is guided by it
            d._guide()
        for _ in range(5):
            drop = rng.choice(len(body.indices), size=int(rng.integers(0, len(body.indices) // 4 + 1)),
                              replace=False)
            want = nearest(sg.without(drop), *tree(sg.without(drop)))
            got = d.route(drop)
            if want is None:
                assert got is None
                continue
            assert got is not None and got[0] == want[0]
            if got[1] is None:
                seen["ties"] += 1
                continue
            seen["paths"] += 1
            kept = np.flatnonzero(~np.isin(np.arange(len(sg.indices)), drop))
            assert kept[want[1]].tolist() == got[1].tolist()
    assert seen["paths"] > 200 and seen["ties"] > 20


def test_guided_route_falls_back_when_its_heap_runs_out():
    from corridor.routing.search import layered, nearest, tree

    rng = np.random.default_rng(5)
    src = np.sort(rng.integers(0, 40, 200))
    dst = rng.integers(0, 40, 200)
    body = layered(src, dst, rng.random(200), np.ones(200, dtype=bool), 40)
    sg = body.search_graph(np.array([0]), np.array([39]))
    d = Distances(sg.indptr, sg.indices, sg.data, sg.source, sg.targets,
                  reverse(body.indptr, body.indices, body.data))
    d._guide()
    d._ghk, d._ghv = np.empty(2), np.empty(2, dtype=np.int64)
    want = nearest(sg, *tree(sg))
    got = d.route(np.empty(0, dtype=np.int64))
    assert want is not None and got is not None and got[0] == want[0] and got[1] is not None
    assert got[1].tolist() == list(want[1])
    assert np.isinf(d._dist).all() and not d._done.any()
