"""Indicator detail (指标详情): one indicator's county trend against the target and the trajectory
needed, every township ranked, numerators and denominators, and the villages of a township."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access.indicators import NO_TARGET
from ui import data, data_views, phone
from ui.format import change_text, count_text, fixed, is_missing, percent, status_label, target_text, value_text
from ui.frame import page_title, sample_banner
from ui.auth import guard_page
from ui.state import lang, md, name, tr, trm
from ui.tasks import comments_panel
from ui.views import (grouped_name, link_query, period_label, period_picker, ranking_chart, status_styler, township_picker,
                      indicator_picker, trend_chart)

# Streamlit can run a page file without app.py (first request after a start): check here too.
guard_page(__file__)

page_title("indicator.title", "indicator.caption")
sample_banner()
lg = lang()

pick_ind, pick_period = st.columns([3, 1])
ind = indicator_picker("detail_indicator", pick_ind)
period = period_picker("detail_period", pick_period)
detail = data_views.indicator_detail(data.version(), period, ind["code"])
if detail is None:
    st.warning(tr("home.empty_db"))
    st.stop()

kind, unit = ind["kind"], ind["unit"]
target, county, traj = detail["target"], detail["county"] or {}, detail["trajectory"]
# Under its group heading (双百计划 · …), as the overview lists it.
st.subheader(f"{md(grouped_name(ind))} · {period_label(period)}")

value = county.get("value")
cols = phone.one_row("indicator_cards").columns(3)
cols[0].metric(tr("indicator.county_value"), value_text(value, kind, unit, lg),
               delta=None if is_missing(county.get("change")) else change_text(county["change"], kind, lg),
               delta_color="normal" if ind["higher_is_better"] else "inverse", border=True)
if target:
    cols[1].metric(tr("common.target"), target_text(target["value"], target["comparison"], kind, unit, lg),
                   border=True)
    cols[2].metric(tr("common.status"), status_label(county.get("status", NO_TARGET), lg), border=True)
# Long labels and figures go in one caption line: metric cards would cut them off.
facts = []
if target:
    facts.append(tr("indicator.target_by", date=str(target["target_date"])))
if kind == "ratio" and not is_missing(county.get("denominator")):
    num_label = (ind["numerator_en"] if lg == "en" else ind["numerator_zh"]) or tr("common.numerator")
    den_label = (ind["denominator_en"] if lg == "en" else ind["denominator_zh"]) or tr("common.denominator")
    if ind.get("meeting"):
        facts.append(tr(f"indicator.meeting.{ind['meeting']}", n=count_text(county["numerator"]),
                        total=count_text(county["denominator"])))
    else:
        facts.append(f"{num_label} / {den_label}: {count_text(county['numerator'])} / {count_text(county['denominator'])}")
if facts:
    st.caption(" · ".join(facts))

if not ind["is_target"] or target is None:
    st.info(tr("views.no_target"))
if is_missing(value):
    st.warning(tr("views.no_data_period", period=period_label(period)))


def per_quarter(x: float | None) -> str:
    if is_missing(x):
        return "—"
    if kind == "ratio":
        return tr("indicator.unit.points", value=percent(x, 1, sign=True))
    return fixed(x, 1, sign=True, grouping=True)


if traj:
    fmt = {"left": traj["quarters_left"], "needed": per_quarter(traj["needed_per_quarter"]),
           "pace": per_quarter(traj["pace_per_quarter"]),
           "projected": value_text(traj["projected"], kind, unit, lg)}
    if county.get("status") == "met" or (traj["on_track"] and traj["value"] >= traj["target"]):
        st.success(tr("indicator.trajectory.met"))
    elif traj["quarters_left"] == 0:
        st.error(tr("indicator.trajectory.overdue"))
    elif traj["on_track"] is None:
        st.info(tr("indicator.trajectory.unknown", **fmt))
    elif traj["on_track"]:
        st.success(tr("indicator.trajectory.on_track", **fmt))
    else:
        st.error(tr("indicator.trajectory.off_track", **fmt))

st.markdown(f"#### {tr('indicator.trend')}")
chart = trend_chart(detail)
if chart is not None:
    st.altair_chart(chart, width="stretch")
    st.caption(tr("indicator.trend_caption"))

st.markdown(f"#### {tr('indicator.ranking')}")
areas = detail["areas"]
below_target = target["value"] if target and detail["target_applies_below"] else None
if target and not detail["target_applies_below"]:
    st.info(tr("views.county_target", target=target_text(target["value"], target["comparison"], kind, unit, lg)))
bars = ranking_chart(areas, ind, below_target)
if bars is None:
    st.warning(tr("views.no_data_period", period=period_label(period)))
else:
    st.altair_chart(bars, width="stretch")
    st.caption(tr("indicator.ranking_caption"))

st.markdown(f"#### {tr('indicator.table')}")
ordered = sorted(areas, key=lambda r: (r["rank"] is None, r["rank"] or 0, r["region"]["code"]))
table_rows = []
for r in ordered:
    row = {tr("common.rank"): tr("views.rank_of", rank=r["rank"], total=r["ranked"]) if r["rank"] else "—",
           tr("common.township"): name(r["region"])}
    if kind == "ratio":
        num_col = (ind["numerator_en"] if lg == "en" else ind["numerator_zh"]) or tr("common.numerator")
        den_col = (ind["denominator_en"] if lg == "en" else ind["denominator_zh"]) or tr("common.denominator")
        row[num_col] = "—" if is_missing(r["numerator"]) else count_text(r['numerator'])
        row[den_col] = "—" if is_missing(r["denominator"]) else count_text(r['denominator'])
    row[tr("common.value")] = value_text(r["value"], kind, unit, lg)
    row[tr("common.change")] = change_text(r["change"], kind, lg)
    row[tr("common.status")] = status_label(r["status"], lg)
    table_rows.append(row)
phone.status_list([phone.Item(
    (tr("views.rank_of", rank=r["rank"], total=r["ranked"]) + " · " if r["rank"] else "") + name(r["region"]),
    phone.figures(value_text(r["value"], kind, unit, lg), change_text(r["change"], kind, lg)),
    r["status"], status_label(r["status"], lg), r["region"]["code"]) for r in ordered], "indicator_areas")
phone.wide("indicator_areas").dataframe(
             status_styler(pd.DataFrame(table_rows), [r["status"] for r in ordered], tr("common.status")),
             hide_index=True, width="stretch", height=35 * (len(table_rows) + 1) + 4,
             column_config={tr("common.rank"): st.column_config.TextColumn(width=80),
                            tr("common.township"): st.column_config.TextColumn(width=230)})

st.markdown(f"#### {tr('indicator.villages')}")
if ind["level"] != "village":
    st.caption(tr("indicator.villages_none"))
else:
    town = township_picker("detail_township", "indicator.villages_pick")
    rows = data_views.villages(data.version(), period, ind["code"], town["code"]) or []
    if ind["is_share"]:
        # A share rule over villages: each village has a point of the rule's types or not.
        points = (ind.get("points_en") if lg == "en" else None) or ind.get("points_zh", "")
        with_value = sum(1 for r in rows if not is_missing(r["value"]) and r["value"] >= 1)
        st.markdown(trm("indicator.villages_summary", township=name(town), count=len(rows), with_value=with_value,
                        types=points))
        column = tr("indicator.has_point", types=points)
        village_table = pd.DataFrame([{
            tr("common.village"): name(r),
            column: "—" if is_missing(r["value"]) else
                    ("✔ " + tr("common.yes") if r["value"] >= 1 else "✖ " + tr("common.no")),
        } for r in rows])
    else:
        st.markdown(trm("indicator.villages_count", township=name(town), count=len(rows)))
        village_table = pd.DataFrame([{tr("common.village"): name(r),
                                       tr("common.value"): value_text(r["value"], kind, unit, lg)} for r in rows])
    st.dataframe(village_table, hide_index=True, width="stretch")
    st.page_link("pages/township.py", label=tr("indicator.open_township"), icon=":material/location_city:",
                 query_params=link_query(township=town["code"], period=period))

comments_panel(period, indicator=ind)  # leaders' comments on this indicator's figures, the quarter's
