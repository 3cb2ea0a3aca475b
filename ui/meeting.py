"""The meeting mode's entry points on other pages: the overview's action slot calls
overview_action(period) (see pages/home.py), and both pages share download_buttons()."""
from __future__ import annotations

import streamlit as st

from data_access import access
from ui import data, data_meeting
from ui.auth import current_actor, current_role
from ui.navigation import pages_for
from ui.state import lang, tr

MEETING_PAGE = "pages/meeting.py"


def download_buttons(period: str, key_prefix: str) -> None:
    """PowerPoint / PDF / Excel for the period, made only when clicked (deferred callables), so the
    page itself never waits for the exports."""
    actor = current_actor()
    if actor is not None and not access.allowed(actor, "briefing.export"):
        st.caption(tr("access.denied"))
        return
    version, lg = data.version(), lang()
    stem = data_meeting.file_stem(version, period, lg)
    if stem is None:
        return
    for column, fmt in zip(st.columns(3), ("pptx", "pdf", "xlsx")):
        column.download_button(
            tr(f"meeting.download_{fmt}"), data_meeting.deferred(version, period, lg, fmt),
            f"{stem}.{fmt}", mime=data_meeting.FORMATS[fmt][0], key=f"{key_prefix}_{fmt}",
            width="stretch", icon=":material/download:", on_click="ignore")


def leave_page() -> str:
    """Where 退出会议模式 goes: the overview for staff, the coverage map for the display account
    (which may not open the overview), else any other page this role may open."""
    paths = [s.path for s in pages_for(current_role()) if s.path != MEETING_PAGE]
    for wanted in ("pages/home.py", "pages/map.py"):
        if wanted in paths:
            return wanted
    return paths[0] if paths else MEETING_PAGE


def overview_action(period: str) -> None:
    """Meeting-mode button and the briefing downloads, for roles that may open the meeting page."""
    if not any(s.path == MEETING_PAGE for s in pages_for(current_role())):
        return
    # The overview's action slot is narrow: the download menu is an icon with a tooltip.
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    left.page_link(MEETING_PAGE, label=tr("meeting.open"), icon=":material/co_present:",
                   help=tr("meeting.open_help"), query_params={"period": period})
    with right.popover(":material/download:", help=tr("meeting.downloads")):
        download_buttons(period, "overview_dl")
