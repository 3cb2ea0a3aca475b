"""Styled tables serialised once per content, not once per session and run (issue 18).

st.dataframe turns a pandas Styler into the browser's message by running the Styler (every cell's
CSS and display text) and copying its display values into a new frame cell by cell: ~10 ms for the
overview's 11-row table, half of a warm overview run, and the same work for every leader who opens
the same page. A Styler built by `keyed` carries a key covering everything that decides that message
(the frame's columns, index and values, the styled column and its statuses, the table's uuid); the
first time a key is marshalled its styler part is kept, and every later table with the same key gets
those bytes instead of a new run of the Styler. The rest of the table message (the frame itself,
column settings) is made by Streamlit as before, so the browser receives the same message either way.

Streamlit's own function is wrapped once per process (`install`); Stylers without a key, and any
Streamlit that no longer has that function, go the usual way.
"""
from __future__ import annotations

import hashlib
import pickle
import threading
from collections import OrderedDict
from typing import Any

KEY_ATTRIBUTE = "_dashboard_content_key"
MAX_ENTRIES = 256            # tables of every page, period and language in use; a few kB each

_memo: OrderedDict[str, bytes] = OrderedDict()
_lock = threading.Lock()
_installed = False


def content_key(frame: Any, *parts: Any) -> str:
    """A digest of the frame (columns, index, values, dtypes) and whatever else shapes its styling."""
    payload = pickle.dumps((list(map(str, frame.columns)), list(frame.index), frame.to_dict("split")["data"],
                            [str(d) for d in frame.dtypes], parts), protocol=5)
    return hashlib.sha256(payload).hexdigest()


def keyed(styler: Any, key: str) -> Any:
    """Mark a Styler as fully described by key (see content_key)."""
    setattr(styler, KEY_ATTRIBUTE, key)
    return styler


def _wrap(real):  # noqa: ANN001, ANN202
    def marshall_styler(proto, styler, default_uuid):  # noqa: ANN001, ANN202
        key = getattr(styler, KEY_ATTRIBUTE, None)
        if key is None:
            return real(proto, styler, default_uuid)
        with _lock:
            cached = _memo.get(key)
            if cached is not None:
                _memo.move_to_end(key)
        if cached is not None:
            proto.styler.MergeFromString(cached)
            return None
        real(proto, styler, default_uuid)
        with _lock:
            _memo[key] = proto.styler.SerializeToString()
            while len(_memo) > MAX_ENTRIES:
                _memo.popitem(last=False)
        return None

    marshall_styler.wrapped = real
    return marshall_styler


def install() -> bool:
    """Wrap Streamlit's styler marshalling (once per process). False when this Streamlit does not
    have it where expected: tables are then made the usual way."""
    global _installed
    with _lock:
        if _installed:
            return True
        try:
            from streamlit.elements import arrow
        except ImportError:
            return False
        real = getattr(arrow, "marshall_styler", None)
        if real is None:
            return False
        if not hasattr(real, "wrapped"):
            arrow.marshall_styler = _wrap(real)
        _installed = True
        return True


def clear() -> None:
    with _lock:
        _memo.clear()
