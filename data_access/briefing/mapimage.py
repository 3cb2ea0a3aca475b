"""A static coverage map (PNG) for the deck and the PDF, drawn with Pillow.

Why Pillow: pydeck renders in the browser only and cannot write a file offline; Pillow ships with
Streamlit already, so no new dependency. Township polygons come from regions.boundary via
content.MapArea (data_access/geo.py did not exist when this was written; fold it in when it does).
"""
from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from data_access.briefing.content import Briefing, MapArea
from data_access.indicators import BEHIND, MET, NEAR, NO_DATA
from i18n import t

CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
CJK_BOLD = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
CJK_INDEX = 2  # Simplified Chinese face inside the Noto CJK collection

# Fill colours: the status colours of the app, strong enough for a projector, plus hatching-free
# text labels with the value, so the map reads without colour too.
FILL = {MET: (74, 160, 98), NEAR: (232, 176, 48), BEHIND: (209, 67, 54), NO_DATA: (176, 184, 192)}
LEGEND = ((MET, "meeting.map_legend_met"), (NEAR, "meeting.map_legend_near"),
          (BEHIND, "meeting.map_legend_behind"), (NO_DATA, "meeting.map_legend_none"))


@lru_cache(maxsize=8)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(CJK_BOLD if bold else CJK_FONT, size, index=CJK_INDEX)
    except OSError:  # no CJK font on this machine: still draw the map, labels may be boxes
        return ImageFont.load_default(size)


def _bounds(areas: list[MapArea]) -> tuple[float, float, float, float] | None:
    points = [p for a in areas for ring in a.rings for p in ring]
    if not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _label(draw: ImageDraw.ImageDraw, placed: list, cx: float, cy: float, name: str, value: str,
           name_font, value_font) -> None:  # noqa: ANN001
    """Two centred lines; moved down/up a step at a time until they clear the labels already drawn
    (a narrow park beside a town would otherwise print over the town's label)."""
    h = getattr(value_font, "size", 16)
    for shift in (0, 2.4, -2.4, 4.2, -4.2):
        y = cy + shift * h
        boxes = [draw.textbbox((cx, y - 0.6 * h), name, font=name_font, anchor="mm", stroke_width=3),
                 draw.textbbox((cx, y + 0.6 * h), value, font=value_font, anchor="mm", stroke_width=3)]
        if not any(_overlaps(b, p) for b in boxes for p in placed):
            break
    placed.extend(boxes)
    draw.text((cx, y - 0.6 * h), name, fill="black", font=name_font, anchor="mm", stroke_width=3, stroke_fill="white")
    draw.text((cx, y + 0.6 * h), value, fill="black", font=value_font, anchor="mm", stroke_width=3,
              stroke_fill="white")


def render_map(briefing: Briefing, width: int = 1600, height: int = 1000) -> bytes:
    """PNG bytes: townships coloured by the status of the catalogue's first coverage rule (the
    briefing's map_areas), each labelled with name and value."""
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    areas = briefing.map_areas
    legend_w = int(width * 0.2)
    box = _bounds(areas)
    if box is None:
        draw.text((40, 40), t("common.no_data", briefing.lang), fill="black", font=font(40))
    else:
        x0, y0, x1, y1 = box
        pad = 30
        scale = min((width - legend_w - 2 * pad) / max(x1 - x0, 1e-9), (height - 2 * pad) / max(y1 - y0, 1e-9))
        off_x = pad + ((width - legend_w - 2 * pad) - (x1 - x0) * scale) / 2
        off_y = pad + ((height - 2 * pad) - (y1 - y0) * scale) / 2

        def to_px(p: tuple[float, float]) -> tuple[float, float]:
            # north up: latitude grows upwards, pixels grow downwards
            return off_x + (p[0] - x0) * scale, off_y + (y1 - p[1]) * scale

        for area in areas:
            for ring in area.rings:
                draw.polygon([to_px(p) for p in ring], fill=FILL.get(area.status, FILL[NO_DATA]),
                             outline="white", width=4)
        label, value_font = font(max(18, width // 54), bold=True), font(max(18, width // 50), bold=True)
        placed: list[tuple[float, float, float, float]] = []
        for area in areas:
            if area.centroid is None and not area.rings:
                continue
            if area.centroid is not None:
                cx, cy = to_px(area.centroid)
            else:
                xs = [to_px(p)[0] for p in area.rings[0]]
                ys = [to_px(p)[1] for p in area.rings[0]]
                cx, cy = sum(xs) / len(xs), sum(ys) / len(ys)
            _label(draw, placed, cx, cy, area.name, area.text, label, value_font)
    # legend
    lx, ly = width - legend_w + 10, 60
    size = max(22, width // 50)
    for status, key in LEGEND:
        draw.rectangle([lx, ly, lx + size, ly + size], fill=FILL[status], outline="black")
        draw.text((lx + size + 14, ly + size / 2), t(key, briefing.lang), fill="black", font=font(size), anchor="lm")
        ly += int(size * 1.8)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False)
    return buf.getvalue()
