"""批量导入 page (AppTest). AppTest cannot drive a file uploader, so the upload, the problem list and
the confirmation are exercised in the browser (tests/browser/test_import.py); here: who may open the
page, the template it offers for each kind, and the languages."""
from __future__ import annotations

from helpers import open_page, signed_in


def test_admin_gets_the_current_list_as_template_for_each_kind(writable_app) -> None:  # noqa: ANN001
    at = open_page("pages/admin_import.py", state=signed_in(writable_app, "admin"))
    assert not at.exception
    assert at.radio(key="import_kind").options == ["服务阵地台账", "乡镇和村（社区）"]
    assert [b.proto.label for b in at.get("download_button")] == ["下载模板（含现有数据）"]
    at.radio(key="import_kind").set_value("regions").run()
    assert not at.exception
    assert at.radio(key="import_kind").value == "regions"


def test_english_labels(writable_app) -> None:  # noqa: ANN001
    at = open_page("pages/admin_import.py", lang="en", state=signed_in(writable_app, "admin"))
    assert not at.exception
    assert at.radio(key="import_kind").options == ["Service-point registry", "Townships and villages"]
    assert any("Upload the filled-in sheet" in h.value for h in at.subheader)


def test_other_roles_are_refused_before_the_page_runs(writable_app) -> None:  # noqa: ANN001
    for role in ("leader", "liaison", "display"):
        at = open_page("pages/admin_import.py", state=signed_in(writable_app, role))
        assert not at.exception
        assert any("无权打开此页面" in w.value for w in at.warning), role
        assert len(at.get("download_button")) == 0
