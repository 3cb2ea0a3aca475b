"""Which department and quarter a workbook seems to be for, when that is not the one chosen.

Two mistakes a liaison cannot see in the sheet: a template of another quarter (reused from last
time) and another department's sheet. Each is said once, in words -- department names, never codes;
the quarter the figures seem to be for, what choosing that quarter would replace, and the safe way --
instead of a string of "missing column" errors."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access import models as m
from data_access.ingest.problems import Problem, err
from data_access.ingest.quarter_names import parse_period_code
from data_access.ingest.reader import ReadResult, header_matches
from data_access.ingest.spec import COUNT, DEN, NUM, RATE, YESNO, SheetSpec, SpecError, build_spec
from data_access.ingest.templates import META_SHEET

_VALUE_ROLES = (NUM, DEN, COUNT, RATE, YESNO)


def _quarter_params(code: str, prefix: str) -> dict[str, object]:
    year, quarter = parse_period_code(code) or (0, 0)
    return {f"{prefix}_year": year, f"{prefix}_quarter": quarter, f"{prefix}_code": code}


def wrong_quarter(session: Session, spec: SheetSpec, result: ReadResult) -> Problem | None:
    """One problem when the hidden template data or the sheet's name/title name another quarter."""
    meta_period = (result.meta or {}).get("period")
    loc = result.located
    seems, where = None, {}
    if meta_period and meta_period != spec.period_code:
        seems = meta_period
        where = dict(sheet=META_SHEET, row=2, col=1, value=meta_period, why_key="ingest.wq.by_meta")
        key = "ingest.err.meta_period"
    elif loc is not None and loc.quarter in ("other", "mixed"):
        seems = loc.named_period
        where = dict(sheet=loc.sheet, value=loc.named_by, why_key="ingest.wq.by_title")
        key = "ingest.err.wrong_quarter"
    else:
        return None
    if seems is None or parse_period_code(seems) is None:  # names several quarters, or not as a code
        return err("ingest.err.wrong_quarter_unclear", **where, **_quarter_params(spec.period_code, "chosen"))
    period = session.scalar(select(m.Period).where(m.Period.code == seems))
    accepted = None
    if period is not None:
        accepted = session.scalar(select(m.Submission.uploaded_at).where(
            m.Submission.department_id == spec.department_id, m.Submission.period_id == period.id,
            m.Submission.status == "accepted").order_by(m.Submission.id.desc()).limit(1))
    replaces = dict(replaces_key="ingest.wq.replaces", accepted_at=f"{accepted:%Y-%m-%d}") if accepted else \
        dict(replaces_key="ingest.wq.nothing_there")
    return err(key, **where, **_quarter_params(seems, "seems"), **_quarter_params(spec.period_code, "chosen"),
               **replaces)


def other_department(session: Session, spec: SheetSpec, result: ReadResult) -> Problem | None:
    """One problem when the file is another department's sheet: its hidden data says so, or (no
    hidden data, our columns missing) another department's columns explain it better."""
    meta_dept = (result.meta or {}).get("department")
    if meta_dept and meta_dept != spec.department_code:
        found = session.scalar(select(m.Department).where(m.Department.code == meta_dept))
        return err("ingest.err.meta_department", sheet=META_SHEET, row=1, col=1, value=found.name_zh if found else meta_dept,
                   found={"zh": found.name_zh, "en": found.name_en} if found else meta_dept,
                   expected={"zh": spec.department_name_zh, "en": spec.department_name_en})
    ours_failed = any(p.key in ("ingest.err.no_header", "ingest.err.missing_column") for p in result.problems)
    if meta_dept or not ours_failed or not result.heads:
        return None
    ours, _ = header_matches(result.heads, spec.columns)
    best: tuple[int, m.Department] | None = None
    for dept in session.scalars(select(m.Department).where(m.Department.id != spec.department_id)
                                .order_by(m.Department.sort_order, m.Department.id)):
        try:
            other = build_spec(session, dept, session.get(m.Period, spec.period_id))
        except SpecError:
            continue
        wanted = sum(c.role in _VALUE_ROLES for c in other.template_columns)
        value_hits, _ = header_matches(result.heads, other.columns)
        # Most of its own columns, and more than ours: a sheet of that department, not an odd overlap.
        if value_hits > ours and 2 * value_hits >= wanted and (best is None or value_hits > best[0]):
            best = (value_hits, dept)
    if best is None:
        return None
    dept = best[1]
    return err("ingest.err.other_department", sheet=result.located.sheet if result.located else "",
               value=dept.name_zh, found={"zh": dept.name_zh, "en": dept.name_en},
               expected={"zh": spec.department_name_zh, "en": spec.department_name_en})
