"""Widgets the leading-group views share: pickers that follow the URL, status styling, charts.

Every picker reads its starting value from st.query_params and writes the choice back, so a link
opens on the same view and a language switch (which reruns the page) keeps it. Bad values in the
URL give a clear message and a sensible default, never an exception.
"""
from __future__ import annotations

import hashlib

import altair as alt
import pandas as pd
import streamlit as st

from data_access.indicators import BEHIND, MET, NEAR, NO_DATA, NO_TARGET
from ui import data, data_views, styled_tables
from ui.format import STATUS_COLOURS, fixed, is_missing, status_colours, status_label
from i18n import name_of, t
from ui.state import lang, name, tr, trm

STATUS_ORDER = [MET, NEAR, BEHIND, NO_DATA, NO_TARGET]


def period_label(code: str, lg: str | None = None) -> str:
    """'2026年第3季度'; lg: a language other than the session's (or outside a session)."""
    values = dict(year=int(code[:4]), quarter=int(code[-1]))
    return tr("period.label", **values) if lg is None else t("period.label", lg, **values)


def _url_select(key: str, param: str, label: str, options: list[str], labels: dict[str, str], default: str,
                unknown_key: str, container=None) -> str:  # noqa: ANN001
    """A selectbox that starts from ?<param>= (a clear warning when the URL names an unknown value)
    and writes the choice back to the URL."""
    box = container or st
    asked = st.query_params.get(param)
    if asked and asked not in options:
        st.warning(trm(unknown_key, asked=asked))
    start = asked if asked in options else default
    if st.session_state.get(key) not in options:
        st.session_state.pop(key, None)
    # Labels are computed by the caller, not inside format_func: it may run outside the script
    # (AppTest), where the session's language is not available.
    choice = box.selectbox(label, options, format_func=labels.get, index=options.index(start), key=key)
    st.query_params[param] = choice
    return choice


def period_picker(key: str, container=None) -> str:  # noqa: ANN001
    """The period from ?period= (if known), else the latest with data. Stops the page if none ended."""
    version = data.version()
    options = period_options(version)
    if not options:
        st.warning(tr("home.no_period"))
        st.stop()
    codes = options[::-1]
    return _url_select(key, "period", tr("common.period"), options, _period_labels(version, lang(), tuple(options)),
                       data.default_period_code(version) or codes[-1], "views.unknown_period", container)


@st.cache_resource(show_spinner=False, max_entries=16)
def _period_labels(version: int, lg: str, options: tuple[str, ...]) -> dict[str, str]:
    """'2026年第3季度 · 已审核' for every quarter of the picker, made once per data version and
    language (approving or unlocking a quarter bumps the version). Shared by every session: read only.
    Reads no session (the warm-up thread makes them too)."""
    from ui.data_approval import _statuses, labelled  # 已审核 / 待审核 beside each quarter

    known = _statuses(version)
    return {c: labelled(c, period_label(c, lg), known, lg) for c in options}


def period_options(version: int) -> list[str]:
    """The quarters a period picker offers, newest first."""
    return [c["code"] for c in data.period_choices(version)][::-1]


def indicator_picker(key: str, container=None) -> dict:  # noqa: ANN001
    """An indicator from ?indicator=, else the first target indicator."""
    items = data_views.catalogue(data.version())
    if not items:
        st.warning(tr("home.empty_db"))
        st.stop()
    by_code = {i["code"]: i for i in items}
    # Named under their group heading (双百计划 · …), as the overview lists them.
    code = _url_select(key, "indicator", tr("indicator.pick"), list(by_code),
                       {c: grouped_name(i) for c, i in by_code.items()}, items[0]["code"], "views.unknown_indicator",
                       container)
    return by_code[code]


def township_picker(key: str, label_key: str = "township.pick", container=None,
                    param: str = "township") -> dict:  # noqa: ANN001
    """A township from ?township= (code), else the first one."""
    kids = data_views.children(data.version())["children"]
    if not kids:
        st.warning(tr("views.no_regions"))
        st.stop()
    by_code = {k["code"]: k for k in kids}
    code = _url_select(key, param, tr(label_key), list(by_code), {c: name(k) for c, k in by_code.items()},
                       kids[0]["code"], "views.unknown_township", container)
    return by_code[code]


def _table_uuid(frame: pd.DataFrame) -> str:
    # A fixed uuid (pandas picks a random one per Styler): the same table gives the same message to
    # every session and every rerun, so the browser does not redraw an unchanged table.
    return hashlib.sha1("|".join(map(str, frame.columns)).encode()).hexdigest()[:6]


def status_key(frame: pd.DataFrame, statuses: list[str] | tuple[str, ...], column: str) -> str | None:
    """The content key of status_styler(frame, statuses, column): compute it once with the frame when
    the same table is shown again and again (ui/overview.py)."""
    return styled_tables.content_key(frame, "status", column, list(statuses), _table_uuid(frame))


def status_styler(frame: pd.DataFrame, statuses: list[str] | tuple[str, ...], column: str,  # noqa: ANN201
                  key: str | None = None):
    """Colour the status column; the text already carries a symbol and a word, so colour is extra.
    key: status_key(frame, statuses, column) when already known."""

    def style(col: pd.Series) -> list[str]:
        if col.name != column:
            return [""] * len(col)
        return [f"color: {status_colours(s)[0]}; background-color: {status_colours(s)[1]}; font-weight: 600"
                for s in statuses]

    # The same table for everyone (the overview's targets for a period and language): marshalled once.
    styled_tables.install()
    return styled_tables.keyed(frame.style.set_uuid(_table_uuid(frame)).apply(style),
                               key if key is not None else status_key(frame, statuses, column))


def scale(kind: str) -> float:
    """Charts show rates in per cent."""
    return 100.0 if kind == "ratio" else 1.0


def axis_title(ind: dict) -> str:
    return "%" if ind["kind"] == "ratio" else (ind["unit"] or "")


def status_colour_scale(present: list[str] | None = None) -> alt.Scale:
    shown = [s for s in STATUS_ORDER if present is None or s in present]
    return alt.Scale(domain=[status_label(s, lang()) for s in shown], range=[STATUS_COLOURS[s][0] for s in shown])


def trend_chart(detail: dict) -> alt.Chart | None:
    """County value by quarter (solid), the target (rule), the needed trajectory (dashed) to the target date."""
    ind, target, traj = detail["indicator"], detail["target"], detail["trajectory"]
    k = scale(ind["kind"])
    actual = pd.DataFrame([dict(date=pd.Timestamp(p["end_date"]), value=p["value"] * k, quarter=period_label(p["period"]),
                                series=tr("views.series.actual"))
                           for p in detail["trend"] if not is_missing(p["value"])])
    if actual.empty:
        return None
    layers = []
    colour_domain = [tr("views.series.actual")]
    colour_range = ["#1f4e79"]
    dash_range = [[1, 0]]
    lines = [actual]
    # The needed trajectory only while the target is not met yet (a met target needs no path).
    if (target is not None and traj is not None and traj.get("quarters_left") and ind["accumulate"] != "ytd"
            and (detail["county"] or {}).get("status") != "met"):
        last = actual.iloc[-1]
        lines.append(pd.DataFrame([
            dict(date=last["date"], value=last["value"], quarter=last["quarter"], series=tr("views.series.needed")),
            dict(date=pd.Timestamp(target["target_date"]), value=target["value"] * k,
                 quarter=str(target["target_date"]), series=tr("views.series.needed"))]))
        colour_domain.append(tr("views.series.needed"))
        colour_range.append("#b42318")
        dash_range.append([6, 4])
    frame = pd.concat(lines, ignore_index=True)
    value_title = axis_title(ind)
    base = alt.Chart(frame).encode(
        x=alt.X("date:T", title=tr("views.quarter"), axis=alt.Axis(format="%Y-%m", labelFontSize=13, titleFontSize=14)),
        y=alt.Y("value:Q", title=value_title, scale=alt.Scale(zero=False),
                axis=alt.Axis(labelFontSize=13, titleFontSize=14)),
        color=alt.Color("series:N", title=None, scale=alt.Scale(domain=colour_domain, range=colour_range),
                        legend=alt.Legend(orient="bottom", labelFontSize=13, labelLimit=400)),
        strokeDash=alt.StrokeDash("series:N", legend=None, scale=alt.Scale(domain=colour_domain, range=dash_range)),
        tooltip=[alt.Tooltip("quarter:N", title=tr("common.period")), alt.Tooltip("value:Q", title=value_title,
                                                                                  format=",.1f")],
    )
    layers.append(base.mark_line(strokeWidth=3, point=alt.OverlayMarkDef(size=70)))
    if target is not None:
        rule = pd.DataFrame([dict(value=target["value"] * k, label=f"{tr('views.series.target')} "
                                  f"{fixed(target['value'] * k, 0, grouping=True)}{'%' if ind['kind'] == 'ratio' else ''}")])
        layers.append(alt.Chart(rule).mark_rule(color="#1a7f37", strokeWidth=2).encode(y="value:Q"))
        layers.append(alt.Chart(rule).mark_text(align="left", dx=4, dy=-8, color="#1a7f37", fontSize=13,
                                                fontWeight="bold")
                      .encode(y="value:Q", x=alt.value(0), text="label:N"))
    return alt.layer(*layers).properties(height=340)


def ranking_chart(rows: list[dict], ind: dict, target_value: float | None) -> alt.Chart | None:
    """Areas as horizontal bars, best first, coloured and labelled by status, the target as a rule."""
    k = scale(ind["kind"])
    frame = pd.DataFrame([dict(area=name(r["region"]), value=r["value"] * k,
                               label=f"{fixed(r['value'] * k, 1, grouping=True)}{'%' if ind['kind'] == 'ratio' else ''}",
                               status=status_label(r["status"], lang()), rank=r["rank"], code=r["status"])
                          for r in rows if not is_missing(r["value"])])
    if frame.empty:
        return None
    frame = frame.sort_values(["rank", "area"])
    order = list(frame["area"])
    y = alt.Y("area:N", sort=order, title=None, axis=alt.Axis(labelFontSize=13, labelLimit=260))
    bars = alt.Chart(frame).mark_bar().encode(
        y=y, x=alt.X("value:Q", title=axis_title(ind), axis=alt.Axis(labelFontSize=13, titleFontSize=14)),
        color=alt.Color("status:N", title=tr("common.status"), scale=status_colour_scale(list(frame["code"].unique())),
                        legend=alt.Legend(orient="bottom", labelFontSize=13)),
        tooltip=["area:N", alt.Tooltip("value:Q", format=",.1f"), "status:N", "rank:Q"])
    text = alt.Chart(frame).mark_text(align="left", dx=4, fontSize=13, color="#1f2328").encode(
        y=y, x="value:Q", text="label:N")
    layers = [bars, text]
    if target_value is not None:
        rule = pd.DataFrame([dict(value=target_value * k)])
        layers.append(alt.Chart(rule).mark_rule(color="#1a7f37", strokeWidth=3, strokeDash=[6, 3]).encode(x="value:Q"))
    return alt.layer(*layers).properties(height=max(260, 30 * len(frame) + 60))


def link_query(**values: str) -> dict:
    """Query parameters for a link to another view, keeping the language."""
    out = {k: v for k, v in values.items() if v}
    if lang() != "zh":
        out["lang"] = lang()
    return out


def grouped_name(row: dict, lg: str | None = None) -> str:
    """An indicator's name under its group heading ("双百计划 · 家庭教育指导师人数"); the plain name
    when it has no group. lg: a language other than the session's (or outside a session)."""
    lg = lg or lang()
    group = (row.get("group_en") if lg == "en" else None) or row.get("group_zh")
    return f"{group} · {name_of(row, lg)}" if group else name_of(row, lg)
