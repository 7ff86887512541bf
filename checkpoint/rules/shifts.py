"""Reading the roster: the shift on now or next at a checkpoint."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..models import Checkpoint, Shift


def current_or_next_shift(checkpoint: Checkpoint, now: datetime) -> Shift | None:
    """The shift running at `now`, else the next one to start; a shift crossing midnight is one row."""
    query = (select(Shift).where(Shift.checkpoint_id == checkpoint.id, Shift.ends_at > now)
             .order_by(Shift.starts_at).limit(1))
    return db.session.scalar(query)
