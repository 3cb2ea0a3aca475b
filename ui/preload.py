"""The browser fetches the signed-in pages' element code while the person types their password.

Streamlit's front end loads each kind of element's code the first time one is drawn: the table grid
with its Arrow reader (~1.3 MB of script; the overview draws its tables as HTML, the pages a leader
opens next use the grid), the metric cards (the overview's counts). Fetched and compiled after the
click, that was on top of the first page itself (issue 18). The sign-in page therefore draws one
tiny table and one metric, without any data, in a container that is never shown (display: none,
its wrapper included): the code arrives and is compiled while the form is being filled in. Nothing
is visible, nothing takes space, screen readers skip it; under AppTest (no browser) nothing is drawn.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

KEY = "preload_elements"
_CSS = (f'<style>[class*="st-key-{KEY}"], [data-testid="stLayoutWrapper"]:has(> [class*="st-key-{KEY}"])'
        " {display: none !important;}</style>")
_FRAME = pd.DataFrame({"-": ["-"]})


def element_code() -> None:
    """The hidden table and metric (on the sign-in page, in a real server only)."""
    from ui.data import _serving

    if not _serving():
        return
    st.html(_CSS)
    with st.container(key=KEY):
        st.dataframe(_FRAME, hide_index=True)
        st.metric("-", "-")
