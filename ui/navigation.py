"""The page list. Each area registers its pages in its own ui/nav_<area>.py (PAGES = [PageSpec...]),
so work on one area never edits another's lines; they are merged here in section and order."""
from __future__ import annotations

import copy
import dataclasses
import functools
import importlib
import pkgutil
import threading
from dataclasses import dataclass, field
from typing import Any

import ui

ALL_ROLES = ("admin", "leader", "liaison", "display")
SECTIONS = ("nav.section.steer", "nav.section.report", "nav.section.admin")


@dataclass(frozen=True)
class PageSpec:
    path: str             # file under pages/
    title_key: str        # catalogue key for the page title
    icon: str
    section: str          # one of SECTIONS
    order: int            # position inside its section
    roles: tuple[str, ...] = ALL_ROLES
    # Not part of equality: pages_for() may move the default per role, and callers match specs with `in`.
    default: bool = field(default=False, compare=False)
    # Roles for whom this page is the landing page instead of the default one (display -> meeting).
    default_roles: tuple[str, ...] = ()
    # "module:function" returning True while this page should be those roles' landing page (the
    # setup page, until a county is set up); empty means always.
    landing_if: str = field(default="", compare=False)


@functools.lru_cache(maxsize=1)
def _nav_modules() -> tuple[str, ...]:
    """The ui/nav_*.py modules, found once per process (app.py and every page ask several times a
    run; listing the folder each time was ~3 % of a warm overview, issue 18)."""
    return tuple(info.name for info in pkgutil.iter_modules(ui.__path__) if info.name.startswith("nav_"))


def page_specs() -> list[PageSpec]:
    specs: list[PageSpec] = []
    for name in _nav_modules():
        specs.extend(importlib.import_module(f"ui.{name}").PAGES)
    return sorted(specs, key=lambda s: (SECTIONS.index(s.section), s.order, s.path))


def pages_for(role: str | None) -> list[PageSpec]:
    """The pages a role may open. None (no sign-in configured yet) sees the read-only pages."""
    wanted = role or "leader"
    specs = [s for s in page_specs() if wanted in s.roles]
    own = [s for s in specs if wanted in s.default_roles and _lands(s)]
    if own:  # exactly one default page for st.navigation: this role's own landing page
        specs = [dataclasses.replace(s, default=(s is own[0])) for s in specs]
    return specs


def _lands(spec: PageSpec) -> bool:
    if not spec.landing_if:
        return True
    module, _, function = spec.landing_if.partition(":")
    try:
        return bool(getattr(importlib.import_module(module), function)())
    except Exception:  # an unreachable database must not take the navigation down: the usual landing
        return False


# st.Page objects for page files, made once per arguments and copied for every run: making one
# resolves and checks its file on disk, ~30 of them a run for every session (app.py registers every
# page, the hidden ones too); ~6 % of a warm overview (issue 18). st.navigation marks the copy it is
# given (default, may run), never the kept one.
_page_templates: dict[tuple, Any] = {}
_page_lock = threading.Lock()
MAX_PAGE_TEMPLATES = 2048   # pages x languages x (url path, default, visibility) in use: a few hundred


def page(path: str, *, title: str, icon: str | None = None, url_path: str | None = None, default: bool = False,
         visibility: str = "visible") -> Any:
    """st.Page(path, ...) for a file under pages/ (same arguments, same page), from a kept copy."""
    import streamlit as st
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None:  # bare mode: nothing to keep
        return st.Page(path, title=title, icon=icon, url_path=url_path, default=default, visibility=visibility)
    key = (str(ctx.pages_manager.main_script_parent), path, title, icon, url_path, default, visibility)
    template = _page_templates.get(key)
    if template is None:
        template = st.Page(path, title=title, icon=icon, url_path=url_path, default=default, visibility=visibility)
        with _page_lock:
            if len(_page_templates) < MAX_PAGE_TEMPLATES:
                _page_templates[key] = template
    return copy.copy(template)
