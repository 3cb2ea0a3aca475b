"""Time the leading-group views at county and province scale, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_views.py                 # everything
    .venv/bin/python bench/bench_views.py --backends sqlite --scales county

For each data set: cold (new engine, empty caches), warm (same process, caches cleared: the
queries alone) and cached (st.cache_data hit) for the overview, the indicator detail and the
township profile, plus the overview page rendered by AppTest at county scale. The baseline,
measured in the same run, is a naive roll-up: every observation of the period loaded as ORM rows
and summed in a Python loop per indicator and area. Targets (issue 4): county overview <= 0.3 s
warm and <= 1.5 s cold; province-scale overview <= 2 s cold on PostgreSQL.

Data sets go to bench/_data/ (git-ignored) for SQLite and to a scratch PostgreSQL schema that is
dropped at the end (TEST_POSTGRES_URL, default the local server).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from streamlit import logger as _st_logger  # noqa: E402

# Cached functions called outside a running app log "No runtime found" on every call; Streamlit
# gives each of its loggers its own level, so the parent logger's level alone does not quiet them.
_st_logger.set_log_level("error")

from sqlalchemy import create_engine, select, text  # noqa: E402

from data_access import db  # noqa: E402
from data_access import indicators as ix  # noqa: E402
from data_access import models as m  # noqa: E402

DATA = ROOT / "bench" / "_data"
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
COUNTIES = {"county": 1, "province": 100}


def timed(fn, repeat: int = 1) -> float:  # noqa: ANN001
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def sqlite_engine(scale: str):  # noqa: ANN201
    from sample_data.generate import generate

    path = DATA / f"{scale}.sqlite"
    url = f"sqlite:///{path}"
    engine = db.make_engine(url)
    db.upgrade_schema(engine)
    if db.is_empty(engine):
        print(f"  generating {scale} data set into {path} ...", flush=True)
        generate(engine, counties=COUNTIES[scale])
    return url, None


def postgres_engine(scale: str):  # noqa: ANN201
    from sample_data.generate import generate

    schema = f"bench_{scale}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    engine = db.make_engine(PG_URL, schema=schema)
    db.upgrade_schema(engine)
    print(f"  generating {scale} data set into PostgreSQL schema {schema} ...", flush=True)
    generate(engine, counties=COUNTIES[scale])
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return PG_URL, schema


def drop_schema(schema: str) -> None:
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def naive_overview(engine) -> None:  # noqa: ANN001
    """The baseline: ORM rows and Python loops, the way a first version would do it."""
    with db.session_scope(engine) as s:
        period = ix.default_period(s)
        root = ix.root_region(s)
        regions = {r.id: r for r in s.scalars(select(m.Region))}
        kids = [r for r in regions.values() if r.parent_id == root.id]
        totals: dict = {}
        for obs in s.scalars(select(m.Observation).where(m.Observation.period_id == period.id)):
            path = regions[obs.region_id].path
            for area in [root] + kids:
                if path.startswith(area.path):
                    t = totals.setdefault((obs.indicator_id, area.id), [0.0, 0.0, 0.0])
                    t[0] += obs.numerator or 0
                    t[1] += obs.denominator or 0
                    t[2] += obs.value or 0
        return totals


def run_views(url: str, schema: str | None, label: str, rows: list, render: bool) -> None:
    import streamlit as st

    from ui import data_views

    def fresh_engine():  # noqa: ANN202
        engine = db.make_engine(url, schema=schema)
        db.set_engine(engine)
        st.cache_data.clear()
        return engine

    engine = fresh_engine()
    with db.session_scope(engine) as s:
        period = ix.default_period(s).code
        root = ix.root_region(s)
        first_child = ix.regions_at(s, root.code)[0].code
    version = db.data_version(engine)
    baseline = timed(lambda: naive_overview(engine), repeat=2)
    views = {
        "overview": lambda: data_views.overview(version, period),
        "indicator detail (smd_managed)": lambda: data_views.indicator_detail(version, period, "smd_managed"),
        "indicator detail (room_coverage)": lambda: data_views.indicator_detail(version, period, "room_coverage"),
        "township/area profile": lambda: data_views.township_profile(version, period, first_child),
        "warnings": lambda: data_views.warnings_list(version, period),
    }
    for name, fn in views.items():
        engine.dispose()
        engine = fresh_engine()           # cold: new connections, empty caches
        cold = timed(fn)
        # warm: the queries again with connections and database pages warm, the cache emptied each time
        warm = timed(lambda: (st.cache_data.clear(), fn()), repeat=3)
        cached = timed(fn, repeat=3)      # cached: st.cache_data hit (repeat view in the app)
        rows.append((label, name, cold, warm, cached, baseline))
    if render:
        from view_helpers import open_view

        st.cache_data.clear()
        cold = timed(lambda: open_view(engine, "pages/home.py"))
        warm = timed(lambda: open_view(engine, "pages/home.py"), repeat=2)
        rows.append((label, "overview page render (AppTest)", cold, warm, warm, baseline))
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--scales", default="county,province")
    parser.add_argument("--no-render", action="store_true")
    args = parser.parse_args(argv)
    DATA.mkdir(parents=True, exist_ok=True)
    rows: list = []
    for backend in args.backends.split(","):
        for scale in args.scales.split(","):
            label = f"{scale}/{backend}"
            print(f"[{label}]", flush=True)
            schema = None
            try:
                if backend == "sqlite":
                    url, schema = sqlite_engine(scale)
                else:
                    try:
                        url, schema = postgres_engine(scale)
                    except Exception as exc:  # no server: say so and go on with the rest
                        print(f"  skipped: PostgreSQL not reachable ({type(exc).__name__})")
                        continue
                run_views(url, schema, label, rows, render=(scale == "county" and not args.no_render))
            finally:
                if schema:
                    drop_schema(schema)
    print()
    print(f"{'data set':<20} {'view':<34} {'cold s':>8} {'warm s':>8} {'cached s':>9} {'baseline s':>10} {'warm/base':>9}")
    for label, name, cold, warm, cached, base in rows:
        print(f"{label:<20} {name:<34} {cold:>8.3f} {warm:>8.3f} {cached:>9.4f} {base:>10.3f} {warm / base:>9.2f}")
    targets = [("county/sqlite", "overview", "warm", 0.3), ("county/sqlite", "overview", "cold", 1.5),
               ("county/postgresql", "overview", "warm", 0.3), ("county/postgresql", "overview", "cold", 1.5),
               ("province/postgresql", "overview", "cold", 2.0)]
    print()
    for label, name, which, limit in targets:
        for r in rows:
            if r[0] == label and r[1] == name:
                got = r[2] if which == "cold" else r[3]
                print(f"target {label} {name} {which} <= {limit}s: {got:.3f}s {'OK' if got <= limit else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
