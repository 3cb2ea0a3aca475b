"""Sign-in: the only page anyone sees before signing in (app.py shows the same form at every URL)."""
from __future__ import annotations

import streamlit as st

from ui import auth

if auth.current_user():
    # Signed in already (e.g. straight after the form): on to the role's first page.
    st.switch_page(auth.home_path())
auth.login_form()
