"""The signed-in user for pages. Sign-in itself (login page, expiry, lockout) is issue 7's work;
this is the contract every page uses: st.session_state["user"] holds a dict with
id, username, display_name, role, department_id, department_code."""
from __future__ import annotations

import streamlit as st

from data_access.access import Actor


def current_user() -> dict | None:
    return st.session_state.get("user")


def current_actor() -> Actor | None:
    user = current_user()
    if not user:
        return None
    return Actor(user_id=user.get("id"), username=user["username"], role=user["role"],
                 department_id=user.get("department_id"))


def current_role() -> str | None:
    user = current_user()
    return user["role"] if user else None
