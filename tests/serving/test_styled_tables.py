"""Styled tables marshalled once per content (ui/styled_tables.py): the browser gets the same message
as without the memo, and a table whose content or statuses differ never gets another's."""
from __future__ import annotations

import pandas as pd
from streamlit.proto.Dataframe_pb2 import Dataframe

from ui import styled_tables
from ui.views import status_styler

STATUS = "状态"


def _frame(values: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"指标": [f"指标 {i}" for i in range(len(values))], "当前值": values,
                         STATUS: ["✔ 达标"] * len(values), "趋势": [[50.0, 52.5, 55.0]] * len(values)})


def _message(styler) -> bytes:  # noqa: ANN001
    from streamlit.elements import arrow

    proto = Dataframe()
    arrow.marshall_styler(proto.arrow_data, styler, "default")
    return proto.arrow_data.styler.SerializeToString()


def _unmemoised(styler) -> bytes:  # noqa: ANN001
    from streamlit.elements import arrow

    proto = Dataframe()
    getattr(arrow.marshall_styler, "wrapped", arrow.marshall_styler)(proto.arrow_data, styler, "default")
    return proto.arrow_data.styler.SerializeToString()


def test_the_memo_gives_the_message_streamlit_makes() -> None:
    styled_tables.clear()
    frame, statuses = _frame(["83.1%", "56.3%", "—"]), ["met", "behind", "no_data"]
    first = _message(status_styler(frame, statuses, STATUS))
    assert styled_tables.install()
    again = _message(status_styler(frame.copy(), list(statuses), STATUS))   # built anew, same content
    assert first == again == _unmemoised(status_styler(frame, statuses, STATUS))
    assert len(styled_tables._memo) == 1 and b"56.3%" in again


def test_other_figures_or_statuses_are_never_served_from_another_table() -> None:
    styled_tables.clear()
    frame = _frame(["83.1%", "56.3%"])
    base = _message(status_styler(frame, ["met", "behind"], STATUS))
    other_status = _message(status_styler(frame, ["met", "near"], STATUS))
    other_value = _message(status_styler(_frame(["83.1%", "56.4%"]), ["met", "behind"], STATUS))
    assert len({base, other_status, other_value}) == 3
    assert other_status == _unmemoised(status_styler(frame, ["met", "near"], STATUS))
    assert other_value == _unmemoised(status_styler(_frame(["83.1%", "56.4%"]), ["met", "behind"], STATUS))


def test_a_styler_without_a_key_goes_the_usual_way() -> None:
    styled_tables.clear()
    frame = _frame(["1", "2"])
    plain = frame.style.apply(lambda c: [""] * len(c))
    _message(plain)
    assert not styled_tables._memo


def test_the_memo_is_bounded() -> None:
    styled_tables.clear()
    for i in range(styled_tables.MAX_ENTRIES + 5):
        _message(status_styler(_frame([f"{i}%"]), ["met"], STATUS))
    assert len(styled_tables._memo) == styled_tables.MAX_ENTRIES


# ---- a Streamlit whose internal is absent or changed: plain st.dataframe, never an error

def _fresh_install(monkeypatch, function) -> bool:  # noqa: ANN001
    """install() against an arrow module whose marshall_styler is `function` (None: absent)."""
    from streamlit.elements import arrow

    monkeypatch.setattr(styled_tables, "_installed", False)
    if function is None:
        monkeypatch.delattr(arrow, "marshall_styler")
    else:
        monkeypatch.setattr(arrow, "marshall_styler", function)
    return styled_tables.install()


def test_an_absent_internal_is_not_wrapped(monkeypatch) -> None:
    assert _fresh_install(monkeypatch, None) is False


def test_a_changed_signature_is_left_alone(monkeypatch) -> None:
    def changed(proto, styler, default_uuid, *, theme=None):  # noqa: ANN001, ANN202
        return "streamlit's own"

    def renamed(target, data, uuid):  # noqa: ANN001, ANN202
        return "streamlit's own"

    from streamlit.elements import arrow

    for function in (changed, renamed, "not a function"):
        assert _fresh_install(monkeypatch, function) is False
        assert arrow.marshall_styler is function


def test_a_changed_proto_falls_back_to_streamlits_own_function() -> None:
    """The wrapper's own steps fail (no `styler` part on the proto): Streamlit's function still
    makes the table and nothing is raised."""
    calls = []

    class OldProto:  # a proto of another shape
        pass

    def real(proto, styler, default_uuid, **_later_options):  # noqa: ANN001, ANN202
        calls.append(default_uuid)

    styled_tables.clear()
    wrapped = styled_tables._wrap(real)
    styler = status_styler(_frame(["1%"]), ["met"], STATUS)
    wrapped(OldProto(), styler, "a")               # made by Streamlit; nothing to remember
    assert calls == ["a"] and not styled_tables._memo
    wrapped(OldProto(), styler, "b", extra=1)       # an unknown call shape goes straight through
    assert calls == ["a", "b"]


def test_memo_bytes_that_no_longer_parse_are_dropped_and_the_table_made_anew() -> None:
    styled_tables.clear()
    assert styled_tables.install()
    frame, statuses = _frame(["83.1%", "56.3%"]), ["met", "behind"]
    expected = _unmemoised(status_styler(frame, statuses, STATUS))
    key = status_styler(frame, statuses, STATUS)._dashboard_content_key
    styled_tables._memo[key] = b"\xff\xff\xff not a protobuf"
    assert _message(status_styler(frame, statuses, STATUS)) == expected
    assert styled_tables._memo.get(key) != b"\xff\xff\xff not a protobuf"


def test_a_frame_that_cannot_be_digested_is_styled_the_usual_way() -> None:
    styled_tables.clear()
    frame = _frame(["1%"])
    frame["趋势"] = [threading_lock()]
    styler = status_styler(frame, ["met"], STATUS)
    assert not hasattr(styler, styled_tables.KEY_ATTRIBUTE)
    _message(styler)
    assert not styled_tables._memo


def threading_lock():  # noqa: ANN201
    import threading

    return threading.Lock()   # cannot be pickled


def test_a_page_shows_the_table_when_the_internal_changed(monkeypatch) -> None:
    """End to end: with Streamlit's internal in another shape, st.dataframe of a status table still
    renders (plain Streamlit), with the same figures."""
    from streamlit.elements import arrow
    from streamlit.testing.v1 import AppTest

    real = getattr(arrow.marshall_styler, "wrapped", arrow.marshall_styler)

    def changed(proto, styler, default_uuid, theme=None):  # noqa: ANN001, ANN202
        return real(proto, styler, default_uuid)

    monkeypatch.setattr(styled_tables, "_installed", False)
    monkeypatch.setattr(arrow, "marshall_styler", changed)

    def page() -> None:
        import pandas as pd
        import streamlit as st

        from ui.views import status_styler

        frame = pd.DataFrame({"指标": ["甲", "乙"], "当前值": ["83.1%", "56.3%"], "状态": ["✔ 达标", "✖ 未达标"]})
        st.dataframe(status_styler(frame, ["met", "behind"], "状态"), hide_index=True)

    at = AppTest.from_function(page).run(timeout=60)
    assert not at.exception
    assert list(at.dataframe[0].value["当前值"]) == ["83.1%", "56.3%"]
    assert arrow.marshall_styler is changed
