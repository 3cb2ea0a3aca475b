"""Text from a URL or a stored name is shown as typed, never rendered as Markdown: a township
parameter written as a link does not become a link in the warning, and a department named as an
image does not make every leader's browser fetch that image."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from data_access import models as m
from data_access.db import session_scope
from ui.state import md
from view_helpers import open_view

LINK = "[请点此重新登录](http://evil.example/login)"
IMAGE = "![i](http://evil.example/x.png)"


def _sources(at) -> list[str]:  # noqa: ANN001
    """The Markdown source of everything the page rendered as Markdown."""
    out = [e.value for kind in ("markdown", "caption", "subheader", "warning", "info", "success", "error")
           for e in getattr(at, kind)]
    return [str(x) for x in out]


def _inert(source: str) -> bool:
    """No link, image or autolink can form: their punctuation is escaped."""
    return "](" not in source and "![" not in source and "://" not in source and "www." not in source


@pytest.mark.parametrize("text, shown", [
    (LINK, r"\[请点此重新登录\]\(http\:\/\/evil\.example\/login\)"),
    (IMAGE, r"\!\[i\]\(http\:\/\/evil\.example\/x\.png\)"),
    ("www.evil.example", r"www\.evil\.example"),
    (":red[警告] $x$ **粗** <b>", r"\:red\[警告\] \$x\$ \*\*粗\*\* \<b\>"),
    ("两行\n\n# 标题", r"两行  \# 标题"),
    ("北山乡 56.3%", r"北山乡 56\.3\%"),
])
def test_md_escapes_every_markdown_construct(text: str, shown: str) -> None:
    assert md(text) == shown


@pytest.mark.parametrize("page, query", [
    ("pages/warnings.py", {"township": LINK}),
    ("pages/indicator.py", {"indicator": LINK}),
    ("pages/home.py", {"period": LINK}),
])
def test_a_url_parameter_written_as_a_link_stays_text(app_engine, page: str, query: dict) -> None:  # noqa: ANN001
    at = open_view(app_engine, page, query=query)
    assert not at.exception
    warned = [w.value for w in at.warning if "请点此重新登录" in w.value]
    assert warned, page  # the unknown value is still named in the warning…
    assert all(_inert(w) for w in warned), warned  # …as text


def test_a_department_named_as_an_image_is_shown_as_text(writable_app) -> None:  # noqa: ANN001
    with session_scope(writable_app) as s:
        s.execute(update(m.Department).where(m.Department.code == "union").values(name_zh=IMAGE))
        s.execute(update(m.User).where(m.User.username == "leader").values(display_name=LINK))
    # The union's 2026Q3 sheet is missing: the overview and 报送情况 name it to every leader.
    for page in ("pages/home.py", "pages/completeness.py"):
        at = open_view(writable_app, page, query={"period": "2026Q3"})
        assert not at.exception, page
        sources = _sources(at)
        assert any(r"\!\[i\]" in src for src in sources), page
        assert all(_inert(src) for src in sources), [src for src in sources if not _inert(src)]
