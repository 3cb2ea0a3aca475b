"""Every problem of a workbook at once, never only the first.

Errors block the upload; warnings (blank figures, values far from last quarter, rows not in the
file) are shown but do not; notices say what the reader normalised ("C7: 文本数字已转换").

No figure is ever guessed: a row whose name and code name different places, a word or an Excel
error where a figure belongs, a percentage in a count column, a sheet of another quarter or
department are refused at their cell with the fix; a mistake of one header is said once, at the header.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access import models as m
from data_access.indicators import previous_period
from data_access.ingest.file_origin import other_department, wrong_quarter
from data_access.ingest.places import EntityIndex, is_footer
from data_access.ingest.problems import ERROR, NOTICE, WARNING, Problem, a1, as_shown, err, note, show_value, warn
from data_access.ingest.reader import PARSERS, Parsed, ReadResult, excel_error_key, header_labels, parse_rate
from data_access.ingest.templates import FIRST_DATA_ROW, HEADER_ROWS
from data_access.ingest.spec import (CODE, COUNT, DEN, NAME, NUM, RATE, REGION_LEVELS, TEMPLATE_VERSION,
                                     SheetSpec, norm_label)
from i18n.numbers import percent, value_text

NOTICE_PER_KEY = 20            # individual notices per kind; the rest are counted in one line
JUMP_RATIO_POINTS = 0.30       # a rate that moves more than 30 points in a quarter
JUMP_COUNT_FACTOR = 3.0        # a count that triples or falls to a third
JUMP_COUNT_MIN = 10
WHOLE_TOLERANCE = 1e-6         # =110*1.1 is saved as 121.00000000000001; Excel shows 121
COLUMN_WIDE_MIN = 3            # the same error in this many rows of a column (and most of them) is the header's
COLUMN_WIDE_SHARE = 0.8
# Errors that, down a whole column, say the header is over the wrong figures. A word or an Excel error
# in every cell (无, —, #N/A) is about each cell, and each is refused at its cell.
COLUMN_WIDE_KEYS = ("ingest.err.percent_in_count", "ingest.err.not_number", "ingest.err.not_whole",
                    "ingest.err.not_yesno", "ingest.err.rate_range", "ingest.err.negative")
NAMES_SHOWN = 20


@dataclass
class Checked:
    spec: SheetSpec
    read: ReadResult
    problems: list[Problem] = field(default_factory=list)
    parsed: list[dict[str, Any]] = field(default_factory=list)
    observations: list[dict[str, Any]] = field(default_factory=list)
    # Per-school figures of indicators reported per facility (indicator_id, facility_id, period_id, value).
    facility_observations: list[dict[str, Any]] = field(default_factory=list)
    rows_read: int = 0
    figures: int = 0            # cells with a figure in them (a blank template has none)

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


def _text(value: Any) -> str:
    return show_value(value).strip()


def _blank(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, str) and not value.strip())


def _totals(session: Session, spec: SheetSpec) -> list[str]:
    """Names a total row may carry: the places the sheet's places belong to (和安县, and its short
    name 和安), so that "和安县" under the townships is read as the county's sum."""
    if spec.reports_by not in REGION_LEVELS:
        levels: tuple[str, ...] = ("county",)
        parents = select(m.Region.id).where(m.Region.level == "county")
    else:
        levels = ()
        parents = select(m.Region.parent_id).where(m.Region.level == spec.reports_by).distinct()
    names: list[str] = []
    for code, name_zh, aliases in session.execute(select(m.Region.code, m.Region.name_zh, m.Region.aliases).where(
            m.Region.id.in_(parents) | m.Region.level.in_(levels or ("county",)))):
        names += [code, name_zh, *(aliases or ())]
    return names


def validate(session: Session, spec: SheetSpec, result: ReadResult, today: dt.date | None = None) -> Checked:
    """Check the located sheet against the spec and the database; never raises for a user's mistake.
    A refused file reports no notices (problems.as_shown): nothing of it was handled."""
    checked = _validate(session, spec, result, today)
    checked.problems = as_shown(checked.problems)
    return checked


def _validate(session: Session, spec: SheetSpec, result: ReadResult, today: dt.date | None) -> Checked:
    checked = Checked(spec, result, problems=list(result.problems))
    today = today or dt.date.today()
    period = session.get(m.Period, spec.period_id)
    assert period is not None
    if period.end_date >= today:
        checked.problems.insert(0, err("ingest.err.period_open", period=spec.period_code,
                                       end=period.end_date.isoformat()))
    meta = result.meta
    if not meta:
        checked.problems.append(note("ingest.note.no_meta"))
    elif meta.get("template_version") and meta["template_version"] != TEMPLATE_VERSION:
        checked.problems.append(note("ingest.note.old_template", value=meta["template_version"],
                                     version=TEMPLATE_VERSION))
    # Another department's sheet, or another quarter's: said once, and nothing else is worth reading.
    origin = other_department(session, spec, result)
    if origin is None:
        origin = wrong_quarter(session, spec, result)
    if origin is not None:
        checked.problems = [p for p in checked.problems if p.severity != ERROR or p.key == "ingest.err.period_open"]
        checked.problems.append(origin)
        return checked
    loc = result.located
    if loc is None:
        return checked
    index = EntityIndex(spec.entities, _totals(session, spec))
    _name_column_by_contents(checked, index)
    _rows(session, checked, period, index)
    _header_pasted_over(checked)
    order = {ERROR: 0, WARNING: 1, NOTICE: 2}
    checked.problems.sort(key=lambda p: (order[p.severity], p.row if p.row is not None else -1,
                                         p.col if p.col is not None else -1))
    return checked


def _header_pasted_over(checked: Checked) -> None:
    """Our own template whose column labels (row 3) hold figures: the figures were pasted one row too
    high. Every other problem follows from that one; it is said once, where it happened."""
    loc, meta = checked.read.located, checked.read.meta
    label_row = HEADER_ROWS - 1
    if loc is None or not meta or meta.get("layout") != checked.spec.signature or loc.header_row == label_row \
            or len(loc.rows) <= label_row or not checked.errors:
        return
    row = loc.rows[label_row]
    figures = [c for c, v in enumerate(row) if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not figures:
        return
    c = figures[0]
    checked.problems = [p for p in checked.problems if p.severity == NOTICE or p.key == "ingest.err.period_open"]
    checked.problems.append(err("ingest.err.header_pasted_over", sheet=loc.sheet, row=label_row, col=c,
                                value=show_value(row[c]), line=label_row + 1, first=FIRST_DATA_ROW))


def _name_column_by_contents(checked: Checked, index: EntityIndex) -> None:
    """A list whose name column has no header (or one we do not know, or a header spanning the serial
    numbers beside it): the column whose cells are the sheet's places is the name column."""
    loc = checked.read.located
    assert loc is not None
    body = loc.rows[loc.header_row + 1:]
    if NAME not in loc.columns or CODE in loc.colmap:
        return
    was = loc.colmap.get(NAME)
    if was is not None and any(was < len(row) and isinstance(row[was], str) and row[was].strip() for row in body):
        return
    used = {c for k, c in loc.colmap.items() if k != NAME}
    best: tuple[int, int] | None = None
    for c in range(max((len(r) for r in body), default=0)):
        if c in used:
            continue
        texts = [v for row in body if c < len(row) and isinstance((v := row[c]), str) and v.strip()]
        hits = sum(len(index.find(t)) == 1 for t in texts)
        if hits >= 2 and 2 * hits >= len(texts) and (best is None or hits > best[0]):
            best = (hits, c)
    if best is None:
        return
    loc.colmap[NAME] = best[1]
    label = loc.columns[NAME].label_zh
    checked.problems = [p for p in checked.problems if not (p.key == "ingest.err.missing_column"
                                                            and p.params.get("column_label") == label)]
    checked.problems.append(note("ingest.note.name_column_found", sheet=loc.sheet, row=loc.header_row, col=best[1],
                                 value=_text(loc.rows[loc.header_row][best[1]])
                                 if best[1] < len(loc.rows[loc.header_row]) else ""))
    for p in list(checked.problems):  # its header, if any, is no longer an unknown column
        if p.key == "ingest.note.extra_column" and p.col == best[1]:
            checked.problems.remove(p)


def _rows(session: Session, checked: Checked, period: m.Period, index: EntityIndex) -> None:
    spec, result = checked.spec, checked.read
    loc = result.located
    assert loc is not None
    notes = Notes()
    sheet, rows, colmap = loc.sheet, loc.rows, loc.colmap
    formulas = result.formula_cells.get(sheet, set())
    error_cells = result.error_cells.get(sheet, {})
    percent_cells = result.percent_cells.get(sheet, set())
    hidden_rows = result.hidden_rows.get(sheet, set())
    value_cols = [(loc.columns[k], c) for k, c in colmap.items() if loc.columns[k].role in PARSERS]
    # A rate column whose header declares percent (疏导率（%）) holds percents: its 0.9 is 0.9 %.
    percent_units = {c for col, c in value_cols if col.role == RATE and _header_says_percent(loc, c)}
    name_col, code_col = colmap.get(NAME), colmap.get(CODE)
    key_col = name_col if name_col is not None else code_col
    labels = header_labels(list(loc.columns.values()))
    seen: dict[int, int] = {}
    parsed_rows: list[tuple[int, Any, dict[str, tuple[Parsed, int]]]] = []
    unnamed: list[tuple[int, dict[str, Any]]] = []      # rows with figures but no name: a total, or an error
    given: dict[int, int] = {}                           # column -> rows with something in it
    cell_errors: list[Problem] = []
    footer_seen = False
    for r in range(loc.header_row + 1, len(rows)):
        row = rows[r]
        name_raw = row[name_col] if name_col is not None and name_col < len(row) else None
        code_raw = row[code_col] if code_col is not None and code_col < len(row) else None
        name_txt, code_txt = _text(name_raw), _text(code_raw)
        cells = {col.key: (row[c] if c < len(row) else None, c) for col, c in value_cols}
        # Fast path: a known code with its own name (every template row) needs no guessing.
        entity = index.by_code.get(code_txt) if code_txt else None
        if entity is not None and name_txt and name_txt != entity.name_zh:
            entity = _check_name_against_code(checked, index, entity, sheet, r, name_col, code_col, name_txt,
                                              code_txt, notes)
            if entity is None:
                continue
        if entity is None:
            if not any(not _blank(v) for v in row):
                continue  # blank row
            first_c, first_text = next(((c, _text(v)) for c, v in enumerate(row) if isinstance(v, str) and v.strip()),
                                       (0, ""))
            label = name_txt or code_txt or first_text
            has_values = any(not _blank(v) for v, _ in cells.values())
            if sum(isinstance(v, str) and norm_label(v) in labels for v in row) >= 2:
                notes.add("ingest.note.header_again", sheet=sheet, row=r, col=first_c, value=first_text)
                continue
            if not seen and _is_units_row(row):  # （人） under each label: still the header
                notes.add("ingest.note.units_row", sheet=sheet, row=r, col=first_c, value=first_text)
                continue
            if label and index.is_total(label):
                notes.add("ingest.note.total_row", sheet=sheet, row=r,
                          col=key_col if (name_txt or code_txt) else first_c, value=label)
                continue
            if (first_text and is_footer(first_text)) or (name_txt and is_footer(name_txt)) or (
                    footer_seen and not has_values):
                footer_seen = True
                notes.add("ingest.note.footer_row", sheet=sheet, row=r, col=first_c, value=first_text)
                continue
            if code_txt:
                entity = index.code(code_txt)
                if entity is not None and name_txt and name_txt != entity.name_zh:
                    entity = _check_name_against_code(checked, index, entity, sheet, r, name_col, code_col,
                                                      name_txt, code_txt, notes)
                    if entity is None:
                        continue
            if entity is None and name_txt:
                found = index.find(name_txt)
                if len(found) == 1:
                    entity = found[0]
                    if name_txt != entity.name_zh:
                        notes.add("ingest.note.alias", sheet=sheet, row=r, col=name_col, value=name_txt,
                                  name=entity.name_zh)
                    if code_txt:  # a code of no place (a row number, an old code): the name decides
                        notes.add("ingest.note.code_unknown", sheet=sheet, row=r, col=code_col, value=code_txt,
                                  name=entity.name_zh)
                elif len(found) > 1:
                    checked.rows_read += 1
                    checked.problems.append(err("ingest.err.ambiguous_name", sheet=sheet, row=r, col=name_col,
                                                value=name_txt, count=len(found),
                                                names="、".join(e.name_zh for e in found[:5])))
                    continue
            if entity is None:
                if not name_txt and not code_txt:
                    if has_values:
                        unnamed.append((r, cells))
                    continue
                if not has_values:  # a label without figures (a section title): nothing to store
                    notes.add("ingest.note.row_skipped", sheet=sheet, row=r, col=key_col, value=label)
                    continue
                checked.rows_read += 1
                where = name_col if name_txt and name_col is not None else code_col
                checked.problems.append(err(_unknown_key(spec), sheet=sheet, row=r, col=where,
                                            value=name_txt or code_txt))
                continue
        checked.rows_read += 1
        values: dict[str, tuple[Parsed, int]] = {}
        row_errors: list[Problem] = []
        for key, (raw, c) in cells.items():
            col = loc.columns[key]
            parsed = _cell(col, raw, r, c, formulas, error_cells, percent_cells, sheet, row_errors, notes,
                           c in percent_units)
            if parsed.value is not None or parsed.error:
                given[c] = given.get(c, 0) + 1
                checked.figures += parsed.value is not None
            values[key] = (parsed, c)
        for p in row_errors:
            key = next(k for k, (_, c) in values.items() if c == p.col)
            if key.endswith(":rate") and _both_given(values, key[:-5]):
                # A rate column of the liaison's own (=C4/D4 shows #DIV/0! for 0 of 0): numerator and
                # denominator are what is stored, the rate is only compared.
                notes.add("ingest.note.rate_ignored", sheet=sheet, row=r, col=p.col, value=p.value)
                values[key] = (Parsed(), p.col)  # type: ignore[assignment]
            else:
                cell_errors.append(p)
        if not row_errors and all(p.value is None for p, _ in values.values()):
            continue  # a row left empty gives nothing (the template's rows under a pasted list, too)
        if entity.id in seen:
            # The first of the two rows may be hidden: the liaison must be told where to look.
            key = "ingest.err.duplicate_row_hidden" if seen[entity.id] in hidden_rows else "ingest.err.duplicate_row"
            checked.problems.append(err(key, sheet=sheet, row=r, col=key_col,
                                        value=name_txt or code_txt, first=seen[entity.id] + 1, name=entity.name_zh))
            continue
        seen[entity.id] = r
        parsed_rows.append((r, entity, values))
    for r, cells in unnamed:
        _unnamed_row(checked, parsed_rows, r, cells, sheet, code_col if code_col is not None else name_col, notes)
    checked.problems.extend(_column_wide(cell_errors, given, loc))
    if spec.reports_by in REGION_LEVELS:
        _region_rows(session, checked, parsed_rows, key_col)
    else:
        _school_rows(session, checked, parsed_rows, key_col)
    _swapped_columns(checked, given)
    _half_ratio_columns(checked)
    if checked.rows_read == 0 and not checked.errors and notes.count.get("ingest.note.total_row"):
        # Only the county's total: the platform sums the townships itself, and has none of them.
        checked.problems.append(err("ingest.err.only_totals", sheet=sheet, row=loc.header_row + 1, col=0,
                                    count=notes.count["ingest.note.total_row"]))
    elif checked.rows_read == 0 and not checked.errors:
        checked.problems.append(err("ingest.err.no_rows", sheet=sheet, row=loc.header_row + 1, col=0))
    elif not checked.errors and checked.figures == 0:
        checked.problems.append(err("ingest.err.no_figures", sheet=sheet, row=loc.header_row + 1,
                                    col=min((c for _, c in value_cols), default=0)))
    missing = [e for e in spec.entities if e.id not in seen]
    if checked.rows_read and missing:
        names = "、".join(e.name_zh for e in missing[:NAMES_SHOWN]) + ("……" if len(missing) > NAMES_SHOWN else "")
        checked.problems.append(warn("ingest.warn.rows_not_in_file", sheet=sheet, count=len(missing), names=names,
                                     total=len(spec.entities)))
    checked.problems.extend(notes.finish())
    if not checked.errors:
        _jump_warnings(session, checked, parsed_rows, period)


_UNIT_MARK = re.compile(r"^[(（\[【]?(单位[:：]?)?(人|人次|件|场|场次|个|名|户|所|家|次|例|%|％|万人|元|万元|岁)?[)）\]】]?$")


def _is_units_row(row: list[Any]) -> bool:
    """A row under the header giving each column's unit: （人）, 人次, (%), 单位：人 -- and nothing else."""
    marks = [v for v in row if not _blank(v)]
    return bool(marks) and all(isinstance(v, str) and _UNIT_MARK.match(v.replace(" ", "").strip()) for v in marks) \
        and any(isinstance(v, str) and v.strip() not in ("", "()", "（）") for v in marks)


def _check_name_against_code(checked: Checked, index: EntityIndex, by_code: Any, sheet: str, r: int,
                             name_col: int | None, code_col: int | None, name_txt: str, code_txt: str,
                             notes: Notes) -> Any:
    """The place of a row whose name is not the code's own name: the same place written another way,
    or None after refusing the row (a pasted or separately sorted list files figures under the wrong
    place otherwise)."""
    found = index.find(name_txt)
    if by_code in found:  # the same place written another way (北山, 北山乡卫生院)
        notes.add("ingest.note.alias", sheet=sheet, row=r, col=name_col, value=name_txt, name=by_code.name_zh)
        return by_code
    checked.rows_read += 1
    what = "ingest.what.school" if checked.spec.reports_by == "school" else "ingest.what.place"
    if found:
        other = found[0]
        checked.problems.append(err("ingest.err.name_code_mismatch", sheet=sheet, row=r, col=name_col, value=name_txt,
                                    code=code_txt, code_name=by_code.name_zh, name=other.name_zh,
                                    name_code=other.code, code_cell=a1(r, code_col), what_key=what))
    else:
        checked.problems.append(err("ingest.err.name_not_code", sheet=sheet, row=r, col=name_col, value=name_txt,
                                    code=code_txt, code_name=by_code.name_zh, code_cell=a1(r, code_col),
                                    what_key=what))
    return None


def _header_says_percent(loc: Any, c: int) -> bool:
    for r in (loc.header_row, loc.header_row - 1):
        if 0 <= r < len(loc.rows) and c < len(loc.rows[r]) and isinstance(loc.rows[r][c], str):
            text = loc.rows[r][c]
            if "%" in text or "％" in text or "百分" in text:
                return True
    return False


def _cell(col: Any, raw: Any, r: int, c: int, formulas: set[str], error_cells: dict[str, str],
          percent_cells: set[str], sheet: str, problems: list[Problem], notes: Notes,
          percent_units: bool = False) -> Parsed:
    """One value cell, parsed, with its problem (if any) added to `problems`."""
    ref = a1(r, c) if (formulas or error_cells or percent_cells) else ""
    if raw in (None, "") and ref:
        if ref in error_cells:
            shown = error_cells[ref]
            key = excel_error_key(shown) or "ingest.err.excel_error"
            problems.append(err(key, sheet=sheet, row=r, col=c, value=shown, column_label=col.label_zh))
            return Parsed(error=key)
        if ref in formulas:
            problems.append(err("ingest.err.formula_no_value", sheet=sheet, row=r, col=c))
            return Parsed(error="formula")
    parsed = parse_rate(raw, percent_units, bool(ref) and ref in percent_cells) if col.role == RATE \
        else PARSERS[col.role](raw)
    for n_key in parsed.notes:
        notes.add(n_key, sheet=sheet, row=r, col=c, value=show_value(raw))
    if parsed.error:
        problems.append(err(parsed.error, sheet=sheet, row=r, col=c, value=show_value(raw), column_label=col.label_zh))
        return parsed
    if parsed.value is None or col.role not in (NUM, DEN, COUNT):
        return parsed
    if parsed.percent or (ref and ref in percent_cells):
        shown = show_value(raw) if parsed.percent else f"{parsed.value * 100:g}%"
        problems.append(err("ingest.err.percent_in_count", sheet=sheet, row=r, col=c, value=shown,
                            column_label=col.label_zh))
        return Parsed(error="ingest.err.percent_in_count")
    value = parsed.value
    if value < 0:
        problems.append(err("ingest.err.negative", sheet=sheet, row=r, col=c, value=show_value(raw),
                            column_label=col.label_zh))
        return Parsed(error="ingest.err.negative")
    if not float(value).is_integer():
        if abs(value - round(value)) > WHOLE_TOLERANCE:
            problems.append(err("ingest.err.not_whole", sheet=sheet, row=r, col=c, value=show_value(raw),
                                column_label=col.label_zh))
            return Parsed(error="ingest.err.not_whole")
        notes.add("ingest.note.float_noise", sheet=sheet, row=r, col=c, value=repr(value), shown=int(round(value)))
        return Parsed(float(round(value)), parsed.notes, percent=False)
    return parsed


def _both_given(values: dict[str, tuple[Parsed, int]], indicator: str) -> bool:
    num, den = values.get(f"{indicator}:num"), values.get(f"{indicator}:den")
    return bool(num and den and num[0].value is not None and den[0].value is not None)


def _unnamed_row(checked: Checked, parsed_rows: list, r: int, cells: dict[str, Any], sheet: str,
                 col: int | None, notes: Notes) -> None:
    """A row with figures and no name: the sum of the rows above (an unlabelled total) is skipped,
    anything else is refused -- its figures belong to no place we can tell."""
    sums: dict[str, float] = {}
    for _, _, values in parsed_rows:
        for key, (p, _) in values.items():
            if p.value is not None:
                sums[key] = sums.get(key, 0.0) + p.value
    is_sum = bool(parsed_rows)
    for key, (raw, _) in cells.items():
        if _blank(raw):
            continue
        p = PARSERS[checked.read.located.columns[key].role](raw)  # type: ignore[union-attr]
        if p.error or p.value is None or abs(p.value - sums.get(key, float("nan"))) > 1e-6:
            is_sum = False
            break
    if is_sum:
        notes.add("ingest.note.total_row", sheet=sheet, row=r, col=col, value="")
        return
    checked.rows_read += 1
    checked.problems.append(err("ingest.err.row_without_name", sheet=sheet, row=r, col=col))


def _column_wide(cell_errors: list[Problem], given: dict[int, int], loc: Any) -> list[Problem]:
    """Cell errors as they go to the liaison: the same error down most of a column is one problem at
    its header (a header over the wrong figures, rates in a count column), not one per row."""
    by_col: dict[tuple[str, int], list[Problem]] = {}
    for p in cell_errors:
        by_col.setdefault((p.key, p.col), []).append(p)  # type: ignore[arg-type]
    out: list[Problem] = []
    for (key, c), items in by_col.items():
        if key in COLUMN_WIDE_KEYS and len(items) >= COLUMN_WIDE_MIN and \
                len(items) >= COLUMN_WIDE_SHARE * given.get(c, len(items)):
            first = items[0]
            out.append(err("ingest.err.whole_column", sheet=first.sheet, row=loc.header_row, col=c,
                           value=first.value, header=_header_text(loc, c), count=len(items),
                           cells="、".join(p.cell for p in items[:5]) + ("……" if len(items) > 5 else ""),
                           inner_key=key, inner_fix_key=f"{key}.fix",
                           **{k: v for k, v in first.params.items() if k not in ("count", "cells")}))
        else:
            out.extend(items)
    return out


def _header_text(loc: Any, c: int) -> str:
    for r in (loc.header_row, loc.header_row - 1):
        if 0 <= r < len(loc.rows) and c < len(loc.rows[r]) and not _blank(loc.rows[r][c]):
            return _text(loc.rows[r][c])
    return ""


def _swapped_columns(checked: Checked, given: dict[int, int]) -> None:
    """A numerator larger than its denominator in most rows is one mistake: the two headers are the
    wrong way round (or the figures were pasted into each other's column). Said once, at the header."""
    loc = checked.read.located
    assert loc is not None
    by_col: dict[int, list[Problem]] = {}
    for p in checked.problems:
        if p.key == "ingest.err.num_gt_den" and p.col is not None:
            by_col.setdefault(p.col, []).append(p)
    for c, items in by_col.items():
        if len(items) < COLUMN_WIDE_MIN or len(items) < COLUMN_WIDE_SHARE * given.get(c, len(items)):
            continue
        first = items[0]
        den_c = next((loc.colmap.get(k.replace(":num", ":den")) for k, col in loc.colmap.items() if col == c), None)
        checked.problems = [p for p in checked.problems if p not in items]
        checked.problems.append(err("ingest.err.columns_swapped", sheet=first.sheet, row=loc.header_row, col=c,
                                    value=_header_text(loc, c), den_label=_header_text(loc, den_c) if den_c is not None
                                    else "", count=len(items), indicator=first.params.get("indicator", ""),
                                    den_cell=a1(loc.header_row, den_c) if den_c is not None else ""))


def _half_ratio_columns(checked: Checked) -> None:
    """One of an indicator's two columns empty in every row where the other is filled (figures pasted
    one column off, a column of numerators forgotten): one problem at that column's header, not one
    per row."""
    loc = checked.read.located
    assert loc is not None
    by_col: dict[int, list[Problem]] = {}
    for p in checked.problems:
        if p.key == "ingest.err.half_ratio" and p.col is not None:
            by_col.setdefault(p.col, []).append(p)
    for c, items in by_col.items():
        if len(items) < COLUMN_WIDE_MIN or len(items) < COLUMN_WIDE_SHARE * checked.rows_read:
            continue
        first = items[0]
        checked.problems = [p for p in checked.problems if p not in items]
        checked.problems.append(err("ingest.err.whole_column", sheet=first.sheet, row=loc.header_row, col=c,
                                    value="", header=_header_text(loc, c), count=len(items),
                                    cells="、".join(p.cell for p in items[:5]) + ("……" if len(items) > 5 else ""),
                                    inner_key="ingest.err.half_ratio", inner_fix_key="ingest.err.half_ratio.fix",
                                    **first.params))


def _unknown_key(spec: SheetSpec) -> str:
    return "ingest.err.unknown_school" if spec.reports_by == "school" else "ingest.err.unknown_region"


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
                    # The rate as typed must BE a whole number of people of this denominator: 56.3 % of
                    # 200 is no one's count (112 is 56.0 %, 113 is 56.5 %); a rounded guess would store
                    # a rate the liaison never gave.
                    if den > 0 and abs(num / den - rate_p.value) > rate_p.step / 2 + 1e-9:
                        low = int(rate_p.value * den)
                        checked.problems.append(err(
                            "ingest.err.rate_not_count", sheet=sheet, row=r, col=rate_c, value=_rate_shown(rate_p),
                            denominator=show_value(den), exact=f"{rate_p.value * den:.2f}".rstrip("0").rstrip("."),
                            low=low, low_rate=percent_text(low / den), high=low + 1,
                            high_rate=percent_text((low + 1) / den), indicator=info.name_zh,
                            num_label=spec_label(spec, f"{code}:num")))
                        continue
                    checked.problems.append(note("ingest.note.numerator_from_rate", sheet=sheet, row=r, col=rate_c,
                                                 value=_rate_shown(rate_p), numerator=int(num)))
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
                                                 computed=f"{percent(value)}%"))
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


def _rate_shown(p: Parsed) -> str:
    """The rate as the liaison typed it: its own number of decimals."""
    return percent_text(p.value or 0.0, max(1, round(-math.log10(p.step * 100))) if p.step else 1)


def percent_text(fraction: float, decimals: int = 1) -> str:
    return value_text(fraction, "ratio", "%", "zh", decimals)


def spec_label(spec: SheetSpec, key: str) -> str:
    return next((c.label_zh for c in spec.columns if c.key == key), key)


def _school_rows(session: Session, checked: Checked, parsed_rows: list, key_col: int | None) -> None:
    """Per-school sheet: kept as parsed rows; the room answer is compared with the service-point registry.
    An indicator reported per school is kept in the row as "indicator:<code>" and, when given, as a
    per-school figure to store."""
    spec = checked.spec
    sheet = checked.read.located.sheet  # type: ignore[union-attr]
    colmap = checked.read.located.colmap  # type: ignore[union-attr]
    # A per-school indicator whose column the sheet lacks (an older template) was reported at the header.
    per_school = [info for code, info in spec.indicators.items() if f"{code}:value" in colmap]
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
        figures = []
        for info in per_school:
            p, c = values.get(f"{info.code}:value", (Parsed(), None))
            bad = bad or bool(p.error)
            out[f"indicator:{info.code}"] = p.value
            if p.value is None and not p.error:
                checked.problems.append(warn("ingest.warn.blank", sheet=sheet, row=r, col=c, name=entity.name_zh,
                                             indicator=info.name_zh))
            elif p.value is not None:
                figures.append(dict(indicator_id=info.id, facility_id=entity.id, period_id=spec.period_id,
                                    value=p.value))
        if bad:
            continue
        checked.facility_observations += figures
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
            shown_new, shown_old = f"{percent(new)}%", f"{percent(prev)}%"
            key = f"{info.code}:num"
        else:
            jumped = abs(new - prev) >= JUMP_COUNT_MIN and (
                new > JUMP_COUNT_FACTOR * prev or new * JUMP_COUNT_FACTOR < prev)
            shown_new, shown_old = show_value(new), show_value(prev)
            key = f"{info.code}:value"
        if jumped:
            r, values = where[o["region_id"]]
            c = values.get(key, (None, None))[1]
            if c is None:  # a numerator computed from the rate: the rate's cell
                c = values.get(f"{info.code}:rate", (None, None))[1]
            checked.problems.append(warn("ingest.warn.jump", sheet=sheet, row=r, col=c, value=shown_new,
                                         previous=shown_old, indicator=info.name_zh, period=before.code))
