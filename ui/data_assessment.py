"""Reads and writes for the assessment pages. Scores are computed from the data on each view (cached
on the data version, which every accepted sheet, scheme change and adjustment bumps)."""
from __future__ import annotations

import datetime as dt

import streamlit as st

from data_access.assessment import export, schemes, scores
from data_access.db import session_scope
from ui import data


@st.cache_data(show_spinner=False)
def _result(data_version: int, year: int, subject: str, today: dt.date) -> scores.Result | None:
    with session_scope() as s:
        return scores.compute(s, year, subject, today)


def result(year: int, subject: str) -> scores.Result | None:
    return _result(data.version(), year, subject, dt.date.today())


@st.cache_data(show_spinner=False)
def _years(data_version: int) -> list[int]:
    with session_scope() as s:
        return schemes.years(s)


def years() -> list[int]:
    """Years with a scheme, newest first; else this year (so the scheme page can start one)."""
    return _years(data.version()) or [dt.date.today().year]


def scheme(year: int, subject: str) -> dict | None:
    with session_scope() as s:
        return schemes.scheme_dict(s, year, subject)


def subjects(subject: str) -> dict[str, dict[str, str]]:
    with session_scope() as s:
        return schemes.subject_names(s, subject)


@st.cache_data(show_spinner=False)
def excel(data_version: int, year: int, subject: str, lang: str, today: dt.date) -> bytes | None:
    found = _result(data_version, year, subject, today)
    return export.to_excel(found, lang) if found else None


@st.cache_data(show_spinner=False)
def pdf(data_version: int, year: int, subject: str, lang: str, today: dt.date) -> bytes | None:
    found = _result(data_version, year, subject, today)
    if found is None:
        return None
    try:
        return export.to_pdf(found, lang)
    except Exception:  # FontMissing and its kind: the page says the PDF is unavailable
        return None


def township_score(code: str, year: int) -> None:
    """On the township profile: its score and rank in the year's assessment, with a link to the
    breakdown (for the roles that read assessments)."""
    from ui.auth import current_actor
    from ui.state import tr

    actor = current_actor()
    if actor is None or actor.role not in ("admin", "leader"):
        return
    found = result(year, "township")
    if found is None:
        return
    row = next((r for r in found.rows if r.code == code), None)
    if row is None:
        return
    st.page_link("pages/assessment.py", icon=":material/leaderboard:",
                 label=tr("assess.township_score", year=year, total=export.points_text(row.total), rank=row.rank,
                          n=len(found.rows)),
                 query_params={"year": str(year), "subject": "township"})
