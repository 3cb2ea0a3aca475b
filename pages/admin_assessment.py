"""考核方案: the administrator sets the year's items, points and scoring rules, for townships and for
departments separately; an earlier year's scheme can be copied and stays as it was."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from data_access.assessment import rules, schemes
from ui import auth, data, data_assessment, data_views
from ui.data_admin import attempt, flash, show_flash
from ui.frame import page_title
from ui.state import lang, name, tr

auth.guard_page(__file__)
page_title("nav.admin_assessment", "assess.scheme_caption")
show_flash()

this_year = dt.date.today().year
known = data_assessment.years()
choices = sorted(set(known) | {this_year, this_year + 1}, reverse=True)
c1, c2 = st.columns([1, 2])
year = c1.selectbox(tr("assess.year"), choices, index=choices.index(known[0] if known else this_year),
                    key="scheme_year")
subject_labels = {s: tr(f"assess.subject.{s}") for s in rules.SUBJECTS}
subject = c2.segmented_control(tr("assess.subject"), list(subject_labels), format_func=subject_labels.get,
                               default="township", key="scheme_subject") or "township"

current = data_assessment.scheme(year, subject)
catalogue = {i["code"]: i for i in data_views.catalogue(data.version())}
kinds = [k for k in rules.KINDS if not (k == rules.REPORTING and subject == "township")]

if current is None:
    st.info(tr("assess.no_scheme", year=year, subject=subject_labels[subject]))
    earlier = [y for y in known if y < year and data_assessment.scheme(y, subject)]
    if earlier and st.button(tr("assess.copy", year=earlier[0]), key="scheme_copy", icon=":material/content_copy:"):
        ok, _ = attempt(schemes.copy_scheme, earlier[0], year, subject)
        if ok:
            flash("assess.copied", from_year=earlier[0], year=year)
            st.rerun()
else:
    st.caption(tr("assess.updated", by=current["updated_by"] or "—",
                  at=f"{current['updated_at']:%Y-%m-%d %H:%M}" if current["updated_at"] else "—"))


def _is_rate(item: dict) -> bool:
    if item.get("kind") != rules.INDICATOR:
        return True
    return catalogue.get(item.get("indicator_code") or "", {}).get("kind") == "ratio"


def _shown(value: float | None, rate: bool) -> str:
    """A stored target / floor as the admin reads it: 80% for a rate, 100 for a count."""
    if value is None:
        return ""
    return f"{value * 100:g}%" if rate else f"{value:g}"


def _read(text: object, rate: bool) -> object:
    """What the admin typed: a bare number for a rate is a per cent (80 -> 80%)."""
    value = "" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text).strip()
    if rate and value and not value.endswith("%"):
        value += "%"
    return value or None


rows = current["items"] if current else []
KIND, IND, LABEL, POINTS, RULE, TARGET, FLOOR, DEDUCT = (tr("assess.col.item"), tr("approval.col.indicator"),
                                                         tr("assess.field.label"), tr("assess.col.points"),
                                                         tr("assess.col.rule"), tr("assess.col.target"),
                                                         tr("assess.col.floor"), tr("assess.field.deduction"))
kind_labels = {tr(f"assess.kind.{k}"): k for k in kinds}
rule_labels = {tr(f"assess.rule.{r}"): r for r in rules.RULES}
ind_labels = {f"{name(i)}（{code}）" if lang() == "zh" else f"{name(i)} ({code})": code
              for code, i in catalogue.items()}
frame = pd.DataFrame([{
    KIND: tr(f"assess.kind.{r['kind']}"), IND: next((k for k, v in ind_labels.items() if v == r["indicator_code"]), None),
    LABEL: r["label_zh"], POINTS: r["points"], RULE: tr(f"assess.rule.{r['rule']}"),
    TARGET: _shown(r["target"], _is_rate(r)), FLOOR: _shown(r["floor"], _is_rate(r)),
    DEDUCT: r["deduction"],
} for r in rows], columns=[KIND, IND, LABEL, POINTS, RULE, TARGET, FLOOR, DEDUCT])
st.subheader(tr("assess.items"))
st.caption(tr("assess.items_help"))
with st.form(f"scheme_{year}_{subject}"):
    scheme_name = st.text_input(tr("assess.scheme_name"), value=current["name_zh"] if current else "",
                                max_chars=128, key=f"scheme_name_{year}_{subject}")
    edited = st.data_editor(frame, num_rows="dynamic", hide_index=True, width="stretch",
                            key=f"scheme_items_{year}_{subject}", column_config={
                                KIND: st.column_config.SelectboxColumn(options=list(kind_labels), required=True),
                                IND: st.column_config.SelectboxColumn(options=list(ind_labels), width="medium"),
                                LABEL: st.column_config.TextColumn(width="medium"),
                                RULE: st.column_config.SelectboxColumn(options=list(rule_labels), required=True),
                                POINTS: st.column_config.NumberColumn(min_value=0, max_value=100, step=0.5),
                                TARGET: st.column_config.TextColumn(),
                                FLOOR: st.column_config.TextColumn(),
                                DEDUCT: st.column_config.NumberColumn(min_value=0, max_value=100, step=0.5),
                            })
    if st.form_submit_button(tr("assess.save"), type="primary", icon=":material/save:"):
        items = []
        for _, r in edited.iterrows():
            if all(pd.isna(v) or v == "" for v in r.values):
                continue   # an empty line the editor added
            item = dict(kind=kind_labels.get(r[KIND], ""), indicator_code=ind_labels.get(r[IND]),
                        label_zh=None if pd.isna(r[LABEL]) else r[LABEL],
                        points=None if pd.isna(r[POINTS]) else float(r[POINTS]), rule=rule_labels.get(r[RULE], ""),
                        deduction=None if pd.isna(r[DEDUCT]) else float(r[DEDUCT]))
            rate = _is_rate(item)
            item.update(target=_read(r[TARGET], rate), floor=_read(r[FLOOR], rate))
            items.append(item)
        ok, _ = attempt(schemes.save_scheme, year, subject, items, name_zh=scheme_name)
        if ok:
            flash("assess.saved", year=year, subject=subject_labels[subject])
            st.rerun()
if rows:
    st.caption(tr("assess.total_points", points=f"{sum(r['points'] for r in rows):g}"))
