"""How numbers and statuses look on screen, the same on every page."""
from __future__ import annotations

import math

from data_access.indicators import BEHIND, MET, NEAR, NO_DATA, NO_TARGET
from i18n import t

# Text + symbol + colour: a status must be readable without colour (projector, colour blindness).
STATUS_STYLE: dict[str, tuple[str, str, str]] = {
    MET: ("✔", "#1a7f37", "#dcfce7"),
    NEAR: ("▲", "#9a6700", "#fef3c7"),
    BEHIND: ("✖", "#b42318", "#fee2e2"),
    NO_DATA: ("—", "#57606a", "#f1f5f9"),
    NO_TARGET: ("·", "#57606a", "#ffffff"),
}
STATUS_KEYS = {MET: "status.met", NEAR: "status.near", BEHIND: "status.behind", NO_DATA: "status.unknown",
               NO_TARGET: "common.no_target"}


def status_label(status: str, lang: str) -> str:
    symbol = STATUS_STYLE.get(status, STATUS_STYLE[NO_DATA])[0]
    return f"{symbol} {t(STATUS_KEYS.get(status, 'status.unknown'), lang)}"


def status_colours(status: str) -> tuple[str, str]:
    """(text colour, background colour)."""
    _, fg, bg = STATUS_STYLE.get(status, STATUS_STYLE[NO_DATA])
    return fg, bg


def is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def value_text(value: float | None, kind: str, unit: str, lang: str, digits: int = 1) -> str:
    """83.1% / 3,545 人次 / 已开通; missing stays visibly missing."""
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
    if is_missing(change):
        return "—"
    assert change is not None
    if kind == "ratio":
        return f"{change * 100:+.1f} pp"
    return f"{change:+,.0f}"


def target_text(target_value: float | None, comparison: str, kind: str, unit: str, lang: str) -> str:
    if target_value is None:
        return t("common.no_target", lang)
    sign = {">=": "≥", "<=": "≤", "==": "="}.get(comparison, comparison)
    if kind == "yesno":
        return t("common.yes", lang)
    return f"{sign} {value_text(target_value, kind, unit, lang, digits=0)}"
