"""Cached reads for pages. Every cache key carries the data version, which every write bumps,
so an accepted sheet or a registry edit shows at once while repeat views stay fast."""
from __future__ import annotations

import datetime as dt
import gc
import importlib
import logging
import threading
from contextvars import ContextVar
from dataclasses import asdict

import streamlit as st
from sqlalchemy import event
from sqlalchemy.orm import Session

from data_access import db, indicators
from data_access.db import session_scope


@st.cache_resource(show_spinner=False)
def prepare_database() -> None:
    """Bring the schema up to date once per server process (the same migrations as a deployment)."""
    db.upgrade_schema(db.get_engine())


log = logging.getLogger("dashboard.warm_up")

# What a signed-in leader's first page needs beyond what the sign-in page has loaded: the overview's
# charts and styled tables (altair, pandas' Styler with jinja2), the map's deck (pydeck).
WARM_MODULES = ("ui.views", "ui.meeting", "ui.phone", "ui.data_views", "ui.overview", "ui.tasks",
                "pandas.io.formats.style", "pydeck")


@st.cache_resource(show_spinner=False)
def warm_up() -> threading.Thread | None:
    """Once per server process, from its first run (someone opening the sign-in page): a background
    thread imports what the signed-in pages need and computes the overview's data for the current
    version, while the person types their password. On a fresh server the first sign-in otherwise
    paid ~1 s of imports and, at province scale, ~0.7 s of roll-ups (issue 18). Nothing here is
    per person; a failure only leaves the caches cold."""
    if not _serving():
        return None
    thread = threading.Thread(target=_warm, name="warm-up", daemon=True)
    thread.start()
    return thread


def _serving() -> bool:
    """A real server (not AppTest, whose stand-in runtime shares the process with tests that swap
    databases and clear caches under it, nor a bare `python app.py`)."""
    from streamlit.runtime import Runtime

    return Runtime.exists() and type(Runtime.instance()) is Runtime


def _warm() -> None:
    try:
        for module in WARM_MODULES:
            importlib.import_module(module)
        from ui import data_approval, data_meeting, data_tasks, data_views, overview, views

        current = version()
        period = default_period_code(current)
        period_choices(current)
        _is_sample(current)
        data_approval._statuses(current)
        data_tasks.overdue(current, dt.date.today())
        if period:
            data_views.overview(current, period)
            # What the first overview builds from those reads, once for everyone: its tables and the
            # quarter picker's labels.
            for lang in ("zh", "en"):
                data_meeting.file_stem(current, period, lang)
                overview.tables(current, period, lang)
                views._period_labels(current, lang, tuple(views.period_options(current)))
        freeze_heap()
    except Exception:  # the first person to need it computes it then
        log.exception("warm-up failed")


@st.cache_resource(show_spinner=False)
def freeze_heap() -> bool:
    """Once per process, after the first signed-in page has run (modules, caches and the page's
    libraries are loaded): collect, then move everything alive to the permanent generation. Python's
    own cyclic collections then look only at what later runs create, instead of the whole heap
    (~150 ms with the interpreter blocked, FIELD-NOTES)."""
    gc.collect()
    gc.freeze()
    return True


# The data version as read at the start of this script run (app.py calls begin_run first). A run asks
# for it five times or more (picker, page, downloads, tasks, banner): one read per run is enough, and
# a run then shows one version throughout. Any commit in this run's thread (a page that writes: the
# version may have been bumped) forgets it, so what the run shows after its own write is fresh.
_run_version: ContextVar[list[int] | None] = ContextVar("dashboard_run_version", default=None)


def begin_run() -> None:
    """A new script run starts (app.py, and a page run without app.py): read the version afresh."""
    _run_version.set([])


def _forget_run_version(_session: object) -> None:
    holder = _run_version.get()
    if holder:
        holder.clear()


event.listen(Session, "after_commit", _forget_run_version)


def version() -> int:
    holder = _run_version.get()
    if holder:
        return holder[0]
    current = db.data_version()
    if holder is not None:
        holder.append(current)
    return current


@st.cache_data(show_spinner=False, ttl=600)
def _is_sample(data_version: int) -> bool:
    from data_access.models import Setting

    with session_scope() as s:
        row = s.get(Setting, "sample_data")
        return bool(row and row.value)


def is_sample_database() -> bool:
    return _is_sample(version())


@st.cache_data(show_spinner=False, ttl=10)
def has_accounts() -> bool:
    """False only for a new deployment before create-admin (the sign-in page says what to do)."""
    from data_access import users

    return users.has_users(db.get_engine())


@st.cache_data(show_spinner=False)
def period_choices(data_version: int) -> list[dict]:
    """[{code, year, quarter, end_date}] oldest first, only quarters that have ended."""
    today = dt.date.today()
    with session_scope() as s:
        return [dict(code=p.code, year=p.year, quarter=p.quarter, end_date=p.end_date)
                for p in indicators.periods(s) if p.end_date < today]


@st.cache_data(show_spinner=False)
def default_period_code(data_version: int) -> str | None:
    with session_scope() as s:
        p = indicators.default_period(s)
        return p.code if p else None


@st.cache_data(show_spinner=False)
def root_summary(data_version: int, period_code: str) -> dict | None:
    """The deployment root (county) and every indicator's status for the period."""
    with session_scope() as s:
        period = indicators.period_by_code(s, period_code)
        root = indicators.root_region(s)
        if period is None or root is None:
            return None
        rows = []
        for item in indicators.region_summary(s, period, root):
            row = asdict(item)
            row["target"] = asdict(item.target) if item.target else None
            row["change"] = item.change
            rows.append(row)
        return dict(region=dict(code=root.code, name_zh=root.name_zh, name_en=root.name_en, level=root.level),
                    period=period_code, rows=rows)


@st.cache_data(show_spinner=False)
def _point_types(data_version: int, lang: str) -> list[tuple[str, str]]:
    from data_access.catalogue import point_types

    with session_scope() as s:
        return list(point_types.type_labels(s, lang).items())


def point_type_labels(lang: str) -> dict[str, str]:
    """code -> the type's name in the reader's language, every type (retired ones label old points)."""
    return dict(_point_types(version(), lang))


@st.cache_data(show_spinner=False)
def _active_point_types(data_version: int) -> list[str]:
    from data_access.catalogue import point_types

    with session_scope() as s:
        return point_types.type_codes(s)


def active_point_types() -> list[str]:
    """Types a new point may have, in the administrator's order."""
    return _active_point_types(version())


@st.cache_data(show_spinner=False)
def _facility_kinds_for_types(data_version: int) -> dict[str, tuple[str, ...]]:
    from data_access.catalogue import point_types

    with session_scope() as s:
        return point_types.facility_kinds_for_types(s)


def facility_kinds_for_types() -> dict[str, tuple[str, ...]]:
    """type -> the facility kinds a point of that type belongs to (school room -> schools)."""
    return _facility_kinds_for_types(version())
