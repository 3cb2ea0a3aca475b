"""Small status tables drawn as plain HTML (issue 18): the overview's targets and "behind" tables.

A data grid (st.dataframe) costs the browser ~0.35 s before a page is settled: its script starts,
it draws on a canvas, and ~0.2 s after the last change it adds an accessible copy of the cells. For
a dozen rows that nobody scrolls, a table the browser lays out with the rest of the page is done
with it, reads the same in a screen reader, prints and copies as text, and is made once per data
version as a string (ui/overview.py) instead of a Styler and an Arrow message per run.

Every text is escaped here; callers pass plain strings.
"""
from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from typing import Literal, Sequence
from urllib.parse import urlencode

import pandas as pd

from ui.format import status_colours

CLASS = "dash-table"

CSS = f"""<style>
.{CLASS}-wrap {{width: 100%; overflow-x: auto;}}
.{CLASS} {{width: 100%; border-collapse: collapse; font-size: .875rem; line-height: 1.35; color: #31333f;
          font-variant-numeric: tabular-nums;}}
.{CLASS} th {{font-weight: 400; color: rgba(49, 51, 63, .6); text-align: left; white-space: nowrap;
             padding: .45rem .5rem; border: 1px solid rgba(49, 51, 63, .1); background: #fafafa;}}
.{CLASS} td {{padding: .45rem .5rem; border: 1px solid rgba(49, 51, 63, .1); vertical-align: middle;}}
.{CLASS} td.n {{white-space: nowrap;}}
.{CLASS} td.s {{white-space: nowrap; font-weight: 600;}}
.{CLASS} th[title] {{cursor: help; text-decoration: underline dotted rgba(49, 51, 63, .4);}}
.{CLASS} a {{color: #0054a3; text-decoration: none;}}
.{CLASS} a:hover, .{CLASS} a:focus {{text-decoration: underline;}}
.{CLASS} img {{display: block;}}
</style>"""

SPARK_WIDTH, SPARK_HEIGHT = 110, 22
SPARK_COLOUR = "#0068c9"   # Streamlit's first chart colour, as the grid's line-chart column had


@dataclass(frozen=True)
class Column:
    """How one column of the frame is drawn: wide text (the name), a short figure kept on one line,
    the status (coloured by the row's status), a sparkline of a list of numbers, or a link (the
    row's href, see table())."""

    name: str
    kind: Literal["text", "figure", "status", "spark", "link"] = "text"
    help: str = ""            # shown when the header is hovered
    min_em: float = 0         # narrowest width of a text column (a narrow window scrolls the table instead)


def href(page: str, **query: str) -> str:
    """A link to another page of the app, relative to the current one ("indicator?indicator=...")
    so that it also works under a path prefix. Empty values are left out."""
    values = {k: v for k, v in query.items() if v}
    return f"{page}?{urlencode(values)}" if values else page


def sparkline(values: Sequence[float], label: str = "") -> str:
    """A small line of the values, scaled to their own range (as the grid's line-chart column did),
    as an SVG image in a data URI: st.html sanitises inline <svg> away but keeps an <img>. label: the
    figures as the page writes them (its alt text and tooltip; rounded as everywhere else, so the
    caller formats them); data-values keeps the numbers. No values: an empty cell."""
    if not values:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    pad = 2
    step = (SPARK_WIDTH - 2 * pad) / max(len(values) - 1, 1)
    points = [(pad + i * step, SPARK_HEIGHT - pad - (v - low) / span * (SPARK_HEIGHT - 2 * pad) if high > low
               else SPARK_HEIGHT / 2) for i, v in enumerate(values)]
    shape = (f'<circle cx="{points[0][0]:.1f}" cy="{points[0][1]:.1f}" r="2" fill="{SPARK_COLOUR}"/>'
             if len(points) == 1 else
             f'<polyline fill="none" stroke="{SPARK_COLOUR}" stroke-width="1.5" stroke-linejoin="round" '
             f'points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in points)}"/>')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{SPARK_WIDTH}" height="{SPARK_HEIGHT}" '
           f'viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}">{shape}</svg>')
    return (f'<img src="data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()}" '
            f'width="{SPARK_WIDTH}" height="{SPARK_HEIGHT}" alt={_attr(label)} title={_attr(label)} '
            f'data-values="{",".join(f"{v:g}" for v in values)}">')


def table(frame: pd.DataFrame, columns: Sequence[Column], statuses: Sequence[str],
          links: Sequence[str | None] | None = None, spark_labels: Sequence[str] | None = None) -> str:
    """The frame's columns, in the order given, as an HTML table. statuses: each row's status code
    (colours the status column); links: each row's href for the link column (None: plain text);
    spark_labels: each row's sparkline figures as text (sparkline's label)."""
    head = "".join(f"<th scope=\"col\"{_header_attributes(c)}>{html.escape(c.name)}</th>" for c in columns)
    rows = []
    for i, (_, record) in enumerate(frame.iterrows()):
        cells = []
        for c in columns:
            value = record[c.name]
            if c.kind == "spark":
                cells.append(f"<td>{sparkline(list(value), spark_labels[i] if spark_labels else '')}</td>")
            elif c.kind == "status":
                fg, bg = status_colours(statuses[i])
                cells.append(f'<td class="s" data-status="{html.escape(statuses[i])}" '
                             f'style="color:{fg};background:{bg}">{html.escape(str(value))}</td>')
            elif c.kind == "link" and links is not None and links[i]:
                cells.append(f'<td><a href={_attr(links[i])} target="_self">{html.escape(str(value))}</a></td>')
            else:
                cells.append(f'<td{" class=n" if c.kind == "figure" else ""}>{html.escape(str(value))}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (f'<div class="{CLASS}-wrap"><table class="{CLASS}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _header_attributes(column: Column) -> str:
    out = f" title={_attr(column.help)}" if column.help else ""
    return out + (f' style="min-width:{column.min_em:g}em"' if column.min_em else "")


def _attr(value: str) -> str:
    return f'"{html.escape(value, quote=True)}"'
