"""What the setup steps share: reading a table that came as CSV or Excel, the problem list, the
command-line actor, and English (pinyin) names for places that only have a Chinese one."""
from __future__ import annotations

import csv
import getpass
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook

from data_access.access import Actor
from data_access.ingest.problems import ERROR, NOTICE, WARNING, Problem, err, show_value
from data_access.ingest.reader import DEFAULT_LIMITS, Limits, ReadResult, locate_columns, open_workbook
from data_access.ingest.sandbox import read_untrusted
from data_access.ingest.spec import Column

CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # Excel on a Chinese Windows saves CSV as GBK (a subset of GB18030)
_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


@dataclass
class Checked:
    """What a step found in a file, before anything is written."""

    filename: str
    sha256: str
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def ok(self) -> bool:
        return not self.errors

    def sort_problems(self) -> None:
        order = {ERROR: 0, WARNING: 1, NOTICE: 2}
        self.problems.sort(key=lambda p: (order[p.severity], p.sheet, p.row if p.row is not None else -1,
                                          p.col if p.col is not None else -1))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cli_actor() -> Actor:
    """The commands act as an administrator, audited as cli:<os user> (as the ingest command)."""
    try:
        user = getpass.getuser()
    except Exception:  # no login name in a container: still audited as the command line
        user = "unknown"
    return Actor(user_id=None, username=f"cli:{user}", role="admin")


def is_csv(data: bytes, filename: str) -> bool:
    """A CSV by its name, and not an Excel file by its first bytes (a renamed .xlsx stays Excel)."""
    return filename.lower().endswith((".csv", ".txt")) and not data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0"))


def decode_text(data: bytes) -> str | None:
    """UTF-8 (with or without BOM) or GBK/GB18030 text; None when it is neither."""
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def csv_as_xlsx(data: bytes, filename: str, limits: Limits = DEFAULT_LIMITS) -> tuple[bytes | None, Problem | None]:
    """A CSV turned into a one-sheet workbook, so the tolerant workbook reader (title rows, header
    aliases, problems with their cell) serves CSV too. Cells stay text: a 12-digit code keeps its digits."""
    if len(data) > limits.max_bytes:
        return None, err("ingest.err.too_big", size_mb=round(len(data) / 1024 / 1024, 1),
                         max_mb=round(limits.max_bytes / 1024 / 1024))
    text = decode_text(data)
    if text is None:
        return None, err("setup.err.csv_encoding")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;，")
    except csv.Error:
        dialect = csv.excel
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_title(filename))
    for n, row in enumerate(csv.reader(io.StringIO(text), dialect)):
        if n >= limits.max_rows:
            return None, err("ingest.err.sheet_too_large", sheet=filename, rows=n, cols=len(row),
                             max_rows=limits.max_rows)
        ws.append([cell.strip() or None for cell in row[: limits.max_cols]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), None


def sheet_title(filename: str) -> str:
    stem = filename.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "CSV"
    return _SHEET_CHARS.sub("_", stem)[:31]


def read_table(data: bytes, filename: str, columns: list[Column], title_zh: str,
               limits: Limits = DEFAULT_LIMITS) -> ReadResult:
    """The header and rows of a table given as .csv, .xlsx or .xls (result.located), with the
    reader's problems."""
    if is_csv(data, filename):
        converted, problem = csv_as_xlsx(data, filename, limits)
        if converted is None:
            result = ReadResult()
            result.problems.append(problem)  # type: ignore[arg-type]
            return result
        data = converted
    # In a child process, like every uploaded workbook: a hostile file is refused there.
    return read_untrusted(located_table, data, columns, title_zh, limits)


def located_table(data: bytes, columns: list[Column], title_zh: str, limits: Limits = DEFAULT_LIMITS) -> ReadResult:
    """Open the workbook and find the table's header (what runs in the sandbox child)."""
    wb, result = open_workbook(data, limits)
    if wb is not None:
        try:
            locate_columns(wb, columns, title_zh, result, limits)
        finally:
            wb.close()
    return result


def cell_text(value: Any) -> str:
    return unicodedata.normalize("NFKC", show_value(value)).strip()


def digits_of(value: Any) -> str:
    """A code as typed: 12-digit numbers stored as numbers, full-width digits, spaces, a leading apostrophe."""
    text = cell_text(value).lstrip("'")
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".", 1)[0]
    return re.sub(r"\s+", "", text)


# --- English names ---------------------------------------------------------------------------------
# Longest first: "经济开发区" before "开发区", "街道办事处" before "街道".
KIND_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("经济技术开发区", "Economic and Technological Development Zone"), ("经济开发区", "Economic Development Zone"),
    ("高新技术产业开发区", "High-tech Zone"), ("工业园区", "Industrial Park"), ("开发区", "Development Zone"),
    ("街道办事处", "Subdistrict"), ("街道", "Subdistrict"), ("民族乡", "Ethnic Township"), ("镇", "Town"),
    ("乡", "Township"), ("社区", "Community"), ("村", "Village"), ("自治县", "Autonomous County"),
    ("县", "County"), ("区", "District"), ("市", "City"),
)


def english_name(name_zh: str) -> str:
    """'城关镇' -> 'Chengguan Town', '长乐村' -> 'Changle Village': pinyin of the proper name, its kind
    in English. A transliteration for visitors; an administrator may correct it."""
    from pypinyin import Style, lazy_pinyin

    base, kind = name_zh, ""
    for suffix, english in KIND_SUFFIXES:
        if name_zh.endswith(suffix) and len(name_zh) > len(suffix):
            base, kind = name_zh[: -len(suffix)], english
            break
    # The proper name alone: with its suffix, '镇长乐村' would be read as 镇长 (zhènzhǎng) + 乐.
    words = lazy_pinyin(base, style=Style.NORMAL, errors=lambda chars: [chars])
    # Pinyin writes ü as "v" in this style; English place names write it as u (绿 -> Lu).
    text = base if base.isascii() else "".join(words).replace("ü", "u").replace("v", "u")
    text = text[:1].upper() + text[1:]
    return f"{text} {kind}".strip()[:128]
