"""Observations: logging one, correcting one, and attaching its photo."""
from __future__ import annotations

from datetime import datetime
from uuid import UUID

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import CATEGORIES, SEVERITIES, Checkpoint, Observation, Photo, User
from .guards import earlier_send, require_duty
from . import RuleViolation
from .activity import record
from .moments import check_occurred_at, check_position
from .once import insert_once
from .text import clean_text

MAX_TEXT = 2000


def log_observation(user: User, checkpoint: Checkpoint, *, uuid: UUID, occurred_at: datetime, now: datetime,
                    category: str, severity: str, text: str | None, lat=None, lng=None,
                    photo_uuid: UUID | None = None, corrects: Observation | None = None) -> tuple[Observation, bool]:
    """Record what was seen. Returns (observation, created); the same uuid again changes nothing."""
    existing = earlier_send(Observation, uuid, user, owner="author_id")
    if existing is not None:
        return existing, False
    require_duty(user, checkpoint)
    if category not in CATEGORIES:
        raise RuleViolation(_l("Choose what happened."), field="category", code="unknown_category")
    if severity not in SEVERITIES:
        raise RuleViolation(_l("Choose how serious it is."), field="severity", code="unknown_severity")
    # An urgent alert may be sent with no words at all: there may be no time to type.
    text = clean_text(text, field="text", max_length=MAX_TEXT, multiline=True, required=severity != "urgent")
    check_occurred_at(occurred_at, now)
    lat, lng = check_position(lat, lng)
    if photo_uuid is not None:
        photo = db.session.scalar(select(Photo).where(Photo.uuid == photo_uuid))
        # The photo may still be on its way; if it is here, it must be this person's.
        if photo is not None and photo.uploader_id != user.id:
            raise RuleViolation(_l("This photo belongs to someone else."), field="photo", code="photo_not_yours")
    if corrects is not None and (corrects.author_id != user.id or corrects.checkpoint_id != checkpoint.id):
        raise RuleViolation(_l("You can only correct your own entries."), field="corrects", code="not_your_entry")

    def build() -> Observation:
        return Observation(uuid=uuid, checkpoint_id=checkpoint.id, author_id=user.id, occurred_at=occurred_at,
                           received_at=now, category=category, severity=severity, text=text, lat=lat, lng=lng,
                           photo_uuid=photo_uuid, corrects_id=corrects.id if corrects else None, status="open")

    observation, created = insert_once(Observation, Observation.uuid, uuid, build)
    if created:
        record("observation.corrected" if corrects else "observation.created", actor=user,
               ward_id=checkpoint.ward_id, checkpoint_id=checkpoint.id, subject=observation, now=now,
               detail={"severity": severity, "category": category, "corrects": observation.corrects_id})
    elif observation.author_id != user.id:
        raise RuleViolation(_l("This identifier is already used."), field="uuid", code="uuid_taken")
    return observation, created


def open_observations(checkpoint: Checkpoint) -> list[Observation]:
    """Not yet resolved: what a handover carries over to the next team."""
    query = (select(Observation).where(Observation.checkpoint_id == checkpoint.id, Observation.corrects_id.is_(None),
                                       Observation.status != "resolved")
             .order_by(Observation.occurred_at.desc()))
    return list(db.session.scalars(query))
