"""Benchmark: the web API under load on loopback (targets at 20 concurrent clients on this 2-core
machine, zero errors: compare p99 < 100 ms for a repeat query, issue 6; p99 < 200 ms for a
first-time query, issue 14).

    .venv/bin/python benchmarks/web.py [--clients 20] [--duration 30] [--quick] [--phases nocache,new]

Starts `corridor serve`'s app with uvicorn in its own process on 127.0.0.1 (one worker, as
`corridor serve` runs it) and drives it from this process with N concurrent asyncio clients,
each on its own keep-alive connection, sending its next request as soon as the last one is
answered (closed loop, no think time), for `--duration` seconds per phase. The client is a
minimal HTTP/1.1 GET over asyncio streams: a general-purpose client (httpx) spends ~2.5 ms of CPU
per request here, more than the server does on a cached answer, and on a 2-core machine shared
with the server that would be measured as server latency. Phases:

1. compare, app as served (its answer cache on, warmed with every query of the rotation);
2. route --k 3, app as served;
3. compare with the app's cache off (`create_app(cache_size=0)`): every request runs
   corridor.compare, so this is the library's cost plus HTTP. The rotation's questions come back
   every few hundred milliseconds, so what the library keeps between questions (the search trees
   from an origin, a world's arrays) is warm for them;
4. compare, app as served, each request a question never asked before in that server: a pair of
   places (cities, ports, rail terminals) with an objective and avoid set, drawn without repeats
   from every such question (some 80,000), so neither the app's cache nor the trees the library
   keeps per question help; the first 48 drawn warm the server up and are not measured.

Phases 1-3 rotate over 8 origin-destination pairs × 3 avoid sets × 2 objectives. Prints requests/s,
p50 and p99 latency and the error count (non-200 answers or transport errors) per phase, then a
headline table with compare cached (a repeat query), uncached (the rotation, cache off) and new
questions side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

PAIRS = [("Xian", "Duisburg"), ("Chongqing", "Duisburg"), ("Almaty", "Istanbul"), ("Xian", "Budapest"),
         ("Chengdu", "Milan"), ("Tashkent", "Warsaw"), ("Urumqi", "Berlin"), ("Zhengzhou", "Sofia")]
AVOID = [None, "RUS,BLR", "RUS,BLR,IRN"]
OBJECTIVES = ["generalized", "time"]


def app_nocache():
    """uvicorn factory: the app with its answer cache off."""
    from corridor.web import create_app

    return create_app(cache_size=0)


def queries(kind: str) -> list[tuple[str, dict]]:
    out = []
    for (o, d), avoid, obj in itertools.product(PAIRS, AVOID, OBJECTIVES):
        p = {"origin": o, "destination": d, "objective": obj}
        if avoid:
            p["avoid"] = avoid
        if kind == "route":
            p["k"] = 3
        out.append((f"/api/{kind}", p))
    return out


def new_questions(seed: int = 14) -> list[tuple[str, dict]]:
    """Every compare question between two cities, ports or rail terminals of the bundled network (by
    node id), each objective and avoid set, in a seeded random order; none whose end is in a
    country it avoids (an error by design), none of the rotation's pairs."""
    from corridor.network.io import load_network

    nodes = load_network().nodes
    places = nodes[nodes["kind"].isin(["city", "port", "rail_terminal"])]
    ids, country = places["node_id"].tolist(), dict(zip(places["node_id"], places["country"], strict=True))
    rotation = {(o.lower(), d.lower()) for o, d in PAIRS}
    out = []
    for (o, d), avoid, obj in itertools.product(itertools.permutations(ids, 2), AVOID, OBJECTIVES):
        if (o, d) in rotation or (avoid and {country[o], country[d]} & set(avoid.split(","))):
            continue
        p = {"origin": o, "destination": d, "objective": obj}
        if avoid:
            p["avoid"] = avoid
        out.append(("/api/compare", p))
    order = np.random.default_rng(seed).permutation(len(out))
    return [out[i] for i in order]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(factory: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    path = str(Path(__file__).parent) + os.pathsep + os.environ.get("PYTHONPATH", "")
    env = dict(os.environ, PYTHONPATH=path)
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1",
                             "--port", str(port), "--log-level", "warning", "--no-access-log"], env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(base + "/api/meta", timeout=2) as r:
                if r.status == 200:
                    return proc, base
        except (urllib.error.URLError, OSError):
            pass
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start in 60 s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


class Conn:
    """One keep-alive HTTP/1.1 connection that sends GETs and reads whole answers."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def get(self, target: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"GET {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                          "Accept-Encoding: identity\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, chunked = None, False
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            k = k.strip().lower()
            if k == b"content-length":
                length = int(v)
            elif k == b"transfer-encoding" and b"chunked" in v.lower():
                chunked = True
        if length is not None:
            await self.reader.readexactly(length)
        elif chunked:
            while n := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                await self.reader.readexactly(n + 2)
            await self.reader.readuntil(b"\r\n")
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


async def load(base: str, qs: list[tuple[str, dict]], clients: int, duration: float, pid: int,
               warm: int | None = None) -> dict:
    """Closed-loop load over `qs`. Warm-up first: every query once (filling the app's cache when it
    has one); or with `warm`, only the first `warm` queries, and the rest are sent once each, never
    repeated (`repeats` counts any sent again because the list ran out)."""
    host, port = base.removeprefix("http://").rsplit(":", 1)
    targets = [f"{path}?{urlencode(p)}" for path, p in qs]
    lat: list[float] = []
    errors = 0
    warmup = targets if warm is None else targets[:warm]
    rest = range(len(targets)) if warm is None else range(warm, len(targets))
    cycle = itertools.cycle(rest)
    conns = [Conn(host, int(port)) for _ in range(clients)]
    for i, t in enumerate(warmup):
        await conns[i % clients].get(t)
    stop = time.perf_counter() + duration

    async def worker(conn: Conn) -> None:
        nonlocal errors
        while (now := time.perf_counter()) < stop:
            try:
                ok = await conn.get(targets[next(cycle)]) == 200
            except (OSError, asyncio.IncompleteReadError, ValueError):
                conn.close()
                ok = False
            lat.append(time.perf_counter() - now)
            errors += not ok

    t0, c0, s0 = time.perf_counter(), time.process_time(), cpu_seconds(pid)
    await asyncio.gather(*(worker(c) for c in conns))
    wall = time.perf_counter() - t0
    client_cpu, server_cpu = time.process_time() - c0, cpu_seconds(pid) - s0
    for c in conns:
        c.close()
    ms = np.array(lat) * 1000
    n = max(len(lat), 1)
    return {"requests": len(lat), "rps": len(lat) / wall, "p50": float(np.percentile(ms, 50)),
            "p99": float(np.percentile(ms, 99)), "max": float(ms.max()), "errors": errors,
            "server_ms": 1000 * server_cpu / n, "client_ms": 1000 * client_cpu / n,
            "repeats": 0 if warm is None else max(0, len(lat) - len(rest))}


def phase(name: str, factory: str, kind: str, clients: int, duration: float) -> dict:
    """One server, one load; `kind` "new" sends compare questions never asked before."""
    proc, base = start_server(factory)
    try:
        if kind == "new":
            res = asyncio.run(load(base, new_questions(), clients, duration, proc.pid, warm=48))
        else:
            res = asyncio.run(load(base, queries(kind), clients, duration, proc.pid))
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    res["name"] = name
    print(f"  {name:<36} {res['requests']:>7,} req {res['rps']:>7.1f} req/s  p50 {res['p50']:>6.1f} ms  "
          f"p99 {res['p99']:>6.1f} ms  max {res['max']:>6.1f} ms  errors {res['errors']}  "
          f"(CPU/request: server {res['server_ms']:.2f} ms, client {res['client_ms']:.2f} ms)"
          + (f"  REPEATED {res['repeats']} questions" if res["repeats"] else ""), flush=True)
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--duration", type=float, default=30.0, help="seconds per phase")
    ap.add_argument("--quick", action="store_true", help="3 s per phase (a smoke run)")
    ap.add_argument("--phases", default=",".join(PHASES),
                    help=f"comma-separated, of {','.join(PHASES)} (default: all; the headline needs all)")
    a = ap.parse_args()
    dur = 3.0 if a.quick else a.duration
    chosen = [p.strip() for p in a.phases.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in PHASES]
    if unknown:
        raise SystemExit(f"unknown phase {', '.join(unknown)}; choose from {', '.join(PHASES)}")
    print(f"web API on loopback: {a.clients} concurrent clients, closed loop, {dur:.0f} s per phase, "
          f"{len(queries('compare'))} distinct queries in rotation; server: uvicorn, 1 worker, own process")
    rows = {p: phase(*PHASES[p], a.clients, dur) for p in PHASES if p in chosen}
    if all(p in rows for p in ("cached", "nocache", "new")):
        headline(rows["cached"], rows["nocache"], rows["new"], a.clients, dur)
    if any(r["errors"] or r["repeats"] for r in rows.values()):
        raise SystemExit(1)


_SERVED = "corridor.web:create_app"
# name: (label, app factory, kind)
PHASES = {"cached": ("compare (as served, cache warm)", _SERVED, "compare"),
          "route": ("route k=3 (as served, cache warm)", _SERVED, "route"),
          "nocache": ("compare (cache off: library + HTTP)", "web:app_nocache", "compare"),
          "new": ("compare (as served, new questions)", _SERVED, "new")}


def headline(cached: dict, uncached: dict, new: dict, clients: int, dur: float) -> None:
    """Compare: a repeat query (cache warm), a first-time one (cache off) and a question never asked
    before, side by side, and the targets."""
    print(f"\ncompare at {clients} concurrent clients, {dur:.0f} s each:")
    cols = [cached, uncached, new]
    head = ["", "repeat (cache warm)", "first-time (cache off)", "new question"]
    lines = [("requests/s", [f"{c['rps']:,.0f}" for c in cols]),
             ("p50 ms", [f"{c['p50']:.1f}" for c in cols]),
             ("p99 ms", [f"{c['p99']:.1f}" for c in cols]),
             ("errors", [f"{c['errors']}" for c in cols]),
             ("server CPU per request ms", [f"{c['server_ms']:.2f}" for c in cols])]
    w0 = max(len(x[0]) for x in lines)
    print(f"  {head[0]:<{w0}}" + "".join(f"  {h:>22}" for h in head[1:]))
    for name, vals in lines:
        print(f"  {name:<{w0}}" + "".join(f"  {v:>22}" for v in vals))

    def met(r: dict, limit: float) -> str:
        return f"{'met' if r['p99'] < limit and r['errors'] == 0 else 'NOT met'} (p99 {r['p99']:.1f} ms)"

    print(f"targets at {clients} clients, zero errors: repeat query p99 < 100 ms {met(cached, 100)}; "
          f"first-time query p99 < 200 ms {met(uncached, 200)} with the rotation, "
          f"{met(new, 200)} with new questions")


if __name__ == "__main__":
    main()
