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
