"""The one catalogue of user-facing text: Chinese first, English second.

Each area keeps its entries in its own module (strings_<area>.py, a dict KEY -> (zh, en)) so
that work on one page does not collide with another; they are merged here, and a test checks
that no key is defined twice and that both languages use the same {placeholders}.
Import-safe from data_access (no Streamlit), so ingest messages come from here too.
"""
from __future__ import annotations

import importlib
import pkgutil
from typing import Any

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

CATALOGUE: dict[str, tuple[str, str]] = {}
SOURCES: dict[str, list[str]] = {}


def _load() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("strings_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for key, pair in module.STRINGS.items():
            SOURCES.setdefault(key, []).append(info.name)
            CATALOGUE[key] = pair


_load()


def t(key: str, lang: str = DEFAULT_LANG, /, **values: Any) -> str:
    """The text for key in lang, formatted with values. An unknown key shows itself, never crashes a page."""
    pair = CATALOGUE.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "en" else pair[0]
    return text.format(**values) if values else text


def name_of(obj: Any, lang: str) -> str:
    """name_en / name_zh of a model row or dict, in the language asked for."""
    attr = "name_en" if lang == "en" else "name_zh"
    if isinstance(obj, dict):
        return obj.get(attr) or obj.get("name_zh") or ""
    return getattr(obj, attr, None) or getattr(obj, "name_zh", "")
