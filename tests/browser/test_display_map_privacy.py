"""The meeting-screen account's coverage map in a real Chromium: signed in as `display`, the map is
cycled through every colouring and every quarter, and everything the server sends is read back —
every websocket frame and every cached message fetched over HTTP, decoded as Streamlit's protobuf,
the deck JSON of each map with its tooltips — then the tooltip the browser draws over the industrial
park. No figure the briefing suppresses may be in any of it.

Expected values come from the database directly (indicator_values, raw) and from an independent
statement of the primary rule, so the test does not take the suppression module's word for it."""
from __future__ import annotations

import datetime as dt
import json
import math
import re
import time
from collections import defaultdict

import pytest

from browser_auth import sign_in
from data_access import geo
from data_access import indicators as ix
from data_access.briefing import content
from data_access.db import session_scope
from helpers import settle
from i18n import name_of, t

pytestmark = pytest.mark.browser

PARK = "990101013"
TIP = re.compile(r"^(?P<name>[^\n]+)\n(?P<ind>[^\n]+)：(?P<value>[^\n]*)\n（(?P<num>.*) / (?P<den>.*)）$")


def _pct(v: float) -> str:
    return f"{v * 100:.1f}%"


def _count(v: float | None) -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:,.0f}"


def _expectations(engine):  # noqa: ANN001, ANN202
    """(allowed, forbidden, labels): per (indicator name, township name) the (value, num, den) texts
    a public tooltip may carry in some quarter; the raw tooltips of cells the rule hides; and the
    selector labels to cycle through."""
    allowed: dict[tuple[str, str], set] = defaultdict(lambda: {("—", "—", "—")})
    forbidden: list[str] = []
    hidden_cells = 0
    with session_scope(engine) as s:
        root = ix.root_region(s)
        towns = {tw.id: tw for tw in ix.regions_at(s, root.code, "township")}
        catalogue = {i.code: i for i in ix.indicator_catalogue(s)}
        periods = ix.periods(s)
        colourings = [c for c in geo.colourings(s)]
        colour_labels = [t("map.colour.status", "zh", indicator=name_of(catalogue[c.indicator], "zh")) if c.by_status
                         else name_of(catalogue[c.indicator], "zh") for c in colourings]
        # The selector offers the quarters that have ended (ui.data.period_choices).
        period_labels = [t("period.label", "zh", year=p.year, quarter=p.quarter) for p in periods
                         if p.end_date < dt.date.today()]
        for period in periods:
            raw = ix.indicator_values(s, [period], list(towns.values()))
            b = content.assemble(s, period.code, "zh")
            shown = {(r["indicator"], r["region_code"]): r for r in b.township_rows}
            for row in raw.itertuples():
                ind, tw = catalogue[row.indicator], towns[int(row.region_id)]
                if ind.kind != "ratio":
                    continue
                key = (name_of(ind, "zh"), tw.name_zh)
                brief = shown[(ind.code, tw.code)]
                value = "—" if brief["value_text"] == t("common.no_data", "zh") else brief["value_text"]
                allowed[key].add((value, brief["numerator"] or "—", brief["denominator"] or "—"))
                small_area = tw.population is None or tw.population < 1000
                num, den = row.numerator, row.denominator
                if ind.source == "report" and small_area and (num < 5 or den < 5 or den - num < 5):
                    hidden_cells += 1
                    assert brief["value_text"] == "*" and brief["numerator"] == "*", (period.code, key)
                    forbidden.append(f"{tw.name_zh}\n{name_of(ind, 'zh')}：{_pct(row.value)}\n"
                                     f"（{_count(num)} / {_count(den)}）")
    assert hidden_cells >= 20, hidden_cells  # the sample's park really has small counts each quarter
    return allowed, forbidden, colour_labels, period_labels


class Wire:
    """Everything the server sent to this page: websocket frames and /_stcore/message bodies."""

    def __init__(self, page) -> None:  # noqa: ANN001
        self.payloads: list[bytes] = []
        self.decks: list[str] = []
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))
        page.on("response", self._response)

    def _frame(self, payload) -> None:  # noqa: ANN001
        data = payload if isinstance(payload, bytes) else payload.encode()
        self._take(data)

    def _response(self, response) -> None:  # noqa: ANN001
        if "/_stcore/message" in response.url:
            try:
                self._take(response.body())
            except Exception:  # noqa: BLE001 - a response without a body (redirect) carries nothing
                pass

    def _take(self, data: bytes) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self.payloads.append(data)
        msg = ForwardMsg()
        try:
            msg.ParseFromString(data)
        except Exception:  # noqa: BLE001 - not a ForwardMsg (should not happen): the byte scan still sees it
            return
        if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            if element.WhichOneof("type") == "deck_gl_json_chart":
                self.decks.append(element.deck_gl_json_chart.json)


def _choose(page, label: str, option: str) -> None:  # noqa: ANN001
    page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first.click()
    page.get_by_role("option", name=option, exact=True).click()
    settle(page, quiet=0.8)


def test_display_map_sends_no_suppressed_count(server, page, sample_sqlite, artifacts) -> None:  # noqa: ANN001
    allowed, forbidden, colour_labels, period_labels = _expectations(sample_sqlite)
    wire = Wire(page)
    sign_in(page, server, "display", path="map")
    page.wait_for_selector('[data-testid="stDeckGlJsonChart"]', timeout=60_000)
    assert page.get_by_text("会议大屏视图").first.is_visible()
    start = time.time()
    for colour in colour_labels:
        _choose(page, "着色指标", colour)
        for period in period_labels:
            _choose(page, "报告期", period)
            assert page.query_selector('[data-testid="stException"]') is None, (colour, period)
    print(f"\n{len(colour_labels)} colourings x {len(period_labels)} quarters in {time.time() - start:.0f} s, "
          f"{len(wire.payloads)} messages, {len(wire.decks)} maps")
    assert len(wire.decks) >= len(colour_labels) * len(period_labels) // 2

    # 1. Every township tooltip in every map sent: only figures some quarter may publish.
    tips = 0
    for spec in wire.decks:
        for layer in json.loads(spec)["layers"]:
            if layer.get("id") != "fills":
                continue
            for fill in layer["data"]:
                if fill.get("level") != "township":
                    continue
                m = TIP.match(fill["tip"])
                assert m, fill["tip"]
                triple = (m["value"], m["num"], m["den"])
                assert triple in allowed[(m["ind"], m["name"])], (m["name"], m["ind"], triple)
                if "*" in m["value"]:
                    assert fill["f"] == geo.status_colour(ix.NO_DATA) or m["ind"] not in fill["tip"], fill
                tips += 1
    assert tips > 500
    # 2. No raw tooltip of a suppressed cell anywhere in what was sent, in any element.
    wire_text = b"".join(wire.payloads).decode("utf-8", errors="replace")
    leaks = [f for f in forbidden if f in wire_text or f.replace("\n", "\\n") in wire_text]
    assert leaks == []
    assert "（5 / 5）" not in wire_text and "100.0%（5 / 5）" not in wire_text

    # 3. The tooltip the browser draws over the park (严重精神障碍患者规范管理率, 2026Q3).
    _choose(page, "着色指标", colour_labels[[i for i, c in enumerate(colour_labels) if "严重精神障碍" in c][0]])
    _choose(page, "报告期", "2026年第3季度")
    time.sleep(2.5)  # deck.gl draws on the next animation frames
    with session_scope(sample_sqlite) as s:
        data = geo.build_map(s, ix.period_by_code(s, "2026Q3"), "status:smd_managed", "zh", public=True)
        park = ix.region_by_code(s, PARK)
        lon, lat = park.centroid_lon, park.centroid_lat
    box = page.locator('[data-testid="stDeckGlJsonChart"]').first.bounding_box()
    scale = 512 * 2 ** data.view["zoom"] / 360

    def merc(v: float) -> float:
        return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(v) / 2)))

    x = box["x"] + box["width"] / 2 + (lon - data.view["longitude"]) * scale
    y = box["y"] + box["height"] / 2 - (merc(lat) - merc(data.view["latitude"])) * scale
    text = ""
    for dx, dy in ((0, 0), (0, 8), (8, 0), (-8, 0), (0, -8), (8, 8), (-8, -8), (12, -6), (-12, 6)):
        page.mouse.move(x + dx, y + dy)  # the park's centre, or beside a service point drawn there
        tooltip = page.wait_for_selector(".deck-tooltip", state="visible", timeout=10_000)
        text = tooltip.inner_text()
        if text.startswith("和安经济开发区\n"):
            break
    page.screenshot(path=str(artifacts / "display-map-park-tooltip.png"))
    assert text.startswith("和安经济开发区"), text
    assert "*" in text and not re.search(r"\d", text.split("\n", 1)[1]), text
    body = page.locator("body").inner_text()
    assert "5 / 5" not in body and "<5" not in body
    assert page.external_requests == []
