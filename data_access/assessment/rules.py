"""The scoring rules. A county configures which rule an item uses and its numbers (data); what a rule
means is code, here, and nowhere else.

- target (达标得分): full points when the measure meets the target, else none;
- proportional (按比例得分): none at or below the floor, full at the target, in proportion between (a
  lower-is-better item has its floor above its target; the same formula holds);
- deduction (扣分): full points less `deduction` for each late or missing report (or task done late or
  overdue), never below zero.

Arithmetic is in Decimal on the figures as written (str), and each item's points are rounded half up
to two places (12.345 -> 12.35), so a score computed by hand equals the product's, on every backend.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

TARGET, PROPORTIONAL, DEDUCTION = "target", "proportional", "deduction"
RULES = (TARGET, PROPORTIONAL, DEDUCTION)
INDICATOR, REPORTING, TASKS = "indicator", "reporting", "tasks"
KINDS = (INDICATOR, REPORTING, TASKS)
SUBJECTS = ("township", "department")
# Which rules make sense for which measure: an indicator has a value, not a count of late reports.
RULES_FOR = {INDICATOR: (TARGET, PROPORTIONAL), REPORTING: RULES, TASKS: RULES}
CENT = Decimal("0.01")


def dec(x: float | int | str | Decimal) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(str(x))


def half_up(x: float | Decimal, places: str = "0.01") -> Decimal:
    """Rounded half up (四舍五入): 3.125 -> 3.13, where round() and '%.2f' give 3.12."""
    return dec(x).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def meets(value: float, target: float, higher_is_better: bool = True) -> bool:
    return value >= target - 1e-9 if higher_is_better else value <= target + 1e-9


def score(rule: str, points: float, *, value: float | None = None, target: float | None = None,
          floor: float | None = None, higher_is_better: bool = True, deduction: float | None = None,
          misses: int | None = None) -> Decimal | None:
    """The points an item earns, rounded half up to 0.01; None when its measure is missing."""
    full = dec(points)
    if rule == DEDUCTION:
        if misses is None:
            return None
        return half_up(max(Decimal(0), full - dec(deduction or 0) * misses))
    if value is None or target is None:
        return None
    if meets(value, target, higher_is_better):
        return half_up(full)
    if rule == TARGET:
        return Decimal("0.00")
    if rule == PROPORTIONAL:
        if floor is None:
            return None
        v, f, t = dec(value), dec(floor), dec(target)
        if t == f:
            return Decimal("0.00")
        share = (v - f) / (t - f)
        return half_up(full * min(Decimal(1), max(Decimal(0), share)))
    raise ValueError(rule)
