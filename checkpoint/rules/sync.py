"""The sync API's items (PRODUCT §6): each validated and applied on its own, idempotent by uuid."""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from ..extensions import db
from ..models import Attendance, Checkpoint, Handover, Observation, User
from ..policy import can
from . import RuleViolation
from .attendance import check_in, check_out
from .handovers import accept_handover, write_handover
from .moments import parse_moment
from .observations import log_observation
from .once import parse_uuid
from .wards import CODE

MAX_ITEMS = 100


def duty_checkpoint(user: User, code) -> Checkpoint:
    """A checkpoint of the user's ward, by code, where the user may do duty."""
    checkpoint = None
    # Only a well-formed code reaches the database (PostgreSQL refuses NUL in a text parameter).
    if isinstance(code, str) and CODE.match(code.strip().upper()) and user.ward_id is not None:
        query = select(Checkpoint).where(Checkpoint.ward_id == user.ward_id,
                                         Checkpoint.code == code.strip().upper())
        checkpoint = db.session.scalar(query)
    if checkpoint is None or not can(user, "checkpoint.duty", checkpoint):
        raise RuleViolation(_l("You are not a member of this checkpoint."), field="checkpoint",
                            code="not_your_checkpoint")
    return checkpoint


def _string(item: dict, key: str, required: bool = True) -> str | None:
    value = item.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise RuleViolation(_l("Missing or not text: %(field)s.", field=key), field=key, code="bad_field")
    return value


def _check_in(user: User, item: dict, uuid, now: datetime) -> bool:
    return check_in(user, duty_checkpoint(user, item.get("checkpoint")), uuid=uuid, now=now,
                    occurred_at=parse_moment(item.get("occurred_at")), lat=item.get("lat"), lng=item.get("lng"),
                    qr=_string(item, "qr", required=False))[1]


def _check_out(user: User, item: dict, uuid, now: datetime) -> bool:
    return check_out(user, duty_checkpoint(user, item.get("checkpoint")), uuid=uuid, now=now,
                     occurred_at=parse_moment(item.get("occurred_at")), lat=item.get("lat"), lng=item.get("lng"))[1]


def _observation(user: User, item: dict, uuid, now: datetime) -> bool:
    photo = item.get("photo")
    return log_observation(user, duty_checkpoint(user, item.get("checkpoint")), uuid=uuid, now=now,
                           occurred_at=parse_moment(item.get("occurred_at")),
                           category=item.get("category"), severity=item.get("severity"),
                           text=_string(item, "text", required=item.get("severity") != "urgent"),
                           lat=item.get("lat"), lng=item.get("lng"),
                           photo_uuid=parse_uuid(photo, field="photo") if photo is not None else None)[1]


def _handover(user: User, item: dict, uuid, now: datetime) -> bool:
    return write_handover(user, duty_checkpoint(user, item.get("checkpoint")), uuid=uuid, now=now,
                          occurred_at=parse_moment(item.get("occurred_at")), summary=_string(item, "summary"),
                          equipment=item.get("equipment"))[1]


def _handover_accept(user: User, item: dict, uuid, now: datetime) -> bool:
    handover = db.session.scalar(select(Handover).where(
        Handover.uuid == parse_uuid(item.get("handover"), field="handover")))
    if handover is None or not can(user, "checkpoint.duty", handover.checkpoint):
        raise RuleViolation(_l("No such handover at your checkpoints."), field="handover", code="unknown_handover")
    return accept_handover(user, handover, uuid=uuid, now=now, occurred_at=parse_moment(item.get("occurred_at")),
                           remark=_string(item, "remark", required=False))[1]


# Where each kind keeps its uuid, and whose it is: a resend is a duplicate even if, meanwhile,
# the sender lost the right to send it again (removed from the checkpoint, say).
SEEN = {
    "check_in": (Attendance.uuid, Attendance.user_id),
    "check_out": (Attendance.check_out_uuid, Attendance.user_id),
    "observation": (Observation.uuid, Observation.author_id),
    "handover": (Handover.uuid, Handover.author_id),
    "handover_accept": (Handover.accept_uuid, Handover.accepted_by_id),
}


def already_stored(user: User, kind: str, uuid) -> bool:
    column, owner = SEEN[kind]
    return db.session.scalar(select(owner).where(column == uuid)) == user.id


HANDLERS = {"check_in": _check_in, "check_out": _check_out, "observation": _observation,
            "handover": _handover, "handover_accept": _handover_accept}


def apply_item(user: User, item, now: datetime) -> dict:
    """One result per item: accepted, duplicate, or rejected with a reason in the user's language."""
    raw_uuid = item.get("uuid") if isinstance(item, dict) else None
    uuid = None
    try:
        if not isinstance(item, dict):
            raise RuleViolation(_l("Each item must be an object."), code="bad_item")
        uuid = parse_uuid(raw_uuid)
        handler = HANDLERS.get(item.get("kind")) if isinstance(item.get("kind"), str) else None
        if handler is None:
            raise RuleViolation(_l("Unknown kind of item."), field="kind", code="unknown_kind")
        if already_stored(user, item["kind"], uuid):
            return {"uuid": str(uuid), "status": "duplicate", "reason": None}
        # A savepoint per item: a refused item leaves nothing behind, the others still count.
        with db.session.begin_nested():
            created = handler(user, item, uuid, now)
    except IntegrityError:
        # Only a uuid someone else already used gets here (the rules check everything else).
        return _rejected(raw_uuid, RuleViolation(_l("This identifier is already used."), field="uuid",
                                                 code="uuid_taken"))
    except RuleViolation as violation:
        # A concurrent send of this very item may have won the race after the check above; what
        # it left (say, an open attendance) is then why this one was refused. It is a resend.
        if uuid is not None and isinstance(item.get("kind"), str) and item["kind"] in SEEN \
                and already_stored(user, item["kind"], uuid):
            return {"uuid": str(uuid), "status": "duplicate", "reason": None}
        return _rejected(raw_uuid, violation)
    except OperationalError:
        raise  # the database is down: the whole batch fails with 503 and the phone sends it again
    except Exception:
        # Whatever else one malformed item provokes must not block the phone's outbox for ever:
        # that item is refused (and logged), the others still count.
        current_app.logger.exception("sync item refused by an unexpected error")
        return _rejected(raw_uuid, RuleViolation(_l("This item could not be read."), code="unreadable_item"))
    return {"uuid": str(uuid), "status": "accepted" if created else "duplicate", "reason": None}


def _rejected(raw_uuid, violation: RuleViolation) -> dict:
    try:
        echoed = str(parse_uuid(raw_uuid))  # the same spelling as accepted results use
    except RuleViolation:
        echoed = raw_uuid if isinstance(raw_uuid, str) else None
    return {"uuid": echoed, "status": "rejected",
            "reason": str(violation.message), "code": violation.code, "field": violation.field}


def apply_batch(user: User, items: list, now: datetime) -> list[dict]:
    return [apply_item(user, item, now) for item in items]
