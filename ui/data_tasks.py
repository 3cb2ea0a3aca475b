"""Cached reads and write calls for the steering follow-up pages (督办任务, 会议记录, comments).

Reads are keyed by the data version (every write here bumps it) and by who is asking where the
answer depends on it (a liaison sees their own department's tasks only). Writes call data_access
with the signed-in Actor and turn its refusals into (False, message in the user's language).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any, Callable

import streamlit as st
from sqlalchemy import select

from data_access import comments as cm
from data_access import meetings as mt
from data_access import models as m
from data_access import tasks as tk
from data_access.access import Actor, PermissionDenied
from data_access.admin import InvalidInput
from data_access.db import get_engine, session_scope
from ui.state import lang, tr


def _actor_key(actor: Actor | None) -> tuple:
    return (actor.role, actor.department_id) if actor else (None, None)


@st.cache_data(show_spinner=False, max_entries=64)
def _tasks(version: int, role: str | None, department_id: int | None, today: dt.date, open_only: bool) -> list[dict]:
    actor = Actor(None, "reader", role or "", department_id) if role else None
    with session_scope() as s:
        try:
            return [asdict(r) for r in tk.tasks_for(s, actor, today=today, open_only=open_only)]
        except PermissionDenied:
            return []


def tasks(version: int, actor: Actor | None, open_only: bool = False) -> list[dict]:
    return _tasks(version, *_actor_key(actor), dt.date.today(), open_only)


@st.cache_data(show_spinner=False, max_entries=16)
def overdue(version: int, today: dt.date) -> list[dict]:
    with session_scope() as s:
        return [asdict(r) for r in tk.overdue(s, today)]


@st.cache_data(show_spinner=False, max_entries=16)
def overdue_by_department(version: int, today: dt.date) -> dict[str, int]:
    with session_scope() as s:
        return tk.overdue_by_department(s, today)


def task_detail(version: int, actor: Actor | None, task_id: int) -> tuple[dict, list[dict]] | None:
    """Not cached: it is one small read, and it answers to the actor (a liaison of another department gets None)."""
    with session_scope() as s:
        found = tk.task_detail(s, actor, task_id)
        return (asdict(found[0]), found[1]) if found else None


def evidence(actor: Actor | None, progress_id: int) -> tuple[str, bytes] | None:
    with session_scope() as s:
        return tk.evidence_file(s, actor, progress_id)


@st.cache_data(show_spinner=False, max_entries=8)
def choices(version: int) -> dict:
    """Departments, townships and indicators for the task forms."""
    from data_access import indicators as ix

    with session_scope() as s:
        depts = [dict(id=d.id, code=d.code, name_zh=d.name_zh, name_en=d.name_en)
                 for d in s.scalars(select(m.Department).order_by(m.Department.sort_order, m.Department.id))]
        root = ix.root_region(s)
        towns = [dict(id=r.id, code=r.code, name_zh=r.name_zh, name_en=r.name_en)
                 for r in (ix.regions_at(s, root.code) if root else [])]
        inds = [dict(id=i.id, code=i.code, name_zh=i.name_zh, name_en=i.name_en, owner=i.owner_department_id)
                for i in ix.indicator_catalogue(s)]
        return dict(departments=depts, townships=towns, indicators=inds,
                    root=dict(code=root.code, name_zh=root.name_zh, name_en=root.name_en) if root else None)


def warning_defaults(version: int, kind: str, region_code: str, indicator_code: str, period: str) -> dict | None:
    with session_scope() as s:
        return tk.warning_defaults(s, kind=kind, region_code=region_code, indicator_code=indicator_code,
                                   period_code=period, lang=lang())


@st.cache_data(show_spinner=False, max_entries=8)
def meetings(version: int) -> list[dict]:
    with session_scope() as s:
        return mt.list_meetings(s)


@st.cache_data(show_spinner=False, max_entries=32)
def comments(version: int, period: str, indicator_code: str | None = None,
             region_codes: tuple[str, ...] | None = None) -> list[dict]:
    with session_scope() as s:
        return cm.comments(s, period, indicator_code=indicator_code,
                           region_codes=list(region_codes) if region_codes is not None else None)


def run_write(call: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[bool, Any]:
    """(True, result) or (False, the refusal in the user's language). Nothing was changed on False."""
    try:
        return True, call(get_engine(), *args, **kwargs)
    except PermissionDenied as exc:
        return False, tr(exc.key)
    except InvalidInput as exc:
        return False, exc.text(lang())
