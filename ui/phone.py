"""Phones (issue 17): one set of pages for every screen, narrowed with CSS rather than a second app.

Streamlit does not tell the server how wide the browser is, so a page sends what both screens need
and the browser shows one or the other: a container keyed "wide_*" is hidden below NARROW pixels, one
keyed "narrow_*" is hidden above it. What a narrow screen gets instead of a wide table is a compact
list (status_list): every row's name, value, target and a status badge, no sideways scrolling.
Desktop pages are unchanged: the narrow parts take no space there (display: none, wrapper included).
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Iterable

import streamlit as st

from ui.format import status_colours

# Streamlit stacks columns below 640 px; the phone layout starts at the same width.
NARROW = 640

_CSS = f"""<style>
/* Wide-only and narrow-only containers, with the layout wrapper Streamlit puts around a block. */
@media (max-width: {NARROW}px) {{
  [class*="st-key-wide_"], [data-testid="stLayoutWrapper"]:has(> [class*="st-key-wide_"]) {{display: none !important;}}
}}
@media (min-width: {NARROW + 1}px) {{
  [class*="st-key-narrow_"], [data-testid="stLayoutWrapper"]:has(> [class*="st-key-narrow_"]) {{display: none !important;}}
}}
/* Count cards kept in one row on a phone (Streamlit would stack four tall cards). */
@media (max-width: {NARROW}px) {{
  [class*="st-key-row_"] [data-testid="stHorizontalBlock"] {{flex-wrap: nowrap !important; gap: .4rem !important;}}
  [class*="st-key-row_"] [data-testid="stColumn"] {{min-width: 0 !important; width: auto !important; flex: 1 1 0 !important;}}
  [class*="st-key-row_"] [data-testid="stMetric"] {{padding: 0 !important;}}
  [class*="st-key-row_"] [data-testid="stMetric"] > div {{padding: .5rem .45rem !important;}}
  [class*="st-key-row_"] [data-testid="stMetricValue"] {{font-size: 1.35rem !important;}}
  [class*="st-key-row_"] [data-testid="stMetricLabel"] p {{font-size: .8rem !important;}}
  /* Two cards a row for longer cards (outcome figures). */
  [class*="st-key-pairs_"] [data-testid="stHorizontalBlock"] {{flex-wrap: wrap !important; gap: .5rem !important;}}
  [class*="st-key-pairs_"] [data-testid="stColumn"] {{min-width: calc(50% - .25rem) !important; flex: 1 1 calc(50% - .25rem) !important;}}
  [class*="st-key-pairs_"] [data-testid="stMetricValue"] {{font-size: 1.45rem !important;}}
  /* Titles that fit a phone. */
  [data-testid="stMain"] h1 {{font-size: 1.75rem !important;}}
  [data-testid="stMain"] h3 {{font-size: 1.2rem !important;}}
}}
/* A row of controls that wraps on a narrow window (a tablet or a zoomed laptop beside the sidebar)
   instead of cutting its labels short; its own columns only, not the ones nested in them. */
[class*="st-key-wrap_"] > [data-testid="stLayoutWrapper"] > [data-testid="stHorizontalBlock"] {{
  flex-wrap: wrap !important; row-gap: .5rem !important;}}
[class*="st-key-wrap_"] > [data-testid="stLayoutWrapper"] > [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] {{
  min-width: 12.5rem !important;}}
.ph-list {{display: flex; flex-direction: column; width: 100%;}}
.ph-item {{display: flex; align-items: center; justify-content: space-between; gap: .6rem;
           padding: .5rem 0; border-bottom: 1px solid #e5e7eb;}}
.ph-main {{min-width: 0; flex: 1 1 auto;}}
.ph-name {{font-size: .95rem; line-height: 1.35; overflow-wrap: anywhere; color: #1f2933;}}
.ph-fig {{font-size: .85rem; line-height: 1.35; color: #57606a; margin-top: .1rem;}}
.ph-fig b {{color: #1f2933; font-weight: 600;}}
.ph-badge {{flex: none; white-space: nowrap; font-weight: 600; font-size: .85rem; padding: .15rem .5rem;
            border-radius: .4rem;}}
</style>"""


def is_phone() -> bool:
    """Whether the browser says it is a phone: the same test Streamlit's own front end makes to close
    the sidebar after a tap (the user agent's device type). Used only where a size must be chosen on
    the server (the map's opening zoom); everything else narrows with CSS."""
    try:
        agent = st.context.headers.get("User-Agent") or ""
    except Exception:  # no request (AppTest, bare mode): a desktop
        return False
    return "Mobile" in agent and "iPad" not in agent and "Tablet" not in agent


def styles() -> None:
    """The phone rules, once per run (style-only HTML goes to Streamlit's event container: no space)."""
    st.html(_CSS)


def wide(key: str):  # noqa: ANN201 (a Streamlit container)
    """A container shown only on screens wider than NARROW."""
    return st.container(key=f"wide_{key}")


def narrow(key: str):  # noqa: ANN201
    """A container shown only on screens up to NARROW wide (phones)."""
    return st.container(key=f"narrow_{key}")


def one_row(key: str):  # noqa: ANN201
    """A container whose columns stay side by side on a phone (short cards such as counts)."""
    return st.container(key=f"row_{key}")


def wrapping_row(key: str):  # noqa: ANN201
    """A container whose columns (controls) go onto a second line when the window is too narrow for
    them side by side, each at least 12.5rem wide."""
    return st.container(key=f"wrap_{key}")


def two_a_row(key: str):  # noqa: ANN201
    """A container whose columns go two a row on a phone (longer cards)."""
    return st.container(key=f"pairs_{key}")


@dataclass(frozen=True)
class Item:
    """One line of a compact list: what it is, its figures, its status (code and label)."""

    name: str
    figures: str          # e.g. "83.1% · 目标 ≥ 80%"; may carry <b>…</b> made by this module only
    status: str           # met / near / behind / no_data / no_target
    label: str            # "✔ 达标": symbol and word, readable without colour
    ref: str = ""         # data-ref for tests (an indicator or area code)


def figures(value: str, *rest: str) -> str:
    """'<b>83.1%</b> · 目标 ≥ 80%': the value in bold, the rest after it; every part escaped."""
    parts = [f"<b>{html.escape(value)}</b>"] + [html.escape(r) for r in rest if r]
    return " · ".join(parts)


def plain(*parts: str) -> str:
    """Parts joined with ' · ', escaped, nothing in bold (a sentence rather than a figure)."""
    return " · ".join(html.escape(p) for p in parts if p)


def status_list(items: Iterable[Item], key: str) -> None:
    """The compact list for phones, in a narrow-only container."""
    show_list(list_html(items), key)


def show_list(markup: str, key: str) -> None:
    """A compact list made earlier by list_html (e.g. once per data version), in a narrow-only container."""
    with narrow(key):
        st.html(markup)


def list_html(items: Iterable[Item]) -> str:
    """The compact list's HTML: every text escaped here (figures come from figures()/plain())."""
    rows = []
    for it in items:
        fg, bg = status_colours(it.status)
        rows.append(
            f'<div class="ph-item" data-ref="{html.escape(it.ref)}">'
            f'<div class="ph-main"><div class="ph-name">{html.escape(it.name)}</div>'
            f'<div class="ph-fig">{it.figures}</div></div>'
            f'<span class="ph-badge" data-status="{html.escape(it.status)}" '
            f'style="color:{fg};background:{bg}">{html.escape(it.label)}</span></div>')
    return f'<div class="ph-list">{"".join(rows)}</div>'
