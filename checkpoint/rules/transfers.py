"""Moving a person from one ward to another without losing what they did in the first."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import Checkpoint, Shift, User, Ward, checkpoint_member, shift_assignment
from . import RuleViolation
from .activity import record
from .attendance import open_attendance

# The confirmation page lists this many of the shifts the person will leave; it counts them all.
SHIFTS_LISTED = 20


@dataclass
class MovePlan:
    """What a move would undo in the person's present ward, shown before the admin confirms."""

    memberships: list[Checkpoint]
    future_shifts: list[Shift]  # the first SHIFTS_LISTED, soonest first
    future_shift_count: int


@dataclass
class MoveResult:
    from_ward: Ward
    to_ward: Ward
    memberships_removed: int
    assignments_removed: int


def movable(user: User) -> None:
    """Refuse people who have no ward to leave."""
    if user.role == "admin" or user.ward_id is None:
        raise RuleViolation(_l("Admins belong to no ward, so they cannot be moved."), field="ward",
                            code="admin_has_no_ward")


def _future_shifts(user: User, ward_id: int, now: datetime, column=Shift):
    """The shifts of the ward not yet started that the person is assigned to. A running shift is
    already history in the making: its attendance will point at it."""
    return (select(column).join(shift_assignment, shift_assignment.c.shift_id == Shift.id)
            .join(Checkpoint, Checkpoint.id == Shift.checkpoint_id)
            .where(shift_assignment.c.user_id == user.id, Checkpoint.ward_id == ward_id, Shift.starts_at > now))


def move_plan(user: User, now: datetime) -> MovePlan:
    """The memberships and future shift assignments a move out of the person's ward removes."""
    movable(user)
    memberships = [c for c in user.checkpoints if c.ward_id == user.ward_id]
    shifts = _future_shifts(user, user.ward_id, now)
    count = db.session.scalar(select(func.count()).select_from(shifts.subquery()))
    listed = list(db.session.scalars(shifts.order_by(Shift.starts_at, Shift.id).limit(SHIFTS_LISTED)))
    return MovePlan(memberships=memberships, future_shifts=listed, future_shift_count=count or 0)


def move_person(user: User, to_ward: Ward, *, now: datetime, actor: User | None = None) -> MoveResult:
    """Make `user` a member of `to_ward`.

    Checkpoint memberships and shifts not yet started in the old ward go (both are bound to that
    ward's checkpoints); attendance, observations, handovers and activity stay linked to the person
    and the old checkpoints, so the old ward's history still shows them. The person's sessions end,
    so the old ward's pages close to them on their next request. Someone checked in cannot move:
    their presence would stay open on the old ward's board with nobody able to close it.
    """
    movable(user)
    from_ward = user.ward
    if to_ward.id == from_ward.id:
        raise RuleViolation(_l("%(name)s is already in %(ward)s.", name=user.full_name, ward=to_ward.name),
                            field="ward", code="same_ward")
    present = open_attendance(user)
    if present is not None:
        raise RuleViolation(_l("%(name)s is checked in at %(checkpoint)s. Move them after they check out.",
                               name=user.full_name, checkpoint=present.checkpoint.name),
                            field="ward", code="on_duty")
    old_checkpoints = select(Checkpoint.id).where(Checkpoint.ward_id == from_ward.id).scalar_subquery()
    memberships = db.session.execute(
        delete(checkpoint_member).where(checkpoint_member.c.user_id == user.id,
                                        checkpoint_member.c.checkpoint_id.in_(old_checkpoints))).rowcount
    future = _future_shifts(user, from_ward.id, now, Shift.id).scalar_subquery()
    assignments = db.session.execute(
        delete(shift_assignment).where(shift_assignment.c.user_id == user.id,
                                       shift_assignment.c.shift_id.in_(future))).rowcount
    # The deletes bypassed the ORM: what it holds in memory about these rows is stale.
    db.session.expire(user, ["checkpoints"])
    for thing in list(db.session.identity_map.values()):
        if isinstance(thing, Shift):
            db.session.expire(thing, ["volunteers"])
        elif isinstance(thing, Checkpoint):
            db.session.expire(thing, ["members"])
    user.ward = to_ward
    user.end_sessions()
    db.session.flush()
    detail = {"from": from_ward.code, "to": to_ward.code, "memberships_removed": memberships,
              "assignments_removed": assignments}
    for ward in (from_ward, to_ward):
        record("user.moved", actor=actor, ward_id=ward.id, subject=user, detail=detail, now=now)
    return MoveResult(from_ward=from_ward, to_ward=to_ward, memberships_removed=memberships,
                      assignments_removed=assignments)
