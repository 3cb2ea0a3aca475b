"""Hostile and damaged workbooks (tests/hostile_files.py): each is refused with its own clear message
in Chinese and English, on the full ingest path (so the 上传报表 page and the CLI), on the reference
import, and by the CLI in a separate process; nothing in the database changes; the annotated copy
of a damaged file still builds."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine

import hostile_files as hf  # type: ignore[import-not-found]
from data_access.db import session_scope
from data_access.ingest import guards
from data_access.ingest import reference as ref
from data_access.ingest.annotate import annotated_read, annotated_workbook
from data_access.ingest.commit import REJECTED, ingest
from data_access.ingest.problems import err
from data_access.ingest.reader import Located, ReadResult
from ingest_helpers import ADMIN, TODAY, fingerprint, template_bytes  # type: ignore[import-not-found]

ROOT = Path(__file__).resolve().parents[3]
_built: dict[tuple[str, str], bytes] = {}


def hostile(name: str, good: bytes) -> bytes:
    key = (name, str(hash(good)))
    if key not in _built:
        _built[key] = hf.CORPUS[name][0](good)
    return _built[key]


def _assert_clear_refusal(problems: list, expected: str) -> None:
    errors = [p for p in problems if p.severity == "error"]
    assert [p.key for p in errors] == [expected], [(p.key, p.message()) for p in errors]
    for p in errors:
        zh, en = p.message("zh"), p.message("en")
        assert "{" not in zh and "{" not in en and zh != p.key and en != p.key
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh)
        assert p.fix("zh") and p.fix("en")


@pytest.mark.parametrize("name", sorted(hf.CORPUS))
def test_hostile_upload_is_refused_with_its_message_and_changes_nothing(name: str, sample_engine: Engine,
                                                                       good_health: bytes) -> None:
    data = hostile(name, good_health)
    before = fingerprint(sample_engine)
    preview, result = ingest(sample_engine, ADMIN, data, f"{name}.xlsx", "health", "2026Q3", today=TODAY)
    assert result.status == REJECTED
    _assert_clear_refusal(preview.all_problems, hf.CORPUS[name][1])
    assert fingerprint(sample_engine) == before
    # The page offers the annotated copy of every refused file: it builds, and lists the problem.
    out = annotated_read(preview.data, preview.checked.read, preview.all_problems, "zh")
    listing = openpyxl.load_workbook(io.BytesIO(out))["问题清单"]
    assert listing["E2"].value == preview.all_problems[0].message("zh")


def test_the_11_kb_killer_is_named_precisely(good_health: bytes, sample_engine: Engine) -> None:
    data = hf.far_cell(good_health)
    assert len(data) < 16 * 1024
    preview, _ = ingest(sample_engine, ADMIN, data, "x.xlsx", "health", "2026Q3", today=TODAY)
    assert preview.all_problems[0].message("zh") == "工作表“数据”过大（4000000000 行、8 列），上限为 100000 行。"


@pytest.mark.parametrize("name", ["far_cell", "lying_zip_1gib", "damaged_xml", "xls_absurd_dimensions"])
def test_reference_import_refuses_hostile_files(name: str, sample_engine: Engine) -> None:
    with session_scope(sample_engine) as s:
        good = ref.template(s, ADMIN, "service_points")[1]
    data = hf.CORPUS[name][0](good)
    before = fingerprint(sample_engine, ("service_points", "regions", "audit_log", "settings"))
    with session_scope(sample_engine) as s:
        preview = ref.check_import(s, ADMIN, "service_points", data, f"{name}.xlsx", today=TODAY)
    assert not preview.ok
    _assert_clear_refusal(preview.problems, hf.CORPUS[name][1])
    assert fingerprint(sample_engine, ("service_points", "regions", "audit_log", "settings")) == before


def test_cli_refuses_the_killer_file_in_chinese(sample_sqlite: Engine, tmp_path: Path) -> None:
    """In its own process, as an administrator runs it: today's main dies there (SIGABRT)."""
    killer = tmp_path / "killer.xlsx"
    killer.write_bytes(hf.far_cell(template_bytes(sample_sqlite)))
    before = fingerprint(sample_sqlite, ("observations", "submissions", "settings"))
    url = sample_sqlite.url.render_as_string(hide_password=False)
    run = subprocess.run([sys.executable, "-m", "data_access.ingest", str(killer), "--department", "health",
                          "--period", "2026Q3", "--database-url", url, "--today", "2026-11-23"],
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 1, (run.returncode, run.stderr[-2000:])
    assert "未接收" in run.stdout or "拒收" in run.stdout or "未被接收" in run.stdout
    assert "过大（4000000000 行" in run.stdout and "删除表格下方或右侧" in run.stdout
    assert fingerprint(sample_sqlite, ("observations", "submissions", "settings")) == before


def test_annotated_copy_of_a_damaged_workbook_is_built_from_the_values_read(good_health: bytes) -> None:
    """Even when the reader got through (calamine is lenient) and openpyxl chokes on the cut XML,
    the copy is built from the values the reader returned."""
    damaged = hf.damaged_xml(good_health)
    rows = [["区划代码", "乡镇名称", "规范管理患者数"], ["990101001", "北山乡", "abc"]]
    located = Located("数据", rows, 0, {"code": 0, "name": 1}, {})
    read = ReadResult(format="xlsx", located=located)
    problem = err("ingest.err.not_number", sheet="数据", row=1, col=2, value="abc", column_label="规范管理患者数")
    for out in (annotated_workbook(damaged, "xlsx", [problem], rows=rows, sheet_name="数据"),
                annotated_read(damaged, read, [problem])):
        wb = openpyxl.load_workbook(io.BytesIO(out))
        assert wb.sheetnames == ["问题清单", "数据"]
        assert wb["数据"]["C2"].value == "abc" and wb["数据"]["C2"].comment is not None


# --- the guards, piece by piece -------------------------------------------------------------------

def _xml(cells: bytes, extra: bytes = b"") -> bytes:
    return (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<dimension ref="A1:C3"/><sheetData>' + cells + b"</sheetData>" + extra + b"</worksheet>")


@pytest.mark.parametrize("cells, rows, cols", [
    (b'<row r="100001"><c r="A100001"><v>1</v></c></row>', 100001, None),
    (b'<row r="2"><c r="GS2"><v>1</v></c></row>', None, 201),                  # just past column 200
    (b'<row r="2"><c r="XFD2"><v>1</v></c></row>', None, 16384),
    (b'<row r="2"><c r="ABCDE2"><v>1</v></c></row>', None, 494265),
    (b"<row r='7'><c r = 'gs7'><v>1</v></c></row>", None, 201),                # spaced, quoted, lower case
    (b'<row r="1048576"><c><v>1</v></c></row>', 1048576, None),                # a cell without r
    (b'<row r="2"><c s="1" r="GR2"><v>1</v></c><c><v>2</v></c><c/><c><v>3</v></c></row>', None, 203),
    (b'<row><c><v>1</v></c></row>' * 5, None, None),                           # no r anywhere: 5 x 1
    (b"<row r='7'><c r = 'gr7'><v>1</v></c></row>", None, None),               # column 200 is allowed
    (b'<row r="100000"><c r="GR100000"><v>1</v></c></row>', None, None),       # the far corner allowed
])
def test_sheet_extent_counts_every_reference(cells: bytes, rows: int | None, cols: int | None) -> None:
    """Beyond a limit exactly when a reference is; the figure reported is that reference's."""
    extent = guards.sheet_extent(_xml(cells), 100_000, 200)
    assert (extent.rows if extent.rows > 100_000 else None) == rows
    assert (extent.cols if extent.cols > 200 else None) == cols


def test_merged_ranges_count_their_area() -> None:
    extent = guards.sheet_extent(_xml(b"", b'<mergeCells><mergeCell ref="A1:B2"/><mergeCell ref="C5:C104"/>'
                                          b"</mergeCells>"), 100_000, 200)
    assert extent.merged_cells == 4 + 100 and extent.rows == 104


def test_columns_beyond_any_limit_are_matched_exactly() -> None:
    for limit in (1, 26, 27, 52, 200, 702, 703, 16384):
        pattern = guards._letters_beyond(limit)
        import re
        rx = re.compile(rb"(?:%s)\Z" % pattern)
        for n in range(1, 20000, 7):
            assert bool(rx.match(guards.col_letters(n).encode())) == (n > limit), (limit, n)


def test_a_real_deep_sheet_is_not_too_deep(good_health: bytes) -> None:
    xml = dict(hf.members(good_health))[hf.data_sheet(good_health)]
    guards.check_xml_part("sheet", xml)  # no Refusal
    with pytest.raises(guards.Refusal):
        guards.check_xml_part("sheet", b"<a>" * (guards.MAX_DEPTH + 1) + b"</a>" * (guards.MAX_DEPTH + 1))
    assert guards.max_depth(b'<?xml version="1.0"?><a x="1"><b/><c><d>t</d></c><!-- c --></a>') == 3
