"""How often someone may try a password: counted failures per name, per client and per
(name, client) pair, each with waits that grow after every further failure.

Why three keys:
- per name ("name:<username>"): guesses at one account from anywhere are slowed down. The key is
  the typed name, whether such an account exists or not, so an unknown name and a real one behave
  exactly alike and the answers never tell a stranger which usernames exist;
- per client ("client:<address>"): one machine guessing at many names is slowed down too, and its
  attempts stop costing a password hash once it must wait. A known pair (below) is not held back by
  it: an office behind one NAT address is one client, and its typos must not lock out its leaders;
- per pair ("pair:<username>|<client>"): a client that has signed in as this name before (within
  `security.trusted_days`) is not held back by the failures other clients caused on the name, only
  by its own. So an attacker elsewhere cannot keep the real user out; an administrator can lift
  every wait of an account at once (users.unlock, also done by a password reset).

The rows involved are locked, and the attempt is counted as a failure, BEFORE the password is
checked; a correct password then takes the count back. Parallel guesses therefore cannot all pass
between a read and a write of the count.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from data_access.models import SignInThrottle

# A key's failures are forgotten after a day without a new one (a typo last week does not count).
RESET_AFTER = dt.timedelta(hours=24)
# The longest wait, however many failures (the growth doubles the wait each time).
MAX_WAIT_MINUTES = 24 * 60
NO_CLIENT = "-"  # the command line, tests, or a server that cannot see the address


def normal_name(username: str) -> str:
    """The name as counted: case and surrounding spaces do not make a new key."""
    return (username or "").strip().lower()[:64]


def name_key(username: str) -> str:
    return f"name:{normal_name(username)}"


def client_key(client: str | None) -> str:
    return f"client:{(client or NO_CLIENT)[:100]}"


def pair_key(username: str, client: str | None) -> str:
    return f"pair:{normal_name(username)}|{(client or NO_CLIENT)[:100]}"


def wait_minutes(failures: int, limit: int, first_minutes: int) -> int:
    """The wait after `failures` consecutive failures: none below the limit, then `first_minutes`,
    doubling with each further failure, capped at a day."""
    if failures < limit:
        return 0
    return min(MAX_WAIT_MINUTES, first_minutes * 2 ** min(failures - limit, 20))


@dataclass
class Verdict:
    """What the gate decided for one attempt."""

    allowed: bool
    wait: int = 0                          # minutes to wait (refused attempts)
    blocked_now: int = 0                   # minutes this attempt's failure makes the client wait
    counted: list[str] = field(default_factory=list)   # keys this attempt was counted on


def _locked_row(session: Session, key: str) -> SignInThrottle:
    """The key's row, created if missing and locked until the transaction ends: an upsert takes the
    row lock on PostgreSQL and the database write lock on SQLite before anything is read."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = SignInThrottle.__table__
    # One statement: the upsert hands back the row it created or locked (RETURNING; SQLite >= 3.35),
    # where an upsert and a SELECT took two on every key of every sign-in (issue 18).
    stmt = (insert(SignInThrottle).values(key=key, failures=0)
            .on_conflict_do_update(index_elements=[table.c.key], set_={"failures": table.c.failures})
            .returning(SignInThrottle))
    return session.scalars(stmt, execution_options={"populate_existing": True}).one()


def _limit(key: str, cfg: dict[str, int]) -> int:
    return cfg["security.client_limit"] if key.startswith("client:") else cfg["security.lock_after"]


def admit(session: Session, username: str, client: str | None, devices: tuple[str, ...], now: dt.datetime,
          cfg: dict[str, int]) -> Verdict:
    """Lock the attempt's keys, refuse if one of them must still wait, else count the attempt as a
    failure on every key (undone by `succeeded` when the password is right). `devices`: further
    identities of the client (a device cookie), each its own pair."""
    name = name_key(username)
    pairs = [pair_key(username, c) for c in (client, *devices)]
    keys = sorted({name, client_key(client), *pairs})  # one order everywhere: no deadlocks
    rows = {k: _locked_row(session, k) for k in keys}
    for row in rows.values():
        stale = row.last_failure is not None and now - row.last_failure > RESET_AFTER
        if stale and (row.blocked_until is None or row.blocked_until <= now):
            row.failures, row.blocked_until = 0, None
    trusted_since = now - dt.timedelta(days=cfg["security.trusted_days"])
    trusted = any(rows[p].last_success and rows[p].last_success >= trusted_since for p in pairs)
    # A known (name, client) pair passes the name's and the client's waits: behind one NAT address a
    # whole office is one "client", and others' typos there must not keep out a leader who signs in
    # from it every week. The pair's own failures still count and still make it wait.
    applicable = [k for k in keys if not trusted or (k != name and not k.startswith("client:"))]
    waits = [rows[k].blocked_until - now for k in applicable if rows[k].blocked_until and rows[k].blocked_until > now]
    if waits:
        return Verdict(False, wait=max(1, math.ceil(max(waits).total_seconds() / 60)))
    verdict = Verdict(True, counted=keys)
    for key, row in rows.items():
        row.failures = (row.failures or 0) + 1
        row.last_failure = now
        minutes = wait_minutes(row.failures, _limit(key, cfg), cfg["security.lock_minutes"])
        if minutes:
            row.blocked_until = now + dt.timedelta(minutes=minutes)
            if key in applicable:
                verdict.blocked_now = max(verdict.blocked_now, minutes)
    return verdict


def _take_back(row: SignInThrottle, key: str, cfg: dict[str, int]) -> None:
    """Undo one counted failure (others may have been counted on the key meanwhile: decrement)."""
    row.failures = max(0, (row.failures or 0) - 1)
    if row.failures < _limit(key, cfg):
        row.blocked_until = None


def forgive(session: Session, verdict: Verdict, cfg: dict[str, int]) -> None:
    """Take back the count of an attempt whose password was never checked (the server was busy)."""
    for key in verdict.counted:
        _take_back(_locked_row(session, key), key, cfg)


def succeeded(session: Session, verdict: Verdict, now: dt.datetime, cfg: dict[str, int]) -> None:
    """The password was right: the name and this client's pairs start afresh and the pairs become
    known to the account; the client only loses this attempt's count."""
    for key in verdict.counted:
        row = _locked_row(session, key)
        if key.startswith("client:"):
            _take_back(row, key, cfg)
            continue
        row.failures, row.blocked_until = 0, None
        if key.startswith("pair:"):
            row.last_success = now


def lift(session: Session, username: str) -> None:
    """An administrator's unlock: every wait on the name and its pairs goes (the pairs stay known)."""
    name = normal_name(username)
    session.execute(update(SignInThrottle)
                    .where((SignInThrottle.key == f"name:{name}")
                           | SignInThrottle.key.startswith(f"pair:{name}|", autoescape=True))
                    .values(failures=0, blocked_until=None))


def blocked_names(session: Session, now: dt.datetime) -> set[str]:
    """Normalised names that must wait now (the admin's user list shows them as locked)."""
    rows = session.scalars(select(SignInThrottle.key).where(SignInThrottle.key.startswith("name:"),
                                                            SignInThrottle.blocked_until > now))
    return {k.removeprefix("name:") for k in rows}
