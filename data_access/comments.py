"""Comments on figures (批注): a leader or the office attaches a short sentence to an indicator x area x
quarter ("已约谈北山乡", "数据口径调整"); shown on the indicator detail and township pages and in the
briefing beside the figure. A comment is withdrawn, never deleted (the audit trail keeps both).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data_access import indicators as ix
from data_access import models as m
from data_access.access import Actor, require
from data_access.admin import InvalidInput, clean_text, row_or_refuse
from data_access.audit import record
from data_access.db import bump_data_version, session_scope

TEXT_MAX = 200


def add_comment(engine: Engine, actor: Actor | None, *, indicator_code: str, region_code: str, period_code: str,
                text: str) -> int:
    require(actor, "comment.write")
    text_c = clean_text(text, "comments.field.text", max_len=TEXT_MAX)
    with session_scope(engine) as s:
        ind = s.scalar(select(m.Indicator).where(m.Indicator.code == indicator_code))
        region = ix.region_by_code(s, region_code)
        period = ix.period_by_code(s, period_code)
        if ind is None or region is None or period is None:
            raise InvalidInput("admin.err.not_found")
        row = m.Comment(indicator_id=ind.id, region_id=region.id, period_id=period.id, text=text_c,
                        user_id=actor.user_id, username=actor.username, created_at=dt.datetime.now())
        s.add(row)
        s.flush()
        record(s, actor, "comment.add", "comment", row.id,
               after=dict(indicator=ind.code, region=region.code, period=period.code, text=text_c))
        bump_data_version(s)
        return row.id


def withdraw_comment(engine: Engine, actor: Actor | None, comment_id: int) -> None:
    """Take a comment back (its author, or an administrator)."""
    require(actor, "comment.write")
    with session_scope(engine) as s:
        row = row_or_refuse(s, m.Comment, comment_id)
        if actor.role != "admin" and row.user_id != actor.user_id:
            raise InvalidInput("comments.err.not_author")
        if row.withdrawn_at is not None:
            return
        row.withdrawn_at = dt.datetime.now()
        record(s, actor, "comment.withdraw", "comment", row.id, before=dict(text=row.text))
        bump_data_version(s)


def comments(session: Session, period_code: str, *, indicator_code: str | None = None,
             region_codes: list[str] | None = None) -> list[dict]:
    """Shown comments of a quarter, optionally for one indicator and/or some areas, oldest first."""
    stmt = (select(m.Comment, m.Indicator, m.Region).join(m.Indicator, m.Indicator.id == m.Comment.indicator_id)
            .join(m.Region, m.Region.id == m.Comment.region_id).join(m.Period, m.Period.id == m.Comment.period_id)
            .where(m.Period.code == period_code, m.Comment.withdrawn_at.is_(None)))
    if indicator_code:
        stmt = stmt.where(m.Indicator.code == indicator_code)
    if region_codes is not None:
        stmt = stmt.where(m.Region.code.in_(region_codes))
    out = []
    for c, ind, region in session.execute(stmt.order_by(m.Comment.created_at, m.Comment.id)):
        out.append(dict(id=c.id, text=c.text, username=c.username, user_id=c.user_id, created_at=c.created_at,
                        indicator=ind.code, indicator_zh=ind.name_zh, indicator_en=ind.name_en,
                        region_code=region.code, region_zh=region.name_zh, region_en=region.name_en,
                        region_level=region.level))
    return out
