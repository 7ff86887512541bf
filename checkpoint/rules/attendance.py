"""Checking in and out of a checkpoint, with or without a planned shift, by hand or by QR."""
from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update

from ..extensions import db
from ..models import Attendance, Checkpoint, Shift, User, shift_assignment
from .guards import earlier_send, require_duty
from . import RuleViolation
from .activity import record
from .moments import check_occurred_at, check_position, distance_m
from .once import insert_once

EARLY_CHECK_IN = timedelta(minutes=30)
# Beyond this a check-in position is "far from the checkpoint" on the board; it never blocks.
NEAR_ENOUGH_M = 150


def planned_shift(user: User, checkpoint: Checkpoint, moment: datetime) -> Shift | None:
    """The shift of this person at this checkpoint that `moment` falls in, opening 30 minutes early."""
    # The window is shifted onto `moment` (a bound value): `starts_at - interval` is not portable SQL.
    query = (select(Shift).join(shift_assignment, shift_assignment.c.shift_id == Shift.id)
             .where(shift_assignment.c.user_id == user.id, Shift.checkpoint_id == checkpoint.id,
                    Shift.starts_at <= moment + EARLY_CHECK_IN, Shift.ends_at > moment)
             .order_by(Shift.starts_at).limit(1))
    return db.session.scalar(query)


def open_attendance(user: User) -> Attendance | None:
    """Where this person is checked in now, if anywhere (one checkpoint at a time)."""
    query = (select(Attendance).where(Attendance.user_id == user.id, Attendance.check_out_at.is_(None))
             .order_by(Attendance.check_in_at.desc()).limit(1))
    return db.session.scalar(query)


def qr_token(checkpoint: Checkpoint) -> str:
    """The signed token printed on the checkpoint's QR poster: not a guessable id."""
    return _qr_serializer().dumps({"c": checkpoint.id, "g": checkpoint.qr_generation})


def checkpoint_for_qr(token: str) -> Checkpoint | None:
    """The checkpoint a poster's token names, or None for a forged or revoked token."""
    try:
        data = _qr_serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    checkpoint = db.session.get(Checkpoint, data.get("c")) if isinstance(data.get("c"), int) else None
    if checkpoint is None or not checkpoint.active or checkpoint.qr_generation != data.get("g"):
        return None
    return checkpoint


def _qr_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="checkpoint-qr")


def check_in(user: User, checkpoint: Checkpoint, *, uuid: UUID, occurred_at: datetime, now: datetime,
             lat=None, lng=None, qr: str | None = None) -> tuple[Attendance, bool]:
    """Record presence. Returns (attendance, created); sending the same uuid again is harmless."""
    existing = earlier_send(Attendance, uuid, user, owner="user_id")
    if existing is not None:
        return existing, False
    require_duty(user, checkpoint)
    check_occurred_at(occurred_at, now)
    lat, lng = check_position(lat, lng)
    by_qr = False
    if qr:
        if checkpoint_for_qr(qr) != checkpoint:
            raise RuleViolation(_l("This QR code is not valid for this checkpoint."), field="qr", code="bad_qr")
        by_qr = True
    current = open_attendance(user)
    if current is not None:
        if current.checkpoint_id == checkpoint.id:
            raise RuleViolation(_l("You are already checked in here."), field="checkpoint",
                                code="already_checked_in")
        raise RuleViolation(_l("You are still checked in at %(name)s. Check out there first.",
                               name=current.checkpoint.name), field="checkpoint", code="checked_in_elsewhere")
    shift = planned_shift(user, checkpoint, occurred_at)
    late = None
    if shift is not None:
        late = max(0, int((occurred_at - shift.starts_at).total_seconds() // 60))
    distance = None
    if lat is not None and checkpoint.lat is not None:
        distance = distance_m(lat, lng, checkpoint.lat, checkpoint.lng)

    def build() -> Attendance:
        return Attendance(uuid=uuid, user_id=user.id, checkpoint_id=checkpoint.id, shift_id=shift.id if shift else None,
                          check_in_at=occurred_at, check_in_received_at=now, check_in_lat=lat, check_in_lng=lng,
                          distance_m=distance, by_qr=by_qr, late_minutes=late)

    attendance, created = insert_once(Attendance, Attendance.uuid, uuid, build)
    if created:
        record("attendance.check_in", actor=user, ward_id=checkpoint.ward_id, checkpoint_id=checkpoint.id,
               subject=attendance, now=now,
               detail={"shift": attendance.shift_id, "late_minutes": late, "by_qr": by_qr, "distance_m": distance})
    return _same_person(attendance, user), created


def check_out(user: User, checkpoint: Checkpoint, *, uuid: UUID, occurred_at: datetime, now: datetime,
              lat=None, lng=None) -> tuple[Attendance, bool]:
    """End the open attendance at this checkpoint. Returns (attendance, changed)."""
    done = earlier_send(Attendance, uuid, user, owner="user_id", column="check_out_uuid")
    if done is not None:
        return done, False
    check_occurred_at(occurred_at, now)
    lat, lng = check_position(lat, lng)
    current = open_attendance(user)
    if current is None or current.checkpoint_id != checkpoint.id:
        raise RuleViolation(_l("You are not checked in at this checkpoint."), field="checkpoint",
                            code="not_checked_in")
    if occurred_at < current.check_in_at:
        raise RuleViolation(_l("Check-out cannot be before check-in."), field="occurred_at", code="before_check_in")
    # A conditional update, not read-then-write: of two racing check-outs only one changes the row.
    changed = db.session.execute(
        update(Attendance).where(Attendance.id == current.id, Attendance.check_out_at.is_(None))
        .values(check_out_uuid=uuid, check_out_at=occurred_at, check_out_received_at=now,
                check_out_lat=lat, check_out_lng=lng)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(current)
    if not changed:
        if current.check_out_uuid == uuid:
            return current, False
        raise RuleViolation(_l("You are not checked in at this checkpoint."), field="checkpoint",
                            code="not_checked_in")
    record("attendance.check_out", actor=user, ward_id=checkpoint.ward_id, checkpoint_id=checkpoint.id,
           subject=current, now=now)
    return current, True


def _same_person(attendance: Attendance, user: User) -> Attendance:
    if attendance.user_id != user.id:
        raise RuleViolation(_l("This identifier is already used."), field="uuid", code="uuid_taken")
    return attendance
