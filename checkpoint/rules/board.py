"""What the ward board shows, and which of its regions a change since the last poll touches."""
from __future__ import annotations

from dataclasses import dataclass, field

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


def open_observations(ward: Ward, limit: int | None = None) -> list[Observation]:
    """Not yet resolved, newest first, without the urgent ones already shown above."""
    # IN, not "!= 'resolved'": it seeks ix_observation_checkpoint_status to the open rows only,
    # so a year of resolved history is never read.
    query = (_ward_observations(ward).where(Observation.status.in_(("open", "acknowledged")))
             .where((Observation.severity != "urgent") | (Observation.status != "open"))
             .order_by(Observation.occurred_at.desc()).limit(limit or OPEN_LIMIT))
    return list(db.session.scalars(query))


def unaccepted_handovers(ward: Ward) -> list[Handover]:
    query = (select(Handover).join(Checkpoint, Handover.checkpoint_id == Checkpoint.id)
             .where(Checkpoint.ward_id == ward.id, Handover.accepted_at.is_(None))
             .options(selectinload(Handover.checkpoint), selectinload(Handover.author))
             .order_by(Handover.occurred_at.desc()))
    return list(db.session.scalars(query))


@dataclass
class Changes:
    """What a poll must send: regions to render whole, and new open observations to add on top."""
    regions: set[str] = field(default_factory=set)
    new_open: list[Observation] = field(default_factory=list)


CREATED = "observation.created"


def changes_since(ward: Ward, since: int) -> Changes:
    """The regions touched by the ward's activity after sequence number `since`.

    The busy case is new observations and nothing else about observations: then the open list is
    not rendered again (50 cards, most of a poll's cost) but only the new cards are sent, for the
    board to put in their place; and the urgent list only when one of them is urgent. Anything
    else touching observations (acknowledged, resolved, corrected, commented) renders the regions
    whole, as does a board so far behind that more than a full list is new."""
    actions = set(db.session.scalars(select(Activity.action).where(Activity.ward_id == ward.id, Activity.id > since)
                                     .distinct()))
    changes = Changes()
    for action in actions - {CREATED}:
        for prefix, touched in REGIONS_BY_ACTION_PREFIX.items():
            if action.startswith(prefix):
                changes.regions.update(touched)
    if CREATED not in actions:
        return changes
    changes.regions.add("tiles")
    if "open" in changes.regions:
        changes.regions.add("urgent")
        return changes
    ids = list(db.session.scalars(select(Activity.subject_id).where(
        Activity.ward_id == ward.id, Activity.id > since, Activity.action == CREATED).limit(OPEN_LIMIT + 1)))
    if len(ids) > OPEN_LIMIT:
        changes.regions.update(("urgent", "open"))
        return changes
    new = db.session.scalars(_ward_observations(ward).where(Observation.id.in_(ids))
                             .order_by(Observation.occurred_at.desc()))
    for observation in new:
        if observation.severity == "urgent" and observation.status == "open":
            changes.regions.add("urgent")
        elif observation.status in ("open", "acknowledged"):
            changes.new_open.append(observation)
    return changes
