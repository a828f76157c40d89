"""A map over `range(n)` on two worker processes forked from this one, where that is safe and of
use: the same answers as the plain loop (each worker is this process, with all it holds), in about
half the time on two free cores. The appraisal's route searches and set assignments use it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

T = TypeVar("T")

_FORKED: list[Callable[[int], object]] = []  # the function the forked workers run (`forked_map`)


def _run_forked(k: int) -> object:
    return _FORKED[-1](k)


def forked_map(fn: Callable[[int], T], n: int, meanwhile: Callable[[], object] | None = None) -> list[T]:
    """`[fn(k) for k in range(n)]` (then `meanwhile()`, run here while the workers work, if given),
    on two worker processes forked from this one where that is safe:
    the same answers (each worker is this process, with all it holds, running `fn(k)`), in about
    half the time on the two cores of the project's machines. One process where forking is not
    available, not safe or no use: another platform, one usable core, no core free (the 1-minute
    load average at least the cores less a half), inside a daemonic worker (a Dask
    worker's appraisal), off the main thread, or with other threads running that are not daemons
    (a fork copies no thread, but the locks they hold). A daemon thread (the command line's
    spinner) is left behind: `fn` must not report progress or print (the workers ignore warnings)."""
    import multiprocessing
    import os
    import threading
    from concurrent.futures import ProcessPoolExecutor

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    # a core free for the second worker: this process counts one in the load; on a busy machine a
    # second worker only competes for the same cores (and copies some work: CPU, no time, lost)
    free = not hasattr(os, "getloadavg") or os.getloadavg()[0] < cores - 0.5
    main = threading.current_thread() is threading.main_thread()
    others = [t for t in threading.enumerate() if t is not threading.current_thread()]
    if (n < 2 or cores < 2 or not free or "fork" not in multiprocessing.get_all_start_methods() or not main
            or multiprocessing.current_process().daemon or not all(t.daemon for t in others)):
        out = [fn(k) for k in range(n)]
        if meanwhile is not None:
            meanwhile()
        return out
    _FORKED.append(fn)
    pool = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("fork"),
                               initializer=_quiet)
    try:
        done = pool.map(_run_forked, range(n))  # the workers are forked here, before `meanwhile`
        if meanwhile is not None:
            meanwhile()
        return cast("list[T]", list(done))  # the workers ran `fn` (`_FORKED[-1]`): each item is a T
    finally:  # on an error (or Ctrl-C) the work not started is dropped, not done
        pool.shutdown(wait=True, cancel_futures=True)
        _FORKED.pop()


def _quiet() -> None:
    import warnings

    warnings.simplefilter("ignore")
