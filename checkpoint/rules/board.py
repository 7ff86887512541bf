"""What the ward board shows, and which of its regions a change since the last poll touches."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..models import Activity, Checkpoint, Comment, Handover, Observation, Ward
from .coverage import last_entries

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
    """What a poll must send: regions to render whole, new open observations to add on top, and
    the "last entry" line of the tiles whose checkpoints have new observations."""
    regions: set[str] = field(default_factory=set)
    new_open: list[Observation] = field(default_factory=list)
    last_entries: dict[int, datetime | None] = field(default_factory=dict)


CREATED = "observation.created"
# More activity than this since a board's last poll, and it gets every region whole.
WINDOW = 500
# Built once, the poll's statements (bench/README.md, request_cost): the activity since the last
# poll, oldest first, and the new observations of the busy case.
_SINCE = (select(Activity.action, Activity.subject_id)
          .where(Activity.ward_id == bindparam("ward_id"), Activity.id > bindparam("since"))
          .order_by(Activity.id).limit(bindparam("limit")))
_NEW_OBSERVATIONS = (select(Observation).join(Checkpoint, Observation.checkpoint_id == Checkpoint.id)
                     .where(Checkpoint.ward_id == bindparam("ward_id"), Observation.corrects_id.is_(None),
                            Observation.id.in_(bindparam("ids", expanding=True)))
                     .options(joinedload(Observation.checkpoint), joinedload(Observation.author))
                     .order_by(Observation.occurred_at.desc()))


def changes_since(ward: Ward, since: int) -> Changes:
    """The regions touched by the ward's activity after sequence number `since`.

    The busy case is new observations and nothing else about observations: then the open list is
    not rendered again (50 cards, most of a poll's cost) but only the new cards are sent, for the
    board to put in their place; the urgent list only when one of them is urgent; and of the tiles
    only the "last entry" line of their checkpoints, unless something else changed the tiles.
    Anything else touching observations (acknowledged, resolved, corrected, commented) renders the
    regions whole, as does a board so far behind that more than a full list is new, and a board
    that was away for more than WINDOW activities gets every region."""
    changes = Changes()
    rows = db.session.execute(_SINCE, {"ward_id": ward.id, "since": since, "limit": WINDOW + 1}).all()
    if len(rows) > WINDOW:  # a board that was away: everything again
        changes.regions.update(REGIONS)
        return changes
    actions = {action for action, _subject in rows}
    for action in actions - {CREATED}:
        for prefix, touched in REGIONS_BY_ACTION_PREFIX.items():
            if action.startswith(prefix):
                changes.regions.update(touched)
    if CREATED not in actions:
        return changes
    if "open" in changes.regions:
        changes.regions.update(("urgent", "tiles"))
        return changes
    ids = [subject for action, subject in rows if action == CREATED]
    if len(ids) > OPEN_LIMIT:
        changes.regions.update(("urgent", "open", "tiles"))
        return changes
    # Nothing but their creation happened to these observations since the last poll (anything else
    # has an activity of its own, and would have sent the list whole): no comments, corrections,
    # acknowledgement or resolution to load with them, only their checkpoint and author.
    new = db.session.scalars(_NEW_OBSERVATIONS, {"ward_id": ward.id, "ids": ids})
    checkpoints = set()
    for observation in new:
        set_committed_value(observation, "comments", [])
        set_committed_value(observation, "corrections", [])
        checkpoints.add(observation.checkpoint_id)
        if observation.severity == "urgent" and observation.status == "open":
            changes.regions.add("urgent")
        elif observation.status in ("open", "acknowledged"):
            changes.new_open.append(observation)
    if "tiles" not in changes.regions:
        changes.last_entries = last_entries(ward, checkpoints)
    return changes
