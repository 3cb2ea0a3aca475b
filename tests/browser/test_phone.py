"""Leaders on their phones (issue 17): a 390 x 844 Chromium with touch and a phone's user agent signs
in (the sidebar does not cover the form), opens every leader page from the sidebar, and sees the
status of every indicator inside the screen's width, with no sideways scrolling; the map fits the
width and pans with a finger; meeting mode reads on a tablet. Desktop keeps its tables."""
from __future__ import annotations

import math
from contextlib import contextmanager
import re
import time
from typing import Iterator

import pytest

from data_access import geo
from data_access import indicators as ix
from data_access.db import session_scope
from data_access.users import DEMO_PASSWORD
from browser_auth import submit_sign_in
from helpers import settle
from i18n.numbers import status_label

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 390, 844
# What an Android phone's Chrome sends; Streamlit closes its sidebar after a tap on phones it
# recognises by this, and the map opens fitted to a phone's width.
PHONE_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/130.0.0.0 Mobile Safari/537.36")
TABLET_UA = ("Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/130.0.0.0 Safari/537.36")
LEADER_PAGES = ["总览", "指标详情", "乡镇画像", "覆盖地图", "预警", "服务阵地台账", "报送记录", "报送情况", "我的账号"]


@pytest.fixture
def phone(browser) -> Iterator[object]:  # noqa: ANN001
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2, user_agent=PHONE_UA, locale="zh-CN")
    p = context.new_page()
    yield p
    context.close()


def _sidebar_open(page) -> bool:  # noqa: ANN001
    return page.locator('[data-testid="stSidebar"]').first.get_attribute("data-collapsed") == "false"


def _covered(page, selector: str) -> bool:  # noqa: ANN001
    """Whether something else is on top of the element's centre (what a finger would touch)."""
    return not page.evaluate("""(sel) => { const el = document.querySelector(sel); const r = el.getBoundingClientRect();
        const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
        return !!top && (top === el || el.contains(top)); }""", selector)


def _no_sideways_scroll(page, title: str = "总览") -> None:  # noqa: ANN001
    widths = page.evaluate("""() => ({page: document.documentElement.scrollWidth,
        main: document.querySelector('[data-testid="stMain"]').scrollWidth})""")
    assert widths["page"] <= WIDTH and widths["main"] <= WIDTH, (title, widths)


def _badges_inside(page, key: str) -> list[dict]:  # noqa: ANN001
    """The compact list's items in a narrow-only container: ref, badge text and the badge's box."""
    items = page.evaluate("""(key) => [...document.querySelectorAll(`.st-key-narrow_${key} .ph-item`)].map(el => {
        const b = el.querySelector('.ph-badge'); const r = b.getBoundingClientRect();
        return {ref: el.dataset.ref, label: b.textContent, left: r.left, right: r.right, width: r.width}; })""", key)
    for item in items:
        assert item["width"] > 0 and item["left"] >= 0 and item["right"] <= WIDTH, item
    return items


def _open(page, title: str) -> None:  # noqa: ANN001
    """Tap the sidebar's menu button, then the page's link, as on a phone; the sidebar closes."""
    if not _sidebar_open(page):
        page.locator('[data-testid="stExpandSidebarButton"]').first.click()
        page.wait_for_function("() => document.querySelector('[data-testid=stSidebar]').dataset.collapsed === 'false'")
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
    settle(page, quiet=1.5)
    page.wait_for_function("() => document.querySelector('[data-testid=stSidebar]').dataset.collapsed === 'true'",
                           timeout=10_000)


def _full_shot(page, path) -> None:  # noqa: ANN001
    """The whole page (Streamlit scrolls inside its main element, so grow the viewport to it)."""
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": WIDTH, "height": min(max(HEIGHT, height), 9000)})
    time.sleep(0.8)
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})


def test_a_leader_reads_every_page_on_a_phone(server, phone, artifacts, sample_sqlite) -> None:  # noqa: ANN001
    page = phone
    page.goto(server)
    settle(page, quiet=1.5)
    # The sign-in form is there to type into, not under an open sidebar.
    assert not _sidebar_open(page)
    page.screenshot(path=str(artifacts / "phone-sign-in.png"))
    assert not _covered(page, 'input[type="password"]')
    submit_sign_in(page, "leader", DEMO_PASSWORD)

    with session_scope(sample_sqlite) as s:
        period = ix.default_period(s)
        root = ix.root_region(s)
        targets = [r for r in ix.region_summary(s, period, root) if r.is_target]
        kids = ix.regions_at(s, root.code)
        town = kids[0]
        kids_of = {k.id: k.code for k in kids}
        among = ix.group_statuses(s, period, kids).to_dict("records")
        town_rows = {r["indicator"]: r for r in among if r["region_id"] == town.id}
        first = ix.indicator_catalogue(s)[0].code
        areas = {kids_of[r["region_id"]]: status_label(r["status"], "zh") for r in among if r["indicator"] == first}

    # The overview: every target indicator's status in the screen, the four count cards in one row.
    assert page.locator('[data-testid="stException"]').count() == 0
    _no_sideways_scroll(page)
    shown = {i["ref"]: i["label"] for i in _badges_inside(page, "overview_targets")}
    assert shown == {r.code: status_label(r.status, "zh") for r in targets}
    cards = page.locator('.st-key-row_overview_counts [data-testid="stMetric"]')
    boxes = [cards.nth(i).bounding_box() for i in range(cards.count())]
    assert len(boxes) == 4 and len({round(b["y"]) for b in boxes}) == 1, boxes
    assert all(b["x"] >= 0 and b["x"] + b["width"] <= WIDTH for b in boxes)
    # The desktop table is not drawn on a phone.
    assert not page.locator('.st-key-wide_overview_targets').first.is_visible()
    _full_shot(page, artifacts / "phone-overview.png")

    for title in LEADER_PAGES[1:]:
        _open(page, title)
        assert page.locator('[data-testid="stException"]').count() == 0, title
        _no_sideways_scroll(page, title)
        if title == "指标详情":  # every township's status on the first indicator
            assert {i["ref"]: i["label"] for i in _badges_inside(page, "indicator_areas")} == areas
        if title == "乡镇画像":  # the first township's status on every indicator it has
            labels = {i["ref"]: i["label"] for i in _badges_inside(page, "township_indicators")}
            for code, row in town_rows.items():
                if code in labels:
                    assert labels[code] == status_label(row["status"], "zh"), code
            assert labels
        if title == "覆盖地图":
            _map_fits_and_pans(page, artifacts, sample_sqlite)
        _full_shot(page, artifacts / f"phone-{LEADER_PAGES.index(title)}.png")


def _map_fits_and_pans(page, artifacts, engine) -> None:  # noqa: ANN001
    from io import BytesIO

    from PIL import Image, ImageChops

    from ui.data_map import PHONE_MAP

    chart = page.locator('[data-testid="stDeckGlJsonChart"]').first
    chart.scroll_into_view_if_needed()
    time.sleep(2.5)  # deck.gl draws on the next animation frames
    box = chart.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH
    # The whole county opens inside the map: its corners are drawn within the canvas.
    with session_scope(engine) as s:
        data = geo.build_map(s, ix.period_by_code(s, "2026Q3"))
    view = geo.view_for(data.box, *PHONE_MAP)
    scale = 512 * 2 ** view["zoom"] / 360

    def merc(lat: float) -> float:
        return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))

    west, south, east, north = data.box
    for lon, lat in ((west, south), (east, north)):
        x = box["x"] + box["width"] / 2 + (lon - view["longitude"]) * scale
        y = box["y"] + box["height"] / 2 - (merc(lat) - merc(view["latitude"])) * scale
        assert box["x"] <= x <= box["x"] + box["width"] and box["y"] <= y <= box["y"] + box["height"], (lon, lat)
    before = Image.open(BytesIO(chart.screenshot())).convert("RGB")
    # One finger drags the map 80 px to the left.
    cdp = page.context.new_cdp_session(page)
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": cx, "y": cy}]})
    for step in range(1, 9):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": cx - 10 * step, "y": cy}]})
        time.sleep(0.03)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    time.sleep(1.5)
    after = Image.open(BytesIO(chart.screenshot())).convert("RGB")
    after.save(artifacts / "phone-map-panned.png")
    assert ImageChops.difference(before, after).getbbox() is not None, "the map did not move under the finger"
    _no_sideways_scroll(page)


@contextmanager
def slides(server: str, browser, width: int, height: int, user_agent: str) -> Iterator:  # noqa: ANN001
    """The display account signed in on a touch device, on the first slide of 2026Q3; yields the page."""
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=True, has_touch=True,
                                  user_agent=user_agent, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{server}/meeting?period=2026Q3")
        settle(page, quiet=1.5)
        submit_sign_in(page, "display", DEMO_PASSWORD)
        page.get_by_text(re.compile(r"^1 / \d+$")).first.wait_for(timeout=30_000)
        yield page
    finally:
        context.close()


def test_meeting_mode_reads_on_a_tablet(server, browser, artifacts) -> None:  # noqa: ANN001
    with slides(server, browser, 768, 1024, TABLET_UA) as page:
        # However many slides the briefing has this quarter (the follow-up slide comes and goes).
        counter = page.get_by_text(re.compile(r"^1 / \d+$")).first
        total = int(counter.inner_text().split("/")[1])
        assert total >= 7
        for n in range(1, total + 1):
            assert page.locator('[data-testid="stException"]').count() == 0
            sizes = page.evaluate("""() => ({scroll: document.querySelector('[data-testid=stMain]').scrollWidth,
                title: [...document.querySelectorAll('.mt-title, .mt-cover h1')].map(e => parseFloat(getComputedStyle(e).fontSize)),
                cells: [...document.querySelectorAll('table.mt:not(.mt-small) td')].map(e => parseFloat(getComputedStyle(e).fontSize)),
                buttons: [...document.querySelectorAll('[data-testid=stButton] button')].map(b => b.scrollWidth <= b.clientWidth + 1)})""")
            assert sizes["scroll"] <= 768, (n, sizes["scroll"])
            assert sizes["title"] and min(sizes["title"]) >= 28, (n, sizes["title"])   # large type at a distance
            assert all(s >= 18 for s in sizes["cells"]), n
            assert all(sizes["buttons"]), (n, "a button's label is cut off")
            page.screenshot(path=str(artifacts / f"tablet-meeting-{n}.png"))
            if n < total:
                page.get_by_role("button", name="下一页").click()
                page.get_by_text(f"{n + 1} / {total}").first.wait_for(timeout=30_000)
                settle(page, quiet=1.0)


def test_meeting_buttons_stack_evenly_on_a_phone(server, browser, artifacts) -> None:  # noqa: ANN001
    """The display account lands on the slides; on a phone the slide buttons stack, each the width
    of the screen (a spacer column once shared 下一页's row and made it narrower than the others)."""
    with slides(server, browser, WIDTH, HEIGHT, PHONE_UA) as page:
        widths = {name: page.get_by_role("button", name=name).first.bounding_box()["width"]
                  for name in ("上一页", "下一页", "退出会议模式")}
        assert max(widths.values()) - min(widths.values()) < 1, widths
        assert min(widths.values()) > WIDTH * 0.8, widths
        assert page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollWidth") <= WIDTH
        page.screenshot(path=str(artifacts / "phone-meeting.png"))


def test_the_desktop_keeps_its_tables(server, page) -> None:  # noqa: ANN001
    from browser_auth import sign_in

    sign_in(page, server, "leader")
    assert page.locator('.st-key-wide_overview_targets table.dash-table').first.is_visible()
    assert not page.locator('.st-key-narrow_overview_targets').first.is_visible()
    cards = page.locator('.st-key-row_overview_counts [data-testid="stMetric"]')
    assert cards.count() == 4
