"""The list of problems a checked workbook has, as the upload and bulk-import pages show it: errors
first (with the refusal), then warnings, then what was normalised, each with sheet, cell, value,
what is wrong and how to fix it."""
from __future__ import annotations

from typing import Sequence

import pandas as pd
import streamlit as st

from data_access.ingest.problems import Problem
from ui.state import lang, tr


def problem_frame(items: Sequence[Problem]) -> pd.DataFrame:
    lg = lang()
    return pd.DataFrame([{tr("upload.col.sheet"): p.sheet, tr("upload.col.cell"): p.cell,
                          tr("upload.col.value"): p.value, tr("upload.col.problem"): p.message(lg),
                          tr("upload.col.fix"): p.fix(lg)} for p in items])


def _table(frame: pd.DataFrame) -> None:
    """A liaison must read every message and fix in full: a table that wraps text, not a grid that
    cuts it; a long list (a badly broken file) goes into a scrolling grid instead."""
    if len(frame) <= 60:
        st.table(frame.style.hide(axis="index"))
    else:
        st.dataframe(frame, hide_index=True, width="stretch")


def show_problems(problems: Sequence[Problem]) -> None:
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    notices = [p for p in problems if p.severity == "notice"]
    if errors:
        st.error(tr("ingest.result.rejected"), icon=":material/error:")
        st.markdown(f"**{tr('upload.errors_title')}**")
        _table(problem_frame(errors))
    if warnings:
        st.markdown(f"**{tr('upload.warnings_title')}**")
        _table(problem_frame(warnings))
    if notices:
        with st.expander(f"{tr('upload.notices_title')}（{len(notices)}）"):
            _table(problem_frame(notices))
