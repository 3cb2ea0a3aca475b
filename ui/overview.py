"""The overview's tables, built once per data version, period and language and shared by every
session (issue 18): the indicator table and the "behind" table as frames, the keys of their styled
versions (ui/styled_tables.py) and the phones' compact lists. A meeting's twenty leaders get the
objects the first of them caused to be built; each run still makes its own Styler and Streamlit
element from them (a Styler is not safe to share between threads).

The objects returned are shared: callers read them and never change them.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from ui import data_views, phone, styled_tables
from ui.format import change_text, is_missing, percent, status_label, target_text, value_text
from ui.state import name, tr
from ui.views import grouped_name, status_key


@dataclass(frozen=True)
class Table:
    """A status table as the page shows it: the frame, each row's status, the styled table's key,
    and the same rows as a compact list for phones."""

    frame: pd.DataFrame
    statuses: tuple[str, ...]
    status_column: str
    key: str | None
    phone_html: str


@dataclass(frozen=True)
class Tables:
    targets: Table
    behind: Table | None       # None: no area is behind


def _thresholds(r: dict, lg: str) -> str:
    """'≥ 80.0% / ≥ 75.0%': where met and near start for this indicator in this period."""
    tgt = r["target"]
    if not tgt or r["expected"] is None:
        return "—"
    if r["kind"] == "yesno":
        return tr("common.yes")
    goal = r["expected"]
    band = tgt["near_band"] if r["kind"] == "ratio" else tgt["near_band"] * abs(goal)
    sign = "≥" if r["higher_is_better"] else "≤"
    near = goal - band if r["higher_is_better"] else goal + band

    def short(v: float) -> str:
        digits = 0 if abs(v * 100 - round(v * 100)) < 1e-6 else 1
        return value_text(v, r["kind"], r["unit"], lg, digits=digits)

    return f"{sign} {short(goal)} / {sign} {short(near)}"


def _target_text(r: dict, lg: str) -> str:
    tgt = r["target"]
    return target_text(tgt["value"] if tgt else None, tgt["comparison"] if tgt else ">=", r["kind"], r["unit"], lg)


def _table(frame: pd.DataFrame, statuses: list[str], items: list[phone.Item]) -> Table:
    column = tr("common.status")
    return Table(frame=styled_tables.share(frame), statuses=tuple(statuses), status_column=column,
                 key=status_key(frame, statuses, column), phone_html=phone.list_html(items))


def _targets(targeted: list[dict], lg: str) -> Table:
    out = []
    for r in targeted:
        tgt = r["target"]
        scale = 100 if r["kind"] == "ratio" else 1
        out.append({
            tr("common.indicator"): grouped_name(r),
            tr("common.value"): value_text(r["value"], r["kind"], r["unit"], lg),
            tr("common.target"): _target_text(r, lg),
            tr("common.target_date"): str(tgt["target_date"]) if tgt else "",
            tr("common.status"): status_label(r["status"], lg),
            tr("common.change"): change_text(r["change"], r["kind"], lg),
            tr("home.col.thresholds"): _thresholds(r, lg),
            # Missing quarters are left out of the sparkline (a gap would turn the cell into text).
            tr("home.col.trend"): [round(v * scale, 2) for v in r["trend"] if not is_missing(v)],
        })
    # On a phone the eight columns do not fit: a compact list instead (name, value, target, status).
    items = [phone.Item(grouped_name(r), phone.figures(value_text(r["value"], r["kind"], r["unit"], lg),
                                                       tr("common.target") + " " + _target_text(r, lg)),
                        r["status"], status_label(r["status"], lg), r["code"]) for r in targeted]
    return _table(pd.DataFrame(out), [r["status"] for r in targeted], items)


def gap_text(r: dict) -> str:
    if r["ind"]["kind"] == "ratio":
        return tr("home.gap.points", gap=percent(r['shortfall']))
    return tr("home.gap.share", gap=percent(r['shortfall'], 0))


def _behind(behind: list[dict], lg: str) -> Table:
    frame = pd.DataFrame([{
        tr("common.township"): name(r["region"]),
        tr("common.indicator"): name(r["ind"]),
        tr("common.value"): value_text(r["value"], r["ind"]["kind"], r["ind"]["unit"], lg),
        tr("common.target"): value_text(r["expected"], r["ind"]["kind"], r["ind"]["unit"], lg),
        tr("home.attention.gap"): gap_text(r),
        tr("common.status"): status_label(r["status"], lg),
    } for r in behind])
    items = [phone.Item(
        f"{name(r['region'])} · {name(r['ind'])}",
        phone.figures(value_text(r["value"], r["ind"]["kind"], r["ind"]["unit"], lg),
                      tr("common.target") + " " + value_text(r["expected"], r["ind"]["kind"], r["ind"]["unit"], lg),
                      gap_text(r)),
        r["status"], status_label(r["status"], lg), f"{r['region']['code']}:{r['ind']['code']}") for r in behind]
    return _table(frame, [r["status"] for r in behind], items)


@st.cache_resource(show_spinner=False, max_entries=32)
def tables(version: int, period: str, lg: str) -> Tables | None:
    """The overview's tables for a data version, period and language (lg is the session's language,
    which the catalogue texts inside follow). None when there is no overview for the period."""
    view = data_views.overview(version, period)
    if view is None:
        return None
    targeted = [r for r in view["rows"] if r["is_target"]]
    return Tables(targets=_targets(targeted, lg), behind=_behind(view["behind"], lg) if view["behind"] else None)
