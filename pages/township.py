"""Township profile (乡镇画像): one township's indicators against target, its rank among the
townships, its service points by type and its trend."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from ui import data, data_assessment, data_views, phone
from ui.format import change_text, is_missing, status_label, target_text, value_text
from ui.frame import page_title, sample_banner
from ui.auth import guard_page
from ui.state import lang, md, name, tr
from ui.tasks import comments_panel
from ui.views import link_query, period_label, period_picker, status_styler, township_picker

# Streamlit can run a page file without app.py (first request after a start): check here too.
guard_page(__file__)

page_title("township.title", "township.caption")
sample_banner()
lg = lang()

pick_town, pick_period = st.columns([3, 1])
town = township_picker("profile_township", container=pick_town)
period = period_picker("profile_period", pick_period)
profile = data_views.township_profile(data.version(), period, town["code"])
if profile is None:
    st.warning(tr("views.no_regions"))
    st.stop()

region = profile["region"]
st.subheader(f"{md(name(region))} · {period_label(period)}")
kind = tr(f"township.kind.{region['kind']}") if region.get("kind") else ""
st.caption(tr("township.facts", kind=kind, population=f"{region['population'] or 0:,}", villages=profile["villages"]))
st.page_link("pages/warnings.py", label=tr("township.open_warnings", count=profile["warnings"]),
             icon=":material/warning:", query_params=link_query(period=period, township=region["code"]))
data_assessment.township_score(region["code"], int(period[:4]))  # 考核: the year's score and rank

st.markdown(f"#### {tr('township.indicators')}")
rows = profile["rows"]
table = []
for r in rows:
    ind, tgt = r["ind"], r["target"]
    table.append({
        tr("common.indicator"): name(ind),
        tr("common.value"): value_text(r["value"], ind["kind"], ind["unit"], lg),
        tr("township.county_value"): value_text(r["county_value"], ind["kind"], ind["unit"], lg),
        tr("common.target"): "—" if not tgt else (
            target_text(tgt["value"], tgt["comparison"], ind["kind"], ind["unit"], lg) if r["expected"] is not None
            else tr("township.county_target",
                    target=target_text(tgt["value"], tgt["comparison"], ind["kind"], ind["unit"], lg))),
        tr("common.status"): status_label(r["status"], lg),
        tr("township.rank"): tr("views.rank_of", rank=r["rank"], total=r["ranked"]) if r["rank"] else "—",
        tr("common.change"): change_text(r["change"], ind["kind"], lg),
    })
phone.status_list([phone.Item(
    name(r["ind"]),
    phone.figures(value_text(r["value"], r["ind"]["kind"], r["ind"]["unit"], lg),
                  tr("township.county_value") + " " + value_text(r["county_value"], r["ind"]["kind"], r["ind"]["unit"], lg),
                  tr("views.rank_of", rank=r["rank"], total=r["ranked"]) if r["rank"] else ""),
    r["status"], status_label(r["status"], lg), r["ind"]["code"]) for r in rows], "township_indicators")
phone.wide("township_indicators").dataframe(
             status_styler(pd.DataFrame(table), [r["status"] for r in rows], tr("common.status")),
             hide_index=True, width="stretch", row_height=36,
             column_config={tr("common.indicator"): st.column_config.TextColumn(width="large")})
st.caption(tr("status.legend"))

points_col, trend_col = st.columns([2, 3], gap="large")
with points_col:
    st.markdown(f"#### {tr('township.points', date=profile['end_date'].isoformat())}")
    points = profile["points"]
    if not points:
        st.info(tr("township.points_none"))
    else:
        point_labels = data.point_type_labels(lang())
        frame = pd.DataFrame([{tr("township.point_type"): point_labels.get(t, t), tr("township.point_count"): n}
                              for t, n in sorted(points.items(), key=lambda kv: (-kv[1], kv[0]))])
        st.dataframe(frame, hide_index=True, width="stretch")

with trend_col:
    st.markdown(f"#### {tr('township.trend')}")
    names = {r["ind"]["code"]: name(r["ind"]) for r in rows}
    trend = pd.DataFrame([dict(indicator=names.get(p["indicator"], p["indicator"]), quarter=period_label(p["period"]),
                               order=p["period"], value=p["value"] * 100)
                          for p in profile["trend"] if not is_missing(p["value"])])
    if trend.empty:
        st.info(tr("views.no_data_period", period=period_label(period)))
    else:
        order = [period_label(c) for c in profile["periods"]]
        chart = alt.Chart(trend).mark_line(point=True, strokeWidth=2).encode(
            x=alt.X("quarter:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelFontSize=12)),
            y=alt.Y("value:Q", title="%", scale=alt.Scale(domain=[0, 100]), axis=alt.Axis(labelFontSize=12)),
            color=alt.Color("indicator:N", title=None,
                            legend=alt.Legend(orient="bottom", columns=2, labelFontSize=12, labelLimit=320)),
            tooltip=["indicator:N", "quarter:N", alt.Tooltip("value:Q", format=".1f")],
        ).properties(height=380)
        st.altair_chart(chart, width="stretch")

comments_panel(period, area=town)  # leaders' comments on this township's figures, the quarter's
