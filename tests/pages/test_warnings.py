"""Early-warning page: the flags of data_access.warnings, filtered by URL, with reasons."""
from __future__ import annotations

from view_helpers import open_view
from data_access import indicators as ix
from data_access import warnings as warn
from data_access.db import session_scope

PAGE = "pages/warnings.py"


def _flags(engine):  # noqa: ANN001, ANN202
    with session_scope(engine) as s:
        return warn.early_warnings(s, ix.period_by_code(s, "2026Q3"))


def test_every_flag_is_listed_with_its_reason(app_engine) -> None:
    flags = _flags(app_engine)
    at = open_view(app_engine, PAGE, query={"period": "2026Q3"})
    assert not at.exception
    table = at.table[0].value
    assert len(table) == len(flags)
    assert list(table["原因"]) == [f.reason("zh") for f in flags]
    counts = {x.label: x.value for x in at.metric}
    assert counts["◷ 难以如期达标"] == str(sum(f.kind == warn.OFF_TRACK for f in flags))


def test_filters_from_the_url_in_english(app_engine) -> None:
    flags = _flags(app_engine)
    town = flags[0].region_code
    at = open_view(app_engine, PAGE, lang="en", query={"period": "2026Q3", "kind": "off_track", "township": town})
    assert not at.exception
    mine = [f for f in flags if f.kind == warn.OFF_TRACK and f.region_code == town]
    table = at.table[0].value
    assert list(table["Reason"]) == [f.reason("en") for f in mine]
