"""The overview's tables, built once per data version, period and language and shared by every
session (issue 18): the indicator table and the "behind" table as the HTML tables a wide screen
shows (ui/html_table.py) and as the phones' compact lists. A meeting's twenty leaders get the
strings the first of them caused to be made; a run only sends them.

The objects returned are shared: callers read them and never change them.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from ui import data_views, html_table, phone
from ui.format import change_text, is_missing, percent, status_label, target_text, value_text
from i18n import name_of, t
from ui.html_table import Column
from ui.views import grouped_name


@dataclass(frozen=True)
class Table:
    """A status table as the page shows it: the table for wide screens and the same rows as a compact
    list for phones."""

    html: str
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
        return t("common.yes", lg)
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


def _table(frame: pd.DataFrame, columns: list[Column], statuses: list[str], items: list[phone.Item],
           links: list[str] | None = None, spark_labels: list[str] | None = None) -> Table:
    return Table(html=html_table.CSS + html_table.table(frame, columns, statuses, links, spark_labels),
                 phone_html=phone.list_html(items))


def _targets(targeted: list[dict], lg: str) -> Table:
    out = []
    for r in targeted:
        tgt = r["target"]
        scale = 100 if r["kind"] == "ratio" else 1
        out.append({
            t("common.indicator", lg): grouped_name(r, lg),
            t("common.value", lg): value_text(r["value"], r["kind"], r["unit"], lg),
            t("common.target", lg): _target_text(r, lg),
            t("common.target_date", lg): str(tgt["target_date"]) if tgt else "",
            t("common.status", lg): status_label(r["status"], lg),
            t("common.change", lg): change_text(r["change"], r["kind"], lg),
            t("home.col.thresholds", lg): _thresholds(r, lg),
            # Missing quarters are left out of the sparkline (a gap would turn the cell into text).
            t("home.col.trend", lg): [round(v * scale, 2) for v in r["trend"] if not is_missing(v)],
        })
    # On a phone the eight columns do not fit: a compact list instead (name, value, target, status).
    items = [phone.Item(grouped_name(r, lg), phone.figures(value_text(r["value"], r["kind"], r["unit"], lg),
                                                       t("common.target", lg) + " " + _target_text(r, lg)),
                        r["status"], status_label(r["status"], lg), r["code"]) for r in targeted]
    columns = [Column(t("common.indicator", lg), min_em=16), Column(t("common.value", lg), "figure"),
               Column(t("common.target", lg), "figure"), Column(t("common.target_date", lg), "figure"),
               Column(t("common.status", lg), "status"), Column(t("common.change", lg), "figure"),
               Column(t("home.col.thresholds", lg), "figure"),
               Column(t("home.col.trend", lg), "spark", help=t("home.col.trend_help", lg))]
    # The trend's figures on hover, written and rounded as the value column writes them.
    trends = [" → ".join(value_text(v, r["kind"], r["unit"], lg) for v in r["trend"] if not is_missing(v))
              for r in targeted]
    return _table(pd.DataFrame(out), columns, [r["status"] for r in targeted], items, spark_labels=trends)


def gap_text(r: dict, lg: str) -> str:
    if r["ind"]["kind"] == "ratio":
        return t("home.gap.points", lg, gap=percent(r['shortfall']))
    return t("home.gap.share", lg, gap=percent(r['shortfall'], 0))


def _behind(behind: list[dict], period: str, lg: str) -> Table:
    frame = pd.DataFrame([{
        t("common.township", lg): name_of(r["region"], lg),
        t("common.indicator", lg): name_of(r["ind"], lg),
        t("common.value", lg): value_text(r["value"], r["ind"]["kind"], r["ind"]["unit"], lg),
        t("common.target", lg): value_text(r["expected"], r["ind"]["kind"], r["ind"]["unit"], lg),
        t("home.attention.gap", lg): gap_text(r, lg),
        t("common.status", lg): status_label(r["status"], lg),
    } for r in behind])
    items = [phone.Item(
        f"{name_of(r['region'], lg)} · {name_of(r['ind'], lg)}",
        phone.figures(value_text(r["value"], r["ind"]["kind"], r["ind"]["unit"], lg),
                      t("common.target", lg) + " " + value_text(r["expected"], r["ind"]["kind"], r["ind"]["unit"], lg),
                      gap_text(r, lg)),
        r["status"], status_label(r["status"], lg), f"{r['region']['code']}:{r['ind']['code']}") for r in behind]
    columns = [Column(t("common.township", lg), min_em=6), Column(t("common.indicator", lg), "link", min_em=14),
               Column(t("common.value", lg), "figure"), Column(t("common.target", lg), "figure"),
               Column(t("home.attention.gap", lg), "figure"), Column(t("common.status", lg), "status")]
    # Each row's indicator opens its detail for that township and period (a link: it can also be
    # opened in a new tab); the language goes along as the app's links do (ui.views.link_query).
    links = [html_table.href("indicator", indicator=r["ind"]["code"], period=period, township=r["region"]["code"],
                             lang="" if lg == "zh" else lg) for r in behind]
    return _table(frame, columns, [r["status"] for r in behind], items, links)


@st.cache_resource(show_spinner=False, max_entries=32)
def tables(version: int, period: str, lg: str) -> Tables | None:
    """The overview's tables for a data version, period and language (nothing here reads the session:
    the warm-up thread builds them too). None when there is no overview for the period."""
    view = data_views.overview(version, period)
    if view is None:
        return None
    targeted = [r for r in view["rows"] if r["is_target"]]
    return Tables(targets=_targets(targeted, lg),
                  behind=_behind(view["behind"], period, lg) if view["behind"] else None)
