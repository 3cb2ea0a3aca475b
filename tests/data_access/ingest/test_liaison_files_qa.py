"""The independent corpus (liaison_files_qa.py) through both real paths, each file on a fresh copy of
the sample county: the ingest command, and the check/commit functions the upload page calls
(prepare, then commit with the page's default "update only the rows in this file"). Both must give
the outcome the liaison expects, every refused cell, the warnings they must see, and the figures read
back from the database -- those the file gives, every other figure of the quarter as before."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest_helpers import ADMIN, TODAY
from liaison_files_qa import CASES
from test_liaison_files import county, county_file, ctx, figures, run_cli  # noqa: F401  (fixtures)
from data_access.db import make_engine, session_scope
from data_access.ingest.commit import ACCEPTED, UPDATE, commit, prepare


def _page_path(url: str, data: bytes, filename: str, department: str) -> tuple[str, list]:
    """What 上传报表 does: prepare (the check), then the confirm button (UPDATE)."""
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            preview = prepare(s, ADMIN, data, filename, department, "2026Q3", today=TODAY)
        problems = [(p.severity, p.key, p.cell) for p in preview.all_problems]
        if not preview.ok:
            return "rejected", problems
        return commit(engine, ADMIN, preview, UPDATE).status, problems
    finally:
        engine.dispose()


@pytest.mark.parametrize("name", sorted(CASES))
def test_qa_liaison_file(name: str, ctx, county: str, county_file: Path, tmp_path: Path,  # noqa: ANN001, F811
                         capsys: pytest.CaptureFixture) -> None:
    case = CASES[name]
    if case.needs_soffice and not shutil.which("soffice"):
        pytest.skip("LibreOffice (soffice) is not installed")
    data = case.make(ctx)
    path = tmp_path / case.filename
    path.write_bytes(data)
    before = figures(county, case.department)
    code, out = run_cli(county, path, case.department, capsys=capsys)
    after = figures(county, case.department)
    errors = [(p["key"], p["cell"]) for p in out["problems"] if p["severity"] == "error"]
    for p in out["problems"]:  # every message whole in Chinese, with a fix for each error
        assert "{" not in p["message"] and (p["fix"] or p["severity"] != "error"), p
    if case.warnings is not None:
        assert [(p["key"], p["cell"]) for p in out["problems"] if p["severity"] == "warning"] == case.warnings
    expected_errors = case.errors(ctx) if callable(case.errors) else case.errors
    if not case.accepted:
        assert (code, out["status"], errors) == (1, "rejected", expected_errors)
        assert [p for p in out["problems"] if p["severity"] == "notice"] == []
        assert after == before, "a refused file changed figures"
    else:
        assert (code, out["status"], errors) == (0, "accepted", [])
        expected = dict(before)
        expected.update(case.given(ctx))
        assert after == expected
    # The upload page's path, on a fresh copy: the same outcome, problems and figures.
    page_copy = tmp_path / "page.sqlite"
    shutil.copy(county_file, page_copy)
    page_url = f"sqlite:///{page_copy}"
    status, problems = _page_path(page_url, data, case.filename, case.department)
    assert [(k, c) for sev, k, c in problems if sev == "error"] == errors
    assert status == (ACCEPTED if case.accepted else "rejected")
    assert figures(page_url, case.department) == after


def test_the_ingest_command_refuses_a_file_too_large_by_its_size(county: str, tmp_path: Path,  # noqa: F811
                                                                 capsys: pytest.CaptureFixture) -> None:
    """A 1 GB "报表.xlsx" (sparse: no disk) is refused by its size, never read into the command."""
    import resource

    path = tmp_path / "报表.xlsx"
    with open(path, "wb") as fh:
        fh.truncate(1024 ** 3)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    code, out = run_cli(county, path, "health", capsys=capsys)
    assert (code, out["status"]) == (1, "rejected")
    assert [p["key"] for p in out["problems"]] == ["ingest.err.too_big"] and "文件过大" in out["problems"][0]["message"]
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before < 50
