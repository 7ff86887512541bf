"""Writing the append-only activity record."""
from __future__ import annotations

from typing import Any

from ..extensions import db
from ..models import Activity, utcnow
from .batch import current
from .chain import seal


def record(action: str, *, actor=None, ward_id: int | None = None, checkpoint_id: int | None = None,
           subject: Any = None, detail: dict | None = None, now=None) -> Activity:
    """Append one activity row in the current transaction; the caller commits.

    The row is sealed into the hash chain (rules/chain.py), which holds a lock until the commit:
    call this after the change it records, as the last write of the transaction where possible."""
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
    if (batch := current()) is not None:
        # A sync batch seals its rows together at its end (rules/batch.py): the lock is taken once,
        # late, and the row of an item that is rolled back never reaches the chain.
        batch.activity.append((entry, subject))
        return entry
    seal(entry)
    db.session.add(entry)
    db.session.flush()
    return entry
