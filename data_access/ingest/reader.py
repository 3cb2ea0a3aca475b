"""Reading an uploaded workbook safely and tolerantly.

Safety first, before any parser sees the bytes: size limit, magic-byte sniffing (not the file name),
zip-bomb limits (total uncompressed size, compression ratio, member count), XML entity/DOCTYPE
refusal, and the extent of every sheet (a single cell at XFD1048576 makes calamine allocate the
whole dense range and abort the process, so the extent is read from the XML first). Macros in
.xlsm are never run: calamine reads cell values only, and formulas are never evaluated — a formula
cell without a cached value is reported.

Then tolerance: the data sheet may be any sheet; the header is found under title rows, over one or
two rows with merged cells; columns may come in any order with extra ones; names may be aliases.
"""
from __future__ import annotations

import io
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from typing import Any, Callable

import python_calamine as pc

from data_access.ingest import guards
from data_access.ingest.problems import Problem, err, note, show_value, warn
from data_access.ingest.quarter_names import (names_relative_period, parse_period_code, period_code, quarters_named,
                                              relation, with_year, years_named)
from data_access.ingest.spec import (CODE, COUNT, DEN, NAME, NUM, RATE, YESNO, Column, SheetSpec, norm,
                                     norm_label, place_keys)
from data_access.ingest.templates import LIST_SHEET, META_SHEET

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
HEADER_SCAN_ROWS = 30


@dataclass(frozen=True)
class Limits:
    max_bytes: int = int(float(os.environ.get("INGEST_MAX_MB", "20")) * 1024 * 1024)
    max_uncompressed: int = 200 * 1024 * 1024
    max_ratio: float = 200.0          # per member, for members over 1 MB uncompressed
    max_members: int = 2000
    max_rows: int = int(os.environ.get("INGEST_MAX_ROWS", "100000"))
    max_cols: int = 200
    max_sheets: int = 100
    max_merged_cells: int = 1_000_000   # openpyxl (the annotated copy) makes an object per merged cell


DEFAULT_LIMITS = Limits()


@dataclass
class Located:
    sheet: str
    rows: list[list[Any]]
    header_row: int                   # 0-based index of the last header row
    colmap: dict[str, int]            # column key -> 0-based column index
    columns: dict[str, Column]
    quarter: str = "none"             # what the sheet name or title says of the quarter chosen: match/other/mixed/none
    named_period: str | None = None   # the quarter they name ("2026Q2"), when they name one
    named_by: str = ""                # the sheet name or title that names it
    extra_cols: list[int] = field(default_factory=list)   # labelled columns that are none of ours
    other_scope: dict[int, str] = field(default_factory=dict)  # 讲座场次（本季度） where 年度累计 is asked


@dataclass
class ReadResult:
    format: str = ""                                   # xlsx / xlsm / xls
    meta: dict[str, str] = field(default_factory=dict)
    located: Located | None = None
    formula_cells: dict[str, set[str]] = field(default_factory=dict)   # sheet -> A1 refs without cached value
    error_cells: dict[str, dict[str, str]] = field(default_factory=dict)  # sheet -> A1 -> "#N/A" (calamine reads "")
    percent_cells: dict[str, set[str]] = field(default_factory=dict)   # sheet -> A1 refs of numbers shown as %
    hidden_cols: dict[str, set[int]] = field(default_factory=dict)     # sheet -> 0-based hidden columns
    hidden_rows: dict[str, set[int]] = field(default_factory=dict)     # sheet -> 0-based hidden rows
    heads: dict[str, list[list[Any]]] = field(default_factory=dict)    # sheet -> its top rows (merged cells filled)
    problems: list[Problem] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


# --- sniffing and guards ---------------------------------------------------------------------

def sniff(data: bytes) -> str:
    """'zip' / 'ole' / 'encrypted' / '' (not an Excel file), from the bytes only."""
    if data.startswith(ZIP_MAGIC):
        return "zip"
    if data.startswith(OLE_MAGIC):
        # A password-protected .xlsx is an OLE container with an EncryptionInfo stream.
        if "EncryptionInfo".encode("utf-16-le") in data[:65536 * 8] or \
                "EncryptedPackage".encode("utf-16-le") in data[:65536 * 8]:
            return "encrypted"
        return "ole"
    return ""


_SHEET_RE = re.compile(rb'<sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]+)"', re.S)
_SHEET_RE2 = re.compile(rb'<sheet\b[^>]*?r:id="([^"]+)"[^>]*?name="([^"]*)"', re.S)
_REL_RE = re.compile(rb'<Relationship\b[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', re.S)
_REL_RE2 = re.compile(rb'<Relationship\b[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', re.S)
_ANY_SHEET_RE = re.compile(rb"<(?:[\w.-]+:)?sheet[\s/>]")
_CELL_RE = re.compile(rb'<c\b([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_REF_RE = re.compile(rb'\br="([A-Z]+\d+)"')


def _unescape(raw: bytes) -> str:
    s = raw.decode("utf-8", "replace")
    return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")


def _check_zip(data: bytes, limits: Limits, result: ReadResult) -> dict[str, bytes] | None:
    """Zip-bomb and XML checks, by measuring (guards.py): every member inflated and counted, every
    XML part screened, every sheet's references against the limits. Returns sheet name -> worksheet
    XML for the formula check; None after reporting why the file is refused."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        result.problems.append(err("ingest.err.corrupt"))
        return None
    names = [i.filename for i in infos]
    if "xl/workbook.xml" not in names:
        result.problems.append(err("ingest.err.not_excel"))
        return None
    if len(set(names)) != len(names):  # two entries of one name: which one would a reader take?
        result.problems.append(err("ingest.err.corrupt"))
        return None
    declared = sum(i.file_size for i in infos)
    if len(infos) > limits.max_members or declared > limits.max_uncompressed or any(
            i.file_size > 1024 * 1024 and i.file_size > limits.max_ratio * max(1, i.compress_size) for i in infos):
        result.problems.append(err("ingest.err.zip_bomb", size_mb=round(declared / 1024 / 1024)))
        return None
    result.format = "xlsm" if "xl/vbaProject.bin" in names else "xlsx"
    if result.format == "xlsm":
        result.problems.append(note("ingest.note.macros_ignored"))
    try:
        inflated = guards.inflate_members(zf, limits.max_uncompressed, limits.max_ratio)
        for name, xml in inflated.parts.items():
            guards.check_xml_part(name, xml)
    except guards.Refusal as refusal:
        result.problems.append(refusal.problem)
        return None
    parts = inflated.parts
    # Part names as a lenient reader resolves them (case, backslashes, "/xl/..." or "xl/...").
    by_key = {_part_key(n): n for n in parts}
    wb_xml = parts.get(by_key.get(_part_key("xl/workbook.xml"), ""), b"")
    rels = parts.get(by_key.get(_part_key("xl/_rels/workbook.xml.rels"), ""), b"")
    targets = {a: b for a, b in _REL_RE.findall(rels)} | {b: a for a, b in _REL_RE2.findall(rels)}
    pairs = _SHEET_RE.findall(wb_xml) or [(n, r) for r, n in _SHEET_RE2.findall(wb_xml)]
    count = len(_ANY_SHEET_RE.findall(wb_xml))
    if count > limits.max_sheets:
        result.problems.append(err("ingest.err.too_many_sheets", count=count, max_sheets=limits.max_sheets))
        return None
    sheets: dict[str, bytes] = {}
    label: dict[str, str] = {}
    for name, rid in pairs:
        target = targets.get(rid, b"").decode("utf-8", "replace")
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        member = by_key.get(_part_key(path))
        if member is not None:
            sheets[_unescape(name)] = parts[member]
            label.setdefault(member, _unescape(name))
    # Every part holding cells is measured, named by the workbook or not.
    for member, xml in parts.items():
        if guards.SHEET_MARK not in xml:
            continue
        problem = _extent_problem(label.get(member, member), xml, limits)
        if problem is not None:
            result.problems.append(problem)
            return None
    return sheets


def _part_key(name: str) -> str:
    parts: list[str] = []
    for piece in name.replace("\\", "/").lower().split("/"):
        if piece in ("", "."):
            continue
        if piece == "..":
            if parts:
                parts.pop()
            continue
        parts.append(piece)
    return "/".join(parts)


def _extent(xml: bytes, limits: Limits = DEFAULT_LIMITS) -> guards.Extent:
    """How far the sheet's cell references reach: every <c r>, <row r>, <dimension ref> and merged
    range, and the positions of cells and rows written without r (guards.sheet_extent)."""
    return guards.sheet_extent(xml, limits.max_rows, limits.max_cols)


def _extent_problem(sheet: str, xml: bytes, limits: Limits) -> Problem | None:
    extent = _extent(xml, limits)
    if extent.rows > limits.max_rows or extent.cols > limits.max_cols:
        return err("ingest.err.sheet_too_large", sheet=sheet, rows=extent.rows, cols=extent.cols,
                   max_rows=limits.max_rows)
    if extent.merged_cells > limits.max_merged_cells:
        return err("ingest.err.merged_too_large", sheet=sheet, cells=extent.merged_cells,
                   max_cells=limits.max_merged_cells)
    return None


_T_ATTR = re.compile(rb'\bt="([A-Za-z]+)"')
_S_ATTR = re.compile(rb'\bs="(\d+)"')
_V_RE = re.compile(rb'<v>([^<]*)</v>')
_NUMFMT_RE = re.compile(rb'<numFmt\b[^>]*?numFmtId="(\d+)"[^>]*?formatCode="([^"]*)"')
_CELLXFS_RE = re.compile(rb'<cellXfs\b[^>]*>(.*?)</cellXfs>', re.S)
_XF_RE = re.compile(rb'<xf\b([^>]*)')
_NUMFMT_ID_RE = re.compile(rb'numFmtId="(\d+)"')
_BUILTIN_PERCENT = {9, 10}


def percent_styles(data: bytes) -> frozenset[int]:
    """Cell styles that show a number as a percentage: "100%" typed into a cell is stored as 1 with
    such a style, so a count column must know (read after the zip guards have passed)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            if zf.getinfo("xl/styles.xml").file_size > 8 * 1024 * 1024:
                return frozenset()
            xml = zf.read("xl/styles.xml")
    except (KeyError, zipfile.BadZipFile, OSError, RuntimeError, ValueError):
        return frozenset()
    ids = _BUILTIN_PERCENT | {int(i) for i, code in _NUMFMT_RE.findall(xml) if b"%" in code}
    block = _CELLXFS_RE.search(xml)
    if not block:
        return frozenset()
    out = set()
    for i, attrs in enumerate(_XF_RE.findall(block.group(1))):
        found = _NUMFMT_ID_RE.search(attrs)
        if found and int(found.group(1)) in ids:
            out.add(i)
    return frozenset(out)


def _cell_flags(sheet: str, xml: bytes, percent: frozenset[int], result: ReadResult) -> None:
    """What calamine does not say about a cell: a formula without a saved result (a formula whose
    saved result is the empty string, IFERROR(...,""), is a blank), an error value (#N/A, read as ""),
    a number shown as a percentage."""
    has_formula = b"<f>" in xml or b"<f " in xml
    if not (has_formula or b't="e"' in xml or percent):
        return
    formulas: set[str] = set()
    errors: dict[str, str] = {}
    percents: set[str] = set()
    for attrs, body in _CELL_RE.findall(xml):
        ref = _REF_RE.search(attrs)
        if not ref:
            continue
        t = _T_ATTR.search(attrs)
        kind = t.group(1) if t else b"n"
        value = _V_RE.search(body) if body else None
        if kind == b"e":
            errors[ref.group(1).decode()] = _unescape(value.group(1)) if value else "#VALUE!"
        elif body and (b"<f>" in body or b"<f " in body) and (value is None or not value.group(1)):
            if kind not in (b"str", b"s", b"inlineStr"):
                formulas.add(ref.group(1).decode())
        elif percent and kind == b"n" and value is not None and value.group(1):
            style = _S_ATTR.search(attrs)
            if style and int(style.group(1)) in percent:
                percents.add(ref.group(1).decode())
    if formulas:
        result.formula_cells[sheet] = formulas
    if errors:
        result.error_cells[sheet] = errors
    if percents:
        result.percent_cells[sheet] = percents


_COL_TAG = re.compile(rb"<(?:[\w.-]+:)?col\b([^>]*)>")
_ROW_TAG = re.compile(rb"<(?:[\w.-]+:)?row\b([^>]*)>")
_HIDDEN = re.compile(rb'\bhidden="(?:1|true)"')
_MIN_MAX = re.compile(rb'\bmin="(\d+)"[^>]*?\bmax="(\d+)"|\bmax="(\d+)"[^>]*?\bmin="(\d+)"')
_ROW_R = re.compile(rb'\br="(\d+)"')


def _hidden(sheet: str, xml: bytes, result: ReadResult, limits: Limits) -> None:
    """Hidden columns and rows (the sheet's extent is already within the limits): what the liaison
    does not see -- last quarter's column kept beside this one, a row put away -- decides nothing
    against what they see."""
    if b'hidden="' not in xml:
        return
    cols: set[int] = set()
    for attrs in _COL_TAG.findall(xml):
        span = _MIN_MAX.search(attrs)
        if span and _HIDDEN.search(attrs):
            lo, hi = (span.group(1), span.group(2)) if span.group(1) else (span.group(4), span.group(3))
            cols.update(range(int(lo) - 1, min(int(hi), limits.max_cols)))
    rows = {int(r.group(1)) - 1 for attrs in _ROW_TAG.findall(xml)
            if _HIDDEN.search(attrs) and (r := _ROW_R.search(attrs))}
    if cols:
        result.hidden_cols[sheet] = cols
    if rows:
        result.hidden_rows[sheet] = rows


def open_workbook(data: bytes, limits: Limits = DEFAULT_LIMITS) -> tuple[pc.CalamineWorkbook | None, ReadResult]:
    """Guards, then calamine. Problems in result; workbook None when the file is refused."""
    result = ReadResult()
    if not data:
        result.problems.append(err("ingest.err.empty_file"))
        return None, result
    if len(data) > limits.max_bytes:
        result.problems.append(err("ingest.err.too_big", size_mb=round(len(data) / 1024 / 1024, 1),
                                   max_mb=round(limits.max_bytes / 1024 / 1024)))
        return None, result
    kind = sniff(data)
    if kind == "encrypted":
        result.problems.append(err("ingest.err.password"))
        return None, result
    if not kind:
        result.problems.append(err("ingest.err.not_excel"))
        return None, result
    if kind == "zip":
        parts = _check_zip(data, limits, result)
        if parts is None:
            return None, result
        styles = percent_styles(data)
        for sheet, xml in parts.items():
            _cell_flags(sheet, xml, styles, result)
            _hidden(sheet, xml, result, limits)
    else:
        result.format = "xls"
        try:
            extents = guards.biff_extents(data, limits.max_uncompressed)
        except guards.Refusal as refusal:
            result.problems.append(refusal.problem)
            return None, result
        if len(extents) > limits.max_sheets:
            result.problems.append(err("ingest.err.too_many_sheets", count=len(extents), max_sheets=limits.max_sheets))
            return None, result
        for sheet, extent in extents.items():
            if extent.rows > limits.max_rows or extent.cols > limits.max_cols:
                result.problems.append(err("ingest.err.sheet_too_large", sheet=sheet, rows=extent.rows,
                                           cols=extent.cols, max_rows=limits.max_rows))
                return None, result
    try:
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except pc.PasswordError:
        result.problems.append(err("ingest.err.password"))
        return None, result
    except (pc.XmlError,) as exc:
        key = "ingest.err.xml_entities" if "entit" in str(exc).lower() or "doctype" in str(exc).lower() \
            else "ingest.err.corrupt"
        result.problems.append(err(key))
        return None, result
    except BaseException as exc:  # calamine's errors for a damaged file are many; all mean the same to a liaison
        if not _is_parser_failure(exc):
            raise
        result.problems.append(err("ingest.err.corrupt"))
        return None, result
    if len(wb.sheets_metadata) > limits.max_sheets:  # .xls, or sheets the zip scan did not recognise
        result.problems.append(err("ingest.err.too_many_sheets", count=len(wb.sheets_metadata),
                                   max_sheets=limits.max_sheets))
        wb.close()
        return None, result
    return wb, result


def _is_parser_failure(exc: BaseException) -> bool:
    """calamine's errors, including a Rust panic (pyo3's PanicException derives from BaseException,
    so `except Exception` lets a damaged file through as a crash). Not MemoryError: the sandbox
    reports that as what it is."""
    if isinstance(exc, MemoryError):
        return False
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def _sheet_rows(wb: pc.CalamineWorkbook, name: str, limits: Limits, result: ReadResult
                ) -> tuple[list[list[Any]], list | None] | None:
    """(rows from A1, merged ranges) of one sheet, or None after reporting why not."""
    try:
        sheet = wb.get_sheet_by_name(name)
    except BaseException as exc:
        if not _is_parser_failure(exc):
            raise
        result.problems.append(err("ingest.err.corrupt"))
        return None
    height, width = sheet.total_height, sheet.total_width
    if height > limits.max_rows or width > limits.max_cols:
        result.problems.append(err("ingest.err.sheet_too_large", sheet=name, rows=height, cols=width,
                                   max_rows=limits.max_rows))
        return None
    try:
        merged = sheet.merged_cell_ranges
    except Exception:  # .xls and older formats may not expose them
        merged = None
    return sheet.to_python(skip_empty_area=False), merged


def read_meta(wb: pc.CalamineWorkbook) -> dict[str, str]:
    if META_SHEET not in wb.sheet_names:
        return {}
    try:
        rows = wb.get_sheet_by_name(META_SHEET).to_python()
    except Exception:
        return {}
    return {str(r[0]).strip(): show_value(r[1]).strip() for r in rows if len(r) >= 2 and r[0] not in (None, "")}


# --- locating the header -------------------------------------------------------------------------

# Headers county offices give the name and code columns besides the template's own labels.
ROLE_WORDS = {
    NAME: ("名称", "单位", "单位名称", "地区", "地区名称", "区域", "辖区", "乡镇", "乡镇名称", "乡镇街道", "乡镇街道名称",
           "镇街", "镇街名称", "镇", "街道", "乡镇场", "行政区划名称", "区划名称", "村", "村名称", "村社区", "社区",
           "村社区名称", "村名"),
    CODE: ("代码", "编码", "区划代码", "区划编码", "行政区划代码", "行政区划编码", "统计用区划代码", "乡镇代码",
           "单位代码", "code"),
}
# How well a header names a column: as written, brackets and all (讲座场次（年度累计）); the same without
# its brackets (在册患者数（人）); containing the name (一、在册患者数). A header naming the quarter adds 1.
AS_WRITTEN, EXACT, CONTAINS = 6, 4, 2


class _LabelIndex:
    def __init__(self, columns: list[Column]) -> None:
        self.columns = {c.key: c for c in columns}
        self.exact: dict[str, list[str]] = {}
        self.written: dict[str, list[str]] = {}
        for c in columns:
            for label in (c.label_zh, c.label_en, *c.aliases):
                self._add(norm_label(label), c.key)
                if label and norm(label) != norm_label(label):
                    self.written.setdefault(norm(label), []).append(c.key)
            if c.group_zh and c.role in (NUM, DEN):
                self._add(norm_label(c.group_zh + c.label_zh), c.key)
        # Synonyms only where no column of the sheet uses the word already (a school sheet's 乡镇 is
        # its township column, not the name).
        for c in columns:
            for word in ROLE_WORDS.get(c.role, ()):
                if norm_label(word) not in self.exact:
                    self.exact[norm_label(word)] = [c.key]
        self.by_length = sorted(self.exact, key=len, reverse=True)

    def _add(self, label: str, key: str) -> None:
        if label:
            keys = self.exact.setdefault(label, [])
            if key not in keys:
                keys.append(key)

    def match(self, text: str, top: str, written: str = "") -> tuple[list[str], int]:
        """(column keys, AS_WRITTEN / EXACT / CONTAINS) a header text names; `written` is the text
        before brackets were dropped."""
        if not text:
            return [], 0
        if written and written in self.written:
            return self.written[written], AS_WRITTEN
        found, quality = self.exact.get(text), EXACT
        if not found:
            # "规范管理患者数（截至季末）" or "一、在册患者数": the longest label the text ends with or contains.
            quality = CONTAINS
            for label in self.by_length:
                if len(label) >= 3 and (text.endswith(label) or label in text):
                    found = self.exact[label]
                    break
        if not found:
            return [], 0
        if len(found) > 1 and top:
            same_group = [k for k in found if norm_label(self.columns[k].group_zh) == top]
            if same_group:
                return same_group, quality
        return found, quality


class _Continued(str):
    """A merged cell's text copied to the right of where it was written: one label over several
    columns (乡镇名称 over A:B), so the columns it covers are not all that column."""


def _merged_fill(rows: list[list[Any]], merged: list | None) -> list[list[Any]]:
    """Header rows with each merged range's value copied into all its cells (only the top rows)."""
    top = [list(r) for r in rows[:HEADER_SCAN_ROWS + 1]]
    for (r0, c0), (r1, c1) in merged or []:
        if r0 >= len(top) or c0 >= len(top[r0]):
            continue
        value = top[r0][c0]
        for r in range(r0, min(r1, len(top) - 1) + 1):
            for c in range(c0, min(c1, len(top[r]) - 1) + 1):
                if top[r][c] in (None, ""):
                    top[r][c] = _Continued(value) if c > c0 and isinstance(value, str) else value
    return top


@dataclass
class _Header:
    """What row r would give as the (last) header row."""

    score: int
    row: int
    colmap: dict[str, int]
    extras: list[int]                 # labelled columns the sheet does not have: ignored
    duplicates: list[int]             # a second column as exactly named as the one used
    own: int                          # matched columns with a label in this row (not only above)
    other_period: list[int] = field(default_factory=list)   # 上季度…, 二季度… when reading the third
    similar: list[int] = field(default_factory=list)        # 上季度在册患者数 beside 在册患者数
    hidden_same: list[int] = field(default_factory=list)    # a hidden column named as a visible one used
    other_scope: dict[int, str] = field(default_factory=dict)  # column -> key it names, over another scope


def _is_group_row(row: list[Any]) -> bool:
    """The row above a header is a group row (indicators over their columns) when it has several
    different labels; one value across the table is a title."""
    return len({norm(v) for v in row if v not in (None, "")}) > 1


def _score_header(top: list[list[Any]], r: int, index: _LabelIndex,
                  target: tuple[int, int] | None = None, hidden: set[int] | frozenset[int] = frozenset()
                  ) -> _Header:
    """Columns matched if row r is the (last) header row; a two-row header uses row r-1 as context and
    as the label where row r is empty (vertically merged code/name cells). The exact header wins over
    one that only contains it; with a target quarter, a header naming another period is not used."""
    row = top[r]
    above = top[r - 1] if r > 0 else []
    group_row = _is_group_row(above)
    found: list[tuple[int, int, list[str], bool]] = []
    extras: list[int] = []
    other_period: list[int] = []
    other_scope: dict[int, str] = {}
    for c, cell in enumerate(row):
        up_cell = above[c] if c < len(above) else None
        if isinstance(cell, _Continued) and not group_row:
            continue  # the label belongs to the column it was written in
        bottom = norm_label(cell) if cell not in (None, "") else ""
        upper = norm_label(up_cell) if up_cell not in (None, "") else ""
        text = bottom or upper
        if not text:
            continue
        keys, quality = index.match(text, upper if bottom else "", norm(cell) if bottom else "")
        if not keys and bottom and upper:
            keys = index.exact.get(upper + bottom, [])  # "在册" over "患者数": exact only
            quality = EXACT
        if not keys:
            if bottom and not isinstance(cell, (int, float)):
                extras.append(c)
            continue
        scope = scope_of(" ".join(v for v in (cell if bottom else None, up_cell) if isinstance(v, str)))
        if scope and all(scope_of(index.columns[k].label_zh) not in (None, scope) for k in keys):
            # 讲座场次（本季度） where the template asks 讲座场次（年度累计）: another figure, not that one.
            other_scope[c] = keys[0]
            continue
        if target is not None:
            said = " ".join(show_value(v) for v in (cell if bottom else None, up_cell if group_row or not bottom
                                                    else None) if isinstance(v, str))
            named = relation(quarters_named(said), *target)
            if named in ("other", "mixed") or names_relative_period(said):
                other_period.append(c)
                continue
            quality += named == "match"
        found.append((quality, c, keys, bool(bottom)))
    colmap: dict[str, int] = {}
    quality_of: dict[str, int] = {}
    duplicates, similar = [], []
    own = 0
    hidden_same: list[int] = []
    # A visible column before a hidden one of the same name: the hidden one (last quarter's, put away)
    # is not what the liaison sees and sends.
    for quality, c, keys, has_bottom in sorted(found, key=lambda f: (-f[0], f[1] in hidden, f[1])):
        free = [k for k in keys if k not in colmap]
        if free:
            colmap[free[0]] = c
            quality_of[free[0]] = quality
            own += has_bottom
        elif c in hidden and all(colmap[k] not in hidden for k in keys if k in colmap):
            hidden_same.append(c)
        elif any(quality_of[k] == quality for k in keys):
            duplicates.append(c)
        else:
            similar.append(c)
    return _Header(len(colmap), r, colmap, extras, sorted(duplicates), own, other_period, sorted(similar),
                   sorted(hidden_same), other_scope)


def locate(wb: pc.CalamineWorkbook, spec: SheetSpec, result: ReadResult, limits: Limits = DEFAULT_LIMITS) -> None:
    """Pick the sheet and header row that best match the department's columns, for the quarter chosen."""
    def places() -> frozenset[str]:  # only a workbook with several candidate sheets asks
        return frozenset(k for e in spec.entities for k in (norm(e.code), *place_keys(e.name_zh),
                                                            *(k for a in e.aliases for k in place_keys(a))))
    sheet_found = locate_columns(wb, spec.columns, spec.department_name_zh, result, limits, period=spec.period_code,
                                 places=places)
    if sheet_found is None:
        return
    sheet, r, colmap = sheet_found
    loc = result.located
    assert loc is not None
    missing: dict[str, list[Column]] = {}
    for col in spec.columns:
        if not col.in_template or col.role not in (NUM, DEN, COUNT, YESNO) or col.key in colmap:
            continue
        if col.role == NUM and f"{col.indicator}:rate" in colmap:
            continue  # a rate and a denominator give the numerator
        missing.setdefault(col.indicator or col.key, []).append(col)
    ours = [c for c in spec.columns if c.role in (NUM, DEN, COUNT, RATE, YESNO) and c.key in colmap]
    # An indicator none of whose columns is in the file (a correction of one indicator) is simply not
    # given: its figures are kept. Not so when a column we do not know holds figures -- perhaps it under
    # a misspelt header -- nor when nothing of ours is there at all (another department's sheet).
    unknown_figures = [c for c in loc.extra_cols if _column_has_numbers(loc.rows, r, c)]
    absent: list[Column] = []
    # A column of ours asked over one period scope and given over another (本季度 for 年度累计): that
    # figure is not in the file, and the one that is must not be taken for it.
    scoped = {key: c for c, key in loc.other_scope.items() if key not in colmap}
    for key, c in scoped.items():
        col = loc.columns[key]
        result.problems.append(err("ingest.err.other_period_figure", sheet=sheet, row=r, col=c,
                                   value=show_value(loc.rows[r][c]) if c < len(loc.rows[r]) else "",
                                   column_label=col.label_zh))
    missing = {g: [c for c in cols if c.key not in scoped] for g, cols in missing.items()}
    missing = {g: cols for g, cols in missing.items() if cols}
    for group, cols in missing.items():
        whole = not any(c.key in colmap for c in spec.columns if (c.indicator or c.key) == group)
        if whole and ours and not unknown_figures:
            label = spec.indicators[group].name_zh if group in spec.indicators else cols[0].label_zh
            result.problems.append(warn("ingest.warn.indicator_not_in_file", sheet=sheet, row=r, indicator=label))
            continue
        absent.extend(cols)
    # One wrong header (建档人数 typed over 常住人口) makes a duplicate AND a missing column: one problem,
    # at the header, saying what it should be.
    duplicates = [p for p in result.problems if p.key == "ingest.err.duplicate_column"]
    for dup, col in zip(duplicates, list(absent)):
        result.problems[result.problems.index(dup)] = err(
            "ingest.err.header_instead_of", sheet=dup.sheet, row=dup.row, col=dup.col, value=dup.value,
            column_label=col.label_zh)
        absent.remove(col)
    for col in absent:
        result.problems.append(err("ingest.err.missing_column", sheet=sheet, row=r, column_label=col.label_zh))


def _column_has_numbers(rows: list[list[Any]], header_row: int, c: int) -> bool:
    for row in rows[header_row + 1:]:
        if c < len(row) and not isinstance(row[c], bool) and (
                isinstance(row[c], (int, float)) or parse_number(row[c]).value is not None):
            return True
    return False


@dataclass
class _Candidate:
    sheet: str
    rows: list[list[Any]]
    header: _Header
    named: set[tuple[int | None, int]]
    named_by: str
    relation: str = "none"
    visible: bool = True
    merged: list = field(default_factory=list)


def _fill_merged_places(rows: list[list[Any]], merged: list, header_row: int, place_cols: list[int]) -> None:
    """A place written once in a cell merged over several rows (城关镇 over its 城区 and 农村 rows) names
    each of them -- as the liaison sees it -- not only the first: every row below says 城关镇, so two
    rows of one place are refused as such, not as figures without a name. Only the code and name
    columns: a figure merged over rows is one figure, never copied."""
    for (r0, c0), (r1, c1) in merged:
        if r1 <= r0 or r0 <= header_row or r0 >= len(rows):
            continue
        for c in place_cols:
            if not c0 <= c <= c1 or c >= len(rows[r0]):
                continue
            value = rows[r0][c]
            if value in (None, ""):
                continue
            for rr in range(r0 + 1, min(r1, len(rows) - 1) + 1):
                if c < len(rows[rr]) and rows[rr][c] in (None, ""):
                    rows[rr][c] = value


def _title_text(rows: list[list[Any]], header: _Header) -> str:
    """The text above the header block (a group row over the columns is not a title)."""
    end = header.row
    if end > 0 and _is_group_row(rows[end - 1]):
        end -= 1
    return " ".join(v for r in rows[:end] for v in r if isinstance(v, str) and v.strip() and not isinstance(v, _Continued))


def _has_figures(cand: _Candidate, value_keys: set[str]) -> bool:
    cols = [c for k, c in cand.header.colmap.items() if k in value_keys]
    for row in cand.rows[cand.header.row + 1:]:
        for c in cols:
            if c < len(row) and row[c] not in (None, "") and not (isinstance(row[c], str) and not row[c].strip()):
                return True
    return False


def _sheets_said(cands: list[_Candidate], year: int) -> str:
    """"一季度（2026Q1）、二季度" for a message."""
    out = []
    for c in cands:
        code = period_code(c.named, year)
        out.append(f"“{c.sheet}”（{code}）" if code else f"“{c.sheet}”")
    return "、".join(out)


def locate_columns(wb: pc.CalamineWorkbook, columns: list[Column], title_zh: str, result: ReadResult,
                   limits: Limits = DEFAULT_LIMITS, period: str | None = None,
                   places: Callable[[], frozenset[str]] | None = None) -> tuple[str, int, dict[str, int]] | None:
    """The sheet and header row that best match `columns` (any sheet, under title rows, one or two
    header rows): sets result.located and returns (sheet, header row, column map), or None after
    reporting why not. Shared by the quarterly sheets and the reference-data imports.

    With a quarter (period "2026Q3"), a workbook with several sheets of the same form (a yearly
    workbook, last quarter's sheet kept beside this one) is read from the sheet whose name -- else
    whose title -- names that quarter; when nothing decides, the file is refused with the sheets listed."""
    index = _LabelIndex(columns)
    target = parse_period_code(period) if period else None
    meta_names = {META_SHEET, LIST_SHEET}
    cands: list[_Candidate] = []
    for meta in wb.sheets_metadata:
        if meta.name in meta_names or meta.typ != pc.SheetTypeEnum.WorkSheet:
            continue
        loaded = _sheet_rows(wb, meta.name, limits, result)
        if loaded is None:
            return None
        rows, merged = loaded
        top = _merged_fill(rows, merged)
        result.heads[meta.name] = top[:HEADER_SCAN_ROWS]
        best: _Header | None = None
        for r in range(min(HEADER_SCAN_ROWS, len(top))):
            h = _score_header(top, r, index, target, result.hidden_cols.get(meta.name, frozenset()))
            # A later row must match strictly more -- a blank first data row "repeats" the header above
            # it -- unless it is the second row of a two-row header, with labels of its own.
            if h.score and (best is None or h.score > best.score or (h.score == best.score and h.own
                                                                      and r == best.row + 1)):
                best = h
        if best is not None and best.score >= 2:
            named, named_by = quarters_named(meta.name), meta.name
            title = _title_text(top, best)
            if not named:  # the sheet name says nothing: the title rows may
                named, named_by = quarters_named(title), title[:60]
            else:  # 三季度 of a workbook titled 2025年…
                named = with_year(named, years_named(title))
            cands.append(_Candidate(meta.name, rows, best, named, named_by,
                                    visible=meta.visible == pc.SheetVisibleEnum.Visible, merged=merged or []))
    if not cands:
        across = _transposed(result.heads, index)
        if across is not None:
            result.problems.append(across)
        else:
            result.problems.append(err("ingest.err.no_header", department=title_zh))
        return None
    if target is None:
        chosen = max(cands, key=lambda c: c.header.score)  # max() keeps the first of equals
    else:
        chosen = _choose_for_quarter(cands, columns, target, result, places)
        if chosen is None:
            return None
    h = chosen.header
    sheet, r, rows = chosen.sheet, h.row, chosen.rows
    _fill_merged_places(rows, chosen.merged, r, [h.colmap[k] for k in (CODE, NAME) if k in h.colmap])
    result.located = Located(sheet, rows, r, h.colmap, {c.key: c for c in columns}, chosen.relation,
                             period_code(chosen.named, target[0]) if target else None, chosen.named_by, h.extras,
                             h.other_scope)
    header = rows[r]
    above = rows[r - 1] if r else []

    def label(c: int) -> str:
        return show_value(header[c]) if c < len(header) and header[c] not in (None, "") else \
            show_value(above[c]) if c < len(above) else ""

    for c in h.extras:
        result.problems.append(note("ingest.note.extra_column", sheet=sheet, row=r, col=c, value=label(c)))
    for c in [*h.other_period, *(c for c, k in h.other_scope.items() if k in h.colmap)]:
        result.problems.append(note("ingest.note.other_period_column", sheet=sheet, row=r, col=c, value=label(c)))
    for c in h.similar:
        result.problems.append(note("ingest.note.similar_column", sheet=sheet, row=r, col=c, value=label(c)))
    for c in h.hidden_same:
        result.problems.append(note("ingest.note.hidden_column", sheet=sheet, row=r, col=c, value=label(c)))
    for c in h.duplicates:
        result.problems.append(err("ingest.err.duplicate_column", sheet=sheet, row=r, col=c, value=label(c)))
    if not any(c.role in (CODE, NAME) and c.key in h.colmap for c in columns):
        name_label = next(c.label_zh for c in columns if c.role == NAME)
        result.problems.append(err("ingest.err.missing_column", sheet=sheet, row=r, column_label=name_label))
    return sheet, r, h.colmap


# Period scopes a column's label may declare: a count over the year so far, or over the quarter.
_CUMULATIVE = ("累计", "截至", "截止", "全年", "本年", "年度", "1-")
_QUARTERLY = ("本季度", "本季", "当季", "季度", "本期", "当期")


def scope_of(text: str) -> str | None:
    """"cumulative" / "quarter" / None: what period a header's figures cover, as far as it says."""
    n = norm(text)
    if not n:
        return None
    if any(w in n for w in _CUMULATIVE):
        return "cumulative"
    if any(w in n for w in _QUARTERLY):
        return "quarter"
    return None


def _transposed(heads: dict[str, list[list[Any]]], index: _LabelIndex) -> Problem | None:
    """A sheet whose column labels run down a column (townships across, indicators down: 选择性粘贴→
    转置): said as what it is, at the first label, instead of "no header"."""
    value_keys = {k for k, c in index.columns.items() if c.role in (NUM, DEN, COUNT, RATE, YESNO)}
    for sheet, top in heads.items():
        width = max((len(row) for row in top), default=0)
        for c in range(min(width, 5)):
            hits: dict[str, int] = {}
            for r, row in enumerate(top):
                cell = row[c] if c < len(row) else None
                if isinstance(cell, str) and cell.strip():
                    keys, _ = index.match(norm_label(cell), "", norm(cell))
                    for k in keys[:1]:
                        if k in value_keys:
                            hits.setdefault(k, r)
            if len(hits) >= 2:
                r = min(hits.values())
                return err("ingest.err.transposed", sheet=sheet, row=r, col=c, value=show_value(top[r][c]),
                           count=len(hits))
    return None


def _rows_are_places(cand: _Candidate, places: frozenset[str]) -> bool:
    """Most of the sheet's row labels are the sheet's places (codes or names as written)."""
    cols = [cand.header.colmap[k] for k in (CODE, NAME) if k in cand.header.colmap]
    labels = [norm(row[c]) for row in cand.rows[cand.header.row + 1:] for c in cols[:1]
              if c < len(row) and not _blank_cell(row[c])]
    return bool(labels) and 2 * sum(label in places for label in labels) >= len(labels)


def _blank_cell(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, str) and not value.strip())


def _choose_for_quarter(cands: list[_Candidate], columns: list[Column], target: tuple[int, int],
                        result: ReadResult, places: Callable[[], frozenset[str]] | None = None
                        ) -> _Candidate | None:
    """The one sheet of the quarter, or None after refusing with the candidate sheets listed."""
    year, quarter = target
    value_keys = {c.key for c in columns if c.role in (NUM, DEN, COUNT, RATE, YESNO)}
    forms = [c for c in cands if any(k in value_keys for k in c.header.colmap)] or cands
    # A hidden sheet (last quarter's, put away) is not what the liaison sees and sends.
    forms = [c for c in forms if c.visible] or forms
    for c in forms:
        c.relation = relation(c.named, year, quarter)
    if len(forms) == 1:
        return forms[0]
    filled = [c for c in forms if _has_figures(c, value_keys)] or forms
    if len(filled) > 1 and places is not None:
        # A sheet of villages or of units beside the townships' (明细 beside 汇总) is not this sheet.
        known = places()
        fitting = [c for c in filled if _rows_are_places(c, known)]
        filled = fitting or filled
    ours = [c for c in filled if c.relation == "match"]
    if len(ours) == 1 or len(filled) == 1:
        chosen = ours[0] if len(ours) == 1 else filled[0]
        others = [c for c in forms if c is not chosen]
        result.problems.append(note("ingest.note.sheets_not_read", sheet=chosen.sheet,
                                    sheets=_sheets_said(others, year), count=len(others)))
        return chosen
    if not ours and all(c.relation in ("other", "mixed") for c in filled):
        result.problems.append(err("ingest.err.no_sheet_for_quarter", sheets=_sheets_said(filled, year),
                                   year=year, quarter=quarter))
    else:
        result.problems.append(err("ingest.err.several_sheets", sheets=_sheets_said(ours or filled, year),
                                   count=len(ours or filled), year=year, quarter=quarter))
    return None


def header_labels(columns: list[Column]) -> frozenset[str]:
    """Every header text (normalised) that names one of `columns`: a data row made of them is the
    header again (printed on every page, or above a pasted list)."""
    return frozenset(_LabelIndex(columns).exact)


def header_matches(heads: dict[str, list[list[Any]]], columns: list[Column]) -> tuple[int, int]:
    """(value columns, all columns) the best header row among `heads` matches: how well another
    department's sheet explains a file."""
    index = _LabelIndex(columns)
    value_keys = {c.key for c in columns if c.role in (NUM, DEN, COUNT, RATE, YESNO)}
    best = (0, 0)
    for top in heads.values():
        for r in range(len(top)):
            h = _score_header(top, r, index)
            best = max(best, (sum(k in value_keys for k in h.colmap), h.score))
    return best


def xls_error_cells(data: bytes, result: ReadResult) -> None:
    """Error values and numbers shown as percentages of an old .xls (the zip formats are scanned in
    _cell_flags): "100%" typed into a count cell is stored as 1 with a percent format, in BIFF as in
    .xlsx. Runs after the guards and calamine have read the file; a file xlrd cannot read gives no
    flags (calamine's reading stands)."""
    import xlrd  # only .xls needs it

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True, formatting_info=True, logfile=io.StringIO())
    except Exception:  # xlrd's errors for an odd file are many; calamine already read it
        try:  # formatting records it cannot parse: the error values still count
            book = xlrd.open_workbook(file_contents=data, on_demand=True, logfile=io.StringIO())
        except Exception:
            return
    percent_xf = _xls_percent_xfs(book)
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            found: dict[str, str] = {}
            percents: set[str] = set()
            for r in range(sheet.nrows):
                types = sheet.row_types(r)
                if xlrd.XL_CELL_ERROR not in types and not (percent_xf and xlrd.XL_CELL_NUMBER in types):
                    continue
                for c, kind in enumerate(types):
                    if kind == xlrd.XL_CELL_ERROR:
                        code = sheet.cell_value(r, c)
                        found[f"{_col_letters(c)}{r + 1}"] = xlrd.error_text_from_code.get(code, "#VALUE!")
                    elif kind == xlrd.XL_CELL_NUMBER and percent_xf and sheet.cell_xf_index(r, c) in percent_xf:
                        percents.add(f"{_col_letters(c)}{r + 1}")
            if found:
                result.error_cells[sheet.name] = found
            if percents:
                result.percent_cells[sheet.name] = percents
            hidden_cols = {c for c, info in getattr(sheet, "colinfo_map", {}).items() if info.hidden}
            hidden_rows = {r for r, info in getattr(sheet, "rowinfo_map", {}).items() if info.hidden}
            if hidden_cols:
                result.hidden_cols[sheet.name] = hidden_cols
            if hidden_rows:
                result.hidden_rows[sheet.name] = hidden_rows
            book.unload_sheet(index)
    except Exception:  # a damaged stream part-way: keep what was found
        return
    finally:
        book.release_resources()


def _xls_percent_xfs(book: Any) -> frozenset[int]:
    """The cell formats (XF indexes) of a .xls that show a number as a percentage."""
    try:
        formats = {key: fmt for key, fmt in book.format_map.items() if "%" in (fmt.format_str or "")}
        return frozenset(i for i, xf in enumerate(book.xf_list) if xf.format_key in formats)
    except Exception:  # no formatting records read
        return frozenset()


def _col_letters(c: int) -> str:
    out = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        out = chr(65 + rem) + out
    return out


def read(data: bytes, spec: SheetSpec, limits: Limits = DEFAULT_LIMITS) -> ReadResult:
    wb, result = open_workbook(data, limits)
    if wb is None:
        return result
    if result.format == "xls":
        xls_error_cells(data, result)
    try:
        result.meta = read_meta(wb)
        locate(wb, spec, result, limits)
    finally:
        wb.close()
    return result


# --- cell values -----------------------------------------------------------------------------

# Words and marks offices put where a figure belongs. None is read as blank: 无 may mean zero and "—"
# may mean zero or "no data", and a wrong guess is a wrong figure; the liaison is asked instead.
_NONE_WORDS = {"无", "没有", "零", "无数据"}
_DASH_WORDS = {"-", "—", "——", "--", "---", "－", "–", "―", "/", "／", "//", "\\", "、", "…", "...", "·", "空",
               "暂无", "不详", "未统计", "n/a", "na", "null", "none", "nil", "x", "×"}
_EXCEL_ERRORS = {"#N/A": "ingest.err.excel_na", "#DIV/0!": "ingest.err.excel_div0", "#VALUE!": "ingest.err.excel_value",
                 "#REF!": "ingest.err.excel_ref", "#NAME?": "ingest.err.excel_error", "#NUM!": "ingest.err.excel_error",
                 "#NULL!": "ingest.err.excel_error", "#SPILL!": "ingest.err.excel_error",
                 "#CALC!": "ingest.err.excel_error", "#GETTING_DATA": "ingest.err.excel_error"}


def excel_error_key(text: str) -> str | None:
    """The problem key for an Excel error value (#N/A, #DIV/0! ...), or None."""
    s = unicodedata.normalize("NFKC", text).strip().upper()
    if not s.startswith("#"):
        return None
    return _EXCEL_ERRORS.get(s) or ("ingest.err.excel_error" if re.fullmatch(r"#[A-Z/0!?_]+", s) else None)


def placeholder_key(text: str) -> str | None:
    """The problem key for a word or mark standing where a figure belongs, or None."""
    s = unicodedata.normalize("NFKC", text).strip().replace(" ", "").lower()
    if s in _NONE_WORDS:
        return "ingest.err.text_none"
    if s in _DASH_WORDS or (s and set(s) <= set("-—–―/\\_.·…")):
        return "ingest.err.text_dash"
    return excel_error_key(s)
_UNIT = re.compile(r"(人次|场次|人|件|场|个|名|户|所|家|次|例)$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?%?$")
_YES = {"是", "有", "已设置", "已建", "yes", "y", "1", "√", "✓", "true"}
_NO = {"否", "无", "没有", "未设置", "未建", "no", "n", "0", "×", "✗", "false"}


@dataclass
class Parsed:
    value: float | None = None
    notes: tuple[str, ...] = ()
    error: str | None = None
    percent: bool = False
    step: float = 0.0          # a rate: the unit of its last digit as typed (56.3 % -> 0.001), 0 = exact


def _typed_step(raw: Any, percent: bool) -> float:
    """The unit of the last digit of a number as it was typed, as a fraction when `percent` (the
    number is in percent): 56.3 -> 0.001, "56%" -> 0.01, 0.563 -> 0.001. A computed float (=112/200,
    0.56333333333333335) has all its digits: its step is negligible."""
    text = repr(raw) if isinstance(raw, float) else str(raw)
    text = unicodedata.normalize("NFKC", text).strip().rstrip("%").replace(",", "")
    if "e" in text.lower() or "." not in text:
        decimals = 0 if "e" not in text.lower() else 15
    else:
        decimals = len(text.split(".", 1)[1])
    return 10.0 ** -decimals / (100 if percent else 1)


def parse_number(raw: Any) -> Parsed:
    """A number as liaisons type it: 1,234 / １２３ / " 12 " / "80%". Never a date or a boolean."""
    if raw is None or raw == "":
        return Parsed()
    if isinstance(raw, bool):
        return Parsed(error="ingest.err.not_number")
    if isinstance(raw, (int, float)):
        return Parsed(float(raw))
    if not isinstance(raw, str):
        return Parsed(error="ingest.err.not_number")  # dates, times
    notes = ["ingest.note.text_number"]
    s = unicodedata.normalize("NFKC", raw)
    if s != raw:
        notes.append("ingest.note.fullwidth")
    s = s.strip().replace(" ", "").replace("，", ",")
    if not s:
        return Parsed()  # spaces only
    placeholder = placeholder_key(s)
    if placeholder:
        return Parsed(error=placeholder)
    if "," in s:
        if not _THOUSANDS.match(s):
            return Parsed(error="ingest.err.not_number")
        s = s.replace(",", "")
        notes.append("ingest.note.thousands")
    percent = s.endswith("%")
    if percent:
        s = s[:-1]
    unit = _UNIT.search(s)
    if unit and unit.start() > 0:  # "12人": the figure, with its unit typed after it
        s = s[:unit.start()]
        notes.append("ingest.note.unit_removed")
    try:
        value = float(s)
    except ValueError:
        return Parsed(error="ingest.err.not_number")
    if value != value or value in (float("inf"), float("-inf")):
        return Parsed(error="ingest.err.not_number")
    return Parsed(value / 100 if percent else value, tuple(notes), percent=percent)


def parse_rate(raw: Any, percent_units: bool = False, shown_as_percent: bool = False) -> Parsed:
    """A rate as a fraction: "80%" -> 0.8, 0.8 -> 0.8, 80 -> 0.8. Outside 0..100 % is an error.
    percent_units: the column's header declares its unit (疏导率（%）), so a plain 0.9 there is 0.9 %;
    shown_as_percent: the cell has a percent format, so its stored 0.563 is the fraction it shows
    as 56.3 %."""
    p = parse_number(raw)
    if p.error or p.value is None:
        return p
    value = p.value
    notes = list(p.notes)
    in_percent = p.percent
    if not p.percent and not shown_as_percent and (1 < value <= 100 or (percent_units and value <= 1)):
        value /= 100
        in_percent = True
        notes.append("ingest.note.rate_scaled")
    if value < 0 or value > 1 + 1e-9:
        return Parsed(value, tuple(notes), error="ingest.err.rate_range")
    step = _typed_step(raw, in_percent and not shown_as_percent) if not shown_as_percent else \
        _typed_step(round(value * 100, 10), True)
    return Parsed(value, tuple(notes), percent=p.percent, step=step)


def parse_yesno(raw: Any) -> Parsed:
    if raw is None or raw == "":
        return Parsed()
    if isinstance(raw, bool):
        return Parsed(1.0 if raw else 0.0)
    s = norm(raw)
    if isinstance(raw, (int, float)):
        s = "1" if raw == 1 else "0" if raw == 0 else s
    if s in _YES:
        return Parsed(1.0)
    if s in _NO:
        return Parsed(0.0)
    return Parsed(error="ingest.err.not_yesno")


PARSERS = {NUM: parse_number, DEN: parse_number, COUNT: parse_number, RATE: parse_rate, YESNO: parse_yesno}
