"""A person's own shifts, and the private token of their calendar feed."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Checkpoint, Shift, User, shift_assignment
from .activity import record

# The list shows the last two weeks (what did I do?) and the next two months (what comes?).
RECENT = timedelta(days=14)
AHEAD = timedelta(days=62)
# Calendar apps keep what they saw, so the feed needs little history; future shifts are all sent.
FEED_HISTORY = timedelta(days=31)
FEED_LIMIT = 500
# token_urlsafe(32) gives 43 characters; anything much longer is not one of ours.
TOKEN_BYTES = 32
LONGEST_TOKEN = 64


@dataclass
class MyShifts:
    """The shifts of one person: still to come (the running one first) and recent ones, newest first."""

    upcoming: list[Shift]
    recent: list[Shift]


def shifts_of(person: User, since: datetime, until: datetime | None = None,
              limit: int | None = None) -> list[Shift]:
    """The person's shifts that end after `since` (and start before `until`), in time order, with
    their checkpoint, ward and team loaded."""
    query = (select(Shift)
             .join(shift_assignment, shift_assignment.c.shift_id == Shift.id)
             .where(shift_assignment.c.user_id == person.id, Shift.ends_at > since)
             .order_by(Shift.starts_at, Shift.id)
             .options(selectinload(Shift.checkpoint).selectinload(Checkpoint.ward),
                      selectinload(Shift.volunteers)))
    if until is not None:
        query = query.where(Shift.starts_at < until)
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def my_shifts(person: User, now: datetime) -> MyShifts:
    """What the person's own roster page shows at `now`."""
    shifts = shifts_of(person, now - RECENT, now + AHEAD)
    return MyShifts(upcoming=[s for s in shifts if s.ends_at > now],
                    recent=[s for s in reversed(shifts) if s.ends_at <= now])


def feed_shifts(person: User, now: datetime) -> list[Shift]:
    """The shifts the person's calendar feed carries: a month back and everything planned."""
    return shifts_of(person, now - FEED_HISTORY, limit=FEED_LIMIT)


def _digest(token: str) -> str:
    # Only the digest is stored: a copy of the database does not hand out anyone's feed.
    return hashlib.sha256(token.encode()).hexdigest()


def issue_calendar_token(person: User, now: datetime) -> str:
    """A new secret for the person's feed URL; the old one, if any, stops working at once.
    Returns the token itself, which is never stored and so can be shown only this once."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    replaced = person.calendar_token is not None
    person.calendar_token = _digest(token)
    record("calendar.link_replaced" if replaced else "calendar.link_created", actor=person,
           ward_id=person.ward_id, subject=person, now=now)
    return token


def revoke_calendar_token(person: User, now: datetime) -> bool:
    """End the person's feed URL. False when there was none."""
    if person.calendar_token is None:
        return False
    person.calendar_token = None
    record("calendar.link_revoked", actor=person, ward_id=person.ward_id, subject=person, now=now)
    return True


def person_for_calendar_token(token: str) -> User | None:
    """Whose feed this token opens: nobody's when it is unknown, revoked, or the account is inactive."""
    if not token or len(token) > LONGEST_TOKEN:
        return None
    person = db.session.scalar(select(User).where(User.calendar_token == _digest(token)))
    return person if person is not None and person.active else None
