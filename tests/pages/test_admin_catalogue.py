"""The catalogue on the admin page (指标与目标): a new point type, and a new indicator of each kind --
reported ratio, count and yes/no, a registry rule on the new type, a per-unit minimum -- created
through the page's widgets; read back from the database, with their audit rows and the template
that follows them."""
from __future__ import annotations

from sqlalchemy import select

from auth_fixtures import audit_actions
from data_access import models as m
from data_access.db import session_scope
from data_access.ingest.spec import build_spec
from helpers import open_page, signed_in


def _create(at, kind: str, code: str, name_zh: str, **widgets) -> None:  # noqa: ANN001, ANN003
    at.selectbox(key="new_kind").set_value(kind).run()
    at.text_input(key="new_code").input(code)
    at.text_input(key="new_name_zh").input(name_zh)
    at.text_input(key="new_name_en").input(code.replace("_", " ").title())
    for key, value in widgets.items():
        widget = next(w for w in (*at.selectbox, *at.multiselect, *at.text_input, *at.number_input, *at.checkbox)
                      if w.key == key)
        widget.set_value(value) if not hasattr(widget, "input") else widget.input(value)
    at.run()
    at.button(key="new_create").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]


def test_an_admin_creates_a_point_type_and_an_indicator_of_each_kind(writable_app) -> None:
    state = signed_in(writable_app, "admin")
    at = open_page("pages/admin_indicators.py", state=state)
    assert not at.exception
    with session_scope(writable_app) as s:
        union = s.scalar(select(m.Department.id).where(m.Department.code == "union"))
    # A new point type with its import aliases (the types tab's form for a new type).
    form = [t for t in at.text_input if t.form_id == "type_None"]
    form[0].input("office_care")
    form[1].input("机关干部心理驿站")
    form[2].input("Office care point")
    form[3].input("干部驿站、机关驿站")
    next(b for b in at.button if b.label == "保存" and b.form_id == "type_None").click()
    at.run()
    assert not at.error, [e.value for e in at.error]

    _create(at, "share", "office_care_towns", "有机关干部心理驿站的乡镇占比", new_share_unit="township",
            new_point_types=["office_care"])
    _create(at, "ratio", "family_guidance", "家庭教育指导覆盖率", new_owner=union, new_num="接受指导家庭数",
            new_den="家庭总数")
    _create(at, "count", "family_instructors", "家庭教育指导师人数", new_owner=union)
    _create(at, "yesno", "union_hotline", "工会心理热线开通", new_owner=union)
    _create(at, "units_meeting", "town_counsellor", "有持证心理咨询师的乡镇占比", new_base="certified_counsellors",
            new_minimum=1.0)
    with session_scope(writable_app) as s:
        made = {i.code: i for i in s.scalars(select(m.Indicator).where(m.Indicator.code.in_(
            ["office_care_towns", "family_guidance", "family_instructors", "union_hotline", "town_counsellor"])))}
        aliases = s.scalar(select(m.PointType.aliases).where(m.PointType.code == "office_care"))
        columns = {c.key for c in build_spec(s, "union", "2026Q3").template_columns}
    assert aliases == ["干部驿站", "机关驿站"]
    assert (made["office_care_towns"].kind, made["office_care_towns"].source) == ("ratio", "registry")
    assert made["office_care_towns"].rule == {"type": "share", "point_types": ["office_care"], "unit": "township"}
    assert made["town_counsellor"].rule["indicator"] == "certified_counsellors"
    assert (made["family_guidance"].kind, made["family_guidance"].numerator_label_zh) == ("ratio", "接受指导家庭数")
    assert made["union_hotline"].kind == "yesno" and made["family_instructors"].unit == ""
    # The union's next template carries the three reported ones.
    assert {"family_guidance:num", "family_guidance:den", "family_instructors:value", "union_hotline:value"} <= columns
    actions = audit_actions(writable_app)
    assert ("admin", "point_type.create") in actions
    assert sum(a == ("admin", "indicator.create") for a in actions) == 5
    # The page now shows the last one, ready for its target.
    assert at.selectbox(key="indicator_pick").value == made["town_counsellor"].id


def test_an_admin_creates_a_per_school_figure_and_a_minimum_over_schools(writable_app) -> None:
    """"Every school has at least one certified counsellor": a count reported per school on the
    education bureau's sheet, and the share of schools (of the kinds chosen) meeting it."""
    at = open_page("pages/admin_indicators.py", state=signed_in(writable_app, "admin"))
    with session_scope(writable_app) as s:
        education = s.scalar(select(m.Department.id).where(m.Department.code == "education"))
    _create(at, "count", "school_counsellors", "学校持证心理咨询师人数", new_owner=education, new_level="facility")
    at.selectbox(key="new_kind").set_value("units_meeting").run()
    at.selectbox(key="new_unit_level").set_value("facility").run()
    assert at.multiselect(key="new_meeting_kinds").value == ["primary_school", "secondary_school", "kindergarten"]
    # Only figures reported per school are offered for a minimum over schools.
    assert at.selectbox(key="new_base_facility").options == ["学校持证心理咨询师人数"]
    _create(at, "units_meeting", "schools_with_counsellor", "有持证心理咨询师的学校占比",
            new_meeting_kinds=["primary_school", "secondary_school"])
    with session_scope(writable_app) as s:
        base = s.scalar(select(m.Indicator).where(m.Indicator.code == "school_counsellors"))
        made = s.scalar(select(m.Indicator).where(m.Indicator.code == "schools_with_counsellor"))
        columns = {c.key for c in build_spec(s, "education", "2026Q3").template_columns}
        assert (base.level, base.kind, base.owner_department_id) == ("facility", "count", education)
        assert made.rule == {"type": "units_meeting", "indicator": "school_counsellors", "minimum": 1.0,
                             "unit": "facility", "facility_kinds": ["primary_school", "secondary_school"]}
        assert (made.numerator_label_zh, made.denominator_label_zh) == ("达标学校数", "学校总数")
        assert (made.numerator_label_en, made.denominator_label_en) == ("Schools meeting it", "Schools")
    assert "school_counsellors:value" in columns
    # Its rule in words on the indicator tab.
    assert any("至少为 1 的小学、中学所占比例" in c.value for c in at.caption)
    # Edited there: a higher minimum keeps the kinds of schools counted.
    form = f"indicator_{made.id}"
    next(n for n in at.number_input if n.form_id == form and n.label == "每个单位至少").set_value(2.0)
    next(b for b in at.button if b.form_id == form and b.label == "保存").click()
    at.run()
    assert not at.error, [e.value for e in at.error]
    with session_scope(writable_app) as s:
        rule = s.scalar(select(m.Indicator.rule).where(m.Indicator.code == "schools_with_counsellor"))
    assert (rule["minimum"], rule["facility_kinds"]) == (2.0, ["primary_school", "secondary_school"])


def test_a_refused_indicator_says_why_and_creates_nothing(writable_app) -> None:
    at = open_page("pages/admin_indicators.py", state=signed_in(writable_app, "admin"))
    at.selectbox(key="new_kind").set_value("share").run()
    at.text_input(key="new_code").input("no_types")
    at.text_input(key="new_name_zh").input("没有选类型")
    at.button(key="new_create").click()
    at.run()
    assert at.error[0].value == "请至少选择一种阵地类型，未做任何更改。"
    with session_scope(writable_app) as s:
        assert s.scalar(select(m.Indicator.id).where(m.Indicator.code == "no_types")) is None


def test_dated_steps_typed_on_the_page(writable_app) -> None:
    with session_scope(writable_app) as s:
        ind_id = s.scalar(select(m.Indicator.id).where(m.Indicator.code == "room_coverage"))
    at = open_page("pages/admin_indicators.py", state=signed_in(writable_app, "admin"))
    at.selectbox(key="indicator_pick").set_value(ind_id).run()
    at.text_area(key=f"steps_{ind_id}").input("2027-12-31 30\n2028-12-31 五十")
    next(b for b in at.button if b.label == "保存新目标").click()
    at.run()
    assert at.error[0].value.startswith("第 2 行“2028-12-31 五十”无法识别")
    at.text_area(key=f"steps_{ind_id}").input("2027-12-31 30%\n2028-12-31，50\n2029-12-31 80")
    next(b for b in at.button if b.label == "保存新目标").click()
    at.run()
    assert not at.error, [e.value for e in at.error]
    with session_scope(writable_app) as s:
        target = s.scalar(select(m.Target).where(m.Target.indicator_id == ind_id, m.Target.effective_to.is_(None)))
        assert [x["value"] for x in target.steps] == [0.3, 0.5, 0.8] and target.value == 0.8


def test_an_admin_changes_a_rule_s_type_and_its_kind_follows(writable_app) -> None:
    with session_scope(writable_app) as s:
        hosp = s.scalar(select(m.Indicator).where(m.Indicator.code == "hospital_clinics"))
        ind_id, old_rule = hosp.id, dict(hosp.rule)
    at = open_page("pages/admin_indicators.py", state=signed_in(writable_app, "admin"))
    at.selectbox(key="indicator_pick").set_value(ind_id).run()
    assert at.selectbox(key=f"edit_rule_type_{ind_id}").value == "share"
    assert at.selectbox(key=f"edit_share_unit_{ind_id}").value == "facility"
    # share -> per 10,000 residents: the form offers the point types (kept), no facility kinds.
    at.selectbox(key=f"edit_rule_type_{ind_id}").set_value("per_10k").run()
    assert not at.exception
    assert any("每万人口数" in i.value for i in at.info)          # the kind it becomes, said before saving
    form = f"indicator_{ind_id}"
    assert [w.value for w in at.multiselect if w.form_id == form] == [["hospital_clinic"]]
    assert not [w for w in at.checkbox if w.form_id == form and "列名" in w.label]
    next(b for b in at.button if b.form_id == form).click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with session_scope(writable_app) as s:
        ind = s.get(m.Indicator, ind_id)
        assert (ind.kind, ind.rule) == ("rate", {"type": "per_10k", "point_types": ["hospital_clinic"]})
        entry = s.scalars(select(m.AuditEntry).where(m.AuditEntry.action == "indicator.update")
                          .order_by(m.AuditEntry.id.desc())).first()
    assert entry.before["rule"] == old_rule and entry.after["kind"] == "rate"

    # A rule of the new type that is incomplete is refused in Chinese; nothing changes.
    at.selectbox(key=f"edit_rule_type_{ind_id}").set_value("exists").run()
    next(w for w in at.multiselect if w.form_id == form).set_value([])
    next(b for b in at.button if b.form_id == form).click()
    at.run()
    assert not at.exception and at.error
    with session_scope(writable_app) as s:
        assert s.get(m.Indicator, ind_id).rule["type"] == "per_10k"
