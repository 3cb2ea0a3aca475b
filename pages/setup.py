"""首次配置: set up the county from an empty database, step by step -- the administrator's landing
page until every step is done. Each step can be redone; the list at the top says what is missing.
Every write is a data_access setup function (the same the commands call), checked before it writes."""
from __future__ import annotations

import datetime as dt
import hashlib

import pandas as pd
import streamlit as st

from data_access import admin, coords
from data_access.access import PermissionDenied
from data_access.admin import InvalidInput
from data_access.setup import boundaries
from ui import auth, data_setup
from ui.data_admin import attempt, flash, show_flash
from ui.frame import page_title
from ui.problems import show_problems
from ui.state import lang, name, tr, trm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

auth.guard_page(__file__)
page_title("setup.title", "setup.caption")
with st.container():  # always there: a message appearing or not must not move the steps (an open
    show_flash()      # step would be redrawn closed under its file)

found = data_setup.setup_steps()
done = sum(s.done for s in found)
first_open = next((s.key for s in found if not s.done), None)
overview, work = st.columns([2, 3], gap="large")

with overview:
    # What is done and what is still missing, at a glance (beside the steps on a wide screen,
    # above them on a phone).
    st.progress(done / len(found), text=tr("setup.progress", done=done, total=len(found)))
    if done == len(found):
        st.success(tr("setup.complete"), icon=":material/task_alt:")
        st.page_link("pages/home.py", label=tr("setup.go_overview"), icon=":material/dashboard:")
    for n, step in enumerate(found, start=1):
        mark = ":green[:material/check_circle:]" if step.done else ":orange[:material/radio_button_unchecked:]"
        has_facts = step.facts and (step.done or any(v for v in step.facts.values() if isinstance(v, int)))
        facts = trm(f"setup.facts.{step.key}", **step.facts) if has_facts else ""
        st.markdown(f"{mark} **{n}. {tr(f'setup.step.{step.key}')}**" + (f"  \n{facts}" if facts else ""))
        if step.missing:
            st.caption("\n".join(f"- {trm(key, **values)}" for key, values in step.missing))


def expander(key: str, n: int):  # noqa: ANN201
    with work:
        return st.expander(f"{n}. {tr(f'setup.step.{key}')}", expanded=(key == first_open),
                           icon=":material/check_circle:" if next(s for s in found if s.key == key).done
                           else ":material/pending:")


def remembered(slot: str, upload, extra: tuple, check):  # noqa: ANN001, ANN201
    """The check of an uploaded file, kept across reruns until the file or the options change."""
    raw = upload.getvalue()
    key = (hashlib.sha256(raw).hexdigest(), extra)
    stored = st.session_state.get(slot)
    if stored is None or stored[0] != key:
        with st.spinner(tr("setup.checking")):
            stored = (key, check(raw, upload.name))
        st.session_state[slot] = stored
    return raw, stored[1]


def uploads(slot: str) -> int:
    """A counter in the uploader's key: after a write the uploader starts empty."""
    return st.session_state.setdefault(f"{slot}_n", 0)


def written(slot: str, key: str, **values: object) -> None:
    st.session_state[f"{slot}_n"] = uploads(slot) + 1
    st.session_state.pop(slot, None)
    flash(key, **values)
    st.rerun()


# --- 1. the county ----------------------------------------------------------------------------------
with expander("county", 1):
    current = data_setup.county() or {}
    st.caption(tr("setup.county.help"))
    with st.form("setup_county"):
        c1, c2, c3 = st.columns([1, 2, 2])
        code = c1.text_input(tr("setup.county.code"), value=current.get("code", ""), max_chars=6, placeholder="330122")
        name_zh = c2.text_input(tr("admin.field.name_zh"), value=current.get("name_zh", ""), placeholder="某某县")
        name_en = c3.text_input(tr("admin.field.name_en"), value=current.get("name_en", ""),
                                help=tr("setup.county.name_en_help"))
        if st.form_submit_button(tr("common.save"), type="primary"):
            try:
                data_setup.save_county(code, name_zh, name_en)
            except InvalidInput as exc:
                st.error(exc.text(lang()))
            except PermissionDenied as exc:
                st.error(tr(exc.key))
            else:
                flash("setup.county.saved", name=name_zh.strip(), code=code.strip())
                st.rerun()

# --- 2. townships and villages, residents -------------------------------------------------------------
with expander("regions", 2):
    st.caption(tr("setup.regions.help"))
    upload = st.file_uploader(tr("setup.regions.file"), type=["csv", "xlsx", "xls"],
                              key=f"setup_regions_{uploads('setup_regions')}")
    if upload is not None:
        raw, checked = remembered("setup_regions", upload, (), lambda b, n: data_setup.load_regions(b, n, write=False))
        counts = checked.counts
        show_problems(checked.problems)
        if checked.ok:
            st.markdown(tr("setup.regions.preview", **counts))
            changes = [c for c in checked.changes if c.action != "same"]
            if changes:
                st.dataframe(pd.DataFrame([{
                    tr("refimport.col.code"): c.code, tr("setup.col.level"): tr(f"setup.level.{c.level}"),
                    tr("refimport.col.action"): tr(f"refimport.action.{c.action}"),
                    tr("refimport.col.name"): c.values.get("name_zh", ""),
                    tr("admin.field.name_en"): c.values.get("name_en", ""),
                    tr("setup.col.urban"): (tr("setup.urban") if c.values.get("is_urban") else tr("setup.rural"))
                    if "is_urban" in c.values else "",
                } for c in changes]), hide_index=True, width="stretch", height=260)
                if st.button(tr("setup.regions.confirm"), type="primary", key="setup_regions_go"):
                    result = data_setup.load_regions(raw, upload.name, write=True)
                    if result.ok:
                        c = result.counts
                        written("setup_regions", "setup.result.regions", township_new=c["township_new"],
                                village_new=c["village_new"], changed=c["township_changed"] + c["village_changed"])
                    show_problems(result.problems)
            else:
                st.info(tr("refimport.result.nothing"), icon=":material/info:")
    st.divider()
    st.caption(tr("setup.population.help"))
    upload = st.file_uploader(tr("setup.population.file"), type=["xlsx", "xls", "csv"],
                              key=f"setup_population_{uploads('setup_population')}")
    if upload is not None:
        raw, checked = remembered("setup_population", upload, (),
                                  lambda b, n: data_setup.load_population(b, n, write=False))
        show_problems(checked.problems)
        if checked.ok:
            changed = sum(checked.before.get(c) != v for c, v in checked.values.items())
            st.markdown(tr("setup.population.preview", places=len(checked.values), changed=changed,
                           total=f"{sum(checked.values.values()):,}"))
            if st.button(tr("setup.population.confirm"), type="primary", key="setup_population_go"):
                result = data_setup.load_population(raw, upload.name, write=True)
                if result.ok:
                    written("setup_population", "setup.result.population", places=len(result.values), changed=changed)
                show_problems(result.problems)

# --- 3. boundaries --------------------------------------------------------------------------------------
with expander("boundaries", 3):
    st.caption(tr("setup.boundaries.help"))
    crs_options = {"": tr("setup.crs.auto"), **dict(boundaries.crs_choices())}
    level_options = {"": tr("setup.level.auto"), "township": tr("setup.level.township"),
                     "village": tr("setup.level.village")}
    b1, b2, b3 = st.columns([3, 2, 2])
    crs = b1.selectbox(tr("setup.crs"), list(crs_options), format_func=crs_options.get, key="setup_crs",
                       help=tr("setup.crs.help"))
    level = b2.selectbox(tr("setup.level"), list(level_options), format_func=level_options.get, key="setup_level")
    repair = b3.checkbox(tr("setup.repair"), key="setup_repair", help=tr("setup.repair.help"))
    upload = st.file_uploader(tr("setup.boundaries.file"), type=["zip", "geojson", "json", "kml", "kmz"],
                              key=f"setup_boundaries_{uploads('setup_boundaries')}")
    if upload is not None:
        options = (crs or None, level or None, repair)
        raw, checked = remembered("setup_boundaries", upload, options, lambda b, n: data_setup.load_boundaries(
            b, n, crs=options[0], level=options[1], repair=options[2], write=False))
        if checked.crs_name:
            st.caption(trm(f"setup.crs.how.{checked.crs_how or 'file'}", crs=checked.crs_name))
        counts = checked.counts
        if checked.features:
            m1, m2, m3, m4 = st.columns(4)
            m1.metric(tr("setup.status.matched"), counts["matched"])
            m2.metric(tr("setup.status.unmatched"), counts["unmatched"])
            m3.metric(tr("setup.status.ambiguous"), counts["ambiguous"])
            m4.metric(tr("setup.boundaries.without"), counts["without"])
            problem_rows = {f.index: "；".join(p.message(lang()) for p in f.problems if p.severity != "notice")
                            for f in checked.features}
            st.dataframe(pd.DataFrame([{
                "#": f.index + 1, tr("setup.col.feature"): f.name, tr("refimport.col.code"): f.code,
                tr("setup.col.status"): tr(f"setup.status.{f.status}"),
                tr("setup.col.region"): f"{f.region_name}（{f.region_code}）" if f.region_code else
                "、".join(f.candidates),
                tr("setup.col.by"): tr(f"setup.by.{f.by}") if f.by else "",
                tr("setup.col.area"): f.area_km2, tr("setup.col.problem"): problem_rows[f.index],
            } for f in checked.features]), hide_index=True, width="stretch",
                height=min(300, 35 * (len(checked.features) + 1) + 3),
                column_config={tr("setup.col.area"): st.column_config.NumberColumn(format="%.2f")})
            shapes = [f for f in checked.features if f.geometry is not None]
            if shapes:
                from ui.setup_map import preview_deck

                st.pydeck_chart(preview_deck(checked, data_setup.county_outline()), height=360,
                                key="setup_boundaries_map")
        show_problems(checked.problems)
        if checked.ok:
            st.markdown(tr("setup.boundaries.preview", regions=counts["regions"],
                           level_key=tr(f"setup.level.{checked.level}")))
            if st.button(tr("setup.boundaries.confirm"), type="primary", key="setup_boundaries_go"):
                result = data_setup.load_boundaries(raw, upload.name, crs=options[0], level=options[1],
                                                    repair=options[2], write=True)
                if result.ok:
                    written("setup_boundaries", "setup.result.boundaries", regions=result.counts["regions"],
                            level_key=tr(f"setup.level.{result.level}"))
                show_problems(result.problems)

# --- 4. departments and liaisons ------------------------------------------------------------------------
with expander("departments", 4):
    st.caption(tr("setup.departments.help"))
    rows = data_setup.department_rows()
    if rows:
        st.dataframe(pd.DataFrame([{
            tr("admin.field.code"): d["code"], tr("common.department"): name(d),
            tr("admin.field.reports_quarterly"): tr("common.yes") if d["reports_quarterly"] else tr("common.no"),
            tr("admin.field.liaison_name"): d["liaison_name"] or "", tr("admin.field.liaison_phone"): d["liaison_phone"] or "",
            tr("setup.col.accounts"): "、".join(d["accounts"]),
        } for d in rows]), hide_index=True, width="stretch", height=260)
    if st.button(tr("setup.departments.standard"), key="setup_departments_standard",
                 icon=":material/playlist_add:"):
        try:
            created = data_setup.add_standard_departments()
        except (InvalidInput, PermissionDenied) as exc:
            st.error(exc.text(lang()) if isinstance(exc, InvalidInput) else tr(exc.key))
        else:
            flash("setup.departments.added", count=len(created))
            st.rerun()
    reporting = {d["id"]: d for d in rows if d["reports_quarterly"]}
    if reporting:
        with st.form("setup_liaison"):
            st.markdown(f"**{tr('setup.departments.liaison')}**")
            l1, l2, l3 = st.columns([2, 1, 1])
            chosen = l1.selectbox(tr("common.department"), list(reporting), format_func=lambda i: name(reporting[i]),
                                  key="setup_liaison_dept")
            person = l2.text_input(tr("admin.field.liaison_name"), key="setup_liaison_name")
            phone = l3.text_input(tr("admin.field.liaison_phone"), key="setup_liaison_phone")
            if st.form_submit_button(tr("common.save")):
                d = reporting[chosen]
                ok, _ = attempt(admin.update_department, chosen, name_zh=d["name_zh"], name_en=d["name_en"],
                                liaison_name=person, liaison_phone=phone, reports_quarterly=True)
                if ok:
                    flash("admin.saved")
                    st.rerun()
    p1, p2 = st.columns(2)
    p1.page_link("pages/admin_departments.py", label=tr("setup.departments.edit_all"), icon=":material/apartment:")
    p2.page_link("pages/admin_users.py", label=tr("setup.departments.accounts"), icon=":material/manage_accounts:")

# --- 5. the indicator catalogue -------------------------------------------------------------------------
with expander("catalogue", 5):
    st.caption(tr("setup.catalogue.help"))
    presets = data_setup.presets()
    preset_names = {p: tr(f"setup.preset.{p}") for p in presets}
    preset = st.selectbox(tr("setup.catalogue.preset"), presets, format_func=preset_names.get, key="setup_preset")
    if st.button(tr("setup.catalogue.apply"), type="primary", key="setup_preset_go"):
        try:
            applied = data_setup.apply_preset(preset)
        except PermissionDenied as exc:
            st.error(tr(exc.key))
        except InvalidInput as exc:
            st.error(exc.text(lang()))
        else:
            flash("catalogue.preset.applied", created=len(applied.created), targets=len(applied.targets),
                  kept=len(applied.kept))
            st.rerun()
    st.page_link("pages/admin_indicators.py", label=tr("setup.catalogue.edit"), icon=":material/flag:")

# --- 6. quarters and deadlines --------------------------------------------------------------------------
with expander("periods", 6):
    st.caption(tr("setup.periods.help"))
    today = dt.date.today()
    with st.form("setup_periods"):
        q1, q2 = st.columns(2)
        first = q1.text_input(tr("setup.periods.first"), value=f"{today.year}Q1", help=tr("setup.periods.first_help"))
        days = q2.number_input(tr("admin.periods.days"), min_value=1, max_value=366, value=15, step=1)
        if st.form_submit_button(tr("setup.periods.open"), type="primary"):
            ok, created = attempt(admin.open_quarters, first, int(days))
            if ok:
                flash("setup.cli.quarters", count=len(created), codes="、".join(created) or "—")
                st.rerun()
    existing = data_setup.periods()
    if existing:
        st.caption(tr("setup.periods.existing", codes="、".join(p["code"] for p in reversed(existing))))
    st.page_link("pages/admin_periods.py", label=tr("setup.periods.edit"), icon=":material/event:")

# --- 7. the service-point registry ----------------------------------------------------------------------
with expander("points", 7):
    st.caption(tr("setup.points.help"))
    try:
        filename, template = data_setup.points_template()
        st.download_button(tr("refimport.download"), template, file_name=filename, mime=XLSX,
                           icon=":material/download:", key="setup_points_template")
    except PermissionDenied as exc:
        st.error(tr(exc.key))
    system_labels = {s: tr(f"setup.coords.{s}") for s in coords.SYSTEMS}
    system = st.radio(tr("registry.coords_system"), list(system_labels), format_func=system_labels.get,
                      index=list(system_labels).index(coords.GCJ02), key="setup_points_coords",
                      help=tr("registry.coords_system.help"))
    upload = st.file_uploader(tr("refimport.file"), type=["xlsx", "xlsm", "xls"],
                              key=f"setup_points_{uploads('setup_points')}")
    if upload is not None:
        raw, preview = remembered("setup_points", upload, (system,),
                                  lambda b, n: data_setup.check_points(b, n, system))
        for p in preview.problems:
            if p.key == "setup.coords.note":  # say it outright, not among the normalised values
                st.info(p.message(lang()), icon=":material/my_location:")
        show_problems(preview.problems)
        if preview.ok:
            st.markdown(tr("refimport.preview_counts", **preview.counts))
            todo = [c for c in preview.changes if c.action != "same"]
            if todo:
                st.dataframe(pd.DataFrame([{
                    tr("refimport.col.row"): c.row + 1, tr("refimport.col.action"): tr(f"refimport.action.{c.action}"),
                    tr("refimport.col.name"): c.name,
                    tr("map.col.lon"): (c.fields.get("lon") or (None, None))[1],
                    tr("map.col.lat"): (c.fields.get("lat") or (None, None))[1],
                } for c in todo]), hide_index=True, width="stretch", height=260)
                if st.button(tr("refimport.confirm"), type="primary", key="setup_points_go"):
                    result = data_setup.commit_points(preview)
                    if result.status == "accepted":
                        written("setup_points", "refimport.result.accepted", **result.counts)
                    st.warning(tr(result.message_key), icon=":material/sync_problem:")
            else:
                st.info(tr("refimport.result.nothing"), icon=":material/info:")
