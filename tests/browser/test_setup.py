"""A new county set up in Chromium from an empty database, as its administrator would: after
`create-admin` the sign-in lands on 首次配置; the county, its division-code list (GBK CSV), residents,
township and village boundaries (zipped GBK Shapefiles in Gauss-Krueger zone 39, one without its
.prj), departments and a liaison, quarters and the registry with 高德 (GCJ-02) coordinates go in
through the page, each previewed before it is written. Read back from the database; screenshots
at 1440 and 390 wide."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import pytest
import shapely.geometry
from sqlalchemy import func, select

import setup_county as sc
from browser_auth import submit_sign_in
from browser_server import running_app
from data_access import coords
from data_access import models as m
from data_access.db import make_engine, session_scope
from helpers import settle, upload

pytestmark = pytest.mark.browser
ADMIN = ("zhangsan", "qingxi-2026")


@pytest.fixture
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """An empty database and a server of its own for each test (the first test completes the setup,
    after which the setup page is no longer the landing page)."""
    folder = tmp_path_factory.mktemp("setup_server")
    with running_app(folder, admin=ADMIN) as url:
        yield url, folder / "app.sqlite"


def step(page, title: str):  # noqa: ANN001, ANN201
    """The step's expander, opened (a done step is shown closed)."""
    box = page.locator('[data-testid="stExpander"]').filter(has_text=title).first
    if box.locator("details").get_attribute("open") is None:
        box.locator("summary").click()
        settle(page, quiet=1.0)
    return box


def put(page, box, path: Path, until: str, nth: int = 0) -> None:  # noqa: ANN001
    box.locator('[data-testid="stFileUploaderDropzoneInput"]').nth(nth).set_input_files(str(path))
    try:
        page.get_by_text(until).first.wait_for(timeout=60_000)
    except Exception:
        page.screenshot(path="/tmp/geo_shots/debug.png", full_page=True)
        raise
    settle(page, quiet=1.5)


def confirm(page, label: str, flash: str) -> None:  # noqa: ANN001
    page.get_by_role("button", name=label, exact=True).click()
    try:
        page.get_by_text(flash).first.wait_for(timeout=60_000)
    except Exception:
        page.screenshot(path="/tmp/geo_shots/confirm.png", full_page=True)
        raise
    settle(page, quiet=1.5)


def sign_in(page, url: str) -> None:  # noqa: ANN001
    if not page.url.startswith(url):
        page.goto(url)
        settle(page)
    submit_sign_in(page, ADMIN[0], ADMIN[1], signed_in=True)


def test_a_county_set_up_from_files_on_the_setup_page(empty_server, browser, page, artifacts,  # noqa: ANN001
                                                      tmp_path: Path) -> None:
    url, db_file = empty_server
    files = {}
    for name, data in (("区划代码.csv", sc.division_csv()), ("常住人口.xlsx", sc.population_xlsx()),
                       ("乡镇界.zip", sc.shapefile_zip("township")),
                       ("村界.zip", sc.shapefile_zip("village", with_prj=False, with_cpg=False)),
                       ("服务阵地.xlsx", sc.points_xlsx(coords.GCJ02))):
        files[name] = tmp_path / name
        files[name].write_bytes(data)
    page.set_viewport_size({"width": 1440, "height": 1800})
    sign_in(page, url)
    # An empty database: the administrator lands on the setup page, every step still to do.
    page.get_by_role("heading", name="首次配置本县").wait_for(timeout=30_000)
    assert page.get_by_text("已完成 0/7 步").is_visible()
    page.screenshot(path=str(artifacts / "setup-empty.png"), full_page=True)

    box = step(page, "1. 县的区划代码和名称")
    box.get_by_label("县级区划代码").fill(sc.CODE)
    box.get_by_label("中文名称").fill(sc.NAME)
    confirm(page, "保存", f"已保存：{sc.NAME}（{sc.CODE}）")

    box = step(page, "2. 乡镇和村（社区）")
    put(page, box, files["区划代码.csv"], "确认导入区划")
    assert page.get_by_text("将新增乡镇 4 个、村（社区）16 个").is_visible()
    confirm(page, "确认导入区划", "区划已导入：新增乡镇 4 个、村（社区）16 个")
    box = step(page, "2. 乡镇和村（社区）")
    put(page, box, files["常住人口.xlsx"], "确认导入人口", nth=1)
    confirm(page, "确认导入人口", "常住人口已导入：16 个区划")

    box = step(page, "3. 边界（地图）")
    put(page, box, files["乡镇界.zip"], "确认导入边界")
    assert page.get_by_text("CGCS2000 / 3-degree Gauss-Kruger zone 39 (EPSG:4527)").first.is_visible()
    assert page.get_by_text("可以导入：4 个乡镇（街道）的边界").is_visible()
    page.wait_for_selector('[data-testid="stDeckGlJsonChart"] canvas', timeout=30_000)
    page.screenshot(path=str(artifacts / "setup-boundaries-preview.png"), full_page=True)
    confirm(page, "确认导入边界", "边界已导入：4 个乡镇（街道）")
    box = step(page, "3. 边界（地图）")
    put(page, box, files["村界.zip"], "确认导入边界")
    assert page.get_by_text("坐标系（按坐标数值判断）").first.is_visible()   # no .prj: zone 39 from the eastings
    confirm(page, "确认导入边界", "边界已导入：16 个村（社区）")

    box = step(page, "4. 部门和联络员")
    box.get_by_role("button", name="添加常见成员单位").click()
    page.get_by_text("已添加 20 个部门").wait_for(timeout=30_000)
    settle(page)
    box = step(page, "4. 部门和联络员")
    box.locator('[data-testid="stSelectbox"]').filter(has_text="部门").click()
    page.get_by_role("option", name="县卫生健康委员会").click()
    box.get_by_label("联络员姓名").fill("王芳")
    box.get_by_label("联络员电话").fill("0551-1234567")
    box.get_by_role("button", name="保存").click()
    page.get_by_text("已保存").first.wait_for(timeout=30_000)
    settle(page)

    # The catalogue from the national-pilot preset (data_access.catalogue.apply_preset).
    step(page, "5. 指标目录和目标")
    confirm(page, "按预设建立指标目录", "已新增 15 项指标、11 个目标")

    box = step(page, "6. 季度和报送截止日期")
    box.get_by_role("textbox", name="首个报送季度").fill("2026Q1")
    confirm(page, "开设季度", "已开设 4 个季度")

    box = step(page, "7. 服务阵地台账")
    box.get_by_text("GCJ-02（从高德地图、腾讯地图复制）").click()
    put(page, box, files["服务阵地.xlsx"], "确认导入")
    assert page.get_by_text("坐标已从 GCJ-02 转换为 WGS84（21 个阵地").first.is_visible()
    confirm(page, "确认导入", "已导入：新增 21 条")
    page.screenshot(path=str(artifacts / "setup-1440.png"), full_page=True)

    engine = make_engine(f"sqlite:///{db_file}")
    with session_scope(engine) as s:
        county = s.scalar(select(m.Region).where(m.Region.parent_id.is_(None)))
        assert (county.code, county.name_zh) == (sc.CODE, sc.NAME) and county.boundary
        villages = s.scalars(select(m.Region).where(m.Region.level == "village")).all()
        assert len(villages) == 16 and all(v.boundary and v.population for v in villages)
        health = s.scalar(select(m.Department).where(m.Department.code == "health"))
        assert (health.liaison_name, health.liaison_phone) == ("王芳", "0551-1234567")
        assert s.scalar(select(func.count()).select_from(m.Period)) == 4
        truth = {p.name: p for p in sc.points()}
        for sp in s.scalars(select(m.ServicePoint)):
            assert (sp.lon, sp.lat) == pytest.approx((truth[sp.name_zh].lon, truth[sp.name_zh].lat), abs=1e-6)
            assert shapely.geometry.shape(sp.region.boundary).covers(shapely.Point(sp.lon, sp.lat))
        trail = set(s.scalars(select(m.AuditEntry.action).where(m.AuditEntry.username == ADMIN[0])))
    engine.dispose()
    assert {"setup.county", "setup.regions", "setup.population", "setup.boundaries", "department.create",
            "department.update", "indicator.create", "target.set", "period.create", "registry.add"} <= trail
    _county_reports_and_shows(page, url, db_file, artifacts, tmp_path)

    # The same page on a phone.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN")
    small = phone.new_page()
    small.goto(f"{url}/setup")  # setup is complete now: the landing is the overview, the page stays
    settle(small)
    # A phone opens with the sidebar over the page (FIELD-NOTES): close it to reach the sign-in form.
    collapse = small.locator('[data-testid="stSidebarCollapseButton"] button')
    if collapse.count():
        collapse.first.click()
        settle(small, quiet=1.0)
    sign_in(small, url)
    small.get_by_role("heading", name="首次配置本县").wait_for(timeout=30_000)
    small.screenshot(path=str(artifacts / "setup-390.png"), full_page=True)
    phone.close()


def _county_reports_and_shows(page, url: str, db_file: Path, artifacts: Path, tmp_path: Path) -> None:  # noqa: ANN001
    """The county just set up: the health commission's template for 2026Q3 is downloaded, filled and
    uploaded (the administrator may upload for any department); the overview, the map and the
    meeting briefing then show this county and its figures."""
    import io
    import subprocess

    import openpyxl

    page.locator('[data-testid="stSidebarNavLink"]', has_text="上传报表").first.click()
    settle(page, quiet=1.5)
    page.locator('[data-testid="stSelectbox"]').filter(has_text="部门").first.locator("input").click()
    page.keyboard.type("县卫生健康委员会")
    page.get_by_role("option", name="县卫生健康委员会", exact=True).click()
    settle(page, quiet=1.5)
    page.locator('[data-testid="stSelectbox"]').filter(has_text="报告期").first.locator("input").click()
    # The picker names each quarter with its sign-off state ("2026年第3季度 · 待审核").
    page.get_by_role("option", name=re.compile(r"^2026年第3季度")).click()
    settle(page, quiet=1.5)
    with page.expect_download() as info:
        page.get_by_role("button", name="下载模板（.xlsx）").click()
    wb = openpyxl.load_workbook(io.BytesIO(open(info.value.path(), "rb").read()))
    ws = wb["数据"]
    assert ws.max_row - 3 == 4                             # one row per township of this county
    for r in range(4, ws.max_row + 1):                     # 40 of 50 patients managed, 20 of 40 in rehabilitation...
        for c, v in zip(range(3, ws.max_column + 1), (40, 50, 20, 40, 500, 1000)):
            ws.cell(r, c).value = v
    filled = tmp_path / "卫健委-2026Q3.xlsx"
    buf = io.BytesIO()
    wb.save(buf)
    filled.write_bytes(buf.getvalue())
    upload(page, filled, page.get_by_role("button", name="确认提交"))
    page.get_by_role("button", name="确认提交").click()
    page.get_by_text("已接收").first.wait_for(timeout=30_000)
    settle(page, quiet=1.5)

    engine = make_engine(f"sqlite:///{db_file}")
    with session_scope(engine) as s:
        from data_access import indicators as ix

        root = ix.root_region(s)
        q3 = ix.period_by_code(s, "2026Q3")
        managed = next(r for r in ix.region_summary(s, q3, root) if r.code == "smd_managed")
    engine.dispose()
    assert (managed.numerator, managed.denominator, managed.value) == (160, 200, 0.8)

    page.locator('[data-testid="stSidebarNavLink"]', has_text="总览").first.click()
    settle(page, quiet=1.5)
    page.get_by_text(f"{sc.NAME} · 2026年第3季度").first.wait_for(timeout=30_000)
    assert page.query_selector('[data-testid="stException"]') is None
    page.screenshot(path=str(artifacts / "setup-overview.png"), full_page=True)
    page.locator('[data-testid="stSidebarNavLink"]', has_text="覆盖地图").first.click()
    settle(page, quiet=2.0)
    page.wait_for_selector('[data-testid="stDeckGlJsonChart"] canvas', timeout=30_000)
    assert page.query_selector('[data-testid="stException"]') is None
    page.screenshot(path=str(artifacts / "setup-map.png"), full_page=True)
    page.locator('[data-testid="stSidebarNavLink"]', has_text="会议模式").first.click()
    settle(page, quiet=2.0)
    page.get_by_text("汇报材料下载").click()
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="下载 PDF").click()
    pdf = tmp_path / "briefing.pdf"
    pdf.write_bytes(open(download.value.path(), "rb").read())
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout.replace(" ", "")
    assert sc.NAME in text and "严重精神障碍患者规范管理率" in text and "80.0%" in text


def test_a_hostile_map_file_is_refused_while_another_session_is_served(empty_server, browser, artifacts,  # noqa: ANN001
                                                                       tmp_path: Path) -> None:
    """The shapefile zip bomb (1 GiB of zeros in a 1 MB zip) on the boundaries step: parsed in a
    sandbox child, refused in Chinese, nothing written; meanwhile a second session gets its page from
    the same server process, whose own memory stays bounded."""
    import hostile_files as hf
    from browser.test_hostile_upload import _alive, _peak_mb, _server_pid

    from data_access.setup import geofiles
    url, db_file = empty_server
    pid = _server_pid(url)
    bomb = tmp_path / "乡镇界.zip"
    bomb.write_bytes(hf.shapefile_bomb())
    contexts = [browser.new_context(viewport={"width": 1440, "height": 1800}, locale="zh-CN") for _ in range(2)]
    admin, other = (c.new_page() for c in contexts)
    try:
        sign_in(admin, url)
        box = step(admin, "3. 边界（地图）")
        box.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(bomb))
        sign_in(other, url)                       # another session, served meanwhile
        other.get_by_role("heading", name="首次配置本县").wait_for(timeout=30_000)
        limit = geofiles.MAX_UNCOMPRESSED // (1024 * 1024)
        admin.get_by_text(f"压缩包解压后超过 {limit} MB，为安全起见已拒收").first.wait_for(timeout=60_000)
        settle(admin, quiet=1.0)
        assert admin.query_selector('[data-testid="stException"]') is None
        assert admin.get_by_role("button", name="确认导入边界").count() == 0
        admin.screenshot(path=str(artifacts / "setup-hostile-map.png"), full_page=True)
        assert _alive(url, pid)
        assert _peak_mb(pid) < 1000, f"the server itself peaked at {_peak_mb(pid):.0f} MB"
    finally:
        for c in contexts:
            c.close()
