"""Reads and writes of the setup page, as the signed-in administrator. Checks run on every upload
(a file is small and the admin must see the state of now); the landing decision is cached by the
data version, which every setup write bumps."""
from __future__ import annotations

import logging
from typing import Any

import streamlit as st

from data_access import admin, db
from data_access.db import session_scope
from data_access.ingest import reference
from data_access.setup import boundaries, departments, divisions, steps
from data_access.setup.county import put_county
from data_access.setup.points import load_points
from ui.auth import current_actor

log = logging.getLogger("dashboard.setup")


@st.cache_data(show_spinner=False, ttl=600)
def _incomplete(data_version: int, today: str) -> bool:
    with session_scope() as s:
        return not steps.setup_complete(s)


_SETUP_VISIT = "setup.visit"


def needs_setup() -> bool:
    """True while the county is not set up: the administrator then lands on the setup page. It
    stays their landing page for the rest of the visit in which they complete it, so the write
    that completes it shows its confirmation and the link onwards there, instead of the root
    address turning into the overview under them."""
    import datetime as dt

    incomplete = _incomplete(db.data_version(), dt.date.today().isoformat())
    if incomplete:
        st.session_state[_SETUP_VISIT] = True
    return incomplete or bool(st.session_state.get(_SETUP_VISIT))


def setup_steps() -> list[steps.Step]:
    with session_scope() as s:
        return steps.setup_steps(s)


def county() -> dict[str, Any] | None:
    from data_access.setup.county import current_county

    with session_scope() as s:
        root = current_county(s)
        return None if root is None else dict(code=root.code, name_zh=root.name_zh, name_en=root.name_en)


def save_county(code: str, name_zh: str, name_en: str | None) -> None:
    with session_scope() as s:
        put_county(s, current_actor(), code, name_zh, name_en or None)


def load_regions(data: bytes, filename: str, write: bool) -> divisions.RegionsChecked:
    return divisions.load_regions(db.get_engine(), current_actor(), data, filename, write=write)


def load_population(data: bytes, filename: str, write: bool) -> divisions.PopulationChecked:
    return divisions.load_population(db.get_engine(), current_actor(), data, filename, write=write)


def load_boundaries(data: bytes, filename: str, *, level: str | None, crs: str | None, repair: bool,
                    write: bool) -> boundaries.BoundariesChecked:
    return boundaries.load_boundaries(db.get_engine(), current_actor(), data, filename, level=level, crs=crs,
                                      repair=repair, write=write)


def county_outline() -> dict | None:
    from data_access.setup.county import current_county

    with session_scope() as s:
        root = current_county(s)
        return root.boundary if root is not None else None


def add_standard_departments() -> list[str]:
    return departments.add_standard_departments(db.get_engine(), current_actor())


def department_rows() -> list[dict]:
    from sqlalchemy import select

    from data_access import models as m

    with session_scope() as s:
        accounts: dict[int, list[str]] = {}
        for username, dept in s.execute(select(m.User.username, m.User.department_id)
                                        .where(m.User.role == "liaison", m.User.is_active.is_(True))):
            accounts.setdefault(dept, []).append(username)
        return [dict(d, accounts=accounts.get(d["id"], [])) for d in admin.departments_for_admin(s)]


def open_quarters(first: str, deadline_days: int) -> list[str]:
    return admin.open_quarters(db.get_engine(), current_actor(), first, deadline_days)


def periods() -> list[dict]:
    with session_scope() as s:
        return admin.periods_for_admin(s)


def presets() -> list[str]:
    """The catalogue presets a county may start from (data_access.catalogue.presets)."""
    from data_access import catalogue

    return list(catalogue.PRESETS)


def apply_preset(preset: str) -> Any:
    """Add the preset's indicators and targets the database lacks (a PresetResult: what was added)."""
    from data_access import catalogue

    with session_scope() as s:
        return catalogue.apply_preset(s, preset, current_actor())


def points_template() -> tuple[str, bytes]:
    with session_scope() as s:
        return reference.template(s, current_actor(), reference.SERVICE_POINTS)


def check_points(data: bytes, filename: str, system: str) -> reference.ImportPreview:
    return load_points(db.get_engine(), current_actor(), data, filename, system, write=False)[0]


def commit_points(preview: reference.ImportPreview) -> reference.ImportResult:
    return reference.commit_import(db.get_engine(), current_actor(), preview)
