"""Cached reads for quarter sign-off (approval status beside every quarter picker, the review)."""
from __future__ import annotations

import streamlit as st

from sqlalchemy import select

from data_access import approval, models as m
from data_access.db import session_scope
from ui import data
from i18n import t
from ui.state import tr


@st.cache_data(show_spinner=False)
def _statuses(data_version: int) -> dict[str, str]:
    with session_scope() as s:
        return approval.statuses(s)


def statuses() -> dict[str, str]:
    """period code -> approved / pending (approving or unlocking bumps the data version)."""
    return _statuses(data.version())


def status_text(code: str, known: dict[str, str] | None = None, lg: str | None = None) -> str:
    """已审核 / 待审核 for a quarter; known: statuses() already read; lg: a language other than the
    session's (or outside a session)."""
    key = f"approval.status.{(statuses() if known is None else known).get(code, approval.PENDING)}"
    return tr(key) if lg is None else t(key, lg)


def labelled(code: str, label: str, known: dict[str, str] | None = None, lg: str | None = None) -> str:
    """'2026年第3季度 · 已审核' for a quarter picker."""
    status = status_text(code, known, lg)
    return tr("approval.picker_label", period=label, status=status) if lg is None else \
        t("approval.picker_label", lg, period=label, status=status)


@st.cache_data(show_spinner=False)
def _lock(data_version: int, code: str) -> dict | None:
    with session_scope() as s:
        period = s.scalar(select(m.Period).where(m.Period.code == code))
        lock = approval.lock_of(s, period.id) if period else None
        return lock.values() if lock else None


def lock(code: str) -> dict | None:
    """{period, who, at} of an approved quarter, else None."""
    return _lock(data.version(), code)


def review(code: str) -> dict:
    with session_scope() as s:
        return approval.review(s, code)


def history(code: str) -> list[dict]:
    with session_scope() as s:
        return approval.history(s, code)
