"""st.Page objects are made once and copied for each run (ui.navigation.page): the copy st.navigation
marks (default page, may run) is the run's own, never the kept one."""
from __future__ import annotations

from helpers import open_page, signed_in
from ui import navigation


def test_kept_pages_are_never_the_ones_navigation_marks(app_engine) -> None:
    navigation._page_templates.clear()
    at = open_page(state=signed_in(app_engine, "leader"))
    assert not at.exception and navigation._page_templates
    kept = dict(navigation._page_templates)
    at.run()
    at2 = open_page(state=signed_in(app_engine, "admin"))
    assert not at.exception and not at2.exception
    assert all(not p._can_be_called for p in navigation._page_templates.values())
    assert all(navigation._page_templates[k] is v for k, v in kept.items())   # made once, reused
    # The same navigation either way: the leader's overview and the admin's own first page.
    assert at.title[0].value == open_page(state=signed_in(app_engine, "leader")).title[0].value


def test_the_kept_page_has_the_arguments_it_was_made_with(app_engine) -> None:
    navigation._page_templates.clear()
    open_page(state=signed_in(app_engine, "leader"))
    for key, page in navigation._page_templates.items():
        _, path, title, icon, url_path, default, visibility = key
        assert page.title == title and page._default == default and page.visibility == visibility
        assert str(page._page).endswith(path)
