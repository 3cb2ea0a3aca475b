"""Role × write matrix: every write path in data_access, called as every role, succeeds only for
the roles allowed to do it; a refused call raises PermissionDenied and changes nothing at all
(not even an audit row). To cover a new write path, add a Write(...) to WRITES below.

Actors: admin, leader, display, a liaison of the department being written ("liaison_own", the
health commission) and a liaison of another department ("liaison_other", education), and nobody
signed in ("anonymous").
"""
from __future__ import annotations

import datetime as dt
import importlib.util
import itertools
from dataclasses import dataclass
from typing import Any, Callable

import pytest

from sqlalchemy import Engine, func, select

from data_access import admin, users
from data_access import models as m
from data_access.access import PERMISSIONS, Actor, PermissionDenied, allowed, require
from data_access.db import data_version, session_scope
from sample_data.generate import generate

ACTORS = ("admin", "leader", "display", "liaison_own", "liaison_other", "anonymous")
USERNAMES = {"admin": "admin", "leader": "leader", "display": "display", "liaison_own": "liaison_health",
             "liaison_other": "liaison_education"}
ADMIN_ONLY = frozenset({"admin"})
SIGNED_IN = frozenset(ACTORS) - {"anonymous"}
UPLOADERS = frozenset({"admin", "liaison_own"})
SETUP = Actor(None, "test-setup", "admin")  # prepares rows; never one of the actors under test
BACKENDS = ["sqlite", "postgresql"]  # as tests/conftest.py (not importable by name: ingest has a conftest too)


pytestmark = pytest.mark.usefixtures("fast_hashing")


@dataclass
class Ctx:
    """Ids in the test database and a counter, so repeated allowed calls stay valid."""

    engine: Engine
    ids: dict[str, Any]
    counter: itertools.count

    def n(self) -> int:
        return next(self.counter)


@dataclass(frozen=True)
class Write:
    name: str
    call: Callable[[Ctx, Actor | None], Any]
    allowed: frozenset[str]
    audited: bool = True  # an allowed call leaves at least one audit row
    # Runs before each call, outside the comparison (e.g. a fresh live point to retire); its result
    # is in ctx.ids["prepared"].
    prepare: Callable[["Ctx"], Any] | None = None


def _session_write(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Registry writes take a session: one transaction per call, like the page does."""
    def call(ctx: Ctx, actor: Actor | None, *args: Any, **kwargs: Any) -> Any:
        with session_scope(ctx.engine) as s:
            return fn(s, actor, *args, **kwargs)
    return call


WRITES: list[Write] = [
    # users and passwords (data_access/users.py)
    Write("users.create_user", lambda c, a: users.create_user(
        c.engine, a, username=f"user{c.n()}", display_name="新用户", role="leader", department_id=None,
        password="Good-pass-1"), ADMIN_ONLY),
    Write("users.update_user", lambda c, a: users.update_user(
        c.engine, a, c.ids["target_user"], display_name=f"改名{c.n()}", role="display", department_id=None),
        ADMIN_ONLY),
    Write("users.reset_password", lambda c, a: users.reset_password(c.engine, a, c.ids["target_user"],
                                                                    f"Temp-pass-{c.n()}"), ADMIN_ONLY,
          prepare=lambda c: _session_of(c, "target_user")),
    Write("users.unlock", lambda c, a: users.unlock(c.engine, a, c.ids["target_user"]), ADMIN_ONLY),
    Write("users.set_active", lambda c, a: (users.set_active(c.engine, a, c.ids["target_user"], False),
                                            users.set_active(c.engine, a, c.ids["target_user"], True)), ADMIN_ONLY,
          prepare=lambda c: _session_of(c, "target_user")),
    Write("users.change_password (own)", lambda c, a: users.change_password(
        c.engine, a, users.DEMO_PASSWORD, "Changed-pass-1", "Changed-pass-1"), SIGNED_IN),
    # Ends the actor's own session (the sign-out route), with its audit row.
    Write("users.sign_out (own session)", lambda c, a: users.sign_out(c.engine, a, token=c.ids["prepared"].get(
        a.username if a else None)), SIGNED_IN, prepare=lambda c: _sessions_of_everyone(c)),
    # reference data (data_access/admin.py)
    Write("admin.rename_region", lambda c, a: admin.rename_region(
        c.engine, a, c.ids["township"], f"测试镇{c.n()}", "Test town"), ADMIN_ONLY),
    Write("admin.update_department", lambda c, a: admin.update_department(
        c.engine, a, c.ids["health"], name_zh="县卫生健康委员会", name_en="Health Commission",
        liaison_name=f"联络员{c.n()}", liaison_phone="0838-1234567", reports_quarterly=True), ADMIN_ONLY),
    Write("admin.create_department", lambda c, a: admin.create_department(
        c.engine, a, code=f"dept{c.n()}", name_zh=f"新部门{c.n()}", name_en="New department"), ADMIN_ONLY),
    Write("admin.update_indicator", lambda c, a: admin.update_indicator(
        c.engine, a, c.ids["smd_managed"], name_zh=f"严重精神障碍患者规范管理率{c.n()}",
        name_en="Managed SMD patients", owner_department_id=c.ids["health"]), ADMIN_ONLY),
    Write("admin.set_target", lambda c, a: admin.set_target(
        c.engine, a, c.ids["smd_managed"], value=0.92, comparison=">=", target_date=dt.date(2030, 12, 31),
        effective_from=dt.date(2027, 1, 1) + dt.timedelta(days=c.n())), ADMIN_ONLY),
    Write("admin.set_deadline", lambda c, a: admin.set_deadline(
        c.engine, a, c.ids["2026Q3"], dt.date(2026, 10, 1) + dt.timedelta(days=c.n() % 60)), ADMIN_ONLY),
    Write("admin.add_next_period", lambda c, a: admin.add_next_period(c.engine, a), ADMIN_ONLY),
    # Each allowed call opens the year before the earliest quarter there.
    Write("admin.open_quarters", lambda c, a: admin.open_quarters(c.engine, a, _year_before(c)), ADMIN_ONLY),
]


def _session_of(c: Ctx, username: str) -> str:
    """A live session of the account (a refused reset or disabling must leave it live)."""
    from data_access import user_sessions

    with session_scope(c.engine) as s:
        user_id = s.scalar(select(m.User.id).where(m.User.username == username))
        return user_sessions.start(s, user_id, dt.datetime.now(), users.security_settings(s))


def _sessions_of_everyone(c: Ctx) -> dict[str, str]:
    """A live session for every actor's account (prepared outside the comparison): username -> token."""
    from data_access import user_sessions

    tokens = {}
    with session_scope(c.engine) as s:
        cfg = users.security_settings(s)
        for name in USERNAMES.values():
            user_id = s.scalar(select(m.User.id).where(m.User.username == name))
            tokens[name] = user_sessions.start(s, user_id, dt.datetime.now(), cfg)
    return tokens


def _year_before(c: Ctx) -> str:
    with session_scope(c.engine) as s:
        return f"{s.scalar(select(func.min(m.Period.year))) - 1}Q1"

# Setting up a county (data_access/setup): the same writes the setup page and commands make.
if importlib.util.find_spec("data_access.setup") is not None:
    import json

    from data_access.setup import boundaries as setup_boundaries
    from data_access.setup import departments as setup_departments
    from data_access.setup import divisions as setup_divisions
    from data_access.setup.county import put_county

    def _region_list(c: Ctx) -> bytes:
        n = c.n()
        return f"统计用区划代码,城乡分类代码,名称\n990101001{900 + n:03d},220,测试{n}村民委员会\n".encode("utf-8")

    def _township_outline(c: Ctx) -> bytes:
        with session_scope(c.engine) as s:
            town = s.get(m.Region, c.ids["township"])
            feature = {"type": "Feature", "properties": {"adcode": town.code}, "geometry": town.boundary}
        return json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()

    def _checked(result: Any) -> Any:
        assert result.ok, [p.message() for p in result.errors]
        return result

    WRITES += [
        Write("setup.put_county", lambda c, a: _session_write(put_county)(c, a, "990101", f"和安县{c.n()}"),
              ADMIN_ONLY),
        Write("setup.load_regions", lambda c, a: _checked(setup_divisions.load_regions(
            c.engine, a, _region_list(c), "区划.csv")), ADMIN_ONLY),
        Write("setup.load_population", lambda c, a: _checked(setup_divisions.load_population(
            c.engine, a, f"区划代码,常住人口\n990101001001,{3000 + c.n()}\n".encode(), "人口.csv")), ADMIN_ONLY),
        Write("setup.load_boundaries", lambda c, a: _checked(setup_boundaries.load_boundaries(
            c.engine, a, _township_outline(c), "乡镇.geojson", level="township")), ADMIN_ONLY),
        # The sample has every standard department already: nothing to add, so no audit row.
        Write("setup.add_standard_departments", lambda c, a: setup_departments.add_standard_departments(c.engine, a),
              ADMIN_ONLY, audited=False),
    ]

# The catalogue as data (data_access/catalogue): indicators, point types, facility kinds, presets.
from data_access.catalogue import apply_preset
from data_access.catalogue import edit as catalogue_edit


def _new_rule_indicator(c: Ctx, a: Actor | None) -> Any:
    return catalogue_edit.create_indicator(
        c.engine, a, f"office_share_{c.n()}", "registry", name_zh=f"机关心理服务室覆盖率{c.n()}", name_en="Offices",
        rule={"type": "share", "unit": "township", "point_types": ["office_room"]})


def _fresh_indicator(c: Ctx) -> int:
    return _new_rule_indicator(c, SETUP)


WRITES += [
    Write("catalogue.create_indicator", _new_rule_indicator, ADMIN_ONLY),
    Write("catalogue.edit_indicator", lambda c, a: catalogue_edit.edit_indicator(
        c.engine, a, c.ids["smd_managed"], unit=f"人{c.n() % 7}"), ADMIN_ONLY),
    Write("catalogue.retire_indicator", lambda c, a: catalogue_edit.retire_indicator(c.engine, a, c.ids["prepared"]),
          ADMIN_ONLY, prepare=_fresh_indicator),
    Write("catalogue.restore_indicator", lambda c, a: catalogue_edit.restore_indicator(c.engine, a, c.ids["prepared"]),
          ADMIN_ONLY, prepare=lambda c: (lambda i: (catalogue_edit.retire_indicator(c.engine, SETUP, i), i)[1])(
              _fresh_indicator(c))),
    Write("catalogue.move_indicator", lambda c, a: catalogue_edit.move_indicator(
        c.engine, a, c.ids["smd_managed"], 1 if c.n() % 2 else -1), ADMIN_ONLY),
    Write("catalogue.save_point_type", lambda c, a: catalogue_edit.save_point_type(
        c.engine, a, code=f"own_type_{c.n()}", name_zh=f"自设阵地{c.n()}", name_en=f"Own type {c.n()}"), ADMIN_ONLY),
    Write("catalogue.retire_point_type", lambda c, a: catalogue_edit.retire_point_type(c.engine, a, c.ids["prepared"]),
          ADMIN_ONLY, prepare=lambda c: catalogue_edit.save_point_type(
              c.engine, SETUP, code=f"temp_type_{c.n()}", name_zh=f"临时阵地{c.n()}", name_en=f"Temp {c.n()}")),
    Write("catalogue.save_facility_kind", lambda c, a: catalogue_edit.save_facility_kind(
        c.engine, a, code=f"own_kind_{c.n()}", name_zh=f"自设机构{c.n()}", name_en="Own kind", category="other"),
        ADMIN_ONLY),
    # The sample has the national-pilot catalogue; seed-003 adds its two indicators once (later calls add nothing).
    Write("catalogue.apply_preset", lambda c, a: _session_write(lambda s, actor: apply_preset(s, "seed-003", actor))(
        c, a), ADMIN_ONLY, audited=False),
]

# Other areas' write paths, included as they land in the tree.
if importlib.util.find_spec("data_access.registry") is not None:
    from data_access import registry

    def _new_point(c: Ctx) -> dict[str, Any]:
        return dict(type="grid_point", name_zh=f"网格服务点{c.n()}", name_en="Grid point",
                    township=c.ids["township_code"], status="active", opened_on=dt.date(2026, 1, 5),
                    staff_full=1, staff_part=0)

    WRITES += [
        Write("registry.add_point", lambda c, a: _session_write(registry.add_point)(c, a, _new_point(c)),
              ADMIN_ONLY),
        Write("registry.edit_point", lambda c, a: _session_write(registry.edit_point)(
            c, a, c.ids["point"], {"staff_part": c.n() + 100}), ADMIN_ONLY),
        Write("registry.add_points", lambda c, a: _session_write(registry.add_points)(
            c, a, [_new_point(c), _new_point(c)]), ADMIN_ONLY),
        Write("registry.retire_point", lambda c, a: _session_write(registry.retire_point)(
            c, a, c.ids["prepared"], dt.date(2026, 11, 1)), ADMIN_ONLY,
            prepare=lambda c: _session_write(registry.add_point)(c, SETUP, _new_point(c)).id),
    ]

if importlib.util.find_spec("data_access.ingest.commit") is not None:
    from data_access.ingest import commit as ingest_commit
    from data_access.ingest.spec import build_spec
    from data_access.ingest.templates import write_template

    def _upload(c: Ctx, a: Actor | None) -> Any:
        """A correctly filled health sheet for 2026Q3, different each time (a new version)."""
        with session_scope(c.engine) as s:
            spec = build_spec(s, "health", "2026Q3")
        n = c.n()
        values = {e.code: {"smd_managed:num": 30 + i + n % 20, "smd_managed:den": 50 + i,
                           "rehab_participation:num": 20 + i, "rehab_participation:den": 40 + i,
                           "mh_records:num": 5000 + 10 * i, "mh_records:den": 10000 + 10 * i}
                  for i, e in enumerate(spec.entities)}
        _, result = ingest_commit.ingest(c.engine, a, write_template(spec, values=values), "health-2026Q3.xlsx",
                                         "health", "2026Q3", today=dt.date(2026, 11, 23))
        assert result.status == ingest_commit.ACCEPTED, result
        return result

    WRITES.append(Write("ingest.upload (health, 2026Q3)", _upload, UPLOADERS))

if importlib.util.find_spec("data_access.ingest.reference") is not None:
    from data_access.ingest import reference

    def _import_sheet(kind: str) -> Callable[[Ctx, Actor | None], Any]:
        """The downloaded list with one cell changed (a new value each call), checked and committed
        as the actor: the check and the commit each refuse a role that may not import."""
        def call(c: Ctx, a: Actor | None) -> Any:
            import io

            import openpyxl

            with session_scope(c.engine) as s:
                data = reference.template(s, SETUP, kind)[1]
            wb = openpyxl.load_workbook(io.BytesIO(data))
            ws = wb.worksheets[1]
            header = [cell.value for cell in ws[reference.HEADER_ROW]]
            column = header.index("备注" if kind == reference.SERVICE_POINTS else "别名")
            ws.cell(row=reference.HEADER_ROW + 1, column=column + 1, value=f"导入{c.n()}")
            buf = io.BytesIO()
            wb.save(buf)
            with session_scope(c.engine) as s:
                preview = reference.check_import(s, a, kind, buf.getvalue(), "import.xlsx",
                                                 today=dt.date(2026, 11, 23))
            result = reference.commit_import(c.engine, a, preview, today=dt.date(2026, 11, 23))
            assert result.status == "accepted", (result, [p.as_dict() for p in preview.errors])
            return result
        return call

    WRITES += [Write(f"reference.import ({kind})", _import_sheet(kind), ADMIN_ONLY) for kind in reference.KINDS]


# Steering follow-up (issue 16): tasks, meeting records, comments.
from data_access import comments as comments_da  # noqa: E402
from data_access import meetings as meetings_da  # noqa: E402
from data_access import tasks as tasks_da  # noqa: E402

TASK_CREATORS = frozenset({"admin", "leader"})
TASK_REPORTERS = frozenset({"admin", "leader", "liaison_own"})


def _in_a_month() -> dt.date:
    return dt.date.today() + dt.timedelta(days=30)


def _health_task(c: Ctx) -> int:
    return tasks_da.create_task(c.engine, SETUP, title=f"督办{c.n()}", department_id=c.ids["health"],
                                deadline=_in_a_month())


def _done_task(c: Ctx) -> int:
    task_id = _health_task(c)
    tasks_da.add_progress(c.engine, SETUP, task_id, note="完成", done=True)
    return task_id


def _free_warning(c: Ctx) -> Any:
    from data_access import indicators as ix
    from data_access import warnings as warn

    with session_scope(c.engine) as s:
        for f in warn.early_warnings(s, ix.period_by_code(s, "2026Q3")):
            if tasks_da.task_for_warning(s, tasks_da.warning_ref(f.kind, f.region_code, f.indicator, "2026Q3")) is None:
                return f
    raise AssertionError("no warning left without a task")


def _decision(c: Ctx) -> int:
    meeting_id = meetings_da.record_meeting(c.engine, SETUP, held_on=dt.date.today(), kind="joint",
                                            department_codes=["health"], topics="议题", decisions=[f"决定{c.n()}"])
    with session_scope(c.engine) as s:
        return s.get(m.Meeting, meeting_id).decisions[0].id


def _leaders_comment(c: Ctx) -> int:
    return comments_da.add_comment(c.engine, _actor(c.engine, "leader"), indicator_code="smd_managed",
                                   region_code=c.ids["township_code"], period_code="2026Q3", text=f"批注{c.n()}")


WRITES += [
    Write("tasks.create_task", lambda c, a: tasks_da.create_task(
        c.engine, a, title=f"督办任务{c.n()}", department_id=c.ids["health"], deadline=_in_a_month(),
        township_id=c.ids["township"], indicator_id=c.ids["smd_managed"]), TASK_CREATORS),
    Write("tasks.create_task_from_warning", lambda c, a: tasks_da.create_task_from_warning(
        c.engine, a, kind=c.ids["prepared"].kind, region_code=c.ids["prepared"].region_code,
        indicator_code=c.ids["prepared"].indicator, period_code="2026Q3", title="核查预警",
        department_id=c.ids["health"], deadline=_in_a_month()), TASK_CREATORS, prepare=_free_warning),
    Write("tasks.add_progress", lambda c, a: tasks_da.add_progress(
        c.engine, a, c.ids["prepared"], note=f"进展{c.n()}", file_name="佐证.pdf", file_bytes=b"%PDF-1.4 x"),
        TASK_REPORTERS, prepare=_health_task),
    Write("tasks.reopen_task", lambda c, a: tasks_da.reopen_task(c.engine, a, c.ids["prepared"], reason="未完成"),
          TASK_CREATORS, prepare=_done_task),
    Write("meetings.record_meeting", lambda c, a: meetings_da.record_meeting(
        c.engine, a, held_on=dt.date.today(), kind="leading_group", department_codes=["health", "education"],
        topics=f"议题{c.n()}", decisions=["决定一", "决定二"]), TASK_CREATORS),
    Write("meetings.decision_to_task", lambda c, a: meetings_da.decision_to_task(
        c.engine, a, c.ids["prepared"], department_id=c.ids["health"], deadline=_in_a_month()),
        TASK_CREATORS, prepare=_decision),
    Write("comments.add_comment", lambda c, a: comments_da.add_comment(
        c.engine, a, indicator_code="smd_managed", region_code=c.ids["township_code"], period_code="2026Q3",
        text=f"已约谈{c.n()}"), TASK_CREATORS),
    # The leader's own comment: the leader may withdraw it, an administrator any.
    Write("comments.withdraw_comment", lambda c, a: comments_da.withdraw_comment(c.engine, a, c.ids["prepared"]),
          TASK_CREATORS, prepare=_leaders_comment),
]

# Quarter sign-off (data_access/approval.py): 2026Q1 is approved and unlocked back and forth.
from data_access import approval  # noqa: E402

_SIGN_OFF = "2026Q1"


def _pending(c: Ctx) -> None:
    with session_scope(c.engine) as s:
        locked = approval.lock_of(s, approval._period(s, _SIGN_OFF).id)
    if locked:
        approval.unlock(c.engine, SETUP, _SIGN_OFF, "准备测试：解锁")


def _approved(c: Ctx) -> None:
    with session_scope(c.engine) as s:
        locked = approval.lock_of(s, approval._period(s, _SIGN_OFF).id)
    if not locked:
        approval.approve(c.engine, SETUP, _SIGN_OFF, today=dt.date(2026, 11, 23))


WRITES += [
    Write("approval.approve", lambda c, a: approval.approve(c.engine, a, _SIGN_OFF, today=dt.date(2026, 11, 23)),
          ADMIN_ONLY, prepare=_pending),
    Write("approval.unlock", lambda c, a: approval.unlock(c.engine, a, _SIGN_OFF, f"测试解锁理由{c.n()}"),
          ADMIN_ONLY, prepare=_approved),
]

# Assessment (data_access/assessment/schemes.py): the office defines schemes, leaders adjust scores.
from data_access.assessment import schemes as assessment  # noqa: E402
from sample_data.generate import SAMPLE_TOWNSHIP_ITEMS  # noqa: E402

_COPY_YEARS = itertools.count(2030)   # each allowed copy starts a year nobody has yet

WRITES += [
    Write("schemes.save_scheme", lambda c, a: assessment.save_scheme(
        c.engine, a, 2025, "township", SAMPLE_TOWNSHIP_ITEMS, name_zh=f"乡镇考核{c.n()}"), ADMIN_ONLY),
    Write("schemes.copy_scheme", lambda c, a: assessment.copy_scheme(c.engine, a, 2025, next(_COPY_YEARS), "township"),
          ADMIN_ONLY),
    Write("schemes.add_adjustment", lambda c, a: assessment.add_adjustment(
        c.engine, a, 2025, "township", c.ids["township_code"], 1.5, f"加分理由{c.n()}"), frozenset({"admin", "leader"})),
]


@pytest.fixture(scope="module", params=BACKENDS)
def county(request: pytest.FixtureRequest, databases) -> Ctx:  # noqa: ANN001
    """One sample county per backend for the whole matrix (each case leaves valid data behind)."""
    engine = databases.new(request.param)
    generate(engine)
    with session_scope(engine) as s:
        dept = {d.code: d.id for d in s.scalars(select(m.Department))}
        town = s.scalars(select(m.Region).where(m.Region.level == "township").order_by(m.Region.code)).first()
        ids: dict[str, Any] = dict(
            health=dept["health"], township=town.id, township_code=town.code,
            smd_managed=s.scalar(select(m.Indicator.id).where(m.Indicator.code == "smd_managed")),
            **{"2026Q3": s.scalar(select(m.Period.id).where(m.Period.code == "2026Q3"))},
            point=s.scalar(select(m.ServicePoint.id).where(m.ServicePoint.retired_on.is_(None),
                                                           m.ServicePoint.type == "grid_point")
                           .order_by(m.ServicePoint.id)),
        )
    ids["target_user"] = users.create_user(engine, SETUP, username="target_user", display_name="被管理账号",
                                           role="leader", department_id=None, password="Target-pass-1")
    return Ctx(engine, ids, itertools.count(1))


def fingerprint(engine: Engine) -> dict[str, Any]:
    """Everything a write could change: row counts of every table and the content of the small ones."""
    out: dict[str, Any] = {"version": data_version(engine)}
    with session_scope(engine) as s:
        for table in m.Base.metadata.sorted_tables:
            out[f"count:{table.name}"] = s.scalar(select(func.count()).select_from(table))
        for model, cols in ((m.User, None), (m.UserSession, None), (m.Department, None), (m.Target, None),
                            (m.Period, None), (m.Indicator, None), (m.Setting, None), (m.ServicePoint, None),
                            (m.Task, None), (m.Comment, None),
                            (m.QuarterApproval, None),
                            (m.AssessmentScheme, None), (m.AssessmentItem, None),
                            (m.Region, ("id", "name_zh", "name_en", "aliases", "retired_on"))):
            columns = [c for c in model.__table__.columns if cols is None or c.name in cols]
            out[model.__tablename__] = sorted(
                (tuple(str(v) for v in row) for row in s.execute(select(*columns))), key=str)
    return out


def _actor(engine: Engine, who: str) -> Actor | None:
    if who == "anonymous":
        return None
    with session_scope(engine) as s:
        u = s.scalar(select(m.User).where(m.User.username == USERNAMES[who]))
        return Actor(u.id, u.username, u.role, u.department_id)


def _audit_rows(engine: Engine) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(m.AuditEntry))


@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.name)
def test_write_matrix(county: Ctx, write: Write) -> None:
    outcome: dict[str, str] = {}
    for who in ACTORS:
        actor = _actor(county.engine, who)
        if write.prepare:
            county.ids["prepared"] = write.prepare(county)
        before, audits = fingerprint(county.engine), _audit_rows(county.engine)
        try:
            write.call(county, actor)
            outcome[who] = "ok"
            if write.audited:
                assert _audit_rows(county.engine) > audits, f"{write.name} as {who}: no audit row"
        except PermissionDenied as exc:
            outcome[who] = "denied"
            assert exc.key in ("access.denied", "access.signed_out", "access.other_department", "access.other_department_task")
            assert fingerprint(county.engine) == before, f"{write.name} as {who} changed something"
    assert {w for w, r in outcome.items() if r == "ok"} == set(write.allowed), outcome


# Functions with (engine, actor) that are not permission-checked writes, and why.
NOT_IN_MATRIX: dict[str, str] = {}


def test_matrix_covers_every_write_function() -> None:
    """A write function added to users/admin must be added to WRITES (or this fails)."""
    import inspect

    covered = {w.name.split(" ")[0] for w in WRITES} | set(NOT_IN_MATRIX)
    for module in (users, admin, tasks_da, meetings_da, comments_da, approval, assessment):
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ != module.__name__ or name.startswith("_"):
                continue
            params = list(inspect.signature(fn).parameters)
            if params[:2] == ["engine", "actor"]:
                assert f"{module.__name__.split('.')[-1]}.{name}" in covered, name


def test_permission_rules() -> None:
    health, education = 2, 3
    liaison = Actor(5, "liaison_health", "liaison", health)
    assert allowed(liaison, "submission.upload", health)
    assert not allowed(liaison, "submission.upload", education)
    assert not allowed(Actor(6, "nodept", "liaison", None), "submission.upload", None)
    assert allowed(Actor(1, "admin", "admin"), "submission.upload", education)
    with pytest.raises(PermissionDenied) as other:
        require(liaison, "submission.upload", education)
    assert other.value.key == "access.other_department"
    with pytest.raises(PermissionDenied) as nobody:
        require(None, "audit.read")
    assert nobody.value.key == "access.signed_out"
    for action, roles in PERMISSIONS.items():
        assert not allowed(Actor(9, "x", "display"), action) or action in (
            "briefing.export", "account.change_password", "account.sign_out"), action
        assert "admin" in roles, action
