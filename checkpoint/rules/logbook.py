"""The checkpoint log (sổ trực): every kind of entry of one checkpoint, newest first."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Attendance, Checkpoint, Comment, Handover, Observation

PAGE = 30


@dataclass(frozen=True)
class Cursor:
    """A place in the log: entries sort by (at, kind, id), newest first, so ties are ordered too."""

    at: datetime
    kind: str
    id: int

    def __str__(self) -> str:
        return f"{self.at.isoformat()}|{self.kind}|{self.id}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """The inverse of str(); raises ValueError on anything else."""
        moment, kind, ident = text.split("|")
        at = datetime.fromisoformat(moment)
        if at.tzinfo is None or kind not in KINDS:
            raise ValueError(text)
        return cls(at, kind, int(ident))


@dataclass(frozen=True)
class Entry:
    """One line of the log. `kind` picks how it is shown; `thing` is the row behind it."""

    at: datetime
    kind: str  # one of KINDS
    thing: object

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.at, self.kind, self.thing.id)


KINDS = ("acknowledged", "check_in", "check_out", "comment", "handover", "handover_accepted", "observation",
         "resolved")


def checkpoint_log(checkpoint: Checkpoint, before: Cursor | None = None, limit: int = PAGE) -> list[Entry]:
    """Up to `limit` entries after `before` in newest-first order. Each source is asked for its
    newest `limit` rows by an indexed query, then merged: a page never loads a whole history."""
    entries: list[Entry] = []

    def newest(column, query, kind: str, model):
        query = query.order_by(column.desc(), model.id.desc()).limit(limit)
        if before is None:
            return db.session.scalars(query)
        # Rows at the cursor's very time come after it when (kind, id) sorts below the cursor's.
        if kind < before.kind:
            query = query.where(column <= before.at)
        elif kind == before.kind:
            query = query.where(or_(column < before.at, and_(column == before.at, model.id < before.id)))
        else:
            query = query.where(column < before.at)
        return db.session.scalars(query)

    observations = select(Observation).where(Observation.checkpoint_id == checkpoint.id,
                                             Observation.corrects_id.is_(None)).options(
        selectinload(Observation.author), selectinload(Observation.corrections), selectinload(Observation.photo))
    entries += [Entry(o.occurred_at, "observation", o) for o in newest(Observation.occurred_at, observations, "observation", Observation)]

    acknowledged = select(Observation).where(Observation.checkpoint_id == checkpoint.id,
                                             Observation.acknowledged_at.is_not(None))
    entries += [Entry(o.acknowledged_at, "acknowledged", o)
                for o in newest(Observation.acknowledged_at, acknowledged, "acknowledged", Observation)]
    resolved = select(Observation).where(Observation.checkpoint_id == checkpoint.id,
                                         Observation.resolved_at.is_not(None))
    entries += [Entry(o.resolved_at, "resolved", o) for o in newest(Observation.resolved_at, resolved, "resolved", Observation)]

    comments = select(Comment).join(Comment.observation).where(Observation.checkpoint_id == checkpoint.id)
    entries += [Entry(c.created_at, "comment", c) for c in newest(Comment.created_at, comments, "comment", Comment)]

    check_ins = select(Attendance).where(Attendance.checkpoint_id == checkpoint.id).options(
        selectinload(Attendance.user))
    entries += [Entry(a.check_in_at, "check_in", a) for a in newest(Attendance.check_in_at, check_ins, "check_in", Attendance)]
    check_outs = select(Attendance).where(Attendance.checkpoint_id == checkpoint.id,
                                          Attendance.check_out_at.is_not(None)).options(selectinload(Attendance.user))
    entries += [Entry(a.check_out_at, "check_out", a) for a in newest(Attendance.check_out_at, check_outs, "check_out", Attendance)]

    handovers = select(Handover).where(Handover.checkpoint_id == checkpoint.id).options(
        selectinload(Handover.author), selectinload(Handover.accepted_by), selectinload(Handover.carried_over))
    entries += [Entry(h.occurred_at, "handover", h) for h in newest(Handover.occurred_at, handovers, "handover", Handover)]
    accepted = select(Handover).where(Handover.checkpoint_id == checkpoint.id, Handover.accepted_at.is_not(None))
    entries += [Entry(h.accepted_at, "handover_accepted", h) for h in newest(Handover.accepted_at, accepted, "handover_accepted", Handover)]

    entries.sort(key=lambda e: (e.at, e.kind, e.thing.id), reverse=True)
    return entries[:limit]
