"""A meeting's worth of leaders at once, measured at the server alone (no browsers).

    .venv/bin/python bench/bench_crowd.py                       # 1/5/10/20 sessions, 1 process, SQLite
    .venv/bin/python bench/bench_crowd.py --processes 1,2 --backend postgresql
    .venv/bin/python bench/bench_crowd.py --url http://127.0.0.1:8518 --sessions 20   # a running server

Each session is a small websocket client speaking Streamlit's own protocol (bench/stclient.py), as
a browser tab does: it opens the app (the sign-in page), then all sessions sign in at the same
moment and the server renders the overview for each; then all click at the same moment again (a
warm rerun of the overview). For each crowd size it prints p50/p95/max of the time from the click to
the page being complete, the server CPU per session for that step, and the servers' peak resident
memory; every session's overview is checked to be identical (same fingerprint) to the one a single
session gets. The baseline, measured in the same run with the same crowd and the same server
settings, is the floor: a bare Streamlit page with one table and one line chart
(bench/floor_app.py), opened and clicked the same way.

Targets (issue 18): 20 sessions signing in and rendering the overview at once p95 <= 1 s; a warm
overview <= 0.1 s of server CPU. The machine is shared: run it more than once (--repeat) and read
the spread it prints.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # data_access, for the password check

from servers import (CROWD_PASSWORD, FLOOR_PAGE, PeakMemory, Servers, crowd_accounts, crowd_user,  # noqa: E402
                     sample_database, serve)
from stclient import Run, StreamlitSession, sign_in  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


async def _phase(sessions: list, servers: Servers, step) -> dict:  # noqa: ANN001
    """Run step(session) for every session at the same moment; latency, CPU and memory of the step."""
    cpu0 = servers.cpu()
    with PeakMemory(servers) as mem:
        started = time.perf_counter()

        async def timed(s):  # noqa: ANN001, ANN202
            run = await step(s)
            return time.perf_counter() - started, run

        results = await asyncio.gather(*(timed(s) for s in sessions))
    cpu = servers.cpu() - cpu0
    latencies = [r[0] for r in results]
    runs: list[Run] = [r[1] for r in results]
    return dict(latencies=latencies, runs=runs, cpu=cpu / len(sessions), peak=mem.peak)


async def crowd(servers: Servers, n: int, floor: bool, typing: float = 0.0) -> dict:
    """n sessions: open, then (app) sign in + overview together, then a warm rerun together. Session i
    signs in as crowd_user(i): a meeting is n leaders, each with an account of their own. typing:
    seconds between the sign-in page and the click (a person typing; the crowds click at once)."""
    # Each sign-in posts its form from a thread (stclient.session_cookie): enough threads for all of
    # them at once, as n browsers would (asyncio's default pool has min(32, cores + 4): six here).
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=n + 4))
    sessions = [StreamlitSession(servers.urls[i % len(servers.urls)]) for i in range(n)]
    account = {id(s): crowd_user(i) for i, s in enumerate(sessions)}
    for s in sessions:
        await s.__aenter__()
    try:
        opened = await _phase(sessions, servers, lambda s: s.open())
        first = {id(s): r for s, r in zip(sessions, opened["runs"])}
        await asyncio.sleep(typing)
        if floor:
            click = await _phase(sessions, servers, lambda s: s.rerun())
        else:
            click = await _phase(sessions, servers, lambda s: sign_in(s, first[id(s)], account[id(s)],
                                                                        CROWD_PASSWORD))
        warm = await _phase(sessions, servers, lambda s: s.rerun())
    finally:
        for s in sessions:
            await s.__aexit__()
    return dict(open=opened, click=click, warm=warm)


def _fresh(phase: dict) -> dict:
    lat = max(phase["latencies"])
    return dict(p50=lat, p95=lat, p95_spread=(lat, lat), max=lat, cpu=phase["cpu"], peak=phase["peak"], same=True,
                kb=phase["runs"][0].nbytes / 1024, errors=0)


def summary(phase: dict) -> dict:
    lat = phase["latencies"]
    return dict(p50=pct(lat, 50), p95=pct(lat, 95), max=max(lat), cpu=phase["cpu"], peak=phase["peak"],
                digests={r.digest() for r in phase["runs"]}, nbytes=statistics.mean(r.nbytes for r in phase["runs"]),
                errors=sum(1 for r in phase["runs"] for k, _ in r.elements if k == "exception"))


TYPING = 2.0  # seconds the first person on a fresh server takes to type a name and a password


def measure(servers: Servers, sizes: list[int], repeat: int, floor: bool) -> list[dict]:
    # Warm-up: one session through the whole path first, so caches hold what a running server holds.
    # On a freshly started server this is also the first person's experience (printed as "fresh").
    # One session per process: each process warms up (and is measured fresh) on its own.
    reference = asyncio.run(crowd(servers, len(servers.urls), floor, typing=TYPING))
    ref = {k: summary(v)["digests"] for k, v in reference.items()}
    rows = [dict(n=len(servers.urls), phase=f"fresh {k}", **_fresh(reference[k])) for k in ("open", "click")]
    for n in sizes:
        reps = [asyncio.run(crowd(servers, n, floor)) for _ in range(repeat)]
        for phase in ("open", "click", "warm"):
            sums = [summary(r[phase]) for r in reps]
            same = all(s["digests"] == ref[phase] for s in sums)
            rows.append(dict(n=n, phase=phase, p50=statistics.median(s["p50"] for s in sums),
                             p95=statistics.median(s["p95"] for s in sums),
                             p95_spread=(min(s["p95"] for s in sums), max(s["p95"] for s in sums)),
                             max=max(s["max"] for s in sums), cpu=statistics.median(s["cpu"] for s in sums),
                             peak=max(s["peak"] for s in sums), same=same, kb=sums[0]["nbytes"] / 1024,
                             errors=sum(s["errors"] for s in sums)))
    return rows


PHASE_NAMES = {("app", "open"): "open (sign-in page)", ("app", "click"): "sign in -> overview",
               ("app", "warm"): "overview again (warm)", ("floor", "open"): "open", ("floor", "click"): "click",
               ("floor", "warm"): "click again", ("app", "fresh open"): "fresh server: open",
               ("app", "fresh click"): f"  typed {TYPING:.0f} s, sign in", ("floor", "fresh open"): "fresh server: open",
               ("floor", "fresh click"): f"  waited {TYPING:.0f} s, click"}


def password_check_cpu() -> float:
    """CPU seconds of one password check as the app makes it (its argon2 parameters), in this process:
    what every sign-in costs the server before any page is drawn."""
    from data_access.users import _hasher

    stored = _hasher.hash(CROWD_PASSWORD)
    started = time.process_time()
    for _ in range(3):
        _hasher.verify(stored, CROWD_PASSWORD)
    return (time.process_time() - started) / 3


def print_rows(label: str, kind: str, rows: list[dict], floor_rows: list[dict] | None) -> None:
    print(f"\n{label}")
    print(f"{'sessions':>8}  {'step':<24}{'p50 s':>7}{'p95 s':>7}{'(spread)':>14}{'max s':>7}{'CPU/s s':>9}"
          f"{'peak MB':>9}{'kB/run':>8}  same  {'p95/floor':>9}")
    for r in rows:
        ratio = ""
        if floor_rows:
            f = next((x for x in floor_rows if x["n"] == r["n"] and x["phase"] == r["phase"]), None)
            ratio = f"{r['p95'] / f['p95']:.1f}x" if f and f["p95"] > 0 else ""
        spread = f"{r['p95_spread'][0]:.2f}-{r['p95_spread'][1]:.2f}"
        print(f"{r['n']:>8}  {PHASE_NAMES[(kind, r['phase'])]:<24}{r['p50']:>7.2f}{r['p95']:>7.2f}{spread:>14}"
              f"{r['max']:>7.2f}{r['cpu']:>9.3f}{r['peak'] / 2**20:>9.0f}{r['kb']:>8.1f}  "
              f"{'yes' if r['same'] and not r['errors'] else 'NO'}  {ratio:>9}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", default="1,5,10,20", help="crowd sizes")
    parser.add_argument("--processes", default="1", help="app processes, e.g. 1,2 (several need --backend postgresql)")
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--url", help="measure this running app (localhost) instead of starting one; its database "
                        "needs the crowd's accounts: DATABASE_URL=... python bench/servers.py accounts 20")
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument("--option", action="append", default=[],
                        help="extra `streamlit run` option for the app, e.g. --option=--runner.postScriptGC=true")
    args = parser.parse_args(argv)
    sizes = [int(x) for x in args.sessions.split(",")]
    if max(sizes) > 50:
        parser.error("at most 50 sessions: this is a bench on a shared machine, not a load test")
    if args.url:
        import re

        port = re.search(r":(\d+)", args.url)
        pid = _pid_listening(int(port.group(1))) if port else None
        servers = Servers(urls=[args.url], pids=[pid] if pid else [])
        print_rows(f"app at {args.url}", "app", measure(servers, sizes, args.repeat, floor=False), None)
        return 0
    env, drop = sample_database(args.backend)
    try:
        crowd_accounts(env, max(sizes))
        floor_rows = None
        if not args.no_floor:
            with serve(env, 1, FLOOR_PAGE) as servers:
                floor_rows = measure(servers, sizes, args.repeat, floor=True)
            print_rows("floor: bare page (one table + one line chart), 1 process", "floor", floor_rows, None)
        for procs in [int(x) for x in args.processes.split(",")]:
            if procs > 1 and args.backend == "sqlite":
                print(f"\n(skipped {procs} processes on SQLite: several processes share one PostgreSQL)")
                continue
            with serve(env, procs, options=tuple(args.option)) as servers:
                rows = measure(servers, sizes, args.repeat, floor=False)
            print_rows(f"app: overview, {procs} process{'es' if procs > 1 else ''}, {args.backend}"
                       + (f" {' '.join(args.option)}" if args.option else ""), "app", rows, floor_rows)
            check = password_check_cpu()
            print(f"of each sign-in's CPU, the password check (argon2 m={_argon2_params()}) takes {check:.3f} s: "
                  f"n sign-ins at once need >= n x {check:.3f} s / {os.cpu_count()} cores")
            twenty = next((r for r in rows if r["n"] == 20 and r["phase"] == "click"), None)
            warm = next((r for r in rows if r["n"] == max(sizes) and r["phase"] == "warm"), None)
            if twenty:
                print(f"target: 20 sessions sign in + overview p95 <= 1 s: {twenty['p95']:.2f} s "
                      f"{'OK' if twenty['p95'] <= 1 else 'MISSED'}")
            if warm:
                print(f"target: warm overview <= 0.1 s server CPU: {warm['cpu']:.3f} s "
                      f"{'OK' if warm['cpu'] <= 0.1 else 'MISSED'}")
    finally:
        drop()
    return 0


def _argon2_params() -> str:
    from data_access.users import _hasher

    return f"{_hasher.memory_cost // 1024} MiB, t={_hasher.time_cost}, p={_hasher.parallelism}"


def _pid_listening(port: int) -> int | None:
    """The pid of the local process listening on port (from /proc), for CPU and memory figures."""

    inode = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            parts = line.split()
            if int(parts[1].rsplit(":", 1)[1], 16) == port and parts[3] == "0A":
                inode = parts[9]
    if inode is None:
        return None
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                    return int(pid)
        except OSError:
            continue
    return None


if __name__ == "__main__":
    sys.exit(main())
