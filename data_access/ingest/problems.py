"""One problem found in an uploaded workbook: where (sheet, A1 cell), what was found, what is wrong,
how to fix it. Messages come from the i18n catalogue: key "ingest.err.X" / "ingest.warn.X" /
"ingest.note.X" with a matching "<key>.fix"."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from openpyxl.utils import get_column_letter

from i18n import CATALOGUE, t

ERROR, WARNING, NOTICE = "error", "warning", "notice"


def a1(row: int | None, col: int | None) -> str:
    """0-based (row, col) -> "C7"; a whole row -> "7"; a whole column -> "C"."""
    if row is None and col is None:
        return ""
    if col is None:
        return str(row + 1)  # type: ignore[operator]
    if row is None:
        return get_column_letter(col + 1)
    return f"{get_column_letter(col + 1)}{row + 1}"


@dataclass
class Problem:
    key: str
    severity: str = ERROR
    sheet: str = ""
    row: int | None = None       # 0-based
    col: int | None = None       # 0-based
    value: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def cell(self) -> str:
        return a1(self.row, self.col)

    @property
    def excel_row(self) -> int | None:
        return None if self.row is None else self.row + 1

    @property
    def column(self) -> str:
        return a1(None, self.col) if self.col is not None else ""

    def message(self, lang: str = "zh") -> str:
        return t(self.key, lang, **self._params(lang))

    def _params(self, lang: str) -> dict[str, Any]:
        # Parameters named *_key are catalogue keys themselves, shown in the reader's language and
        # filled with the same values (a message quoting another message).
        # A parameter given in both languages ({"zh": 县司法局, "en": Justice Bureau}) is shown in the reader's.
        out = {"value": self.value, "sheet": self.sheet}
        plain = {k: (v.get(lang) or v.get("zh", "")) if isinstance(v, dict) and "zh" in v else v
                 for k, v in self.params.items() if not k.endswith("_key")}
        out.update(plain)
        out.update({k: t(v, lang, **{**out, **plain}) for k, v in self.params.items()
                    if k.endswith("_key") and isinstance(v, str)})
        return out

    def fix(self, lang: str = "zh") -> str:
        fix_key = f"{self.key}.fix"
        return t(fix_key, lang, **self._params(lang)) if fix_key in CATALOGUE else ""

    def as_dict(self, lang: str = "zh") -> dict[str, Any]:
        return dict(severity=self.severity, sheet=self.sheet, row=self.excel_row, column=self.column, cell=self.cell,
                    value=self.value, key=self.key, message=self.message(lang), fix=self.fix(lang))

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["cell"] = self.cell
        return d


def err(key: str, **kw: Any) -> Problem:
    return _make(key, ERROR, kw)


def warn(key: str, **kw: Any) -> Problem:
    return _make(key, WARNING, kw)


def note(key: str, **kw: Any) -> Problem:
    return _make(key, NOTICE, kw)


def _make(key: str, severity: str, kw: dict[str, Any]) -> Problem:
    loc = {k: kw.pop(k) for k in ("sheet", "row", "col") if k in kw}
    value = kw.pop("value", "")
    return Problem(key=key, severity=severity, value="" if value is None else str(value)[:200], params=kw, **loc)


def show_value(raw: object) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def as_shown(problems: list[Problem]) -> list[Problem]:
    """The problems a file's check reports. A refused file was not handled at all -- nothing of it is
    stored -- so its notices ("文本数字已转换", "合计行已跳过") would claim automatic handling that did
    not happen: only its errors and warnings are reported."""
    if any(p.severity == ERROR for p in problems):
        return [p for p in problems if p.severity != NOTICE]
    return problems


def errors_summary(problems: list[Problem], most: int = 20) -> str:
    """The errors of a refused file in one line for the audit trail: "数据!C7 ingest.err.not_number; ..."."""
    errors = [p for p in problems if p.severity == ERROR]
    return "; ".join(f"{p.sheet}!{p.cell} {p.key}" if p.sheet else p.key for p in errors[:most])
