"""The reporting database: SQLAlchemy 2.0 typed models.

Aggregates only. No table here ever holds a person's record: observations are counts
per area and period, service points are places, users are staff accounts.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


# Region levels, from the top of a deployment down. A county deployment's root is a county;
# a province data set adds province and city above it.
LEVELS = ("province", "city", "county", "township", "village")
# Township-level kinds: 镇 / 乡 / 街道 / 园区 (an industrial park is administered like a township).
TOWNSHIP_KINDS = ("town", "township", "street", "park")

# The standard service-point types (the point_types table holds a deployment's own list, these
# included: an administrator adds, renames and retires types and edits their import aliases).
SERVICE_POINT_TYPES = (
    "county_centre",        # 县级社会心理服务中心
    "township_station",     # 乡镇(街道)社会心理服务站
    "village_room",         # 村(社区)心理咨询室
    "social_work_room",     # 村(社区)社会工作室
    "school_room",          # 中小学心理辅导室
    "hospital_clinic",      # 医院心理门诊
    "police_room",          # 公安心理服务室
    "petition_room",        # 信访心理服务室
    "court_room",           # 法院心理服务室
    "enterprise_station",   # 企业爱心驿站
    "grid_point",           # 网格服务点
    "hotline",              # 24小时心理援助热线
)
# The standard facility kinds (the facility_kinds table holds a deployment's own list).
FACILITY_KINDS = ("primary_school", "secondary_school", "hospital")
FACILITY_CATEGORIES = ("school", "hospital", "other")
ROLES = ("admin", "leader", "liaison", "display")
# "rate": a computed figure per population (points per 10,000 residents): neither a share nor a sum.
INDICATOR_KINDS = ("ratio", "count", "yesno", "rate")
INDICATOR_SOURCES = ("report", "registry")


class Region(Base):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(128))
    level: Mapped[str] = mapped_column(String(16), index=True)
    kind: Mapped[Optional[str]] = mapped_column(String(16))  # town/township/street/park at township level
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("regions.id"), index=True)
    # Materialised path of codes, "/P01/C0101/T010101/": descendants are a prefix match,
    # so roll-ups stay one indexed SQL query at province scale.
    path: Mapped[str] = mapped_column(String(255), index=True)
    is_urban: Mapped[bool] = mapped_column(Boolean, default=False)
    population: Mapped[Optional[int]] = mapped_column(Integer)
    centroid_lon: Mapped[Optional[float]] = mapped_column(Float)
    centroid_lat: Mapped[Optional[float]] = mapped_column(Float)
    # GeoJSON geometry (Polygon/MultiPolygon), already simplified for display.
    boundary: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    # Other spellings a liaison may type: "城关鎮", "城关", "Chengguan".
    aliases: Mapped[Optional[list[str]]] = mapped_column(JSON)
    retired_on: Mapped[Optional[dt.date]] = mapped_column(Date)

    parent: Mapped[Optional["Region"]] = relationship(remote_side=[id])


class Facility(Base):
    """A school or hospital: the denominator of school_rooms / hospital_clinics."""

    __tablename__ = "facilities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(255))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    lon: Mapped[Optional[float]] = mapped_column(Float)
    lat: Mapped[Optional[float]] = mapped_column(Float)
    # Hospitals named in the plan (county hospital, TCM hospital, ...) must all have a clinic.
    is_listed: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    closed_on: Mapped[Optional[dt.date]] = mapped_column(Date)

    region: Mapped[Region] = relationship()


class ServicePoint(Base):
    __tablename__ = "service_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    type: Mapped[str] = mapped_column(String(32), index=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(255))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    facility_id: Mapped[Optional[int]] = mapped_column(ForeignKey("facilities.id"), index=True)
    lon: Mapped[Optional[float]] = mapped_column(Float)
    lat: Mapped[Optional[float]] = mapped_column(Float)
    opened_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    # Soft delete: a retired point stays, so coverage "as of" an earlier quarter is still right.
    retired_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active / building / retired
    staff_full: Mapped[int] = mapped_column(Integer, default=0)
    staff_part: Mapped[int] = mapped_column(Integer, default=0)
    phone: Mapped[Optional[str]] = mapped_column(String(32))
    note: Mapped[Optional[str]] = mapped_column(Text)

    region: Mapped[Region] = relationship()
    facility: Mapped[Optional[Facility]] = relationship()


class PointType(Base):
    """A kind of service point (村心理咨询室, 学校心理辅导室, 机关心理服务室 ...). Data, not code: coverage
    rules name the types they count, and a county adds its own."""

    __tablename__ = "point_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(128))
    # Other names a registry sheet may use for this type ("社工室", "心理咨询室").
    aliases: Mapped[Optional[list[str]]] = mapped_column(JSON)
    # A point of this type belongs to a facility of one of these kinds (a school room to a school).
    facility_kinds: Mapped[Optional[list[str]]] = mapped_column(JSON)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    retired_on: Mapped[Optional[dt.date]] = mapped_column(Date)


class FacilityKind(Base):
    """A kind of facility (小学, 幼儿园, 乡镇卫生院 ...); category says whether the school sheet lists it."""

    __tablename__ = "facility_kinds"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(128))
    category: Mapped[str] = mapped_column(String(16), default="other")  # school / hospital / other
    aliases: Mapped[Optional[list[str]]] = mapped_column(JSON)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(128))
    # What one row of this department's quarterly sheet is about: township / school / hospital / none.
    reports_by: Mapped[str] = mapped_column(String(16), default="township")
    # Departments that owe a sheet every quarter (the rest are leading-group members without figures).
    reports_quarterly: Mapped[bool] = mapped_column(Boolean, default=True)
    liaison_name: Mapped[Optional[str]] = mapped_column(String(64))
    liaison_phone: Mapped[Optional[str]] = mapped_column(String(32))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Indicator(Base):
    __tablename__ = "indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(48), unique=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(8))  # ratio / count / yesno
    unit: Mapped[str] = mapped_column(String(16), default="")  # "%", "人", "场", ...
    owner_department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("departments.id"))
    source: Mapped[str] = mapped_column(String(16), default="report")  # report / registry
    # Finest level the figure exists at: village / township / county.
    level: Mapped[str] = mapped_column(String(16), default="township")
    # Target indicators are steered; outcome figures (people served, petitions...) are shown beside them.
    is_target: Mapped[bool] = mapped_column(Boolean, default=True)
    higher_is_better: Mapped[bool] = mapped_column(Boolean, default=True)
    # "ytd": a count whose target is per year, shown as the year-to-date sum (outreach_sessions).
    accumulate: Mapped[str] = mapped_column(String(8), default="none")
    # Urban/rural split of awareness: restrict the roll-up to urban or rural areas.
    population_filter: Mapped[Optional[str]] = mapped_column(String(8))  # urban / rural / None
    numerator_label_zh: Mapped[Optional[str]] = mapped_column(String(64))
    denominator_label_zh: Mapped[Optional[str]] = mapped_column(String(64))
    numerator_label_en: Mapped[Optional[str]] = mapped_column(String(128))
    denominator_label_en: Mapped[Optional[str]] = mapped_column(String(128))
    description_zh: Mapped[Optional[str]] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    # How a registry indicator is computed (data_access.rules): share of villages/townships/facilities
    # with a point of given types, a point exists, points per 10,000 residents, units meeting a minimum.
    rule: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    # What "change" compares with: the previous quarter, or the same quarter a year before (petitions).
    compare_with: Mapped[str] = mapped_column(String(16), default="previous")
    # Retired indicators leave the pages and templates; their observations and targets stay.
    retired_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    # A heading several indicators share (双百计划: counsellors and instructors, two targets).
    group_zh: Mapped[Optional[str]] = mapped_column(String(64))
    group_en: Mapped[Optional[str]] = mapped_column(String(128))

    owner: Mapped[Optional[Department]] = relationship()
    targets: Mapped[list["Target"]] = relationship(back_populates="indicator", order_by="Target.effective_from")


class Target(Base):
    """A target as set at a time. A new target closes the old one (effective_to) instead of overwriting it."""

    __tablename__ = "targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"), index=True)
    value: Mapped[float] = mapped_column(Float)  # ratios as a fraction 0..1; counts as a count; yes/no as 1
    comparison: Mapped[str] = mapped_column(String(2), default=">=")  # >= / <= / ==
    target_date: Mapped[dt.date] = mapped_column(Date)
    # Status "near" (接近) when the value is short of the target by at most this much
    # (ratio: fraction points, count: share of target).
    near_band: Mapped[float] = mapped_column(Float, default=0.1)
    effective_from: Mapped[dt.date] = mapped_column(Date)
    effective_to: Mapped[Optional[dt.date]] = mapped_column(Date)
    set_by: Mapped[Optional[str]] = mapped_column(String(64))
    set_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    note: Mapped[Optional[str]] = mapped_column(Text)
    # Dated steps as a plan writes them ([{"date": "2019-12-31", "value": 0.3}, ...], oldest first);
    # None: the one step (value, target_date). A quarter is judged against the next step due.
    steps: Mapped[Optional[list[dict[str, Any]]]] = mapped_column(JSON)

    indicator: Mapped[Indicator] = relationship(back_populates="targets")


class Period(Base):
    __tablename__ = "periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)  # "2026Q3"
    year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    deadline: Mapped[dt.date] = mapped_column(Date)  # sheets due by this date


class Submission(Base):
    """One uploaded workbook, kept as it came. A corrected re-upload supersedes, never deletes."""

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"), index=True)
    uploaded_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[Optional[bytes]] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))  # accepted / superseded / rejected
    superseded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("submissions.id"))
    # The normalised rows as accepted, so versions can be compared without re-reading files.
    parsed: Mapped[Optional[Any]] = mapped_column(JSON)
    problems: Mapped[Optional[Any]] = mapped_column(JSON)
    template_version: Mapped[Optional[str]] = mapped_column(String(16))

    department: Mapped[Department] = relationship()
    period: Mapped[Period] = relationship()


class Observation(Base):
    """The current accepted figure for indicator x region x period."""

    __tablename__ = "observations"
    __table_args__ = (
        UniqueConstraint("indicator_id", "region_id", "period_id", name="uq_observation"),
        Index("ix_observation_period_indicator", "period_id", "indicator_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"))
    numerator: Mapped[Optional[float]] = mapped_column(Float)
    denominator: Mapped[Optional[float]] = mapped_column(Float)
    # ratio: numerator/denominator as a fraction; count: the count; yes/no: 1 or 0.
    value: Mapped[Optional[float]] = mapped_column(Float)
    submission_id: Mapped[Optional[int]] = mapped_column(ForeignKey("submissions.id"), index=True)


class FacilityObservation(Base):
    """The current accepted figure for indicator x facility x period: an indicator reported per school
    (or other facility) on its department's per-facility sheet ("certified counsellors at this school").
    Kept apart from observations, whose rows are regions: a per-unit minimum over facilities counts
    these (data_access.rule_values.facilities_meeting)."""

    __tablename__ = "facility_observations"
    __table_args__ = (
        UniqueConstraint("indicator_id", "facility_id", "period_id", name="uq_facility_observation"),
        Index("ix_facility_observation_period_indicator", "period_id", "indicator_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"))
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"))
    value: Mapped[Optional[float]] = mapped_column(Float)     # count: the count; yes/no: 1 or 0
    submission_id: Mapped[Optional[int]] = mapped_column(ForeignKey("submissions.id"), index=True)


class QuarterApproval(Base):
    """A quarter's sign-off (审核, DHIS2-style approval) by the county office. While the latest row of a
    period is approved and not unlocked, the quarter's figures are locked: data_access.ingest refuses
    any upload for it. Rows are never deleted: an unlock fills the unlocked_* columns (with its reason),
    and approving again adds a new row, so the whole history stays readable."""

    __tablename__ = "quarter_approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"), index=True)
    approved_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    approved_by_name: Mapped[str] = mapped_column(String(64))     # as shown in the refusal message
    approved_at: Mapped[dt.datetime] = mapped_column(DateTime)
    note: Mapped[Optional[str]] = mapped_column(Text)
    # What the reviewer saw when approving: departments on time / late / missing, open warnings.
    review: Mapped[Optional[Any]] = mapped_column(JSON)
    unlocked_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    unlocked_by_name: Mapped[Optional[str]] = mapped_column(String(64))
    unlocked_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    unlock_reason: Mapped[Optional[str]] = mapped_column(Text)

    period: Mapped[Period] = relationship()


class AssessmentScheme(Base):
    """A year's assessment scheme (考核方案) for townships or for departments: what a county configures
    (items, points, rules) is data; the rule kinds are code (data_access.assessment.rules)."""

    __tablename__ = "assessment_schemes"
    __table_args__ = (UniqueConstraint("year", "subject", name="uq_assessment_scheme"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(16))         # township / department
    name_zh: Mapped[str] = mapped_column(String(128))
    note: Mapped[Optional[str]] = mapped_column(Text)
    updated_by: Mapped[Optional[str]] = mapped_column(String(64))
    updated_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)

    items: Mapped[list["AssessmentItem"]] = relationship(order_by="AssessmentItem.position",
                                                         cascade="all, delete-orphan")


class AssessmentItem(Base):
    """One scored item: what is measured (kind), its points and its scoring rule."""

    __tablename__ = "assessment_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("assessment_schemes.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))            # indicator / reporting / tasks
    indicator_code: Mapped[Optional[str]] = mapped_column(String(48))
    label_zh: Mapped[str] = mapped_column(String(128))
    label_en: Mapped[Optional[str]] = mapped_column(String(255))
    points: Mapped[float] = mapped_column(Float)
    rule: Mapped[str] = mapped_column(String(16))            # target / proportional / deduction
    # Ratios as a fraction (0.8 = 80 %), like targets. No target: the indicator's target in force.
    target: Mapped[Optional[float]] = mapped_column(Float)
    floor: Mapped[Optional[float]] = mapped_column(Float)
    deduction: Mapped[Optional[float]] = mapped_column(Float)   # points per late/missing report or late task


class AssessmentAdjustment(Base):
    """A leader's adjustment (加减分) to one township's or department's score, with its written reason.
    Never edited or deleted: a correction is another adjustment."""

    __tablename__ = "assessment_adjustments"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("assessment_schemes.id"), index=True)
    subject_code: Mapped[str] = mapped_column(String(32))    # region code / department code
    points: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_by_name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # admin / leader / liaison / display
    department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("departments.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # No longer written: sign-in throttling lives in SignInThrottle (per name, client and pair),
    # so an unknown name is treated exactly like a real one. Kept so old databases need no rewrite.
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    password_changed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)

    department: Mapped[Optional[Department]] = relationship()


class SignInThrottle(Base):
    """Failed sign-ins counted per key: "name:<username>" (real or not: an unknown name behaves
    exactly like a real one), "client:<address>" and "pair:<username>|<address or device>".
    A key with enough failures must wait (blocked_until), longer after each further failure.
    The row is locked and the attempt counted BEFORE the password is checked, so parallel
    guesses cannot slip past the count (see data_access.throttle)."""

    __tablename__ = "sign_in_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    blocked_until: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    # For a pair: when this client last signed in as this name (a client known to the account
    # is not held back by failures other clients caused on the name).
    last_success: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)


class UserSession(Base):
    """A password sign-in that lasts across reloads, tabs and shared links: the browser holds a
    random id in an HttpOnly cookie, the database only its SHA-256 (a copy of this table cannot be
    replayed as a cookie). Every app process on the database sees the same sessions. A session ends
    when revoked (sign-out, password change, reset, disabling) or idle / past its lifetime
    (data_access.user_sessions)."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    revoked_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    # sign_out / idle / password_changed / password_reset / disabled
    revoked_reason: Mapped[Optional[str]] = mapped_column(String(32))
    client: Mapped[Optional[str]] = mapped_column(String(100))   # network address at sign-in


class AuditEntry(Base):
    """Append-only: the app inserts rows and never updates or deletes them, and database triggers
    refuse UPDATE and DELETE (migration accounts_sessions_1)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    username: Mapped[Optional[str]] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(48), index=True)
    entity: Mapped[Optional[str]] = mapped_column(String(48))
    entity_id: Mapped[Optional[str]] = mapped_column(String(64))
    before: Mapped[Optional[Any]] = mapped_column(JSON)
    after: Mapped[Optional[Any]] = mapped_column(JSON)
    detail: Mapped[Optional[str]] = mapped_column(Text)


class Setting(Base):
    """Small key/value settings an admin can change (suppression thresholds, meeting next steps...)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


# ---------------------------------------------------------------- steering follow-up (issue 16):
# tasks with owners (督办), meeting records and their decisions (联席会议), comments on figures.

TASK_STATES = ("not_started", "in_progress", "done")   # stored; "overdue" is computed from the deadline
TASK_SOURCES = ("manual", "warning", "meeting")
MEETING_KINDS = ("joint", "leading_group")             # 联席会议 / 领导小组会议


class Meeting(Base):
    """A joint meeting or leading-group meeting as recorded afterwards: who was there, what was
    discussed and what was decided (each decision can become a task)."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[dt.date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # Department codes present (codes, not ids: a record stays readable if a department is renamed).
    departments_present: Mapped[Optional[list[str]]] = mapped_column(JSON)
    topics: Mapped[Optional[str]] = mapped_column(Text)
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)

    decisions: Mapped[list["MeetingDecision"]] = relationship(back_populates="meeting", order_by="MeetingDecision.seq")


class MeetingDecision(Base):
    __tablename__ = "meeting_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)

    meeting: Mapped[Meeting] = relationship(back_populates="decisions")


class Task(Base):
    """A steering task (督办事项): what must be done, by which department, by when."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    detail: Mapped[Optional[str]] = mapped_column(Text)
    owner_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    township_id: Mapped[Optional[int]] = mapped_column(ForeignKey("regions.id"))
    indicator_id: Mapped[Optional[int]] = mapped_column(ForeignKey("indicators.id"))
    deadline: Mapped[dt.date] = mapped_column(Date, index=True)
    state: Mapped[str] = mapped_column(String(16), default="not_started")
    source: Mapped[str] = mapped_column(String(16), default="manual")
    # A warning's "kind|region code|indicator|period", so the same warning is not turned into two tasks.
    source_ref: Mapped[Optional[str]] = mapped_column(String(120), index=True)
    decision_id: Mapped[Optional[int]] = mapped_column(ForeignKey("meeting_decisions.id"), unique=True)
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    completed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)

    owner: Mapped[Department] = relationship()
    township: Mapped[Optional[Region]] = relationship()
    indicator: Mapped[Optional[Indicator]] = relationship()
    decision: Mapped[Optional[MeetingDecision]] = relationship()
    progress: Mapped[list["TaskProgress"]] = relationship(back_populates="task", order_by="TaskProgress.at")


class TaskProgress(Base):
    """A progress note on a task, optionally with one evidence file kept as it came (bytes + sha256),
    like a submission: never opened, parsed or run by the server."""

    __tablename__ = "task_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    username: Mapped[Optional[str]] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    state_after: Mapped[str] = mapped_column(String(16))
    file_name: Mapped[Optional[str]] = mapped_column(String(255))
    file_content: Mapped[Optional[bytes]] = mapped_column(LargeBinary)
    file_sha256: Mapped[Optional[str]] = mapped_column(String(64))
    file_size: Mapped[Optional[int]] = mapped_column(Integer)

    task: Mapped[Task] = relationship(back_populates="progress")


class Comment(Base):
    """A leader's short comment on a figure: indicator x area x quarter ("已约谈北山乡")."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comment_period_indicator", "period_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"))
    text: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    username: Mapped[Optional[str]] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # Withdrawn comments stay (the trail and the record agree); they are no longer shown.
    withdrawn_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
