"""Versions of a department's sheets and what changed between them (from the parsed rows kept on
each submission, so old versions compare without re-reading files)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access import access, models as m
from data_access.access import Actor, PermissionDenied


def versions(session: Session, actor: Actor | None, department_id: int | None = None,
             period_code: str | None = None) -> list[dict[str, Any]]:
    """Submissions newest first, each with its version number within its department and quarter.
    A liaison sees their own department only, whatever department_id asks for."""
    access.require(actor, "submission.read_history")
    if actor is not None and actor.role == "liaison":
        department_id = actor.department_id
    query = (select(m.Submission, m.Department, m.Period, m.User.username, m.User.display_name)
             .join(m.Department, m.Department.id == m.Submission.department_id)
             .join(m.Period, m.Period.id == m.Submission.period_id)
             .outerjoin(m.User, m.User.id == m.Submission.uploaded_by))
    if department_id is not None:
        query = query.where(m.Submission.department_id == department_id)
    if period_code:
        query = query.where(m.Period.code == period_code)
    rows = session.execute(query.order_by(m.Submission.id)).all()
    number: dict[tuple[int, int], int] = {}
    out = []
    for sub, dept, period, username, display in rows:
        k = (sub.department_id, sub.period_id)
        number[k] = number.get(k, 0) + 1
        out.append(dict(id=sub.id, version=number[k], department_code=dept.code, department_zh=dept.name_zh,
                        department_en=dept.name_en, period=period.code, uploaded_at=sub.uploaded_at,
                        uploaded_by=display or username or "", filename=sub.filename, sha256=sub.sha256,
                        status=sub.status, rows=len(sub.parsed or []), has_file=sub.content is not None,
                        superseded_by_id=sub.superseded_by_id))
    return out[::-1]


def _key(row: dict[str, Any]) -> tuple[str, str]:
    if "school" in row:
        return row["school"], "school"
    return row.get("region", ""), row.get("indicator", "")


def diff_parsed(old: list[dict] | None, new: list[dict] | None, names: dict[str, str] | None = None,
                spec: Any = None) -> list:
    """Changes from old parsed rows to new, as commit.Change items (kind new/changed/removed/same)."""
    from data_access.ingest.commit import Change

    names = names or {}
    old_map = {_key(r): r for r in old or []}
    new_map = {_key(r): r for r in new or []}
    ind_names = {c: i.name_zh for c, i in (spec.indicators.items() if spec is not None else [])}
    out = []
    for k in list(new_map) + [k for k in old_map if k not in new_map]:
        a, b = old_map.get(k), new_map.get(k)
        if "school" in (a or b or {}):
            for fld in ("has_room", "teachers_full", "teachers_part"):
                va, vb = (a or {}).get(fld), (b or {}).get(fld)
                kind = "new" if a is None else "removed" if b is None else "same" if va == vb else "changed"
                out.append(Change(k[0], names.get(k[0], k[0]), fld, fld, va, vb, kind))
            # Indicators reported per school ("indicator:<code>"), in the order first seen.
            fields = dict.fromkeys(f for f in (*(a or {}), *(b or {})) if f.startswith("indicator:"))
            for fld in fields:
                va, vb = (a or {}).get(fld), (b or {}).get(fld)
                if va is None and vb is None:
                    continue
                kind = "new" if va is None else "removed" if vb is None else "same" if _same(va, vb) else "changed"
                code = fld.split(":", 1)[1]
                out.append(Change(k[0], names.get(k[0], k[0]), code, ind_names.get(code, code), va, vb, kind))
            continue
        va, vb = (a or {}).get("value"), (b or {}).get("value")
        same = a is not None and b is not None and all(
            (a.get(f) is None and b.get(f) is None) or (a.get(f) is not None and b.get(f) is not None
                                                       and abs(float(a[f]) - float(b[f])) < 1e-9)
            for f in ("numerator", "denominator", "value"))
        kind = "new" if a is None else "removed" if b is None else "same" if same else "changed"
        out.append(Change(k[0], names.get(k[0], k[0]), k[1], ind_names.get(k[1], k[1]), va, vb, kind,
                          (a or {}).get("numerator"), (a or {}).get("denominator"),
                          (b or {}).get("numerator"), (b or {}).get("denominator")))
    return out


def _same(a: Any, b: Any) -> bool:
    return abs(float(a) - float(b)) < 1e-9


def diff_versions(session: Session, actor: Actor | None, old_id: int, new_id: int) -> list:
    """What changed between two submissions of the same department (only changed/new/removed rows)."""
    access.require(actor, "submission.read_history")
    old, new = session.get(m.Submission, old_id), session.get(m.Submission, new_id)
    if old is None or new is None:
        return []
    for sub in (old, new):
        if actor is not None and actor.role == "liaison" and sub.department_id != actor.department_id:
            raise PermissionDenied("submission.read_history", "access.other_department")
    names = {r.code: r.name_zh for r in session.scalars(select(m.Region).where(m.Region.level.in_(("township", "village"))))}
    names |= {f.code: f.name_zh for f in session.scalars(select(m.Facility))}
    ind_names = {i.code: i.name_zh for i in session.scalars(select(m.Indicator))}

    class _Spec:
        indicators = {c: type("I", (), {"name_zh": n})() for c, n in ind_names.items()}

    return [c for c in diff_parsed(old.parsed, new.parsed, names, _Spec()) if c.kind != "same"]


def original_file(session: Session, actor: Actor | None, submission_id: int) -> tuple[str, bytes] | None:
    """The bytes as they came, for download (a liaison: own department only)."""
    access.require(actor, "submission.read_history")
    sub = session.get(m.Submission, submission_id)
    if sub is None or sub.content is None:
        return None
    if actor is not None and actor.role == "liaison" and sub.department_id != actor.department_id:
        raise PermissionDenied("submission.read_history", "access.other_department")
    return sub.filename, sub.content


def clean_file(session: Session, actor: Actor | None, submission_id: int, lang: str = "zh"
               ) -> tuple[str, bytes, tuple[str, ...]] | None:
    """(file name, values-only copy, what the original holds that the copy does not) for download;
    the same access rule as original_file. Raises clean_copy.CopyRefused when it cannot be made."""
    from data_access.ingest import clean_copy

    found = original_file(session, actor, submission_id)
    if found is None:
        return None
    copy = clean_copy.clean_copy(found[1])
    return clean_copy.copy_name(found[0], lang), copy.data, copy.risks
