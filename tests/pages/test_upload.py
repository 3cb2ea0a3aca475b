"""Upload, history and 报送情况 pages (AppTest). AppTest cannot drive a file uploader, so the upload
itself is committed through the same ui.data_ingest functions the page calls, and the browser test
(tests/browser/test_upload.py) does the real click-through."""
from __future__ import annotations

import datetime as dt

from view_helpers import html_tables
from helpers import open_page, signed_in
from data_access.access import Actor
from data_access.db import session_scope
from data_access.ingest import completeness
from data_access.ingest.commit import ingest


def test_liaison_sees_only_own_department_and_gets_its_template(app_engine) -> None:  # noqa: ANN001
    at = open_page("pages/upload.py", state=signed_in(app_engine, "liaison"))
    assert not at.exception
    dept = at.selectbox(key="upload_department")
    assert dept.options == ["县卫生健康委员会"] and dept.disabled
    assert at.selectbox(key="upload_period").value == "2026Q3"
    assert "当前已接收：第 1 版" in at.caption[-1].value or "当前已接收" in " ".join(c.value for c in at.caption)


def test_period_not_ended_warns(app_engine) -> None:  # noqa: ANN001
    at = open_page("pages/upload.py", state=signed_in(app_engine, "liaison"))
    at.selectbox(key="upload_period").select("2026Q4").run()
    assert not at.exception
    assert any("尚未结束" in w.value for w in at.warning)


def test_an_approved_quarter_says_who_locked_it_and_the_picker_marks_it(app_engine) -> None:  # noqa: ANN001
    at = open_page("pages/upload.py", state=signed_in(app_engine, "liaison"))
    picker = at.selectbox(key="upload_period")
    assert "已审核" in picker.format_func("2024Q4") and "待审核" in picker.format_func("2026Q3")
    assert not at.error
    picker.select("2024Q4").run()
    assert not at.exception
    assert "审核通过并锁定" in at.error[0].value and "系统管理员" in at.error[0].value  # the demo admin's name


def test_admin_can_choose_any_reporting_department(app_engine) -> None:  # noqa: ANN001
    at = open_page("pages/upload.py", lang="en", state=signed_in(app_engine, "admin"))
    assert not at.exception
    assert len(at.selectbox(key="upload_department").options) == 7


def test_accepted_sheet_shows_on_home_and_history(writable_app) -> None:  # noqa: ANN001
    engine = writable_app
    from data_access.ingest.spec import build_spec
    from data_access.ingest.templates import write_template

    with session_scope(engine) as s:
        spec = build_spec(s, "union", "2026Q3")
    values = {e.code: {"certified_counsellors:value": 20, "outreach_sessions:value": 3} for e in spec.entities}
    data = write_template(spec, values=values)
    state = signed_in(engine, "liaison", "liaison_union")
    actor = Actor(state["user"]["id"], "liaison_union", "liaison", state["user"]["department_id"])
    _, result = ingest(engine, actor, data, "union.xlsx", "union", "2026Q3", today=dt.date(2026, 11, 23))
    assert result.status == "accepted"
    home = open_page(state=state)
    frame = html_tables(home)[0]
    row = frame[frame["指标"].str.startswith("持证心理咨询师")].iloc[0]
    assert row["当前值"].replace(",", "").startswith(str(20 * 13))
    hist = open_page("pages/submissions.py", state=state)
    assert not hist.exception
    table = hist.dataframe[0].value
    assert table.iloc[0]["文件名"] == "union.xlsx" and table.iloc[0]["状态"] == "当前版本"


def test_completeness_matrix_for_leaders(app_engine) -> None:  # noqa: ANN001
    at = open_page("pages/completeness.py", state=signed_in(app_engine, "leader"))
    assert not at.exception
    frame = at.dataframe[0].value
    with session_scope(app_engine) as s:
        expected = completeness.matrix(s, dt.date.today())
    union = frame[frame["部门"] == "县总工会"].iloc[0]
    assert union["2026Q3"].startswith("✖")
    petition = frame[frame["部门"] == "县信访局"].iloc[0]
    cell = expected["cells"][("petition", "2026Q3")]
    assert cell.status == "late" and petition["2026Q3"] == f"▲ 逾期 {cell.days_late} 天"
    assert any("县总工会：2026Q3" in m.value for m in at.markdown)
