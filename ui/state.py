"""Per-browser-session state: the language, carried in the URL so a shared link keeps it."""
from __future__ import annotations

import re
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


# Every ASCII punctuation character: CommonMark lets each be backslash-escaped and then shows it
# as itself. That covers links, images, autolinks (http\://, www\.), emphasis, HTML, and Streamlit's
# own :red[…] / :material/…: / $math$ directives.
_MD_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def md(text: object) -> str:
    """Text that someone typed (a stored name, a URL parameter, a value from a file) made inert for
    Streamlit's Markdown: it shows exactly as typed and never becomes a link, an image (which every
    reader's browser would fetch) or formatting. Line breaks become spaces (no new blocks)."""
    return _MD_PUNCTUATION.sub(r"\\\1", " ".join(str(text).splitlines()))


def trm(key: str, /, **values: Any) -> str:
    """tr() for Markdown (st.markdown, captions, alerts, headers, widget labels): the catalogue's
    own text keeps its formatting, every interpolated text value goes through md()."""
    return tr(key, **{k: md(v) if isinstance(v, str) else v for k, v in values.items()})


def name(obj: Any) -> str:
    """A row's name in the session's language."""
    return name_of(obj, lang())
