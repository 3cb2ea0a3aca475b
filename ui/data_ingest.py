"""Reads and writes the upload pages use. Cached reads carry the data version (bumped by every
accepted sheet); writes go straight to data_access.ingest with the signed-in Actor."""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import asdict

import streamlit as st
from sqlalchemy import select

from data_access import db, models as m
from data_access.access import Actor
from data_access.db import session_scope
from data_access.ingest import completeness, history, sandbox
from data_access.ingest.annotate import annotated_read
from data_access.ingest.commit import (REPLACE, UPDATE, CommitResult, Preview, commit, current_submission, prepare,
                                       record_rejection, version_count)
from data_access.ingest.spec import build_spec
from data_access.ingest.templates import build_template


@st.cache_resource(show_spinner=False)
def start_reader() -> bool:
    """Start the sandbox that reads uploaded files (its fork server and spare children) in the
    background, once per server, when an upload page is first opened: the first file is then not
    kept waiting for it."""
    threading.Thread(target=sandbox.warm_up, name="ingest-sandbox-warm-up", daemon=True).start()
    return True


@st.cache_data(show_spinner=False)
def departments(data_version: int) -> list[dict]:
    """Departments that hand in a quarterly sheet: [{id, code, name_zh, name_en}]."""
    with session_scope() as s:
        return [dict(id=d.id, code=d.code, name_zh=d.name_zh, name_en=d.name_en)
                for d in completeness.reporting_departments(s)]


def departments_for(actor: Actor, data_version: int) -> list[dict]:
    """The departments this user may pick: a liaison only their own (data_access checks again on write)."""
    depts = departments(data_version)
    return [d for d in depts if d["id"] == actor.department_id] if actor.role == "liaison" else depts


@st.cache_data(show_spinner=False)
def all_periods(data_version: int) -> list[dict]:
    with session_scope() as s:
        return [dict(code=p.code, year=p.year, quarter=p.quarter, end_date=p.end_date, deadline=p.deadline)
                for p in s.scalars(select(m.Period).order_by(m.Period.year, m.Period.quarter))]


def template(actor: Actor, department: str, period: str) -> tuple[str, bytes]:
    with session_scope() as s:
        return build_template(s, actor, department, period)


def has_sheet(department: str, period: str) -> bool:
    from data_access.ingest.spec import SpecError

    with session_scope() as s:
        try:
            build_spec(s, department, period)
        except SpecError:
            return False
    return True


def current_version(department_id: int, period: str) -> dict | None:
    with session_scope() as s:
        p = s.scalar(select(m.Period).where(m.Period.code == period))
        if p is None:
            return None
        sub = current_submission(s, department_id, p.id)
        if sub is None:
            return None
        who = s.get(m.User, sub.uploaded_by) if sub.uploaded_by else None
        return dict(id=sub.id, version=version_count(s, department_id, p.id), uploaded_at=sub.uploaded_at,
                    who=(who.display_name if who else "") or "-", filename=sub.filename)


def preview_upload(actor: Actor, data: bytes, filename: str, department: str, period: str) -> Preview:
    with session_scope() as s:
        preview = prepare(s, actor, data, filename, department, period)
    if not preview.ok:
        record_rejection(db.get_engine(), actor, preview, department, period)
    return preview


def commit_upload(actor: Actor, preview: Preview, mode: str = UPDATE) -> CommitResult:
    """UPDATE keeps the quarter's figures the file does not give; REPLACE (its own button) deletes them."""
    return commit(db.get_engine(), actor, preview, mode)




def annotated(preview: Preview, lang: str) -> bytes:
    return annotated_read(preview.data, preview.checked.read if preview.checked else None, preview.all_problems, lang)


def versions(actor: Actor, department_id: int | None) -> list[dict]:
    with session_scope() as s:
        return history.versions(s, actor, department_id)


def version_changes(actor: Actor, old_id: int, new_id: int) -> list[dict]:
    with session_scope() as s:
        return [asdict(c) for c in history.diff_versions(s, actor, old_id, new_id)]


def original(actor: Actor, submission_id: int) -> tuple[str, bytes] | None:
    with session_scope() as s:
        return history.original_file(s, actor, submission_id)


def clean(actor: Actor, submission_id: int, lang: str) -> tuple[str, bytes, tuple[str, ...]] | None:
    """(name, values-only copy, risks of the original); the role is checked on every call, the copy
    (a sandbox child's work) is made once per stored file. Raises clean_copy.CopyRefused."""
    with session_scope() as s:
        found = history.original_file(s, actor, submission_id)  # the access check
    if found is None:
        return None
    data, risks = _clean_copy(submission_id, found[1])
    from data_access.ingest.clean_copy import copy_name

    return copy_name(found[0], lang), data, risks


@st.cache_data(show_spinner=False, max_entries=8, hash_funcs={bytes: lambda b: len(b)})
def _clean_copy(submission_id: int, _content: bytes) -> tuple[bytes, tuple[str, ...]]:
    # A stored submission never changes: its id is the key (the bytes are left out of the hash).
    from data_access.ingest.clean_copy import clean_copy

    copy = clean_copy(_content)
    return copy.data, copy.risks


@st.cache_data(show_spinner=False)
def completeness_matrix(data_version: int, today: dt.date) -> dict:
    with session_scope() as s:
        data = completeness.matrix(s, today)
        data["cells"] = {f"{d}|{p}": asdict(c) for (d, p), c in data["cells"].items()}
        data["owing"] = completeness.owing(s, today)
        return data
