"""What the ward board shows, and which of its regions a change since the last poll touches."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Activity, Checkpoint, Comment, Handover, Observation, Ward

OPEN_LIMIT = 50

# Which board regions an activity can change. Anything else moves the sequence only.
REGIONS_BY_ACTION_PREFIX = {
    "observation.": ("urgent", "open", "tiles"),
    "comment.": ("open",),
    "attendance.": ("tiles",),
    "handover.": ("tiles", "handovers"),
    "checkpoint.": ("tiles",),
    "roster.": ("tiles",),
    "shift.": ("tiles",),
}
REGIONS = ("urgent", "tiles", "open", "handovers")


def _ward_observations(ward: Ward):
    return (select(Observation).join(Checkpoint, Observation.checkpoint_id == Checkpoint.id)
            .where(Checkpoint.ward_id == ward.id, Observation.corrects_id.is_(None))
            .options(selectinload(Observation.checkpoint), selectinload(Observation.author),
                     selectinload(Observation.acknowledged_by), selectinload(Observation.resolved_by),
                     selectinload(Observation.corrections),
                     selectinload(Observation.comments).selectinload(Comment.author)))


def urgent_unacknowledged(ward: Ward) -> list[Observation]:
    """Urgent and nobody at the station has acknowledged it yet: the top of the board."""
    query = (_ward_observations(ward).where(Observation.severity == "urgent", Observation.status == "open")
             .order_by(Observation.occurred_at.desc()))
    return list(db.session.scalars(query))


def open_observations(ward: Ward, limit: int = OPEN_LIMIT) -> list[Observation]:
    """Not yet resolved, newest first, without the urgent ones already shown above."""
    # IN, not "!= 'resolved'": it seeks ix_observation_checkpoint_status to the open rows only,
    # so a year of resolved history is never read.
    query = (_ward_observations(ward).where(Observation.status.in_(("open", "acknowledged")))
             .where((Observation.severity != "urgent") | (Observation.status != "open"))
             .order_by(Observation.occurred_at.desc()).limit(limit))
    return list(db.session.scalars(query))


def unaccepted_handovers(ward: Ward) -> list[Handover]:
    query = (select(Handover).join(Checkpoint, Handover.checkpoint_id == Checkpoint.id)
             .where(Checkpoint.ward_id == ward.id, Handover.accepted_at.is_(None))
             .options(selectinload(Handover.checkpoint), selectinload(Handover.author))
             .order_by(Handover.occurred_at.desc()))
    return list(db.session.scalars(query))


def regions_changed(ward: Ward, since: int) -> set[str]:
    """The regions touched by the ward's activity after sequence number `since`."""
    actions = db.session.scalars(select(Activity.action).where(Activity.ward_id == ward.id, Activity.id > since)
                                 .distinct())
    regions: set[str] = set()
    for action in actions:
        for prefix, touched in REGIONS_BY_ACTION_PREFIX.items():
            if action.startswith(prefix):
                regions.update(touched)
    return regions
