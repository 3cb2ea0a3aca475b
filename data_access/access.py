"""Who may do what. Every write function in data_access takes an Actor and calls require() before
it changes anything, so scoping holds even if a page shows a button it should not."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The signed-in user as the write paths see it (no Streamlit here)."""

    user_id: int | None
    username: str
    role: str                      # admin / leader / liaison / display
    department_id: int | None = None


# action -> roles allowed. "own department" rules are checked in require() with department_id.
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "submission.upload": ("admin", "liaison"),      # liaison: own department only
    "submission.read_history": ("admin", "liaison", "leader"),
    "template.download": ("admin", "liaison"),
    "registry.edit": ("admin",),
    "reference.edit": ("admin",),                    # regions, departments, periods and deadlines
    "target.edit": ("admin",),
    "user.manage": ("admin",),
    "audit.read": ("admin",),
    "briefing.export": ("admin", "leader", "display"),
    "meeting.edit_notes": ("admin",),
    "settings.edit": ("admin",),
    "account.change_password": ("admin", "leader", "liaison", "display"),  # one's own password only
    "account.sign_out": ("admin", "leader", "liaison", "display"),         # one's own session only
    # Steering follow-up (督办): leaders and the office assign tasks and record meetings; the owner
    # department's liaison reports progress on its own tasks only.
    "task.create": ("admin", "leader"),
    "task.progress": ("admin", "leader", "liaison"),  # liaison: own department's tasks only
    "task.read": ("admin", "leader", "liaison"),      # liaison: own department's tasks only
    "meeting.record": ("admin", "leader"),
    "comment.write": ("admin", "leader"),
    # Quarter sign-off (data_access.approval): the county office approves and unlocks.
    "quarter.approve": ("admin",),
    "quarter.unlock": ("admin",),
    # Assessment (data_access.assessment): the office defines the scheme, leaders adjust scores.
    "assessment.define": ("admin",),
    "assessment.adjust": ("admin", "leader"),
    "assessment.read": ("admin", "leader"),
}
DEPARTMENT_SCOPED = {"submission.upload", "template.download", "task.progress", "task.read"}


class PermissionDenied(Exception):
    """Raised before any change; `key` is the catalogue message to show."""

    def __init__(self, action: str, key: str = "access.denied") -> None:
        super().__init__(action)
        self.action = action
        self.key = key


def allowed(actor: Actor | None, action: str, department_id: int | None = None) -> bool:
    if actor is None or actor.role not in PERMISSIONS.get(action, ()):
        return False
    if action in DEPARTMENT_SCOPED and actor.role == "liaison":
        return actor.department_id is not None and actor.department_id == department_id
    return True


def require(actor: Actor | None, action: str, department_id: int | None = None) -> None:
    if actor is None:
        raise PermissionDenied(action, "access.signed_out")
    if not allowed(actor, action, department_id):
        key = "access.other_department" if (action in DEPARTMENT_SCOPED and actor.role == "liaison") else "access.denied"
        raise PermissionDenied(action, key)
