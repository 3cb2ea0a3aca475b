"""Audit trail page: rows from the database, filters, and the Excel download."""
from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from data_access import models as m
from data_access import users
from data_access.db import session_scope
from helpers import open_page, signed_in


def test_lists_filters_and_downloads_the_trail(writable_app) -> None:
    # The sample's own trail: its setup (county, regions, boundaries, points, as sample_data) and what its
    # demo accounts did (quarters approved, assessment schemes, adjustments).
    with session_scope(writable_app) as s:
        setup = s.scalar(select(func.count()).select_from(m.AuditEntry))
        by_leader = s.scalar(select(func.count()).select_from(m.AuditEntry).where(m.AuditEntry.username == "leader"))
    users.authenticate(writable_app, "leader", "wrong-pass-1")
    users.authenticate(writable_app, "leader", users.DEMO_PASSWORD)
    users.authenticate(writable_app, "=cmd|' /C calc'!A0", "x")  # a hostile "username" lands in detail
    at = open_page("pages/admin_audit.py", state=signed_in(writable_app, "admin"))
    assert not at.exception
    with session_scope(writable_app) as s:
        total = s.scalar(select(func.count()).select_from(m.AuditEntry))
    table = at.dataframe[0].value
    assert setup > 0 and len(table) == total == setup + 3
    assert set(table.head(3)["操作"]) == {"auth.sign_in", "auth.sign_in_failed"}  # newest first
    at.selectbox(key="audit_action").set_value("auth.sign_in_failed").run()
    assert len(at.dataframe[0].value) == 2
    at.selectbox(key="audit_user").set_value("leader").run()
    assert list(at.dataframe[0].value["操作"]) == ["auth.sign_in_failed"]
    at.selectbox(key="audit_action").set_value(None).run()
    assert len(at.dataframe[0].value) == 2 + by_leader


def test_download_is_an_excel_file_with_safe_cells(writable_app, monkeypatch) -> None:
    from data_access import audit

    made: list[bytes] = []
    real = audit.to_excel
    monkeypatch.setattr(audit, "to_excel", lambda rows, headers: made.append(real(rows, headers)) or made[-1])
    users.authenticate(writable_app, "=HYPERLINK(\"http://evil\")", "x")
    at = open_page("pages/admin_audit.py", state=signed_in(writable_app, "admin"))
    button = at.get("download_button")[0]
    assert button.proto.label == "下载 Excel"
    ws = load_workbook(io.BytesIO(made[-1])).active  # the bytes the page handed to the download button
    assert [c.value for c in ws[1]][:3] == ["时间", "用户", "操作"]
    detail = [c.value for c in ws[2]][7]
    assert detail == "unknown username: =HYPERLINK(\"http://evil\")"  # not at the start: harmless as it is
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_leader_cannot_open_the_audit_page(writable_app) -> None:
    at = open_page("pages/admin_audit.py", state=signed_in(writable_app, "leader"))
    assert not at.exception
    assert "无权打开此页面" in at.warning[0].value and len(at.dataframe) == 0
