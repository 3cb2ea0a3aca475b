"""Early warning: every rule fires on a constructed case, with its reason, on both backends."""
from __future__ import annotations


import pytest
from sqlalchemy import select

from data_access import indicators as ix
from data_access import models as m
from data_access import warnings as warn
from data_access.db import session_scope


def _flags(engine, period: str = "2026Q3") -> list[warn.Flag]:
    with session_scope(engine) as s:
        return warn.early_warnings(s, ix.period_by_code(s, period))


def test_off_track_flags_agree_with_the_trajectory(sample_engine) -> None:
    flags = [f for f in _flags(sample_engine) if f.kind == warn.OFF_TRACK]
    assert flags
    with session_scope(sample_engine) as s:
        history = [p for p in ix.periods(s) if p.code <= "2026Q3"]
        towns = ix.regions_at(s, ix.root_region(s).code)
        values = ix.indicator_values(s, history, towns, ["awareness_rural"])
    # Recompute one pair by hand: the worst rural-awareness township.
    rural = [f for f in flags if f.indicator == "awareness_rural"]
    assert rural
    f = rural[0]
    series = values[values.region_id == f.region_id].sort_values("period")
    points = [(int(p[:4]) * 4 + int(p[-1]) - 1, v) for p, v in zip(series.period, series.value)]
    last = points[-1][1]
    pace = (points[-1][1] - points[-5][1]) / 4
    assert last < 0.60 and last + pace * 1 < 0.60   # one quarter to 2026-12-31
    assert f.values["value"] == f"{last * 100:.1f}%"
    assert f"{pace * 100:+.1f}" == f.values["pace"]
    assert "2026-12-31" in f.reason("zh") and "60.0%" in f.reason("en")
    # Met pairs are never flagged.
    with session_scope(sample_engine) as s:
        statuses = ix.group_statuses(s, ix.period_by_code(s, "2026Q3"), towns)
    met = {(r.indicator, r.region_id) for r in statuses.itertuples() if r.status == ix.MET}
    assert not {(f.indicator, f.region_id) for f in flags} & met


def _set(s, code: str, region_id: int, period_code: str, **values) -> None:  # noqa: ANN001
    ind = s.scalar(select(m.Indicator).where(m.Indicator.code == code))
    period = ix.period_by_code(s, period_code)
    obs = s.scalar(select(m.Observation).where(m.Observation.indicator_id == ind.id,
                                               m.Observation.region_id == region_id,
                                               m.Observation.period_id == period.id))
    for k, v in values.items():
        setattr(obs, k, v)


def test_drop_jump_and_impossible_figures(engine) -> None:
    from sample_data.generate import generate

    generate(engine)
    with session_scope(engine) as s:
        towns = {t.name_zh: t for t in ix.regions_at(s, ix.root_region(s).code)}
        baita, fengming, qingshi = towns["白塔镇"].id, towns["凤鸣镇"].id, towns["青石镇"].id
        # 白塔镇: management falls from ~95 % to 60 %: a drop far beyond 10 points.
        q2 = s.scalar(select(m.Observation).join(m.Indicator).where(
            m.Indicator.code == "smd_managed", m.Observation.region_id == baita,
            m.Observation.period_id == ix.period_by_code(s, "2026Q2").id))
        den = q2.denominator
        expected_value = f"{round(den * 0.6) / den * 100:.1f}%"
        _set(s, "smd_managed", baita, "2026Q3", numerator=round(den * 0.6), denominator=den,
             value=round(den * 0.6) / den)
        # 凤鸣镇: numerator typed larger than the denominator.
        _set(s, "rehab_participation", fengming, "2026Q3", numerator=500, denominator=50, value=10.0)
        # 青石镇: people served multiplied by ten (an extra zero).
        q2 = s.scalar(select(m.Observation).join(m.Indicator).where(
            m.Indicator.code == "people_served", m.Observation.region_id == qingshi,
            m.Observation.period_id == ix.period_by_code(s, "2026Q2").id))
        _set(s, "people_served", qingshi, "2026Q3", value=q2.value * 10)
    flags = _flags(engine)
    by = {(f.kind, f.region_id, f.indicator): f for f in flags}
    drop = by[(warn.DROP, baita, "smd_managed")]
    assert drop.values["value"] == expected_value and float(drop.values["change"]) > 10
    assert "下降" in drop.reason("zh") and "Down" in drop.reason("en")
    impossible = by[(warn.IMPOSSIBLE, fengming, "rehab_participation")]
    assert impossible.values == {"numerator": "500", "denominator": "50"}
    assert "500" in impossible.reason("zh") and "larger than the denominator" in impossible.reason("en")
    jump = by[(warn.JUMP, qingshi, "people_served")]
    assert float(jump.values["change"]) == pytest.approx(900.0)
    # Order: contradictions first, then off-track, drops, jumps.
    kinds = [f.kind for f in flags]
    assert kinds == sorted(kinds, key=warn.KINDS.index)


def test_no_warnings_without_areas(sample_engine) -> None:
    with session_scope(sample_engine) as s:
        assert warn.early_warnings(s, ix.period_by_code(s, "2026Q3"), []) == []


def test_every_flag_reason_renders_in_both_languages(sample_engine) -> None:
    for f in _flags(sample_engine):
        for lang in ("zh", "en"):
            text = f.reason(lang)
            assert "{" not in text and not text.startswith("warn.")
