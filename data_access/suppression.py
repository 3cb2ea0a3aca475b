"""Small-count suppression (小数抑制): the one place that decides which figures may be shown.

Why: the presentation mode, the coverage map on the meeting screen and the briefing go on a public
screen and out of the room. A count of 2 patients in an industrial park of 900 people points at a
person. The rule, applied to figures reported about people (registry counts of villages, schools and
hospitals are public places and are exempt):

* primary: in an area whose population is below ``max_population`` (default 1,000), any count
  below ``min_count`` (default 5, zero included) is hidden. For a rate the numerator,
  the denominator and their difference (den − num, e.g. "patients NOT under management") are all
  counts; if any of them is small the rate is hidden too.
* pinning: a denominator below 2 × ``min_count`` beside a hidden numerator is hidden as well. Such
  a group cannot be split into two parts that are both large, and the shown size narrows the hidden
  part to a handful of values (5 patients, numerator hidden: "all or none"); with the old "≥ 5"
  reading of the mark it pinned the value exactly.
* secondary: when exactly one cell of a group of sibling areas is suppressed, it could be recovered
  as (published total − the other cells). The next-smallest sibling is then suppressed as well
  (preferring a non-zero one, which hides more). If the suppressed cell is the only one with data,
  the total equals it and is hidden instead.

Every hidden figure shows the same mark, "*", whatever the reason: a "<5" beside a "*" told the
reader which of the two was small and which was not (5 / 5 with a "*" numerator meant "0 not under
management"). The mark says "not shown", never which rule hid it.

Who sees suppressed figures (shows_raw): the staff roles see raw township figures on their own pages;
every other viewer (the display account, anyone not signed in as staff) gets public_values().

Thresholds are settings (``suppression.min_count``, ``suppression.max_population``) an
administrator can change; the defaults apply when they are unset or invalid.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Hashable, Iterable, Mapping, Sequence

import pandas as pd
from sqlalchemy.orm import Session

from data_access import audit, db
from data_access import models as m
from data_access.access import Actor, require

MIN_COUNT_KEY = "suppression.min_count"
MAX_POPULATION_KEY = "suppression.max_population"

# Flags: why a number is not shown.
SMALL = "small"            # the count itself is below the threshold -> "<5"
COMPLEMENT = "complement"  # den − num is below the threshold: the numerator would reveal it
PINS = "pins"              # a denominator that, beside a hidden numerator, would narrow it down
SECONDARY = "secondary"    # hidden so that a suppressed sibling cannot be recovered from the total
HIDDEN = "hidden"          # a rate hidden because a count behind it is suppressed
FLAGS = (SMALL, COMPLEMENT, PINS, SECONDARY, HIDDEN)

# Roles that read raw township figures on their own pages (overview, township, indicator views).
# Everyone else -- the meeting-screen display account, an unknown role, nobody signed in -- sees
# only what public_values() lets through.
RAW_ROLES = ("admin", "leader", "liaison")

# Registry-derived indicators count public places (villages with a room, schools, hospitals).
EXEMPT_SOURCES = ("registry",)


@dataclass(frozen=True)
class Thresholds:
    min_count: int = 5
    max_population: int = 1000


class SettingsError(ValueError):
    """A threshold an administrator typed that cannot be used; `key` is the catalogue message."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _int_setting(session: Session, key: str, default: int, low: int) -> int:
    row = session.get(m.Setting, key)
    try:
        value = int(row.value) if row is not None and row.value is not None else default
    except (TypeError, ValueError):
        return default  # a hand-edited bad value must not switch suppression off
    return value if value >= low else default


def load_thresholds(session: Session) -> Thresholds:
    """The thresholds in force (settings table, else the defaults)."""
    base = Thresholds()
    return Thresholds(min_count=_int_setting(session, MIN_COUNT_KEY, base.min_count, 1),
                      max_population=_int_setting(session, MAX_POPULATION_KEY, base.max_population, 0))


def save_thresholds(session: Session, actor: Actor | None, min_count: int, max_population: int) -> Thresholds:
    """Change the thresholds (admin only), audited; nothing changes when a value is invalid."""
    require(actor, "settings.edit")
    if not isinstance(min_count, int) or not 1 <= min_count <= 100:
        raise SettingsError("suppression.bad_min_count")
    if not isinstance(max_population, int) or not 0 <= max_population <= 10_000_000:
        raise SettingsError("suppression.bad_max_population")
    before = load_thresholds(session)
    for key, value in ((MIN_COUNT_KEY, min_count), (MAX_POPULATION_KEY, max_population)):
        row = session.get(m.Setting, key)
        if row is None:
            session.add(m.Setting(key=key, value=value))
        else:
            row.value = value
    audit.record(session, actor, "settings.suppression", "settings", "suppression",
                 before=dict(min_count=before.min_count, max_population=before.max_population),
                 after=dict(min_count=min_count, max_population=max_population))
    db.bump_data_version(session)  # what pages show changes: cached figures must be re-read
    return Thresholds(min_count, max_population)


# --- the rules -------------------------------------------------------------------------------

def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def is_small_area(population: int | float | None, th: Thresholds) -> bool:
    """Unknown population counts as small: we cannot show that it is safe."""
    return _missing(population) or float(population) < th.max_population  # type: ignore[arg-type]


def is_small_count(count: float | None, th: Thresholds) -> bool:
    return not _missing(count) and float(count) < th.min_count  # type: ignore[arg-type]


def primary_ratio(numerator: float | None, denominator: float | None, population: float | None,
                  th: Thresholds) -> tuple[str | None, str | None]:
    """(numerator flag, denominator flag) for one rate cell."""
    if not is_small_area(population, th):
        return None, None
    num_flag = den_flag = None
    if is_small_count(numerator, th):
        num_flag = SMALL
    elif not _missing(numerator) and not _missing(denominator) and is_small_count(denominator - numerator, th):
        num_flag = COMPLEMENT
    if is_small_count(denominator, th):
        den_flag = SMALL
    elif num_flag and not _missing(denominator) and float(denominator) < 2 * th.min_count:  # type: ignore[arg-type]
        den_flag = PINS
    return num_flag, den_flag


def primary_count(value: float | None, population: float | None, th: Thresholds) -> str | None:
    return SMALL if is_small_area(population, th) and is_small_count(value, th) else None


def secondary(counts: Mapping[Hashable, float | None], suppressed: Iterable[Hashable],
              prefer: Iterable[Hashable] = ()) -> tuple[set, bool]:
    """Extra cells to suppress in one group of siblings whose total is published.

    Returns (cells to add, whether the total must be hidden). With exactly one suppressed cell among
    the cells that have data, total − others would give it back: the smallest other cell goes too
    (non-zero first, ties by key so the result is stable). When the suppressed cell is the only
    one with data the total equals it, so the total is hidden. prefer: cells whose row is hidden
    already for another reason (a rate's numerator partner): taking one of them as the partner
    hides no further township.
    """
    present = {k: float(v) for k, v in counts.items() if not _missing(v)}
    hidden = {k for k in suppressed if k in present}
    if len(hidden) != 1:
        return set(), False
    others = [k for k in present if k not in hidden]
    if not others:
        return set(), True
    preferred = set(prefer)
    pick = min(others, key=lambda k: (k not in preferred, present[k] == 0, present[k], str(k)))
    return {pick}, False


# --- tables ----------------------------------------------------------------------------------

FLAG_COLUMNS = ["numerator_flag", "denominator_flag", "value_flag"]


def suppress_values(frame: pd.DataFrame, populations: Mapping[int, int | float | None],
                    indicators: Mapping[str, tuple[str, str]], th: Thresholds,
                    totals: pd.DataFrame | None = None,
                    total_population: int | float | None = None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Apply the rules to values shaped like indicators.indicator_values().

    frame: the rows of ONE set of sibling areas (e.g. the townships of a county), any number of
    indicators and periods; totals: the parent's rows (published beside them), optional.
    indicators: code -> (kind, source). populations: region_id -> population.
    Returns copies with flag columns added and every suppressed number replaced by NaN, so that no
    renderer can leak it by mistake.
    """
    out = frame.copy()
    for col in FLAG_COLUMNS:
        out[col] = None
    tot = None
    if totals is not None:
        tot = totals.copy()
        for col in FLAG_COLUMNS:
            tot[col] = None
    if out.empty:
        return out, tot
    for (code, period), rows in out.groupby(["indicator", "period"], sort=False):
        kind, source = indicators.get(code, ("count", "report"))
        if source in EXEMPT_SOURCES or kind == "yesno":
            continue
        idx = list(rows.index)
        if kind == "ratio":
            columns = ("numerator", "denominator")
            for i in idx:
                nf, df_ = primary_ratio(out.at[i, "numerator"], out.at[i, "denominator"],
                                        populations.get(int(out.at[i, "region_id"])), th)
                out.at[i, "numerator_flag"], out.at[i, "denominator_flag"] = nf, df_
        else:
            columns = ("value",)
            for i in idx:
                out.at[i, "value_flag"] = primary_count(out.at[i, "value"],
                                                        populations.get(int(out.at[i, "region_id"])), th)
        hide_total: set[str] = set()
        for col in columns:
            flag_col = f"{col}_flag"
            counts = {i: out.at[i, col] for i in idx}
            # The denominator's partner is taken among rows whose numerator is hidden already.
            prefer = [i for i in idx if out.at[i, "numerator_flag"]] if col == "denominator" else []
            extra, total_goes = secondary(counts, [i for i in idx if out.at[i, flag_col]], prefer)
            for i in extra:
                out.at[i, flag_col] = SECONDARY
            if total_goes:
                hide_total.add(col)
        if kind == "ratio":
            for i in idx:
                if out.at[i, "numerator_flag"] or out.at[i, "denominator_flag"]:
                    out.at[i, "value_flag"] = HIDDEN
        if tot is not None:
            _flag_total(tot, code, period, kind, hide_total, total_population, th)
    _blank(out)
    if tot is not None:
        _blank(tot)
    return out, tot


def _flag_total(tot: pd.DataFrame, code: str, period: str, kind: str, hide: set[str],
                population: int | float | None, th: Thresholds) -> None:
    for i in tot.index[(tot["indicator"] == code) & (tot["period"] == period)]:
        if kind == "ratio":
            nf, df_ = primary_ratio(tot.at[i, "numerator"], tot.at[i, "denominator"], population, th)
            nf = nf or (SECONDARY if "numerator" in hide else None)
            df_ = df_ or (SECONDARY if "denominator" in hide else None)
            tot.at[i, "numerator_flag"], tot.at[i, "denominator_flag"] = nf, df_
            if nf or df_:
                tot.at[i, "value_flag"] = HIDDEN
        else:
            flag = primary_count(tot.at[i, "value"], population, th)
            tot.at[i, "value_flag"] = flag or (SECONDARY if hide else None)


def _blank(frame: pd.DataFrame) -> None:
    for col in ("numerator", "denominator", "value"):
        mask = frame[f"{col}_flag"].notna()
        if mask.any():
            frame[col] = frame[col].astype(float)
            frame.loc[mask, col] = float("nan")


def flag_text(flag: str | None, th: Thresholds, lang: str) -> str | None:
    """What a suppressed cell shows: the one mark "*" whatever hid it (see the module's docstring).
    th is kept for callers that format the footnote beside it."""
    from i18n import t

    if flag is None:
        return None
    return t("suppression.hidden", lang)


# A number of people written in free text: 3名、2 人、4例、1位、2户、3人次; Chinese numerals only
# with 名/例/位/户 ("一人一档" is a plan's phrase, not a count of people).
_PEOPLE_DIGITS = re.compile(r"(?<![\d.,])(\d+)(\s*)(人次|名|人|例|位|户)")
_PEOPLE_WORDS = re.compile(r"(?<![一二两三四五六七八九十百千万零〇\d])([零〇一二两三四五六七八九])(名|例|位|户)")
_WORD_VALUE = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def screen_text(text: str, th: Thresholds, lang: str = "zh") -> str:
    """Free text leaders wrote (a comment beside a figure, a meeting decision, a task title) as the
    meeting screen shows it: a number of people below the small-count threshold becomes the same
    "*" the tables show ("北山乡3名患者未随访" → "北山乡*名患者未随访"). The writer sees their own
    words; every public path (slides, PPTX, PDF, Excel) shows this."""
    from i18n import t

    mark = t("suppression.hidden", lang)

    def digits(match: re.Match) -> str:
        return mark + match[2] + match[3] if int(match[1]) < th.min_count else match[0]

    def words(match: re.Match) -> str:
        return mark + match[2] if _WORD_VALUE[match[1]] < th.min_count else match[0]

    return _PEOPLE_WORDS.sub(words, _PEOPLE_DIGITS.sub(digits, text))


def shows_raw(role: str | None) -> bool:
    """Whether this role reads unsuppressed figures. Unknown roles and no sign-in do not."""
    return role in RAW_ROLES


def public_values(session: Session, period_list: Sequence[m.Period], children: Sequence[m.Region],
                  parent: m.Region | None, codes: Sequence[str] | None = None,
                  th: Thresholds | None = None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """indicator_values() of a set of sibling areas (and of their parent, whose total is published
    beside them) with the rules applied: what a public screen may show.

    The one entry point for every public path (meeting slides and downloads, the coverage map), so
    that every path hides the same cells: a township hidden by secondary suppression in the deck is
    hidden on the map too, or the map would hand back what the deck protects. Rows are grouped per
    (indicator, period), so asking for one indicator hides exactly what asking for all of them does.
    """
    from data_access import indicators as ix  # indicators does not import this module; keep it so

    th = th or load_thresholds(session)
    kinds = {i.code: (i.kind, i.source) for i in ix.indicator_catalogue(session)}
    values = ix.indicator_values(session, period_list, children, codes)
    totals = ix.indicator_values(session, period_list, [parent], codes) if parent is not None else None
    return suppress_values(values, {r.id: r.population for r in children}, kinds, th, totals=totals,
                           total_population=parent.population if parent is not None else None)
