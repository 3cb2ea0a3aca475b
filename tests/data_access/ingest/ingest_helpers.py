"""Helpers for the ingest tests (imported by name: tests/conftest.py shadows "conftest")."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from typing import Callable, Iterator

import openpyxl
from sqlalchemy import Engine, text

from data_access.access import Actor
from data_access.db import session_scope
from data_access.ingest.spec import build_spec
from data_access.ingest.templates import write_template

TODAY = dt.date(2026, 11, 23)
ADMIN = Actor(user_id=None, username="test-admin", role="admin")
TABLES = ("observations", "submissions", "audit_log", "settings")
FIGURE_TABLES = ("observations", "submissions", "settings")  # what a refused file must not touch


def fingerprint(engine: Engine, tables: tuple[str, ...] | None = None) -> str:
    """A hash of every row an upload could touch: equal before and after means nothing changed."""
    h = hashlib.sha256()
    with engine.connect() as conn:
        for table in tables or TABLES:
            cols = "*" if table != "submissions" else \
                "id, department_id, period_id, uploaded_by, uploaded_at, filename, sha256, status, superseded_by_id"
            for row in conn.execute(text(f"SELECT {cols} FROM {table} ORDER BY 1")):
                h.update(json.dumps([str(v) for v in row], ensure_ascii=False).encode())
    return h.hexdigest()


def template_bytes(engine: Engine, department: str = "health", period: str = "2026Q3",
                   values: dict | None = None) -> bytes:
    with session_scope(engine) as s:
        spec = build_spec(s, department, period)
    return write_template(spec, values=values)


def fill(data: bytes, edit: Callable[[openpyxl.Workbook], None] | None = None, **kw) -> bytes:  # noqa: ANN003
    wb = openpyxl.load_workbook(io.BytesIO(data), **kw)
    if edit:
        edit(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def health_values(engine: Engine, base: int = 0) -> dict[str, dict[str, object]]:
    """Plausible figures for every township on the health sheet."""
    with session_scope(engine) as s:
        spec = build_spec(s, "health", "2026Q3")
    out = {}
    for i, e in enumerate(spec.entities):
        out[e.code] = {"smd_managed:num": 40 + i + base, "smd_managed:den": 50 + i,
                       "rehab_participation:num": 20 + i, "rehab_participation:den": 40 + i,
                       "mh_records:num": 5000 + 10 * i, "mh_records:den": 10000 + 10 * i}
    return out


