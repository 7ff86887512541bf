"""Checks every duty rule makes first: is this a resend, and may this person act here."""
from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from flask_babel import lazy_gettext as _l

from ..models import Checkpoint, User
from ..policy import can
from . import RuleViolation
from .once import find_once

T = TypeVar("T")


def earlier_send(model: type[T], key: UUID, user: User, owner: str, column: str = "uuid") -> T | None:
    """The row an earlier send with this uuid made, if it was this user's; another's uuid is refused."""
    row = find_once(model, getattr(model, column), key)
    if row is not None and getattr(row, owner) != user.id:
        raise RuleViolation(_l("This identifier is already used."), field="uuid", code="uuid_taken")
    return row


def require_duty(user: User, checkpoint: Checkpoint) -> None:
    """Only the checkpoint's own team (or its ward's coordinator) acts there, and only while it is active."""
    if not can(user, "checkpoint.duty", checkpoint):
        raise RuleViolation(_l("You are not a member of this checkpoint."), field="checkpoint",
                            code="not_your_checkpoint")
    if not checkpoint.active:
        raise RuleViolation(_l("This checkpoint is retired."), field="checkpoint", code="retired")
