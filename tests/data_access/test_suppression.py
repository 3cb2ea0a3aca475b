"""Small-count suppression: the rules, secondary suppression, thresholds from settings, and the
sample county's industrial park (864 residents, tiny counts) on both databases."""
from __future__ import annotations

import math

import pandas as pd
import pytest
from sqlalchemy import select

from data_access import audit, db
from data_access import indicators as ix
from data_access import models as m
from data_access import suppression as sup
from data_access.access import Actor, PermissionDenied
from data_access.db import session_scope

TH = sup.Thresholds()
ADMIN = Actor(user_id=None, username="admin", role="admin")
LEADER = Actor(user_id=None, username="leader", role="leader")


# --- primary rule -----------------------------------------------------------------------------

@pytest.mark.parametrize("count, population, expected", [
    (4, 999, sup.SMALL), (0, 500, sup.SMALL), (5, 999, None),   # 5 is not below 5
    (4, 1000, None),                                            # 1,000 residents is not a small area
    (3, None, sup.SMALL),                                       # unknown population: treated as small
    (None, 100, None), (float("nan"), 100, None),               # missing is missing, not suppressed
])
def test_primary_count(count, population, expected) -> None:  # noqa: ANN001
    assert sup.primary_count(count, population, TH) == expected


def test_primary_ratio_hides_small_numerator_denominator_and_complement() -> None:
    assert sup.primary_ratio(3, 4, 900, TH) == (sup.SMALL, sup.SMALL)
    assert sup.primary_ratio(3, 40, 900, TH) == (sup.SMALL, None)
    # 38 of 40 managed tells the room that 2 are not: the difference is a count too.
    assert sup.primary_ratio(38, 40, 900, TH) == (sup.COMPLEMENT, None)
    assert sup.primary_ratio(30, 40, 900, TH) == (None, None)
    assert sup.primary_ratio(3, 4, 50_000, TH) == (None, None)


def test_a_denominator_that_pins_the_hidden_numerator_is_hidden_too() -> None:
    # The case: 5 of 5 managed. A mark beside "5" read "all or none" (and with the old
    # "≥ 5" meaning of "*", exactly 5, i.e. 0 not under management). The 5 goes as well.
    assert sup.primary_ratio(5, 5, 900, TH) == (sup.COMPLEMENT, sup.PINS)
    assert sup.primary_ratio(3, 9, 900, TH) == (sup.SMALL, sup.PINS)
    assert sup.primary_ratio(7, 9, 900, TH) == (sup.COMPLEMENT, sup.PINS)
    # From 2 × 5 on, a group can be split into two parts that are both 5 or more: it may stand.
    assert sup.primary_ratio(3, 10, 900, TH) == (sup.SMALL, None)
    assert sup.primary_ratio(5, 10, 900, TH) == (None, None)
    # The threshold follows the setting.
    assert sup.primary_ratio(3, 15, 900, sup.Thresholds(min_count=10)) == (sup.SMALL, sup.PINS)


def test_one_mark_whatever_the_reason() -> None:
    # "<5" beside "*" told which count was small and which was not: every hidden figure reads "*".
    for lang in ("zh", "en"):
        assert {sup.flag_text(f, TH, lang) for f in sup.FLAGS} == {"*"}
        assert sup.flag_text(None, TH, lang) is None
    assert not sup.shows_raw("display") and not sup.shows_raw(None) and not sup.shows_raw("somebody")
    assert all(sup.shows_raw(r) for r in ("admin", "leader", "liaison"))


# --- secondary rule ---------------------------------------------------------------------------

def test_secondary_suppresses_the_next_smallest_sibling() -> None:
    counts = {"park": 2, "a": 40, "b": 9, "c": 17}
    extra, hide_total = sup.secondary(counts, ["park"])
    assert extra == {"b"} and not hide_total
    # Proof it matters: without b hidden, total − visible others gives the park's 2 back.
    total = sum(counts.values())
    visible = [k for k in counts if k not in {"park"} | extra]
    assert total - sum(counts[k] for k in visible) == counts["park"] + counts["b"] != counts["park"]


def test_secondary_prefers_a_non_zero_partner_and_is_stable() -> None:
    extra, _ = sup.secondary({"p": 1, "z": 0, "x": 12, "y": 12}, ["p"])
    assert extra == {"x"}  # zero would hide nothing; ties broken by key


def test_secondary_not_needed_with_two_or_no_suppressed_cells() -> None:
    assert sup.secondary({"p": 1, "q": 2, "x": 30}, ["p", "q"]) == (set(), False)
    assert sup.secondary({"x": 30, "y": 40}, []) == (set(), False)


def test_secondary_ignores_missing_cells_and_hides_a_total_equal_to_the_cell() -> None:
    # The park is the only area with a figure: the total would be the park's count.
    assert sup.secondary({"p": 3, "x": None, "y": float("nan")}, ["p"]) == (set(), True)
    extra, hide = sup.secondary({"p": 3, "x": None, "y": 8}, ["p"])
    assert extra == {"y"} and not hide


def _frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=ix.VALUE_COLUMNS)


def test_suppress_values_blanks_numbers_and_protects_the_total() -> None:
    kinds = {"smd": ("ratio", "report"), "pet": ("count", "report"), "rooms": ("ratio", "registry")}
    pops = {1: 864, 2: 30_000, 3: 50_000, 4: 40_000}
    frame = _frame([
        ("smd", "Q", 1, 3, 4, 0.75, 1), ("smd", "Q", 2, 100, 120, 100 / 120, 1),
        ("smd", "Q", 3, 200, 210, 200 / 210, 1), ("smd", "Q", 4, 150, 160, 150 / 160, 1),
        ("pet", "Q", 1, None, None, 2.0, 1), ("pet", "Q", 2, None, None, 7.0, 1),
        ("pet", "Q", 3, None, None, 30.0, 1), ("pet", "Q", 4, None, None, 12.0, 1),
        ("rooms", "Q", 1, 1, 2, 0.5, 2), ("rooms", "Q", 2, 10, 12, 10 / 12, 12),
    ])
    totals = _frame([("smd", "Q", 9, 453, 494, 453 / 494, 4), ("pet", "Q", 9, None, None, 51.0, 4)])
    out, tot = sup.suppress_values(frame, pops, kinds, TH, totals=totals, total_population=120_864)
    by = {(r.indicator, r.region_id): r for r in out.itertuples()}
    park = by[("smd", 1)]
    assert park.numerator_flag == sup.SMALL and park.denominator_flag == sup.SMALL
    assert park.value_flag == sup.HIDDEN and math.isnan(park.value) and math.isnan(park.numerator)
    # Secondary: the smallest other township's numerator and denominator go, and its rate with them.
    assert by[("smd", 2)].numerator_flag == sup.SECONDARY and by[("smd", 2)].denominator_flag == sup.SECONDARY
    assert by[("smd", 2)].value_flag == sup.HIDDEN and math.isnan(by[("smd", 2)].value)
    assert by[("smd", 3)].value_flag is None and by[("smd", 3)].numerator == 200
    # No published number lets the park's numerator be recovered from the total.
    visible = out[(out.indicator == "smd") & out.numerator.notna()].numerator.sum()
    assert 453 - visible != 3
    assert by[("pet", 1)].value_flag == sup.SMALL and by[("pet", 2)].value_flag == sup.SECONDARY
    assert 51 - out[(out.indicator == "pet") & out.value.notna()].value.sum() == 2 + 7
    # Registry figures (villages with a room) are public places: shown as they are.
    assert by[("rooms", 1)].value == 0.5 and by[("rooms", 1)].value_flag is None
    assert tot is not None and tot.value_flag.isna().all()
    assert sup.flag_text(sup.SMALL, TH, "zh") == "*" and sup.flag_text(sup.SECONDARY, TH, "en") == "*"


def test_total_hidden_when_the_suppressed_area_is_the_only_reporter() -> None:
    frame = _frame([("pet", "Q", 1, None, None, 3.0, 1)])
    totals = _frame([("pet", "Q", 9, None, None, 3.0, 1)])
    _, tot = sup.suppress_values(frame, {1: 864}, {"pet": ("count", "report")}, TH, totals=totals,
                                 total_population=120_000)
    assert tot.iloc[0]["value_flag"] == sup.SECONDARY and math.isnan(tot.iloc[0]["value"])


# --- thresholds are settings ------------------------------------------------------------------

def test_thresholds_default_then_saved_audited_and_validated(engine) -> None:  # noqa: ANN001
    with session_scope(engine) as s:
        assert sup.load_thresholds(s) == sup.Thresholds(5, 1000)
    version = db.data_version(engine)
    with session_scope(engine) as s:
        sup.save_thresholds(s, ADMIN, 10, 2000)
    with session_scope(engine) as s:
        assert sup.load_thresholds(s) == sup.Thresholds(10, 2000)
        entry = s.scalar(select(m.AuditEntry).where(m.AuditEntry.action == "settings.suppression"))
        assert entry.before == {"min_count": 5, "max_population": 1000} and entry.after["min_count"] == 10
    assert db.data_version(engine) == version + 1
    with pytest.raises(PermissionDenied), session_scope(engine) as s:
        sup.save_thresholds(s, LEADER, 3, 100)
    with pytest.raises(sup.SettingsError) as bad, session_scope(engine) as s:
        sup.save_thresholds(s, ADMIN, 0, 100)
    assert bad.value.key == "suppression.bad_min_count"
    with session_scope(engine) as s:
        assert sup.load_thresholds(s) == sup.Thresholds(10, 2000)  # nothing changed
        # A hand-edited nonsense value falls back to the default, never to "no suppression".
        s.get(m.Setting, sup.MIN_COUNT_KEY).value = "lots"
    with session_scope(engine) as s:
        assert sup.load_thresholds(s).min_count == 5


def test_sample_park_figures_are_suppressed(sample_engine) -> None:  # noqa: ANN001
    with session_scope(sample_engine) as s:
        period = ix.period_by_code(s, "2026Q3")
        root = ix.root_region(s)
        townships = ix.regions_at(s, root.code)
        park = next(t for t in townships if t.kind == "park")
        assert park.population < 1000
        values = ix.indicator_values(s, [period], townships)
        kinds = {i.code: (i.kind, i.source) for i in ix.indicator_catalogue(s)}
        out, _ = sup.suppress_values(values, {t.id: t.population for t in townships}, kinds, sup.load_thresholds(s))
    raw = values[(values.region_id == park.id) & (values.indicator == "rehab_participation")].iloc[0]
    assert raw.denominator < 5  # the sample really has a tiny count there
    safe = out[(out.region_id == park.id) & (out.indicator == "rehab_participation")].iloc[0]
    assert safe.denominator_flag == sup.SMALL and math.isnan(safe.value) and math.isnan(safe.denominator)
    # Every indicator group with a primary cell has at least two hidden cells.
    for (code, _), grp in out.groupby(["indicator", "period"]):
        for col in ("numerator", "denominator", "value"):
            flags = grp[f"{col}_flag"]
            primary = flags.isin([sup.SMALL, sup.COMPLEMENT, sup.PINS]).sum()
            if primary == 1:
                assert (flags == sup.SECONDARY).sum() >= 1, (code, col)


def test_a_rates_denominator_partner_is_a_row_hidden_already() -> None:
    # The park's 5 / 5: numerator and denominator both hidden. The numerator's partner is the
    # smallest numerator (b); the denominator's partner is b's denominator too, not the smallest
    # denominator (c), so one township is hidden with the park, not two.
    frame = _frame([("smd", "Q", 1, 5, 5, 1.0, 1), ("smd", "Q", 2, 20, 60, 1 / 3, 1),
                    ("smd", "Q", 3, 40, 45, 40 / 45, 1), ("smd", "Q", 4, 90, 100, 0.9, 1)])
    out, _ = sup.suppress_values(frame, {1: 864, 2: 30_000, 3: 30_000, 4: 30_000},
                                 {"smd": ("ratio", "report")}, TH)
    flags = {int(r.region_id): (r.numerator_flag, r.denominator_flag) for r in out.itertuples()}
    assert flags == {1: (sup.COMPLEMENT, sup.PINS), 2: (sup.SECONDARY, sup.SECONDARY), 3: (None, None),
                     4: (None, None)}


def test_free_text_shows_small_numbers_of_people_as_the_mark() -> None:
    """Leaders' words reach the meeting screen too: a count of people under the threshold is the
    table's "*"; larger counts, dates, rates, codes and plan phrases stay as written."""
    th = sup.Thresholds(min_count=5, max_population=1000)
    assert sup.screen_text("北山乡3名患者未随访，2 人失联", th) == "北山乡*名患者未随访，* 人失联"
    assert sup.screen_text("两名患者拒绝服药；新增一例", th) == "*名患者拒绝服药；新增*例"
    assert sup.screen_text("0人参加", th) == "*人参加"
    kept = "12名患者已随访；五位专家；坚持一人一档；10月3日前完成；达到95%；共1,200人次"
    assert sup.screen_text(kept, th) == kept
    assert sup.screen_text("7名", sup.Thresholds(min_count=10, max_population=1000)) == "*名"
