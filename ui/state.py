"""Per-browser-session state: the language, carried in the URL so a shared link keeps it."""
from __future__ import annotations

from typing import Any

import streamlit as st

from i18n import DEFAULT_LANG, LANGS, name_of, t


def lang() -> str:
    """The UI language: session first, then ?lang= in the URL, then Chinese."""
    current = st.session_state.get("lang")
    if current not in LANGS:
        asked = st.query_params.get("lang")
        current = asked if asked in LANGS else DEFAULT_LANG
        st.session_state["lang"] = current
    return current


def set_lang(value: str) -> None:
    if value in LANGS:
        st.session_state["lang"] = value
        if value == DEFAULT_LANG:
            st.query_params.pop("lang", None)
        else:
            st.query_params["lang"] = value


def tr(key: str, /, **values: Any) -> str:
    """Catalogue text in the session's language."""
    return t(key, lang(), **values)


def name(obj: Any) -> str:
    """A row's name in the session's language."""
    return name_of(obj, lang())
