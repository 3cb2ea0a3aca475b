"""Sign-in throttling as an attacker meets it, on SQLite and PostgreSQL: parallel guesses, locking
the real user out, telling real names from unknown ones, and the cost of each attempt."""
from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import Engine, select

from data_access import models as m
from data_access import users
from data_access.access import Actor
from data_access.db import session_scope

NOW = dt.datetime(2026, 11, 23, 9, 0)
ATTACKER, DESK, NEW_PC = "10.9.9.66", "10.1.2.5", "10.1.7.40"

pytestmark = pytest.mark.usefixtures("fast_hashing")


def _row(engine: Engine, key: str) -> m.SignInThrottle | None:
    with session_scope(engine) as s:
        row = s.get(m.SignInThrottle, key)
        if row is not None:
            s.expunge(row)
        return row


def _admin(engine: Engine) -> Actor:
    with session_scope(engine) as s:
        u = s.scalar(select(m.User).where(m.User.username == "admin"))
        return Actor(u.id, u.username, u.role)


class _CountedChecks:
    """Wraps the password check: counts calls, makes each take ~100 ms like the real argon2, and
    records how many ran at the same time."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, seconds: float = 0.1) -> None:
        self.calls = 0
        self.running = 0
        self.most = 0
        self.lock = threading.Lock()
        real = users._hasher
        counter = self

        class Slow:
            def verify(self, stored: str, password: str) -> bool:
                with counter.lock:
                    counter.calls += 1
                    counter.running += 1
                    counter.most = max(counter.most, counter.running)
                try:
                    time.sleep(seconds)
                    return real.verify(stored, password)
                finally:
                    with counter.lock:
                        counter.running -= 1

            def __getattr__(self, name: str):  # noqa: ANN204
                return getattr(real, name)

        monkeypatch.setattr(users, "_hasher", Slow())


def _parallel(n: int, fn) -> list:  # noqa: ANN001
    results: list = [None] * n
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = fn(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def test_parallel_guesses_cannot_slip_past_the_count(county: Engine, monkeypatch) -> None:
    """16 guesses at once: only as many passwords are checked as the limit allows, then everyone
    waits (the count is taken, under a row lock, before each check)."""
    checks = _CountedChecks(monkeypatch)
    results = _parallel(16, lambda i: users.authenticate(county, "leader", f"guess-{i:03d}", now=NOW))
    assert all(not r.ok for r in results)
    assert checks.calls <= 5, f"{checks.calls} passwords checked for a limit of 5"
    assert sum(r.error == "auth.err.locked" for r in results) >= 11
    row = _row(county, "name:leader")
    assert row.failures == 5 and row.blocked_until == NOW + dt.timedelta(minutes=15)
    # The right password is refused while the wait runs, without a password check.
    before = checks.calls
    assert users.authenticate(county, "leader", users.DEMO_PASSWORD, now=NOW).error == "auth.err.locked"
    assert checks.calls == before


def test_unknown_and_real_names_get_the_same_answers(county: Engine) -> None:
    """A stranger cannot tell from the answers (nor from the lock) which usernames exist."""
    def answers(name: str, client: str) -> list[tuple]:
        out = []
        for i in range(8):
            r = users.authenticate(county, name, f"wrong-pass-{i}", now=NOW + dt.timedelta(seconds=i), client=client)
            out.append((r.ok, r.error, r.values))
        return out

    real, unknown = answers("leader", "10.0.0.1"), answers("leaderr", "10.0.0.2")
    assert real == unknown
    assert real[4][1] == "auth.err.now_locked" and real[5][1] == "auth.err.locked"


def test_an_attacker_cannot_keep_the_real_user_out(county: Engine) -> None:
    """The admin signed in from the desk PC before. An attacker elsewhere guesses all day, as fast
    as the waits allow: the admin still signs in from the desk every time; from a PC the account
    has never used the wait applies, and an administrator's unlock lifts it."""
    assert users.authenticate(county, "admin", users.DEMO_PASSWORD, now=NOW, client=DESK).ok
    t, refused_at_desk, waits = NOW, 0, []
    while t < NOW + dt.timedelta(days=1):
        r = users.authenticate(county, "admin", "guess-guess", now=t, client=ATTACKER)
        if r.error in ("auth.err.now_locked", "auth.err.locked"):
            waits.append(r.values["minutes"])
        desk = users.authenticate(county, "admin", users.DEMO_PASSWORD, now=t + dt.timedelta(seconds=5), client=DESK)
        refused_at_desk += not desk.ok
        t += dt.timedelta(minutes=waits[-1] if waits else 0, seconds=30)
    assert refused_at_desk == 0
    # The attacker's waits grow: 15, 30, 60 ... minutes, so a day holds only a handful of guesses.
    firsts = [w for w in waits if w >= 15]
    assert firsts[:4] == [15, 30, 60, 120], waits
    guesses = _row(county, f"client:{ATTACKER}").failures
    assert guesses < 20, guesses
    from data_access import throttle

    # Guesses from five more machines make the name itself wait: from a PC the admin never used,
    # that wait applies ...
    for i in range(5):
        users.authenticate(county, "admin", "guess-guess", now=t, client=f"10.9.8.{i}")
    with session_scope(county) as s:
        assert "admin" in throttle.blocked_names(s, t)
    new_pc = users.authenticate(county, "admin", users.DEMO_PASSWORD, now=t, client=NEW_PC)
    assert not new_pc.ok and new_pc.error == "auth.err.locked"
    # ... until another administrator lifts it (the list of users shows the account as locked).
    second = users.create_user(county, _admin(county), username="admin2", display_name="第二管理员", role="admin",
                               department_id=None, password="Second-admin-1")
    with session_scope(county) as s:
        assert next(u for u in users.list_users(s, now=t) if u["username"] == "admin")["locked"]
    users.unlock(county, Actor(second, "admin2", "admin"), _admin(county).user_id)
    assert users.authenticate(county, "admin", users.DEMO_PASSWORD, now=t, client=NEW_PC).ok


def test_a_client_guessing_many_names_must_wait_and_costs_no_hash(county: Engine, monkeypatch) -> None:
    checks = _CountedChecks(monkeypatch, seconds=0)
    for i in range(20):
        users.authenticate(county, f"name{i:02d}", "guess-guess", now=NOW, client=ATTACKER)
    assert checks.calls == 20
    # The 21st attempt from that client waits, whatever the name (even a real one, right password).
    r = users.authenticate(county, "display", users.DEMO_PASSWORD, now=NOW, client=ATTACKER)
    assert not r.ok and r.error == "auth.err.locked" and checks.calls == 20
    # Other clients are not concerned.
    assert users.authenticate(county, "display", users.DEMO_PASSWORD, now=NOW, client=DESK).ok


def test_an_office_behind_one_address_keeps_its_leaders_in(county: Engine) -> None:
    """Twenty typos from the office's NAT address make that address wait, but a leader who has signed
    in from it before still gets in; a name never seen from it waits; the known pair's own failures
    still lock it."""
    office = "203.0.113.7"
    assert users.authenticate(county, "leader", users.DEMO_PASSWORD, now=NOW, client=office).ok
    for i in range(20):
        users.authenticate(county, f"colleague{i:02d}", "typo-typo", now=NOW, client=office)
    later = NOW + dt.timedelta(minutes=1)
    assert users.authenticate(county, "leader", users.DEMO_PASSWORD, now=later, client=office).ok
    stranger = users.authenticate(county, "display", users.DEMO_PASSWORD, now=later, client=office)
    assert not stranger.ok and stranger.error == "auth.err.locked"
    for i in range(5):
        users.authenticate(county, "leader", "wrong-pass", now=later + dt.timedelta(seconds=i), client=office)
    held = users.authenticate(county, "leader", users.DEMO_PASSWORD, now=later + dt.timedelta(seconds=9), client=office)
    assert not held.ok and held.error == "auth.err.locked"


def test_waits_grow_and_a_success_starts_afresh(county: Engine) -> None:
    t = NOW
    for _ in range(5):
        users.authenticate(county, "leader", "wrong-pass", now=t, client=DESK)
    assert _row(county, "name:leader").blocked_until == t + dt.timedelta(minutes=15)
    t += dt.timedelta(minutes=15, seconds=1)
    r = users.authenticate(county, "leader", "wrong-pass", now=t, client=DESK)
    assert r.error == "auth.err.now_locked" and r.values == {"minutes": 30}
    t += dt.timedelta(minutes=30, seconds=1)
    assert users.authenticate(county, "leader", users.DEMO_PASSWORD, now=t, client=DESK).ok
    row = _row(county, "name:leader")
    assert row.failures == 0 and row.blocked_until is None
    # A day without failures forgets old ones.
    for _ in range(4):
        users.authenticate(county, "display", "wrong-pass", now=t, client=DESK)
    later = t + dt.timedelta(days=1, minutes=1)
    assert users.authenticate(county, "display", "wrong-pass", now=later, client=DESK).error == "auth.err.wrong_credentials"


def test_at_most_a_few_password_hashes_run_at_once(county: Engine, monkeypatch) -> None:
    """Each argon2 check holds 64 MiB: 24 simultaneous sign-ins from 24 clients queue for the
    process's hash slots instead of taking ~1.5 GB."""
    checks = _CountedChecks(monkeypatch, seconds=0.05)
    results = _parallel(24, lambda i: users.authenticate(county, f"user{i}", "guess-guess", now=NOW,
                                                          client=f"10.0.{i}.1"))
    assert checks.calls == 24 and all(r.error == "auth.err.wrong_credentials" for r in results)
    assert checks.most <= users.HASH_SLOTS == 2


def test_a_hash_slot_that_never_frees_gives_a_busy_message_and_no_count(county: Engine, monkeypatch) -> None:
    monkeypatch.setattr(users, "HASH_WAIT_SECONDS", 0.05)
    for _ in range(users.HASH_SLOTS):
        users._hash_slots.acquire()
    try:
        r = users.authenticate(county, "leader", users.DEMO_PASSWORD, now=NOW, client=DESK)
    finally:
        for _ in range(users.HASH_SLOTS):
            users._hash_slots.release()
    assert not r.ok and r.error == "auth.err.busy"
    assert _row(county, "name:leader").failures == 0
