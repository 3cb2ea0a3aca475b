"""The administrator's landing while the county is set up (ui.data_setup.needs_setup)."""
from __future__ import annotations

import types

import pytest

from ui import data_setup


@pytest.fixture
def visit(monkeypatch: pytest.MonkeyPatch) -> dict:
    """One visit (one Streamlit session) and a county whose setup state the test decides."""
    state: dict = {"incomplete": True}
    monkeypatch.setattr(data_setup, "st", types.SimpleNamespace(session_state={}))
    monkeypatch.setattr(data_setup, "_incomplete", lambda version, today: state["incomplete"])
    monkeypatch.setattr(data_setup.db, "data_version", lambda: 1)
    return state


def test_the_setup_page_stays_the_landing_for_the_visit_that_completes_it(visit: dict) -> None:
    assert data_setup.needs_setup()
    visit["incomplete"] = False          # the last step was just written
    assert data_setup.needs_setup()      # the confirmation is shown on the setup page, not lost at "/"


def test_a_county_already_set_up_lands_on_the_overview(visit: dict) -> None:
    visit["incomplete"] = False
    assert not data_setup.needs_setup()
