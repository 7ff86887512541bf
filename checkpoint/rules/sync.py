"""The sync API's items (PRODUCT §6): each answered as if applied on its own, idempotent by uuid, stored in runs."""
from __future__ import annotations

from datetime import datetime
from uuid import UUID

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from ..extensions import db
from ..models import Attendance, Checkpoint, Handover, Observation, User
from ..policy import can
from . import RuleViolation
from .attendance import check_in, check_out
from .batch import Batch, batch_scope, current, seal_held
from .handovers import accept_handover, write_handover
from .moments import parse_moment
from .observations import log_observation
from .once import find_once, parse_uuid
from .wards import CODE

MAX_ITEMS = 100


def duty_checkpoint(user: User, code) -> Checkpoint:
    """A checkpoint of the user's ward, by code, where the user may do duty."""
    checkpoint = None
    # Only a well-formed code reaches the database (PostgreSQL refuses NUL in a text parameter).
    if isinstance(code, str) and CODE.match(code.strip().upper()) and user.ward_id is not None:
        checkpoint = _checkpoint(user, code.strip().upper())
    if checkpoint is None or not can(user, "checkpoint.duty", checkpoint):
        raise RuleViolation(_l("You are not a member of this checkpoint."), field="checkpoint",
                            code="not_your_checkpoint")
    return checkpoint


def _checkpoint(user: User, code: str) -> Checkpoint | None:
    """The checkpoint of the user's ward with this code, looked up once per batch: a phone's batch
    nearly always names one checkpoint. A volunteer's is found among their own checkpoints, which
    the duty check reads anyway (one query instead of two); any other is not theirs to name."""
    batch = current()
    if batch is not None and code in batch.checkpoints:
        return batch.checkpoints[code]
    if user.role == "volunteer":
        checkpoint = next((c for c in user.checkpoints if c.code == code and c.ward_id == user.ward_id), None)
    else:
        checkpoint = db.session.scalar(select(Checkpoint).where(Checkpoint.ward_id == user.ward_id,
                                                                Checkpoint.code == code))
    if batch is not None:
        batch.checkpoints[code] = checkpoint
    return checkpoint


def _string(item: dict, key: str, required: bool = True) -> str | None:
    value = item.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise RuleViolation(_l("Missing or not text: %(field)s.", field=key), field=key, code="bad_field")
    return value


def _check_in(user: User, item: dict, uuid, now: datetime) -> tuple[object, bool]:
    return check_in(user, duty_checkpoint(user, item.get("checkpoint")), uuid=uuid, now=now,
                    occurred_at=parse_moment(item.get("occurred_at")), lat=item.get("lat"), lng=item.get("lng"),
                    qr=_string(item, "qr", required=False))


def _check_out(user: User, item: dict, uuid, now: datetime) -> tuple[object, bool]:
    return check_out(user, duty_checkpoint(user, item.get("checkpoint")), uuid=uuid, now=now,
                     occurred_at=parse_moment(item.get("occurred_at")), lat=item.get("lat"), lng=item.get("lng"))


def _observation(user: User, item: dict, uuid, now: datetime) -> bool:
    photo = item.get("photo")
    return log_observation(user, duty_checkpoint(user, item.get("checkpoint")), uuid=uuid, now=now,
                           occurred_at=parse_moment(item.get("occurred_at")),
                           category=item.get("category"), severity=item.get("severity"),
                           text=_string(item, "text", required=item.get("severity") != "urgent"),
                           lat=item.get("lat"), lng=item.get("lng"),
                           photo_uuid=parse_uuid(photo, field="photo") if photo is not None else None)


def _handover(user: User, item: dict, uuid, now: datetime) -> tuple[object, bool]:
    return write_handover(user, duty_checkpoint(user, item.get("checkpoint")), uuid=uuid, now=now,
                          occurred_at=parse_moment(item.get("occurred_at")), summary=_string(item, "summary"),
                          equipment=item.get("equipment"))


def _handover_accept(user: User, item: dict, uuid, now: datetime) -> tuple[object, bool]:
    handover = db.session.scalar(select(Handover).where(
        Handover.uuid == parse_uuid(item.get("handover"), field="handover")))
    if handover is None or not can(user, "checkpoint.duty", handover.checkpoint):
        raise RuleViolation(_l("No such handover at your checkpoints."), field="handover", code="unknown_handover")
    return accept_handover(user, handover, uuid=uuid, now=now, occurred_at=parse_moment(item.get("occurred_at")),
                           remark=_string(item, "remark", required=False))


# Where each kind keeps its uuid, and whose it is: a resend is a duplicate even if, meanwhile,
# the sender lost the right to send it again (removed from the checkpoint, say).
SEEN = {
    "check_in": (Attendance, "uuid", "user_id"),
    "check_out": (Attendance, "check_out_uuid", "user_id"),
    "observation": (Observation, "uuid", "author_id"),
    "handover": (Handover, "uuid", "author_id"),
    "handover_accept": (Handover, "accept_uuid", "accepted_by_id"),
}


def already_stored(user: User, kind: str, uuid, fresh: bool = False) -> bool:
    """Whether this user's earlier send of this item is stored; `fresh` asks the database, not the batch."""
    model, column, owner = SEEN[kind]
    if fresh:
        return db.session.scalar(select(getattr(model, owner)).where(getattr(model, column) == uuid)) == user.id
    row = find_once(model, getattr(model, column), uuid)
    return row is not None and getattr(row, owner) == user.id


HANDLERS = {"check_in": _check_in, "check_out": _check_out, "observation": _observation,
            "handover": _handover, "handover_accept": _handover_accept}


def _parse(item) -> tuple[str, UUID]:
    if not isinstance(item, dict):
        raise RuleViolation(_l("Each item must be an object."), code="bad_item")
    uuid = parse_uuid(item.get("uuid"))
    kind = item.get("kind")
    if not isinstance(kind, str) or kind not in HANDLERS:
        raise RuleViolation(_l("Unknown kind of item."), field="kind", code="unknown_kind")
    return kind, uuid


def _handle(user: User, kind: str, item: dict, uuid: UUID, now: datetime) -> bool:
    """Run the item's rule; what it stored is remembered for the rest of the batch."""
    row, created = HANDLERS[kind](user, item, uuid, now)
    if (batch := current()) is not None:
        model, column, _owner = SEEN[kind]
        batch.remember(model, column, uuid, row)
    return created


def _result(uuid: UUID, status: str) -> dict:
    return {"uuid": str(uuid), "status": status, "reason": None}


def apply_item(user: User, item, now: datetime) -> dict:
    """One result per item: accepted, duplicate, or rejected with a reason in the user's language."""
    raw_uuid = item.get("uuid") if isinstance(item, dict) else None
    kind = uuid = None
    batch = current()
    try:
        kind, uuid = _parse(item)
        if already_stored(user, kind, uuid):
            return _result(uuid, "duplicate")
        # A savepoint per item: a refused item leaves nothing behind, the others still count.
        mark = batch.mark() if batch is not None else None
        try:
            with db.session.begin_nested():
                created = _handle(user, kind, item, uuid, now)
        except BaseException:
            if batch is not None:
                batch.reset(mark)  # and nothing of it stays in the batch's memory either
            raise
    except IntegrityError:
        # Only a uuid someone else already used gets here (the rules check everything else).
        return _rejected(raw_uuid, RuleViolation(_l("This identifier is already used."), field="uuid",
                                                 code="uuid_taken"))
    except RuleViolation as violation:
        # A concurrent send of this very item may have won the race after the check above; what
        # it left (say, an open attendance) is then why this one was refused. It is a resend.
        if uuid is not None and kind is not None and already_stored(user, kind, uuid, fresh=True):
            return _result(uuid, "duplicate")
        return _rejected(raw_uuid, violation)
    except OperationalError:
        raise  # the database is down: the whole batch fails with 503 and the phone sends it again
    except Exception:
        # Whatever else one malformed item provokes must not block the phone's outbox for ever:
        # that item is refused (and logged), the others still count.
        current_app.logger.exception("sync item refused by an unexpected error")
        return _rejected(raw_uuid, RuleViolation(_l("This item could not be read."), code="unreadable_item"))
    return _result(uuid, "accepted" if created else "duplicate")


def _rejected(raw_uuid, violation: RuleViolation) -> dict:
    try:
        echoed = str(parse_uuid(raw_uuid))  # the same spelling as accepted results use
    except RuleViolation:
        echoed = raw_uuid if isinstance(raw_uuid, str) else None
    return {"uuid": echoed, "status": "rejected",
            "reason": str(violation.message), "code": violation.code, "field": violation.field}


class _RunFailed(Exception):
    """A run could not take all its items; `at` is the item that raised, None when the flush did."""

    def __init__(self, at: int | None):
        super().__init__(at)
        self.at = at


def _run(user: User, items: list, now: datetime, batch: Batch) -> list[dict]:
    """The items in one savepoint, their rows inserted by one flush at the end. Unless every one is
    accepted or a duplicate, nothing of them stays and _RunFailed says which one was not."""
    mark = batch.mark()
    savepoint = db.session.begin_nested()
    batch.holding = True
    at = None
    try:
        results = []
        for at, item in enumerate(items):
            kind, uuid = _parse(item)
            if already_stored(user, kind, uuid):
                results.append(_result(uuid, "duplicate"))
            else:
                results.append(_result(uuid, "accepted" if _handle(user, kind, item, uuid, now) else "duplicate"))
        at = None
        db.session.flush()
    except OperationalError:
        raise  # the database is down: no fallback helps
    except Exception as error:
        savepoint.rollback()
        # Rows the run changed with UPDATE statements (a check-out, an accept) are rolled back in the
        # database but not in the objects already loaded: load them again when next used.
        db.session.expire_all()
        batch.reset(mark)
        raise _RunFailed(at) from error
    finally:
        batch.holding = False
    savepoint.commit()
    return results


def _one_by_one(user: User, items: list, now: datetime, batch: Batch, failed: _RunFailed) -> list[dict]:
    if failed.at is None:
        # The flush failed: a concurrent send stored one of these uuids since the batch looked
        # them up. Forget what it knew and ask the database, item by item.
        batch.known.clear()
    return [apply_item(user, item, now) for item in items]


def apply_batch(user: User, items: list, now: datetime) -> list[dict]:
    """One result per item, in order, as if each were applied on its own (apply_item), but in runs:
    the items go through in one savepoint and one flush until one of them is refused. That one is
    then applied on its own, for its reason, after the items before it were applied again in a
    run of their own; the rest follow in a new run. The chain seals the activity rows once, last."""
    results: list[dict] = []
    with batch_scope() as batch:
        _look_up(batch, items)
        rest = list(items)
        while rest:
            try:
                results += _run(user, rest, now, batch)
                break
            except _RunFailed as failed:
                if failed.at is None:
                    results += _one_by_one(user, rest, now, batch, failed)
                    break
                before, refused, rest = rest[:failed.at], rest[failed.at], rest[failed.at + 1:]
                if before:
                    try:
                        results += _run(user, before, now, batch)
                    except _RunFailed as again:
                        results += _one_by_one(user, before, now, batch, again)
                results.append(apply_item(user, refused, now))
        seal_held(batch)
    return results


def _look_up(batch: Batch, items: list) -> None:
    """Which of the batch's uuids are stored already: one query per kind, instead of one per item."""
    keys: dict[tuple[type, str], list[UUID]] = {}
    for item in items:
        try:
            kind, uuid = _parse(item)
        except RuleViolation:
            continue
        model, column, _owner = SEEN[kind]
        keys.setdefault((model, column), []).append(uuid)
    for (model, column), uuids in keys.items():
        batch.look_up(model, column, uuids)
