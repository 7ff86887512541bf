"""The ward police's follow-up on an observation: acknowledge it, resolve it, comment on it."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from ..extensions import db
from ..models import Comment, Observation, User
from ..policy import can
from . import RuleViolation
from .activity import record
from .text import clean_text

MAX_TEXT = 2000


def acknowledge(user: User, observation: Observation, *, now: datetime) -> Observation:
    """Tiếp nhận: the ward police have seen it. Only once; the first officer's click counts."""
    _require_police(user, observation)
    if not _mark_acknowledged(user, observation, now):
        raise RuleViolation(_l("Already acknowledged by %(name)s.", name=_acknowledger(observation)),
                            code="already_acknowledged")
    _record("observation.acknowledged", user, observation, now)
    return observation


def resolve(user: User, observation: Observation, *, note: str | None, now: datetime) -> Observation:
    """Xử lý xong, with a note saying how. An open observation is acknowledged at the same moment."""
    _require_police(user, observation)
    if observation.status == "resolved":
        raise _already_resolved(observation)
    note = clean_text(note, field="note", max_length=MAX_TEXT, multiline=True)
    acknowledged_now = _mark_acknowledged(user, observation, now)
    # Conditional, not read-then-write: of two officers resolving at once only one changes the row.
    changed = db.session.execute(
        update(Observation).where(Observation.id == observation.id, Observation.status != "resolved")
        .values(status="resolved", resolved_by_id=user.id, resolved_at=now, resolution_note=note)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(observation)
    if not changed:
        raise _already_resolved(observation)
    if acknowledged_now:
        _record("observation.acknowledged", user, observation, now)
    _record("observation.resolved", user, observation, now)
    return observation


def add_comment(user: User, observation: Observation, *, text: str | None, now: datetime) -> Comment:
    """A police follow-up; allowed in every status, also after resolving."""
    _require_police(user, observation)
    text = clean_text(text, field="text", max_length=MAX_TEXT, multiline=True)
    comment = Comment(observation=observation, author_id=user.id, text=text, created_at=now)
    db.session.add(comment)
    db.session.flush()
    _record("comment.created", user, observation, now, subject=comment, detail={"observation": observation.id})
    return comment


def _require_police(user: User, observation: Observation) -> None:
    if not can(user, "observation.police", observation):
        raise RuleViolation(_l("Only the ward police can do this."), code="not_police")
    # A correction travels with its original: the status and the comments are the original's.
    if observation.corrects_id is not None:
        raise RuleViolation(_l("This is a correction; act on the original entry."), code="is_correction")


def _mark_acknowledged(user: User, observation: Observation, now: datetime) -> bool:
    """Open → acknowledged, if it is still open. True when this call made the change."""
    changed = db.session.execute(
        update(Observation).where(Observation.id == observation.id, Observation.status == "open")
        .values(status="acknowledged", acknowledged_by_id=user.id, acknowledged_at=now)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(observation)
    return bool(changed)


def _acknowledger(observation: Observation) -> str:
    return observation.acknowledged_by.full_name if observation.acknowledged_by else ""


def _already_resolved(observation: Observation) -> RuleViolation:
    name = observation.resolved_by.full_name if observation.resolved_by else ""
    return RuleViolation(_l("Already resolved by %(name)s.", name=name), code="already_resolved")


def _record(action: str, user: User, observation: Observation, now: datetime, *, subject=None,
            detail: dict | None = None) -> None:
    record(action, actor=user, ward_id=observation.checkpoint.ward_id, checkpoint_id=observation.checkpoint_id,
           subject=subject if subject is not None else observation, detail=detail, now=now)
