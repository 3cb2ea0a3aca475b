"""Benchmark: quarterly-sheet ingest (read + validate + commit) against
(a) a raw python-calamine parse of the same file and (b) a naive openpyxl cell loop with one ORM insert
per row, on SQLite and PostgreSQL, for a 1,000-row and a 20,000-row workbook.

Why a per-village sheet: a county has only 10-20 townships, so a 20,000-row sheet only exists at
village level across a province (the province data set has ~32,500 villages). The bench builds a
scratch database with one department that reports per village (reports_by="village") and owns two
indicators -- a count and a ratio (numerator + denominator) -- i.e. three value columns per row, the
shape of the real township sheets. Rows are generated, ids known, nothing else in the database.

    .venv/bin/python bench/bench_ingest.py [--sizes 1000 20000] [--no-postgres]
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openpyxl  # noqa: E402
import python_calamine as pc  # noqa: E402
from sqlalchemy import create_engine, insert, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from data_access import models as m  # noqa: E402
from data_access.access import Actor  # noqa: E402
from data_access.db import make_engine, session_scope, upgrade_schema  # noqa: E402
from data_access.ingest.commit import commit, prepare  # noqa: E402
from data_access.ingest.reader import read  # noqa: E402
from data_access.ingest.spec import build_spec  # noqa: E402
from data_access.ingest.templates import write_template  # noqa: E402

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TODAY = dt.date(2026, 11, 23)
ADMIN = Actor(user_id=None, username="bench", role="admin")
REPEAT = 3


def seed(engine, villages: int) -> None:  # noqa: ANN001
    with engine.begin() as conn:
        conn.execute(insert(m.Department), [dict(id=1, code="bench", name_zh="基准测试部门", name_en="Bench",
                                                 reports_by="village", reports_quarterly=True, sort_order=1)])
        conn.execute(insert(m.Indicator), [
            dict(id=1, code="served", name_zh="服务人次", name_en="People served", kind="count", unit="人次",
                 owner_department_id=1, source="report", level="village", is_target=False, sort_order=1),
            dict(id=2, code="mediation", name_zh="调解成功率", name_en="Mediation", kind="ratio", unit="%",
                 owner_department_id=1, source="report", level="village", is_target=False, sort_order=2,
                 numerator_label_zh="调解成功件数", denominator_label_zh="调解件数",
                 numerator_label_en="Resolved", denominator_label_en="Mediated")])
        conn.execute(insert(m.Period), [dict(id=1, code="2026Q2", year=2026, quarter=2, start_date=dt.date(2026, 4, 1),
                                             end_date=dt.date(2026, 6, 30), deadline=dt.date(2026, 7, 15)),
                                        dict(id=2, code="2026Q3", year=2026, quarter=3, start_date=dt.date(2026, 7, 1),
                                             end_date=dt.date(2026, 9, 30), deadline=dt.date(2026, 10, 15))])
        conn.execute(insert(m.Region), [dict(id=1, code="99", name_zh="示例省", name_en="Province", level="province",
                                             path="/99/")])
        towns = max(1, villages // 16)
        conn.execute(insert(m.Region), [dict(id=1 + t, code=f"99{t:05d}", name_zh=f"乡镇{t}", name_en=f"T{t}",
                                             level="township", parent_id=1, path=f"/99/99{t:05d}/")
                                        for t in range(1, towns + 1)])
        rows = []
        for v in range(villages):
            t = v % towns + 1
            code = f"99{t:05d}{v:06d}"
            rows.append(dict(id=10_000 + v, code=code, name_zh=f"第{v}村", name_en=f"Village {v}", level="village",
                             parent_id=1 + t, path=f"/99/99{t:05d}/{code}/"))
        for i in range(0, len(rows), 5000):
            conn.execute(insert(m.Region), rows[i:i + 5000])
        if conn.dialect.name == "postgresql":
            for table in ("departments", "indicators", "periods", "regions"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT MAX(id) FROM {table}) + 1, false)"))


def workbook(engine, variant: int) -> bytes:  # noqa: ANN001
    with session_scope(engine) as s:
        spec = build_spec(s, "bench", "2026Q3")
    values = {e.code: {"served:value": 100 + (i * 7 + variant) % 900, "mediation:num": 5 + (i + variant) % 10,
                       "mediation:den": 20} for i, e in enumerate(spec.entities)}
    return write_template(spec, values=values)


def best(fn, repeat: int = REPEAT) -> float:  # noqa: ANN001
    times = []
    for i in range(repeat):
        t = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t)
    return min(times)


def raw_parse(data: bytes) -> None:
    wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    wb.get_sheet_by_name("数据").to_python()


def naive(engine, data: bytes) -> None:  # noqa: ANN001
    """What a first attempt looks like: openpyxl cell by cell, a lookup and an ORM insert per row."""
    wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    ws = wb["数据"]
    with Session(engine) as s:
        period = s.scalar(select(m.Period).where(m.Period.code == "2026Q3"))
        s.query(m.Observation).filter(m.Observation.period_id == period.id).delete()
        for r in range(4, ws.max_row + 1):
            code = ws.cell(r, 1).value
            if not code:
                continue
            region = s.scalar(select(m.Region).where(m.Region.code == str(code)))
            served, num, den = ws.cell(r, 3).value, ws.cell(r, 4).value, ws.cell(r, 5).value
            s.add(m.Observation(indicator_id=1, region_id=region.id, period_id=period.id, value=float(served)))
            s.flush()
            s.add(m.Observation(indicator_id=2, region_id=region.id, period_id=period.id, numerator=float(num),
                                denominator=float(den), value=num / den))
            s.flush()
        s.commit()


def run(backend: str, engine, size: int) -> dict:  # noqa: ANN001
    upgrade_schema(engine)
    seed(engine, size)
    files = [workbook(engine, v) for v in range(REPEAT + 1)]
    raw = best(lambda i: raw_parse(files[i]))
    with session_scope(engine) as s:
        spec = build_spec(s, "bench", "2026Q3")
    read_only = best(lambda i: read(files[i], spec))
    previews = {}

    def read_validate(i: int) -> None:
        with session_scope(engine) as s:
            previews[i] = prepare(s, ADMIN, files[i], f"v{i}.xlsx", "bench", "2026Q3", today=TODAY)
        assert previews[i].ok, [p.as_dict() for p in previews[i].all_problems[:5]]

    def end_to_end(i: int) -> None:
        read_validate(i)
        result = commit(engine, ADMIN, previews[i])
        assert result.status == "accepted", result

    validate_t = best(read_validate)
    total_t = best(end_to_end)
    naive_t = best(lambda i: naive(engine, files[i]), repeat=1 if size > 5000 else 2)
    with engine.connect() as conn:
        n_obs = conn.execute(text("SELECT COUNT(*) FROM observations")).scalar_one()
    assert n_obs == 2 * size, n_obs
    return dict(backend=backend, rows=size, raw=raw, read=read_only, read_validate=validate_t, total=total_t,
                naive=naive_t)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 20000])
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            engine = make_engine(f"sqlite:///{tmp}/bench-{size}.sqlite")
            results.append(run("sqlite", engine, size))
            engine.dispose()
            if args.no_postgres:
                continue
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            admin = create_engine(PG_URL)
            try:
                with admin.begin() as conn:
                    conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            except Exception as exc:  # no server: say so and go on with SQLite
                print(f"PostgreSQL skipped: {type(exc).__name__}: {str(exc).splitlines()[0]}")
                args.no_postgres = True
                continue
            engine = make_engine(PG_URL, schema=schema)
            try:
                results.append(run("postgresql", engine, size))
            finally:
                engine.dispose()
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                admin.dispose()
    head = (f"{'backend':<11}{'rows':>7}{'raw parse':>11}{'read':>8}{'read+valid.':>12}{'end-to-end':>12}"
            f"{'naive':>8}{'read/raw':>10}{'valid/raw':>11}{'e2e/raw':>9}{'naive/e2e':>11}")
    print("\nIngest benchmark (seconds, best of 3; naive once for 20,000 rows)")
    print("read = the tolerant reader alone (guards, header search, merged cells); read+valid. adds every check")
    print("and the comparison with the accepted version; end-to-end adds the one-transaction commit.")
    print(head)
    print("-" * len(head))
    for r in results:
        print(f"{r['backend']:<11}{r['rows']:>7,}{r['raw']:>11.3f}{r['read']:>8.3f}{r['read_validate']:>12.3f}"
              f"{r['total']:>12.3f}{r['naive']:>8.2f}{r['read'] / r['raw']:>9.1f}x{r['read_validate'] / r['raw']:>10.1f}x"
              f"{r['total'] / r['raw']:>8.1f}x{r['naive'] / r['total']:>10.1f}x")
    ok = all(r["total"] < 1.0 for r in results if r["rows"] <= 1000)
    print(f"\n1,000 rows end to end < 1 s: {'yes' if ok else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
