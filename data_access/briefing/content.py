"""What the joint meeting sees, assembled once: the single source for the presentation page, the
PowerPoint deck, the PDF and the Excel tables.

Every figure comes from data_access.indicators (region_summary for the county, indicator_values
for the township breakdowns) and passes through data_access.suppression before it lands here;
suppressed numbers are None in this structure, so no renderer can show them by mistake.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy.orm import Session

from data_access import coverage as coverage_rules
from data_access import indicators as ix
from data_access import models as m
from data_access import suppression as sup
from data_access.geo import polygons_of
from data_access.briefing.notes import next_steps
from i18n import name_of, t
from i18n.numbers import change_text, count_text, is_missing, status_label, target_text, value_text

SLIDES = ("title", "overview", "behind", "map", "departments", "outcomes", "followup", "next_steps")
TOP_BEHIND = 3  # townships named per indicator behind target: what fits on a projector line


@dataclass
class Figure:
    """One indicator's county figure for the period, ready to show."""

    code: str
    name: str
    kind: str
    unit: str
    value: float | None          # None when missing or suppressed
    text: str                    # "87.3%", "*" (suppressed), "暂无数据"
    numerator: float | None
    denominator: float | None
    numerator_text: str
    denominator_text: str
    target: float | None         # the target value the period is measured against
    target_text: str
    status: str
    status_text: str
    change_text: str
    flag: str | None = None      # suppression flag of the value
    # Leaders' comments on this indicator's figures for the quarter ("北山乡：已约谈北山乡"), shown beside it.
    comments: list[str] = field(default_factory=list)


@dataclass
class AreaFigure:
    """One township's figure for an indicator (after suppression)."""

    code: str
    name: str
    population: int | None
    value: float | None
    text: str
    numerator_text: str
    denominator_text: str
    status: str
    flag: str | None


@dataclass
class BehindItem:
    figure: Figure
    worst: list[AreaFigure]      # up to TOP_BEHIND townships furthest from the target
    hidden: int                  # townships left out of the ranking because their value is suppressed
    by_township: bool            # False for county-only figures (counts, yes/no)


@dataclass
class MapArea:
    code: str
    name: str
    value: float | None
    text: str
    status: str
    rings: list[list[tuple[float, float]]]   # outer rings, lon/lat
    centroid: tuple[float, float] | None


@dataclass
class DepartmentGap:
    code: str
    name: str
    state: str                   # "missing" / "late"
    text: str


@dataclass
class FollowUpItem:
    """A decision of the last meeting and its task (the "上次会议决定事项落实情况" slide). Text and
    statuses only: nothing here is a count about people."""

    seq: int
    decision: str
    task: str                    # "#12 title", or "未转为任务"
    owner: str
    deadline: str
    status: str                  # tasks status (overdue/in_progress/not_started/done) or "none"
    status_text: str


@dataclass
class OverdueTask:
    title: str
    owner: str
    deadline: str
    text: str                    # "逾期 12 天"


@dataclass
class Briefing:
    lang: str
    period: str
    period_label: str
    county: str
    county_code: str
    date: dt.date
    date_text: str
    thresholds: sup.Thresholds
    titles: dict[str, str]
    targets: list[Figure]
    counts: dict[str, int]
    behind: list[BehindItem]
    coverage: Figure | None
    map_areas: list[MapArea]
    departments: list[DepartmentGap]
    departments_due: int
    outcomes: list[Figure]
    next_steps: list[str]
    # Long table for Excel: one row per township x indicator, already suppressed.
    township_rows: list[dict] = field(default_factory=list)
    footnote: str = ""
    any_suppressed: bool = False
    # Outcome figures by township (suppressed): header row, then one row per township.
    outcome_table: list[list[str]] = field(default_factory=list)
    # The follow-up slide: the last meeting ("2026年10月23日 联席会议"), its decisions and their tasks,
    # and the other overdue tasks.
    followup_meeting: str | None = None
    followup: list[FollowUpItem] = field(default_factory=list)
    overdue_tasks: list[OverdueTask] = field(default_factory=list)

    @property
    def slide_count(self) -> int:
        return len(SLIDES)

    def behind_chart(self) -> BehindItem | None:
        """The indicator whose townships the behind slide charts: the first one broken down by township."""
        return next((i for i in self.behind if i.by_township), None)

    def needs_footnote(self, key: str) -> bool:
        """Whether a slide shows a suppressed figure ("*"), and so the footnote that explains it.
        A footnote on a slide where nothing is hidden sends the room looking for what is."""
        hidden = sup.flag_text(sup.SMALL, self.thresholds, self.lang)
        if key == "overview":
            return any(f.flag for f in self.targets)
        if key == "behind":
            chart = self.behind_chart()
            return (any(i.figure.flag or i.hidden for i in self.behind)
                    or (chart is not None and any(r["suppressed"] for r in self.township_rows
                                                  if r["indicator"] == chart.figure.code)))
        if key == "outcomes":
            return any(f.flag for f in self.outcomes) or any(
                cell == hidden for row in self.outcome_table[1:] for cell in row[1:])
        return False


# --- formatting (data_access may not import ui/, so the few rules live here) -------------------

def _count_text(value: float | None, flag: str | None, th: sup.Thresholds, lang: str) -> str:
    if flag:
        return sup.flag_text(flag, th, lang) or ""
    if is_missing(value):
        return ""
    return count_text(value)


def _value_text(value: float | None, flag: str | None, kind: str, unit: str, th: sup.Thresholds, lang: str) -> str:
    if flag:
        return sup.flag_text(flag, th, lang) or ""
    return value_text(value, kind, unit, lang)


# --- assembly ----------------------------------------------------------------------------------

def _date_text(day: dt.date, lang: str) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if lang == "zh" else day.strftime("%d %B %Y").lstrip("0")


def _departments(session: Session, period: m.Period, lang: str, today: dt.date) -> tuple[list[DepartmentGap], int]:
    """Departments that owe a sheet and have none accepted after the deadline, then those that
    handed it in late (indicators.department_reports, as 报送情况 shows them)."""
    rows = [(r, r.state, r.days_late, r.first_at.date() if r.first_at else None)
            for r in ix.department_reports(session, period, today)]
    due = len(rows)
    missing = [DepartmentGap(d.code, name_of(d, lang), "missing",
                             t("meeting.dept_missing", lang, deadline=period.deadline.isoformat()))
               for d, state, _, _ in rows if state == "missing"]
    late = [DepartmentGap(d.code, name_of(d, lang), "late",
                          t("meeting.dept_late", lang, days=days, date=day.isoformat() if day else ""))
            for d, state, days, day in rows if state == "late"]
    return missing + late, due


def _rings(boundary: dict | None) -> list[list[tuple[float, float]]]:
    """Outer rings of a township boundary (data_access.geo reads the GeoJSON as the map does)."""
    return [[(float(x), float(y)) for x, y, *_ in poly[0]] for poly in polygons_of(boundary) if poly]


def _grouped(item: ix.IndicatorStatus, lang: str) -> str:
    """The name under its group heading (双百计划 · 持证心理咨询师人数), as the overview shows it."""
    group = (item.group_en if lang == "en" else None) or item.group_zh
    return f"{group} · {name_of(item, lang)}" if group else name_of(item, lang)


def _figure(item: ix.IndicatorStatus, lang: str, th: sup.Thresholds, flags: dict | None,
            hidden_before: bool = False) -> Figure:
    flags = flags or {}
    vflag = flags.get("value_flag")
    value = None if vflag else item.value
    num = None if flags.get("numerator_flag") else item.numerator
    den = None if flags.get("denominator_flag") else item.denominator
    target_value = item.expected if item.target else None
    return Figure(
        code=item.code, name=_grouped(item, lang), kind=item.kind, unit=item.unit, value=value,
        text=_value_text(item.value, vflag, item.kind, item.unit, th, lang),
        numerator=num, denominator=den,
        numerator_text=_count_text(item.numerator, flags.get("numerator_flag"), th, lang),
        denominator_text=_count_text(item.denominator, flags.get("denominator_flag"), th, lang),
        target=target_value,
        target_text=target_text(target_value, item.target.comparison if item.target else ">=", item.kind,
                                 item.unit, lang),
        # A hidden county value cannot carry a status either: the status would hint at it.
        status=ix.NO_DATA if vflag else item.status,
        status_text=status_label(ix.NO_DATA if vflag else item.status, lang),
        change_text="—" if vflag or hidden_before else change_text(item.change, item.kind, lang), flag=vflag)


def assemble(session: Session, period_code: str, lang: str = "zh", today: dt.date | None = None) -> Briefing | None:
    """The briefing for one quarter of the deployment's root area, or None if the period is unknown."""
    period = ix.period_by_code(session, period_code)
    root = ix.root_region(session)
    if period is None or root is None:
        return None
    today = today or dt.date.today()
    th = sup.load_thresholds(session)
    catalogue = {i.code: i for i in ix.indicator_catalogue(session)}
    townships = ix.regions_at(session, root.code)

    summary = ix.region_summary(session, period, root)
    # The same call as the coverage map's public view: both hide exactly the same cells. Last
    # quarter too: a change beside a total hidden last quarter would give that total back.
    # Each indicator's change is read against its own comparison quarter (the same quarter last year
    # for petitions): that quarter's hidden total must stay hidden too.
    compared = ix.compared_periods(session, period, catalogue.values())
    others = {p.code: p for p in compared.values() if p is not None}
    safe, safe_totals = sup.public_values(session, [period, *others.values()], townships, root, th=th)
    safe = safe[safe["period"] == period.code]
    total_flags: dict[tuple[str, str], dict] = {}
    if safe_totals is not None:
        for row in safe_totals.to_dict("records"):
            total_flags[(row["indicator"], row["period"])] = {k: row[k] for k in sup.FLAG_COLUMNS}

    figures = [_figure(item, lang, th, total_flags.get((item.code, period.code)),
                       hidden_before=bool(compared.get(item.code) and (total_flags.get(
                           (item.code, compared[item.code].code)) or {}).get("value_flag")))
               for item in summary]
    targets = [f for f in figures if f.code in catalogue and catalogue[f.code].is_target]
    outcomes = [f for f in figures if f.code in catalogue and not catalogue[f.code].is_target]
    counts = {s: sum(f.status == s for f in targets) for s in (ix.MET, ix.NEAR, ix.BEHIND, ix.NO_DATA)}

    by_region = {r.id: r for r in townships}
    area_figures: dict[str, list[AreaFigure]] = {}
    targets_now = ix.targets_in_force(session, period.end_date)
    township_rows = []
    for row in safe.sort_values(["indicator", "region_id"]).to_dict("records"):
        ind = catalogue[row["indicator"]]
        region = by_region[row["region_id"]]
        target = targets_now.get(ind.code) if ind.is_target and ind.kind == "ratio" else None
        status = ix.NO_DATA if row["value_flag"] else ix.classify(
            None if is_missing(row["value"]) else row["value"], target, ind.kind, ind.higher_is_better)
        area = AreaFigure(
            code=region.code, name=name_of(region, lang), population=region.population,
            value=None if is_missing(row["value"]) else float(row["value"]),
            text=_value_text(row["value"], row["value_flag"], ind.kind, ind.unit, th, lang),
            numerator_text=_count_text(row["numerator"], row["numerator_flag"], th, lang),
            denominator_text=_count_text(row["denominator"], row["denominator_flag"], th, lang),
            status=status, flag=row["value_flag"])
        area_figures.setdefault(ind.code, []).append(area)
        township_rows.append(dict(indicator=ind.code, indicator_name=name_of(ind, lang), kind=ind.kind,
                                  region_code=region.code,
                                  region=area.name, numerator=area.numerator_text, denominator=area.denominator_text,
                                  value=area.value, value_text=area.text,
                                  status=area.text if row["value_flag"] else status_label(status, lang),
                                  suppressed=bool(row["value_flag"] or row["numerator_flag"]
                                                  or row["denominator_flag"])))

    behind = []
    # Behind first, then near: the room wants what is short of target, worst first.
    for f in sorted(targets, key=lambda f: f.status != ix.BEHIND):
        if f.status not in (ix.BEHIND, ix.NEAR):
            continue
        ind = catalogue[f.code]
        areas = area_figures.get(f.code, [])
        by_township = ind.kind == "ratio" and bool(areas)
        visible = [a for a in areas if a.value is not None]
        visible.sort(key=lambda a: a.value if ind.higher_is_better else -a.value)  # type: ignore[operator]
        worst = [a for a in visible if a.status in (ix.BEHIND, ix.NEAR)][:TOP_BEHIND] if by_township else []
        behind.append(BehindItem(f, worst, sum(a.value is None and a.flag is not None for a in areas), by_township))

    # The map slide shows the catalogue's first coverage rule (a registry share), whatever its code.
    shares = coverage_rules.share_indicators(session)
    coverage = next((f for f in figures if shares and f.code == shares[0].code), None)
    rooms = {a.code: a for a in area_figures.get(coverage.code, [])} if coverage else {}
    map_areas = []
    for region in townships:
        area = rooms.get(region.code)
        centroid = (region.centroid_lon, region.centroid_lat) if region.centroid_lon is not None else None
        map_areas.append(MapArea(region.code, name_of(region, lang), area.value if area else None,
                                 area.text if area else t("common.no_data", lang),
                                 area.status if area else ix.NO_DATA, _rings(region.boundary), centroid))

    outcome_table = [[t("meeting.col.township", lang)] + [f.name for f in outcomes]]
    for region in townships:
        row = [name_of(region, lang)]
        for f in outcomes:
            area = next((a for a in area_figures.get(f.code, []) if a.code == region.code), None)
            row.append(area.text if area else t("common.no_data", lang))
        outcome_table.append(row)

    departments, due = _departments(session, period, lang, today)
    _attach_comments(session, period.code, figures, root.code, lang, th)
    followup_meeting, followup, overdue_tasks = _followup(session, today, lang, th)
    titles = {key: t(f"meeting.slide.{key}", lang) for key in SLIDES}
    titles["map"] = (t("meeting.slide.map_of", lang, indicator=name_of(shares[0], lang)) if coverage
                     else t("meeting.slide.map", lang))
    any_suppressed = any(r["suppressed"] for r in township_rows) or any(f.flag for f in figures)
    return Briefing(
        lang=lang, period=period.code, period_label=t("period.label", lang, year=period.year, quarter=period.quarter),
        county=name_of(root, lang), county_code=root.code, date=today, date_text=_date_text(today, lang),
        thresholds=th, titles=titles, targets=targets, counts=counts, behind=behind, coverage=coverage,
        map_areas=map_areas, departments=departments, departments_due=due, outcomes=outcomes,
        next_steps=[sup.screen_text(x, th, lang) for x in next_steps(session, period.code)], township_rows=township_rows,
        footnote=t("suppression.footnote", lang, n=th.min_count, population=f"{th.max_population:,}"),
        any_suppressed=any_suppressed, outcome_table=outcome_table,
        followup_meeting=followup_meeting, followup=followup, overdue_tasks=overdue_tasks)


def _attach_comments(session: Session, period_code: str, figures: list[Figure], root_code: str, lang: str,
                     th: sup.Thresholds) -> None:
    """Each figure's comments of the quarter, the area named unless it is the county itself, with
    small numbers of people screened (the briefing is the meeting's public view)."""
    from data_access.comments import comments

    by_code = {f.code: f for f in figures}
    for c in comments(session, period_code):
        figure = by_code.get(c["indicator"])
        if figure is None:
            continue
        area = c["region_en"] if lang == "en" else c["region_zh"]
        text = sup.screen_text(c["text"], th, lang)
        figure.comments.append(text if c["region_code"] == root_code else
                               f"{area}{'：' if lang == 'zh' else ': '}{text}")


def comment_text(figure: Figure, lang: str) -> str:
    """The comments of a figure in one cell ("" when none)."""
    return ("；" if lang == "zh" else "; ").join(figure.comments)


def _followup(session: Session, today: dt.date, lang: str, th: sup.Thresholds
              ) -> tuple[str | None, list[FollowUpItem], list[OverdueTask]]:
    """The last meeting's decisions with their tasks, and every other overdue task (their words
    screened for small numbers of people, as every text of the briefing)."""
    from data_access import meetings as mt
    from data_access import tasks as tk

    meeting, rows = mt.followup(session, today)
    items = []
    for r in rows:
        status = r.status or "none"
        # Symbol and word, readable without colour (as the indicator statuses).
        text = (f"{FOLLOWUP_SYMBOL[status]} "
                + (t("tasks.status.no_task", lang) if r.status is None else t(f"tasks.status.{r.status}", lang)))
        items.append(FollowUpItem(
            # A task titled as its decision is shown by its number only (the row already reads the text).
            seq=r.seq, decision=sup.screen_text(r.decision, th, lang),
            task=("—" if not r.task_id else f"#{r.task_id}" if r.task_title == r.decision[:len(r.task_title or "")]
                  else f"#{r.task_id} {sup.screen_text(r.task_title or '', th, lang)}"),
            owner=(r.department_en if lang == "en" else r.department_zh) or "—",
            deadline=r.deadline.isoformat() if r.deadline else "—", status=status, status_text=text))
    listed = {r.task_id for r in rows if r.task_id}
    overdue = [OverdueTask(sup.screen_text(o.title, th, lang), o.department_en if lang == "en" else o.department_zh, o.deadline.isoformat(),
                           f"{FOLLOWUP_SYMBOL['overdue']} " + t("tasks.overdue_days", lang, days=o.days_overdue))
               for o in tk.overdue(session, today) if o.id not in listed]
    label = None
    if meeting is not None:
        label = f"{_date_text(meeting.held_on, lang)} {t(f'meetings.kind.{meeting.kind}', lang)}"
    return label, items, overdue


FOLLOWUP_ROWS = 10      # decisions on one slide (a projector line each); the rest are counted in the lead
OVERDUE_ROWS = 5        # other overdue tasks under them


def followup_lead(b: Briefing) -> str:
    """The follow-up slide's first line: the meeting and how many of its decisions stand where."""
    if b.followup_meeting is None:
        return t("followup.no_meeting", b.lang)
    count = {k: sum(i.status == k for i in b.followup) for k in ("done", "in_progress", "overdue", "not_started",
                                                                   "none")}
    return t("followup.lead", b.lang, meeting=b.followup_meeting, total=len(b.followup), **count)


def followup_rows(b: Briefing) -> list[list[str]]:
    """Header and one row per decision (at most FOLLOWUP_ROWS), as every renderer shows them."""
    head = [t(f"followup.col.{k}", b.lang) for k in ("no", "decision", "task", "owner", "deadline", "status")]
    return [head] + [[str(i.seq), i.decision, i.task, i.owner, i.deadline, i.status_text]
                     for i in b.followup[:FOLLOWUP_ROWS]]


def overdue_rows(b: Briefing) -> list[list[str]]:
    head = [t(f"followup.col.{k}", b.lang) for k in ("title", "owner", "deadline", "status")]
    return [head] + [[o.title, o.owner, o.deadline, o.text] for o in b.overdue_tasks[:OVERDUE_ROWS]]


# The follow-up slide's status colours, in the indicator statuses the renderers already colour.
FOLLOWUP_SYMBOL = {"overdue": "✖", "in_progress": "▲", "not_started": "…", "done": "✔", "none": "—"}
FOLLOWUP_STATUS = {"overdue": ix.BEHIND, "in_progress": ix.NEAR, "not_started": ix.NO_DATA, "done": ix.MET,
                   "none": ix.NO_DATA}


def township_table(briefing: Briefing) -> pd.DataFrame:
    """The long township table as a frame (Excel sheet, page table)."""
    return pd.DataFrame(briefing.township_rows)


def worst_text(item: BehindItem, lang: str) -> str:
    """The 'townships furthest behind' cell of the behind slide."""
    if not item.by_township:
        return t("meeting.county_only", lang)
    parts = [f"{a.name} {a.text}" for a in item.worst]
    text = "、".join(parts) if lang == "zh" else ", ".join(parts)
    if not parts:
        text = t("meeting.worst_none", lang)
    if item.hidden:
        text += ("；" if lang == "zh" else "; ") + t("meeting.hidden_townships", lang, n=item.hidden)
    return text
