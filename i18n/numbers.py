"""How figures read in text, the same on a page, a slide, a PDF and an Excel sheet.

Lives beside the catalogue (not in ui/) so that data_access's briefing export, which may not import
the UI layer, formats numbers exactly as the pages do.

Rounding is half up (四舍五入), as readers and Excel's own number formats do: 9/16 = 56.25 % reads
56.3 %, never Python's half-even 56.2 %. Every figure written as text goes through fixed() (or
percent() / round_half_up() built on it); nothing formats a figure with f"{x:.1f}"."""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from i18n import t


def _decimal(x: float) -> Decimal:
    """x as the decimal it stands for: binary noise of the arithmetic before it (0.5625 − 0.54 =
    0.022499999999999964) is dropped at 9 decimals first, so the half-up step sees 0.0225."""
    return Decimal(repr(round(float(x), 9)))


def round_half_up(x: float, digits: int = 1) -> float:
    """A number rounded half up, as a float (chart values, Excel cells that must match the text)."""
    return float(_decimal(x).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def fixed(x: float, digits: int = 1, sign: bool = False, grouping: bool = False) -> str:
    """x with `digits` decimals, rounded half up; sign: always a + or −; grouping: 1,234."""
    q = _decimal(x).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    if q == 0:
        q = abs(q)  # never "-0.0"
    return format(q, ("+" if sign else "") + ("," if grouping else "") + f".{digits}f")


def percent(fraction: float, digits: int = 1, sign: bool = False) -> str:
    """0.5625 -> "56.3" (no % sign: callers add "%" or "个百分点"). Multiplied as a decimal, so
    0.0425 is 4.25 before it is rounded, not 4.249999…"""
    return fixed(float(_decimal(fraction) * 100), digits, sign=sign)


def is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def value_text(value: float | None, kind: str, unit: str, lang: str, digits: int = 1) -> str:
    """83.1% / 3,545 人次 / 是; a missing figure stays visibly missing, never 0."""
    if is_missing(value):
        return t("common.no_data", lang)
    assert value is not None
    if kind == "ratio":
        return f"{percent(value, digits)}%"
    if kind == "yesno":
        return t("common.yes", lang) if value >= 1 else t("common.no", lang)
    number = count_text(value)
    return f"{number} {unit}".strip() if lang == "zh" else number


def count_text(value: float) -> str:
    """3,545 for a whole count, 12.5 for one with a fraction (half up)."""
    return fixed(value, 0, grouping=True) if float(value).is_integer() else fixed(value, 1, grouping=True)


def change_text(change: float | None, kind: str, lang: str = "zh") -> str:
    """Change since last quarter: "+2.0 个百分点" / "+2.0 pp" for rates (percentage points), +12 for
    counts, "—" for a yes/no indicator (a hotline that stayed in service did not change by "+0")."""
    if is_missing(change) or kind == "yesno":
        return "—"
    assert change is not None
    if kind == "rate":  # points per 10,000 residents: a fraction of a point matters
        return fixed(change, 1, sign=True, grouping=True)
    if kind == "ratio":
        return t("numbers.points_change", lang, value=percent(change, 1, sign=True))
    return fixed(change, 0, sign=True, grouping=True)


def target_text(target_value: float | None, comparison: str, kind: str, unit: str, lang: str) -> str:
    if target_value is None:
        return t("common.no_target", lang)
    if kind == "yesno":
        return t("common.yes", lang)
    sign = {">=": "≥", "<=": "≤", "==": "="}.get(comparison, comparison)
    return f"{sign} {value_text(target_value, kind, unit, lang, digits=0)}"


# A status is read by its symbol and word, never by colour alone (projector, colour blindness).
STATUS_SYMBOLS = {"met": "✔", "near": "▲", "behind": "✖", "no_data": "—", "no_target": "·"}
STATUS_KEYS = {"met": "status.met", "near": "status.near", "behind": "status.behind", "no_data": "status.unknown",
               "no_target": "common.no_target"}


def status_label(status: str, lang: str) -> str:
    return f"{STATUS_SYMBOLS.get(status, '—')} {t(STATUS_KEYS.get(status, 'status.unknown'), lang)}"
