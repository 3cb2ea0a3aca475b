"""Reads for the administration and account pages, and one helper that runs a write and turns
its refusal into a message. Admin reads are not cached: an admin must see their own change at once,
and user/audit rows do not move the data version."""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable

import streamlit as st

from data_access import admin, audit, db, users
from data_access.access import PermissionDenied
from data_access.admin import InvalidInput
from data_access.db import session_scope
from data_access.ingest import reference
from data_access.ingest.annotate import annotated_read
from ui.auth import current_actor
from ui.state import lang, tr

FLASH_KEY = "admin_flash"


def attempt(write: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[bool, Any]:
    """Call a data_access write as the signed-in user. A refusal shows its message (nothing changed)."""
    try:
        return True, write(db.get_engine(), current_actor(), *args, **kwargs)
    except PermissionDenied as exc:
        st.error(tr(exc.key))
    except InvalidInput as exc:
        st.error(exc.text(lang()))
    return False, None


def flash(key: str, **values: Any) -> None:
    """A success message that survives the rerun which shows the change."""
    st.session_state[FLASH_KEY] = tr(key, **values)


def show_flash() -> None:
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(message, icon=":material/check_circle:")


def user_rows() -> list[dict]:
    with session_scope() as s:
        return users.list_users(s)


def departments() -> list[dict]:
    with session_scope() as s:
        return admin.departments_for_admin(s)


def townships() -> list[dict]:
    with session_scope() as s:
        return admin.regions_for_admin(s)


def children(region_id: int) -> list[dict]:
    with session_scope() as s:
        return admin.regions_for_admin(s, region_id)


def indicators() -> list[dict]:
    with session_scope() as s:
        return admin.indicators_for_admin(s)


def target_history(indicator_id: int) -> list[dict]:
    with session_scope() as s:
        return admin.target_history(s, indicator_id)


def periods() -> list[dict]:
    with session_scope() as s:
        return admin.periods_for_admin(s)


def audit_entries(start: dt.date | None, end: dt.date | None, username: str | None, action: str | None,
                  limit: int = 5000) -> list[dict]:
    with session_scope() as s:
        return audit.query_entries(s, start=start, end=end, username=username, action=action, limit=limit)


def audit_choices() -> dict[str, list[str]]:
    with session_scope() as s:
        return audit.filter_choices(s)


# ---------------------------------------------------------------- bulk import (批量导入)

def import_template(kind: str) -> tuple[str, bytes]:
    with session_scope() as s:
        return reference.template(s, current_actor(), kind)


def check_import(kind: str, data: bytes, filename: str, coords_system: str = "wgs84") -> reference.ImportPreview:
    """Check a sheet (writes nothing); a refused one is noted in the audit trail. coords_system: the
    map the registry's coordinates were copied from (converted to WGS84)."""
    with session_scope() as s:
        preview = reference.check_import(s, current_actor(), kind, data, filename, coords_system=coords_system)
    if preview.errors:
        reference.record_refusal(db.get_engine(), current_actor(), preview)
    return preview


def commit_import(preview: reference.ImportPreview) -> reference.ImportResult:
    return reference.commit_import(db.get_engine(), current_actor(), preview)


def import_annotated(preview: reference.ImportPreview) -> bytes:
    return annotated_read(preview.data, preview.read, preview.problems, lang())


# ---------------------------------------------------------------- the catalogue (指标与目标)

def point_type_rows() -> list[dict]:
    """Every service-point type, retired ones included, in the administrator's order."""
    from data_access.catalogue import point_types

    with session_scope() as s:
        return [dict(id=p.id, code=p.code, name_zh=p.name_zh, name_en=p.name_en, aliases=list(p.aliases or []),
                     facility_kinds=list(p.facility_kinds or []), retired_on=p.retired_on)
                for p in point_types.point_types(s, include_retired=True)]


def facility_kind_rows() -> list[dict]:
    from data_access.catalogue import point_types

    with session_scope() as s:
        return [dict(id=k.id, code=k.code, name_zh=k.name_zh, name_en=k.name_en, category=k.category,
                     aliases=list(k.aliases or [])) for k in point_types.facility_kinds(s)]


def rule_text(rule: dict | None) -> str:
    """A registry rule or per-unit minimum in one sentence, in the reader's language."""
    from data_access.catalogue import rules

    with session_scope() as s:
        return rules.describe(s, rule, lang())
