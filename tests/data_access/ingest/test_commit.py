"""The commit path on both backends: round trip template -> filled -> accepted -> visible in the
indicator roll-ups; versions, identical file, supersede, history diff, permission, concurrency, CLI."""
from __future__ import annotations

import io
import json
import threading

import openpyxl
import pytest
from sqlalchemy import func, select

from ingest_helpers import ADMIN, FIGURE_TABLES, TODAY, fill, fingerprint, template_bytes
from data_access import db, indicators as ix, models as m
from data_access.access import Actor, PermissionDenied
from data_access.db import session_scope
from data_access.ingest import history
from data_access.ingest.__main__ import main as cli
from data_access.ingest.annotate import annotated_workbook
from data_access.ingest.commit import ACCEPTED, IDENTICAL, STALE, commit, ingest, prepare


def _dept(engine, code: str) -> m.Department:  # noqa: ANN001
    with session_scope(engine) as s:
        return s.scalar(select(m.Department).where(m.Department.code == code))


def _union_values(engine, extra: int = 0) -> dict:  # noqa: ANN001
    with session_scope(engine) as s:
        codes = list(s.scalars(select(m.Region.code).where(m.Region.level == "township").order_by(m.Region.code)))
    return {c: {"certified_counsellors:value": 10 + i + extra, "outreach_sessions:value": 2}
            for i, c in enumerate(codes)}


def test_round_trip_template_fill_upload_values_visible_then_versions(writable) -> None:  # noqa: ANN001
    engine = writable
    # The union's 2026Q3 sheet is the one still missing in the sample county.
    blank = template_bytes(engine, "union", "2026Q3")
    values = _union_values(engine)

    def edit(wb):  # noqa: ANN001, ANN202
        ws = wb["数据"]
        for r in range(4, ws.max_row + 1):
            code = ws.cell(r, 1).value
            ws.cell(r, 3).value = values[code]["certified_counsellors:value"]
            ws.cell(r, 4).value = values[code]["outreach_sessions:value"]
    data = fill(blank, edit)
    version_before = db.data_version(engine)
    preview, result = ingest(engine, ADMIN, data, "union-2026Q3.xlsx", "union", "2026Q3", today=TODAY)
    assert result.status == ACCEPTED, [p.as_dict() for p in preview.all_problems]
    assert preview.counts["new"] == 26 and preview.counts["changed"] == 0
    assert db.data_version(engine) == version_before + 1
    with session_scope(engine) as s:
        period = ix.period_by_code(s, "2026Q3")
        summary = {r.code: r for r in ix.region_summary(s, period, ix.root_region(s))}
        assert summary["certified_counsellors"].value == sum(v["certified_counsellors:value"] for v in values.values())
        sub = s.get(m.Submission, result.submission_id)
        assert sub.content == data and sub.status == "accepted" and len(sub.parsed) == 26
        assert sub.template_version == "2026.1"
        audit = s.scalar(select(m.AuditEntry).where(m.AuditEntry.action == "submission.accept")
                         .order_by(m.AuditEntry.id.desc()).limit(1))
        assert audit.entity_id == str(sub.id) and audit.after["new"] == 26
    # The identical file again: recognised, nothing written.
    before = fingerprint(engine)
    preview2, again = ingest(engine, ADMIN, data, "copy.xlsx", "union", "2026Q3", today=TODAY)
    assert preview2.identical and again.status == IDENTICAL and again.submission_id == result.submission_id
    assert fingerprint(engine) == before
    # A corrected re-upload supersedes version 1 and keeps it.
    corrected = fill(data, lambda wb: setattr(wb["数据"]["C4"], "value", 99))
    preview3, third = ingest(engine, ADMIN, corrected, "union-v2.xlsx", "union", "2026Q3", today=TODAY)
    assert third.status == ACCEPTED and third.version_no == 2
    assert preview3.counts == {"new": 0, "changed": 1, "removed": 0, "same": 25}
    with session_scope(engine) as s:
        first = s.get(m.Submission, result.submission_id)
        assert first.status == "superseded" and first.superseded_by_id == third.submission_id
        assert first.content == data
        rows = history.versions(s, ADMIN, _dept(engine, "union").id, "2026Q3")
        assert [(r["version"], r["status"]) for r in rows] == [(2, "accepted"), (1, "superseded")]
        changes = history.diff_versions(s, ADMIN, result.submission_id, third.submission_id)
        assert [(c.key, c.indicator, c.old, c.new) for c in changes] == [
            ("990101001", "certified_counsellors", 10.0, 99.0)]
        n_obs = s.scalar(select(func.count(m.Observation.id)).where(
            m.Observation.period_id == s.scalar(select(m.Period.id).where(m.Period.code == "2026Q3")),
            m.Observation.indicator_id.in_(select(m.Indicator.id).where(m.Indicator.owner_department_id ==
                                                                        _dept(engine, "union").id))))
        assert n_obs == 26  # replaced, not added to


def test_liaison_cannot_upload_for_another_department(writable) -> None:  # noqa: ANN001
    engine = writable
    liaison = Actor(user_id=None, username="liaison_health", role="liaison", department_id=_dept(engine, "health").id)
    data = template_bytes(engine, "petition", "2026Q2", values={"990101001": {"petitions:value": 3}})
    before = fingerprint(engine)
    with pytest.raises(PermissionDenied) as denied:
        ingest(engine, liaison, data, "x.xlsx", "petition", "2026Q2", today=TODAY)
    assert denied.value.key == "access.other_department"
    assert fingerprint(engine) == before


def test_concurrent_uploads_one_commits_the_other_is_told_to_reload(writable) -> None:  # noqa: ANN001
    engine = writable
    values_a = {"990101001": {"awareness_rural:num": 10, "awareness_rural:den": 20}}
    values_b = {"990101001": {"awareness_rural:num": 11, "awareness_rural:den": 20}}
    files = [template_bytes(engine, "propaganda", "2026Q2", values=v) for v in (values_a, values_b)]
    previews = []
    for i, data in enumerate(files):
        with session_scope(engine) as s:
            previews.append(prepare(s, ADMIN, data, f"{i}.xlsx", "propaganda", "2026Q2", today=TODAY))
    assert previews[0].base_submission_id == previews[1].base_submission_id is not None
    results = [None, None]
    barrier = threading.Barrier(2)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = commit(engine, ADMIN, previews[i])
    threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    statuses = sorted(r.status for r in results)
    assert statuses == [ACCEPTED, STALE]
    winner = next(i for i, r in enumerate(results) if r.status == ACCEPTED)
    with session_scope(engine) as s:
        accepted = s.scalars(select(m.Submission).join(m.Period).where(
            m.Submission.department_id == _dept(engine, "propaganda").id, m.Period.code == "2026Q2",
            m.Submission.status == "accepted")).all()
        assert [a.id for a in accepted] == [results[winner].submission_id]
        ind = s.scalar(select(m.Indicator.id).where(m.Indicator.code == "awareness_rural"))
        region = s.scalar(select(m.Region.id).where(m.Region.code == "990101001"))
        period = s.scalar(select(m.Period.id).where(m.Period.code == "2026Q2"))
        obs = s.scalar(select(m.Observation.numerator).where(
            m.Observation.indicator_id == ind, m.Observation.region_id == region, m.Observation.period_id == period))
        assert obs == (10 if winner == 0 else 11)


def test_annotated_workbook_marks_problem_cells(sample_engine) -> None:  # noqa: ANN001
    good = template_bytes(sample_engine, "health", "2026Q3", values={"990101001": {"smd_managed:num": "abc"}})
    with session_scope(sample_engine) as s:
        preview = prepare(s, ADMIN, good, "x.xlsx", "health", "2026Q3", today=TODAY)
    out = annotated_workbook(good, preview.checked.read.format, preview.all_problems, lang="zh")
    wb = openpyxl.load_workbook(io.BytesIO(out))
    cell = wb["数据"]["C4"]
    assert cell.fill.fgColor.rgb.endswith("F8B4B4")
    assert "应为数字" in cell.comment.text and "改法" in cell.comment.text
    assert wb.sheetnames[0] == "问题清单" and wb["问题清单"]["C2"].value == "C4"


def _cli_args(engine) -> tuple[list[str], dict]:  # noqa: ANN001
    url = engine.url.render_as_string(hide_password=False)
    env = {}
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            env["DATABASE_SCHEMA"] = conn.exec_driver_sql("SHOW search_path").scalar()
    return ["--database-url", url, "--today", "2026-11-23"], env


def test_cli_exit_codes_and_json(writable, tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    engine = writable
    args, env = _cli_args(engine)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(template_bytes(engine, "justice", "2026Q2", values={"990101001": {"special_counselling:num": 9,
                                                                                     "special_counselling:den": 3}}))
    figures_before = fingerprint(engine, FIGURE_TABLES)
    assert cli([str(bad), "--department", "justice", "--period", "2026Q2", "--json", *args]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["accepted"] is False
    errors = [p for p in out["problems"] if p["severity"] == "error"]
    assert [(p["sheet"], p["row"], p["column"], p["value"]) for p in errors] == [("数据", 4, "C", "9")]
    assert "大于分母" in errors[0]["message"]
    # The refused file changed no figure, but the audit trail says it was sent and why.
    with session_scope(engine) as s:
        entry = s.scalar(select(m.AuditEntry).order_by(m.AuditEntry.id.desc()).limit(1))
        assert entry.action == "submission.reject" and entry.after["errors"] == 1 and "数据!C4 " in entry.detail
        before = fingerprint(engine)
    assert fingerprint(engine, FIGURE_TABLES) == figures_before
    good = tmp_path / "good.xlsx"
    good.write_bytes(template_bytes(engine, "justice", "2026Q2", values={"990101001": {"special_counselling:num": 3,
                                                                                      "special_counselling:den": 9}}))
    assert cli([str(good), "--department", "justice", "--period", "2026Q2", "--dry-run", *args]) == 0
    assert fingerprint(engine) == before
    assert cli([str(good), "--department", "justice", "--period", "2026Q2", *args]) == 0
    assert "已接收" in capsys.readouterr().out
    with session_scope(engine) as s:
        entry = s.scalar(select(m.AuditEntry).order_by(m.AuditEntry.id.desc()).limit(1))
        assert entry.action == "submission.accept" and entry.username.startswith("cli:")
    assert cli([str(good), "--department", "nosuch", "--period", "2026Q2", *args]) == 2
    assert cli([str(tmp_path / "missing.xlsx"), "--department", "justice", "--period", "2026Q2", *args]) == 2
    with pytest.raises(SystemExit) as usage:
        cli([str(good)])
    assert usage.value.code == 2


def _figures(engine, department: str, period: str) -> dict:  # noqa: ANN001
    with session_scope(engine) as s:
        rows = s.execute(select(m.Region.code, m.Indicator.code, m.Observation.numerator, m.Observation.denominator,
                                m.Observation.value)
                         .join(m.Region, m.Region.id == m.Observation.region_id)
                         .join(m.Indicator, m.Indicator.id == m.Observation.indicator_id)
                         .join(m.Period, m.Period.id == m.Observation.period_id)
                         .where(m.Period.code == period, m.Indicator.owner_department_id == _dept(engine, department).id))
        return {(r[0], r[1]): (r[2], r[3], r[4]) for r in rows}


def test_partial_file_updates_its_rows_keeps_the_rest_and_only_replace_deletes(writable) -> None:  # noqa: ANN001
    engine = writable
    before = _figures(engine, "petition", "2025Q4")
    assert len(before) == 13
    two = template_bytes(engine, "petition", "2025Q4", values={"990101002": {"petitions:value": 71},
                                                               "990101005": {"petitions:value": 72}})
    preview, result = ingest(engine, ADMIN, two, "两行更正.xlsx", "petition", "2025Q4", today=TODAY)
    assert result.status == ACCEPTED and preview.not_in_file == 11
    assert (result.mode, result.deleted, result.kept) == ("update", 0, 11)
    expected = dict(before)
    expected[("990101002", "petitions")] = (None, None, 71.0)
    expected[("990101005", "petitions")] = (None, None, 72.0)
    assert _figures(engine, "petition", "2025Q4") == expected
    with session_scope(engine) as s:
        sub = s.get(m.Submission, result.submission_id)
        assert len(sub.parsed) == 13  # the version keeps the quarter's state after it
        audit = s.scalar(select(m.AuditEntry).where(m.AuditEntry.action == "submission.accept")
                         .order_by(m.AuditEntry.id.desc()).limit(1))
        assert (audit.after["mode"], audit.after["kept"], audit.after["deleted"]) == ("update", 11, 0)
    # The same correction, now as the quarter's whole set: the other eleven are deleted, and counted.
    again = template_bytes(engine, "petition", "2025Q4", values={"990101002": {"petitions:value": 81},
                                                                 "990101005": {"petitions:value": 82}})
    preview, result = ingest(engine, ADMIN, again, "两行替换.xlsx", "petition", "2025Q4", today=TODAY, mode="replace")
    assert (result.status, result.mode, result.deleted, result.kept) == (ACCEPTED, "replace", 11, 0)
    assert _figures(engine, "petition", "2025Q4") == {("990101002", "petitions"): (None, None, 81.0),
                                                      ("990101005", "petitions"): (None, None, 82.0)}
    with session_scope(engine) as s:
        assert len(s.get(m.Submission, result.submission_id).parsed) == 2


def test_blank_template_is_refused_and_deletes_nothing(writable) -> None:  # noqa: ANN001
    engine = writable
    before = fingerprint(engine, FIGURE_TABLES)
    preview, result = ingest(engine, ADMIN, template_bytes(engine, "petition", "2025Q3"), "空白.xlsx", "petition",
                             "2025Q3", today=TODAY)
    assert result.status == "rejected"
    assert [(p.key, p.cell) for p in preview.all_problems if p.severity == "error"] == [("ingest.err.no_figures", "C4")]
    assert fingerprint(engine, FIGURE_TABLES) == before


def test_school_sheet_correction_keeps_the_other_schools(writable) -> None:  # noqa: ANN001
    engine = writable
    with session_scope(engine) as s:
        old = s.scalar(select(m.Submission).join(m.Period).where(
            m.Submission.department_id == _dept(engine, "education").id, m.Period.code == "2025Q4",
            m.Submission.status == "accepted")).parsed
    data = template_bytes(engine, "education", "2025Q4", values={
        "F00000200001": {"school:has_room": "是", "school:teachers_full": 3, "school:teachers_part": 2}})
    preview, result = ingest(engine, ADMIN, data, "一所学校.xlsx", "education", "2025Q4", today=TODAY)
    assert result.status == ACCEPTED and result.kept == preview.not_in_file > 0
    with session_scope(engine) as s:
        rows = {r["school"]: r for r in s.get(m.Submission, result.submission_id).parsed}
    assert len(rows) == len(old)
    assert (rows["F00000200001"]["teachers_full"], rows["F00000200001"]["teachers_part"]) == (3, 2)
    assert all(rows[r["school"]] == r for r in old if r["school"] != "F00000200001")
