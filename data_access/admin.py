"""Reference-data writes for the administration pages: regions, departments and liaisons,
indicators and their targets, quarters and deadlines.

Every function takes an Actor, checks the permission first, validates the input and raises
InvalidInput (a catalogue key, so the page shows a Chinese/English sentence) before it changes
anything, writes its audit row in the same transaction, and bumps the data version so cached
pages show the change at once.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from data_access import models as m
from data_access.access import Actor, require
from data_access.audit import record
from data_access.db import bump_data_version, session_scope
from i18n import t


class InvalidInput(ValueError):
    """User input that cannot be saved. Nothing was changed; `text(lang)` says why and how to fix it."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    def text(self, lang: str = "zh") -> str:
        # "field" carries a catalogue key, so the field's name follows the language too.
        values = {k: (t(v, lang) if k == "field" else v) for k, v in self.values.items()}
        return t(self.key, lang, **values)


NAME_MAX = 64
PHONE_RE = re.compile(r"^[0-9+\-() ]{3,32}$")
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
COMPARISONS = (">=", "<=", "==")


def clean_text(value: str | None, field_key: str, max_len: int = NAME_MAX, required: bool = True) -> str | None:
    """Trimmed text, or InvalidInput naming the field (catalogue key) when empty or too long."""
    text = (value or "").strip()
    if not text:
        if required:
            raise InvalidInput("admin.err.required", field=field_key)
        return None
    if len(text) > max_len:
        raise InvalidInput("admin.err.too_long", field=field_key, max=max_len)
    return text


def row_or_refuse(session: Session, model: type, row_id: int) -> Any:
    """The row, or InvalidInput("admin.err.not_found") (someone deleted or never had it)."""
    row = session.get(model, row_id)
    if row is None:
        raise InvalidInput("admin.err.not_found")
    return row


# ---------------------------------------------------------------- regions

def rename_region(engine: Engine, actor: Actor, region_id: int, name_zh: str, name_en: str,
                  aliases: list[str] | None = None) -> None:
    """Rename a township or village. Merging villages is out of scope (it changes history)."""
    require(actor, "reference.edit")
    name_zh_c = clean_text(name_zh, "admin.field.name_zh")
    name_en_c = clean_text(name_en, "admin.field.name_en", max_len=128)
    alias_list = sorted({a.strip() for a in (aliases or []) if a and a.strip()})
    if any(len(a) > NAME_MAX for a in alias_list):
        raise InvalidInput("admin.err.too_long", field="admin.field.aliases", max=NAME_MAX)
    with session_scope(engine) as s:
        region = row_or_refuse(s, m.Region, region_id)
        # Two siblings with one name would make a liaison's "城关镇" ambiguous in an upload.
        clash = s.scalar(select(m.Region.id).where(m.Region.parent_id == region.parent_id, m.Region.id != region.id,
                                                   m.Region.name_zh == name_zh_c))
        if clash is not None:
            raise InvalidInput("admin.err.region_name_taken", name=name_zh_c)
        before = dict(name_zh=region.name_zh, name_en=region.name_en, aliases=region.aliases)
        region.name_zh, region.name_en = name_zh_c, name_en_c
        kept = set(region.aliases or []) if aliases is None else set(alias_list)
        if before["name_zh"] != name_zh_c:
            kept.add(before["name_zh"])  # the old name stays an alias: sheets filled in with it still match
        kept.discard(name_zh_c)
        if (before["name_zh"], before["name_en"], set(before["aliases"] or [])) == (name_zh_c, name_en_c, kept):
            return  # nothing to save
        region.aliases = sorted(kept) or None
        record(s, actor, "region.rename", "region", region.code, before=before,
               after=dict(name_zh=region.name_zh, name_en=region.name_en, aliases=region.aliases))
        bump_data_version(s)


# ---------------------------------------------------------------- departments

def update_department(engine: Engine, actor: Actor, department_id: int, *, name_zh: str, name_en: str,
                      liaison_name: str | None, liaison_phone: str | None, reports_quarterly: bool) -> None:
    require(actor, "reference.edit")
    name_zh_c = clean_text(name_zh, "admin.field.name_zh")
    name_en_c = clean_text(name_en, "admin.field.name_en", max_len=128)
    liaison = clean_text(liaison_name, "admin.field.liaison_name", required=False)
    phone = (liaison_phone or "").strip() or None
    if phone and not PHONE_RE.match(phone):
        raise InvalidInput("admin.err.phone", phone=phone)
    with session_scope(engine) as s:
        dept = row_or_refuse(s, m.Department, department_id)
        if s.scalar(select(m.Department.id).where(m.Department.name_zh == name_zh_c, m.Department.id != dept.id)):
            raise InvalidInput("admin.err.department_name_taken", name=name_zh_c)
        fields = ("name_zh", "name_en", "liaison_name", "liaison_phone", "reports_quarterly")
        before = {f: getattr(dept, f) for f in fields}
        dept.name_zh, dept.name_en, dept.liaison_name, dept.liaison_phone = name_zh_c, name_en_c, liaison, phone
        dept.reports_quarterly = bool(reports_quarterly)
        after = {f: getattr(dept, f) for f in fields}
        if after == before:
            return  # nothing to save: no audit row for a no-op
        record(s, actor, "department.update", "department", dept.code, before=before, after=after)
        bump_data_version(s)


def create_department(engine: Engine, actor: Actor, *, code: str, name_zh: str, name_en: str,
                      reports_by: str = "township", reports_quarterly: bool = False) -> int:
    require(actor, "reference.edit")
    code_c = (code or "").strip().lower()
    if not CODE_RE.match(code_c):
        raise InvalidInput("admin.err.code", code=code or "")
    name_zh_c = clean_text(name_zh, "admin.field.name_zh")
    name_en_c = clean_text(name_en, "admin.field.name_en", max_len=128)
    if reports_by not in ("township", "school", "hospital", "none"):
        raise InvalidInput("admin.err.not_found")
    with session_scope(engine) as s:
        if s.scalar(select(m.Department.id).where(m.Department.code == code_c)):
            raise InvalidInput("admin.err.code_taken", code=code_c)
        if s.scalar(select(m.Department.id).where(m.Department.name_zh == name_zh_c)):
            raise InvalidInput("admin.err.department_name_taken", name=name_zh_c)
        order = (s.scalar(select(func.max(m.Department.sort_order))) or 0) + 1
        dept = m.Department(code=code_c, name_zh=name_zh_c, name_en=name_en_c, reports_by=reports_by,
                            reports_quarterly=bool(reports_quarterly), sort_order=order)
        s.add(dept)
        s.flush()
        record(s, actor, "department.create", "department", code_c,
               after=dict(code=code_c, name_zh=name_zh_c, name_en=name_en_c, reports_by=reports_by,
                          reports_quarterly=bool(reports_quarterly)))
        bump_data_version(s)
        return dept.id


# ---------------------------------------------------------------- indicators and targets

def update_indicator(engine: Engine, actor: Actor, indicator_id: int, *, name_zh: str, name_en: str,
                     owner_department_id: int | None, description_zh: str | None = None) -> None:
    require(actor, "reference.edit")
    name_zh_c = clean_text(name_zh, "admin.field.name_zh", max_len=128)
    name_en_c = clean_text(name_en, "admin.field.name_en", max_len=255)
    desc = clean_text(description_zh, "admin.field.description", max_len=2000, required=False)
    with session_scope(engine) as s:
        ind = row_or_refuse(s, m.Indicator, indicator_id)
        if owner_department_id is not None:
            row_or_refuse(s, m.Department, owner_department_id)
        fields = ("name_zh", "name_en", "owner_department_id", "description_zh")
        before = {f: getattr(ind, f) for f in fields}
        ind.name_zh, ind.name_en, ind.owner_department_id, ind.description_zh = (
            name_zh_c, name_en_c, owner_department_id, desc)
        after = {f: getattr(ind, f) for f in fields}
        if after == before:
            return
        record(s, actor, "indicator.update", "indicator", ind.code, before=before, after=after)
        bump_data_version(s)


def _target_dict(tg: m.Target) -> dict:
    return dict(value=tg.value, comparison=tg.comparison, target_date=tg.target_date.isoformat(),
                near_band=tg.near_band, effective_from=tg.effective_from.isoformat(),
                effective_to=tg.effective_to.isoformat() if tg.effective_to else None, note=tg.note,
                steps=tg.steps)


def check_steps(kind: str, steps: list[tuple[dt.date, float]], near_band: float) -> list[dict]:
    """Dated steps as stored ([{"date", "value"}], oldest first): each value valid for the kind,
    no date twice. InvalidInput otherwise."""
    seen: set[dt.date] = set()
    out = []
    for day, value in sorted(steps, key=lambda s: s[0]):
        if day in seen:
            raise InvalidInput("catalogue.err.step_date_twice", date=day.isoformat())
        seen.add(day)
        check_target_value(kind, value, near_band)
        out.append({"date": day.isoformat(), "value": float(value)})
    return out


def check_target_value(kind: str, value: float, near_band: float) -> None:
    """Ratios are fractions 0..1 (a 150 % target is a typing error); counts are whole and not negative."""
    if value is None or not math.isfinite(value):
        raise InvalidInput("admin.err.target_number")
    if kind == "ratio":
        if not 0 <= value <= 1:
            raise InvalidInput("admin.err.target_ratio", value=f"{value * 100:g}")
        if not 0 <= near_band <= 1:
            raise InvalidInput("admin.err.near_band_ratio", value=f"{near_band * 100:g}")
    elif kind in ("count", "rate"):
        if value < 0:
            raise InvalidInput("admin.err.target_negative", value=f"{value:g}")
        if kind == "count" and value != int(value):
            raise InvalidInput("admin.err.target_whole", value=f"{value:g}")
        if not 0 <= near_band <= 1:
            raise InvalidInput("admin.err.near_band_ratio", value=f"{near_band * 100:g}")
    else:  # yes/no: 1 = in service
        if value not in (0, 1):
            raise InvalidInput("admin.err.target_yesno")


def set_target(engine: Engine, actor: Actor, indicator_id: int, *, value: float | None = None, comparison: str,
               target_date: dt.date | None = None, effective_from: dt.date, near_band: float = 0.1,
               note: str | None = None, steps: list[tuple[dt.date, float]] | None = None) -> int:
    """A new target. The one in force is closed on effective_from (effective_to is exclusive), never
    overwritten, so a quarter reported under the old target is still judged against it.

    steps: several dated steps as a plan writes them (30 % by 2019-12-31, 50 % by 2020-12-31); the
    last one is also stored as value and target_date. A quarter is judged against the next step due."""
    require(actor, "target.edit")
    if steps is not None and len(steps) == 1:
        (target_date, value), steps = steps[0], None
    if steps:
        last_day, last_value = max(steps, key=lambda s: s[0])
        target_date, value = last_day, last_value
    if value is None or target_date is None:
        raise InvalidInput("admin.err.target_number")
    if comparison not in COMPARISONS:
        raise InvalidInput("admin.err.comparison")
    with session_scope(engine) as s:
        ind = row_or_refuse(s, m.Indicator, indicator_id)
        return set_target_in(s, actor, ind, value=value, comparison=comparison, target_date=target_date,
                             effective_from=effective_from, near_band=near_band, note=note, steps=steps).id


def set_target_in(s: Session, actor: Actor | None, ind: m.Indicator, *, value: float, comparison: str,
                  target_date: dt.date, effective_from: dt.date, near_band: float = 0.1, note: str | None = None,
                  steps: list[tuple[dt.date, float]] | None = None, set_at: dt.datetime | None = None) -> m.Target:
    """set_target within a session (the catalogue presets add targets with the indicators they create)."""
    require(actor, "target.edit")
    if comparison not in COMPARISONS:
        raise InvalidInput("admin.err.comparison")
    note_c = clean_text(note, "admin.field.note", max_len=500, required=False)
    check_target_value(ind.kind, value, near_band)
    stored_steps = check_steps(ind.kind, steps, near_band) if steps else None
    if target_date < effective_from:
        raise InvalidInput("admin.err.target_date_before", target_date=target_date.isoformat(),
                           effective_from=effective_from.isoformat())
    current = s.scalars(select(m.Target).where(m.Target.indicator_id == ind.id, m.Target.effective_to.is_(None))
                        .order_by(m.Target.effective_from)).all()
    latest_from = s.scalar(select(func.max(m.Target.effective_from)).where(m.Target.indicator_id == ind.id))
    if latest_from is not None and effective_from <= latest_from:
        raise InvalidInput("admin.err.effective_from", effective_from=effective_from.isoformat(),
                           latest=latest_from.isoformat())
    before = [_target_dict(tg) for tg in current]
    for tg in current:
        tg.effective_to = effective_from
    new = m.Target(indicator_id=ind.id, value=float(value), comparison=comparison, target_date=target_date,
                   near_band=float(near_band), effective_from=effective_from, effective_to=None,
                   set_by=actor.username if actor else None, set_at=set_at or dt.datetime.now(), note=note_c,
                   steps=stored_steps)
    s.add(new)
    s.flush()
    record(s, actor, "target.set", "indicator", ind.code, before=before or None, after=_target_dict(new))
    bump_data_version(s)
    return new


def target_history(session: Session, indicator_id: int) -> list[dict]:
    rows = session.scalars(select(m.Target).where(m.Target.indicator_id == indicator_id)
                           .order_by(m.Target.effective_from.desc(), m.Target.id.desc()))
    return [dict(id=tg.id, set_by=tg.set_by, set_at=tg.set_at, target_date=tg.target_date,
                 **{k: v for k, v in _target_dict(tg).items() if k != "target_date"}) for tg in rows]


# ---------------------------------------------------------------- periods and deadlines

def set_deadline(engine: Engine, actor: Actor, period_id: int, deadline: dt.date) -> None:
    """A quarter's due date: after the quarter ends (sheets report a finished quarter), within a year."""
    require(actor, "reference.edit")
    with session_scope(engine) as s:
        period = row_or_refuse(s, m.Period, period_id)
        from data_access import approval  # approval imports this module

        lock = approval.lock_of(s, period.id)
        if lock is not None:  # on time / late were part of what was signed off (and of the scores)
            raise InvalidInput("admin.err.deadline_locked", **lock.values())
        if deadline <= period.end_date:
            raise InvalidInput("admin.err.deadline_early", deadline=deadline.isoformat(),
                               end=period.end_date.isoformat())
        if deadline > period.end_date + dt.timedelta(days=366):
            raise InvalidInput("admin.err.deadline_late", deadline=deadline.isoformat())
        if deadline == period.deadline:
            return
        before = period.deadline.isoformat()
        period.deadline = deadline
        record(s, actor, "period.deadline", "period", period.code, before=dict(deadline=before),
               after=dict(deadline=deadline.isoformat()))
        bump_data_version(s)


def add_next_period(engine: Engine, actor: Actor, deadline_days: int = 15) -> str:
    """Open the quarter after the latest one (the calendar runs on; nobody types period codes)."""
    require(actor, "reference.edit")
    if not 1 <= deadline_days <= 366:
        raise InvalidInput("admin.err.deadline_days")
    with session_scope(engine) as s:
        last = s.scalars(select(m.Period).order_by(m.Period.year.desc(), m.Period.quarter.desc())).first()
        if last is None:
            today = dt.date.today()
            year, quarter = today.year, (today.month - 1) // 3 + 1
        else:
            year, quarter = (last.year + 1, 1) if last.quarter == 4 else (last.year, last.quarter + 1)
        period = _new_period(s, actor, year, quarter, deadline_days)
        bump_data_version(s)
        return period.code


QUARTER_RE = re.compile(r"^(\d{4})\s*[Qq]([1-4])$")


def open_quarters(engine: Engine, actor: Actor, first: str, deadline_days: int = 15,
                  today: dt.date | None = None) -> list[str]:
    """Open every quarter from `first` (e.g. "2026Q1") up to the one running today -- a county's
    reporting calendar when it starts. Quarters that exist are left as they are. Returns the new codes."""
    require(actor, "reference.edit")
    match = QUARTER_RE.match((first or "").strip())
    if not match:
        raise InvalidInput("admin.err.quarter_code", code=first or "")
    if not 1 <= deadline_days <= 366:
        raise InvalidInput("admin.err.deadline_days")
    today = today or dt.date.today()
    year, quarter = int(match[1]), int(match[2])
    last = (today.year, (today.month - 1) // 3 + 1)
    if (year, quarter) > last or year < 2000:
        raise InvalidInput("admin.err.quarter_future", code=f"{year}Q{quarter}")
    created = []
    with session_scope(engine) as s:
        have = set(s.scalars(select(m.Period.code)))
        while (year, quarter) <= last:
            if f"{year}Q{quarter}" not in have:
                created.append(_new_period(s, actor, year, quarter, deadline_days).code)
            year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
        if created:
            bump_data_version(s)
    return created


def _new_period(s: Session, actor: Actor, year: int, quarter: int, deadline_days: int) -> m.Period:
    start = dt.date(year, 3 * quarter - 2, 1)
    end = dt.date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1) - dt.timedelta(days=1)
    code = f"{year}Q{quarter}"
    period = m.Period(code=code, year=year, quarter=quarter, start_date=start, end_date=end,
                      deadline=end + dt.timedelta(days=deadline_days))
    s.add(period)
    s.flush()
    record(s, actor, "period.create", "period", code,
           after=dict(code=code, start=start.isoformat(), end=end.isoformat(), deadline=period.deadline.isoformat()))
    return period


# ---------------------------------------------------------------- reads for the admin pages

def regions_for_admin(session: Session, parent_id: int | None = None) -> list[dict]:
    """Townships (parent_id None = children of the deployment root) or a township's villages."""
    if parent_id is None:
        rows = session.scalars(select(m.Region).where(m.Region.level == "township").order_by(m.Region.code))
    else:
        rows = session.scalars(select(m.Region).where(m.Region.parent_id == parent_id).order_by(m.Region.code))
    return [dict(id=r.id, code=r.code, name_zh=r.name_zh, name_en=r.name_en, level=r.level, kind=r.kind,
                 aliases=list(r.aliases or []), retired_on=r.retired_on) for r in rows]


def departments_for_admin(session: Session) -> list[dict]:
    rows = session.scalars(select(m.Department).order_by(m.Department.sort_order, m.Department.id))
    return [dict(id=d.id, code=d.code, name_zh=d.name_zh, name_en=d.name_en, reports_by=d.reports_by,
                 reports_quarterly=d.reports_quarterly, liaison_name=d.liaison_name,
                 liaison_phone=d.liaison_phone) for d in rows]


INDICATOR_FIELDS = ("code", "name_zh", "name_en", "kind", "unit", "owner_department_id", "source", "level",
                    "is_target", "higher_is_better", "accumulate", "compare_with", "numerator_label_zh",
                    "numerator_label_en", "denominator_label_zh", "denominator_label_en", "description_zh",
                    "sort_order", "rule", "group_zh", "group_en", "retired_on")


def indicators_for_admin(session: Session, include_retired: bool = True) -> list[dict]:
    """Every indicator with all its settings, in the administrator's order (retired ones last)."""
    query = select(m.Indicator).order_by(m.Indicator.retired_on.is_not(None), m.Indicator.sort_order,
                                         m.Indicator.id)
    if not include_retired:
        query = query.where(m.Indicator.retired_on.is_(None))
    return [dict(id=i.id, **{f: getattr(i, f) for f in INDICATOR_FIELDS}) for i in session.scalars(query)]


def periods_for_admin(session: Session) -> list[dict]:
    rows = session.scalars(select(m.Period).order_by(m.Period.year.desc(), m.Period.quarter.desc()))
    return [dict(id=p.id, code=p.code, year=p.year, quarter=p.quarter, start_date=p.start_date,
                 end_date=p.end_date, deadline=p.deadline) for p in rows]
