"""Overview (总览): are we on track? Every target indicator with the county value, target, status,
change and trend; the outcome figures beside them; who and what needs attention."""
from __future__ import annotations


import streamlit as st

from data_access.indicators import BEHIND, LATE, MET, MISSING, NEAR, NO_DATA, NOT_DUE
from ui import data, data_views, overview, phone
from ui.format import change_text, count_text, is_missing, value_text
from ui.frame import page_title, sample_banner
from ui.meeting import overview_action
from ui.auth import guard_page
from ui.state import lang, md, name, tr, trm
from ui.tasks import liaison_block, overdue_block
from ui.views import link_query, period_label, period_picker

# Streamlit can run a page file without app.py (first request after a start): check here too.
guard_page(__file__)

page_title("app.title")
sample_banner()
lg = lang()
liaison_block()  # a liaison's department's unfinished tasks, first thing after signing in

actions = phone.wrapping_row("overview_actions").columns([2, 2, 2, 3], vertical_alignment="bottom")
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


# Full width: eight columns need the room on a 1440-px projector; the outcome cards follow in a row.
st.markdown(f"#### {tr('home.targets')}")
built = overview.tables(version, period, lg)   # the same for every session: made once per data version
targets = built.targets
# On a phone the eight columns do not fit: a compact list instead (name, value, target, status).
phone.show_list(targets.phone_html, "overview_targets")
phone.wide("overview_targets").html(targets.html)
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
    table = built.behind
    phone.show_list(table.phone_html, "overview_attention")
    phone.wide("overview_attention").html(table.html)
    st.caption(tr("home.attention.open_indicator"))

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
