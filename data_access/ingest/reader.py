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
from typing import Any

import python_calamine as pc

from data_access.ingest.problems import Problem, err, note, show_value
from data_access.ingest.spec import (CODE, COUNT, DEN, NAME, NUM, RATE, YESNO, Column, SheetSpec, norm,
                                     norm_label)
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


DEFAULT_LIMITS = Limits()


@dataclass
class Located:
    sheet: str
    rows: list[list[Any]]
    header_row: int                   # 0-based index of the last header row
    colmap: dict[str, int]            # column key -> 0-based column index
    columns: dict[str, Column]


@dataclass
class ReadResult:
    format: str = ""                                   # xlsx / xlsm / xls
    meta: dict[str, str] = field(default_factory=dict)
    located: Located | None = None
    formula_cells: dict[str, set[str]] = field(default_factory=dict)   # sheet -> A1 refs without cached value
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
_LAST_ROW_RE = re.compile(rb'<row\b[^>]*?\br="(\d+)"')
# A cell reference past column Z. Literal first (no \b): the regex engine then skips ahead by
# substring search, 10x faster on a 5 MB sheet; "ref=" never matches as it is followed by a range.
_WIDE_COL_RE = re.compile(rb'r="([A-Z]{2,3})[0-9]')
_CELL_RE = re.compile(rb'<c\b([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_REF_RE = re.compile(rb'\br="([A-Z]+\d+)"')


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _unescape(raw: bytes) -> str:
    s = raw.decode("utf-8", "replace")
    return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")


def _check_zip(data: bytes, limits: Limits, result: ReadResult) -> dict[str, bytes] | None:
    """Zip-bomb and XML checks; returns sheet name -> worksheet XML for the extent and formula checks."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        result.problems.append(err("ingest.err.corrupt"))
        return None
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        result.problems.append(err("ingest.err.not_excel"))
        return None
    total = sum(i.file_size for i in infos)
    if len(infos) > limits.max_members or total > limits.max_uncompressed or any(
            i.file_size > 1024 * 1024 and i.file_size > limits.max_ratio * max(1, i.compress_size) for i in infos):
        result.problems.append(err("ingest.err.zip_bomb", size_mb=round(total / 1024 / 1024)))
        return None
    if "xl/vbaProject.bin" in names:
        result.format = "xlsm"
        result.problems.append(note("ingest.note.macros_ignored"))
    else:
        result.format = "xlsx"
    try:
        parts: dict[str, bytes] = {}
        for info in infos:
            if not info.filename.endswith((".xml", ".rels", ".vml")):
                continue
            with zf.open(info) as fh:
                head = fh.read(4096)
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                result.problems.append(err("ingest.err.xml_entities"))
                return None
        wb_xml = zf.read("xl/workbook.xml")
        rels = zf.read("xl/_rels/workbook.xml.rels") if "xl/_rels/workbook.xml.rels" in names else b""
        targets = {a: b for a, b in _REL_RE.findall(rels)} | {b: a for a, b in _REL_RE2.findall(rels)}
        pairs = _SHEET_RE.findall(wb_xml) or [(n, r) for r, n in _SHEET_RE2.findall(wb_xml)]
        for name, rid in pairs:
            target = targets.get(rid, b"").decode()
            path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            if path in names:
                parts[_unescape(name)] = zf.read(path)
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError):
        # RuntimeError: an encrypted zip member.
        result.problems.append(err("ingest.err.corrupt"))
        return None
    return parts


def _extent(xml: bytes) -> tuple[int, int]:
    """(last row number, last column number) as the XML states them, without parsing every cell."""
    tail = xml[-65536:]
    rows = _LAST_ROW_RE.findall(tail) or _LAST_ROW_RE.findall(xml)
    last_row = int(rows[-1]) if rows else xml.count(b"<row")
    wide = _WIDE_COL_RE.findall(xml)
    last_col = max((_col_number(c.decode()) for c in set(wide)), default=26)
    return last_row, last_col


def _formulas_without_value(xml: bytes) -> set[str]:
    if b"<f>" not in xml and b"<f " not in xml:
        return set()
    out = set()
    for attrs, body in _CELL_RE.findall(xml):
        if body and (b"<f>" in body or b"<f " in body) and (b"<v>" not in body or b"<v></v>" in body):
            ref = _REF_RE.search(attrs)
            if ref:
                out.add(ref.group(1).decode())
    return out


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
        for sheet, xml in parts.items():
            last_row, last_col = _extent(xml)
            if last_row > limits.max_rows or last_col > limits.max_cols:
                result.problems.append(err("ingest.err.sheet_too_large", sheet=sheet, rows=last_row, cols=last_col,
                                           max_rows=limits.max_rows))
                return None, result
            cells = _formulas_without_value(xml)
            if cells:
                result.formula_cells[sheet] = cells
    else:
        result.format = "xls"
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
    except Exception:  # calamine's errors for a damaged file are many; all mean the same to a liaison
        result.problems.append(err("ingest.err.corrupt"))
        return None, result
    return wb, result


def _sheet_rows(wb: pc.CalamineWorkbook, name: str, limits: Limits, result: ReadResult
                ) -> tuple[list[list[Any]], list | None] | None:
    """(rows from A1, merged ranges) of one sheet, or None after reporting why not."""
    try:
        sheet = wb.get_sheet_by_name(name)
    except Exception:
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

class _LabelIndex:
    def __init__(self, columns: list[Column]) -> None:
        self.columns = {c.key: c for c in columns}
        self.exact: dict[str, list[str]] = {}
        for c in columns:
            for label in (c.label_zh, c.label_en, *c.aliases):
                self._add(norm_label(label), c.key)
            if c.group_zh and c.role in (NUM, DEN):
                self._add(norm_label(c.group_zh + c.label_zh), c.key)
        self.by_length = sorted(self.exact, key=len, reverse=True)

    def _add(self, label: str, key: str) -> None:
        if label:
            keys = self.exact.setdefault(label, [])
            if key not in keys:
                keys.append(key)

    def match(self, text: str, top: str) -> list[str]:
        if not text:
            return []
        found = self.exact.get(text)
        if not found:
            # "规范管理患者数（截至季末）" or "一、在册患者数": the longest label the text ends with or contains.
            for label in self.by_length:
                if len(label) >= 3 and (text.endswith(label) or label in text):
                    found = self.exact[label]
                    break
        if not found:
            return []
        if len(found) > 1 and top:
            same_group = [k for k in found if norm_label(self.columns[k].group_zh) == top]
            if same_group:
                return same_group
        return found


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
                    top[r][c] = value
    return top


def _score_header(top: list[list[Any]], r: int, index: _LabelIndex) -> tuple[int, dict[str, int], list[int], list[int], int]:
    """Columns matched if row r is the (last) header row; a two-row header uses row r-1 as context and
    as the label where row r is empty (vertically merged code/name cells)."""
    row = top[r]
    above = top[r - 1] if r > 0 else []
    colmap: dict[str, int] = {}
    extras, duplicates = [], []
    own = 0
    for c, cell in enumerate(row):
        bottom = norm_label(cell) if cell not in (None, "") else ""
        upper = norm_label(above[c]) if c < len(above) and above[c] not in (None, "") else ""
        text = bottom or upper
        if not text:
            continue
        keys = index.match(text, upper if bottom else "")
        if not keys and bottom and upper:
            keys = index.exact.get(upper + bottom, [])  # "在册" over "患者数": exact only
        free = [k for k in keys if k not in colmap]
        if free:
            colmap[free[0]] = c
            own += bool(bottom)
        elif keys:
            duplicates.append(c)
        elif bottom and not isinstance(cell, (int, float)):
            extras.append(c)
    return len(colmap), colmap, extras, duplicates, own


def locate(wb: pc.CalamineWorkbook, spec: SheetSpec, result: ReadResult, limits: Limits = DEFAULT_LIMITS) -> None:
    """Pick the sheet and header row that best match the department's columns."""
    sheet_found = locate_columns(wb, spec.columns, spec.department_name_zh, result, limits)
    if sheet_found is None:
        return
    sheet, r, colmap = sheet_found
    for col in spec.columns:
        if not col.in_template or col.role not in (NUM, DEN, COUNT, YESNO) or col.key in colmap:
            continue
        if col.role == NUM and f"{col.indicator}:rate" in colmap:
            continue  # a rate and a denominator give the numerator
        result.problems.append(err("ingest.err.missing_column", sheet=sheet, row=r, column_label=col.label_zh))


def locate_columns(wb: pc.CalamineWorkbook, columns: list[Column], title_zh: str, result: ReadResult,
                   limits: Limits = DEFAULT_LIMITS) -> tuple[str, int, dict[str, int]] | None:
    """The sheet and header row that best match `columns` (any sheet, under title rows, one or two
    header rows): sets result.located and returns (sheet, header row, column map), or None after
    reporting why not. Shared by the quarterly sheets and the reference-data imports."""
    index = _LabelIndex(columns)
    meta_names = {META_SHEET, LIST_SHEET}
    best: tuple[int, str, int, dict[str, int], list[int], list[int], list[list[Any]]] | None = None
    for meta in wb.sheets_metadata:
        if meta.name in meta_names or meta.typ != pc.SheetTypeEnum.WorkSheet:
            continue
        loaded = _sheet_rows(wb, meta.name, limits, result)
        if loaded is None:
            return None
        rows, merged = loaded
        top = _merged_fill(rows, merged)
        for r in range(min(HEADER_SCAN_ROWS, len(top))):
            score, colmap, extras, dups, own = _score_header(top, r, index)
            # A later row must match strictly more -- a blank first data row "repeats" the header above
            # it -- unless it is the second row of a two-row header, with labels of its own.
            if score and (best is None or score > best[0] or (
                    score == best[0] and own and best[1] == meta.name and r == best[2] + 1)):
                best = (score, meta.name, r, colmap, extras, dups, rows)
    if best is None or best[0] < 2:
        result.problems.append(err("ingest.err.no_header", department=title_zh))
        return None
    score, sheet, r, colmap, extras, dups, rows = best
    result.located = Located(sheet, rows, r, colmap, {c.key: c for c in columns})
    header = rows[r]
    for c in extras:
        result.problems.append(note("ingest.note.extra_column", sheet=sheet, row=r, col=c, value=show_value(header[c])))
    for c in dups:
        result.problems.append(err("ingest.err.duplicate_column", sheet=sheet, row=r, col=c,
                                   value=show_value(header[c]) or show_value(rows[r - 1][c] if r else "")))
    if not any(c.role in (CODE, NAME) and c.key in colmap for c in columns):
        label = next(c.label_zh for c in columns if c.role == NAME)
        result.problems.append(err("ingest.err.missing_column", sheet=sheet, row=r, column_label=label))
    return sheet, r, colmap


def read(data: bytes, spec: SheetSpec, limits: Limits = DEFAULT_LIMITS) -> ReadResult:
    wb, result = open_workbook(data, limits)
    if wb is None:
        return result
    try:
        result.meta = read_meta(wb)
        locate(wb, spec, result, limits)
    finally:
        wb.close()
    return result


# --- cell values -----------------------------------------------------------------------------

_BLANKS = {"", "-", "—", "--", "/", "无", "空", "n/a", "na"}
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?%?$")
_YES = {"是", "有", "已设置", "已建", "yes", "y", "1", "√", "✓", "true"}
_NO = {"否", "无", "没有", "未设置", "未建", "no", "n", "0", "×", "✗", "false"}


@dataclass
class Parsed:
    value: float | None = None
    notes: tuple[str, ...] = ()
    error: str | None = None
    percent: bool = False


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
    if s.lower() in _BLANKS:
        return Parsed()
    if "," in s:
        if not _THOUSANDS.match(s):
            return Parsed(error="ingest.err.not_number")
        s = s.replace(",", "")
        notes.append("ingest.note.thousands")
    percent = s.endswith("%")
    if percent:
        s = s[:-1]
    try:
        value = float(s)
    except ValueError:
        return Parsed(error="ingest.err.not_number")
    if value != value or value in (float("inf"), float("-inf")):
        return Parsed(error="ingest.err.not_number")
    return Parsed(value / 100 if percent else value, tuple(notes), percent=percent)


def parse_rate(raw: Any) -> Parsed:
    """A rate as a fraction: "80%" -> 0.8, 0.8 -> 0.8, 80 -> 0.8. Outside 0..100 % is an error."""
    p = parse_number(raw)
    if p.error or p.value is None:
        return p
    value = p.value
    notes = list(p.notes)
    if not p.percent and 1 < value <= 100:
        value /= 100
        notes.append("ingest.note.rate_scaled")
    if value < 0 or value > 1 + 1e-9:
        return Parsed(value, tuple(notes), error="ingest.err.rate_range")
    return Parsed(value, tuple(notes), percent=p.percent)


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
