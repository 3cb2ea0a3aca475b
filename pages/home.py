"""Overview (总览): are we on track? Every target indicator with the county value, target, status,
change and trend; the outcome figures beside them; who and what needs attention."""
from __future__ import annotations


import pandas as pd
import streamlit as st

from data_access.indicators import BEHIND, LATE, MET, MISSING, NEAR, NO_DATA, NOT_DUE
from ui import data, data_views, phone
from ui.format import change_text, count_text, is_missing, percent, status_label, target_text, value_text
from ui.frame import page_title, sample_banner
from ui.meeting import overview_action
from ui.auth import guard_page
from ui.state import lang, md, name, tr, trm
from ui.tasks import liaison_block, overdue_block
from ui.views import grouped_name, link_query, period_label, period_picker, status_styler

# Streamlit can run a page file without app.py (first request after a start): check here too.
guard_page(__file__)

page_title("app.title")
sample_banner()
lg = lang()
liaison_block()  # a liaison's department's unfinished tasks, first thing after signing in

actions = st.columns([2, 2, 2, 3], vertical_alignment="bottom")
period = period_picker("overview_period", actions[0])
with actions[1]:
    overview_action(period)

version = data.version()
view = data_views.overview(version, period)
if view is None:
    st.warning(tr("home.empty_db"))
    st.stop()
actions[2].page_link("pages/warnings.py", label=tr("home.open_warnings", count=view["warnings"]),
                     icon=":material/warning:", query_params=link_query(period=period))

st.subheader(trm("home.heading", region=name(view["region"]), period=period_label(period)))
if not view["has_data"]:
    st.info(tr("home.period_no_data", period=period_label(period)))

rows = view["rows"]
targeted = [r for r in rows if r["is_target"]]
count = {s: sum(r["status"] == s for r in targeted) for s in (MET, NEAR, BEHIND, NO_DATA)}
st.markdown(tr("home.counts", met=count[MET], near=count[NEAR], behind=count[BEHIND], missing=count[NO_DATA]))
with phone.one_row("overview_counts"):  # one row of four short cards, on a phone too
    for col, (status, key) in zip(st.columns(4), [(MET, "home.metric.met"), (NEAR, "home.metric.near"),
                                                  (BEHIND, "home.metric.behind"), (NO_DATA, "home.metric.no_data")]):
        col.metric(tr(key), tr("home.metric.count", count=count[status]), border=True)


def thresholds(r: dict) -> str:
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


def target_table(items: list[dict]) -> pd.DataFrame:
    out = []
    for r in items:
        tgt = r["target"]
        scale = 100 if r["kind"] == "ratio" else 1
        out.append({
            tr("common.indicator"): grouped_name(r),
            tr("common.value"): value_text(r["value"], r["kind"], r["unit"], lg),
            tr("common.target"): target_text(tgt["value"] if tgt else None, tgt["comparison"] if tgt else ">=",
                                             r["kind"], r["unit"], lg),
            tr("common.target_date"): str(tgt["target_date"]) if tgt else "",
            tr("common.status"): status_label(r["status"], lg),
            tr("common.change"): change_text(r["change"], r["kind"], lg),
            tr("home.col.thresholds"): thresholds(r),
            # Missing quarters are left out of the sparkline (a gap would turn the cell into text).
            tr("home.col.trend"): [round(v * scale, 2) for v in r["trend"] if not is_missing(v)],
        })
    return pd.DataFrame(out)


# Full width: eight columns need the room on a 1440-px projector; the outcome cards follow in a row.
st.markdown(f"#### {tr('home.targets')}")
frame = target_table(targeted)
ROW = 38
# On a phone the eight columns do not fit: a compact list instead (name, value, target, status).
phone.status_list([phone.Item(grouped_name(r), phone.figures(
    value_text(r["value"], r["kind"], r["unit"], lg),
    tr("common.target") + " " + target_text(r["target"]["value"] if r["target"] else None,
                                            r["target"]["comparison"] if r["target"] else ">=",
                                            r["kind"], r["unit"], lg)),
    r["status"], status_label(r["status"], lg), r["code"]) for r in targeted], "overview_targets")
phone.wide("overview_targets").dataframe(
             status_styler(frame, [r["status"] for r in targeted], tr("common.status")), hide_index=True,
             width="stretch", row_height=ROW, height=ROW * (len(frame) + 1) + 4,
             column_config={
                 tr("common.indicator"): st.column_config.TextColumn(width=300),
                 tr("common.value"): st.column_config.TextColumn(width=75),
                 tr("common.target"): st.column_config.TextColumn(width=75),
                 tr("common.target_date"): st.column_config.TextColumn(width=95),
                 tr("common.status"): st.column_config.TextColumn(width=75),
                 tr("common.change"): st.column_config.TextColumn(width=80),
                 tr("home.col.thresholds"): st.column_config.TextColumn(width=125),
                 tr("home.col.trend"): st.column_config.LineChartColumn(help=tr("home.col.trend_help"), width=120),
             })
st.caption(tr("status.legend"))
st.caption(tr("home.thresholds_caption"))


st.markdown(f"#### {tr('home.outcomes')}")
by_code = {r["code"]: r for r in rows}
outcome_cols = iter(phone.two_a_row("overview_outcomes").columns(4))


def outcome(code: str, label_key: str, detail: str | None = None, inverse: bool = False) -> None:
    r = by_code.get(code)
    if r is None:
        return
    with next(outcome_cols):
        delta = None if is_missing(r["change"]) else change_text(r["change"], r["kind"], lg)
        st.metric(tr(label_key), value_text(r["value"], r["kind"], r["unit"], lg), delta=delta,
                  delta_color="inverse" if inverse else "normal", border=True,
                  help=f"{tr('home.outcome.vs_last')}: {delta or '—'}")
        if detail:
            st.caption(detail)


med = by_code.get("mediation_success")
mh = by_code.get("mh_records")
outcome("people_served", "home.outcome.people_served")
outcome("mediation_success", "home.outcome.mediation",
        tr("home.outcome.mediation_detail", disputes=count_text(med['denominator']), resolved=count_text(med['numerator']))
        if med and not is_missing(med["denominator"]) else None)
outcome("petitions", "home.outcome.petitions", inverse=True)
outcome("mh_records", "home.outcome.mh_records",
        tr("home.outcome.mh_detail", records=count_text(mh['numerator'])) if mh and not is_missing(mh["numerator"])
        else None)

st.divider()
st.markdown(f"#### {tr('home.attention')}")
sub = "home.attention.behind" if view["child_level"] == "township" else "home.attention.behind_sub"
st.markdown(f"**{tr(sub)}**")
behind = view["behind"]
if not behind:
    st.success(tr("home.attention.none"))
else:
    def gap_text(r: dict) -> str:
        if r["ind"]["kind"] == "ratio":
            return tr("home.gap.points", gap=percent(r['shortfall']))
        return tr("home.gap.share", gap=percent(r['shortfall'], 0))

    table = pd.DataFrame([{
        tr("common.township"): name(r["region"]),
        tr("common.indicator"): name(r["ind"]),
        tr("common.value"): value_text(r["value"], r["ind"]["kind"], r["ind"]["unit"], lg),
        tr("common.target"): value_text(r["expected"], r["ind"]["kind"], r["ind"]["unit"], lg),
        tr("home.attention.gap"): gap_text(r),
        tr("common.status"): status_label(r["status"], lg),
    } for r in behind])
    phone.status_list([phone.Item(
        f"{name(r['region'])} · {name(r['ind'])}",
        phone.figures(value_text(r["value"], r["ind"]["kind"], r["ind"]["unit"], lg),
                      tr("common.target") + " " + value_text(r["expected"], r["ind"]["kind"], r["ind"]["unit"], lg),
                      gap_text(r)),
        r["status"], status_label(r["status"], lg), f"{r['region']['code']}:{r['ind']['code']}") for r in behind],
        "overview_attention")
    picked = phone.wide("overview_attention").dataframe(
                          status_styler(table, [r["status"] for r in behind], tr("common.status")),
                          hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                          key="overview_attention", height=35 * (len(table) + 1) + 4,
                          column_config={tr("common.indicator"): st.column_config.TextColumn(width=330)})
    st.caption(tr("home.attention.open_indicator"))
    chosen = picked.selection.rows if picked and hasattr(picked, "selection") else []
    if chosen:
        r = behind[chosen[0]]
        st.switch_page("pages/indicator.py", query_params=link_query(
            indicator=r["ind"]["code"], period=period, township=r["region"]["code"]))

overdue_block()

st.markdown(f"**{tr('home.attention.reports')}**")
reports = view["reports"]
if reports:
    st.caption(tr("home.attention.deadline", date=str(reports[0]["deadline"])))
shown = [r for r in reports if r["state"] in (MISSING, LATE, NOT_DUE)]
if not shown:
    st.success(tr("home.attention.reports_ok"))
for r in shown:
    if r["state"] == MISSING:
        state = tr("home.attention.missing", days=r["days_late"])
    elif r["state"] == LATE:
        state = tr("home.attention.late", days=r["days_late"], date=r["first_at"].date().isoformat())
    else:
        state = tr("home.attention.not_due")
    colour = {MISSING: "red", LATE: "orange"}.get(r["state"], "gray")
    st.markdown(f"- **{md(name(r))}** — :{colour}[{state}]")
