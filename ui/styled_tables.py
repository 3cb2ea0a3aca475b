"""Styled tables serialised once per content, not once per session and run (issue 18).

st.dataframe turns a pandas Styler into the browser's message by running the Styler (every cell's
CSS and display text) and copying its display values into a new frame cell by cell: ~10 ms for an
11-row status table, and the same work for every leader who opens the same page. A Styler built by `keyed` carries a key covering everything that decides that message
(the frame's columns, index and values, the styled column and its statuses, the table's uuid); the
first time a key is marshalled its styler part is kept, and every later table with the same key gets
those bytes instead of a new run of the Styler. The rest of the table message (the frame itself,
column settings) is made by Streamlit as before, so the browser receives the same message either way.

This leans on a Streamlit internal (`streamlit.elements.arrow.marshall_styler(proto, styler,
default_uuid)`), so it is written to step aside rather than break a page: `install` wraps it only
when it is there with that shape; the wrapper hands any call it does not recognise, any Styler
without a key, and any failure of its own (a proto without the `styler` part, bytes that no longer
parse) to Streamlit's own function, which then makes the table the usual way. The worst case of a
changed Streamlit is the speed of plain st.dataframe, never an error on the page.
"""
from __future__ import annotations

import hashlib
import inspect
import logging
import pickle
import threading
from collections import OrderedDict
from typing import Any, Callable

log = logging.getLogger("dashboard.styled_tables")

KEY_ATTRIBUTE = "_dashboard_content_key"
MAX_ENTRIES = 256            # tables of every page, period and language in use; a few kB each
EXPECTED_PARAMETERS = ("proto", "styler", "default_uuid")

_memo: OrderedDict[str, bytes] = OrderedDict()
_lock = threading.Lock()
_installed = False


def content_key(frame: Any, *parts: Any) -> str | None:
    """A digest of the frame (columns, index, values, dtypes) and whatever else shapes its styling;
    None when the content cannot be digested (the table is then styled the usual way)."""
    try:
        payload = pickle.dumps((list(map(str, frame.columns)), list(frame.index), frame.to_dict("split")["data"],
                                [str(d) for d in frame.dtypes], parts), protocol=5)
    except Exception:  # an unpicklable cell: no memo for this table, nothing else changes
        return None
    return hashlib.sha256(payload).hexdigest()


def keyed(styler: Any, key: str | None) -> Any:
    """Mark a Styler as fully described by key (see content_key); a None key leaves it unmarked."""
    if key is not None:
        setattr(styler, KEY_ATTRIBUTE, key)
    return styler


def _remember(key: str, message: bytes) -> None:
    with _lock:
        _memo[key] = message
        while len(_memo) > MAX_ENTRIES:
            _memo.popitem(last=False)


def _wrap(real: Callable[..., Any]) -> Callable[..., Any]:
    def marshall_styler(*args: Any, **kwargs: Any) -> Any:
        if len(args) != 3 or kwargs:   # called in a way this module does not know: Streamlit's own
            return real(*args, **kwargs)
        proto, styler, _default_uuid = args
        key = getattr(styler, KEY_ATTRIBUTE, None)
        if not isinstance(key, str):
            return real(*args)
        with _lock:
            cached = _memo.get(key)
            if cached is not None:
                _memo.move_to_end(key)
        if cached is not None:
            try:
                proto.styler.MergeFromString(cached)
                return None
            except Exception:  # the proto changed shape: forget the bytes, make the table anew
                log.warning("styled table memo no longer fits this Streamlit; using Streamlit's own path")
                with _lock:
                    _memo.pop(key, None)
                try:
                    proto.styler.Clear()
                except Exception:
                    pass
                return real(*args)
        result = real(*args)
        try:
            _remember(key, proto.styler.SerializeToString())
        except Exception:  # nothing to keep: the table went out as Streamlit made it
            pass
        return result

    marshall_styler.wrapped = real  # type: ignore[attr-defined]
    return marshall_styler


def _expected_shape(function: Any) -> bool:
    """Streamlit's function takes (proto, styler, default_uuid), as when this module was written."""
    if not callable(function):
        return False
    try:
        params = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return False
    return (tuple(p.name for p in params) == EXPECTED_PARAMETERS
            and all(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params))


def install() -> bool:
    """Wrap Streamlit's styler marshalling (once per process). False when this Streamlit does not
    have it where and as expected: tables are then made the usual way."""
    global _installed
    with _lock:
        if _installed:
            return True
        try:
            from streamlit.elements import arrow
        except ImportError:
            return False
        real = getattr(arrow, "marshall_styler", None)
        if hasattr(real, "wrapped"):
            _installed = True
            return True
        if not _expected_shape(real):
            return False
        arrow.marshall_styler = _wrap(real)
        _installed = True
        return True


def clear() -> None:
    with _lock:
        _memo.clear()
