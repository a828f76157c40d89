"""The logit assignment's machinery: the slot prices' L-BFGS-B, the route set's kept results and the
forked workers of an appraisal give the answers of the plain calls, to the bit."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.sparse import csr_matrix

from corridor.assignment.choice_sets import ChoiceSet, path_sizes
from corridor.assignment.logit import lbfgsb
from corridor.errors import CorridorError
from corridor.forking import forked_map


def _dual(a: np.ndarray, b: np.ndarray, c: np.ndarray):
    """A convex smooth function with its gradient (a log-sum-exp plus a linear term, as the slot
    market's dual)."""

    def f(z: np.ndarray) -> tuple[float, np.ndarray]:
        u = a @ z + b
        top = u.max()
        w = np.exp(u - top)
        return float(top + np.log(w.sum()) - c @ z), a.T @ (w / w.sum()) - c

    return f


@pytest.mark.parametrize("seed", range(12))
def test_lbfgsb_is_scipys_minimize_to_the_bit(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 40))
    a, b, c = rng.normal(size=(3 * n, n)), rng.normal(size=3 * n), rng.uniform(0, 1, n) / n
    lower = np.zeros(n)
    upper = rng.uniform(0.5, 5.0, n) if seed % 3 else np.full(n, np.inf)
    x0 = rng.uniform(0, 1, n) * (seed % 2)
    gtol = [1e-3, 1e-5, 1e-8][seed % 3]
    fun = _dual(a, b, c)
    want = minimize(fun, x0, jac=True, method="L-BFGS-B", bounds=list(zip(lower, upper, strict=True)),
                    options={"maxiter": 1000, "gtol": gtol, "ftol": 1e-13}).x
    got = lbfgsb(fun, x0, lower, upper, gtol=gtol, ftol=1e-13, maxiter=1000)
    assert np.array_equal(got, want)


def test_lbfgsb_stops_at_maxiter_as_minimize_does():
    rng = np.random.default_rng(7)
    n = 30
    fun = _dual(rng.normal(size=(90, n)), rng.normal(size=90), rng.uniform(0, 1, n) / n)
    lower, upper = np.zeros(n), np.full(n, 3.0)
    want = minimize(fun, np.zeros(n), jac=True, method="L-BFGS-B",
                    bounds=list(zip(lower, upper, strict=True)),
                    options={"maxiter": 3, "gtol": 1e-12, "ftol": 1e-15}).x
    assert np.array_equal(lbfgsb(fun, np.zeros(n), lower, upper, gtol=1e-12, ftol=1e-15, maxiter=3), want)


def test_path_sizes_are_kept_per_hours_and_handed_out_as_copies():
    inc = csr_matrix(np.array([[1, 1, 0, 0], [1, 0, 1, 0], [0, 0, 1, 1]], dtype=float))
    rs = ChoiceSet(np.array([[0, 1], [0, 1], [2, 3]]), inc, np.array(["a", "b", "c"]), ["", "", ""])
    h1, h2 = np.array([1.0, 2.0, 3.0, 4.0]), np.array([5.0, 1.0, 1.0, 1.0])
    first = path_sizes(rs, h1, 4)
    first[:] = -1.0  # a caller's edit does not reach the kept result
    again, other = path_sizes(rs, h1, 4), path_sizes(rs, h2, 4)
    fresh = ChoiceSet(rs.od, inc, rs.corridor, rs.via)  # nothing kept yet
    assert np.array_equal(again, path_sizes(fresh, h1, 4)) and np.array_equal(other, path_sizes(fresh, h2, 4))
    assert again[2] == 1.0 and 0 < again[0] < 1 and not np.array_equal(again, other)


def test_a_route_set_is_pickled_without_what_it_keeps():
    import pickle

    inc = csr_matrix(np.array([[1, 1, 0], [0, 1, 1]], dtype=float))
    rs = ChoiceSet(np.array([[0, 2], [0, 2]]), inc, np.array(["a", "b"]), ["x", "y"], ["", "RUS"])
    path_sizes(rs, np.ones(3), 3)
    back = pickle.loads(pickle.dumps(rs))
    assert rs._kept and not back._kept and (back.incidence != rs.incidence).nnz == 0
    assert np.array_equal(back.od, rs.od) and list(back.corridor) == ["a", "b"]
    assert back.via == ["x", "y"] and back.sanctioned == ["", "RUS"]
    assert np.array_equal(path_sizes(back, np.ones(3), 3), path_sizes(rs, np.ones(3), 3))


def _square(k: int) -> int:
    return k * k


def _fails_at_three(k: int) -> int:
    if k == 3:
        raise CorridorError("three")
    return k


def test_forked_map_is_the_serial_map():
    ran = []
    assert forked_map(_square, 7, meanwhile=lambda: ran.append(1)) == [k * k for k in range(7)] and ran == [1]
    assert forked_map(_square, 1) == [0] and forked_map(_square, 0) == []
    with pytest.raises(CorridorError, match="three"):
        forked_map(_fails_at_three, 5)
