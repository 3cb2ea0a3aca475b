"""The boundary preview on the setup page: the file's features where they will land, coloured by
whether they matched, over the county outline -- drawn offline like the coverage map."""
from __future__ import annotations

from data_access import geo
from data_access.setup.boundaries import BoundariesChecked
from ui.state import tr

COLOURS = {"matched": [44, 162, 95, 150], "county": [120, 130, 140, 60], "unmatched": [230, 170, 30, 170],
           "ambiguous": [200, 45, 35, 170]}
PROBLEM = [200, 45, 35, 200]


def preview_deck(checked: BoundariesChecked, county_outline: dict | None):  # noqa: ANN201 (pydeck.Deck)
    import pydeck as pdk
    import shapely
    import shapely.geometry

    rows, boxes = [], []
    for f in checked.features:
        if f.geometry is None:
            continue
        bad = any(p.severity == "error" for p in f.problems)
        label = f"{f.name or f.code} · {tr(f'setup.status.{f.status}')}"
        if f.region_code and f.status == "matched":
            label += f" → {f.region_name}"
        for rings in geo.simplify_geometry(shapely.geometry.mapping(f.geometry)):
            rows.append(dict(p=rings, f=PROBLEM if bad else COLOURS.get(f.status, COLOURS["unmatched"]), tip=label))
        boxes.append(f.geometry.bounds)
    outline = [dict(p=rings) for rings in geo.simplify_geometry(county_outline)]
    west = min(b[0] for b in boxes)
    south = min(b[1] for b in boxes)
    east = max(b[2] for b in boxes)
    north = max(b[3] for b in boxes)
    view = geo.view_for((west, south, east, north), width=700, height=360)
    layers = [pdk.Layer("PolygonLayer", id="features", data=rows, get_polygon="p", get_fill_color="f",
                        get_line_color=[40, 50, 60, 220], line_width_min_pixels=1, stroked=True, filled=True,
                        pickable=True, auto_highlight=True)]
    if outline:
        layers.insert(0, pdk.Layer("PolygonLayer", id="county", data=outline, get_polygon="p", filled=False,
                                   stroked=True, get_line_color=[25, 35, 45, 255], line_width_min_pixels=2))
    return geo.CompactDeck(layers=layers, initial_view_state=pdk.ViewState(**view), map_provider=None,
                           tooltip={"text": "{tip}"})
