"""Cached reads for the meeting page: the briefing and its exports, keyed by data version, period
and language (an accepted sheet or new next steps bump the version and show at once).

The version is a normal (hashed) argument here on purpose: st.cache_data leaves arguments whose
name starts with "_" out of the key.
"""
from __future__ import annotations

import importlib
import logging

import streamlit as st

from data_access import access
from data_access.briefing import content, notes
from data_access.db import session_scope
from i18n import t

log = logging.getLogger("dashboard.meeting")

# Format -> (MIME type, builder as "module:function"). The builders (fpdf, python-pptx, openpyxl, the
# map renderer) are imported when a file is first made, not when the overview first offers the
# buttons: on a fresh server they were a fifth of the first overview's time (issue 18).
FORMATS = {
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation",
             "data_access.briefing.pptx:build_deck"),
    "pdf": ("application/pdf", "data_access.briefing.pdf:build_pdf"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "data_access.briefing.excel:build_workbook"),
}


def _builder(fmt: str):  # noqa: ANN202
    module, function = FORMATS[fmt][1].split(":")
    return getattr(importlib.import_module(module), function)


@st.cache_data(show_spinner=False, max_entries=16)
def briefing(version: int, period: str, lang: str) -> content.Briefing | None:
    with session_scope() as s:
        return content.assemble(s, period, lang)


@st.cache_data(show_spinner=False, max_entries=16)
def map_png(version: int, period: str, lang: str) -> bytes | None:
    b = briefing(version, period, lang)
    from data_access.briefing import mapimage

    return mapimage.render_map(b, 1600, 1000) if b else None


@st.cache_data(show_spinner=False, max_entries=12)
def export(version: int, period: str, lang: str, fmt: str) -> bytes | None:
    b = briefing(version, period, lang)
    return _builder(fmt)(b) if b else None


def deferred(version: int, period: str, lang: str, fmt: str):  # noqa: ANN201
    """A no-argument callable for st.download_button: the file is built when the button is clicked
    (on Streamlit's download thread), not on every run of the page."""

    def build() -> bytes:
        try:
            return export(version, period, lang, fmt) or b""
        except Exception:
            log.exception("briefing export failed: %s %s %s", period, lang, fmt)
            raise

    return build


def file_name(b: content.Briefing, fmt: str) -> str:
    return f"{t('meeting.file_stem', b.lang, county=b.county, period=b.period)}.{fmt}"


@st.cache_data(show_spinner=False, max_entries=64)
def file_stem(version: int, period: str, lang: str) -> str | None:
    """The briefing's file name without extension (as file_name gives it), or None when there is no
    briefing for the period. Two small reads: a page that only offers the downloads (the overview)
    must not assemble the whole briefing to label its buttons (~0.66 s at province scale)."""
    from data_access import indicators
    from i18n import name_of

    with session_scope() as s:
        root = indicators.root_region(s)
        if root is None or indicators.period_by_code(s, period) is None:
            return None
        return t("meeting.file_stem", lang, county=name_of(root, lang), period=period)


def save_steps(actor: access.Actor | None, period: str, text: str) -> tuple[bool, str]:
    """(saved?, message in the user's language)."""
    from ui.state import tr

    try:
        with session_scope() as s:
            notes.save_next_steps(s, actor, period, notes.parse_lines(text))
    except access.PermissionDenied as exc:
        return False, tr(exc.key)
    except notes.NotesError as exc:
        return False, tr(exc.key, **exc.values)
    return True, tr("meeting.steps_saved")
