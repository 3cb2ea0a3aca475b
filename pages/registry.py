"""Service-point registry (服务阵地台账): search, filters, details; add/edit/retire for administrators.

Everyone who opens the page reads; the forms show only for role admin, and data_access checks the
Actor again on every write (a hidden button is not a permission)."""
from __future__ import annotations

import datetime as dt
import hashlib

import pandas as pd
import streamlit as st

from data_access import coords, registry
from data_access.access import PermissionDenied
from data_access.db import session_scope
from ui import data, data_map
from ui import auth
from ui.auth import current_actor, current_role
from ui.frame import page_title, sample_banner
from ui.state import lang, md, name, tr, trm

auth.guard_page(__file__)

page_title("registry.title", "registry.caption")
sample_banner()

lg = lang()
version = data.version()
is_admin = current_role() == "admin"
if not is_admin:
    st.caption(tr("registry.read_only"))

flash = st.session_state.pop("registry_flash", None)
if flash:
    st.success(flash)

township_list = data_map.townships(version, None)
township_names = {tw["code"]: name(tw) for tw in township_list}
# Selectors format with dict lookups, never tr() calls: AppTest formats values outside the script run.
type_labels = data.point_type_labels(lg)
active_types = data.active_point_types()
status_labels = {s: tr(f"registry.status.{s}") for s in registry.STATUSES}
filter_townships = {"": tr("common.all"), **township_names}

# --- search and filters -------------------------------------------------------------------------
f1, f2, f3, f4 = st.columns([2, 2, 1.4, 1.4])
query = f1.text_input(tr("registry.search"), key="reg_query")
types = f2.multiselect(tr("map.types"), list(type_labels), format_func=type_labels.get, key="reg_types",
                       placeholder=tr("common.all"))
township = f3.selectbox(tr("map.township"), list(filter_townships), format_func=filter_townships.get,
                        key="reg_township") or None
statuses = f4.multiselect(tr("registry.filter.status"), list(status_labels), default=["active", "building"],
                          format_func=status_labels.get, key="reg_statuses")

# The database filters and pages the list: only the rows shown travel to the browser. The page
# picker's key follows the filters and the page count, so new filters start on the first page.
filters = (query or "", tuple(types), township, tuple(statuses))
first_page, total = data_map.registry_page(version, lg, *filters, 1)
pages = max(1, -(-total // data_map.REGISTRY_PAGE_SIZE))
page_key = "reg_page_" + hashlib.sha1(repr((filters, pages)).encode()).hexdigest()[:10]
page_no = min(pages, max(1, int(st.session_state.get(page_key) or 1)))
points = first_page if page_no == 1 else data_map.registry_page(version, lg, *filters, page_no)[0]
st.markdown(tr("registry.count", count=total))
if points.empty:
    st.info(tr("registry.no_points"))
else:
    # Dates as text: an empty cell for "not retired", never the word None.
    points = points.assign(opened_on=points["opened_on"].map(lambda d: d.isoformat() if d else ""),
                           retired_on=points["retired_on"].map(lambda d: d.isoformat() if d else ""))
    view = points[["code", "name", "type_label", "township", "village", "opened_on", "retired_on", "status_label",
                   "staff_full", "staff_part"]].rename(columns={
        "code": tr("map.col.code"), "name": tr("map.col.name"), "type_label": tr("map.col.type"),
        "township": tr("common.township"), "village": tr("registry.col.village"),
        "opened_on": tr("registry.col.opened"), "retired_on": tr("registry.col.retired"),
        "status_label": tr("registry.col.status"), "staff_full": tr("registry.col.staff_full"),
        "staff_part": tr("registry.col.staff_part")})
    st.dataframe(view, hide_index=True, width="stretch", height=360, key="reg_table")
    if pages > 1:
        first = (page_no - 1) * data_map.REGISTRY_PAGE_SIZE + 1
        p1, p2 = st.columns([3, 2], vertical_alignment="center")
        with p1:
            st.pagination(pages, key=page_key, max_visible_pages=7)
        p2.caption(tr("registry.page_range", first=first, last=first + len(points) - 1, total=total))

# --- details ------------------------------------------------------------------------------------
st.markdown(f"#### {tr('registry.details')}")
# The points of the page shown (search or filter to reach any other point).
point_labels = {0: "—", **{int(r.id): f"{r.code} · {r.name}" for r in points.itertuples(index=False)}}
selected = st.selectbox(tr("registry.pick"), list(point_labels), format_func=point_labels.get,
                        key="reg_selected") or None
detail = data_map.point_detail(version, selected, lg) if selected else None
if detail:
    fields = [
        (tr("map.col.code"), detail["code"]), (tr("map.col.name"), detail["name"]),
        (tr("registry.col.name_en"), detail["name_en"]), (tr("map.col.type"), detail["type_label"]),
        (tr("common.township"), detail["township"]), (tr("registry.col.village"), detail["village"] or "—"),
        (tr("registry.col.facility"), detail["facility"] or "—"),
        (tr("map.col.lon"), "—" if detail["lon"] is None else f"{detail['lon']:.5f}"),
        (tr("map.col.lat"), "—" if detail["lat"] is None else f"{detail['lat']:.5f}"),
        (tr("registry.col.opened"), detail["opened_on"] or "—"), (tr("registry.col.retired"), detail["retired_on"] or "—"),
        (tr("registry.col.status"), detail["status_label"]),
        (tr("registry.col.staff_full"), str(detail["staff_full"] or 0)),
        (tr("registry.col.staff_part"), str(detail["staff_part"] or 0)),
        (tr("registry.col.phone"), detail["phone"] or "—"), (tr("registry.col.note"), detail["note"] or "—"),
    ]
    st.dataframe(pd.DataFrame(fields, columns=["", " "]), hide_index=True, width="stretch", key="reg_detail")
    with st.expander(tr("registry.history")):
        if detail["history"]:
            st.dataframe(pd.DataFrame([dict(time=h["at"], user=h["username"], action=h["action"],
                                            detail=h["detail"] or "") for h in detail["history"]]),
                         hide_index=True, width="stretch")
        else:
            st.caption(tr("registry.history.none"))


# --- administrator forms --------------------------------------------------------------------------
def _save(action, *args) -> bool:  # noqa: ANN001
    """Run a registry write; show every problem in the user's language; True when it was saved."""
    try:
        with session_scope() as s:
            point = action(s, current_actor(), *args)
            saved = (point.name_en if lg == "en" else point.name_zh, point.retired_on)
    except registry.RegistryError as err:
        st.error(tr("registry.failed") + "\n\n" + "\n".join(f"- {md(msg)}" for msg in err.messages(lg)))
        return False
    except PermissionDenied as err:
        st.error(tr(err.key))
        return False
    if saved[1] is not None and action is registry.retire_point:
        st.session_state["registry_flash"] = tr("registry.retired_ok", name=md(saved[0]), date=saved[1].isoformat())
    else:
        st.session_state["registry_flash"] = trm("registry.saved", name=saved[0])
    return True


def _place_inputs(prefix: str, sp_type: str, current: dict | None = None) -> dict:
    """Township, village and school/hospital selectors (outside a form: the lists depend on each other)."""
    current = current or {}
    c1, c2, c3 = st.columns(3)
    t_options = list(township_names)
    t_index = t_options.index(current["township_code"]) if current.get("township_code") in t_options else 0
    t_code = c1.selectbox(tr("map.township"), t_options, index=t_index, format_func=township_names.get,
                          key=f"{prefix}_township")
    village_list = data_map.villages(version, t_code) if t_code else []
    v_names = {"": tr("registry.village.none"), **{v["code"]: name(v) for v in village_list}}
    v_options = list(v_names)
    v_index = v_options.index(current["village_code"]) if current.get("village_code") in v_options else 0
    v_code = c2.selectbox(tr("registry.col.village"), v_options, index=v_index, format_func=v_names.get,
                          key=f"{prefix}_village")
    f_code = None
    kinds = data.facility_kinds_for_types().get(sp_type)
    if kinds and t_code:
        f_list = data_map.facilities(version, t_code, tuple(kinds))
        f_names = {"": tr("registry.facility.none"), **{f["code"]: name(f) for f in f_list}}
        f_options = list(f_names)
        f_index = f_options.index(current["facility_code"]) if current.get("facility_code") in f_options else 0
        f_code = c3.selectbox(tr("registry.col.facility"), f_options, index=f_index, format_func=f_names.get,
                              key=f"{prefix}_facility") or None
    return dict(township=t_code, village=v_code or None, facility_code=f_code)


coord_labels = {system: tr(f"setup.coords.{system}") for system in coords.SYSTEMS}


def _detail_inputs(prefix: str, current: dict | None = None) -> dict:
    current = current or {}
    c1, c2 = st.columns(2)
    name_zh = c1.text_input(tr("map.col.name"), value=current.get("name_zh", ""), key=f"{prefix}_name_zh")
    name_en = c2.text_input(tr("registry.col.name_en"), value=current.get("name_en", ""), key=f"{prefix}_name_en")
    c3, c4, c5, c6 = st.columns(4)
    lon = c3.text_input(tr("map.col.lon"), value="" if current.get("lon") is None else str(current["lon"]),
                        key=f"{prefix}_lon")
    lat = c4.text_input(tr("map.col.lat"), value="" if current.get("lat") is None else str(current["lat"]),
                        key=f"{prefix}_lat")
    opened_value = dt.date.fromisoformat(current["opened_on"]) if current.get("opened_on") else None
    opened = c5.date_input(tr("registry.col.opened"), value=opened_value, min_value=dt.date(2000, 1, 1),
                           max_value=dt.date(2100, 12, 31), key=f"{prefix}_opened")
    statuses_ = ["active", "building"]
    status = c6.selectbox(tr("registry.col.status"), statuses_,
                          index=statuses_.index(current["status"]) if current.get("status") in statuses_ else 0,
                          format_func=status_labels.get, key=f"{prefix}_status")
    c7, c8, c9 = st.columns(3)
    staff_full = c7.number_input(tr("registry.col.staff_full"), min_value=0, step=1,
                                 value=int(current.get("staff_full") or 0), key=f"{prefix}_staff_full")
    staff_part = c8.number_input(tr("registry.col.staff_part"), min_value=0, step=1,
                                 value=int(current.get("staff_part") or 0), key=f"{prefix}_staff_part")
    phone = c9.text_input(tr("registry.col.phone"), value=current.get("phone") or "", key=f"{prefix}_phone")
    note = st.text_input(tr("registry.col.note"), value=current.get("note") or "", key=f"{prefix}_note")
    st.caption(tr("registry.coords_hint"))
    # Where the numbers were read: 高德/腾讯 (GCJ-02) and 百度 (BD-09) are converted on saving.
    system = st.selectbox(tr("registry.coords_system"), list(coord_labels), format_func=coord_labels.get,
                          key=f"{prefix}_coords", help=tr("registry.coords_system.help"))
    return dict(name_zh=name_zh, name_en=name_en, lon=lon, lat=lat, opened_on=opened, status=status,
                staff_full=staff_full, staff_part=staff_part, phone=phone, note=note, coords=system)


if is_admin:
    st.page_link("pages/admin_import.py", label=tr("registry.bulk_import"), icon=":material/upload_file:")
    with st.expander(tr("registry.add"), icon=":material/add_location:"):
        add_type = st.selectbox(tr("map.col.type"), active_types, format_func=type_labels.get,
                                index=active_types.index("village_room") if "village_room" in active_types else 0,
                                key="reg_add_type")
        entry = dict(type=add_type, **_place_inputs("reg_add", add_type), **_detail_inputs("reg_add"))
        if st.button(tr("common.save"), key="reg_add_save", type="primary"):
            if _save(registry.add_point, entry):
                st.rerun()

    if detail and detail["retired_on"] is None:
        with st.expander(tr("registry.edit"), icon=":material/edit_location:"):
            prefix = f"reg_edit_{detail['id']}"  # keyed by point: switching points resets the inputs
            types_ = active_types if detail["type"] in active_types else [*active_types, detail["type"]]
            edit_type = st.selectbox(tr("map.col.type"), types_, index=types_.index(detail["type"]),
                                     format_func=type_labels.get, key=f"{prefix}_type")
            changes = dict(type=edit_type, **_place_inputs(prefix, edit_type, detail),
                           **_detail_inputs(prefix, detail))
            if st.button(tr("common.save"), key=f"{prefix}_save", type="primary"):
                if _save(registry.edit_point, detail["id"], changes):
                    st.rerun()

        with st.expander(tr("registry.retire"), icon=":material/wrong_location:"):
            st.caption(tr("registry.retire.help"))
            r1, r2 = st.columns([1, 2])
            day = r1.date_input(tr("registry.retire.date"), value=data_map.today(), min_value=dt.date(2000, 1, 1),
                                max_value=dt.date(2100, 12, 31), key=f"reg_retire_date_{detail['id']}")
            reason = r2.text_input(tr("registry.retire.reason"), key=f"reg_retire_reason_{detail['id']}")
            if st.button(tr("registry.retire.button"), key=f"reg_retire_{detail['id']}"):
                if _save(registry.retire_point, detail["id"], day, reason):
                    st.rerun()
