"""The assessment scheme as data, and leaders' adjustments: every write checks the role, validates
before it changes anything (InvalidInput names the item and the fix), audits in the same
transaction and bumps the data version."""
from __future__ import annotations

import datetime as dt
import math
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from data_access import indicators as ix
from data_access import models as m
from data_access.access import Actor, require
from data_access.admin import InvalidInput, clean_text
from data_access.assessment import rules
from data_access.assessment.rules import DEDUCTION, INDICATOR, PROPORTIONAL, REPORTING, SUBJECTS, TASKS
from data_access.audit import record
from data_access.db import bump_data_version, session_scope

MAX_POINTS = 100.0
REASON_MIN = 4
ITEM_FIELDS = ("kind", "indicator_code", "label_zh", "label_en", "points", "rule", "target", "floor", "deduction")


def scheme_of(session: Session, year: int, subject: str) -> m.AssessmentScheme | None:
    return session.scalar(select(m.AssessmentScheme).where(m.AssessmentScheme.year == year,
                                                           m.AssessmentScheme.subject == subject))


def years(session: Session) -> list[int]:
    """Years that have a scheme, newest first (earlier years stay)."""
    return sorted(set(session.scalars(select(m.AssessmentScheme.year))), reverse=True)


def item_dicts(scheme: m.AssessmentScheme) -> list[dict[str, Any]]:
    return [{f: getattr(i, f) for f in ITEM_FIELDS} for i in scheme.items]


def scheme_dict(session: Session, year: int, subject: str) -> dict[str, Any] | None:
    scheme = scheme_of(session, year, subject)
    if scheme is None:
        return None
    return dict(id=scheme.id, year=scheme.year, subject=scheme.subject, name_zh=scheme.name_zh, note=scheme.note,
                updated_by=scheme.updated_by, updated_at=scheme.updated_at, items=item_dicts(scheme))



def _number(value: Any, n: int, field: str, required: bool) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()) or (
            isinstance(value, float) and math.isnan(value)):
        if required:
            raise InvalidInput("assess.err.item_required", n=n, field=field)
        return None
    try:
        number = float(str(value).strip().rstrip("%")) / (100 if isinstance(value, str) and "%" in value else 1)
    except ValueError:
        raise InvalidInput("assess.err.item_number", n=n, field=field, value=value) from None
    if not math.isfinite(number):
        raise InvalidInput("assess.err.item_number", n=n, field=field, value=value)
    return number


def _check_item(session: Session, year: int, subject: str, n: int, raw: dict[str, Any]) -> dict[str, Any]:
    """One item as stored, or InvalidInput saying what is wrong with item n (1-based)."""
    kind = (raw.get("kind") or "").strip()
    if kind not in rules.KINDS:
        raise InvalidInput("assess.err.item_kind", n=n)
    rule = (raw.get("rule") or "").strip()
    if rule not in rules.RULES_FOR[kind]:
        raise InvalidInput("assess.err.item_rule", n=n)
    if kind == REPORTING and subject == "township":
        raise InvalidInput("assess.err.reporting_township", n=n)
    points = _number(raw.get("points"), n, "assess.field.points", True)
    assert points is not None
    if not 0 < points <= MAX_POINTS:
        raise InvalidInput("assess.err.item_points", n=n, max=int(MAX_POINTS))
    target = _number(raw.get("target"), n, "assess.field.target", False)
    floor = _number(raw.get("floor"), n, "assess.field.floor", False)
    deduction = _number(raw.get("deduction"), n, "assess.field.deduction", rule == DEDUCTION)
    if deduction is not None and not 0 < deduction <= points:
        raise InvalidInput("assess.err.item_deduction", n=n)
    code = (raw.get("indicator_code") or "").strip() or None
    higher = True
    label = None
    goal = target      # what the floor is compared with: the item's target or the one in force
    if kind == INDICATOR:
        ind = session.scalar(select(m.Indicator).where(m.Indicator.code == code)) if code else None
        if ind is None:
            raise InvalidInput("assess.err.item_indicator", n=n, code=code or "")
        higher, label = ind.higher_is_better, ind.name_zh
        if target is None:
            level = "township" if subject == "township" else "county"
            in_force = ix.targets_in_force(session, dt.date(year, 12, 31)).get(ind.code)
            if in_force is None or not ix.target_applies(ind, level):
                raise InvalidInput("assess.err.item_no_target", n=n, name=ind.name_zh)
            goal = in_force.value
        elif ind.kind == "ratio" and not 0 <= target <= 1:
            raise InvalidInput("assess.err.item_ratio", n=n, field="assess.field.target")
        if floor is not None and ind.kind == "ratio" and not 0 <= floor <= 1:
            raise InvalidInput("assess.err.item_ratio", n=n, field="assess.field.floor")
    else:
        code = None
        if rule != DEDUCTION:   # a share of reports (tasks) on time: 100 % unless said otherwise
            target = goal = 1.0 if target is None else target
            if not 0 <= target <= 1 or (floor is not None and not 0 <= floor <= 1):
                raise InvalidInput("assess.err.item_ratio", n=n, field="assess.field.target")
    if rule == PROPORTIONAL:
        if floor is None:
            raise InvalidInput("assess.err.item_required", n=n, field="assess.field.floor")
        if goal is not None and (floor >= goal if higher else floor <= goal):
            raise InvalidInput("assess.err.item_floor", n=n)
    else:
        floor = None
    if rule != DEDUCTION:
        deduction = None
    label_zh = clean_text(raw.get("label_zh"), "assess.field.label", 128, required=False) or label or \
        {REPORTING: "按时报送", TASKS: "督办任务按期完成"}.get(kind, "")
    label_en = clean_text(raw.get("label_en"), "assess.field.label", 255, required=False)
    return dict(kind=kind, indicator_code=code, label_zh=label_zh, label_en=label_en, points=points, rule=rule,
                target=target, floor=floor, deduction=deduction)


def _year_subject(year: int, subject: str) -> None:
    if subject not in SUBJECTS:
        raise InvalidInput("assess.err.subject")
    if not 2000 <= int(year) <= 2100:
        raise InvalidInput("assess.err.year", year=year)


def save_scheme(engine: Engine, actor: Actor | None, year: int, subject: str, items: list[dict[str, Any]],
                name_zh: str | None = None, note: str | None = None) -> int:
    """Create or replace the year's scheme for townships or departments (all its items at once)."""
    require(actor, "assessment.define")
    assert actor is not None
    _year_subject(year, subject)
    note = clean_text(note, "assess.field.note", 500, required=False)
    name = clean_text(name_zh, "assess.field.name", 128, required=False) or \
        f"{year}年度{'乡镇（街道）' if subject == 'township' else '部门'}社会心理服务体系建设考核"
    with session_scope(engine) as s:
        checked = [_check_item(s, year, subject, n, raw) for n, raw in enumerate(items, start=1)]
        if not checked:
            raise InvalidInput("assess.err.no_items")
        scheme = scheme_of(s, year, subject)
        before = None
        if scheme is None:
            scheme = m.AssessmentScheme(year=year, subject=subject, name_zh=name)
            s.add(scheme)
        else:
            before = dict(name=scheme.name_zh, items=item_dicts(scheme))
            s.execute(delete(m.AssessmentItem).where(m.AssessmentItem.scheme_id == scheme.id))
            s.expire(scheme, ["items"])
        scheme.name_zh, scheme.note = name, note
        scheme.updated_by, scheme.updated_at = actor.username, dt.datetime.now().replace(microsecond=0)
        s.flush()
        for position, item in enumerate(checked, start=1):
            s.add(m.AssessmentItem(scheme_id=scheme.id, position=position, **item))
        record(s, actor, "assessment.scheme", "assessment_scheme", f"{year}/{subject}", before=before,
               after=dict(name=name, items=checked))
        bump_data_version(s)
        return scheme.id


def copy_scheme(engine: Engine, actor: Actor | None, from_year: int, to_year: int, subject: str) -> int:
    """Start a year's scheme from an earlier year's (the earlier one stays as it is)."""
    require(actor, "assessment.define")
    with session_scope(engine) as s:
        source = scheme_of(s, from_year, subject)
        if source is None:
            raise InvalidInput("assess.err.no_scheme", year=from_year)
        if scheme_of(s, to_year, subject) is not None:
            raise InvalidInput("assess.err.scheme_exists", year=to_year)
        items = item_dicts(source)
        name = source.name_zh.replace(str(from_year), str(to_year))
    return save_scheme(engine, actor, to_year, subject, items, name_zh=name)


def subject_names(session: Session, subject: str) -> dict[str, dict[str, str]]:
    """code -> {name_zh, name_en} of the townships (under the deployment root) or departments scored."""
    if subject == "township":
        root = ix.root_region(session)
        rows = ix.regions_at(session, root.code, "township") if root else []
        return {r.code: dict(name_zh=r.name_zh, name_en=r.name_en) for r in rows if r.retired_on is None}
    return {d.code: dict(name_zh=d.name_zh, name_en=d.name_en)
            for d in session.scalars(select(m.Department).order_by(m.Department.sort_order, m.Department.id))}


def add_adjustment(engine: Engine, actor: Actor | None, year: int, subject: str, subject_code: str, points: float,
                   reason: str) -> int:
    """A leader's adjustment (加分 / 减分) to one score, with a written reason (audited)."""
    require(actor, "assessment.adjust")
    assert actor is not None
    reason_text = clean_text(reason, "assess.field.reason", 500)
    assert reason_text is not None
    if len(reason_text) < REASON_MIN:
        raise InvalidInput("assess.err.reason_short", min=REASON_MIN)
    try:
        value = float(points)
    except (TypeError, ValueError):
        raise InvalidInput("assess.err.adjust_points", max=int(MAX_POINTS)) from None
    if not math.isfinite(value) or value == 0 or abs(value) > MAX_POINTS:
        raise InvalidInput("assess.err.adjust_points", max=int(MAX_POINTS))
    with session_scope(engine) as s:
        scheme = scheme_of(s, year, subject)
        if scheme is None:
            raise InvalidInput("assess.err.no_scheme", year=year)
        if subject_code not in subject_names(s, subject):
            raise InvalidInput("assess.err.unknown_subject", code=subject_code)
        user = s.get(m.User, actor.user_id) if actor.user_id else None
        row = m.AssessmentAdjustment(scheme_id=scheme.id, subject_code=subject_code, points=value, reason=reason_text,
                                     created_by=actor.user_id,
                                     created_by_name=((user.display_name if user else None) or actor.username)[:64],
                                     created_at=dt.datetime.now().replace(microsecond=0))
        s.add(row)
        s.flush()
        record(s, actor, "assessment.adjust", "assessment_scheme", f"{year}/{subject}",
               after=dict(subject_code=subject_code, points=value, adjustment_id=row.id), detail=reason_text)
        bump_data_version(s)
        return row.id
