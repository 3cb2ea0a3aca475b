"""Where a county's setup stands: each step, whether it is done, and what is still missing.

Read by the setup page (the administrator's landing until every required step is done) and by
`python -m data_access.setup status`. Each entry of `missing` is (catalogue key, values): the page
and the command say it in the reader's language.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Text, cast, func, or_, select
from sqlalchemy.orm import Session, aliased

from data_access import indicators as ix
from data_access import models as m

STEPS = ("county", "regions", "boundaries", "departments", "catalogue", "periods", "points")


@dataclass
class Step:
    key: str
    done: bool
    facts: dict[str, Any] = field(default_factory=dict)          # what is there (for the summary line)
    missing: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # what is still to do


def no_boundary(region: type[m.Region]):  # noqa: ANN201
    """No outline: SQL NULL, or a JSON null (what a None written through the JSON type may be)."""
    return or_(region.boundary.is_(None), cast(region.boundary, Text) == "null")


def _names(rows: list[str], most: int = 8) -> str:
    shown = "、".join(rows[:most])
    return shown + (f" 等 {len(rows)} 个" if len(rows) > most else "")


def setup_steps(session: Session, today: dt.date | None = None) -> list[Step]:
    today = today or dt.date.today()
    root = ix.root_region(session)
    steps: list[Step] = []
    # 1. the county
    county = Step("county", root is not None)
    if root is None:
        county.missing.append(("setup.missing.county", {}))
    else:
        county.facts = dict(name=root.name_zh, code=root.code)
    steps.append(county)
    # 2. townships and villages, and their residents
    regions = [] if root is None else list(session.execute(
        select(m.Region.level, m.Region.name_zh, m.Region.population, no_boundary(m.Region))
        .where(m.Region.path.startswith(root.path), m.Region.retired_on.is_(None),
               m.Region.level.in_(("township", "village")))
        .order_by(m.Region.code)))
    towns = [r for r in regions if r[0] == "township"]
    villages = [r for r in regions if r[0] == "village"]
    step = Step("regions", bool(towns) and bool(villages), dict(townships=len(towns), villages=len(villages)))
    if not towns or not villages:
        step.missing.append(("setup.missing.regions", {}))
    no_people = [r[1] for r in villages if r[2] is None]
    if villages and no_people:
        step.missing.append(("setup.missing.population", dict(count=len(no_people), names=_names(no_people))))
    steps.append(step)
    # 3. boundaries (the map): every township needs one; villages are shaded when they have theirs
    towns_without = [r[1] for r in towns if r[3]]
    villages_without = [r[1] for r in villages if r[3]]
    step = Step("boundaries", bool(towns) and not towns_without,
                dict(townships=len(towns) - len(towns_without), township_total=len(towns),
                     villages=len(villages) - len(villages_without), village_total=len(villages)))
    if not towns:
        step.missing.append(("setup.missing.regions_first", {}))
    elif towns_without:
        step.missing.append(("setup.missing.township_boundaries", dict(count=len(towns_without),
                                                                         names=_names(towns_without))))
    if villages and villages_without:
        step.missing.append(("setup.missing.village_boundaries", dict(count=len(villages_without),
                                                                        names=_names(villages_without))))
    steps.append(step)
    # 4. departments and their liaisons
    departments = list(session.scalars(select(m.Department).order_by(m.Department.sort_order, m.Department.id)))
    reporting = [d for d in departments if d.reports_quarterly]
    liaison_user = aliased(m.User)
    with_account = set(session.scalars(
        select(liaison_user.department_id).where(liaison_user.role == "liaison", liaison_user.is_active.is_(True))))
    step = Step("departments", bool(reporting), dict(departments=len(departments), reporting=len(reporting)))
    if not reporting:
        step.missing.append(("setup.missing.departments", {}))
    no_contact = [d.name_zh for d in reporting if not d.liaison_name]
    if reporting and no_contact:
        step.missing.append(("setup.missing.liaison_names", dict(count=len(no_contact), names=_names(no_contact))))
    no_account = [d.name_zh for d in reporting if d.id not in with_account]
    if reporting and no_account:
        step.missing.append(("setup.missing.liaison_accounts", dict(count=len(no_account), names=_names(no_account))))
    steps.append(step)
    # 5. the indicator catalogue and its targets
    indicators = session.scalar(select(func.count()).select_from(m.Indicator)) or 0
    targets = session.scalar(select(func.count()).select_from(m.Target).where(m.Target.effective_to.is_(None))) or 0
    step = Step("catalogue", indicators > 0, dict(indicators=indicators, targets=targets))
    if not indicators:
        step.missing.append(("setup.missing.catalogue", {}))
    elif not targets:
        step.missing.append(("setup.missing.targets", {}))
    steps.append(step)
    # 6. quarters and deadlines
    periods = list(session.scalars(select(m.Period).order_by(m.Period.year, m.Period.quarter)))
    step = Step("periods", bool(periods), dict(count=len(periods), first=periods[0].code if periods else "",
                                                last=periods[-1].code if periods else ""))
    running = f"{today.year}Q{(today.month - 1) // 3 + 1}"
    if not periods:
        step.missing.append(("setup.missing.periods", {}))
    elif running not in {p.code for p in periods} and periods[-1].end_date < today:
        step.missing.append(("setup.missing.running_quarter", dict(code=running)))
    steps.append(step)
    # 7. the service-point registry
    points = 0 if root is None else session.scalar(
        select(func.count()).select_from(m.ServicePoint).join(m.Region, m.Region.id == m.ServicePoint.region_id)
        .where(m.Region.path.startswith(root.path))) or 0
    no_coords = 0 if root is None else session.scalar(
        select(func.count()).select_from(m.ServicePoint).join(m.Region, m.Region.id == m.ServicePoint.region_id)
        .where(m.Region.path.startswith(root.path), m.ServicePoint.lon.is_(None),
               m.ServicePoint.retired_on.is_(None))) or 0
    step = Step("points", points > 0, dict(count=points))
    if not points:
        step.missing.append(("setup.missing.points", {}))
    elif no_coords:
        step.missing.append(("setup.missing.point_coordinates", dict(count=no_coords)))
    steps.append(step)
    return steps


def setup_complete(session: Session, today: dt.date | None = None) -> bool:
    """Every step done: the administrator then lands on the overview instead of the setup page."""
    return all(step.done for step in setup_steps(session, today))
