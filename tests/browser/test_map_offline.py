"""The coverage map in a real Chromium: nothing leaves this machine, and the canvas shows the
village polygons and the service points (checked by pixel colours, not just "a canvas exists")."""
from __future__ import annotations

import math
import time

import pytest

from data_access import geo
from data_access import indicators as ix
from data_access.db import session_scope
from browser_auth import sign_in
from helpers import settle

pytestmark = pytest.mark.browser


def _over_white(rgba: list[int]) -> tuple[int, int, int]:
    """The colour a translucent fill shows on the white page."""
    a = rgba[3] / 255 if len(rgba) > 3 else 1.0
    return tuple(round(c * a + 255 * (1 - a)) for c in rgba[:3])  # type: ignore[return-value]


def _share_near(image, colour: tuple[int, int, int], tolerance: int = 14) -> float:  # noqa: ANN001
    pixels = list(image.get_flattened_data()) if hasattr(image, "get_flattened_data") else list(image.getdata())
    hits = sum(1 for p in pixels if all(abs(p[i] - colour[i]) <= tolerance for i in range(3)))
    return hits / len(pixels)


def _pixel(lon: float, lat: float, view: dict, box) -> tuple[float, float]:  # noqa: ANN001
    """Where deck.gl draws lon/lat in the canvas: web mercator, 512-pixel world at zoom 0."""
    scale = 512 * 2 ** view["zoom"] / 360

    def merc_y(value: float) -> float:
        return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(value) / 2)))

    x = box["x"] + box["width"] / 2 + (lon - view["longitude"]) * scale
    y = box["y"] + box["height"] / 2 - (merc_y(lat) - merc_y(view["latitude"])) * scale
    return x, y


def test_map_draws_polygons_and_points_without_leaving_the_machine(server, page, artifacts, sample_sqlite) -> None:  # noqa: ANN001
    from PIL import Image

    # Sign in at the root, then open the map from the sidebar as a user would (same session).
    sign_in(page, server, "leader")
    page.get_by_role("link", name="覆盖地图").first.click()
    chart = page.wait_for_selector('[data-testid="stDeckGlJsonChart"] canvas', timeout=60_000)
    settle(page)
    page.locator('[data-testid="stDeckGlJsonChart"]').first.scroll_into_view_if_needed()
    time.sleep(2.5)  # deck.gl draws on the next animation frames after the data arrives
    assert page.query_selector('[data-testid="stException"]') is None
    page.screenshot(path=str(artifacts / "map-county.png"), full_page=True)
    canvas_png = artifacts / "map-canvas.png"
    page.locator('[data-testid="stDeckGlJsonChart"]').first.screenshot(path=str(canvas_png))
    image = Image.open(canvas_png).convert("RGB")
    assert chart is not None
    has_room = _share_near(image, _over_white(geo.HAS_ROOM_FILL))
    no_room = _share_near(image, _over_white(geo.NO_ROOM_FILL))
    rooms = _share_near(image, tuple(geo.TYPE_COLOURS["village_room"]), tolerance=30)
    stations = _share_near(image, tuple(geo.TYPE_COLOURS["township_station"]), tolerance=30)
    # Village polygons: most of the county has a room (157 of 180), some do not; points on top.
    assert has_room > 0.10, f"has-room fill covers {has_room:.1%} of the map"
    assert no_room > 0.005, f"no-room fill covers {no_room:.1%} of the map"
    assert rooms > 0.002 and stations > 0.0003, (rooms, stations)
    # Chinese text on the page (legend, summary) and the data problems, all from this server.
    assert page.get_by_text("各乡镇覆盖情况").first.is_visible()
    assert page.get_by_text("数据问题：3 个服务阵地坐标缺失或有误").first.is_visible()
    # Hovering a township station shows its Chinese tooltip (the server's database is the same sample).
    with session_scope(sample_sqlite) as s:
        data = geo.build_map(s, ix.period_by_code(s, "2026Q3"))
    station = next(p for p in data.points["township_station"] if p["tip"].startswith("北山乡社会心理服务站"))
    x, y = _pixel(station["lon"], station["lat"], data.view, page.locator('[data-testid="stDeckGlJsonChart"]').first.bounding_box())
    page.mouse.move(x, y)
    tooltip = page.wait_for_selector(".deck-tooltip", state="visible", timeout=10_000)
    text = tooltip.inner_text()
    page.screenshot(path=str(artifacts / "map-tooltip.png"))
    assert text.startswith("北山乡社会心理服务站") and "类型：乡镇（街道）社会心理服务站" in text and "专职" in text
    assert page.external_requests == []
    assert page.console_errors == []
