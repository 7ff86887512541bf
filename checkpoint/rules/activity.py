"""Writing the append-only activity record."""
from __future__ import annotations

from typing import Any

from ..extensions import db
from ..models import Activity, utcnow


def record(action: str, *, actor=None, ward_id: int | None = None, checkpoint_id: int | None = None,
           subject: Any = None, detail: dict | None = None, now=None) -> Activity:
    """Append one activity row in the current transaction; the caller commits."""
    entry = Activity(
        at=now or utcnow(),
        actor_id=getattr(actor, "id", None),
        action=action,
        ward_id=ward_id,
        checkpoint_id=checkpoint_id,
        subject_type=type(subject).__name__.lower() if subject is not None else None,
        subject_id=getattr(subject, "id", None),
        detail=detail or {},
    )
    db.session.add(entry)
    db.session.flush()
    return entry
