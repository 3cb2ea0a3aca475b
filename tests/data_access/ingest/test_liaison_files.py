"""The liaison-file corpus (liaison_files.py) through the ingest command, each file on a fresh copy
of the sample county: the outcome the liaison would expect, every refused cell, and the figures
read back from the database afterwards -- those the file gives, and every other figure of the
quarter exactly as before (kept by default, deleted only with --replace)."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import select

from ingest_helpers import TODAY
from liaison_files import CASES, Ctx
from data_access import models as m
from data_access.db import make_engine, session_scope, upgrade_schema
from data_access.ingest.__main__ import main as cli
from data_access.ingest.spec import build_spec
from data_access.ingest.templates import write_template


@pytest.fixture(scope="module")
def county_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample county on SQLite, made once; each case works on its own copy."""
    from sample_data.generate import generate

    path = tmp_path_factory.mktemp("county") / "county.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_schema(engine)
    generate(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="module")
def ctx(county_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Ctx:
    engine = make_engine(f"sqlite:///{county_file}")
    templates: dict[tuple[str, str], bytes] = {}
    folder = tmp_path_factory.mktemp("soffice")

    def template(department: str = "health", period: str = "2026Q3") -> bytes:
        if (department, period) not in templates:
            with session_scope(engine) as s:
                templates[(department, period)] = write_template(build_spec(s, department, period))
        return templates[(department, period)]

    def to_xls(data: bytes, fmt: str) -> bytes:
        soffice = shutil.which("soffice")
        if not soffice:
            pytest.skip("LibreOffice (soffice) is not installed")
        src = folder / "in.xlsx"
        src.write_bytes(data)
        out = folder / "out"
        subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{folder}/profile", "--convert-to", fmt,
                        "--outdir", str(out), str(src)], check=True, capture_output=True, timeout=180)
        return (out / f"in.{fmt}").read_bytes()

    return Ctx(template, to_xls)


@pytest.fixture
def county(county_file: Path, tmp_path: Path) -> Iterator[str]:
    copy = tmp_path / "county.sqlite"
    shutil.copy(county_file, copy)
    yield f"sqlite:///{copy}"


def figures(url: str, department: str = "health") -> dict:
    """The quarter's figures of the department, read back from the observations table (a school
    sheet: the accepted version's rows, school -> has room, full-time, part-time teachers)."""
    engine = make_engine(url)
    with session_scope(engine) as s:
        dept = s.scalar(select(m.Department).where(m.Department.code == department))
        if dept.reports_by == "school":
            sub = s.scalar(select(m.Submission).join(m.Period, m.Period.id == m.Submission.period_id).where(
                m.Submission.department_id == dept.id, m.Period.code == "2026Q3", m.Submission.status == "accepted")
                .order_by(m.Submission.id.desc()).limit(1))
            rows = {r["school"]: tuple(None if r.get(k) is None else float(r[k])
                                       for k in ("has_room", "teachers_full", "teachers_part"))
                    for r in (sub.parsed if sub else [])}
            engine.dispose()
            return rows
        rows = s.execute(select(m.Region.code, m.Indicator.code, m.Observation.numerator, m.Observation.denominator,
                                m.Observation.value)
                         .join(m.Region, m.Region.id == m.Observation.region_id)
                         .join(m.Indicator, m.Indicator.id == m.Observation.indicator_id)
                         .join(m.Period, m.Period.id == m.Observation.period_id)
                         .where(m.Period.code == "2026Q3", m.Indicator.owner_department_id == dept.id)).all()
    engine.dispose()
    return {(r[0], r[1]): (r[2], r[3]) if r[2] is not None else (r[4],) for r in rows}


def run_cli(url: str, path: Path, department: str, *extra: str, capsys: pytest.CaptureFixture) -> tuple[int, dict]:
    code = cli([str(path), "--department", department, "--period", "2026Q3", "--json", "--database-url", url,
                "--today", TODAY.isoformat(), *extra])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", sorted(CASES))
def test_liaison_file(name: str, ctx: Ctx, county: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    case = CASES[name]
    if case.needs_soffice and not shutil.which("soffice"):
        pytest.skip("LibreOffice (soffice) is not installed")
    path = tmp_path / case.filename
    path.write_bytes(case.make(ctx))
    before = figures(county, case.department)
    code, out = run_cli(county, path, case.department, *(["--replace"] if case.replace else []), capsys=capsys)
    after = figures(county, case.department)
    errors = [(p["key"], p["cell"]) for p in out["problems"] if p["severity"] == "error"]
    for p in out["problems"]:  # every message whole in Chinese, with a fix for each error
        assert "{" not in p["message"] and (p["fix"] or p["severity"] != "error"), p
    if not case.accepted:
        assert (code, out["status"]) == (1, "rejected")
        assert errors == case.errors
        # Nothing of a refused file was handled: no "自动处理" notice claims otherwise.
        assert [p["key"] for p in out["problems"] if p["severity"] == "notice"] == []
        assert after == before, "a refused file changed figures"
        return
    assert (code, out["status"], errors) == (0, "accepted", [])
    given = case.given(ctx)
    expected = {} if case.replace else dict(before)
    expected.update(given)
    assert after == expected
    # The output says how many existing figures the file did not give, and what became of them.
    not_given = sum(1 for k in before if k not in given)
    if case.department == "education":  # counted per field of a school
        not_given = sum(v is not None for k, row in before.items() if k not in given for v in row)
    assert out["not_in_file"] == not_given
    assert (out["deleted"], out["kept"]) == ((not_given, 0) if case.replace else (0, not_given))
