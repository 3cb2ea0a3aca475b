"""The audit trail. record() adds its row to the caller's session, so it commits in the same
transaction as the change it describes, or not at all."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from data_access.access import Actor
from data_access.models import AuditEntry


def record(session: Session, actor: Actor | None, action: str, entity: str | None = None,
           entity_id: object = None, before: Any = None, after: Any = None, detail: str | None = None) -> AuditEntry:
    entry = AuditEntry(at=dt.datetime.now(), user_id=actor.user_id if actor else None,
                       username=actor.username if actor else None, action=action, entity=entity,
                       entity_id=None if entity_id is None else str(entity_id), before=before, after=after,
                       detail=detail)
    session.add(entry)
    return entry
