"""Handing a shift over (giao ca) and accepting it (nhận ca)."""
from __future__ import annotations

from datetime import datetime
from uuid import UUID

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..extensions import db
from ..models import Attendance, Checkpoint, Handover, User
from ..policy import can
from .guards import earlier_send, require_duty
from . import RuleViolation
from .activity import record
from .moments import check_occurred_at
from .observations import open_observations
from .once import find_once, insert_once
from .text import clean_text

MAX_SUMMARY = 2000
MAX_REMARK = 200
MAX_ITEMS = 30


def clean_equipment(items) -> list[dict]:
    """[{"item": …, "ok": bool, "remark": …}]; anything missing or broken needs a remark."""
    if items is None:
        return []
    if not isinstance(items, list) or len(items) > MAX_ITEMS:
        raise RuleViolation(_l("The equipment list is not valid."), field="equipment", code="bad_equipment")
    cleaned = []
    for entry in items:
        if not isinstance(entry, dict) or not isinstance(entry.get("ok"), bool):
            raise RuleViolation(_l("The equipment list is not valid."), field="equipment", code="bad_equipment")
        name = clean_text(entry.get("item") if isinstance(entry.get("item"), str) else None, field="equipment",
                          max_length=80)
        remark_raw = entry.get("remark")
        if remark_raw is not None and not isinstance(remark_raw, str):
            raise RuleViolation(_l("The equipment list is not valid."), field="equipment", code="bad_equipment")
        remark = clean_text(remark_raw, field="equipment", max_length=MAX_REMARK, required=False)
        if not entry["ok"] and not remark:
            raise RuleViolation(_l("Say what is wrong with: %(item)s.", item=name), field="equipment",
                                code="remark_required")
        cleaned.append({"item": name, "ok": entry["ok"], "remark": remark})
    return cleaned


def last_attendance(user: User, checkpoint: Checkpoint) -> Attendance | None:
    query = (select(Attendance).where(Attendance.user_id == user.id, Attendance.checkpoint_id == checkpoint.id)
             .order_by(Attendance.check_in_at.desc()).limit(1))
    return db.session.scalar(query)


def write_handover(user: User, checkpoint: Checkpoint, *, uuid: UUID, occurred_at: datetime, now: datetime,
                   summary: str | None, equipment=None) -> tuple[Handover, bool]:
    """The outgoing team's note; the checkpoint's unresolved observations are carried over."""
    existing = earlier_send(Handover, uuid, user, owner="author_id")
    if existing is not None:
        return existing, False
    require_duty(user, checkpoint)
    summary = clean_text(summary, field="summary", max_length=MAX_SUMMARY, multiline=True)
    equipment = clean_equipment(equipment)
    check_occurred_at(occurred_at, now)
    attendance = last_attendance(user, checkpoint)
    carried = open_observations(checkpoint)

    def build() -> Handover:
        return Handover(uuid=uuid, checkpoint_id=checkpoint.id, author_id=user.id,
                        from_attendance_id=attendance.id if attendance else None, summary=summary,
                        equipment=equipment, occurred_at=occurred_at, received_at=now, carried_over=carried)

    handover, created = insert_once(Handover, Handover.uuid, uuid, build)
    if created:
        record("handover.created", actor=user, ward_id=checkpoint.ward_id, checkpoint_id=checkpoint.id,
               subject=handover, now=now,
               detail={"missing": [e["item"] for e in equipment if not e["ok"]], "carried_over": len(carried)})
    elif handover.author_id != user.id:
        raise RuleViolation(_l("This identifier is already used."), field="uuid", code="uuid_taken")
    return handover, created


def accept_handover(user: User, handover: Handover, *, uuid: UUID, occurred_at: datetime, now: datetime,
                    remark: str | None = None) -> tuple[Handover, bool]:
    """An incoming volunteer of the same checkpoint takes the shift over, once."""
    if handover.accept_uuid == uuid:
        if handover.accepted_by_id != user.id:
            raise RuleViolation(_l("This identifier is already used."), field="uuid", code="uuid_taken")
        return handover, False
    if find_once(Handover, Handover.accept_uuid, uuid) is not None:
        raise RuleViolation(_l("This identifier is already used."), field="uuid", code="uuid_taken")
    if handover.author_id == user.id:
        raise RuleViolation(_l("Someone else must accept your handover."), field="handover", code="own_handover")
    if not can(user, "checkpoint.duty", handover.checkpoint):
        raise RuleViolation(_l("Only the team of this checkpoint can accept its handover."), field="handover",
                            code="not_your_checkpoint")
    if handover.accepted:
        raise RuleViolation(_l("This handover was already accepted by %(name)s.",
                               name=handover.accepted_by.full_name), field="handover", code="already_accepted")
    remark = clean_text(remark, field="remark", max_length=MAX_SUMMARY, required=False, multiline=True) or None
    check_occurred_at(occurred_at, now)
    if occurred_at < handover.occurred_at:
        occurred_at = handover.occurred_at  # a phone clock behind the writer's; the order is what matters
    # Conditional update: of two racing accepts only one changes the row.
    changed = db.session.execute(
        update(Handover).where(Handover.id == handover.id, Handover.accepted_at.is_(None))
        .values(accept_uuid=uuid, accepted_by_id=user.id, accepted_at=occurred_at, accept_received_at=now,
                accept_remark=remark)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(handover)
    if not changed:
        if handover.accept_uuid == uuid and handover.accepted_by_id == user.id:
            return handover, False
        raise RuleViolation(_l("This handover was already accepted by %(name)s.",
                               name=handover.accepted_by.full_name), field="handover", code="already_accepted")
    record("handover.accepted", actor=user, ward_id=handover.checkpoint.ward_id,
           checkpoint_id=handover.checkpoint_id, subject=handover, now=now, detail={"remark": bool(remark)})
    return handover, True


def waiting_handover(checkpoint: Checkpoint, user: User) -> Handover | None:
    """The newest handover of this checkpoint that is not yet accepted and not written by `user`."""
    query = (select(Handover).where(Handover.checkpoint_id == checkpoint.id, Handover.accepted_at.is_(None),
                                    Handover.author_id != user.id)
             .order_by(Handover.occurred_at.desc()).limit(1))
    return db.session.scalar(query)
