"""Hostile files in Chromium, against a server of its own: a liaison uploads the 11 KB killer (a cell
at A4000000000), the zip that inflates to 1 GiB behind a 64 KiB declaration, a damaged workbook and
an .xls with absurd dimensions; an administrator sends the killer to 批量导入. Each is refused with
its message in Chinese (and once in English), the damaged one's annotated copy downloads, and all the
while a leader in another browser session keeps getting pages from the same server process, whose
own memory stays bounded."""
from __future__ import annotations

import io
import os
import time
import urllib.request
from pathlib import Path

import openpyxl
import pytest

import hostile_files as hf
from browser_auth import sign_in
from browser_server import running_app
from helpers import settle

pytestmark = pytest.mark.browser

NAV = '[data-testid="stSidebarNavLink"]'
DROP = '[data-testid="stFileUploaderDropzoneInput"]'


def _server_pid(url: str) -> int:
    """The `streamlit run` process listening on url's port."""
    port = url.rsplit(":", 1)[1]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in b" ".join(args) and port.encode() in args:
            return int(entry.name)
    raise AssertionError(f"no streamlit process for {url}")


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def _alive(url: str, pid: int) -> bool:
    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as r:
        healthy = r.status == 200
    return healthy and Path(f"/proc/{pid}").exists()


HEADINGS = {"报送情况": "报送情况", "预警": "预警", "总览": "社会心理服务督导平台"}


def _other_session_gets_a_page(leader, title: str) -> None:  # noqa: ANN001
    leader.locator(NAV, has_text=title).first.click()
    leader.get_by_role("heading", name=HEADINGS[title]).first.wait_for(timeout=30_000)
    settle(leader, quiet=0.5)
    assert leader.query_selector('[data-testid="stException"]') is None


def test_hostile_uploads_are_refused_while_the_server_serves_everyone_else(browser, artifacts,  # noqa: ANN001
                                                                           tmp_path: Path) -> None:
    with running_app(tmp_path / "server") as url:
        pid = _server_pid(url)
        contexts = [browser.new_context(viewport={"width": 1440, "height": 1800}, locale="zh-CN") for _ in range(3)]
        liaison, leader, admin = (c.new_page() for c in contexts)
        try:
            sign_in(leader, url, "leader")
            sign_in(liaison, url, "liaison_health")
            liaison.locator(NAV, has_text="上传报表").first.click()
            liaison.get_by_text("① 选择部门和季度，下载模板").wait_for(timeout=30_000)
            settle(liaison)
            with liaison.expect_download() as info:
                liaison.get_by_role("button", name="下载模板（.xlsx）").click()
            good = open(info.value.path(), "rb").read()

            cases = [("far_cell", "过大（4000000000 行"),
                     ("lying_zip_1gib", "文件解压后超过 200 MB"),
                     ("damaged_xml", "文件已损坏，无法读取"),
                     ("xls_absurd_dimensions", "过大（4294967295 行")]
            titles = ["报送情况", "预警", "总览"]
            for i, (name, message) in enumerate(cases):
                path = tmp_path / f"{name}.{'xls' if name.startswith('xls') else 'xlsx'}"
                path.write_bytes(hf.CORPUS[name][0](good))
                liaison.locator(DROP).set_input_files(str(path))
                # Meanwhile, another session: pages keep coming from the same server process.
                started = time.monotonic()
                _other_session_gets_a_page(leader, titles[i % len(titles)])
                assert time.monotonic() - started < 30
                liaison.get_by_text(message).first.wait_for(timeout=60_000)
                settle(liaison, quiet=1.0)
                assert liaison.get_by_text("文件未被接收，未做任何更改").is_visible()
                assert liaison.query_selector('[data-testid="stException"]') is None
                assert liaison.get_by_role("button", name="确认提交").count() == 0
                liaison.screenshot(path=str(artifacts / f"hostile-{name}.png"), full_page=True)
                assert _alive(url, pid), f"the server died on {name}"
                if name == "damaged_xml":
                    with liaison.expect_download() as marked:
                        liaison.get_by_role("button", name="下载标注问题的工作簿").click()
                    wb = openpyxl.load_workbook(io.BytesIO(open(marked.value.path(), "rb").read()))
                    assert wb.sheetnames[0] == "问题清单" and wb["问题清单"]["E2"].value == "文件已损坏，无法读取。"

            # In English, the refusal is in English.
            liaison.locator('[data-testid="stSidebar"]').get_by_text("English").click()
            settle(liaison, quiet=1.0)
            killer = tmp_path / "killer-again.xlsx"
            killer.write_bytes(hf.far_cell(good))
            liaison.locator(DROP).set_input_files(str(killer))
            liaison.get_by_text("is too large (4000000000 rows").first.wait_for(timeout=60_000)
            settle(liaison, quiet=1.0)
            liaison.screenshot(path=str(artifacts / "hostile-english.png"), full_page=True)

            # The reference import reads through the same sandbox.
            sign_in(admin, url, "admin")
            admin.locator(NAV, has_text="批量导入").first.click()
            admin.get_by_text("① 下载当前台账（即导入模板）").wait_for(timeout=30_000)
            settle(admin)
            with admin.expect_download() as info:
                admin.get_by_role("button", name="下载模板（含现有数据）").click()
            bomb = tmp_path / "台账-killer.xlsx"
            bomb.write_bytes(hf.far_cell(open(info.value.path(), "rb").read()))
            admin.locator(DROP).set_input_files(str(bomb))
            _other_session_gets_a_page(leader, "总览")
            admin.get_by_text("过大（4000000000 行").first.wait_for(timeout=60_000)
            settle(admin, quiet=1.0)
            assert admin.get_by_role("button", name="确认导入").count() == 0
            admin.screenshot(path=str(artifacts / "hostile-import.png"), full_page=True)

            assert _alive(url, pid)
            peak = _peak_mb(pid)
            print(f"server peak resident memory after the hostile uploads: {peak:.0f} MB")
            assert peak < 1000, f"the server itself peaked at {peak:.0f} MB"
            assert os.getpid() != pid
        finally:
            for c in contexts:
                c.close()
