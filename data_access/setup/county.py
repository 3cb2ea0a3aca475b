"""Step 1: the county itself -- its 6-digit division code and its name. The county is the root of
a deployment: townships' and villages' codes start with its code."""
from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access import access, audit, db
from data_access import models as m
from data_access.admin import InvalidInput, clean_text
from data_access.setup.common import english_name

COUNTY_CODE = re.compile(r"^\d{6}$")


def current_county(session: Session) -> m.Region | None:
    """The county this deployment is set up for (the root region when it is a county)."""
    root = session.scalar(select(m.Region).where(m.Region.parent_id.is_(None)).order_by(m.Region.id).limit(1))
    return root if root is not None and root.level == "county" else None


def put_county(session: Session, actor: access.Actor | None, code: str, name_zh: str, name_en: str | None = None,
               parent: m.Region | None = None) -> m.Region:
    """Create the county, or rename it. Its code can change only while nothing lies below it (the
    townships' and villages' codes start with it). `parent` places a county under a city (the
    province-scale sample); a deployment's county has none. Raises InvalidInput, nothing changed."""
    access.require(actor, "reference.edit")
    code = (code or "").strip()
    if not COUNTY_CODE.match(code):
        raise InvalidInput("setup.err.county_code", code=code)
    name = clean_text(name_zh, "admin.field.name_zh")
    assert name is not None
    english = clean_text(name_en, "admin.field.name_en", max_len=128, required=False) or english_name(name)
    if parent is None:
        existing = session.scalar(select(m.Region).where(m.Region.parent_id.is_(None)).order_by(m.Region.id).limit(1))
        if existing is not None and existing.level != "county":
            raise InvalidInput("setup.err.not_a_county", name=existing.name_zh)
    else:
        existing = session.scalar(select(m.Region).where(m.Region.code == code))
    taken = session.scalar(select(m.Region).where(m.Region.code == code))
    if existing is None:
        if taken is not None:
            raise InvalidInput("admin.err.code_taken", code=code)
        path = f"{parent.path if parent else '/'}{code}/"
        county = m.Region(code=code, name_zh=name, name_en=english, level="county", kind=None,
                          parent_id=parent.id if parent else None, path=path, is_urban=False, aliases=None)
        session.add(county)
        session.flush()
        audit.record(session, actor, "setup.county", "region", code, before=None,
                     after=dict(code=code, name_zh=name, name_en=english))
        db.bump_data_version(session)
        return county
    before = dict(code=existing.code, name_zh=existing.name_zh, name_en=existing.name_en)
    if code != existing.code:
        below = session.scalar(select(func.count()).select_from(m.Region).where(m.Region.parent_id == existing.id))
        if below:
            raise InvalidInput("setup.err.county_code_fixed", code=existing.code, count=below)
        if taken is not None:
            raise InvalidInput("admin.err.code_taken", code=code)
        existing.code = code
        existing.path = f"{existing.path[: -len(before['code']) - 1]}{code}/"
    if name != existing.name_zh:
        existing.aliases = sorted((set(existing.aliases or []) | {existing.name_zh}) - {name}) or None
    existing.name_zh = name
    # A rename without an English name given renames the English one too.
    existing.name_en = english if (name_en or name != before["name_zh"]) else existing.name_en
    after = dict(code=existing.code, name_zh=existing.name_zh, name_en=existing.name_en)
    if after != before:
        audit.record(session, actor, "setup.county", "region", existing.code, before=before, after=after)
        db.bump_data_version(session)
    return existing
