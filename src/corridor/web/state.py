"""What one app instance holds: its network, explicit keyed caches, and JSON helpers.

Nothing here models anything: results come from the public API and are only
cached (keyed by the normalised query) and serialised. The network is immutable,
so a cached answer stays right for the life of the app.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
import orjson

from ..network.io import BUNDLED_NETWORK_NAME
from ..output import json_safe

if TYPE_CHECKING:
    from ..demand import Demand
    from ..network.tables import Network
    from ..world import World

# ------------------------------------------------------------------ JSON


def _default(x: Any) -> Any:
    if hasattr(x, "item"):
        return x.item()
    if isinstance(x, set | frozenset):
        return sorted(x)
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")


_ORJSON = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME


def dumps(obj: Any) -> bytes:
    """Compact JSON, NaN and infinities as null. orjson takes a tenth of the standard library's time
    on a comparison's 100 kB (whose encoding was a quarter of a first-time compare request); what it
    refuses (an integer past 64 bits, a value neither takes) goes through the standard library, as
    everything did before. The same values either way, in the same order: only a float under 1e-4
    may be written another way (1e-05 as 0.00001, 1.5e-07 as 1.5e-7)."""
    try:
        return orjson.dumps(obj, default=_default, option=_ORJSON)
    except TypeError:  # orjson.JSONEncodeError is one
        pass
    try:
        s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_default)
    except ValueError:
        s = json.dumps(json_safe(obj), ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                       default=_default)
    return s.encode("utf-8")


class Blob:
    """A response body computed once, with its gzip form for clients that accept it."""

    __slots__ = ("raw", "gz")

    def __init__(self, raw: bytes, *, compress: bool = True):
        self.raw = raw
        big = compress and len(raw) > 4096
        self.gz = gzip.compress(raw, compresslevel=6, mtime=0) if big else None


# ------------------------------------------------------------------ caches


class LRU:
    """A small thread-safe least-recently-used map of computed results."""

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self._d: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            if key in self._d:
                self._d.move_to_end(key)
                self.hits += 1
                return self._d[key]
            self.misses += 1
            return None

    def put(self, key: Hashable, value: Any) -> None:
        if self.maxsize <= 0:
            return
        with self._lock:
            self._d[key] = value
            self._d.move_to_end(key)
            while len(self._d) > self.maxsize:
                self._d.popitem(last=False)

    def __len__(self) -> int:
        return len(self._d)

    def cached_keys(self) -> list[Hashable]:
        with self._lock:
            return list(self._d)


class OnceCache:
    """Slow results (assignment) computed once per key, however many requests ask at once."""

    def __init__(self, maxsize: int = 16):
        self._lru = LRU(maxsize)
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        return self._lru.get(key)

    def cached_keys(self) -> list[Hashable]:
        return self._lru.cached_keys()

    def get_or_compute(self, key: Hashable, fn: Callable[[], Any]) -> Any:
        hit = self._lru.get(key)
        if hit is not None:
            return hit
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            hit = self._lru.get(key)
            if hit is None:
                hit = fn()
                self._lru.put(key, hit)
        with self._guard:
            self._locks.pop(key, None)
        return hit


class Slots:
    """At most `n` computations of one kind at a time; the others queue for a slot.

    CPU-bound work in threads of one process (the GIL, two cores) gains nothing from running
    eight at once: each takes eight times as long. Waiting requests wait in the event loop and
    hold no worker thread. anyio's limiter belongs to one event loop, so each loop gets its own
    (a server has one; tests may run several). `peak` is the most that ever ran at once.
    """

    def __init__(self, n: int):
        self.n = max(1, int(n))
        self._by_loop: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self.running = self.peak = 0

    def _limiter(self) -> anyio.CapacityLimiter:
        loop = asyncio.get_running_loop()
        try:
            lim = self._by_loop.get(loop)
            if lim is None:
                lim = self._by_loop[loop] = anyio.CapacityLimiter(self.n)
        except TypeError:  # a loop without weak references: one limiter for it
            if getattr(self, "_one", None) is None:
                self._one = anyio.CapacityLimiter(self.n)
            lim = self._one
        return lim

    async def run(self, fn: Callable[[], Any]) -> Any:
        """`fn()` in a worker thread once a slot is free."""
        def counted():
            with self._lock:
                self.running += 1
                self.peak = max(self.peak, self.running)
            try:
                return fn()
            finally:
                with self._lock:
                    self.running -= 1

        return await anyio.to_thread.run_sync(counted, limiter=self._limiter())


# ------------------------------------------------------------------ geometry


class LinkLines:
    """Every link's line (stored shape or great circle) rounded to ~10 m, and the routes drawn on
    them; computed once per app, when it starts."""

    def __init__(self, net: Network):
        self.index = net.link_index
        self.lines = [[[round(float(x), 4), round(float(y), 4)] for x, y in net.link_coords(i)]
                      for i in range(len(net.links))]
        self.from_ids = net.links["from_node_id"].tolist()

    def route(self, route_dict: dict) -> dict:
        """A route's GeoJSON line, following its legs' link shapes in travel direction."""
        coords: list[list[float]] = []
        for leg in route_dict.get("legs", ()):
            lid = leg.get("link_id")
            if not lid:
                continue
            i = self.index[lid]
            c = self.lines[i] if self.from_ids[i] == leg["from_id"] else self.lines[i][::-1]
            coords.extend(c[1:] if coords and coords[-1] == c[0] else c)
        return {"type": "LineString", "coordinates": coords}


class WebState:
    """One app's network and caches (no global state: two apps never share a cache)."""

    def __init__(self, net: Network, *, cache_size: int = 512, query_slots: int = 2,
                 model_slots: int = 2):
        self.net = net
        # the Flows panel's default: the latest recorded world on the bundled network, else the network alone
        self.bundled = net.name == BUNDLED_NETWORK_NAME
        self.lines = LinkLines(net)
        self.queries = Slots(query_slots)  # uncached route questions (a comparison runs on the loop)
        self.models = Slots(model_slots)  # uncached assignments, Caspian runs, scenario runs
        self.results = LRU(cache_size)  # compare/route/places answers, keyed by normalised query
        self.blobs: dict[str, Blob] = {}  # static-per-network bodies (network GeoJSON, meta, ...)
        self.blob_lock = threading.Lock()
        self.flows = OnceCache(16)  # assignment answers (JSON, CSV) per (method, year, world)
        self.flow_results = OnceCache(4)  # the FlowResults behind them
        self.timings: dict[Hashable, float] = {}  # seconds of the last first run, by kind (loading notes)
        self.caspian = OnceCache(32)  # simulation per parameter set
        self.demand: Demand | None = None  # the bundled demand, read when first assigned
        self.run_scenario: Callable[[str], Any] | None = None  # set by the scenarios router
        self.worlds = LRU(64)  # the worlds of compare/route questions, by their options as asked
        self.compared = False  # whether a comparison has been computed (the first runs in a query slot)

    def world(self, avoid: str | None, avoid_modes: str | None, avoid_passages: str | None,
              year: int | None) -> World:
        """The world these options make (`World.make`, as `compare` and `route` would), kept: making
        one resolves every avoided group by name, and the routing library keeps its arrays for
        the world it was last asked in by identity, so the same object for the same options is
        found at once. A world that cannot be made raises each time it is asked for."""
        key = (avoid, avoid_modes, avoid_passages, year)
        w: World | None = self.worlds.get(key)
        if w is None:
            from ..world import World

            w = World.make(avoid, avoid_modes, avoid_passages, year)
            self.worlds.put(key, w)
        return w

    def blob(self, key: str, build: Callable[[], Any]) -> Blob:
        b = self.blobs.get(key)
        if b is None:
            with self.blob_lock:
                b = self.blobs.get(key)
                if b is None:
                    b = Blob(dumps(build()))
                    self.blobs[key] = b
        return b
