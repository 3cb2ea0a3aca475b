"""Home: every indicator with the county's value for the period, its target and status."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access.indicators import BEHIND, MET, NEAR, NO_DATA
from ui import data
from ui.format import change_text, status_colours, status_label, target_text, value_text
from ui.frame import page_title, sample_banner
from ui.state import lang, name, tr

page_title("app.title")
sample_banner()

version = data.version()
choices = data.period_choices(version)
if not choices:
    st.warning(tr("home.no_period"))
    st.stop()
codes = [c["code"] for c in choices]
labels = {c["code"]: tr("period.label", year=c["year"], quarter=c["quarter"]) for c in choices}
default = data.default_period_code(version) or codes[-1]
asked = st.query_params.get("period")
period = st.selectbox(tr("common.period"), codes[::-1], format_func=labels.get,
                      index=codes[::-1].index(asked if asked in codes else default), key="home_period")
st.query_params["period"] = period

summary = data.root_summary(version, period)
if summary is None:
    st.warning(tr("home.empty_db"))
    st.stop()

st.subheader(tr("home.heading", region=name(summary["region"]), period=labels[period]))
st.caption(tr("home.caption"))
rows = summary["rows"]
targeted = [r for r in rows if r["is_target"]]
count = {s: sum(r["status"] == s for r in targeted) for s in (MET, NEAR, BEHIND, NO_DATA)}
st.markdown(tr("home.counts", met=count[MET], near=count[NEAR], behind=count[BEHIND], missing=count[NO_DATA]))


def table(items: list[dict], with_target: bool) -> pd.DataFrame:
    lg = lang()
    out = []
    for r in items:
        row = {tr("common.indicator"): name(r),
               tr("common.value"): value_text(r["value"], r["kind"], r["unit"], lg)}
        if with_target:
            tgt = r["target"]
            row[tr("common.target")] = target_text(tgt["value"] if tgt else None, tgt["comparison"] if tgt else ">=",
                                                   r["kind"], r["unit"], lg)
            row[tr("common.target_date")] = str(tgt["target_date"]) if tgt else ""
            row[tr("common.status")] = status_label(r["status"], lg)
        row[tr("common.change")] = change_text(r["change"], r["kind"])
        out.append(row)
    return pd.DataFrame(out)


def colour_status(frame: pd.DataFrame, items: list[dict]) -> "pd.io.formats.style.Styler":
    column = tr("common.status")

    def style(col: pd.Series) -> list[str]:
        if col.name != column:
            return [""] * len(col)
        return [f"color: {status_colours(r['status'])[0]}; background-color: {status_colours(r['status'])[1]}; "
                "font-weight: 600" for r in items]

    return frame.style.apply(style)


st.markdown(f"#### {tr('home.targets')}")
frame = table(targeted, with_target=True)
st.dataframe(colour_status(frame, targeted), hide_index=True, width="stretch")
st.caption(tr("status.legend"))

st.markdown(f"#### {tr('home.outcomes')}")
st.dataframe(table([r for r in rows if not r["is_target"]], with_target=False), hide_index=True, width="stretch")
