"""The page list. Each area registers its pages in its own ui/nav_<area>.py (PAGES = [PageSpec...]),
so work on one area never edits another's lines; they are merged here in section and order."""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass

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
    default: bool = False


def page_specs() -> list[PageSpec]:
    specs: list[PageSpec] = []
    for info in pkgutil.iter_modules(ui.__path__):
        if info.name.startswith("nav_"):
            specs.extend(importlib.import_module(f"ui.{info.name}").PAGES)
    return sorted(specs, key=lambda s: (SECTIONS.index(s.section), s.order, s.path))


def pages_for(role: str | None) -> list[PageSpec]:
    """The pages a role may open. None (no sign-in configured yet) sees the read-only pages."""
    wanted = role or "leader"
    return [s for s in page_specs() if wanted in s.roles]
