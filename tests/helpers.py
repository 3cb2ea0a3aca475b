"""Helpers the tests import (conftest holds the fixtures)."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def open_page(page: str | None = None, lang: str = "zh", query: dict | None = None, state: dict | None = None,
              timeout: float = 30):
    """Run the app with AppTest, as a browser would open it, and return the AppTest after the first run.

    page: a file under pages/ (the app's default page when None); state: extra session_state, e.g. a
    signed-in user set by the auth tests.
    """
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).parent.parent / "app.py"), default_timeout=timeout)
    at.session_state["lang"] = lang
    for key, value in (state or {}).items():
        at.session_state[key] = value
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at


def settle(page, quiet: float = 2.0, timeout: float = 60.0) -> None:  # noqa: ANN001
    """Wait until the app in a Playwright page has finished running (see FIELD-NOTES)."""
    import time

    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout * 1000)
    deadline, since = time.time() + timeout, None
    while time.time() < deadline:
        busy = page.query_selector('[data-testid="stStatusWidget"]') or page.query_selector('[data-testid="stSkeleton"]')
        since = None if busy else (since or time.time())
        if since and time.time() - since >= quiet:
            return
        time.sleep(0.2)
    raise AssertionError(f"{page.url}: the app kept running for too long")


def upload(page, path, until) -> None:  # noqa: ANN001
    """Put a file into the page's file uploader, wait for `until` (a Playwright locator), then idle."""
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    until.wait_for(timeout=30_000)
    settle(page, quiet=1.5)


def open_path(page, base_url: str, path: str = "", quiet: float = 2.0) -> None:  # noqa: ANN001
    """Go to base_url/path in a Playwright page and wait until the app is idle."""
    page.goto(f"{base_url}/{path}")
    settle(page, quiet)


# Demo accounts of the sample database (created by data_access.users.seed_demo_users).
DEMO_USERS = {
    "admin": dict(username="admin", role="admin", department_code=None),
    "leader": dict(username="leader", role="leader", department_code=None),
    "liaison": dict(username="liaison_health", role="liaison", department_code="health"),
    "display": dict(username="display", role="display", department_code=None),
}


def signed_in(engine, role: str = "leader", username: str | None = None) -> dict:  # noqa: ANN001
    """session_state for open_page(state=...) as if that demo user had signed in."""
    from sqlalchemy import select

    from data_access import models as m
    from data_access.db import session_scope

    username = username or DEMO_USERS[role]["username"]
    with session_scope(engine) as s:
        user = s.scalar(select(m.User).where(m.User.username == username))
        if user is None:
            raise LookupError(f"no user {username} in the test database (seed_demo_users not run?)")
        dept = user.department.code if user.department else None
        return {"user": dict(id=user.id, username=user.username, display_name=user.display_name, role=user.role,
                             department_id=user.department_id, department_code=dept)}


@contextmanager
def cheap_password_hashing() -> Iterator[None]:
    """Cheap argon2 parameters in tests (the real ones cost ~0.1–0.5 s a hash, on purpose)."""
    import pytest
    from argon2 import PasswordHasher

    from data_access import users

    with pytest.MonkeyPatch.context() as mp:
        cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        mp.setattr(users, "_hasher", cheap)
        mp.setattr(users, "_DUMMY_HASH", cheap.hash("not-a-password-of-anyone"))
        yield


def youth_station_county(engine, retire: tuple[str, ...] = ("room_coverage", "school_rooms")) -> list[str]:  # noqa: ANN001
    """The sample county made its own: a new point type 青少年心理驿站 with a station in the first five
    villages of 北山乡 since 2025-01-01, the share rule youth_villages (村（社区）青少年心理驿站覆盖率)
    on it, and the sample's room_coverage / school_rooms retired. Returns the five village codes."""
    import datetime as dt

    from sqlalchemy import select

    from data_access import models as m
    from data_access.access import Actor
    from data_access.catalogue import edit
    from data_access.db import bump_data_version, session_scope

    admin = Actor(None, "test-admin", "admin")
    edit.save_point_type(engine, admin, code="youth_station", name_zh="青少年心理驿站", name_en="Youth station")
    with session_scope(engine) as s:
        retired = list(s.scalars(select(m.Indicator.id).where(m.Indicator.code.in_(retire))))
        beishan = s.scalar(select(m.Region).where(m.Region.code == "990101001"))
        villages = list(s.scalars(select(m.Region).where(m.Region.parent_id == beishan.id, m.Region.level == "village")
                                  .order_by(m.Region.code)))[:5]
        for n, v in enumerate(villages):
            s.add(m.ServicePoint(code=f"YS{n}", type="youth_station", name_zh=f"驿站{n}", name_en=f"Station {n}",
                                 region_id=v.id, opened_on=dt.date(2025, 1, 1)))
        codes = [v.code for v in villages]
        bump_data_version(s)
    for ind_id in retired:
        edit.retire_indicator(engine, admin, ind_id)
    edit.create_indicator(engine, admin, "youth_villages", "registry", name_zh="村（社区）青少年心理驿站覆盖率",
                          name_en="Villages with a youth station", unit="%",
                          rule={"type": "share", "unit": "village", "point_types": ["youth_station"]})
    return codes
