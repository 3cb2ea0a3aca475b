"""Helpers for the leading-group view tests: open a page directly at its URL, signed in."""
from __future__ import annotations

from pathlib import Path


def open_view(engine, page: str, lang: str = "zh", query: dict | None = None, role: str = "leader"):  # noqa: ANN001
    """Run the app with AppTest as if the browser opened /<page>?<query> signed in: the page is the
    first to run, so the URL's values reach it untouched (open_page runs the home page first)."""
    from streamlit.testing.v1 import AppTest

    from helpers import signed_in

    at = AppTest.from_file(str(Path(__file__).parent.parent / "app.py"), default_timeout=30)
    at.session_state["lang"] = lang
    for key, value in signed_in(engine, role).items():
        at.session_state[key] = value
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.switch_page(page)
    at.run()
    return at


def texts(at) -> str:  # noqa: ANN001
    """All markdown, captions, alerts and metric text of a run, joined (for 'the page says X' checks)."""
    parts = [e.value for e in at.markdown] + [e.value for e in at.caption] + [e.value for e in at.subheader]
    parts += [e.value for e in at.warning] + [e.value for e in at.info] + [e.value for e in at.success]
    parts += [e.value for e in at.error] + [f"{m.label}: {m.value}" for m in at.metric]
    return "\n".join(str(p) for p in parts)


def _dash_tables(at) -> list:  # noqa: ANN001
    """The <table> elements of the page's HTML tables (ui/html_table.py), parsed, in page order."""
    import lxml.html

    return [table for element in at.html if 'class="dash-table"' in str(element.value)
            for table in lxml.html.fromstring(str(element.value)).xpath('//table[@class="dash-table"]')]


def html_tables(at) -> list:  # noqa: ANN001
    """The page's HTML tables (ui/html_table.py) as frames of their cells' text, in page order; a
    sparkline cell gives its numbers (a list), a linked cell its text (the links: html_links)."""
    import pandas as pd

    frames = []
    for table in _dash_tables(at):
        head = [th.text_content() for th in table.xpath("./thead/tr/th")]
        rows = []
        for tr in table.xpath("./tbody/tr"):
            row = []
            for td in tr.xpath("./td"):
                line = td.xpath(".//img[@data-values]")
                row.append([float(v) for v in line[0].get("data-values").split(",")] if line else td.text_content())
            rows.append(row)
        frames.append(pd.DataFrame(rows, columns=head))
    return frames


def html_links(at) -> list[str]:  # noqa: ANN001
    """The hrefs of the links in the page's HTML tables, in page order."""
    return [href for table in _dash_tables(at) for href in table.xpath(".//a/@href")]


def trend_line(at, indicator: str):  # noqa: ANN001, ANN201
    """The trend line (its <img>) in the row of `indicator` of the page's first HTML table."""
    return _dash_tables(at)[0].xpath(f'./tbody/tr[td[1][normalize-space()="{indicator}"]]//img')[0]
