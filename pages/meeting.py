"""会议模式: the joint-meeting presentation, full screen, one slide at a time.

Same content as the PowerPoint deck and the PDF (data_access.briefing.content), so the room, the
handout and the download agree. No sidebar or Streamlit chrome on this page only (CSS below); large
type and high contrast for the back of a room; works for the display role.
"""
from __future__ import annotations

import base64
import html

import streamlit as st

from data_access import access
from data_access.briefing.content import (FOLLOWUP_STATUS, SLIDES, comment_text, followup_lead, followup_rows,
                                          overdue_rows, worst_text)
from data_access.indicators import BEHIND, MET, NEAR, NO_DATA
from ui import data, data_meeting
from ui.auth import current_actor, guard_page
from ui.format import status_colours
from ui.meeting import download_buttons, leave_page
from ui.state import lang, tr

# Streamlit can run a page file without app.py (first request after a start): check here too.
guard_page(__file__)

STATE_KEY = "meeting_slide"

# Only this page: hide the sidebar, header, toolbar and footer; big type, high contrast.
st.markdown("""
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="collapsedControl"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"], footer,
[data-testid="stSidebarNav"] {display: none !important;}
.block-container, [data-testid="stMainBlockContainer"] {padding: 1.2rem 2.5rem 1rem 2.5rem !important; max-width: 100% !important;}
.mt-slide {color: #0b1f33; min-height: 68vh;}
.mt-title {font-size: 2.9rem; font-weight: 800; border-bottom: 6px solid #1f5f99; padding-bottom: .3rem; margin-bottom: 1rem;}
.mt-cover {text-align: center; padding-top: 14vh;}
.mt-cover h1 {font-size: 4rem; font-weight: 800; color: #0b1f33;}
.mt-cover .mt-sub {font-size: 2.6rem; margin-top: 1.5rem;}
.mt-cover .mt-date {font-size: 1.8rem; color: #334155; margin-top: 1rem;}
.mt-lead {font-size: 1.9rem; margin: .4rem 0 1rem 0;}
table.mt {border-collapse: collapse; width: 100%; font-size: 1.55rem;}
table.mt th {background: #0b1f33; color: #fff; text-align: left; padding: .35rem .6rem;}
table.mt td {border-bottom: 2px solid #cbd5e1; padding: .3rem .6rem;}
table.mt td.num {text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap;}
table.mt td.st {font-weight: 800; white-space: nowrap;}
table.mt-small {font-size: 1.05rem;}
table.mt-mid {font-size: 1.3rem;}
table.mt td.mt-note {font-size: 1.15rem; color: #1f5f99;}  /* a comment stays readable across the room: at least 18 px */
table.mt-small td {padding: .12rem .5rem; border-bottom-width: 1px;}
.mt-steps {font-size: 2.1rem; line-height: 1.6;}
.mt-foot {font-size: 1.1rem; color: #334155; margin-top: .6rem;}
.mt-num {font-size: 1.6rem; font-weight: 700; text-align: center; padding-top: .35rem;}
div[data-testid="stButton"] button p {font-size: 1.4rem; font-weight: 700;}
/* A tablet (or a narrow window): type a size smaller, side-by-side tables one under the other. */
@media (max-width: 1100px) {
  .block-container, [data-testid="stMainBlockContainer"] {padding: 1rem 1.2rem !important;}
  .mt-title {font-size: 2.2rem;}
  .mt-cover h1 {font-size: 3rem;} .mt-cover .mt-sub {font-size: 2rem;} .mt-cover .mt-date {font-size: 1.4rem;}
  .mt-lead {font-size: 1.5rem;}
  table.mt {font-size: 1.25rem;}
  table.mt-small {font-size: .95rem;}
  .mt-steps {font-size: 1.6rem;}
  .mt-pair {flex-direction: column; gap: 1rem !important;}
  div[data-testid="stButton"] button p {font-size: 1.05rem;}
  .st-key-meeting_nav [data-testid="stColumn"]:nth-child(4) {flex: 0.2 1 0 !important; min-width: 0 !important;}
}
@media (max-width: 640px) {
  .mt-title {font-size: 1.6rem;} .mt-cover h1 {font-size: 2.1rem;} .mt-cover .mt-sub {font-size: 1.5rem;}
  .mt-lead {font-size: 1.15rem;} table.mt {font-size: 1rem;} table.mt-small {font-size: .8rem;}
  .mt-steps {font-size: 1.2rem;}
  /* The buttons stack on a phone: the spacer column between them would share a row with 下一页. */
  .st-key-meeting_nav [data-testid="stColumn"]:nth-child(4) {display: none !important;}
  /* The follow-up table on a phone: number and task number give way to the decision's words. */
  table.mt-mid {font-size: .9rem;}
  table.mt-mid.mt-follow th:nth-child(1), table.mt-mid.mt-follow td:nth-child(1),
  table.mt-mid.mt-follow th:nth-child(3), table.mt-mid.mt-follow td:nth-child(3) {display: none;}
}
</style>
""", unsafe_allow_html=True)

lg = lang()
version = data.version()
choices = data.period_choices(version)
if not choices:
    st.warning(tr("meeting.no_period"))
    st.stop()
codes = [c["code"] for c in choices]
asked = st.query_params.get("period")
period = asked if asked in codes else (data.default_period_code(version) or codes[-1])
b = data_meeting.briefing(version, period, lg)
if b is None:
    st.warning(tr("home.empty_db"))
    st.stop()

total = len(SLIDES)
index = st.session_state.get(STATE_KEY, 0)
asked_slide = st.query_params.get("slide")
if asked_slide and asked_slide.isdigit() and STATE_KEY not in st.session_state:
    index = int(asked_slide) - 1
index = max(0, min(total - 1, int(index)))
st.session_state[STATE_KEY] = index
key = SLIDES[index]


def e(text: object) -> str:
    return html.escape(str(text))


def status_cell(status: str, text: str) -> str:
    fg, bg = status_colours(status)
    return f'<td class="st" style="color:{fg};background:{bg}">{e(text)}</td>'


def table(head: list[str], rows: list[str]) -> str:
    return ('<table class="mt"><thead><tr>' + "".join(f"<th>{e(h)}</th>" for h in head)
            + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def slide(title: str | None, body: str) -> None:
    head = f'<div class="mt-title">{e(title)}</div>' if title else ""
    foot = f'<div class="mt-foot">{e(b.footnote)}</div>' if b.needs_footnote(key) else ""
    st.markdown(f'<div class="mt-slide">{head}{body}{foot}</div>', unsafe_allow_html=True)


col = lambda k: tr(f"meeting.col.{k}")  # noqa: E731

if key == "title":
    slide(None, f'<div class="mt-cover"><h1>{e(b.titles["title"])}</h1>'
                f'<div class="mt-sub">{e(tr("meeting.subtitle", county=b.county, period=b.period_label))}</div>'
                f'<div class="mt-date">{e(tr("meeting.meeting_name"))} · {e(b.date_text)}</div></div>')
elif key == "overview":
    c = b.counts
    # Leaders' comments beside the figures, in a column of their own when there are any.
    commented = any(f.comments for f in b.targets)
    note = (lambda f: f"<td class='mt-note'>{e(comment_text(f, lg))}</td>") if commented else (lambda f: "")  # noqa: E731
    rows = [f"<tr><td>{e(f.name)}</td><td class='num'>{e(f.text)}</td><td class='num'>{e(f.target_text)}</td>"
            f"{status_cell(f.status, f.status_text)}<td class='num'>{e(f.change_text)}</td>{note(f)}</tr>"
            for f in b.targets]
    head = [col("indicator"), col("value"), col("target"), col("status"), col("change")]
    slide(b.titles[key], f'<div class="mt-lead">{e(tr("meeting.counts", met=c[MET], near=c[NEAR], behind=c[BEHIND], missing=c[NO_DATA]))}</div>'
          + table(head + ([col("comment")] if commented else []), rows))
elif key == "behind":
    if not b.behind:
        body = f'<div class="mt-lead">{e(tr("meeting.no_behind"))}</div>'
    else:
        rows = [f"<tr><td>{e(i.figure.name)}</td><td class='num'>{e(i.figure.text)}</td>"
                f"<td class='num'>{e(i.figure.target_text)}</td>{status_cell(i.figure.status, i.figure.status_text)}"
                f"<td>{e(worst_text(i, lg))}</td></tr>" for i in b.behind]
        body = table([col("indicator"), col("value"), col("target"), col("status"), col("worst")], rows)
    slide(b.titles[key], body)
elif key == "map":
    # The same picture as in the deck and the PDF, inline so it stays inside the slide's height.
    png = data_meeting.map_png(version, period, lg)
    picture = (f'<img alt="" src="data:image/png;base64,{base64.b64encode(png).decode()}" '
               'style="display:block;margin:0 auto;max-height:60vh;max-width:100%">') if png else ""
    caption = (f'<div class="mt-lead" style="text-align:center">'
               f'{e(tr("meeting.map_caption", value=b.coverage.text, target=b.coverage.target_text))}</div>'
               if b.coverage else "")
    slide(b.titles[key], picture + caption)
elif key == "departments":
    missing = sum(d.state == "missing" for d in b.departments)
    late = sum(d.state == "late" for d in b.departments)
    lead = (tr("meeting.dept_all_in", due=b.departments_due) if not b.departments else
            tr("meeting.dept_summary", due=b.departments_due, missing=missing, late=late))
    rows = [f"<tr><td>{e(d.name)}</td>{status_cell(BEHIND if d.state == 'missing' else NEAR, d.text)}</tr>"
            for d in b.departments]
    slide(b.titles[key], f'<div class="mt-lead">{e(lead)}</div>'
          + (table([col("department"), col("state")], rows) if rows else ""))
elif key == "outcomes":
    rows = [f"<tr><td>{e(f.name)}</td><td class='num'>{e(f.text)}</td><td class='num'>{e(f.change_text)}</td></tr>"
            for f in b.outcomes]
    county = table([col("indicator"), col("value"), col("change")], rows)
    towns = ""
    if len(b.outcome_table) > 1:
        body_rows = ["<tr><td>" + e(r[0]) + "</td>" + "".join(f"<td class='num'>{e(x)}</td>" for x in r[1:]) + "</tr>"
                     for r in b.outcome_table[1:]]
        towns = table(b.outcome_table[0], body_rows).replace('class="mt"', 'class="mt mt-small"', 1)
    slide(b.titles[key], f'<div class="mt-pair" style="display:flex;gap:2rem;align-items:flex-start">'
                         f'<div style="flex:4">{county}</div><div style="flex:6">{towns}</div></div>')
elif key == "followup":
    # The last meeting's decisions, their tasks and statuses; then the other overdue tasks. Text and
    # statuses only, no counts about people: the display account may show it.
    body = f'<div class="mt-lead">{e(followup_lead(b))}</div>'
    if b.followup:
        head, *rows = followup_rows(b)
        body += table(head, [
            "<tr>" + "".join(f"<td>{e(x)}</td>" for x in r[:5])
            + status_cell(FOLLOWUP_STATUS[i.status], r[5]) + "</tr>"
            for r, i in zip(rows, b.followup)]).replace('class="mt"', 'class="mt mt-mid mt-follow"', 1)
    if b.overdue_tasks:
        head, *rows = overdue_rows(b)
        body += f'<div class="mt-lead" style="margin-top:1rem"><b>{e(tr("followup.overdue_title"))}</b></div>'
        body += table(head, ["<tr>" + "".join(f"<td>{e(x)}</td>" for x in r[:3])
                             + status_cell(BEHIND, r[3]) + "</tr>" for r in rows]).replace(
            'class="mt"', 'class="mt mt-mid"', 1)
    slide(b.titles[key], body)
elif key == "next_steps":
    items = "".join(f"<li>{e(s)}</li>" for s in b.next_steps)
    body = f'<ol class="mt-steps">{items}</ol>' if items else f'<div class="mt-lead">{e(tr("meeting.no_steps"))}</div>'
    slide(b.titles[key], body)
    actor = current_actor()
    if access.allowed(actor, "meeting.edit_notes"):
        with st.expander(tr("meeting.edit_steps")):
            with st.form("meeting_steps"):
                text = st.text_area(tr("meeting.edit_steps"), value="\n".join(b.next_steps), height=220,
                                    help=tr("meeting.steps_help"), label_visibility="collapsed")
                st.caption(tr("meeting.steps_help"))
                if st.form_submit_button(tr("common.save")):
                    ok, message = data_meeting.save_steps(actor, period, text)
                    if ok:
                        st.session_state["meeting_flash"] = message
                        st.rerun()
                    st.error(message)
    if st.session_state.get("meeting_flash"):
        st.success(st.session_state.pop("meeting_flash"))


def go(step: int) -> None:
    st.session_state[STATE_KEY] = max(0, min(total - 1, st.session_state.get(STATE_KEY, 0) + step))


# Keyed so that a tablet's CSS can give the gap column's room to the buttons.
prev_col, number_col, next_col, _, exit_col = st.container(key="meeting_nav").columns([2, 2, 2, 5, 2])
prev_col.button(tr("meeting.prev"), on_click=go, args=(-1,), disabled=index == 0, width="stretch",
                icon=":material/arrow_back:", key="meeting_prev")
number_col.markdown(f'<div class="mt-num">{e(tr("meeting.slide_number", n=index + 1, total=total))}</div>',
                    unsafe_allow_html=True)
next_col.button(tr("meeting.next"), on_click=go, args=(1,), disabled=index == total - 1, width="stretch",
                icon=":material/arrow_forward:", key="meeting_next", type="primary")
if exit_col.button(tr("meeting.exit"), width="stretch", key="meeting_exit"):
    st.switch_page(leave_page(), query_params={"period": period})

# The handout: on the cover slide only, so the other slides stay clean on the projector.
if key == "title":
    with st.expander(tr("meeting.downloads")):
        download_buttons(period, "meeting_dl")
