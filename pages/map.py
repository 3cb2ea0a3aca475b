"""Coverage map (覆盖地图): region polygons coloured by an indicator, service points by type, the
coverage per township beside it, the gaps list (Excel) and the data problems. No internet needed."""
from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from data_access import geo
from data_access.suppression import shows_raw
from data_access.registry import gaps_workbook
from ui import auth, data, data_map, phone
from ui.format import count_text, percent
from ui.frame import page_title, sample_banner
from ui.state import lang, md, name, tr, trm

auth.guard_page(__file__)

page_title("map.title", "map.caption")
sample_banner()

lg = lang()
version = data.version()
choices = data.period_choices(version)
root = data_map.root_area(version)
if not choices:
    st.warning(tr("map.no_period"))
    st.stop()
if root is None:
    st.warning(tr("map.empty"))
    st.stop()

codes = [c["code"] for c in choices]
labels = {c["code"]: tr("period.label", year=c["year"], quarter=c["quarter"]) for c in choices}
default = data.default_period_code(version) or codes[-1]
asked = st.query_params.get("period")

# A province/city deployment: pick a county (default: the whole area, aggregated per county).
area_code = root["code"]
county_list = data_map.counties(version, root["code"]) if root["level"] in ("province", "city") else []
# Every selector sits in this one row, the shading choice in a slot of its own that stays (empty)
# when it does not apply: nothing above the map appears or disappears with a choice, so the browser
# updates the map in place instead of building a new WebGL map (~2 s, FIELD-NOTES).
top = st.columns([1, 2, 1.3, 1.3, 1.3] if county_list else [1, 2, 1.3, 1.3])
period = top[0].selectbox(tr("common.period"), codes[::-1], format_func=labels.get,
                          index=codes[::-1].index(asked if asked in codes else default), key="map_period")
st.query_params["period"] = period

colour_labels = data_map.colouring_choices(version, lg)
colouring = top[1].selectbox(tr("map.colour_by"), list(colour_labels), format_func=colour_labels.get,
                             key="map_colour")

if county_list:
    county_names = {"": tr("map.area.all"), **{c["code"]: name(c) for c in county_list}}
    # format_func is a dict lookup, never a call to tr(): AppTest formats values outside the script run.
    picked = top[2].selectbox(tr("map.area"), list(county_names), format_func=county_names.get, key="map_area")
    area_code = picked or root["code"]
county_view = not county_list or area_code != root["code"]

township = None
if county_view:
    township_list = data_map.townships(version, area_code)
    township_names = {"": tr("map.township.all"), **{tw["code"]: name(tw) for tw in township_list}}
    wanted = st.query_params.get("township")
    options = list(township_names)
    township = (top[3] if county_list else top[2]).selectbox(
        tr("map.township"), options, index=options.index(wanted) if wanted in options else 0,
        format_func=township_names.get, key="map_township") or None
    if township:
        st.query_params["township"] = township
    else:
        st.query_params.pop("township", None)

shade = None
if county_view and colouring and data_map.village_shading(version, colouring):
    shade_labels = {s: tr(f"map.shade.{s}") for s in ("village", "township")}
    shade = top[-1].radio(tr("map.shade"), list(shade_labels), format_func=shade_labels.get, horizontal=True,
                          key="map_shade")

with st.expander(tr("map.types"), expanded=False):
    f1, f2 = st.columns([3, 1])
    type_labels = data.point_type_labels(lang())
    state_labels = {s: tr(f"map.state.{s}") for s in geo.POINT_STATES}
    types = f1.multiselect(tr("map.types"), list(type_labels), default=list(type_labels), format_func=type_labels.get,
                           key="map_types", label_visibility="collapsed")
    states = f2.multiselect(tr("map.states"), list(state_labels), default=[geo.OPEN], format_func=state_labels.get,
                            key="map_states")

tile = data_map.tile_url(version)
on_phone = phone.is_phone()
# The meeting-screen account (and anyone not signed in as staff) sees the suppressed map: the
# same small counts hidden as in the briefing, in the tooltips and in the fill colours.
public = not shows_raw(auth.current_role())
view = data_map.map_view(version, period, colouring, lg, area_code, township, tuple(types), tuple(states), shade,
                         tile, on_phone, public)
payload = view[0] if view else None
if view is None or not payload.fills:
    st.warning(tr("map.empty"))
    st.stop()


def swatch(colour: list[int], label: str, round_: bool = False) -> str:
    r, g, b = colour[:3]
    alpha = (colour[3] / 255) if len(colour) > 3 else 1
    radius = "50%" if round_ else "2px"
    # A long label (the catalogue names the point types: "已有村（社区）心理咨询室或…") wraps beside its
    # swatch instead of pushing a phone's page sideways.
    return (f'<span style="display:inline-flex;align-items:flex-start;margin:0 14px 4px 0;max-width:100%">'
            f'<span style="width:14px;height:14px;border-radius:{radius};border:1px solid #667;flex:none;'
            f'background:rgba({r},{g},{b},{alpha:.2f});margin:0.2em 6px 0 0;display:inline-block"></span>'
            f'<span>{html.escape(label)}</span></span>')


left, right = st.columns([2, 1.3])
with left:
    st.pydeck_chart(view[1], height=data_map.PHONE_MAP[1] if on_phone else 620, key="coverage_map")
    st.markdown(f"**{tr('map.legend')}** · {md(colour_labels[colouring])}<br>"
                + "".join(swatch(item["colour"], item["label"]) for item in payload.legend),
                unsafe_allow_html=True)
    if payload.scale == "county":
        shown = {tp for tp in payload.points}
        point_labels = data.point_type_labels(lang())
        st.markdown(f"**{tr('map.legend.points')}** · {tr('map.points_shown', count=payload.point_count)}<br>"
                    + "".join(swatch(geo.type_colour(tp), point_labels.get(tp, tp), round_=True)
                              for tp in point_labels if tp in shown),
                    unsafe_allow_html=True)
    else:
        st.caption(tr("map.legend.bubbles") + " · " + tr("map.points_shown", count=payload.point_count))
    if public:
        st.caption(tr("map.suppressed_note"))
    if tile:
        st.caption(trm("map.tiles_on", url=tile))

shares = data_map.coverage_indicators(version, lg)

with right:
    st.markdown(f"#### {tr('map.summary') if county_view else tr('map.summary.counties')}")
    summary = data_map.coverage_summary(version, period, lg, area_code, public)
    if not shares:
        st.caption(tr("map.summary.none"))
    elif not summary.empty:
        # One column per share rule of the catalogue, named by the indicator: "62.5%（5 / 8）".
        def cell(row: pd.Series, code: str) -> str:
            if row[f"{code}.hidden"]:
                return tr("suppression.hidden")
            if pd.isna(row[code]):
                return "—"
            return tr("map.summary.cell", value=f"{percent(row[code])}%", numerator=count_text(row[f"{code}.n"]),
                      denominator=count_text(row[f"{code}.d"]))

        first = tr("common.township") if county_view else tr("map.area")
        shown = pd.DataFrame({first: summary["township"]})
        for share in shares:
            shown[share["name"]] = [cell(row, share["code"]) for _, row in summary.iterrows()]
        # Narrow columns (an indicator's name is long; its full name shows on hover), so two or three
        # coverage rules fit beside the map without scrolling sideways.
        config = {first: st.column_config.TextColumn(width=88, pinned=True),
                  **{share["name"]: st.column_config.TextColumn(width=132, help=share["name"]) for share in shares}}
        st.dataframe(shown, hide_index=True, width="stretch", height=min(560, 38 + 35 * len(shown)),
                     column_config=config, key="map_summary")
        st.caption(tr("map.summary.note"))

# --- gaps: one list per share rule of the catalogue -------------------------------------------------
st.markdown(f"#### {tr('map.gaps')}")
if not county_view:
    st.info(tr("map.gaps.province"))
elif not shares:
    st.caption(tr("map.summary.none"))
else:
    lists = data_map.gaps(version, period, lg, area_code, township, public)
    headers = {"code": tr("map.col.code"), "township": tr("common.township"), "kind": tr("map.col.kind"),
               "population": tr("common.population")}
    sheets = {}
    for start in range(0, len(shares), 2):
        row_cols = st.columns(2)
        for share, col in zip(shares[start:start + 2], row_cols):
            frame = lists.get(share["code"], pd.DataFrame(columns=["code", "name", "population"]))
            view = frame.drop(columns=["code"]).rename(columns={**headers, "name": share["column"]})
            with col:
                st.markdown(f"**{md(tr('map.gaps.of', indicator=share['name'], units=share['units'], count=len(view)))}**")
                st.caption(md(share["rule"]))
                if view.empty:
                    st.caption(tr("map.gaps.none"))
                else:
                    st.dataframe(view, hide_index=True, width="stretch", height=min(280, 38 + 35 * len(view)),
                                 key=f"map_gaps_{share['code']}")
            sheets[share["name"]] = view
    if any(s["unit"] == "facility" for s in shares):
        st.caption(tr("map.gaps.population_note"))
    # Made when clicked (a deferred callable), not on every run of the page.
    st.download_button(tr("map.gaps.download"), lambda: gaps_workbook(sheets), on_click="ignore",
                       file_name=f"gaps-{area_code}-{period}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       icon=":material/download:", key="map_gaps_download")

# --- data problems ------------------------------------------------------------------------------
problems = payload.problems
title = tr("map.problems", count=len(problems)) if problems else tr("map.problems.none")
with st.expander(title, expanded=False, icon=":material/warning:" if problems else ":material/check:"):
    if problems:
        st.caption(tr("map.problems.help"))
        frame = pd.DataFrame(problems)[["code", "name", "type_label", "township", "lon", "lat", "problem_label"]]
        frame = frame.rename(columns={"code": tr("map.col.code"), "name": tr("map.col.name"),
                                      "type_label": tr("map.col.type"), "township": tr("common.township"),
                                      "lon": tr("map.col.lon"), "lat": tr("map.col.lat"),
                                      "problem_label": tr("map.col.problem")})
        st.dataframe(frame, hide_index=True, width="stretch", key="map_problems")
