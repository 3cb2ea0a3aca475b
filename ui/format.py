"""How statuses look on screen; the words and numbers themselves come from i18n.numbers, shared
with the briefing export so a page and a slide never disagree."""
from __future__ import annotations

from data_access.indicators import BEHIND, MET, NEAR, NO_DATA, NO_TARGET
from i18n.numbers import (STATUS_KEYS, STATUS_SYMBOLS, change_text, count_text, fixed, is_missing,  # noqa: F401  (re-exported for pages)
                          percent, round_half_up, status_label, target_text, value_text)

# (text colour, background colour) per status, on the light theme; readable on a projector.
STATUS_COLOURS: dict[str, tuple[str, str]] = {
    MET: ("#1a7f37", "#dcfce7"),
    NEAR: ("#9a6700", "#fef3c7"),
    BEHIND: ("#b42318", "#fee2e2"),
    NO_DATA: ("#57606a", "#f1f5f9"),
    NO_TARGET: ("#57606a", "#ffffff"),
}


def status_colours(status: str) -> tuple[str, str]:
    """(text colour, background colour)."""
    return STATUS_COLOURS.get(status, STATUS_COLOURS[NO_DATA])
