"""Every problem of a workbook at once, never only the first.

Errors block the upload; warnings (blank figures, values far from last quarter, rows missing)
are shown but do not; notices say what the reader normalised ("C7: 文本数字已转换").
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access import models as m
from data_access.indicators import previous_period
from data_access.ingest.problems import ERROR, NOTICE, WARNING, Problem, a1, err, note, show_value, warn
from data_access.ingest.reader import PARSERS, Parsed, ReadResult
from data_access.ingest.spec import (CODE, COUNT, DEN, NAME, NUM, REGION_LEVELS, TEMPLATE_VERSION,
                                     Entity, SheetSpec, norm, place_keys)

TOTAL_WORDS = ("合计", "总计", "小计", "全县", "汇总", "total")
FOOTER_WORDS = ("填表人", "填报人", "审核人", "负责人", "联系电话", "填报日期", "填表日期", "注：", "注:", "说明", "备注")
_FOOTERS = tuple(norm(w) for w in FOOTER_WORDS)
NOTICE_PER_KEY = 20            # individual notices per kind; the rest are counted in one line
JUMP_RATIO_POINTS = 0.30       # a rate that moves more than 30 points in a quarter
JUMP_COUNT_FACTOR = 3.0        # a count that triples or falls to a third
JUMP_COUNT_MIN = 10


@dataclass
class Checked:
    spec: SheetSpec
    read: ReadResult
    problems: list[Problem] = field(default_factory=list)
    parsed: list[dict[str, Any]] = field(default_factory=list)
    observations: list[dict[str, Any]] = field(default_factory=list)
    rows_read: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def notices(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == NOTICE]

    @property
    def ok(self) -> bool:
        return not self.errors


class Notes:
    """Notices, at most NOTICE_PER_KEY per kind, the rest summed up."""

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.count: dict[str, int] = {}

    def add(self, key: str, **kw: Any) -> None:
        n = self.count.get(key, 0) + 1
        self.count[key] = n
        if n <= NOTICE_PER_KEY:
            self.items.append(note(key, **kw))

    def finish(self) -> list[Problem]:
        extra = [note("ingest.note.more", count=n - NOTICE_PER_KEY, kind_key=f"{k}.kind")
                 for k, n in self.count.items() if n > NOTICE_PER_KEY]
        return self.items + extra


class EntityIndex:
    def __init__(self, entities: list[Entity]) -> None:
        self.entities = entities
        self.by_code = {e.code: e for e in entities} | {norm(e.code): e for e in entities}
        self._by_name: dict[str, list[Entity]] | None = None

    @property
    def by_name(self) -> dict[str, list[Entity]]:
        """Names and aliases, built only when a row has no usable code."""
        if self._by_name is None:
            self._by_name = {}
            for e in self.entities:
                keys = set(place_keys(e.name_zh)) | {norm(e.name_en)}
                for alias in e.aliases:
                    keys |= place_keys(alias)
                for k in keys:
                    if k:
                        bucket = self._by_name.setdefault(k, [])
                        if e not in bucket:
                            bucket.append(e)
        return self._by_name

    def find(self, text: str) -> list[Entity]:
        n = norm(text)
        if not n:
            return []
        found = self.by_name.get(n)
        if found:
            return found
        for k in place_keys(text):
            if k in self.by_name:
                return self.by_name[k]
        return []


def _text(value: Any) -> str:
    return show_value(value).strip()


def validate(session: Session, spec: SheetSpec, result: ReadResult, today: dt.date | None = None) -> Checked:
    """Check the located sheet against the spec and the database; never raises for a user's mistake."""
    checked = Checked(spec, result, problems=list(result.problems))
    today = today or dt.date.today()
    period = session.get(m.Period, spec.period_id)
    assert period is not None
    if period.end_date >= today:
        checked.problems.insert(0, err("ingest.err.period_open", period=spec.period_code,
                                       end=period.end_date.isoformat()))
    _check_meta(checked, result.meta)
    loc = result.located
    if loc is None:
        return checked
    notes = Notes()
    sheet, rows, colmap = loc.sheet, loc.rows, loc.colmap
    formulas = result.formula_cells.get(sheet, set())
    index = EntityIndex(spec.entities)
    value_cols = [(loc.columns[k], c) for k, c in colmap.items() if loc.columns[k].role in PARSERS]
    name_col, code_col = colmap.get(NAME), colmap.get(CODE)
    key_col = name_col if name_col is not None else code_col
    seen: dict[int, int] = {}
    parsed_rows: list[tuple[int, Entity, dict[str, tuple[Parsed, int]]]] = []
    for r in range(loc.header_row + 1, len(rows)):
        row = rows[r]
        name_raw = row[name_col] if name_col is not None and name_col < len(row) else None
        code_raw = row[code_col] if code_col is not None and code_col < len(row) else None
        name_txt, code_txt = _text(name_raw), _text(code_raw)
        cells = {col.key: (row[c] if c < len(row) else None, c) for col, c in value_cols}
        # Fast path: a known code (every template row) needs none of the total/footer/alias guessing.
        entity = index.by_code.get(code_txt) if code_txt else None
        if entity is None:
            has_values = any(v not in (None, "") for v, _ in cells.values())
            if not any(v not in (None, "") and not (isinstance(v, str) and not v.strip()) for v in row):
                continue  # blank row
            first_c, first_text = next(((c, _text(v)) for c, v in enumerate(row) if isinstance(v, str) and v.strip()),
                                       (0, ""))
            label = norm(name_txt or code_txt or first_text)
            if any(w in label for w in TOTAL_WORDS):
                notes.add("ingest.note.total_row", sheet=sheet, row=r,
                          col=key_col if (name_txt or code_txt) else first_c, value=name_txt or code_txt or first_text)
                continue
            if not name_txt and not code_txt and not has_values or (
                    not (name_txt and has_values) and norm(first_text).startswith(_FOOTERS)):
                notes.add("ingest.note.footer_row", sheet=sheet, row=r, col=first_c, value=first_text)
                continue
            if code_txt:
                entity = index.by_code.get(norm(code_txt))
        checked.rows_read += 1
        if entity is None and name_txt:
            found = index.find(name_txt)
            if len(found) == 1:
                entity = found[0]
                if name_txt != entity.name_zh:
                    notes.add("ingest.note.alias", sheet=sheet, row=r, col=name_col, value=name_txt,
                              name=entity.name_zh)
            elif len(found) > 1:
                checked.problems.append(err("ingest.err.ambiguous_name", sheet=sheet, row=r, col=name_col,
                                            value=name_txt, count=len(found)))
                continue
        if entity is None:
            where = name_col if name_txt and name_col is not None else code_col
            checked.problems.append(err(_unknown_key(spec), sheet=sheet, row=r, col=where,
                                        value=name_txt or code_txt))
            continue
        if entity.id in seen:
            checked.problems.append(err("ingest.err.duplicate_row", sheet=sheet, row=r, col=key_col,
                                        value=name_txt or code_txt, first=seen[entity.id] + 1, name=entity.name_zh))
            continue
        seen[entity.id] = r
        values: dict[str, tuple[Parsed, int]] = {}
        for key, (raw, c) in cells.items():
            col = loc.columns[key]
            if formulas and raw in (None, "") and a1(r, c) in formulas:
                checked.problems.append(err("ingest.err.formula_no_value", sheet=sheet, row=r, col=c))
                values[key] = (Parsed(error="formula"), c)
                continue
            parsed = PARSERS[col.role](raw)
            for n_key in parsed.notes:
                notes.add(n_key, sheet=sheet, row=r, col=c, value=show_value(raw))
            if parsed.error:
                checked.problems.append(err(parsed.error, sheet=sheet, row=r, col=c, value=show_value(raw),
                                            column_label=col.label_zh))
            elif parsed.value is not None and col.role in (NUM, DEN, COUNT):
                if parsed.value < 0:
                    checked.problems.append(err("ingest.err.negative", sheet=sheet, row=r, col=c,
                                                value=show_value(raw), column_label=col.label_zh))
                    parsed = Parsed(error="ingest.err.negative")
                elif not float(parsed.value).is_integer():
                    checked.problems.append(err("ingest.err.not_whole", sheet=sheet, row=r, col=c,
                                                value=show_value(raw), column_label=col.label_zh))
                    parsed = Parsed(error="ingest.err.not_whole")
            values[key] = (parsed, c)
        parsed_rows.append((r, entity, values))
    if checked.rows_read == 0 and not checked.errors:
        checked.problems.append(err("ingest.err.no_rows", sheet=sheet, row=loc.header_row + 1, col=0))
    if spec.reports_by in REGION_LEVELS:
        _region_rows(session, checked, parsed_rows, key_col)
    else:
        _school_rows(session, checked, parsed_rows, key_col)
    missing = [e for e in spec.entities if e.id not in seen]
    if checked.rows_read and missing and len(missing) <= 200:
        for e in missing:
            checked.problems.append(warn("ingest.warn.missing_row", sheet=sheet, name=e.name_zh, code=e.code))
    elif checked.rows_read and missing:
        checked.problems.append(warn("ingest.warn.missing_rows", sheet=sheet, count=len(missing)))
    checked.problems.extend(notes.finish())
    if not checked.errors:
        _jump_warnings(session, checked, parsed_rows, period)
    order = {ERROR: 0, WARNING: 1, NOTICE: 2}
    checked.problems.sort(key=lambda p: (order[p.severity], p.row if p.row is not None else -1,
                                         p.col if p.col is not None else -1))
    return checked


def _unknown_key(spec: SheetSpec) -> str:
    return "ingest.err.unknown_school" if spec.reports_by == "school" else "ingest.err.unknown_region"


def _check_meta(checked: Checked, meta: dict[str, str]) -> None:
    spec = checked.spec
    if not meta:
        checked.problems.append(note("ingest.note.no_meta"))
        return
    if meta.get("department") and meta["department"] != spec.department_code:
        checked.problems.append(err("ingest.err.meta_department", sheet="_meta", row=1, col=1,
                                    value=meta["department"], expected=spec.department_code))
    if meta.get("period") and meta["period"] != spec.period_code:
        checked.problems.append(err("ingest.err.meta_period", sheet="_meta", row=2, col=1, value=meta["period"],
                                    expected=spec.period_code))
    if meta.get("template_version") and meta["template_version"] != TEMPLATE_VERSION:
        checked.problems.append(note("ingest.note.old_template", value=meta["template_version"],
                                     version=TEMPLATE_VERSION))


def _region_rows(session: Session, checked: Checked, parsed_rows: list, key_col: int | None) -> None:
    spec = checked.spec
    sheet = checked.read.located.sheet  # type: ignore[union-attr]
    colmap = checked.read.located.colmap  # type: ignore[union-attr]
    # An indicator whose columns are missing was reported once at the header, not again on every row.
    usable = {code for code, info in spec.indicators.items()
              if (info.kind == "ratio" and f"{code}:den" in colmap
                  and (f"{code}:num" in colmap or f"{code}:rate" in colmap))
              or (info.kind != "ratio" and f"{code}:value" in colmap)}
    for r, entity, values in parsed_rows:
        for code, info in spec.indicators.items():
            if code not in usable:
                continue
            if info.kind == "ratio":
                num_p, num_c = values.get(f"{code}:num", (Parsed(), None))
                den_p, den_c = values.get(f"{code}:den", (Parsed(), None))
                rate_p, rate_c = values.get(f"{code}:rate", (Parsed(), None))
                if num_p.error or den_p.error or rate_p.error:
                    continue
                num, den = num_p.value, den_p.value
                if num is None and den is not None and rate_p.value is not None:
                    num = float(round(rate_p.value * den))
                    checked.problems.append(note("ingest.note.numerator_from_rate", sheet=sheet, row=r, col=rate_c,
                                                 value=show_value(values[f"{code}:rate"][0].value), numerator=int(num)))
                if num is None and den is None:
                    checked.problems.append(warn("ingest.warn.blank", sheet=sheet, row=r,
                                                 col=num_c if num_c is not None else den_c, name=entity.name_zh,
                                                 indicator=info.name_zh))
                    continue
                if num is None or den is None:
                    missing_c = den_c if den is None else num_c
                    checked.problems.append(err("ingest.err.half_ratio", sheet=sheet, row=r, col=missing_c,
                                                indicator=info.name_zh))
                    continue
                if num > den:
                    checked.problems.append(err("ingest.err.num_gt_den", sheet=sheet, row=r, col=num_c,
                                                value=show_value(num), denominator=show_value(den),
                                                indicator=info.name_zh))
                    continue
                value = num / den if den > 0 else None
                if rate_p.value is not None and value is not None and num_p.value is not None \
                        and abs(rate_p.value - value) > 0.005:
                    checked.problems.append(warn("ingest.warn.rate_mismatch", sheet=sheet, row=r, col=rate_c,
                                                 value=show_value(values[f"{code}:rate"][0].value),
                                                 computed=f"{value * 100:.1f}%"))
                checked.observations.append(dict(indicator_id=info.id, region_id=entity.region_id,
                                                 period_id=spec.period_id, numerator=num, denominator=den,
                                                 value=value))
                checked.parsed.append(dict(indicator=code, region=entity.code, numerator=num, denominator=den,
                                           value=value))
            else:
                p, c = values.get(f"{code}:value", (Parsed(), None))
                if p.error:
                    continue
                if p.value is None:
                    checked.problems.append(warn("ingest.warn.blank", sheet=sheet, row=r, col=c, name=entity.name_zh,
                                                 indicator=info.name_zh))
                    continue
                checked.observations.append(dict(indicator_id=info.id, region_id=entity.region_id,
                                                 period_id=spec.period_id, numerator=None, denominator=None,
                                                 value=p.value))
                checked.parsed.append(dict(indicator=code, region=entity.code, numerator=None, denominator=None,
                                           value=p.value))


def _school_rows(session: Session, checked: Checked, parsed_rows: list, key_col: int | None) -> None:
    """Per-school sheet: kept as parsed rows; the room answer is compared with the service-point registry."""
    spec = checked.spec
    sheet = checked.read.located.sheet  # type: ignore[union-attr]
    period = session.get(m.Period, spec.period_id)
    end = period.end_date if period else dt.date.today()
    with_room = set(session.scalars(
        select(m.ServicePoint.facility_id).where(
            m.ServicePoint.type == "school_room", m.ServicePoint.facility_id.is_not(None),
            m.ServicePoint.opened_on.is_not(None), m.ServicePoint.opened_on <= end,
            (m.ServicePoint.retired_on.is_(None)) | (m.ServicePoint.retired_on > end))))
    for r, entity, values in parsed_rows:
        out: dict[str, Any] = dict(school=entity.code, region_id=entity.region_id)
        bad = False
        for key in ("school:has_room", "school:teachers_full", "school:teachers_part"):
            p, c = values.get(key, (Parsed(), None))
            bad = bad or bool(p.error)
            out[key.split(":")[1]] = p.value
            if p.value is None and not p.error:
                checked.problems.append(warn("ingest.warn.blank", sheet=sheet, row=r, col=c, name=entity.name_zh,
                                             indicator=checked.read.located.columns[key].label_zh))  # type: ignore[union-attr]
        if bad:
            continue
        has_room = out.get("has_room")
        if has_room is not None and bool(has_room) != (entity.id in with_room):
            c = values["school:has_room"][1]
            checked.problems.append(warn("ingest.warn.registry_mismatch", sheet=sheet, row=r, col=c,
                                         value="是" if has_room else "否", name=entity.name_zh,
                                         registry="是" if entity.id in with_room else "否"))
        checked.parsed.append(out)


def _jump_warnings(session: Session, checked: Checked, parsed_rows: list, period: m.Period) -> None:
    """Values far from last quarter's accepted figure: a warning, the liaison may be right."""
    spec = checked.spec
    if not checked.observations:
        return
    before = previous_period(session, period)
    if before is None:
        return
    ids = [i.id for i in spec.indicators.values()]
    old = {(o.indicator_id, o.region_id): o.value for o in session.execute(
        select(m.Observation.indicator_id, m.Observation.region_id, m.Observation.value)
        .where(m.Observation.period_id == before.id, m.Observation.indicator_id.in_(ids)))}
    if not old:
        return
    kinds = {i.id: i for i in spec.indicators.values()}
    where = {entity.region_id: (r, values) for r, entity, values in parsed_rows}
    sheet = checked.read.located.sheet  # type: ignore[union-attr]
    for o in checked.observations:
        prev = old.get((o["indicator_id"], o["region_id"]))
        new = o["value"]
        if prev is None or new is None:
            continue
        info = kinds[o["indicator_id"]]
        if info.kind == "ratio":
            jumped = abs(new - prev) > JUMP_RATIO_POINTS
            shown_new, shown_old = f"{new * 100:.1f}%", f"{prev * 100:.1f}%"
            key = f"{info.code}:num"
        else:
            jumped = abs(new - prev) >= JUMP_COUNT_MIN and (
                new > JUMP_COUNT_FACTOR * prev or new * JUMP_COUNT_FACTOR < prev)
            shown_new, shown_old = show_value(new), show_value(prev)
            key = f"{info.code}:value"
        if jumped:
            r, values = where[o["region_id"]]
            c = values.get(key, (None, None))[1]
            checked.problems.append(warn("ingest.warn.jump", sheet=sheet, row=r, col=c, value=shown_new,
                                         previous=shown_old, indicator=info.name_zh, period=before.code))
