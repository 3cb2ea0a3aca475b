"""Meeting mode: slides in order with the database's figures, next/previous, the display role,
suppression on screen, the admin's next-steps editor and the downloads."""
from __future__ import annotations

from helpers import open_page, signed_in
from data_access import indicators as ix
from data_access.briefing.content import SLIDES
from data_access.db import session_scope


N = len(SLIDES)


def _markdown(at) -> str:  # noqa: ANN001
    return "\n".join(m.value for m in at.markdown)


def _button(at, key: str):  # noqa: ANN001, ANN202
    return next(b for b in at.button if b.key == key)


def test_display_role_walks_through_every_slide(app_engine) -> None:  # noqa: ANN001
    at = open_page("pages/meeting.py", state=signed_in(app_engine, "display"), query={"period": "2026Q3"})
    assert not at.exception
    text = _markdown(at)
    assert "社会心理服务体系建设工作汇报" in text and "2026年第3季度" in text and f"1 / {N}" in text
    assert "display: none" in text  # sidebar and chrome hidden on this page
    with session_scope(app_engine) as s:
        summary = {r.code: r for r in ix.region_summary(s, ix.period_by_code(s, "2026Q3"), ix.root_region(s))}
    seen = []
    for n in range(2, N + 1):
        _button(at, "meeting_next").click().run()
        assert not at.exception
        text = _markdown(at)
        assert f"{n} / {N}" in text
        seen.append(text)
    assert f"{summary['smd_managed'].value * 100:.1f}%" in seen[0]       # overview
    assert "县总工会" in seen[3]                                        # departments
    outcomes = seen[4]
    assert f"{summary['people_served'].value:,.0f} 人次" in outcomes
    assert "和安经济开发区" in outcomes                                  # suppressed on screen:
    park = outcomes[outcomes.index("<td>和安经济开发区</td>"):].split("</tr>")[0]
    assert park.count(">*</td>") >= 2 and "&lt;" not in "".join(seen)    # one mark, never "<5"
    # The footnote explains a "*": on the outcomes slide, not on the behind slide (nothing hidden).
    assert ['<div class="mt-foot">' in x for x in seen] == [False, False, False, False, True] + [False] * (N - 6)
    follow = seen[SLIDES.index("followup") - 1]                        # the last meeting's decisions
    assert "上次会议决定事项落实情况" in follow and "县司法局11月底前对北山乡特殊人群开展个性化心理疏导" in follow
    assert _button(at, "meeting_next").disabled
    assert not at.text_area                                              # display cannot edit notes
    _button(at, "meeting_prev").click().run()
    assert f"{N - 1} / {N}" in _markdown(at)


def test_admin_edits_next_steps_and_they_show(app_engine, sample_sqlite) -> None:  # noqa: ANN001
    from data_access import models as m

    at = open_page("pages/meeting.py", state=signed_in(app_engine, "admin"), query={"period": "2026Q3", "slide": str(N)})
    assert not at.exception and f"{N} / {N}" in _markdown(at)
    at.text_area[0].set_value("加快北山乡村级心理咨询室建设\n县总工会月底前补报")
    at.button[0].click().run()  # the form's save button
    assert not at.exception
    try:
        assert "加快北山乡村级心理咨询室建设" in _markdown(at)
        assert at.success and "已保存" in at.success[0].value
    finally:  # the sample database is shared: put it back
        with session_scope(sample_sqlite) as s:
            row = s.get(m.Setting, "meeting.next_steps.2026Q3")
            if row is not None:
                s.delete(row)


def test_downloads_on_the_cover_and_english(app_engine) -> None:  # noqa: ANN001
    at = open_page("pages/meeting.py", lang="en", state=signed_in(app_engine, "leader"), query={"period": "2026Q3"})
    assert not at.exception
    assert "Social psychological service system" in _markdown(at)
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download PowerPoint", "Download PDF", "Download Excel tables"]


def test_display_lands_on_the_meeting_page(app_engine) -> None:  # noqa: ANN001
    at = open_page(state=signed_in(app_engine, "display"))
    assert not at.exception
    assert "社会心理服务体系建设工作汇报" in _markdown(at)


def test_overview_offers_meeting_mode_and_downloads(app_engine) -> None:  # noqa: ANN001
    at = open_page("pages/home.py", state=signed_in(app_engine, "leader"), query={"period": "2026Q3"})
    assert not at.exception
    links = [l.proto for l in at.get("page_link")]
    assert any(p.label == "会议模式" and "meeting" in p.page for p in links)
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["下载 PPT", "下载 PDF", "下载 Excel 表格"]


def test_overview_labels_its_downloads_without_assembling_the_briefing(app_engine, monkeypatch) -> None:  # noqa: ANN001
    import streamlit as st

    from data_access.briefing import content
    from ui import data_meeting

    st.cache_data.clear()
    built = []
    real = content.assemble
    monkeypatch.setattr(content, "assemble", lambda *a, **k: built.append(a) or real(*a, **k))
    at = open_page("pages/home.py", state=signed_in(app_engine, "leader"), query={"period": "2026Q3"})
    assert not at.exception
    assert len(at.get("download_button")) == 3
    assert built == []  # the briefing is made when a download is clicked, not to draw the page
    # The cheap file name is the one the briefing itself gives, in both languages.
    for lang in ("zh", "en"):
        with session_scope(app_engine) as s:
            b = content.assemble(s, "2026Q3", lang)
        assert data_meeting.file_stem.__wrapped__(0, "2026Q3", lang) + ".pdf" == data_meeting.file_name(b, "pdf")
    assert data_meeting.file_stem.__wrapped__(0, "1999Q1", "zh") is None


def test_liaison_gets_no_meeting_button(app_engine) -> None:  # noqa: ANN001
    at = open_page("pages/home.py", state=signed_in(app_engine, "liaison"))
    assert not at.exception
    assert not any(l.proto.label == "会议模式" for l in at.get("page_link"))
    assert not at.get("download_button")


def test_display_account_cannot_open_unsuppressed_township_figures(app_engine) -> None:  # noqa: ANN001
    # The park's tiny counts are suppressed only in meeting mode and on the display account's
    # coverage map; its public screen must not reach the staff pages that show them raw, not even
    # by URL. (The map colours townships by reported rates too: tests/pages/test_map.py and
    # tests/data_access/test_map_suppression.py check that the display account's map suppresses.)
    for page in ("pages/township.py", "pages/indicator.py", "pages/home.py", "pages/warnings.py"):
        at = open_page(page, state=signed_in(app_engine, "display"), query={"township": "990101013"})
        assert not at.exception, page
        assert not at.dataframe, page
        assert not at.get("arrow_data_frame"), page


def test_leaving_meeting_mode_opens_a_page_the_role_may_open(app_engine) -> None:  # noqa: ANN001
    # The display account may not open the overview: 退出会议模式 took it to "无权打开此页面".
    for role, title in (("display", "服务阵地覆盖地图"), ("leader", None)):
        at = open_page("pages/meeting.py", state=signed_in(app_engine, role), query={"period": "2026Q2"})
        _button(at, "meeting_exit").click().run()
        assert not at.exception, role
        text = _markdown(at) + "\n".join(w.value for w in at.warning)
        assert "无权" not in text, role
        if title:
            assert any(title in t.value for t in at.title), role
        else:
            assert at.get("metric"), role  # the overview's figures
        assert at.query_params.get("period") in ("2026Q2", ["2026Q2"]), role
