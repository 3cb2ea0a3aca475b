"""Cached reads for the coverage map and the registry pages.

Every cached function takes the data version as an ordinary (hashed) argument, so a registry edit
shows at once; an argument named with a leading underscore would be left out of the cache key.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from data_access import coverage, geo, indicators, registry
from data_access.catalogue import rules
from data_access.db import session_scope
from i18n import name_of, t


@st.cache_data(show_spinner=False)
def colouring_choices(version: int, lang: str) -> dict[str, str]:
    """colouring code -> label, in selector order: a share rule by its own name, a status by the
    indicator's name."""
    with session_scope() as s:
        catalogue = {i.code: i for i in indicators.indicator_catalogue(s)}
        out = {}
        for c in geo.colourings(s):
            if c.by_status:
                out[c.code] = t("map.colour.status", lang, indicator=name_of(catalogue[c.indicator], lang))
            else:
                out[c.code] = name_of(catalogue[c.indicator], lang)
        return out


@st.cache_data(show_spinner=False)
def village_shading(version: int, colouring: str) -> bool:
    """Whether the colouring may shade villages one by one (its indicator exists per village)."""
    with session_scope() as s:
        code = geo.parse_colouring(colouring, s).indicator
        return any(i.code == code and i.level == "village" for i in indicators.indicator_catalogue(s))


@st.cache_data(show_spinner=False)
def coverage_indicators(version: int, lang: str) -> list[dict[str, Any]]:
    """The catalogue's share rules in use, with the words the summary and the gap lists need."""
    with session_scope() as s:
        return [dict(code=i.code, name=name_of(i, lang), unit=i.rule["unit"],
                     units=coverage.unit_words(s, i, lang), column=coverage.unit_column(s, i, lang),
                     rule=rules.describe(s, i.rule, lang))
                for i in coverage.share_indicators(s)]


@st.cache_data(show_spinner=False)
def root_area(version: int) -> dict[str, Any] | None:
    with session_scope() as s:
        root = indicators.root_region(s)
        return dict(code=root.code, name_zh=root.name_zh, name_en=root.name_en, level=root.level) if root else None


@st.cache_data(show_spinner=False)
def counties(version: int, root_code: str) -> list[dict[str, Any]]:
    """Counties under a province/city root (the map's area selector); empty for a county deployment."""
    with session_scope() as s:
        return [dict(code=r.code, name_zh=r.name_zh, name_en=r.name_en)
                for r in indicators.regions_at(s, root_code, "county")]


@st.cache_data(show_spinner=False)
def townships(version: int, area_code: str | None) -> list[dict[str, Any]]:
    with session_scope() as s:
        return registry.township_choices(s, area_code)


@st.cache_data(show_spinner=False)
def villages(version: int, township_code: str) -> list[dict[str, Any]]:
    with session_scope() as s:
        return registry.village_choices(s, township_code)


@st.cache_data(show_spinner=False)
def facilities(version: int, township_code: str, kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    with session_scope() as s:
        return registry.facility_choices(s, township_code, kinds)


@st.cache_data(show_spinner=False)
def map_data(version: int, period_code: str, colouring: str, lang: str, area_code: str | None,
             township_code: str | None, types: tuple[str, ...], states: tuple[str, ...],
             shade: str | None, public: bool = True) -> geo.MapData | None:
    """public: the suppressed view (the default, so a caller that forgets the role gets the safe one)."""
    with session_scope() as s:
        period = indicators.period_by_code(s, period_code)
        if period is None:
            return None
        return geo.build_map(s, period, colouring, lang, area_code=area_code, township_code=township_code,
                             types=types, states=states, shade=shade, public=public)


# The map on a phone: 390 px screen less the page's margins, and short enough to scroll past it.
PHONE_MAP = (350, 440)


@st.cache_resource(show_spinner=False, max_entries=48)
def map_view(version: int, period_code: str, colouring: str, lang: str, area_code: str | None,
             township_code: str | None, types: tuple[str, ...], states: tuple[str, ...], shade: str | None,
             tile: str | None, phone: bool = False, public: bool = True) -> tuple[geo.MapData, Any] | None:
    """(map data, its pydeck Deck) for a view: built and serialised once per data version and
    choice, then the same objects for every session (a county deck is ~110 kB of JSON and takes
    ~70 ms to serialise). Read-only for callers. Keyed by everything the map's content depends on,
    so a view that differs (language, area, colouring, a role's suppression) is a different entry.
    phone: open the map fitted to a phone's width (PHONE_MAP), not the desktop's.
    public: small-count suppression applied (every viewer but the staff roles, suppression.shows_raw);
    a separate cache entry from the staff view, so one never receives the other's deck."""
    payload = map_data(version, period_code, colouring, lang, area_code, township_code, types, states, shade, public)
    if payload is None:
        return None
    deck = geo.deck(payload, tile=tile, fit=PHONE_MAP if phone else None)
    deck.to_json()  # serialise now, under the cache's lock, not in every session's run
    return payload, deck


@st.cache_data(show_spinner=False)
def tile_url(version: int) -> str | None:
    with session_scope() as s:
        return geo.tile_url(s)


@st.cache_data(show_spinner=False)
def coverage_summary(version: int, period_code: str, lang: str, area_code: str | None,
                     public: bool = True) -> pd.DataFrame:
    """public: through small-count suppression (the default, as for the map)."""
    with session_scope() as s:
        period = indicators.period_by_code(s, period_code)
        return coverage.coverage_summary(s, period, lang, area_code, public) if period else pd.DataFrame()


@st.cache_data(show_spinner=False)
def gaps(version: int, period_code: str, lang: str, area_code: str | None,
         township_code: str | None, public: bool = True) -> dict[str, pd.DataFrame]:
    """share rule code -> its gap list, in catalogue order."""
    with session_scope() as s:
        period = indicators.period_by_code(s, period_code)
        if period is None:
            return {}
        return {i.code: coverage.gaps(s, period, i.code, lang, area_code, township_code, public)
                for i in coverage.share_indicators(s)}


REGISTRY_PAGE_SIZE = 100


@st.cache_data(show_spinner=False, max_entries=256)
def registry_page(version: int, lang: str, query: str, types: tuple[str, ...], township_code: str | None,
                  statuses: tuple[str, ...], page: int) -> tuple[pd.DataFrame, int]:
    """One page (1-based) of the filtered registry and the number of matches: a province's 41,000
    points never leave the database at once (the page sends ~100 rows, not 9 MB)."""
    with session_scope() as s:
        return registry.points_page(s, lang, query=query, types=types or None, township_code=township_code,
                                    statuses=statuses or None, offset=(max(1, page) - 1) * REGISTRY_PAGE_SIZE,
                                    limit=REGISTRY_PAGE_SIZE)


@st.cache_data(show_spinner=False)
def point_detail(version: int, point_id: int, lang: str) -> dict[str, Any] | None:
    with session_scope() as s:
        return registry.point_detail(s, point_id, lang)


def today() -> dt.date:
    return dt.date.today()
