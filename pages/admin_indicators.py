"""The indicator catalogue (指标与目标): indicators with their targets, point types and facility kinds.
Everything here is data the pages, templates, map and briefing follow; every change goes through
data_access (role checked, audited). A new target closes the one in force; a retired indicator
keeps its figures and targets."""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import streamlit as st

from data_access import admin
from data_access.admin import InvalidInput
from data_access.catalogue import edit, rules
from data_access.rule_values import RULE_TYPES
from ui import auth
from ui.data_admin import (attempt, departments, facility_kind_rows, flash, indicators, point_type_rows,
                           rule_text, show_flash, target_history)
from ui.format import target_text
from ui.frame import page_title
from ui.state import lang, name, tr

auth.guard_page(__file__)
page_title("admin.indicators.title", "admin.indicators.caption")
show_flash()

items = indicators()
by_id = {i["id"]: i for i in items}
depts = {d["id"]: d for d in departments()}
types = point_type_rows()
type_names = {p["code"]: name(p) for p in types}
live_types = [p["code"] for p in types if p["retired_on"] is None]
kinds = facility_kind_rows()
kind_names = {k["code"]: name(k) for k in kinds}
# Selectors format with dict lookups, never tr() calls: AppTest formats values outside the script run.
owner_names = {None: "—", **{i: name(d) for i, d in depts.items()}}
level_names = {lv: tr(f"catalogue.level.{lv}") for lv in ("township", "village", "county", "facility")}
compare_names = {c: tr(f"catalogue.compare.{c}") for c in edit.COMPARE_WITH}
accumulate_names = {a: tr(f"catalogue.accumulate.{a}") for a in edit.ACCUMULATE}
unit_kind_names = {u: tr(f"catalogue.unit.{u}") for u in ("village", "township", "facility")}
category_names = {c: tr(f"catalogue.category.{c}") for c in edit.FACILITY_CATEGORIES}
rule_type_names = {k: tr(f"catalogue.kind.{k}") for k in RULE_TYPES}
STEP_LINE = re.compile(r"^\s*(\d{4}-\d{1,2}-\d{1,2})\s*[,，:：\s]\s*([0-9]+(?:\.[0-9]+)?)\s*%?\s*$")


def label_of(i: dict) -> str:
    text = name(i)
    if i["retired_on"]:
        return f"{text} · {tr('catalogue.list.retired', date=i['retired_on'].isoformat())}"
    return text + ("" if i["is_target"] else tr("admin.indicators.outcome"))


def parse_steps(text: str, is_ratio: bool) -> list[tuple[dt.date, float]] | None:
    """"2019-12-31 30" per line -> [(date, value)] (ratios typed as percentages); None when empty."""
    steps = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = STEP_LINE.match(line)
        try:
            day = dt.date.fromisoformat("-".join(f"{int(x):02d}" for x in match[1].split("-"))) if match else None
        except ValueError:
            day = None
        if day is None:
            raise InvalidInput("catalogue.err.step_line", line=n, text=line.strip())
        value = float(match[2])
        steps.append((day, value / 100 if is_ratio else value))
    return steps or None


# After a new indicator is created: its tab, with the new indicator picked for its target, and an
# empty form for the next one (state set before the widgets exist, as Streamlit requires).
created = st.session_state.pop("catalogue_created", None)
if created is not None:
    st.session_state["catalogue_tabs"] = tr("catalogue.tab.indicators")
    st.session_state["indicator_pick"] = created
    for key in ("new_code", "new_name_zh", "new_name_en", "new_group_zh", "new_num", "new_den"):
        st.session_state.pop(key, None)

# A keyed tab bar keeps its place when a choice inside it reruns the page (the kind of a new indicator
# changes the fields shown): the admin is not thrown back to the first tab.
tab_ind, tab_new, tab_types, tab_kinds = st.tabs([tr("catalogue.tab.indicators"), tr("catalogue.tab.new"),
                                                  tr("catalogue.tab.types"), tr("catalogue.tab.kinds")],
                                                 key="catalogue_tabs", on_change="rerun")

# --- one indicator: targets, settings, order, retire ---------------------------------------------------
with tab_ind:
    chosen = st.selectbox(tr("common.indicator"), list(by_id), key="indicator_pick",
                          format_func=lambda i: label_of(by_id[i]))
    ind = by_id.get(chosen) if chosen is not None else None
    if ind is not None:
        is_ratio = ind["kind"] == "ratio"
        facts = [tr(f"catalogue.source.{ind['source']}"), tr(f"catalogue.kind.{ind['kind']}"),
                 level_names.get(ind["level"], ind["level"]), compare_names.get(ind["compare_with"], "")]
        if ind["group_zh"]:
            facts.insert(0, f"{tr('catalogue.group')}：{ind['group_en'] if lang() == 'en' and ind['group_en'] else ind['group_zh']}")
        st.caption(" · ".join(f for f in facts if f))
        if ind["rule"]:
            st.caption(f"{tr('catalogue.list.rule')}：{rule_text(ind['rule'])}")

        st.subheader(tr("admin.indicators.history"))
        history = target_history(chosen)
        if history:
            st.dataframe(pd.DataFrame([{
                tr("common.target"): target_text(h["value"], h["comparison"], ind["kind"], ind["unit"], lang()),
                tr("common.target_date"): h["target_date"],
                tr("catalogue.col.steps"): "；".join(
                    f"{s['date']} {target_text(s['value'], h['comparison'], ind['kind'], ind['unit'], lang())}"
                    for s in h.get("steps") or []),
                tr("admin.indicators.from"): h["effective_from"],
                tr("admin.indicators.to"): h["effective_to"] or tr("admin.indicators.in_force"),
                tr("admin.indicators.set_by"): h["set_by"] or "",
                tr("admin.field.note"): h["note"] or "",
            } for h in history]), hide_index=True, width="stretch")
        else:
            st.caption(tr("common.no_target"))

        st.subheader(tr("admin.indicators.new_target"))
        current = next((h for h in history if h["effective_to"] is None), None)
        unit_hint = "%" if is_ratio else (ind["unit"] or "")
        with st.form(f"target_{chosen}"):
            shown = (current["value"] * 100 if is_ratio else current["value"]) if current else 0.0
            value = st.number_input(tr("admin.indicators.value", unit=unit_hint), value=float(shown), step=1.0,
                                    format="%.1f" if is_ratio or ind["kind"] == "rate" else "%.0f",
                                    help=tr(f"admin.indicators.value_help_{'count' if ind['kind'] == 'rate' else ind['kind']}"))
            comparison = st.selectbox(tr("admin.indicators.comparison"), admin.COMPARISONS,
                                      index=admin.COMPARISONS.index(current["comparison"]) if current else 0)
            left, right = st.columns(2)
            target_date = left.date_input(tr("common.target_date"),
                                          value=current["target_date"] if current else dt.date(dt.date.today().year, 12, 31),
                                          format="YYYY-MM-DD")
            effective = right.date_input(tr("admin.indicators.from"), value=dt.date.today(), format="YYYY-MM-DD",
                                         help=tr("admin.indicators.from_help"))
            band = st.number_input(tr("admin.indicators.near_band"),
                                   value=float((current["near_band"] if current else 0.1) * 100),
                                   step=1.0, format="%.0f", help=tr("admin.indicators.near_band_help"))
            steps_text = st.text_area(tr("catalogue.field.steps"), key=f"steps_{chosen}",
                                      help=tr("catalogue.steps_help"))
            note = st.text_input(tr("admin.field.note"))
            if st.form_submit_button(tr("admin.indicators.save_target"), type="primary"):
                try:
                    steps = parse_steps(steps_text, is_ratio)
                except InvalidInput as exc:
                    st.error(exc.text(lang()))
                else:
                    stored = value / 100 if is_ratio else value
                    ok, _ = attempt(admin.set_target, chosen, value=stored, comparison=comparison,
                                    target_date=target_date, effective_from=effective, near_band=band / 100,
                                    note=note, steps=steps)
                    if ok:
                        flash("admin.indicators.target_saved")
                        st.rerun()

        with st.expander(tr("catalogue.edit_settings"), icon=":material/edit:"):
            rule_now = dict(ind["rule"] or {})
            rule_type = share_unit = None
            if ind["source"] == "registry":
                # The rule's type (and a share's unit) outside the form: the fields below follow the
                # choice at once. The indicator's kind follows the rule (rules.kind_of) when saved.
                r1, r2 = st.columns(2)
                rule_type = r1.selectbox(tr("catalogue.field.rule_type"), list(RULE_TYPES),
                                         index=list(RULE_TYPES).index(rule_now.get("type", "share")),
                                         format_func=rule_type_names.get, key=f"edit_rule_type_{chosen}")
                if rule_type == "share":
                    units = list(unit_kind_names)
                    share_unit = r2.selectbox(tr("catalogue.field.unit_kind"), units,
                                              index=units.index(rule_now["unit"]) if rule_now.get("unit") in units else 0,
                                              format_func=unit_kind_names.get, key=f"edit_share_unit_{chosen}")
                if rule_type != rule_now.get("type"):
                    st.info(tr("catalogue.rule_type_change",
                               kind=tr(f"catalogue.kind.{rules.kind_of({'type': rule_type})}")))
            with st.form(f"indicator_{chosen}"):
                c1, c2 = st.columns(2)
                name_zh = c1.text_input(tr("admin.field.name_zh"), value=ind["name_zh"])
                name_en = c2.text_input(tr("admin.field.name_en"), value=ind["name_en"])
                owners = list(owner_names)
                owner = c1.selectbox(tr("admin.indicators.owner"), owners,
                                     index=owners.index(ind["owner_department_id"]) if ind["owner_department_id"] in owners else 0,
                                     format_func=owner_names.get)
                unit = c2.text_input(tr("catalogue.field.unit"), value=ind["unit"] or "")
                group_zh = c1.text_input(tr("catalogue.field.group_zh"), value=ind["group_zh"] or "")
                group_en = c2.text_input(tr("catalogue.field.group_en"), value=ind["group_en"] or "")
                compare = c1.selectbox(tr("catalogue.field.compare_with"), list(compare_names),
                                       index=list(compare_names).index(ind["compare_with"] or "previous"),
                                       format_func=compare_names.get)
                changes: dict = {}
                if ind["source"] == "report":
                    level = c2.selectbox(tr("catalogue.field.level"), list(edit.REPORT_LEVELS),
                                         index=list(edit.REPORT_LEVELS).index(ind["level"]) if ind["level"] in edit.REPORT_LEVELS else 0,
                                         format_func=level_names.get)
                    changes["level"] = level
                    if ind["kind"] == "count":
                        changes["accumulate"] = c1.selectbox(
                            tr("catalogue.field.accumulate"), list(accumulate_names),
                            index=list(accumulate_names).index(ind["accumulate"] or "none"),
                            format_func=accumulate_names.get)
                if ind["kind"] == "ratio" and ind["source"] == "report":
                    for key in ("numerator_label_zh", "denominator_label_zh", "numerator_label_en", "denominator_label_en"):
                        changes[key] = st.text_input(tr(f"catalogue.field.{key}"), value=ind[key] or "")
                rule: dict = {}
                if rule_type is not None:
                    rule = {"type": rule_type}
                    if rule_type in ("share", "exists", "per_10k"):
                        rule["point_types"] = st.multiselect(
                            tr("catalogue.field.point_types"), list(type_names), format_func=type_names.get,
                            default=[x for x in rule_now.get("point_types") or [] if x in type_names],
                            placeholder=tr("catalogue.choose"))
                    if rule_type == "share":
                        rule["unit"] = share_unit
                    if rule_type == "share" and share_unit == "facility":
                        rule["facility_kinds"] = st.multiselect(
                            tr("catalogue.field.facility_kinds"), list(kind_names), format_func=kind_names.get,
                            default=[k for k in rule_now.get("facility_kinds") or [] if k in kind_names],
                            placeholder=tr("catalogue.choose"))
                        rule["listed_only"] = st.checkbox(tr("catalogue.field.listed_only"),
                                                          value=bool(rule_now.get("listed_only")))
                    if rule_type == "units_meeting":
                        bases = {i["code"]: name(i) for i in items if i["source"] == "report"
                                 and i["kind"] in ("count", "yesno") and i["retired_on"] is None}
                        base_codes = list(bases)
                        rule["indicator"] = st.selectbox(
                            tr("catalogue.field.base_indicator"), base_codes, format_func=bases.get,
                            index=base_codes.index(rule_now["indicator"]) if rule_now.get("indicator") in bases else 0)
                        rule["minimum"] = st.number_input(tr("catalogue.field.minimum"),
                                                          value=float(rule_now.get("minimum", 1)), min_value=0.0, step=1.0)
                        levels = list(edit.REPORT_LEVELS)
                        rule["unit"] = st.selectbox(
                            tr("catalogue.field.unit_kind"), levels, format_func=unit_kind_names.get,
                            index=levels.index(rule_now["unit"]) if rule_now.get("unit") in levels else 0)
                        if rule_now.get("unit") == "facility":
                            # Schools of these kinds are counted (a form cannot add the field when the
                            # unit is switched to schools: check_rule then asks for the kinds).
                            rule["facility_kinds"] = st.multiselect(
                                tr("catalogue.field.facility_kinds"), list(kind_names), format_func=kind_names.get,
                                default=[k for k in rule_now.get("facility_kinds") or [] if k in kind_names],
                                placeholder=tr("catalogue.choose"))
                higher = st.checkbox(tr("catalogue.field.higher_is_better"), value=bool(ind["higher_is_better"]))
                is_target = st.checkbox(tr("catalogue.field.is_target"), value=bool(ind["is_target"]))
                desc = st.text_area(tr("admin.field.description"), value=ind["description_zh"] or "")
                if st.form_submit_button(tr("common.save"), type="primary"):
                    ok, _ = attempt(edit.edit_indicator, chosen, name_zh=name_zh, name_en=name_en,
                                    owner_department_id=owner, unit=unit, group_zh=group_zh, group_en=group_en,
                                    compare_with=compare, higher_is_better=higher, is_target=is_target,
                                    description_zh=desc, **({"rule": rule} if rule else {}), **changes)
                    if ok:
                        flash("admin.saved")
                        st.rerun()

        b1, b2, b3 = st.columns([1, 1, 3])
        if ind["retired_on"] is None:
            if b1.button(tr("catalogue.up"), icon=":material/arrow_upward:", key="ind_up"):
                if attempt(edit.move_indicator, chosen, -1)[0]:
                    flash("catalogue.moved")
                    st.rerun()
            if b2.button(tr("catalogue.down"), icon=":material/arrow_downward:", key="ind_down"):
                if attempt(edit.move_indicator, chosen, 1)[0]:
                    flash("catalogue.moved")
                    st.rerun()
            if b3.button(tr("catalogue.retire"), icon=":material/archive:", key="ind_retire"):
                if attempt(edit.retire_indicator, chosen)[0]:
                    flash("catalogue.retired")
                    st.rerun()
        elif b1.button(tr("catalogue.restore"), icon=":material/unarchive:", key="ind_restore"):
            if attempt(edit.restore_indicator, chosen)[0]:
                flash("catalogue.restored")
                st.rerun()

# --- a new indicator ------------------------------------------------------------------------------------
with tab_new:
    kind_keys = ["ratio", "count", "yesno", "share", "exists", "per_10k", "units_meeting"]
    kind_labels = {k: tr(f"catalogue.kind.{k}") for k in kind_keys}
    new_kind = st.selectbox(tr("catalogue.field.kind"), kind_keys, format_func=kind_labels.get, key="new_kind")
    c1, c2 = st.columns(2)
    new_code = c1.text_input(tr("catalogue.field.code"), key="new_code")
    new_owner = c2.selectbox(tr("admin.indicators.owner"), list(owner_names), format_func=owner_names.get,
                             key="new_owner")
    new_zh = c1.text_input(tr("admin.field.name_zh"), key="new_name_zh")
    new_en = c2.text_input(tr("admin.field.name_en"), key="new_name_en")
    default_unit = {"ratio": "%", "share": "%", "units_meeting": "%", "per_10k": "个/万人"}.get(new_kind, "")
    new_unit = c1.text_input(tr("catalogue.field.unit"), value=default_unit, key=f"new_unit_{new_kind}")
    new_group_zh = c2.text_input(tr("catalogue.field.group_zh"), key="new_group_zh")
    fields: dict = {}
    source = "report" if new_kind in ("ratio", "count", "yesno") else "registry"
    if source == "report":
        fields["kind"] = new_kind
        fields["level"] = c1.selectbox(tr("catalogue.field.level"), list(edit.REPORT_LEVELS),
                                       format_func=level_names.get, key="new_level")
        if new_kind == "count":
            fields["accumulate"] = c2.selectbox(tr("catalogue.field.accumulate"), list(accumulate_names),
                                                format_func=accumulate_names.get, key="new_accumulate")
        if new_kind == "ratio":
            fields["numerator_label_zh"] = c1.text_input(tr("catalogue.field.numerator_label_zh"), key="new_num")
            fields["denominator_label_zh"] = c2.text_input(tr("catalogue.field.denominator_label_zh"), key="new_den")
    elif new_kind == "units_meeting":
        unit_level = c1.selectbox(tr("catalogue.field.unit_kind"), list(edit.REPORT_LEVELS),
                                  format_func=unit_kind_names.get, key="new_unit_level")
        # Schools are counted from a figure reported per school, regions from one reported per region.
        bases = {i["code"]: name(i) for i in items if i["source"] == "report" and i["kind"] in ("count", "yesno")
                 and i["retired_on"] is None and (i["level"] == "facility") == (unit_level == "facility")}
        rule = {"type": "units_meeting", "unit": unit_level,
                "indicator": c2.selectbox(tr("catalogue.field.base_indicator"), list(bases),
                                          format_func=bases.get,
                                          key="new_base_facility" if unit_level == "facility" else "new_base"),
                "minimum": c1.number_input(tr("catalogue.field.minimum"), value=1.0, min_value=0.0, step=1.0,
                                           key="new_minimum")}
        if unit_level == "facility":
            school_kinds = [k["code"] for k in kinds if k["category"] == "school"]
            rule["facility_kinds"] = st.multiselect(tr("catalogue.field.facility_kinds"), list(kind_names),
                                                    default=school_kinds, format_func=kind_names.get,
                                                    key="new_meeting_kinds", placeholder=tr("catalogue.choose"))
        fields["rule"] = rule
    else:
        rule = {"type": new_kind}
        if new_kind == "share":
            rule["unit"] = c1.selectbox(tr("catalogue.field.unit_kind"), list(unit_kind_names),
                                        format_func=unit_kind_names.get, key="new_share_unit")
        rule["point_types"] = st.multiselect(tr("catalogue.field.point_types"), live_types,
                                             format_func=type_names.get, key="new_point_types",
                                             placeholder=tr("catalogue.choose"))
        if rule.get("unit") == "facility":
            rule["facility_kinds"] = st.multiselect(tr("catalogue.field.facility_kinds"), list(kind_names),
                                                    format_func=kind_names.get, key="new_facility_kinds",
                                                    placeholder=tr("catalogue.choose"))
            rule["listed_only"] = st.checkbox(tr("catalogue.field.listed_only"), key="new_listed_only")
        fields["rule"] = rule
    c3, c4, c5 = st.columns(3)
    new_compare = c3.selectbox(tr("catalogue.field.compare_with"), list(compare_names), format_func=compare_names.get,
                               key="new_compare")
    new_higher = c4.checkbox(tr("catalogue.field.higher_is_better"), value=True, key="new_higher")
    new_target = c5.checkbox(tr("catalogue.field.is_target"), value=True, key="new_is_target")
    if st.button(tr("catalogue.create"), type="primary", key="new_create"):
        ok, new_id = attempt(edit.create_indicator, new_code, source, name_zh=new_zh, name_en=new_en or new_zh,
                             unit=new_unit, owner_department_id=new_owner, group_zh=new_group_zh,
                             compare_with=new_compare, higher_is_better=new_higher, is_target=new_target, **fields)
        if ok:
            flash("catalogue.created", name=new_zh)
            st.session_state["catalogue_created"] = new_id  # straight to its target
            st.rerun()

# --- service-point types and their import aliases --------------------------------------------------------
with tab_types:
    st.dataframe(pd.DataFrame([{
        tr("catalogue.col.code"): p["code"], tr("admin.field.name_zh"): p["name_zh"],
        tr("admin.field.name_en"): p["name_en"], tr("admin.field.aliases"): "、".join(p["aliases"]),
        tr("catalogue.field.facility_kinds"): "、".join(kind_names.get(k, k) for k in p["facility_kinds"]),
        tr("admin.indicators.to"): p["retired_on"] or "",
    } for p in types]), hide_index=True, width="stretch")
    type_by_id = {p["id"]: p for p in types}
    picked = st.selectbox(tr("catalogue.tab.types"), [None, *type_by_id], key="type_pick",
                          format_func=lambda i: tr("catalogue.type_new") if i is None else name(type_by_id[i]))
    current_type = type_by_id.get(picked) if picked is not None else None
    with st.form(f"type_{picked}"):
        t_code = st.text_input(tr("catalogue.field.code"), value=current_type["code"] if current_type else "",
                               disabled=current_type is not None)
        t_zh = st.text_input(tr("admin.field.name_zh"), value=current_type["name_zh"] if current_type else "")
        t_en = st.text_input(tr("admin.field.name_en"), value=current_type["name_en"] if current_type else "")
        t_aliases = st.text_input(tr("catalogue.field.aliases"),
                                  value="、".join(current_type["aliases"]) if current_type else "")
        t_kinds = st.multiselect(tr("catalogue.field.facility_kinds"), list(kind_names), format_func=kind_names.get,
                                 default=current_type["facility_kinds"] if current_type else [],
                                 placeholder=tr("catalogue.choose"))
        if st.form_submit_button(tr("common.save"), type="primary"):
            ok, _ = attempt(edit.save_point_type, code=t_code, name_zh=t_zh, name_en=t_en or t_zh, aliases=t_aliases,
                            facility_kinds=t_kinds, type_id=picked)
            if ok:
                flash("catalogue.type_saved")
                st.rerun()
    if current_type is not None:
        retired = current_type["retired_on"] is not None
        if st.button(tr("catalogue.type_restore" if retired else "catalogue.type_retire"), key="type_retire"):
            if attempt(edit.retire_point_type, picked, not retired)[0]:
                flash("catalogue.type_saved")
                st.rerun()

# --- facility kinds ----------------------------------------------------------------------------------------
with tab_kinds:
    st.dataframe(pd.DataFrame([{
        tr("catalogue.col.code"): k["code"], tr("admin.field.name_zh"): k["name_zh"],
        tr("admin.field.name_en"): k["name_en"], tr("catalogue.field.category"): category_names.get(k["category"], ""),
    } for k in kinds]), hide_index=True, width="stretch")
    kind_by_id = {k["id"]: k for k in kinds}
    picked_kind = st.selectbox(tr("catalogue.tab.kinds"), [None, *kind_by_id], key="kind_pick",
                               format_func=lambda i: tr("catalogue.kind_new") if i is None else name(kind_by_id[i]))
    current_kind = kind_by_id.get(picked_kind) if picked_kind is not None else None
    with st.form(f"kind_{picked_kind}"):
        k_code = st.text_input(tr("catalogue.field.code"), value=current_kind["code"] if current_kind else "",
                               disabled=current_kind is not None)
        k_zh = st.text_input(tr("admin.field.name_zh"), value=current_kind["name_zh"] if current_kind else "")
        k_en = st.text_input(tr("admin.field.name_en"), value=current_kind["name_en"] if current_kind else "")
        k_category = st.selectbox(tr("catalogue.field.category"), list(category_names), format_func=category_names.get,
                                  index=list(category_names).index(current_kind["category"]) if current_kind else 2)
        if st.form_submit_button(tr("common.save"), type="primary"):
            ok, _ = attempt(edit.save_facility_kind, code=k_code, name_zh=k_zh, name_en=k_en or k_zh,
                            category=k_category, kind_id=picked_kind)
            if ok:
                flash("catalogue.kind_saved")
                st.rerun()
