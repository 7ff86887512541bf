"""Reading the roster: the shift on now or next at a checkpoint."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..models import Checkpoint, Shift, User, shift_assignment


def current_or_next_shift(checkpoint: Checkpoint, now: datetime, person: User | None = None) -> Shift | None:
    """The shift running at `now`, else the next one to start — of `person` when given; a shift
    crossing midnight is one row."""
    query = select(Shift).where(Shift.checkpoint_id == checkpoint.id, Shift.ends_at > now)
    if person is not None:
        query = query.join(shift_assignment, shift_assignment.c.shift_id == Shift.id).where(
            shift_assignment.c.user_id == person.id)
    return db.session.scalar(query.order_by(Shift.starts_at).limit(1))
