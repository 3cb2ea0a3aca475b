"""Preview and atomic commit of a department's quarterly workbook.

prepare() reads and checks the file and compares it with what is accepted now; nothing is written.
commit() writes the whole file in ONE transaction: the new submission (original bytes + sha256),
the previous version marked superseded (kept), the department's observations for the quarter
updated, the audit row and the data-version bump — or nothing at all.

A file need not hold every figure of the quarter (a correction of two rows, a pasted list of some
townships, cells left blank). By default only the figures in the file are written and every figure
it does not give is KEPT (UPDATE). Deleting those -- the file becoming the quarter's whole set -- is
a separate, explicit choice (REPLACE); the preview counts what each choice would delete or keep.

Concurrency: the transaction starts by updating the department's own row. On PostgreSQL that is a
row lock, on SQLite it takes the database write lock; either way a second upload for the same
department waits, then sees that the accepted version is no longer the one its preview was based
on and is told to reload. Nothing interleaves, nothing is lost.
"""
from __future__ import annotations

import datetime as dt
import gc
import hashlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, defer

from data_access import access, approval, audit, models as m
from data_access.access import Actor
from data_access.db import bump_data_version, session_scope
from data_access.ingest.checks import Checked, validate
from data_access.ingest.problems import Problem, err, errors_summary
from data_access.ingest.reader import DEFAULT_LIMITS, Limits, ReadResult, read
from data_access.ingest.sandbox import read_untrusted
from data_access.ingest.spec import REGION_LEVELS, SheetSpec, SpecError, TEMPLATE_VERSION, build_spec

ACCEPTED, IDENTICAL, STALE, REJECTED = "accepted", "identical", "stale", "rejected"
LOCKED = "locked"   # the quarter was approved (data_access.approval) between the check and the commit
UPDATE, REPLACE = "update", "replace"   # figures not in the file: kept (default) / deleted (explicit)


@dataclass
class Change:
    key: str                # region or school code
    name: str
    indicator: str          # indicator code or school field
    indicator_name: str
    old: Any
    new: Any
    kind: str               # new / changed / removed / same
    old_num: Any = None
    old_den: Any = None
    new_num: Any = None
    new_den: Any = None


@dataclass
class Preview:
    spec: SheetSpec | None
    checked: Checked | None
    filename: str
    sha256: str
    size: int
    data: bytes = field(repr=False, default=b"")
    base_submission_id: int | None = None
    base_version_no: int | None = None
    identical: bool = False
    changes: list[Change] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)   # when the sheet could not even be read

    @property
    def all_problems(self) -> list[Problem]:
        return self.checked.problems if self.checked else self.problems

    @property
    def ok(self) -> bool:
        return self.checked is not None and self.checked.ok and not self.problems

    @property
    def counts(self) -> dict[str, int]:
        """new / changed / same figures, and "removed": existing figures the file does not give
        (deleted only by REPLACE, kept by UPDATE)."""
        out = {"new": 0, "changed": 0, "removed": 0, "same": 0}
        for c in self.changes:
            out[c.kind] += 1
        return out

    @property
    def not_in_file(self) -> int:
        """Existing figures of the quarter the file does not give: kept by default, deleted by REPLACE."""
        return sum(c.kind == "removed" for c in self.changes)


@dataclass
class CommitResult:
    status: str
    submission_id: int | None = None
    message_key: str = ""
    version_no: int | None = None
    mode: str = UPDATE
    deleted: int = 0            # existing figures deleted (REPLACE only)
    kept: int = 0               # existing figures the file did not give, kept (UPDATE)
    values: dict[str, Any] = field(default_factory=dict)   # placeholders of message_key (LOCKED: who, when)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def current_submission(session: Session, department_id: int, period_id: int) -> m.Submission | None:
    # The file's bytes and its parsed rows load only if asked for (a school sheet's diff does).
    return session.scalar(select(m.Submission).options(defer(m.Submission.content), defer(m.Submission.parsed)).where(
        m.Submission.department_id == department_id, m.Submission.period_id == period_id,
        m.Submission.status == "accepted").order_by(m.Submission.id.desc()).limit(1))


def version_count(session: Session, department_id: int, period_id: int) -> int:
    return len(session.scalars(select(m.Submission.id).where(
        m.Submission.department_id == department_id, m.Submission.period_id == period_id)).all())


def prepare(session: Session, actor: Actor | None, data: bytes, filename: str, department_code: str,
            period_code: str, today: dt.date | None = None, limits: Limits = DEFAULT_LIMITS) -> Preview:
    """Read, check and compare; writes nothing. Raises PermissionDenied / SpecError before reading."""
    spec = build_spec(session, department_code, period_code)
    access.require(actor, "submission.upload", spec.department_id)
    digest = sha256(data)
    preview = Preview(spec, None, filename, digest, len(data), data)
    with _without_cyclic_gc():
        # In a child process: a hostile file is refused there and cannot take the server down.
        result: ReadResult = read_untrusted(read, data, spec, limits)
        preview.checked = validate(session, spec, result, today)
        # An approved quarter is locked: the refusal heads the list (who approved it, when).
        lock = approval.lock_of(session, spec.period_id)
        if lock is not None:
            preview.checked.problems.insert(0, approval.locked_problem(lock))
        current = current_submission(session, spec.department_id, spec.period_id)
        if current is not None:
            preview.base_submission_id = current.id
            preview.base_version_no = version_count(session, spec.department_id, spec.period_id)
            preview.identical = current.sha256 == digest
        if preview.checked.ok:
            preview.changes = diff_against_current(session, spec, preview.checked, current)
    return preview


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Reading, checking and writing a sheet build many small objects and no reference cycles; the
    cyclic GC would otherwise rescan the growing grid again and again (a third of the time on a
    20,000-row sheet). Reference counting still frees everything."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


_OBSERVATION_COLUMNS = ("indicator_id", "region_id", "period_id", "numerator", "denominator", "value",
                        "submission_id")


def _insert_observations(session: Session, rows: list[dict[str, Any]], submission_id: int) -> None:
    """All of a sheet's observations in one stream: COPY on PostgreSQL (a statement per row through
    the driver's executemany costs ~3 s for 40,000 rows, COPY ~0.2 s), the DB-API executemany with
    plain tuples elsewhere (SQLAlchemy's per-row parameter processing is a third of the time)."""
    conn = session.connection()
    values = [(o["indicator_id"], o["region_id"], o["period_id"], o["numerator"], o["denominator"], o["value"],
               submission_id) for o in rows]
    columns = ", ".join(_OBSERVATION_COLUMNS)
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {m.Observation.__tablename__} ({columns}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
    elif conn.dialect.paramstyle == "qmark":
        marks = ", ".join("?" * len(_OBSERVATION_COLUMNS))
        conn.exec_driver_sql(f"INSERT INTO {m.Observation.__tablename__} ({columns}) VALUES ({marks})", values)
    else:
        conn.execute(insert(m.Observation.__table__), [dict(zip(_OBSERVATION_COLUMNS, v)) for v in values])


def _delete_observations(session: Session, spec: SheetSpec, observations: list[dict[str, Any]], ids: list[int],
                         everything: bool) -> None:
    """The quarter's figures of the department's indicators: all of them (REPLACE, or a file that
    gives every one), else only those the file writes anew."""
    where = (m.Observation.period_id == spec.period_id, m.Observation.indicator_id.in_(ids))
    if everything:
        session.execute(delete(m.Observation).where(*where))
        return
    by_indicator: dict[int, list[int]] = {}
    for o in observations:
        by_indicator.setdefault(o["indicator_id"], []).append(o["region_id"])
    for indicator_id, regions in by_indicator.items():
        for i in range(0, len(regions), 5000):  # within every backend's bound-parameter limit
            session.execute(delete(m.Observation).where(
                m.Observation.period_id == spec.period_id, m.Observation.indicator_id == indicator_id,
                m.Observation.region_id.in_(regions[i:i + 5000])))


def _write_facility_figures(session: Session, spec: SheetSpec, figures: list[dict[str, Any]], ids: list[int],
                            submission_id: int, everything: bool) -> None:
    """The quarter's per-school figures of the department's per-facility indicators: the file's
    replace the same school's, and the others stay (UPDATE) -- or all are replaced (REPLACE), like
    a region sheet's figures. A school sheet has hundreds of rows, not tens of thousands: plain
    statements serve."""
    table = m.FacilityObservation
    if everything:
        session.execute(delete(table).where(table.period_id == spec.period_id, table.indicator_id.in_(ids)))
    else:
        by_indicator: dict[int, list[int]] = {}
        for f in figures:
            by_indicator.setdefault(f["indicator_id"], []).append(f["facility_id"])
        for indicator_id, facilities in by_indicator.items():
            for i in range(0, len(facilities), 5000):  # within every backend's bound-parameter limit
                session.execute(delete(table).where(
                    table.period_id == spec.period_id, table.indicator_id == indicator_id,
                    table.facility_id.in_(facilities[i:i + 5000])))
    if figures:
        session.execute(insert(table), [dict(f, submission_id=submission_id) for f in figures])


def _names(session: Session, spec: SheetSpec) -> dict[str, str]:
    return {e.code: e.name_zh for e in spec.entities}


def diff_against_current(session: Session, spec: SheetSpec, checked: Checked,
                         current: m.Submission | None) -> list[Change]:
    """What the new file changes in what is visible now (the accepted observations)."""
    names = _names(session, spec)
    if spec.reports_by not in REGION_LEVELS:
        from data_access.ingest.history import diff_parsed

        out = diff_parsed(current.parsed if current else [], checked.parsed, names, spec)
        for c in out:  # a field left blank where a value was accepted: not given, like a missing row
            if c.kind == "changed" and c.new is None:
                c.kind = "removed"
        return out
    ids = {i.id: i for i in spec.indicators.values()}
    region_codes = {e.region_id: e.code for e in spec.entities}
    old: dict[tuple[int, int], tuple] = {}
    if ids:
        for o in session.execute(select(m.Observation.indicator_id, m.Observation.region_id, m.Observation.numerator,
                                        m.Observation.denominator, m.Observation.value)
                                 .where(m.Observation.period_id == spec.period_id,
                                        m.Observation.indicator_id.in_(list(ids)))):
            old[(o.indicator_id, o.region_id)] = (o.numerator, o.denominator, o.value)
    changes = []
    seen = set()
    for o in checked.observations:
        k = (o["indicator_id"], o["region_id"])
        seen.add(k)
        info = ids[o["indicator_id"]]
        code = region_codes.get(o["region_id"], "")
        before = old.get(k)
        if before is None:
            kind = "new"
        elif _same(before[0], o["numerator"]) and _same(before[1], o["denominator"]) and _same(before[2], o["value"]):
            kind = "same"
        else:
            kind = "changed"
        changes.append(Change(code, names.get(code, code), info.code, info.name_zh,
                              before[2] if before else None, o["value"], kind,
                              before[0] if before else None, before[1] if before else None,
                              o["numerator"], o["denominator"]))
    for k, before in old.items():
        if k not in seen:
            info = ids[k[0]]
            code = region_codes.get(k[1], "")
            changes.append(Change(code, names.get(code, code), info.code, info.name_zh, before[2], None, "removed",
                                  before[0], before[1]))
    return changes


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) < 1e-9


class _Stale(Exception):
    pass


def _state_after(preview: Preview, current: m.Submission | None, mode: str) -> list[dict[str, Any]]:
    """The parsed rows kept on the new version: the quarter's figures after it (versions compare as
    states), i.e. the file's rows plus, in UPDATE mode, what it did not give."""
    checked = preview.checked
    assert checked is not None and preview.spec is not None
    if mode == REPLACE:
        return checked.parsed
    if preview.spec.reports_by in REGION_LEVELS:
        kept = [dict(indicator=c.indicator, region=c.key, numerator=c.old_num, denominator=c.old_den, value=c.old)
                for c in preview.changes if c.kind == "removed"]
        return checked.parsed + kept
    old = {r.get("school"): r for r in (current.parsed or [])} if current is not None else {}
    rows = []
    for row in checked.parsed:
        before = old.pop(row.get("school"), {})
        rows.append({**before, **{k: v for k, v in row.items() if v is not None}})
    return rows + list(old.values())


def commit(engine: Engine, actor: Actor | None, preview: Preview, mode: str = UPDATE) -> CommitResult:
    """Write the previewed file in one transaction. 'stale' when someone else committed meanwhile.
    mode UPDATE keeps the existing figures the file does not give; REPLACE deletes them."""
    if mode not in (UPDATE, REPLACE):
        raise ValueError(mode)
    spec = preview.spec
    if spec is None:
        return CommitResult(REJECTED, message_key="ingest.result.rejected")
    access.require(actor, "submission.upload", spec.department_id)
    if not preview.ok:
        return CommitResult(REJECTED, message_key="ingest.result.rejected")
    checked = preview.checked
    assert checked is not None
    try:
        with _without_cyclic_gc(), session_scope(engine) as s:
            # First statement of the transaction takes the lock (see module docstring).
            s.execute(update(m.Department).where(m.Department.id == spec.department_id)
                      .values(sort_order=m.Department.sort_order))
            # Approved meanwhile? Checked inside the transaction, holding the period row (see approval).
            lock = approval.lock_of(s, spec.period_id, hold=True)
            if lock is not None:
                return CommitResult(LOCKED, message_key="ingest.result.locked", values=lock.values())
            current = current_submission(s, spec.department_id, spec.period_id)
            current_id = current.id if current else None
            if current_id != preview.base_submission_id:
                raise _Stale()
            if current is not None and current.sha256 == preview.sha256:
                return CommitResult(IDENTICAL, current.id, "ingest.result.identical")
            parsed = _state_after(preview, s.get(m.Submission, current_id) if current_id else None, mode)
            new = m.Submission(
                department_id=spec.department_id, period_id=spec.period_id, uploaded_by=actor.user_id if actor else None,
                uploaded_at=dt.datetime.now().replace(microsecond=0), filename=preview.filename[:255],
                content=preview.data, sha256=preview.sha256, status="accepted", parsed=parsed,
                problems=[p.to_json() for p in checked.problems] or None, template_version=(
                    checked.read.meta.get("template_version") or None) if checked.read.meta else None)
            s.add(new)
            s.flush()
            if current is not None:
                current.status = "superseded"
                current.superseded_by_id = new.id
            ids = [i.id for i in spec.indicators.values()]
            if spec.reports_by in REGION_LEVELS and ids:
                _delete_observations(s, spec, checked.observations, ids,
                                     everything=mode == REPLACE or preview.not_in_file == 0)
                if checked.observations:
                    _insert_observations(s, checked.observations, new.id)
            if spec.reports_by not in REGION_LEVELS and ids:
                _write_facility_figures(s, spec, checked.facility_observations, ids, new.id, everything=mode == REPLACE)
            counts = preview.counts
            deleted = preview.not_in_file if mode == REPLACE else 0
            kept = 0 if mode == REPLACE else preview.not_in_file
            audit.record(s, actor, "submission.accept", "submission", new.id,
                         before={"submission_id": current_id, "sha256": current.sha256 if current else None},
                         after={"submission_id": new.id, "sha256": preview.sha256, "department": spec.department_code,
                                "period": spec.period_code, "rows": len(checked.parsed), "mode": mode,
                                "new": counts["new"], "changed": counts["changed"], "same": counts["same"],
                                "deleted": deleted, "kept": kept},
                         detail=preview.filename[:255])
            bump_data_version(s)
            number = version_count(s, spec.department_id, spec.period_id)
            return CommitResult(ACCEPTED, new.id, "ingest.result.accepted", number, mode, deleted, kept)
    except _Stale:
        return CommitResult(STALE, message_key="ingest.result.stale")
    except OperationalError as exc:
        # SQLite: another upload held the write lock past the timeout. Nothing was written.
        if "locked" in str(exc).lower():
            return CommitResult(STALE, message_key="ingest.result.stale")
        raise


def record_rejection(engine: Engine, actor: Actor | None, preview: Preview, department_code: str,
                     period_code: str) -> None:
    """A refused file changes no figure and is not stored, but the audit trail keeps that it was sent,
    by whom, and why (its own short transaction, after the check)."""
    errors = [p for p in preview.all_problems if p.severity == "error"]
    with session_scope(engine) as s:
        audit.record(s, actor, "submission.reject", "submission", None,
                     after={"department": department_code, "period": period_code, "filename": preview.filename,
                            "sha256": preview.sha256, "errors": len(errors)},
                     detail=errors_summary(errors))


def ingest(engine: Engine, actor: Actor | None, data: bytes, filename: str, department_code: str, period_code: str,
           dry_run: bool = False, today: dt.date | None = None, limits: Limits = DEFAULT_LIMITS,
           mode: str = UPDATE) -> tuple[Preview, CommitResult]:
    """prepare + commit in one call (CLI, bench, tests)."""
    with session_scope(engine) as s:
        preview = prepare(s, actor, data, filename, department_code, period_code, today, limits)
    if not preview.ok:
        return preview, CommitResult(REJECTED, message_key="ingest.result.rejected")
    if dry_run:
        return preview, CommitResult("dry_run", message_key="ingest.result.dry_run")
    if preview.identical:
        return preview, CommitResult(IDENTICAL, preview.base_submission_id, "ingest.result.identical")
    return preview, commit(engine, actor, preview, mode)


__all__ = ["ACCEPTED", "IDENTICAL", "STALE", "REJECTED", "LOCKED", "UPDATE", "REPLACE", "Preview", "CommitResult", "Change", "prepare", "commit",
           "record_rejection",
           "ingest", "SpecError", "TEMPLATE_VERSION", "err"]
