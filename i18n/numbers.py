"""How figures read in text, the same on a page, a slide, a PDF and an Excel sheet.

Lives beside the catalogue (not in ui/) so that data_access's briefing export, which may not import
the UI layer, formats numbers exactly as the pages do."""
from __future__ import annotations

import math

from i18n import t


def is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def value_text(value: float | None, kind: str, unit: str, lang: str, digits: int = 1) -> str:
    """83.1% / 3,545 人次 / 是; a missing figure stays visibly missing, never 0."""
    if is_missing(value):
        return t("common.no_data", lang)
    assert value is not None
    if kind == "ratio":
        return f"{value * 100:.{digits}f}%"
    if kind == "yesno":
        return t("common.yes", lang) if value >= 1 else t("common.no", lang)
    number = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return f"{number} {unit}".strip() if lang == "zh" else number


def change_text(change: float | None, kind: str) -> str:
    """+2.0 pp for rates (percentage points), +12 for counts."""
    if is_missing(change):
        return "—"
    assert change is not None
    if kind == "rate":  # points per 10,000 residents: a fraction of a point matters
        return f"{change:+,.1f}"
    return f"{change * 100:+.1f} pp" if kind == "ratio" else f"{change:+,.0f}"


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
